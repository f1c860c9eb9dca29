"""Negative sampling: word2vec's loss over the target and a few sampled non-targets (L40)."""

from __future__ import annotations

import numpy as np

from .._checks import check_positive_int
from .._config import get_rng, resolve_dtype
from .._types import Array, Rng
from ..module import Module
from ._checks import need_forward
from .embedding_dot import EmbeddingDot, check_ids


def unigram_distribution(counts, power: float = 0.75) -> np.ndarray:
    """P(w) = count(w)^power / sum_v count(v)^power: the negative-sampling distribution (L40).

    The power 0.75 (Mikolov et al. 2013, DLFS2 ch. 4.2.6) raises the share of rare words
    a little: with counts (90, 10), P is (0.84, 0.16) instead of (0.9, 0.1).
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.size < 2 or np.any(c < 0) or not np.all(np.isfinite(c)) or c.sum() <= 0:
        raise ValueError(f"counts must be a 1-D array of >= 2 non-negative word counts, not all 0, got shape "
                         f"{c.shape}")
    if not (isinstance(power, (int, float)) and 0 < power <= 1):
        raise ValueError(f"power must be a number in (0, 1], got {power!r}")
    p = c ** power                                       # count(w)^0.75
    return p / p.sum()                                   # / sum_v count(v)^0.75


class NegativeSamplingLoss(Module):
    """Negative-sampling loss: the target's score against ``sample_size`` sampled words  (L40).

    Instead of a softmax over the V words, word2vec (DLFS2 ch. 4.2) asks V - 1 fewer
    questions: is the target word the right one (label 1), and are k words drawn from
    the unigram distribution raised to the 0.75 power wrong (label 0)?  Each question is
    a sigmoid of an :class:`EmbeddingDot` score.  Negatives are drawn with replacement
    and may include the target (the book's GPU path; with V in the thousands it rarely does).

    Parameters
    ----------
    num_embeddings, embedding_dim : int
        V and D of the output embedding W_out.
    counts : array (V,), optional
        Word counts of the corpus (``np.bincount(ids)``); default: all words equally likely.
    sample_size : int
        k, the negatives per example (the book: 5).
    power : float
        The exponent of the unigram distribution (0.75).
    init, rng, dtype
        As in :class:`EmbeddingDot`; ``rng`` also draws the negatives.

    Attributes
    ----------
    W : Parameter (V, D), W_out, used through ``embed`` (an EmbeddingDot sharing it);
    p : buffer (V,), the sampling distribution.

    Shapes
    ------
    forward(h, target, negatives=None): h (m, D), target (m,) ids, negatives (m, k) ids (drawn when
    None) -> the loss, a float.  ``backward(dout=1.0)`` returns dJ/dh (m, D).

    Formula
    -------
    s_i0 = W_out[target_i] . h_i,  s_ij = W_out[neg_ij] . h_i;   y_i0 = 1, y_ij = 0  (j = 1..k)
    J = (1/m) sum_i sum_j [log(1 + e^{s_ij}) - y_ij s_ij]        (= -log sigma(s_i0) - sum_j log sigma(-s_ij))
    dJ/ds_ij = (sigma(s_ij) - y_ij) / m
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, counts=None, sample_size: int = 5,
                 power: float = 0.75, init=0.01, rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        V = check_positive_int(num_embeddings, "NegativeSamplingLoss: num_embeddings")
        self.sample_size = check_positive_int(sample_size, "NegativeSamplingLoss: sample_size")   # k
        self.power = power
        counts = np.ones(V) if counts is None else counts
        if np.shape(counts) != (V,):
            raise ValueError(f"NegativeSamplingLoss: counts must have shape ({V},) (one per word), got "
                             f"{np.shape(counts)}")
        self._gen = get_rng(rng)
        embed = EmbeddingDot(V, embedding_dim, init=init, rng=self._gen, dtype=dtype)
        object.__setattr__(self, "embed", embed)     # not a child: its W is this layer's W (one tensor "W")
        self.W = embed.W                             # W_out (V, D)
        self.register_buffer("p", unigram_distribution(counts, power).astype(resolve_dtype(dtype)))
        self._cache = None

    def __call__(self, h, target, negatives=None):
        return self.forward(h, target, negatives)

    def sample(self, m: int) -> np.ndarray:
        """k negatives for each of m examples, (m, k), drawn from P(w) = count^0.75 / sum."""
        p = self.p.astype(np.float64)
        return self._gen.choice(len(p), size=(m, self.sample_size), p=p / p.sum())

    def forward(self, h: Array, target, negatives=None) -> float:
        target = check_ids(self, target, self.embed.num_embeddings)
        if target.ndim != 1 or np.ndim(h) != 2 or len(target) != len(h) or len(h) == 0:
            raise ValueError(f"{self._where()}: expected h (m, D) with m >= 1 and target (m,), got h of "
                             f"shape {np.shape(h)} and target of shape {target.shape}")
        neg = self.sample(len(target)) if negatives is None else check_ids(self, negatives, len(self.p))
        if neg.shape != (len(target), self.sample_size):
            raise ValueError(f"{self._where()}: negatives must have shape ({len(target)}, "
                             f"{self.sample_size}), got {neg.shape}")
        ids = np.concatenate([target[:, None], neg], axis=1)          # (m, 1 + k): the target, then negatives
        s = self.embed(h, ids)                                        # s_ij = W_out[ids_ij] . h_i
        y = np.zeros_like(s)
        y[:, 0] = 1                                                   # y_i0 = 1, y_ij = 0
        J = np.sum(np.logaddexp(0, s) - y * s) / len(s)               # (1/m) sum log(1 + e^s) - y s
        self._cache = (s, y)
        return float(J)

    def backward(self, dout=1.0, input_grad: bool = True) -> Array | None:
        """dJ/dh (m, D) for the last forward, times ``dout`` (dJ_total/dJ); accumulates dW_out."""
        need_forward(self, self._cache)
        s, y = self._cache
        sigma = 0.5 * (1 + np.tanh(0.5 * s))                         # sigma(s) = (1 + tanh(s/2)) / 2
        ds = (sigma - y) / len(s)                                     # dJ/ds = (sigma(s) - y) / m
        return self.embed.backward(ds * float(dout), input_grad)     # dh = sum_j ds_ij W_out[ids_ij]

    def extra_repr(self) -> str:
        return f"{self.embed.num_embeddings}, {self.embed.embedding_dim}, sample_size={self.sample_size}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (``p`` travels as a buffer)."""
        return {"num_embeddings": self.embed.num_embeddings, "embedding_dim": self.embed.embedding_dim,
                "sample_size": self.sample_size, "power": self.power}
