"""Embedding dot: the score of a (context vector, word) pair, word2vec's output layer (L40)."""

from __future__ import annotations

import numpy as np

from .. import init as _init
from .._checks import check_positive_int
from .._config import resolve_dtype
from .._types import Array, Rng
from ..module import Module
from ..parameter import Parameter
from ._checks import check_input, need_forward


def check_ids(layer, ids, V: int) -> np.ndarray:
    """``ids`` as an int64 array in [0, V), or ValueError naming the dtype, shape or the bad ids."""
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise ValueError(f"{layer._where()}: word ids must be integers, got dtype {ids.dtype} "
                         f"(shape {ids.shape})")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"{layer._where()}: word ids must lie in [0, {V}) for a vocabulary of {V}, got "
                         f"{ids.min()}..{ids.max()}")
    return ids.astype(np.int64, copy=False)


class EmbeddingDot(Module):
    """Embedding dot  s = W_out[w] . h: the score of word w for the hidden vector h  (L40).

    "Deep Learning from Scratch 2" ch. 4.2 replaces word2vec's output layer h W_out
    (all V scores) by the score of the few words a negative-sampling loss needs:
    the row of W_out for word w dotted with h.

    Parameters
    ----------
    num_embeddings : int
        V, the vocabulary size.
    embedding_dim : int
        D, the length of h and of each row of W.
    init : float or str
        Std of the initial N(0, std^2) rows (default 0.01, as the book), or an :mod:`abcdl.init` name.
    rng, dtype
        As in :class:`~abcdl.layers.Embedding`.

    Attributes
    ----------
    W : Parameter (V, D), W_out (the book keeps it as W_out^T).

    Shapes
    ------
    forward(h, ids): h (m, D), ids (m,) or (m, k) -> s (m,) or (m, k); :meth:`forward` with one
    argument uses the ids given to :meth:`set_ids` (what ``check_module`` needs).

    Formula
    -------
    forward   s_j = sum_d W[ids_j, d] h_d          (one dot product per (example, word))
    backward  dh = sum_j ds_j W[ids_j],   dW[v] += sum over j with ids_j = v of ds_j h
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, init=0.01, rng: Rng | None = None,
                 dtype=None) -> None:
        super().__init__()
        self.num_embeddings = check_positive_int(num_embeddings, "EmbeddingDot: num_embeddings")   # V
        self.embedding_dim = check_positive_int(embedding_dim, "EmbeddingDot: embedding_dim")      # D
        self.init = init
        shape = (self.num_embeddings, self.embedding_dim)
        self.W = Parameter(_init.initializer(init, shape, rng, resolve_dtype(dtype)))
        self._ids = None
        self._cache = None

    def __call__(self, h, ids=None):
        return self.forward(h, ids)

    def set_ids(self, ids) -> None:
        """Fix the word ids of the next one-argument :meth:`forward` calls."""
        self._ids = check_ids(self, ids, self.num_embeddings)

    def forward(self, h: Array, ids=None) -> Array:
        if ids is not None:
            self.set_ids(ids)
        if self._ids is None:
            raise ValueError(f"{self._where()}: forward needs word ids: forward(h, ids)")
        D, ids = self.embedding_dim, self._ids
        h = check_input(self, h, 2, D, f"(m, {D})")
        if ids.shape[:1] != h.shape[:1] or ids.ndim not in (1, 2):
            raise ValueError(f"{self._where()}: ids of shape {ids.shape} do not match h of shape {h.shape} "
                             f"(expected (m,) or (m, k) with m = {h.shape[0]})")
        W_ids = self.W.data[ids]                             # W[ids]: (m, D) or (m, k, D)
        hb = h if ids.ndim == 1 else h[:, None, :]
        self._cache = (h, W_ids, ids)
        return np.sum(W_ids * hb, axis=-1)                   # s_j = W[ids_j] . h

    def backward(self, dout: Array, input_grad: bool = True) -> Array | None:
        """Accumulate dW (repeated ids add up) and return dJ/dh."""
        need_forward(self, self._cache)
        h, W_ids, ids = self._cache
        if np.shape(dout) != ids.shape:
            raise ValueError(f"{self._where()}: backward expected dout of shape {ids.shape}, "
                             f"got {np.shape(dout)}")
        ds = np.asarray(dout)[..., None]                     # ds_j as a column
        hb = h if ids.ndim == 1 else h[:, None, :]
        np.add.at(self.W.grad, ids, ds * hb)                 # dW[ids_j] += ds_j h
        if not input_grad:
            return None
        dh = ds * W_ids                                      # ds_j W[ids_j]
        return dh if ids.ndim == 1 else dh.sum(axis=1)       # dh = sum_j ds_j W[ids_j]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}
