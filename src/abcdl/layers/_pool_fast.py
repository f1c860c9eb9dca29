"""The fast path of MaxPool2d for windows that tile the input (L38): the same loop on contiguous planes.

:meth:`abcdl.layers.MaxPool2d.forward` is the lecture's loop over the kh*kw
window offsets k = i*kw + j: step k compares the running maximum with the plane
``x[:, :, i::S_h, j::S_w]`` (``np.greater``, then ``np.maximum``).  NumPy runs
such a strided (C, m, OH, OW) plane as C*m*OH short inner loops of OW numbers,
each twice per step, and that, not the arithmetic, is the layer's time.

When the windows tile the input exactly (kernel == stride, no padding, H and W
multiples of the kernel: the book's 2x2/stride-2 pools) the planes are disjoint
and together hold each input number once.  This path copies them once into a
contiguous (kh*kw, C, m, OH, OW) array (:func:`window_planes`) and runs *the same loop* (the same
ufuncs, in the same order, on the same numbers) over its contiguous planes.
The output, the winners' offsets ``arg`` (ties to the first offset, as in
PyTorch) and what NaN does are therefore those of the loop by construction;
``tests/test_pool_fast.py`` checks them bit for bit.  The cache is the loop's
``arg``.  Channels go through a few at a time (``CHUNK_BYTES`` of input), so
that the planes and the loop's arrays stay in cache.

The book's case, 2x2 windows of float32 in channel-major memory (what Conv2d
and ReLU hand over), avoids NumPy's strided copies, whose cost per number is
what this layer spends:

* The planes (:func:`window_planes`): rows 2*oh and 2*oh + 1 are split as whole
  rows, one item each (:func:`row_pairs`); then even and odd columns: read as
  uint64, the pair (x[2p], x[2p + 1]) is one number whose low half is x[2p]
  (little-endian), so a cast to uint32 copies the even columns contiguously,
  and the same cast one element on the odd ones (:func:`even_odd`).  The same
  bits, moved, not computed.
* Backward (:func:`maxpool2x2_backward`) forms the loop's products
  dX = dA [x_k is the max] for both rows of each window on contiguous rows: dA
  repeated per column pair (again through uint64), times a mask read off
  ``arg`` in one comparison, then the two rows interleaved as whole rows.

``MaxPool2d.fast = False`` runs the loop on the strided planes for every input.
"""

from __future__ import annotations

import sys

import numpy as np

from .._types import Array

#: Input bytes per chunk of channels (2 MiB measured best of 0.25-4 MiB on the book's pools, issue 20).
CHUNK_BYTES = 2 << 20


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
    if supports_2x2(xc, kernel):
        P = np.empty((2, 2, xc.size // 4), dtype=xc.dtype)
        for i, row in enumerate(row_pairs(xc.reshape(C * m * H, W))):   # rows 2 oh + i, i = 0, 1
            even_odd(row.reshape(-1), out=P[i])                         # columns 2 ow + j, j = 0, 1
        return P.reshape(4, C, m, H // 2, W // 2)
    x6 = xc.reshape(C, m, H // kh, kh, W // kw, kw)          # splits H and W only: a view for any strides
    P = np.ascontiguousarray(x6.transpose(3, 5, 0, 1, 2, 4))  # one copy, window offset first
    return P.reshape(kh * kw, C, m, H // kh, W // kw)


def maxpool2d_forward(xc: Array, kernel: tuple[int, int], running_max) -> tuple[Array, Array]:
    """MaxPool2d's loop on contiguous planes: (A, arg), both (C, m, OH, OW), as the loop returns them.

    ``running_max(planes, A, arg)`` is that loop (:func:`abcdl.layers.pool.running_max`),
    passed in so that both paths run the very same lines.

    Channels go through a few at a time (about ``CHUNK_BYTES`` of input), so that
    the planes and the loop's arrays stay in cache; every step is elementwise,
    so the chunks change no number.
    """
    (kh, kw) = kernel
    C, m, H, W = xc.shape
    shape = (C, m, H // kh, W // kw)
    A = np.empty(shape, dtype=xc.dtype)
    arg = np.empty(shape, dtype=np.uint8 if kh * kw <= 256 else np.int32)
    step = _chunk(xc)
    for c in range(0, C, step):
        running_max(window_planes(xc[c:c + step], kernel), A[c:c + step], arg[c:c + step])
    return A, arg


def _chunk(a: Array) -> int:
    """How many channels (first-axis entries) of ``a`` make about CHUNK_BYTES."""
    return max(1, CHUNK_BYTES // max(1, a[0].nbytes)) if len(a) else 1


# ---- 2x2 windows, float32, channel-major ---------------------------------------------------------------

_TWICE = np.uint64(0x1_0000_0001)                     # u * _TWICE = u in both 32-bit halves (u < 2^32)


def supports_2x2(xc: Array, kernel: tuple[int, int]) -> bool:
    """Whether the 2x2 float32 code applies: 2x2 windows of a C-contiguous float32 (C, m, H, W)."""
    return (kernel == (2, 2) and xc.dtype == np.float32 and xc.flags.c_contiguous and xc.size > 0
            and sys.byteorder == "little")


def supports_2x2_backward(dAc: Array, arg: Array, kernel, stride, padding, hw: tuple[int, int]) -> bool:
    """Whether :func:`maxpool2x2_backward` applies: float32 dA of 2x2 windows that tile the input."""
    return (kernel == stride == (2, 2) and padding == (0, 0) and hw[0] % 2 == 0 and hw[1] % 2 == 0
            and dAc.dtype == np.float32 and dAc.flags.c_contiguous and dAc.size > 0
            and arg.dtype == np.uint8 and sys.byteorder == "little")


def even_odd(f: Array, out: Array) -> Array:
    """out[0] = f[0::2] and out[1] = f[1::2] for a contiguous 1-D array of 4-byte numbers (even length).

    Each pair (f[2p], f[2p+1]) read as one uint64 has f[2p] in its low half;
    the cast to uint32 keeps that half (the same bits: a copy, not arithmetic).
    ``f[1:-1]`` read the same way gives f[2p+1], all but the last.  out: (2, n/2).
    """
    bits = out.view(np.uint32)
    np.copyto(bits[0], f.view(np.uint64), casting="unsafe")             # low halves: f[0::2]
    np.copyto(bits[1, :-1], f[1:-1].view(np.uint64), casting="unsafe")  # an unaligned view: f[1:-1:2]
    bits[1, -1] = f[-1:].view(np.uint32)[0]
    return out


def row_pairs(a: Array) -> tuple[Array, Array]:
    """(a[0::2], a[1::2]) of a C-contiguous 2-D array with an even number of rows, contiguous.

    Each row is copied as one item (a void scalar of the row's bytes): one
    strided copy of R/2 items instead of R/2 short rows.
    """
    R, L = a.shape
    rows = a.view(np.dtype((np.void, L * a.itemsize))).reshape(R)
    return (rows[0::2].copy().view(a.dtype).reshape(R // 2, L),
            rows[1::2].copy().view(a.dtype).reshape(R // 2, L))


def maxpool2x2_backward(dAc: Array, arg: Array) -> Array:
    """dX of the loop for 2x2 windows from its ``arg``: dX = dA [x_k is the max], the same products.

    dAc: (C, m, OH, OW) float32, C-contiguous; arg: (C, m, OH, OW) uint8  ->  dX: (C, m, 2 OH, 2 OW).
    Channels go through in chunks, as in :func:`maxpool2d_forward`.
    """
    C, m, OH, OW = dAc.shape
    dX = np.empty((C, m, 2 * OH, 2 * OW), dtype=dAc.dtype)
    step = _chunk(dX)
    for c in range(0, C, step):
        _route_2x2(dAc[c:c + step], arg[c:c + step], dX[c:c + step])
    return dX


def _route_2x2(dAc: Array, arg: Array, dX: Array) -> None:
    """dX = dA [x_k is the max] for one chunk of channels (dX: C-contiguous, written whole)."""
    rows = dAc.size // dAc.shape[-1]
    OW = dAc.shape[-1]
    # dA twice per window row: the uint32 bits u -> u * (2^32 + 1) = (u, u) as two float32s
    dA2 = (dAc.view(np.uint32).astype(np.uint64) * _TWICE).view(np.float32).reshape(rows, 2 * OW)
    # key[.., 2ow] = arg, key[.., 2ow + 1] = arg - 1 (mod 256): x_(i, j) won where key == 2i
    key = (arg.astype(np.uint16) * np.uint16(257) - np.uint16(256)).view(np.uint8).reshape(rows, 2 * OW)
    dX_rows = dX.view(np.dtype((np.void, 2 * OW * dX.itemsize))).reshape(rows, 2)
    for i in range(2):
        won = np.equal(key, np.uint8(2 * i))
        dX_rows[:, i] = np.multiply(dA2, won).view(dX_rows.dtype).reshape(rows)   # dX = dA [won]
