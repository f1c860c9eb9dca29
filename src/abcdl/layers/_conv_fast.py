"""The fast path of Conv2d for stride 1 (L38): the same im2col GEMMs, laid out for the BLAS.

:class:`abcdl.layers.Conv2d` computes Z = W_2d col + b with ``col = im2col(X)``
(:mod:`abcdl.im2col`, the readable reference that L38 points to); set
``Conv2d.fast = False`` to run only that.  This module computes the same
numbers for stride-1 convolutions of more than one input channel (all but the
first convolution of the book's networks), with these changes, none of them a
new formula:

1. **Row runs.**  The input is padded once into channel-major rows
   (:func:`padded_rows`) of ``pitch`` = W + P_w numbers: P_w zeros, then the
   image row (the left zeros of the next row serve as this row's right
   padding), with P_h zero rows above and below and one spare zero row.  With
   stride 1, kernel offset (i, j) of every window of image n is then the one
   contiguous run ``rows[c, n, i*pitch + j : i*pitch + j + OH*pitch]``: output
   (oh, ow) reads position (oh*pitch + ow) + (i*pitch + j).  Filling a column
   block is one copy of long runs (im2col copies OW-long snippets).  The run
   also holds pitch - OW extra positions per output row (windows that wrap
   around the row's end); they are computed and dropped (GEMM columns x
   pitch/OW: 1.04 at 28x28, 1.13 at 8x8, with padding 1).
2. **Batch chunks.**  ``col`` is built a few images at a time (about
   ``CHUNK_BYTES``), so that it is written and read while it sits in cache, in
   buffers reused across chunks.  It is not kept for backward (the cache is
   the padded input: DeepConvNet's training peak fell from 248 MB to 65 MB).
3. **Wide outputs.**  Z and dX are views that leave the extra columns out of
   the GEMMs' product (no copy); the bias is one pass over the product.
4. **dX as a transposed convolution.**  dcol = W_2d^T dZ followed by col2im
   equals the correlation of dZ, zero-padded by k - 1 - P, with the flipped,
   transposed filters (F and C swapped)::

       dX[n, c, h, w] = sum_{f,i,j} dZp[n, f, h + i, w + j] W[f, c, kh-1-i, kw-1-j]

   so backward reuses the forward kernel (K = F kh kw, the GEMM's good shape)
   instead of a (C kh kw, m OH OW) dcol and kh*kw scatter-adds.  This needs
   P <= k - 1 (:func:`supports`, which also leaves one-channel inputs to the
   reference).
5. **dW from the transposed convolution's columns.**  Its grid has the
   forward rows' pitch, so X on it is a slice of the cached rows and
   dW[f, c, i, j] = sum_p col_dZ[(f, kh-1-i, kw-1-j), p] X[c, p]: one more GEMM
   per chunk, no second im2col of X (:func:`_input_and_weight_grads`); without
   dX (a first layer) the same columns and GEMMs give the same dW to the bit.

Everything keeps the input's dtype.  ``tests/test_conv_fast.py`` checks this module against
:mod:`abcdl.im2col` and PyTorch.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._types import Array

__all__ = ["CHUNK_BYTES", "CHUNK_BYTES_ONE_THREAD", "chunk_size", "supports", "padded_rows", "correlate_rows",
           "conv2d_forward", "conv2d_backward", "weight_grad_by_example"]

Pair = tuple[int, int]


class Grid(NamedTuple):
    """The padded rows' geometry: Hp = H + 2P_h rows, Wp = W + 2P_w, stored ``pitch`` = W + P_w apart."""

    Hp: int
    Wp: int
    pitch: int


#: Target size of one chunk's col block plus its GEMM output (bytes).  Measured on the project's
#: 2-core machine: with one BLAS thread 2 MB was fastest (4 MB +6%, 8 MB +20%, the whole batch
#: +35%); with two threads on a busy machine every GEMM call is a point where a thread can wait
#: for its descheduled partner, and 2 MB chunks (about 200 calls a step) ran twice as slow as 8 MB.
#: Once dW came from the transposed convolution's columns, 2 MB and 4 MB measured the same.
#: 2026-11-30 (two threads, a whole DeepConvNet step, 4 and 8 MB alternated block by block): 8 MB
#: was 9% slower in the host's fast spells and 10% faster in its slow ones (see bench/RESULTS.md);
#: 4 MB stays, the choice for a quiet machine.
CHUNK_BYTES = 4 * 2**20

#: The chunk size in a thread whose BLAS runs one thread (abcdl.parallel.DataParallel's workers set it
#: with :func:`chunk_size`).  2026-12-01, DeepConvNet with two workers, alternating blocks: 2.5 and 3 MB
#: took 0.91-0.98 of the 4 MB step time in four runs, 6 and 8 MB 1.09-1.10.
CHUNK_BYTES_ONE_THREAD = 3 * 2**20

_this_thread = threading.local()


@contextmanager
def chunk_size(nbytes: int):
    """Use chunks of about ``nbytes`` in this thread (other threads keep theirs), then restore."""
    before = getattr(_this_thread, "chunk_bytes", None)
    _this_thread.chunk_bytes = nbytes
    try:
        yield
    finally:
        _this_thread.chunk_bytes = before


def supports(in_channels: int, kernel: Pair, stride: Pair, padding: Pair) -> bool:
    """Whether Conv2d takes this path: stride 1, padding P <= k - 1, more than one input channel.

    With one input channel im2col is already a cheap copy and the layer's time
    goes into writing Z; dropping the extra columns would only add a pass, and
    the reference lines measured faster (the SimpleConvNet's and DeepConvNet's
    first layers).
    """
    return (in_channels > 1 and stride == (1, 1)
            and padding[0] < kernel[0] and padding[1] < kernel[1])


def padded_rows(X: Array, padding: Pair, dtype=None) -> tuple[Array, Grid]:
    """X (m, C, H, W) as zero-padded channel-major rows (C, m, (Hp + 1) * pitch), and their grid.

    rows[c, n, y*pitch + P_w + x] = X[n, c, y - P_h, x] for the H rows of data,
    zero elsewhere, with Hp = H + 2P_h and pitch = W + P_w: each row keeps P_w
    zeros on its left only, which also serve as the right padding of the row
    above (a window that runs past a row's end reads the next row's left
    zeros).  Row Hp is a spare zero row: the last run of an image overruns by
    up to kw - 1 positions.  The grid is (Hp, Wp, pitch), Wp = W + 2P_w the
    padded width that the windows see.  ``dtype``: the rows' (default X's).
    """
    m, C, H, W = X.shape
    ph, pw = padding
    grid = Grid(H + 2 * ph, W + 2 * pw, W + pw)
    rows = np.zeros((C, m, grid.Hp + 1, grid.pitch), dtype=dtype or X.dtype)
    rows[:, :, ph:ph + H, pw:] = X.transpose(1, 0, 2, 3)
    return rows.reshape(C, m, -1), grid


def _chunk(rows_per_image: int, run: int, itemsize: int, m: int) -> int:
    """Images per chunk: a chunk's col and GEMM output, (rows_per_image, n*run), of about CHUNK_BYTES
    (or the size :func:`chunk_size` set for this thread)."""
    nbytes = getattr(_this_thread, "chunk_bytes", None) or CHUNK_BYTES
    return max(1, min(m, nbytes // (rows_per_image * run * itemsize)))


def _fill_col(col: Array, rows: Array, n0: int, pitch: int) -> None:
    """col[c, i, j, n, :] = rows[c, n0 + n, i*pitch + j : i*pitch + j + run]: im2col by row runs, one copy.

    The source is a read-only strided view of ``rows`` (offset (i, j) moves
    i*pitch + j elements); every element it reaches lies inside ``rows``
    thanks to the spare row.
    """
    C, kh, kw, n, run = col.shape
    s_c, s_n, s_x = rows.strides
    windows = as_strided(rows[:, n0:], shape=(C, kh, kw, n, run),
                         strides=(s_c, pitch * s_x, s_x, s_n, s_x), writeable=False)
    np.copyto(col, windows)


def _chunks(rows: Array, kernel: Pair, grid: Grid, F: int):
    """Yield (n0, col block) over the batch; the block (C kh kw, n * OH * pitch) is one reused buffer.

    A chunk holds as many images as let col and the GEMM's (F, n * OH * pitch)
    product fit in about CHUNK_BYTES.
    """
    C, m = rows.shape[:2]
    kh, kw = kernel
    run = (grid.Hp - kh + 1) * grid.pitch                             # OH rows of the pitch
    K = C * kh * kw
    step = _chunk(K + F, run, rows.itemsize, m)
    buf = np.empty((C, kh, kw, step, run), dtype=rows.dtype)
    for n0 in range(0, m, step):
        col = buf[:, :, :, :min(step, m - n0)]
        _fill_col(col, rows, n0, grid.pitch)
        yield n0, col.reshape(K, -1)


def correlate_rows(rows: Array, grid: Grid, W: Array, b: Array | None) -> Array:
    """Z (F, m, OH, OW), channel-major: the stride-1 correlation of padded rows with W, plus b.

    A view of the "wide" product (F, m, OH, pitch): per chunk Z_wide = W_2d col
    (the GEMM, pitch columns per output row), + b over the whole; the view
    leaves out the pitch - OW extra columns.
    """
    F, _, kh, kw = W.shape
    m, OH, OW = rows.shape[1], grid.Hp - kh + 1, grid.Wp - kw + 1
    wide = np.empty((F, m, OH, grid.pitch), dtype=rows.dtype)
    W2 = W.reshape(F, -1)
    for n0, col in _chunks(rows, (kh, kw), grid, F):
        n = col.shape[1] // (OH * grid.pitch)
        np.matmul(W2, col, out=wide[:, n0:n0 + n].reshape(F, -1))     # Z = W_2d col
    if b is not None:
        wide += b[:, None, None, None]                                #     + b
    return wide[..., :OW]


def conv2d_forward(X: Array, W: Array, b: Array | None, padding: Pair) -> tuple[Array, tuple]:
    """Z = conv(X, W) + b for stride 1: (m, F, OH, OW), a view of channel-major memory, and the cache.

    Parameters
    ----------
    X : ndarray (m, C, H, W), any memory layout
    W : ndarray (F, C, kh, kw)
    b : ndarray (F,) or None
    padding : (P_h, P_w), at most (kh - 1, kw - 1)

    Returns
    -------
    Z : ndarray (m, F, OH, OW), OH = H + 2P_h - kh + 1
    cache : what :func:`conv2d_backward` needs (the padded rows, not col)
    """
    rows, grid = padded_rows(X, padding, np.result_type(X.dtype, W.dtype))   # W_2d col's dtype
    Z = correlate_rows(rows, grid, W, b)
    return Z.transpose(1, 0, 2, 3), (rows, grid, tuple(padding))


def _input_and_weight_grads(dZ: Array, rows: Array, grid: Grid, W: Array, padding: Pair,
                            input_grad: bool = True) -> tuple[Array | None, Array]:
    """dX (C, m, H, W) as the transposed convolution (a view of its wide product), and dW.

    The transposed convolution's col (of dZ padded by k - 1 - P) meets, at every
    position of dX's grid, the input pixel there; its rows have the forward
    rows' pitch, so X on that grid is a slice of ``rows`` (zeros on the extra
    columns).  Hence, with i' = kh-1-i, j' = kw-1-j::

        dW[f, c, i, j] = sum_p col_dZ[(f, i', j'), p] X[c, p]

    one GEMM per chunk, with no second im2col of X.  dX is skipped (``None``)
    when ``input_grad=False``; dW is then computed exactly as it is with dX.
    """
    F, C, kh, kw = W.shape
    (ph, pw), pitch = padding, grid.pitch
    W_flip = np.ascontiguousarray(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))   # (C, F, kh, kw)
    drows, dgrid = padded_rows(dZ, (kh - 1 - ph, kw - 1 - pw), np.result_type(dZ.dtype, W.dtype))
    m, H = rows.shape[1], grid.Hp - 2 * ph                                     # dgrid.pitch == pitch
    dX_wide = np.empty((C, m, H, pitch), dtype=drows.dtype) if input_grad else None
    dW_flip = np.zeros((F * kh * kw, C), dtype=np.result_type(drows, rows))
    W2, xbuf, first = W_flip.reshape(C, -1), None, ph * pitch + pw    # X[c, n, 0, 0] in rows
    for n0, col in _chunks(drows, (kh, kw), dgrid, C):
        n = col.shape[1] // (H * pitch)
        if input_grad:
            np.matmul(W2, col, out=dX_wide[:, n0:n0 + n].reshape(C, -1))   # dX = W_flip_2d col_dZ
        if xbuf is None:
            xbuf = np.empty((C, n, H * pitch), dtype=rows.dtype)
        x = xbuf[:, :n]
        np.copyto(x, rows[:, n0:n0 + n, first:first + H * pitch])     # X on dX's grid
        dW_flip += col @ x.reshape(C, -1).T                            # sum_p col_dZ[(f, i', j'), p] X[c, p]
    dW = dW_flip.reshape(F, kh, kw, C)[:, ::-1, ::-1].transpose(0, 3, 1, 2)
    return (dX_wide[..., :grid.Wp - 2 * pw] if input_grad else None), dW


def conv2d_backward(dZ: Array, cache: tuple, W: Array, input_grad: bool = True
                    ) -> tuple[Array, Array, Array | None]:
    """dW, db and dX (``None`` when ``input_grad=False``) of :func:`conv2d_forward`.

    Formula
    -------
    dW = dZ col^T,   db = sum over (m, OH, OW) of dZ,
    dX = correlation of dZ padded by k - 1 - P with W flipped in (i, j) and F <-> C swapped
         (= col2im(W_2d^T dZ), the reference's two steps)
    """
    rows, grid, padding = cache
    dZc = dZ.transpose(1, 0, 2, 3)                                    # (F, m, OH, OW); free if channel-major
    db = dZc.sum(axis=(1, 2, 3))                                      # db = sum over m, OH, OW of dZ
    dX, dW = _input_and_weight_grads(dZ, rows, grid, W, padding, input_grad)
    return dW, db, None if dX is None else dX.transpose(1, 0, 2, 3)


def weight_grad_by_example(dZ2: Array, col: Array, m: int) -> Array:
    """dW_2d = dZ col^T as the sum over the m examples of dZ_n col_n^T (the im2col path's dW).

    dZ2 (F, m P) and col (C kh kw, m P) hold P = OH OW columns per example, example by
    example.  One GEMM with an inner dimension of m P (57,600 for SimpleConvNet's
    first layer) runs at a third of the BLAS's speed on the project's machine; m GEMMs
    of inner dimension P, summed, measured 1.5-4x faster (2026-11-30).  The same sum in
    another order: equal to the one GEMM up to float rounding (tests/test_conv_fast.py).
    """
    F, K = dZ2.shape[0], col.shape[0]
    dZ_n = dZ2.reshape(F, m, -1).transpose(1, 0, 2)                  # (m, F, P): dZ of example n
    col_n = col.reshape(K, m, -1).transpose(1, 2, 0)                 # (m, P, K): col_n^T
    return np.matmul(dZ_n, col_n).sum(axis=0)                        # sum_n dZ_n col_n^T

