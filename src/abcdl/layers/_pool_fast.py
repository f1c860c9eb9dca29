"""The fast path of MaxPool2d for windows that tile the input (L38): the same loop on contiguous planes.

:meth:`abcdl.layers.MaxPool2d.forward` is the lecture's loop over the kh*kw
window offsets k = i*kw + j: step k compares the running maximum with the plane
``x[:, :, i::S_h, j::S_w]`` (``np.greater``, then ``np.maximum``).  NumPy runs
such a strided (C, m, OH, OW) plane as C*m*OH short inner loops of OW numbers,
each twice per step, and that, not the arithmetic, is the layer's time.

When the windows tile the input exactly (kernel == stride, no padding, H and W
multiples of the kernel: the book's 2x2/stride-2 pools) the planes are disjoint
and together hold each input number once.  This path copies them, in one call,
into a contiguous (kh*kw, C, m, OH, OW) array and runs *the same loop* (the same
ufuncs, in the same order, on the same numbers) over its contiguous planes.
The output, the winners' offsets ``arg`` (ties to the first offset, as in
PyTorch) and what NaN does are therefore those of the loop by construction;
``tests/test_pool_fast.py`` checks them bit for bit.  The cache is the loop's
``arg``, so backward is MaxPool2d's own lines (routing dA is a strided write of
each plane, which costs what a copy back would).

``MaxPool2d.fast = False`` runs the loop on the strided planes for every input.
"""

from __future__ import annotations

import numpy as np

from .._types import Array


def supports(kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int],
             H: int, W: int) -> bool:
    """Whether the windows tile the (H, W) input exactly: kernel == stride, no padding, no border left."""
    (kh, kw) = kernel
    return kernel == stride and padding == (0, 0) and H % kh == 0 and W % kw == 0


def window_planes(xc: Array, kernel: tuple[int, int]) -> Array:
    """The kh*kw planes of a tiled channel-major input, contiguous: P[i*kw + j] = xc[:, :, i::kh, j::kw].

    xc: (C, m, H, W), any strides  ->  P: (kh*kw, C, m, H/kh, W/kw), C-contiguous.
    """
    (kh, kw) = kernel
    C, m, H, W = xc.shape
    x6 = xc.reshape(C, m, H // kh, kh, W // kw, kw)          # splits H and W only: a view for any strides
    P = np.ascontiguousarray(x6.transpose(3, 5, 0, 1, 2, 4))  # one copy, window offset first
    return P.reshape(kh * kw, C, m, H // kh, W // kw)


def maxpool2d_forward(xc: Array, kernel: tuple[int, int]) -> tuple[Array, Array]:
    """MaxPool2d's loop on contiguous planes: (A, arg), both (C, m, OH, OW), as the loop returns them."""
    (kh, kw) = kernel
    P = window_planes(xc, kernel)
    shape = P.shape[1:]
    A = P[0].copy()                                                      # k = 0: A = x_0
    arg = np.zeros(shape, dtype=np.uint8 if kh * kw <= 256 else np.int32)
    greater = np.empty(shape, dtype=bool)
    tmp = np.empty_like(arg)
    for k in range(1, kh * kw):
        plane = P[k]
        np.greater(plane, A, out=greater)                                # a strictly larger value ...
        np.maximum(A, plane, out=A)                                      # A = max(A, x_k)
        np.multiply(greater, tmp.dtype.type(k), out=tmp)                 # ... moves the winner to k;
        np.maximum(arg, tmp, out=arg)                                    # k grows, so max keeps the last move
    return A, arg
