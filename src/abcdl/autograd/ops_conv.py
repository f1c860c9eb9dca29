"""Convolution and max pooling built on ``abcdl.im2col`` (L38, L39).

Two linear ops carry the geometry: ``Im2col`` unfolds every window into a
column and ``Col2im`` folds columns back (adding where windows overlap).  Each
is the other's adjoint, so each one's backward is the other: that is the whole
backward pass of a convolution's input.  The rest is composition:

    conv2d:      col = im2col(X);  Z = W_2d col + b;  reshape to (m, F, OH, OW)
    max_pool2d:  col = im2col(X padded with -inf);  A = the largest entry of each window

Layout and names follow ``abcdl.layers.Conv2d`` / ``MaxPool2d``: NCHW
inputs, W of shape (F, C, kh, kw), ``stride`` and zero ``padding`` as an int or
an (h, w) pair.
"""

from __future__ import annotations

import numpy as np

from ..im2col import col2im as _col2im
from ..im2col import conv_output_size, pad_channel_major, pair
from ..im2col import im2col as _im2col
from .function import Function
from .ops_shape import reshape, transpose
from .tensor import Tensor, as_tensor

__all__ = ["im2col", "col2im", "conv2d", "max_pool2d"]


class Im2col(Function):
    """col = im2col(x): col[(c, i, j), (n, oh, ow)] = xp[n, c, oh S + i, ow S + j] (xp: x padded)."""

    def __init__(self, kernel, stride, padding, pad_value: float = 0.0) -> None:
        self.kernel, self.stride, self.padding, self.pad_value = kernel, stride, padding, pad_value

    def forward(self, x):
        if self.pad_value == 0 or self.padding == (0, 0):
            return _im2col(x, self.kernel, self.stride, self.padding)
        xp = pad_channel_major(x, self.padding, self.pad_value).transpose(1, 0, 2, 3)
        return _im2col(xp, self.kernel, self.stride, 0)

    def backward(self, gcol):
        # im2col is linear in x (the padding value is a constant): dx = im2col^T(dcol) = col2im(dcol)
        return Col2im(self.inputs[0].shape, self.kernel, self.stride, self.padding)(gcol)


class Col2im(Function):
    """x = col2im(col): every column entry added back onto the pixel its window took it from."""

    def __init__(self, x_shape, kernel, stride, padding) -> None:
        self.x_shape, self.kernel, self.stride, self.padding = x_shape, kernel, stride, padding

    def forward(self, col):
        return _col2im(col, self.x_shape, self.kernel, self.stride, self.padding)

    def backward(self, gx):
        return Im2col(self.kernel, self.stride, self.padding)(gx)   # dcol = col2im^T(dx) = im2col(dx)


def _geometry(what: str, x: Tensor, kernel, stride, padding):
    if x.ndim != 4:
        raise ValueError(f"{what}: expected an input of shape (m, C, H, W), got {x.shape}")
    kernel, stride, padding = pair(kernel, "kernel_size"), pair(stride, "stride"), \
        pair(padding, "padding", minimum=0)
    H, W = x.shape[2:]
    OH = conv_output_size(H, kernel[0], stride[0], padding[0])
    OW = conv_output_size(W, kernel[1], stride[1], padding[1])
    if OH < 1 or OW < 1:
        raise ValueError(f"{what}: input of spatial size {H}x{W} (padding {padding}) is smaller than the "
                         f"kernel {kernel}; got input {x.shape}")
    return kernel, stride, padding, OH, OW


def im2col(x, kernel_size, stride=1, padding=0) -> Tensor:
    """The windows of ``x`` (m, C, H, W) as columns (C*kh*kw, m*OH*OW); see :func:`abcdl.im2col.im2col`."""
    x = as_tensor(x)
    kernel, stride, padding, _, _ = _geometry("im2col", x, kernel_size, stride, padding)
    return Im2col(kernel, stride, padding)(x)


def col2im(col, x_shape, kernel_size, stride=1, padding=0) -> Tensor:
    """Fold columns back onto an input of ``x_shape``; the adjoint of :func:`im2col`."""
    kernel, stride, padding = pair(kernel_size, "kernel_size"), pair(stride, "stride"), \
        pair(padding, "padding", minimum=0)
    return Col2im(tuple(x_shape), kernel, stride, padding)(col)


def conv2d(x, W, b=None, stride=1, padding=0) -> Tensor:
    """2-D convolution (cross-correlation) as im2col and one matrix product (L38).

    Shapes
    ------
    x: (m, C, H, W),  W: (F, C, kh, kw),  b: (F,)  ->  Z: (m, F, OH, OW),
    OH = floor((H + 2P_h - kh) / S_h) + 1 (the same for OW).

    Formula
    -------
    col = im2col(X)          (C kh kw, m OH OW)
    Z   = W_2d col + b       W_2d = W.reshape(F, C kh kw)
    The engine finds dW = dZ col^T, db = sum of dZ, dX = col2im(W_2d^T dZ), as ``layers.Conv2d``.
    """
    x, W = as_tensor(x), as_tensor(W)
    if W.ndim != 4 or x.ndim != 4 or x.shape[1] != W.shape[1]:
        raise ValueError(f"conv2d: input of shape {x.shape} does not match W of shape {W.shape} (expected "
                         f"x (m, C, H, W) and W (F, C, kh, kw) with the same C)")
    F = W.shape[0]
    kernel, stride, padding, OH, OW = _geometry("conv2d", x, W.shape[2:], stride, padding)
    col = Im2col(kernel, stride, padding)(x)                    # col = im2col(X)   (C kh kw, m OH OW)
    Z = reshape(W, (F, -1)) @ col                               # Z = W_2d col      (F, m OH OW)
    if b is not None:
        Z = Z + reshape(b, (F, 1))                              #     + b
    return transpose(reshape(Z, (F, x.shape[0], OH, OW)), (1, 0, 2, 3))   # (m, F, OH, OW)


def max_pool2d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Max pooling over kh x kw windows (L38), as ``layers.MaxPool2d``.

    The gradient goes to each window's largest entry (the first one on ties, as
    in PyTorch).  Padding is -inf, at most half the kernel.

    Shapes
    ------
    x: (m, C, H, W) -> (m, C, OH, OW)

    Formula
    -------
    col = im2col(X padded with -inf) viewed as (C, kh kw, m OH OW)
    k*  = argmax over the window axis,   A = col[c, k*, l]  (a gather: backward scatters dA to k*)
    """
    x = as_tensor(x)
    stride = kernel_size if stride is None else stride
    kernel, stride, padding, OH, OW = _geometry("max_pool2d", x, kernel_size, stride, padding)
    if 2 * padding[0] > kernel[0] or 2 * padding[1] > kernel[1]:
        raise ValueError(f"max_pool2d: padding {padding} must be at most half the kernel size {kernel}")
    m, C = x.shape[:2]
    K, L = kernel[0] * kernel[1], m * OH * OW
    col = reshape(Im2col(kernel, stride, padding, -np.inf)(x), (C, K, L))
    win = col.data.argmax(axis=1)                               # k*: the winner of each window
    A = col[np.arange(C)[:, None], win, np.arange(L)]           # A = max over the window  (C, m OH OW)
    return transpose(reshape(A, (C, m, OH, OW)), (1, 0, 2, 3))  # (m, C, OH, OW)
