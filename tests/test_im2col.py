"""im2col / col2im (L38): a naive reference, the adjoint identity, overlap accumulation, errors."""

from __future__ import annotations

import numpy as np
import pytest

from abcdl.im2col import col2im, conv_output_size, im2col, pair

# (N, C, H, W, kernel, stride, padding): square and not, stride 1 and 2, padding 0 and 1
CASES = [
    (2, 1, 5, 5, 3, 1, 0),
    (3, 2, 6, 7, (3, 2), 1, 1),
    (2, 3, 7, 6, 3, 2, 1),
    (4, 2, 8, 5, (2, 3), (2, 1), (1, 0)),
    (1, 1, 4, 4, 4, 1, 0),          # one window
    (2, 2, 5, 5, 1, 1, 0),          # 1x1 kernel
]


def naive_im2col(x, kernel, stride, padding):
    """col[(c,i,j), (n,oh,ow)] = xp[n, c, oh*S_h + i, ow*S_w + j], one element at a time."""
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel), pair(stride), pair(padding, minimum=0)
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    col = np.zeros((C * kh * kw, N * OH * OW), dtype=x.dtype)
    for n in range(N):
        for oh in range(OH):
            for ow in range(OW):
                patch = xp[n, :, oh * sh:oh * sh + kh, ow * sw:ow * sw + kw]
                col[:, (n * OH + oh) * OW + ow] = patch.reshape(-1)
    return col


@pytest.mark.parametrize("case", CASES)
def test_im2col_matches_naive_reference(case, rng):
    N, C, H, W, k, s, p = case
    x = rng.standard_normal((N, C, H, W))
    np.testing.assert_array_equal(im2col(x, k, s, p), naive_im2col(x, k, s, p))


@pytest.mark.parametrize("case", CASES)
def test_im2col_accepts_channel_major_views(case, rng):
    N, C, H, W, k, s, p = case
    x = rng.standard_normal((C, N, H, W)).transpose(1, 0, 2, 3)      # what Conv2d hands on
    np.testing.assert_array_equal(im2col(x, k, s, p), naive_im2col(np.ascontiguousarray(x), k, s, p))


@pytest.mark.parametrize("case", CASES)
def test_col2im_is_the_adjoint_of_im2col(case, rng):
    # <im2col(x), G> = <x, col2im(G)> for all x, G: col2im is exactly the transpose.
    N, C, H, W, k, s, p = case
    x = rng.standard_normal((N, C, H, W))
    col = im2col(x, k, s, p)
    G = rng.standard_normal(col.shape)
    dx = col2im(G, x.shape, k, s, p)
    assert dx.shape == x.shape
    np.testing.assert_allclose(np.sum(col * G), np.sum(x * dx), rtol=1e-12)


def test_col2im_accumulates_overlapping_windows():
    # 3x3 kernel, stride 1 on a 4x4 image: pixel (h, w) lies in (#rows covering h) * (#cols covering w)
    # windows; folding a column of ones counts them.
    x_shape = (1, 1, 4, 4)
    ones = np.ones((9, 4))
    counts = col2im(ones, x_shape, 3, 1, 0)[0, 0]
    per_axis = np.array([1, 2, 2, 1])
    np.testing.assert_array_equal(counts, np.outer(per_axis, per_axis))


def test_col2im_drops_the_padding_and_counts_stride_two():
    x_shape = (2, 1, 5, 5)
    OH = conv_output_size(5, 3, 2, 1)                     # (5 + 2 - 3) // 2 + 1 = 3
    counts = col2im(np.ones((9, 2 * OH * OH)), x_shape, 3, 2, 1)
    # padded axis 0..6, windows start at 0, 2, 4: padded index q is covered by #{s in (0,2,4): s <= q <= s+2}
    per_padded = np.array([1, 1, 2, 1, 2, 1, 1])
    per_axis = per_padded[1:-1]
    np.testing.assert_array_equal(counts[1, 0], np.outer(per_axis, per_axis))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_col2im_keep_the_dtype(dtype, rng):
    x = rng.standard_normal((2, 3, 6, 6)).astype(dtype)
    col = im2col(x, 3, 1, 1)
    assert col.dtype == dtype and col.flags.c_contiguous
    assert col2im(col, x.shape, 3, 1, 1).dtype == dtype


def test_conv_output_size_formula():
    # OH = floor((H + 2P - kh) / S) + 1
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(28, 3, 1, 1) == 28
    assert conv_output_size(7, 3, 2, 1) == 4
    assert conv_output_size(8, 2, 2) == 4


def test_pair_accepts_ints_and_pairs():
    assert pair(3) == (3, 3)
    assert pair((2, 5)) == (2, 5)
    assert pair([1, 4]) == (1, 4)
    assert pair(0, minimum=0) == (0, 0)


@pytest.mark.parametrize("bad, err", [((1, 2, 3), TypeError), (2.0, TypeError), (True, TypeError),
                                      (0, ValueError), ((3, -1), ValueError)])
def test_pair_rejects_bad_values(bad, err):
    with pytest.raises(err, match="kernel_size"):
        pair(bad, "kernel_size")


def test_im2col_rejects_too_small_input_and_wrong_ndim(rng):
    with pytest.raises(ValueError, match=r"smaller than the kernel 5x5"):
        im2col(rng.standard_normal((1, 1, 4, 4)), 5)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        im2col(rng.standard_normal((4, 4, 4)), 3)


def test_col2im_rejects_a_column_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"expected col of shape \(9, 8\)"):
        col2im(np.zeros((9, 7)), (2, 1, 4, 4), 3)
