"""Flatten: (m, C, H, W) -> (m, C*H*W), the bridge from conv layers to affine ones (L38)."""

from __future__ import annotations

import math

from .._types import Array
from ..module import Module
from ._checks import check_input, need_forward


class Flatten(Module):
    """Flatten every axis after the batch axis, in C order (PyTorch's ``nn.Flatten()``).

    Shapes
    ------
    X: (m, d1, d2, ...) -> A: (m, d1*d2*...);  backward reshapes dA back to X's shape.

    Formula
    -------
    forward   A[n, (c, h, w)] = X[n, c, h, w]
    backward  dX = dA.reshape(m, C, H, W)      (a reshape moves no gradient around)
    """

    def __init__(self) -> None:
        super().__init__()
        self._shape = None

    def forward(self, X: Array) -> Array:
        X = check_input(self, X, tuple(range(2, 7)), expect="(m, d1, ...)")
        self._shape = X.shape
        return X.reshape(X.shape[0], -1)      # a view when X is C-contiguous, else one copy

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._shape)
        if not input_grad:
            return None
        expected = (self._shape[0], math.prod(self._shape[1:]))
        if dA.shape != expected:
            raise ValueError(f"{self._where()}: backward expected a gradient of shape {expected}, "
                             f"got {dA.shape}")
        return dA.reshape(self._shape)                  # dX = dA reshaped to (m, C, H, W)

    def config(self) -> dict:
        return {}

