"""Operations that move values without computing new ones: reshape, transpose, indexing, broadcasting (L39).

Their backward passes move the gradient back the same way: a reshape's
gradient is reshaped back, a transpose's is transposed back, an index's is
scattered back (adding where an index repeats), a broadcast's is summed back
(``sum_to``) and a sum's is broadcast back (``broadcast_to``): each pair is
its own adjoint, so every backward here is itself an op and can be
differentiated again.
"""

from __future__ import annotations

import numpy as np

from .function import Function
from .tensor import Tensor

__all__ = ["reshape", "transpose", "getitem", "broadcast_to", "sum_to", "concatenate",
           "sum_to_array", "unbroadcast"]


def sum_to_array(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``x`` down to ``shape``: the adjoint of broadcasting ``shape`` up to ``x.shape``.

    The axes NumPy added in front and the axes of length 1 in ``shape`` are
    summed in one call (no loop over elements).
    """
    shape = tuple(shape)
    lead = x.ndim - len(shape)
    if lead < 0 or any(s != 1 and s != n for s, n in zip(shape, x.shape[lead:], strict=True)):
        raise ValueError(f"sum_to: shape {x.shape} cannot be summed to {shape} (it does not broadcast "
                         f"to {x.shape})")
    kept = tuple(lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
    axes = tuple(range(lead)) + kept
    y = x.sum(axis=axes, keepdims=True) if axes else x
    return y.reshape(shape) if lead else y


class Reshape(Function):
    """y = x.reshape(shape);  dx = dy.reshape(x.shape)."""

    def __init__(self, shape) -> None:
        self.shape = shape

    def forward(self, x):
        try:
            return x.reshape(self.shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} (size {x.size}) into "
                             f"shape {self.shape}") from None

    def backward(self, gy):
        return reshape(gy, self.inputs[0].shape)        # dx = dy, back in x's shape


def reshape(x, shape) -> Tensor:
    """``x.reshape(shape)`` (``-1`` allowed); a view when NumPy can make one."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if isinstance(x, Tensor) and x.shape == shape:
        return x
    return Reshape(shape)(x)


class Transpose(Function):
    """y = x.transpose(axes);  dx = dy.transpose(axes^-1) (the inverse permutation)."""

    def __init__(self, axes) -> None:
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)                        # reversing twice is the identity
        return transpose(gy, tuple(np.argsort(self.axes)))


def transpose(x, axes=None) -> Tensor:
    """Permute the axes (reverse them when ``axes`` is None; ``x.T`` for a matrix)."""
    return Transpose(None if axes is None else tuple(int(a) for a in axes))(x)


def _index_array(index):
    """Tensors inside an index become their arrays."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def _is_basic(index) -> bool:
    """Only ints, slices, None and Ellipsis: every element is picked at most once."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


class GetItem(Function):
    """y = x[index];  dx = zeros_like(x) with dy added at [index] (repeated indices add up)."""

    def __init__(self, index) -> None:
        self.index = index

    def forward(self, x):
        return x[self.index]

    def backward(self, gy):
        return GetItemGrad(self.index, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """gx = scatter-add of gy into zeros of ``shape`` at ``index``; its own backward is gy = ggx[index]."""

    def __init__(self, index, shape) -> None:
        self.index = index
        self.shape = shape

    def forward(self, gy):
        gx = np.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy                         # each element picked once: plain assignment
        else:
            np.add.at(gx, self.index, gy)               # fancy index: x[i] used k times gets k terms
        return gx

    def backward(self, ggx):
        return getitem(ggx, self.index)


def getitem(x, index) -> Tensor:
    """``x[index]`` with NumPy's rules: basic slicing or fancy (integer/boolean array) indexing."""
    return GetItem(_index_array(index))(x)


class BroadcastTo(Function):
    """y = broadcast_to(x, shape);  dx = sum_to(dy, x.shape) (each copy's gradient adds up)."""

    def __init__(self, shape) -> None:
        self.shape = shape

    def forward(self, x):
        try:
            return np.broadcast_to(x, self.shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {self.shape}") from None

    def backward(self, gy):
        return sum_to(gy, self.inputs[0].shape)


def broadcast_to(x, shape) -> Tensor:
    """``np.broadcast_to(x, shape)`` (a read-only view); backward sums over the copies."""
    shape = tuple(shape)
    if isinstance(x, Tensor) and x.shape == shape:
        return x
    return BroadcastTo(shape)(x)


class SumTo(Function):
    """y = sum_to(x, shape), the adjoint of broadcasting;  dx = broadcast_to(dy, x.shape)."""

    def __init__(self, shape) -> None:
        self.shape = shape

    def forward(self, x):
        return sum_to_array(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.inputs[0].shape)


def sum_to(x, shape) -> Tensor:
    """Sum ``x`` down to ``shape`` (leading axes and the axes where ``shape`` has 1)."""
    shape = tuple(shape)
    if isinstance(x, Tensor) and x.shape == shape:
        return x
    return SumTo(shape)(x)


def unbroadcast(g: Tensor, shape: tuple[int, ...]) -> Tensor:
    """The gradient of an input that NumPy broadcast from ``shape``: sum_to(g, shape), free if equal."""
    return g if g.shape == shape else sum_to(g, shape)


class Concatenate(Function):
    """y = concatenate([x_1, ..., x_n], axis);  dx_i = the slice of dy that x_i filled."""

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, *xs):
        try:
            return np.concatenate(xs, axis=self.axis)
        except ValueError:
            raise ValueError(f"concatenate: shapes {[x.shape for x in xs]} do not match along every axis "
                             f"but axis {self.axis}") from None

    def backward(self, gy):
        axis = self.axis % gy.ndim
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            grads.append(getitem(gy, index) if x.requires_grad else None)
            start = stop
        return tuple(grads)


def concatenate(tensors, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (``np.concatenate``)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concatenate: needs at least one tensor")
    return Concatenate(int(axis))(*tensors)
