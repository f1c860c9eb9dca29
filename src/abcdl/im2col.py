"""im2col / col2im: convolution as one matrix product (L38).

A convolution slides a kh x kw window over every position of the (padded)
input.  ``im2col`` copies each window into one *column* of a matrix, so that
the whole layer becomes a single GEMM with the flattened filters::

    Z = W_2d @ col       W_2d: (F, C*kh*kw)   col: (C*kh*kw, N*OH*OW)   Z: (F, N*OH*OW)

and ``col2im`` is its adjoint: it adds every column back onto the pixels its
window came from (overlapping windows, stride < kernel, accumulate).

Layout (decision)
-----------------
"Deep Learning from Scratch" (common/util.py) builds the transpose,
col_DLFS = col^T of shape (N*OH*OW, C*kh*kw), and computes col_DLFS @ W_2d^T.
abcdl keeps the channel axis first instead, for three reasons:

* rows of ``col`` are ordered (c, i, j), exactly ``W.reshape(F, -1)``'s columns
  (PyTorch's weight layout), and columns (n, oh, ow);
* the product ``W_2d @ col`` is (F, N, OH, OW) in memory, i.e. the output is a
  transposed *view* (N, F, OH, OW) of channel-major memory: no copy to NCHW;
* filling ``col`` copies whole (OH, OW) image planes per kernel offset (long
  contiguous runs) instead of scattering kw-element snippets.

Conv2d, the pools and Flatten therefore pass activations around as (N, C, H, W)
arrays whose memory is (C, N, H, W) ("channel-major"); NumPy treats them like
any other array, and elementwise layers keep that memory order.

Everything is vectorised: the only Python loops run over the kh*kw kernel
offsets, never over examples or pixels.  Dtypes are preserved (float32 stays
float32).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._types import Array

__all__ = ["pair", "conv_output_size", "pad_channel_major", "window_slices", "im2col", "col2im"]

Pair = tuple[int, int]


def pair(value, name: str = "value", minimum: int = 1) -> Pair:
    """``value`` as an (h, w) pair of ints >= ``minimum``; an int means (value, value).

    Raises
    ------
    TypeError
        Not an int or a pair of ints.
    ValueError
        A member below ``minimum``.
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        out = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair (h, w) of ints, got {value!r}")
    if min(out) < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return out


def conv_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """OH = floor((H + 2P - kh) / S) + 1, the number of window positions along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def window_slices(kernel: Pair, stride: Pair, out_hw: Pair) -> Iterator[tuple[int, tuple[slice, slice]]]:
    """For each kernel offset (i, j), numbered k = i*kw + j, the strided slices of the padded input.

    ``xp[..., sh_k, sw_k]`` is the (OH, OW) plane holding, at output position
    (oh, ow), the input pixel xp[oh*S_h + i, ow*S_w + j] that meets weight (i, j).
    """
    (kh, kw), (sh, sw), (OH, OW) = kernel, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (slice(i, i + sh * (OH - 1) + 1, sh), slice(j, j + sw * (OW - 1) + 1, sw))


def pad_channel_major(x: Array, padding: Pair, value: float = 0.0) -> Array:
    """The input as channel-major (C, N, H + 2P_h, W + 2P_w), padded with ``value``.

    Without padding this is a view, ``x.transpose(1, 0, 2, 3)``; with padding a
    new C-contiguous array (the border filled with ``value``: 0 for convolution
    and average pooling, -inf for max pooling).
    """
    ph, pw = padding
    xc = x.transpose(1, 0, 2, 3)
    if ph == 0 and pw == 0:
        return xc
    C, N, H, W = xc.shape
    xp = np.full((C, N, H + 2 * ph, W + 2 * pw), value, dtype=x.dtype)
    xp[:, :, ph:ph + H, pw:pw + W] = xc
    return xp


def _geometry(x_shape, kernel_size, stride, padding) -> tuple[Pair, Pair, Pair, Pair]:
    kernel = pair(kernel_size, "kernel_size")
    strides = pair(stride, "stride")
    pads = pair(padding, "padding", minimum=0)
    if len(x_shape) != 4:
        raise ValueError(f"im2col: expected an input of shape (N, C, H, W), got {tuple(x_shape)}")
    H, W = x_shape[2], x_shape[3]
    out_hw = (conv_output_size(H, kernel[0], strides[0], pads[0]),
              conv_output_size(W, kernel[1], strides[1], pads[1]))
    if min(out_hw) < 1:
        raise ValueError(
            f"im2col: input of spatial size {H}x{W} with padding {pads} is smaller than the "
            f"kernel {kernel[0]}x{kernel[1]}"
        )
    return kernel, strides, pads, out_hw


def im2col(x: Array, kernel_size, stride=1, padding=0) -> Array:
    """Unfold every kh x kw window of ``x`` into a column (L38).

    Parameters
    ----------
    x : ndarray (N, C, H, W)
        Any memory layout; channel-major (a Conv2d/pool output) is the fastest.
    kernel_size, stride, padding : int or (h, w)
        Zero padding P on each side.

    Returns
    -------
    col : ndarray (C*kh*kw, N*OH*OW), C-contiguous, ``x``'s dtype
        col[(c, i, j), (n, oh, ow)] = xp[n, c, oh*S_h + i, ow*S_w + j], with xp
        the zero-padded input and OH = floor((H + 2P - kh)/S) + 1.

    Formula
    -------
    Z = W.reshape(F, -1) @ col  is the convolution (cross-correlation)
    Z[f, (n, oh, ow)] = sum_{c,i,j} W[f, c, i, j] xp[n, c, oh*S + i, ow*S + j].
    """
    (kh, kw), strides, pads, (OH, OW) = _geometry(x.shape, kernel_size, stride, padding)
    N, C = x.shape[0], x.shape[1]
    xp = pad_channel_major(x, pads)                                   # (C, N, Hp, Wp)
    # windows[c, n, oh, ow, i, j] = xp[c, n, oh*S_h + i, ow*S_w + j]  (a view, no copy)
    windows = sliding_window_view(xp, (kh, kw), axis=(2, 3))[:, :, ::strides[0], ::strides[1]]
    col = np.empty((C, kh, kw, N, OH, OW), dtype=x.dtype)
    np.copyto(col, windows.transpose(0, 4, 5, 1, 2, 3))               # the one copy: (c,i,j) x (n,oh,ow)
    return col.reshape(C * kh * kw, N * OH * OW)


def col2im(col: Array, x_shape: tuple[int, int, int, int], kernel_size, stride=1, padding=0) -> Array:
    """Fold columns back onto the input: the adjoint (transpose) of :func:`im2col` (L38).

    Every entry of ``col`` is added to the pixel its window took it from, so
    pixels shared by overlapping windows (stride < kernel) receive the sum of
    their contributions; the padding border is dropped.  This turns
    dcol = W_2d^T dZ into dX.

    Parameters
    ----------
    col : ndarray (C*kh*kw, N*OH*OW)
    x_shape : (N, C, H, W)
        The shape of the input that :func:`im2col` unfolded.

    Returns
    -------
    dx : ndarray (N, C, H, W), a view of channel-major memory, ``col``'s dtype.

    Formula
    -------
    dx[n, c, h, w] = sum over (i, j, oh, ow) with oh*S_h + i - P_h = h, ow*S_w + j - P_w = w
                     of col[(c, i, j), (n, oh, ow)]
    """
    (kh, kw), strides, (ph, pw), (OH, OW) = _geometry(x_shape, kernel_size, stride, padding)
    N, C, H, W = x_shape
    if col.shape != (C * kh * kw, N * OH * OW):
        raise ValueError(f"col2im: expected col of shape {(C * kh * kw, N * OH * OW)} for input "
                         f"{tuple(x_shape)}, got {col.shape}")
    cols = col.reshape(C, kh, kw, N, OH, OW)
    dxp = np.zeros((C, N, H + 2 * ph, W + 2 * pw), dtype=col.dtype)
    for k, (hs, ws) in window_slices((kh, kw), strides, (OH, OW)):
        dxp[:, :, hs, ws] += cols[:, k // kw, k % kw]                 # accumulate overlapping windows
    return dxp[:, :, ph:ph + H, pw:pw + W].transpose(1, 0, 2, 3)
