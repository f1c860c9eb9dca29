"""Reductions along axes: sum, mean, max (L39).

A reduction's output has fewer elements than its input; backward gives every
input element the gradient of the output element it fed: the sum's gradient is
dy broadcast back over the summed axes, the mean's is that divided by the count
n, and the max's goes to the elements that were the maximum.
"""

from __future__ import annotations

import math

import numpy as np

from .function import Function
from .ops_shape import broadcast_to, reshape
from .tensor import Tensor

__all__ = ["sum", "mean", "max"]


def _axes(axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a tuple) as a tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    # (this module's sum and max are the ops: no builtins below)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % ndim)
    return tuple(out)


def _kept_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape with keepdims=True: 1 on every reduced axis."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


class Sum(Function):
    """y = sum of x over ``axes``."""

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes = axes
        self.keepdims = keepdims

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        x_shape = self.inputs[0].shape
        if not self.keepdims:
            gy = reshape(gy, _kept_shape(x_shape, self.axes))
        return broadcast_to(gy, x_shape)               # dy/dx_i = 1 for every x_i in the sum


class Max(Function):
    """y = max of x over ``axes``.

    The gradient goes to the maximal elements; where several tie, they share it
    equally (``torch.amax``'s rule; max-pooling routes to the first instead).
    """

    def __init__(self, axes: tuple[int, ...], keepdims: bool) -> None:
        self.axes = axes
        self.keepdims = keepdims

    def forward(self, x):
        y = x.max(axis=self.axes, keepdims=True)
        winners = (x == y).astype(x.dtype)
        self.share = winners / winners.sum(axis=self.axes, keepdims=True)   # 1/k for each of k ties
        if self.keepdims:
            return y
        return y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in self.axes))

    def backward(self, gy):
        x_shape = self.inputs[0].shape
        if not self.keepdims:
            gy = reshape(gy, _kept_shape(x_shape, self.axes))
        return broadcast_to(gy, x_shape) * self.share  # dy/dx_i = [x_i is the max] (/ k on ties)


def sum(x, axis=None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (None: all; an int or a tuple of ints)."""
    nd = x.ndim if isinstance(x, Tensor) else np.ndim(x)
    return Sum(_axes(axis, nd), bool(keepdims))(x)


def mean(x, axis=None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``: sum(x) / n, with n the number of elements averaged."""
    x = x if isinstance(x, Tensor) else Tensor(x)
    axes = _axes(axis, x.ndim)
    n = math.prod(x.shape[a] for a in axes)
    return sum(x, axes, keepdims) / n                   # mu = (1/n) sum x


def max(x, axis=None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis``; ties share the gradient equally."""
    nd = x.ndim if isinstance(x, Tensor) else np.ndim(x)
    axes = _axes(axis, nd)
    if isinstance(x, Tensor) and x.size == 0:
        raise ValueError(f"max: the tensor of shape {x.shape} is empty")
    return Max(axes, bool(keepdims))(x)
