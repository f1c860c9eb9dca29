"""2-D convolution via im2col (L38).

``Conv2d.forward``/``backward`` below are the lecture's lines: one im2col, one
GEMM.  Stride-1 convolutions of more than one input channel (all but the first
of the book's) run the same computation through :mod:`abcdl.layers._conv_fast`
(row-run im2col in cache-sized batch chunks, dX as a transposed convolution),
tested equal to these lines; ``Conv2d.fast = False`` switches it off.
"""

from __future__ import annotations

import numpy as np

from .. import init as _init
from .._checks import check_positive_int
from .._config import resolve_dtype
from .._types import Array, Rng
from ..im2col import col2im, conv_output_size, im2col, pair
from ..module import Module
from ..parameter import Parameter
from . import _conv_fast
from ._checks import check_input, need_forward


def _spec(value):
    """A pair as config() writes it: an int when square, else [h, w] (JSON-able)."""
    return value[0] if value[0] == value[1] else [value[0], value[1]]


class Conv2d(Module):
    """2-D convolution (cross-correlation, as in every DL library) computed with im2col (L38).

    Parameters
    ----------
    in_channels, out_channels : int
        C and F, the number of input and output channels (filters).
    kernel_size : int or (kh, kw)
    stride : int or (S_h, S_w), default 1
    padding : int or (P_h, P_w), default 0
        Zero padding added to each side.
    bias : bool
        Whether to learn b.
    init : "he" | "xavier" | "he_uniform" | "xavier_uniform" | float
        Weight initialisation (L28) with fan-in C*kh*kw; b starts at 0.
    rng : np.random.Generator, optional
        Source of the initial weights (default: the generator of ``abcdl.seed``).
    dtype : float32 | float64, optional
        Default: ``abcdl.get_default_dtype()``.

    Attributes
    ----------
    W : Parameter (F, C, kh, kw)
        The filters; the layout of PyTorch's ``nn.Conv2d.weight``.
    b : Parameter (F,) or None
        PyTorch's ``bias``.

    Shapes
    ------
    X: (m, C, H, W) -> Z: (m, F, OH, OW),  OH = floor((H + 2P_h - kh) / S_h) + 1 (same for OW).
    The output is a view of channel-major memory (F, m, OH, OW); see :mod:`abcdl.im2col`.

    Formula
    -------
    forward   col = im2col(X)                  (C*kh*kw, m*OH*OW)
              Z   = W_2d col + b               W_2d = W.reshape(F, C*kh*kw): one GEMM
    backward  dW  = dZ_2d col^T,  db = sum over (m, OH, OW) of dZ
              dcol = W_2d^T dZ_2d,  dX = col2im(dcol)   (overlapping windows add up)

    Stride-1 layers with C > 1 compute these formulas through :mod:`abcdl.layers._conv_fast`
    (the same numbers up to rounding; DeepConvNet's 28x28 and 14x14 layers 1.6-1.8x faster,
    its training memory a quarter); set the class or instance attribute ``fast = False``
    to run the lines below for every layer.
    """

    #: Route stride-1 convolutions through the tested fast path (abcdl.layers._conv_fast).
    fast = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 bias: bool = True, init="he", rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "Conv2d: in_channels")
        self.out_channels = check_positive_int(out_channels, "Conv2d: out_channels")
        self.kernel_size = pair(kernel_size, "Conv2d: kernel_size")
        self.stride = pair(stride, "Conv2d: stride")
        self.padding = pair(padding, "Conv2d: padding", minimum=0)
        self.init = init
        dt = resolve_dtype(dtype)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.W = Parameter(_init.initializer(init, shape, rng, dt))
        self.b = Parameter(np.zeros(self.out_channels, dtype=dt)) if bias else None
        self._cache = None

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int, int]:
        """(m, F, OH, OW) for an input of shape (m, C, H, W)."""
        m, _, H, W = input_shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        return (m, self.out_channels, conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw))

    def forward(self, X: Array) -> Array:
        X = check_input(self, X, 4, self.in_channels, f"(m, {self.in_channels}, H, W)")
        out_shape = self.output_shape(X.shape)
        if min(out_shape[2:]) < 1:
            raise ValueError(
                f"{self._where()}: input of spatial size {X.shape[2]}x{X.shape[3]} (padding "
                f"{self.padding}) is smaller than the kernel {self.kernel_size}; got input {X.shape}"
            )
        m, F, OH, OW = out_shape
        b = None if self.b is None else self.b.data
        if self.fast and _conv_fast.supports(self.in_channels, self.kernel_size, self.stride, self.padding):
            Z, cache = _conv_fast.conv2d_forward(X, self.W.data, b, self.padding)
            self._cache = (None, cache, out_shape)                     # no col: the fast path ran
            return Z
        col = im2col(X, self.kernel_size, self.stride, self.padding)   # (C kh kw, m OH OW)
        Z = self.W.data.reshape(F, -1) @ col                             # Z = W_2d col    (F, m OH OW)
        if self.b is not None:
            Z += b[:, None]                                              #     + b
        self._cache = (col, X.shape, out_shape)
        return Z.reshape(F, m, OH, OW).transpose(1, 0, 2, 3)             # (m, F, OH, OW) view

    def backward(self, dZ: Array, input_grad: bool = True) -> Array | None:
        """Accumulate dW, db and return dX (``None`` when ``input_grad=False``).

        The first layer of a network need not compute dX (nothing learns from the
        data's gradient): skipping it saves a GEMM and the col2im scatter.
        """
        need_forward(self, self._cache)
        col, x_shape, out_shape = self._cache          # (None, the fast path's cache, ...) after it ran
        if dZ.shape != out_shape:
            raise ValueError(f"{self._where()}: backward expected dZ of shape {out_shape}, got {dZ.shape}")
        if col is None:
            return self._backward_fast(dZ, x_shape, input_grad)
        F = self.out_channels
        dZ2 = dZ.transpose(1, 0, 2, 3).reshape(F, -1)                   # (F, m OH OW); free if channel-major
        W2 = self.W.data.reshape(F, -1)
        if self.fast:                                                    # the same sum, example by example
            self.W.grad += _conv_fast.weight_grad_by_example(dZ2, col, x_shape[0]).reshape(self.W.shape)
        else:
            self.W.grad += (dZ2 @ col.T).reshape(self.W.shape)          # dW = dZ col^T
        if self.b is not None:
            self.b.grad += dZ2.sum(axis=1)                              # db = sum over m, OH, OW of dZ
        if not input_grad:
            return None
        dcol = W2.T @ dZ2                                                # dcol = W_2d^T dZ
        return col2im(dcol, x_shape, self.kernel_size, self.stride, self.padding)  # dX = col2im(dcol)

    def _backward_fast(self, dZ: Array, cache: tuple, input_grad: bool) -> Array | None:
        """The same dW, db, dX as :meth:`backward`'s lines, from :mod:`abcdl.layers._conv_fast`."""
        dW, db, dX = _conv_fast.conv2d_backward(dZ, cache, self.W.data, input_grad)
        self.W.grad += dW
        if self.b is not None:
            self.b.grad += db
        return dX

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={_spec(self.kernel_size)}, "
             f"stride={_spec(self.stride)}")
        if self.padding != (0, 0):
            s += f", padding={_spec(self.padding)}"
        if self.b is None:
            s += ", bias=False"
        return s

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        cfg = {"in_channels": self.in_channels, "out_channels": self.out_channels,
               "kernel_size": _spec(self.kernel_size), "stride": _spec(self.stride),
               "padding": _spec(self.padding), "bias": self.b is not None}
        if isinstance(self.init, (str, int, float)) and not isinstance(self.init, bool):
            cfg["init"] = self.init
        return cfg
