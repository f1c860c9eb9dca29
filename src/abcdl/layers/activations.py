"""Activation layers (L10): A = g(Z) forward, dZ = dA * g'(Z) backward."""

from __future__ import annotations

import numpy as np

from .. import functions as F
from .._types import Array
from ..module import Module
from ._checks import check_input, need_forward

_ANY_NDIM = (1, 2, 3, 4, 5)


class _Activation(Module):
    """Elementwise activation; subclasses cache what g' needs in ``self._cache``."""

    def __init__(self) -> None:
        super().__init__()
        self._cache = None

    def _input(self, Z) -> np.ndarray:
        return check_input(self, Z, _ANY_NDIM, expect="(m, ...)")

    def config(self) -> dict:
        return {}


class ReLU(_Activation):
    """A = max(0, Z);  dZ = dA * [Z > 0]  (L10, L11).  ReLU'(0) is taken as 0."""

    def forward(self, Z: Array) -> Array:
        Z = self._input(Z)
        mask = (Z > 0).astype(Z.dtype)                # g'(Z) = [Z > 0] as 0/1 floats (a float mask
        self._cache = mask                            # multiplies about twice as fast as a boolean one)
        return Z * mask                               # A = max(0, Z)

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        if not input_grad:
            return None                               # dZ not needed (see Module.backward)
        return dA * self._cache                       # dZ = dA * g'(Z), g'(Z) = [Z > 0]


class LeakyReLU(_Activation):
    """A = Z if Z > 0 else negative_slope * Z;  dZ = dA * (1 or negative_slope)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        if not 0 <= negative_slope < 1:
            raise ValueError(f"LeakyReLU: negative_slope must be in [0, 1), got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def forward(self, Z: Array) -> Array:
        Z = self._input(Z)
        slope = np.where(Z > 0, 1, self.negative_slope).astype(Z.dtype)
        self._cache = slope
        return Z * slope

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        if not input_grad:
            return None
        return dA * self._cache                       # dZ = dA * g'(Z), g'(Z) = 1 or negative_slope

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"

    def config(self) -> dict:
        return {"negative_slope": self.negative_slope}


class Sigmoid(_Activation):
    """A = sigma(Z);  dZ = dA * A (1 - A)  (L10, L12)."""

    def forward(self, Z: Array) -> Array:
        A = F.sigmoid(self._input(Z))
        self._cache = A
        return A

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        if not input_grad:
            return None
        A = self._cache
        return dA * A * (1 - A)                       # sigma'(Z) = A (1 - A)


class Tanh(_Activation):
    """A = tanh(Z);  dZ = dA * (1 - A^2)  (L10)."""

    def forward(self, Z: Array) -> Array:
        A = np.tanh(self._input(Z))
        self._cache = A
        return A

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        if not input_grad:
            return None
        A = self._cache
        return dA * (1 - A * A)                       # tanh'(Z) = 1 - A^2


class Identity(_Activation):
    """A = Z (a no-op layer; the output activation of regression)."""

    def forward(self, Z: Array) -> Array:
        Z = self._input(Z)
        self._cache = True
        return Z

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        return dA if input_grad else None
