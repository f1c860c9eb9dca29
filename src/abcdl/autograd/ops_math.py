"""Elementwise functions: exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs (L10, L12, L39).

Each backward is dx = dy * f'(x) with f'(x) written beside it, using Tensor
operations, so that f'(x) itself can be differentiated (the third derivative of
tanh is three backward passes through ``Tanh``).  Where f'(x) is simplest in
terms of the output y (exp, tanh, sigmoid, sqrt) the op keeps its output.
"""

from __future__ import annotations

import numpy as np

from .function import Function
from .tensor import Tensor

__all__ = ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs"]


class Exp(Function):
    """y = e^x."""

    keeps_output = True

    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        return gy * self.output()                       # dy/dx = e^x = y


class Log(Function):
    """y = log x (natural logarithm)."""

    def forward(self, x):
        return np.log(x)

    def backward(self, gy):
        return gy / self.inputs[0]                      # dy/dx = 1/x


class Sqrt(Function):
    """y = sqrt(x)."""

    keeps_output = True

    def forward(self, x):
        return np.sqrt(x)

    def backward(self, gy):
        return gy / (2 * self.output())                 # dy/dx = 1 / (2 sqrt(x)) = 1 / (2y)


class Sin(Function):
    """y = sin x."""

    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        return gy * cos(self.inputs[0])                 # dy/dx = cos x


class Cos(Function):
    """y = cos x."""

    def forward(self, x):
        return np.cos(x)

    def backward(self, gy):
        return gy * -sin(self.inputs[0])                # dy/dx = -sin x


class Tanh(Function):
    """y = tanh x."""

    keeps_output = True

    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy):
        y = self.output()
        return gy * (1 - y * y)                         # dy/dx = 1 - tanh^2 x = 1 - y^2


class Sigmoid(Function):
    """y = sigma(x) = 1 / (1 + e^-x), computed without overflow."""

    keeps_output = True

    def forward(self, x):
        with np.errstate(under="ignore"):
            e = np.exp(-np.abs(x))                      # e^-|x| <= 1 never overflows
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)

    def backward(self, gy):
        y = self.output()
        return gy * y * (1 - y)                         # dy/dx = sigma(x) (1 - sigma(x)) = y (1 - y)


class ReLU(Function):
    """y = max(0, x), with ReLU'(0) = 0 as in every abcdl layer."""

    def forward(self, x):
        self.mask = (x > 0).astype(x.dtype)             # g'(x) = [x > 0] as 0/1 values
        return x * self.mask                            # y = x [x > 0] = max(0, x)

    def backward(self, gy):
        return gy * self.mask                           # dy/dx = [x > 0] (a constant: d2y/dx2 = 0)


class Abs(Function):
    """y = |x|, with sign(0) = 0 as NumPy and PyTorch take it."""

    def forward(self, x):
        self.sign = np.sign(x)
        return np.abs(x)

    def backward(self, gy):
        return gy * self.sign                           # dy/dx = sign(x) (a constant: d2y/dx2 = 0)


def exp(x) -> Tensor:
    """e^x, elementwise."""
    return Exp()(x)


def log(x) -> Tensor:
    """The natural logarithm, elementwise."""
    return Log()(x)


def sqrt(x) -> Tensor:
    """The square root, elementwise."""
    return Sqrt()(x)


def sin(x) -> Tensor:
    """sin x, elementwise."""
    return Sin()(x)


def cos(x) -> Tensor:
    """cos x, elementwise."""
    return Cos()(x)


def tanh(x) -> Tensor:
    """tanh x, elementwise."""
    return Tanh()(x)


def sigmoid(x) -> Tensor:
    """The logistic sigmoid 1 / (1 + e^-x), elementwise."""
    return Sigmoid()(x)


def relu(x) -> Tensor:
    """max(0, x), elementwise."""
    return ReLU()(x)


def abs(x) -> Tensor:
    """|x|, elementwise (e.g. the stable softplus(z) = relu(z) + log(1 + e^-|z|))."""
    return Abs()(x)
