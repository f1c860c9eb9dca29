"""Word embedding: a lookup table of learned vectors (L40)."""

from __future__ import annotations

import numpy as np

from .. import init as _init
from .._checks import check_positive_int
from .._config import resolve_dtype
from .._types import Array, Rng
from ..module import Module
from ..parameter import Parameter
from ._checks import need_forward


class Embedding(Module):
    """Embedding layer  out = W[ids]: row ``id`` of W is the vector of token ``id``  (L40).

    "Deep Learning from Scratch 2" ch. 4 builds it to replace the product of a
    one-hot vector with W (the same numbers, without the V-wide one-hot rows):
    onehot(id) W = W[id].  Its backward adds each dout row to the row of W that was
    read, so a token that appears k times in the batch collects k contributions
    (``np.add.at``, which accumulates repeated ids; ``dW[ids] += dout`` would not).

    Parameters
    ----------
    num_embeddings : int
        V, the vocabulary size; ids must lie in [0, V).
    embedding_dim : int
        D, the length of each vector.
    init : float or str
        Std of the initial N(0, std^2) rows (default 1.0, as ``torch.nn.Embedding``;
        DLFS2 uses 0.01), or an initialiser name of :mod:`abcdl.init`.
    rng : np.random.Generator, optional
        Source of the initial weights (default: the generator of ``abcdl.seed``).
    dtype : float32 | float64, optional
        Default: ``abcdl.get_default_dtype()``.

    Attributes
    ----------
    W : Parameter (V, D)
        The table; PyTorch's ``nn.Embedding.weight``.

    Shapes
    ------
    ids: (m, T) (or any shape) of integers -> (m, T, D) (ids.shape + (D,)).
    Float arrays holding whole numbers (what ``fit`` passes after casting the data)
    are accepted; any other dtype, a fraction, or an id outside [0, V) is a ValueError.

    Formula
    -------
    forward   out[k] = W[ids[k]]                      (= onehot(ids[k]) W)
    backward  dW[v] = sum over k with ids[k] = v of dout[k];  d(ids) = 0
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, init=1.0, rng: Rng | None = None,
                 dtype=None) -> None:
        super().__init__()
        self.num_embeddings = check_positive_int(num_embeddings, "Embedding: num_embeddings")   # V
        self.embedding_dim = check_positive_int(embedding_dim, "Embedding: embedding_dim")      # D
        self.init = init
        shape = (self.num_embeddings, self.embedding_dim)
        self.W = Parameter(_init.initializer(init, shape, rng, resolve_dtype(dtype)))
        self._ids = None

    def _check_ids(self, ids) -> np.ndarray:
        """``ids`` as an integer array in [0, V), or ValueError naming the shape, dtype or bad ids."""
        ids = np.asarray(ids)
        where, V = self._where(), self.num_embeddings
        if ids.dtype.kind == "f":
            if not np.all(np.isfinite(ids) & (ids == np.round(ids))):
                raise ValueError(f"{where}: token ids of shape {ids.shape} must be whole numbers, "
                                 f"got fractions in dtype {ids.dtype}")
            ids = ids.astype(np.int64)
        elif ids.dtype.kind not in "iu":
            raise ValueError(f"{where}: token ids must be integers, got dtype {ids.dtype} "
                             f"(shape {ids.shape})")
        if ids.ndim == 0:
            raise ValueError(f"{where}: expected token ids of shape (m, T) or (m,), got a scalar")
        if ids.size and (ids.min() < 0 or ids.max() >= V):
            bad = ids[(ids < 0) | (ids >= V)]
            raise ValueError(f"{where}: token ids must lie in [0, {V}) for a vocabulary of {V}, got "
                             f"{bad.min()}..{bad.max()} among ids of shape {ids.shape}")
        return ids

    def forward(self, ids) -> Array:
        ids = self._check_ids(ids)
        self._ids = ids
        return self.W.data[ids]                            # out = W[ids]   (= onehot(ids) W)

    def backward(self, dout: Array, input_grad: bool = True) -> Array | None:
        """Accumulate dW (repeated ids add up); return dJ/d(ids) = 0 (None when ``input_grad=False``).

        ``dout`` must have the shape of the last output, ids.shape + (D,).  The lookup
        is constant between whole numbers, so the ids' gradient is zero: nothing flows
        further back (it is returned only to keep Module's contract).
        """
        need_forward(self, self._ids)
        expect = (*self._ids.shape, self.embedding_dim)
        if np.shape(dout) != expect:
            raise ValueError(f"{self._where()}: backward expected dout of shape {expect}, "
                             f"got {np.shape(dout)}")
        np.add.at(self.W.grad, self._ids, dout)            # dW[v] += dout[k] for every k with ids[k] = v
        return np.zeros(self._ids.shape, dtype=self.W.dtype) if input_grad else None

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim}
