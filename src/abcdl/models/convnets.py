"""Convolutional networks for MNIST-sized images (L38): the book's SimpleConvNet and DeepConvNet."""

from __future__ import annotations

from collections.abc import Sequence

from .._checks import check_positive_int
from .._config import get_rng
from .._types import Rng
from ..im2col import conv_output_size
from ..layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU
from .sequential import Sequential


def _check_input_shape(input_shape) -> tuple[int, int, int]:
    if len(tuple(input_shape)) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {input_shape!r}")
    C, H, W = (check_positive_int(v, f"input_shape {tuple(input_shape)!r}: {axis}")
               for v, axis in zip(input_shape, "CHW", strict=True))
    return C, H, W


def _pooled(hw: tuple[int, int], size: int = 2) -> tuple[int, int]:
    return conv_output_size(hw[0], size, size), conv_output_size(hw[1], size, size)


def convnet(input_shape: tuple[int, int, int] = (1, 28, 28), num_classes: int = 10, filters: int = 30,
            kernel_size=5, hidden: int = 100, init="he", rng: Rng | None = None,
            dtype=None) -> Sequential:
    """The SimpleConvNet of "Deep Learning from Scratch" ch. 7 (L38).

    conv(filters x kernel_size, stride 1, no padding) - ReLU - maxpool 2x2 -
    flatten - affine(hidden) - ReLU - affine(num_classes); the output is logits
    for :class:`abcdl.losses.SoftmaxCrossEntropyLoss`.

    With the defaults, (m, 1, 28, 28) -> conv (m, 30, 24, 24) -> pool (m, 30, 12, 12)
    -> flatten (m, 4320) -> (m, 100) -> (m, 10).

    Parameters
    ----------
    input_shape : (C, H, W)
    num_classes : int
    filters : int
        Number of convolution filters F.
    kernel_size : int or (kh, kw)
    hidden : int
        Width of the hidden affine layer.
    init : str or float
        Weight initialisation of every layer (L28; He suits the ReLUs; the
        book draws N(0, 0.01^2), which is ``init=0.01``).
    rng : np.random.Generator, optional
    dtype : float32 | float64, optional
    """
    C, H, W = _check_input_shape(input_shape)
    rng = get_rng(rng)
    conv = Conv2d(C, filters, kernel_size, init=init, rng=rng, dtype=dtype)
    _, F, OH, OW = conv.output_shape((1, C, H, W))
    if min(OH, OW) < 2:
        raise ValueError(f"convnet: input {input_shape} is too small for a {conv.kernel_size} kernel "
                         f"followed by 2x2 pooling")
    PH, PW = _pooled((OH, OW))
    return Sequential(
        conv, ReLU(), MaxPool2d(2, stride=2), Flatten(),
        Linear(F * PH * PW, hidden, init=init, rng=rng, dtype=dtype), ReLU(),
        Linear(hidden, num_classes, init=init, rng=rng, dtype=dtype),
    )


# "Deep Learning from Scratch" ch. 8 (deep_convnet.py): six 3x3 convolutions; the
# fourth pads by 2, which turns 14x14 into 16x16 so that two more poolings give 4x4.
_BOOK_PADDING = (1, 1, 1, 2, 1, 1)


def deep_convnet(input_shape: tuple[int, int, int] = (1, 28, 28), num_classes: int = 10,
                 filters: Sequence[int] = (16, 16, 32, 32, 64, 64), hidden: int = 50,
                 dropout: float = 0.5, final_dropout: bool = True, rng: Rng | None = None,
                 dtype=None) -> Sequential:
    """The DeepConvNet of "Deep Learning from Scratch" ch. 8 (L38): about 99.4% on MNIST in the book.

    Three blocks of conv3x3 - ReLU - conv3x3 - ReLU - maxpool 2x2 (16, 32 and 64
    filters; padding 1, the block-2 second conv padding 2 as in the book), then
    affine(hidden) - ReLU - dropout - affine(num_classes) - dropout.  He
    initialisation throughout (L28).

    The book also drops out the *output* logits (``final_dropout=True``, active
    only in training mode, so predictions are unaffected); pass
    ``final_dropout=False`` for the usual architecture.

    Shapes (defaults)
    -----------------
    (m, 1, 28, 28) -> (m, 16, 14, 14) -> (m, 32, 8, 8) -> (m, 64, 4, 4) -> (m, 1024) -> (m, 50) -> (m, 10)

    Parameters
    ----------
    input_shape : (C, H, W)
    num_classes : int
    filters : six ints
        Filters of the six convolutions.
    hidden : int
        Width of the hidden affine layer.
    dropout : float in [0, 1)
        Drop probability of both dropout layers (keep_prob = 1 - p).
    final_dropout : bool
        Keep the book's dropout after the output layer.
    rng : np.random.Generator, optional
    dtype : float32 | float64, optional
    """
    C, H, W = _check_input_shape(input_shape)
    if len(filters) != 6:
        raise ValueError(f"deep_convnet: filters must be six channel counts, got {filters}")
    filters = [check_positive_int(f, f"deep_convnet: filters[{i}]") for i, f in enumerate(filters)]
    if not 0 <= dropout < 1:
        raise ValueError(f"deep_convnet: dropout must be in [0, 1), got {dropout}")
    rng = get_rng(rng)
    layers = []
    channels, hw = C, (H, W)
    for k, (f, pad) in enumerate(zip(filters, _BOOK_PADDING, strict=True)):
        conv = Conv2d(channels, f, 3, padding=pad, init="he", rng=rng, dtype=dtype)
        hw = conv.output_shape((1, channels, *hw))[2:]
        layers += [conv, ReLU()]
        channels = f
        if k % 2 == 1:
            if min(hw) < 2:
                raise ValueError(f"deep_convnet: input {input_shape} is too small for three 2x2 poolings")
            layers.append(MaxPool2d(2, stride=2))
            hw = _pooled(hw)
    layers += [Flatten(),
               Linear(channels * hw[0] * hw[1], hidden, init="he", rng=rng, dtype=dtype), ReLU(),
               Dropout(dropout, rng=rng),
               Linear(hidden, num_classes, init="he", rng=rng, dtype=dtype)]
    if final_dropout:
        layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)


__all__ = ["convnet", "deep_convnet"]
