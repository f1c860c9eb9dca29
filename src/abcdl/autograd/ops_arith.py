"""Arithmetic with NumPy broadcasting: + - * / neg pow (L39).

Each class is one operation y = f(a, b): ``forward`` computes y with NumPy and
``backward`` applies the chain rule da = dy * dy/da, with the local derivative
written beside the line.  When NumPy broadcast an operand (b of shape (n,)
added to a of shape (m, n)), every copy of b contributed to y, so its gradient
is the sum over the copies: ``unbroadcast`` (sum_to) folds dy back to b's shape.
"""

from __future__ import annotations

import math

import numpy as np

from .function import Function
from .ops_math import exp
from .ops_shape import unbroadcast
from .tensor import Tensor, as_tensor

__all__ = ["add", "sub", "mul", "div", "neg", "pow", "rpow"]


def _binary(op: str, ufunc, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``ufunc(a, b)``, with an error that names the op and both shapes when they do not broadcast."""
    try:
        return ufunc(a, b)
    except ValueError:
        raise ValueError(f"{op}: operands of shapes {a.shape} and {b.shape} cannot be broadcast together "
                         f"(NumPy's rule: trailing axes must be equal or 1)") from None


class Add(Function):
    """y = a + b."""

    def forward(self, a, b):
        return _binary("add", np.add, a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy, a.shape) if a.requires_grad else None   # dy/da = 1
        gb = unbroadcast(gy, b.shape) if b.requires_grad else None   # dy/db = 1
        return ga, gb


class Sub(Function):
    """y = a - b."""

    def forward(self, a, b):
        return _binary("sub", np.subtract, a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy, a.shape) if a.requires_grad else None   # dy/da = 1
        gb = unbroadcast(-gy, b.shape) if b.requires_grad else None  # dy/db = -1
        return ga, gb


class Mul(Function):
    """y = a * b (elementwise)."""

    def forward(self, a, b):
        return _binary("mul", np.multiply, a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy * b, a.shape) if a.requires_grad else None   # dy/da = b
        gb = unbroadcast(gy * a, b.shape) if b.requires_grad else None   # dy/db = a
        return ga, gb


class Div(Function):
    """y = a / b (elementwise)."""

    def forward(self, a, b):
        return _binary("div", np.true_divide, a, b)

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy / b, a.shape) if a.requires_grad else None               # dy/da = 1/b
        gb = unbroadcast(-gy * a / (b * b), b.shape) if b.requires_grad else None    # dy/db = -a/b^2
        return ga, gb


class Neg(Function):
    """y = -x."""

    def forward(self, x):
        return np.negative(x)

    def backward(self, gy):
        return -gy                                      # dy/dx = -1


class Pow(Function):
    """y = x^c for a constant exponent c (the lecture's x^n)."""

    def __init__(self, c: float) -> None:
        self.c = c

    def forward(self, x):
        return x ** self.c

    def backward(self, gy):
        x, c = self.inputs[0], self.c
        return gy * c * x ** (c - 1)                    # dy/dx = c x^(c-1)


def _pair(a, b) -> tuple[Tensor, Tensor]:
    """Both operands as Tensors; a number takes the other operand's dtype (float32 stays float32)."""
    if isinstance(a, Tensor):
        return a, as_tensor(b, like=a)
    b = as_tensor(b)
    return as_tensor(a, like=b), b


def add(a, b) -> Tensor:
    """a + b with broadcasting."""
    return Add()(*_pair(a, b))


def sub(a, b) -> Tensor:
    """a - b with broadcasting."""
    return Sub()(*_pair(a, b))


def mul(a, b) -> Tensor:
    """a * b (elementwise) with broadcasting."""
    return Mul()(*_pair(a, b))


def div(a, b) -> Tensor:
    """a / b (elementwise) with broadcasting."""
    return Div()(*_pair(a, b))


def neg(x) -> Tensor:
    """-x."""
    return Neg()(x)


def pow(x, c) -> Tensor:
    """x^c for a number c.  For a tensor exponent write ``exp(c * log(x))`` (x > 0)."""
    if isinstance(c, Tensor) or not np.isscalar(c) or isinstance(c, (bool, np.bool_)):
        raise TypeError(f"pow: the exponent must be a number, got {type(c).__name__}; for a tensor "
                        f"exponent write exp(c * log(x)) (x > 0)")
    return Pow(c)(x)


def rpow(base, x) -> Tensor:
    """base^x for a number base > 0, as exp(x log(base))."""
    if not np.isscalar(base) or isinstance(base, (str, bytes)):
        raise TypeError(f"pow: the base must be a number or a Tensor, got {type(base).__name__}")
    if not base > 0:
        raise ValueError(f"pow: a number base must be positive (b^x = e^(x log b)), got {base!r}")
    return exp(x * math.log(base))
