"""Max and average pooling (L38).

Both loop only over the kh*kw window offsets: offset (i, j) contributes the
strided plane xp[:, :, i::S_h, j::S_w] (see :func:`abcdl.im2col.window_slices`),
so each step is one vectorised operation over the whole batch.  Outputs are
views of channel-major memory (C, m, OH, OW), like Conv2d's.

Max pools whose windows tile the input exactly (kernel == stride, no padding,
the book's 2x2 pools) run the same loop on contiguous copies of the planes
(:mod:`abcdl.layers._pool_fast`, tested bit for bit equal to the lines below);
``MaxPool2d.fast = False`` switches it off.
"""

from __future__ import annotations

import numpy as np

from .._types import Array
from ..im2col import conv_output_size, pad_channel_major, pair, window_slices
from ..module import Module
from . import _pool_fast
from ._checks import check_input, need_forward
from .conv import _spec


class _Pool2d(Module):
    """Shared geometry, validation and config of the 2-D pools."""

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = pair(kernel_size, f"{name}: kernel_size")
        self.stride = self.kernel_size if stride is None else pair(stride, f"{name}: stride")
        self.padding = pair(padding, f"{name}: padding", minimum=0)
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size, strict=True)):
            raise ValueError(f"{name}: padding {self.padding} must be at most half the kernel size "
                             f"{self.kernel_size}")
        self._cache = None

    def _geometry(self, X: Array) -> tuple[Array, tuple[int, int, int, int]]:
        X = check_input(self, X, 4, expect="(m, C, H, W)")
        m, C, H, W = X.shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
        if OH < 1 or OW < 1:
            raise ValueError(f"{self._where()}: input of spatial size {H}x{W} (padding {self.padding}) "
                             f"is smaller than the kernel {self.kernel_size}; got input {X.shape}")
        return X, (m, C, OH, OW)

    def _check_dout(self, dout: Array, out_shape) -> Array:
        if dout.shape != out_shape:
            raise ValueError(f"{self._where()}: backward expected a gradient of shape {out_shape}, "
                             f"got {dout.shape}")
        # Channel-major like every array below: mixing memory layouts in one ufunc is slow.
        return np.ascontiguousarray(dout.transpose(1, 0, 2, 3))           # (C, m, OH, OW)

    def _overlap(self) -> bool:
        return self.stride[0] < self.kernel_size[0] or self.stride[1] < self.kernel_size[1]

    def extra_repr(self) -> str:
        return (f"kernel_size={_spec(self.kernel_size)}, stride={_spec(self.stride)}, "
                f"padding={_spec(self.padding)}")

    def config(self) -> dict:
        return {"kernel_size": _spec(self.kernel_size), "stride": _spec(self.stride),
                "padding": _spec(self.padding)}


def running_max(planes, A: Array, arg: Array) -> None:
    """A = max_k x_k over the window planes x_k = planes[k], and arg = the first k that attains it (L38).

    The loop of MaxPool2d.forward, shared with its fast path (:mod:`abcdl.layers._pool_fast`),
    which hands it contiguous copies of the same planes.  Ties go to the first offset, as in PyTorch.
    """
    A[...] = planes[0]                                                   # k = 0: A = x_0, arg = 0
    arg[...] = 0
    greater = np.empty(A.shape, dtype=bool)
    tmp = np.empty_like(arg)
    for k in range(1, len(planes)):
        plane = planes[k]
        np.greater(plane, A, out=greater)                                # a strictly larger value ...
        np.maximum(A, plane, out=A)                                      # A = max(A, x_k)
        np.multiply(greater, tmp.dtype.type(k), out=tmp)                 # ... moves the winner to k;
        np.maximum(arg, tmp, out=arg)                                    # k grows, so max keeps the last move


class MaxPool2d(_Pool2d):
    """Max pooling over kh x kw windows (L38); PyTorch's ``nn.MaxPool2d`` without dilation.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
    stride : int or (S_h, S_w), optional
        Default: ``kernel_size`` (non-overlapping windows).
    padding : int or (P_h, P_w), default 0
        Implicit -inf padding on each side, at most half the kernel.

    Shapes
    ------
    X: (m, C, H, W) -> A: (m, C, OH, OW),  OH = floor((H + 2P_h - kh) / S_h) + 1.

    Formula
    -------
    forward   A[n, c, oh, ow] = max_{i,j} X[n, c, oh*S_h + i, ow*S_w + j]
              (the winner's offset k = i*kw + j is kept; ties go to the first, as in PyTorch)
    backward  dX = dA routed to each window's winner, summed where windows overlap

    Windows that tile the input exactly (kernel == stride, no padding, H and W
    multiples of the kernel) run the loop below on contiguous copies of the planes
    (:mod:`abcdl.layers._pool_fast`: the same numbers, bit for bit; float32 2x2
    windows also backward: the ConvNets' pools 1.5-2.2x faster forward, 1.0-1.4x
    backward); set the class or instance attribute ``fast = False`` to run the
    lines below for every input.
    """

    #: Route exactly tiling windows through the tested fast path (abcdl.layers._pool_fast).
    fast = True

    def forward(self, X: Array) -> Array:
        X, out_shape = self._geometry(X)
        m, C, OH, OW = out_shape
        kh, kw = self.kernel_size
        if self.fast and _pool_fast.supports(self.kernel_size, self.stride, self.padding, *X.shape[2:]):
            A, arg = _pool_fast.maxpool2d_forward(X.transpose(1, 0, 2, 3), self.kernel_size, running_max)
            self._cache = (arg, X.shape, out_shape)                      # the loop's cache: same backward
            return A.transpose(1, 0, 2, 3)
        xp = pad_channel_major(X, self.padding, -np.inf)                 # (C, m, Hp, Wp)
        A = np.empty((C, m, OH, OW), dtype=X.dtype)
        arg = np.empty((C, m, OH, OW), dtype=np.uint8 if kh * kw <= 256 else np.int32)
        planes = [xp[:, :, hs, ws] for _, (hs, ws) in window_slices(self.kernel_size, self.stride, (OH, OW))]
        running_max(planes, A, arg)                                      # x_k: the k-th window offset
        self._cache = (arg, X.shape, out_shape)
        return A.transpose(1, 0, 2, 3)

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        if not input_grad:
            return None
        arg, x_shape, out_shape = self._cache
        dAc = self._check_dout(dA, out_shape)
        m, C, H, W = x_shape
        if self.fast and _pool_fast.supports_2x2_backward(dAc, arg, self.kernel_size, self.stride,
                                                          self.padding, (H, W)):
            return _pool_fast.maxpool2x2_backward(dAc, arg).transpose(1, 0, 2, 3)   # the same dX
        (ph, pw) = self.padding
        OH, OW = out_shape[2:]
        overlap = self._overlap()
        (kh, kw), (sh, sw) = self.kernel_size, self.stride
        tiles = (kh, kw) == (sh, sw) and (H + 2 * ph, W + 2 * pw) == (OH * kh, OW * kw)
        # Windows that tile the input exactly write every pixel once below; otherwise start from 0.
        dxp = (np.empty if tiles else np.zeros)((C, m, H + 2 * ph, W + 2 * pw), dtype=dA.dtype)
        won = np.empty(arg.shape, dtype=bool)
        for k, (hs, ws) in window_slices(self.kernel_size, self.stride, (OH, OW)):
            np.equal(arg, k, out=won)                                    # windows whose max sat at offset k
            if overlap:
                dxp[:, :, hs, ws] += dAc * won                           # dX += dA [x_k is the max]
            else:
                np.multiply(dAc, won, out=dxp[:, :, hs, ws])             # dX = dA [x_k is the max]
        return dxp[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)


class AvgPool2d(_Pool2d):
    """Average pooling over kh x kw windows (L38); PyTorch's ``nn.AvgPool2d`` defaults.

    Zero padding counts in the average (PyTorch's ``count_include_pad=True``):
    every window divides by kh*kw.

    Parameters
    ----------
    kernel_size : int or (kh, kw)
    stride : int or (S_h, S_w), optional
        Default: ``kernel_size``.
    padding : int or (P_h, P_w), default 0
        Zero padding on each side, at most half the kernel.

    Formula
    -------
    forward   A[n, c, oh, ow] = (1 / (kh kw)) sum_{i,j} Xp[n, c, oh*S_h + i, ow*S_w + j]
    backward  dX[n, c, h, w] = (1 / (kh kw)) sum of dA over the windows that contain (h, w)
    """

    def forward(self, X: Array) -> Array:
        X, out_shape = self._geometry(X)
        m, C, OH, OW = out_shape
        kh, kw = self.kernel_size
        xp = pad_channel_major(X, self.padding, 0.0)
        A = np.zeros((C, m, OH, OW), dtype=X.dtype)
        for _, (hs, ws) in window_slices(self.kernel_size, self.stride, (OH, OW)):
            A += xp[:, :, hs, ws]                                        # sum_{i,j} x_k
        A *= 1.0 / (kh * kw)                                             # / (kh kw)
        self._cache = (X.shape, out_shape)
        return A.transpose(1, 0, 2, 3)

    def backward(self, dA: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        if not input_grad:
            return None
        x_shape, out_shape = self._cache
        dAc = self._check_dout(dA, out_shape)
        m, C, H, W = x_shape
        (kh, kw), (ph, pw) = self.kernel_size, self.padding
        share = dAc * (1.0 / (kh * kw))                                  # each input gets dA / (kh kw)
        dxp = np.zeros((C, m, H + 2 * ph, W + 2 * pw), dtype=share.dtype)
        for _, (hs, ws) in window_slices(self.kernel_size, self.stride, out_shape[2:]):
            dxp[:, :, hs, ws] += share
        return dxp[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)
