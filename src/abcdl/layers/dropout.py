"""Inverted dropout (L33)."""

from __future__ import annotations

import numpy as np

from .._config import get_rng
from .._types import Array, Rng
from ..module import Module
from ._checks import check_input, need_forward


class Dropout(Module):
    """Inverted dropout: drop each unit with probability ``p`` while training (L33).

    ``p`` is the *drop* probability (PyTorch's convention); the lecture's
    keep_prob is 1 - p.  Survivors are scaled by 1/keep_prob during training so
    that nothing changes at inference, where the layer is the identity.

    Formula
    -------
    training   D ~ Bernoulli(keep_prob),  A = A_prev * D / keep_prob
    backward   dA_prev = dA * D / keep_prob   (the same mask and scale)
    eval       A = A_prev

    Parameters
    ----------
    p : float in [0, 1)
        Drop probability.
    rng : np.random.Generator, optional
        Source of the masks (default: the generator of ``abcdl.seed``).
    """

    def __init__(self, p: float = 0.5, rng: Rng | None = None) -> None:
        super().__init__()
        if not (isinstance(p, (int, float)) and 0 <= p < 1):
            raise ValueError(f"Dropout: p (drop probability) must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = get_rng(rng)
        self._scaled_mask = None

    @property
    def keep_prob(self) -> float:
        return 1.0 - self.p

    def forward(self, A_prev: Array) -> Array:
        A_prev = check_input(self, A_prev, tuple(range(1, 6)), expect="(m, ...)")
        if not self.training or self.p == 0:
            self._scaled_mask = 1
            return A_prev
        keep = self.rng.random(A_prev.shape, dtype=A_prev.dtype) >= self.p   # D ~ Bernoulli(keep_prob)
        # D / keep_prob, kept for backward
        self._scaled_mask = keep * np.asarray(1.0 / self.keep_prob, dtype=A_prev.dtype)
        return A_prev * self._scaled_mask             # A = A_prev * D / keep_prob

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._scaled_mask)
        if not input_grad:
            return None
        return dA * self._scaled_mask                 # dA_prev = dA * D / keep_prob

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def config(self) -> dict:
        return {"p": self.p}
