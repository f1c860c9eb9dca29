"""MaxPool2d's fast path for exactly tiling windows (abcdl.layers._pool_fast) against the loop (L38).

The fast path runs the loop of MaxPool2d.forward on contiguous copies of the
window planes, so values, winners, gradients and NaN handling must equal the
loop's bit for bit (compared as unsigned integers: -0.0 and NaN payloads count).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from abcdl.layers import MaxPool2d, _pool_fast


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def _pools(kernel):
    literal, fast = MaxPool2d(kernel), MaxPool2d(kernel)
    literal.fast = False
    return literal, fast


def _run(layer, X, G):
    A = layer.forward(X)
    arg = layer._cache[0].copy()
    return A, arg, layer.backward(G)


def _channel_major(x):
    """The layout Conv2d returns: (m, C, H, W) as a transpose of (C, m, H, W) memory."""
    return np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)


def tie_heavy(rng, shape, dtype):
    """Few distinct values (0, +-1, 2), -0.0 and +0.0 mixed: most windows hold ties, many of zeros."""
    x = rng.choice(np.array([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, 2.0]), size=shape).astype(dtype)
    return x


def assert_fast_equals_literal(kernel, X, rng, G=None):
    literal, fast = _pools(kernel)
    out_shape = literal.forward(X).shape
    if G is None:
        G = rng.standard_normal(out_shape).astype(X.dtype)
    A0, arg0, dX0 = _run(literal, X, G)
    A1, arg1, dX1 = _run(fast, X, G)
    assert A1.shape == A0.shape and dX1.shape == dX0.shape == X.shape
    assert A1.dtype == A0.dtype == dX1.dtype == X.dtype
    np.testing.assert_array_equal(_bits(A1), _bits(A0))
    np.testing.assert_array_equal(arg1, arg0)
    assert arg1.dtype == arg0.dtype
    np.testing.assert_array_equal(_bits(dX1), _bits(dX0))
    return A1, dX1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kernel", [
    ((4, 3, 8, 8), 2),              # the book's 2x2 pool, odd channel count
    ((1, 5, 6, 6), 2),              # batch 1
    ((3, 7, 6, 9), 3),              # 3x3 tiling, odd channels
    ((2, 3, 6, 8), (3, 2)),         # non-square kernel
    ((2, 2, 4, 6), (1, 3)),
    ((2, 1, 5, 5), 5),              # one window per map
])
@pytest.mark.parametrize("layout", ["contiguous", "channel_major", "strided"])
def test_fast_equals_literal_bitwise_with_ties(dtype, shape, kernel, layout, rng):
    X = tie_heavy(rng, shape, dtype)
    if layout == "channel_major":
        X = _channel_major(X)
    elif layout == "strided":                                   # every other image of a bigger batch
        X = np.repeat(X, 2, axis=0)[::2]
    assert_fast_equals_literal(kernel, X, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_equals_literal_on_relu_output_like_maps(dtype, rng):
    # What SimpleConvNet pools: ReLU(Z) of a channel-major conv output (zeros as -0.0, real values).
    Z = _channel_major(rng.standard_normal((5, 3, 12, 12)).astype(dtype))
    X = Z * (Z > 0).astype(dtype)
    assert np.signbit(X[X == 0]).any()
    A, _ = assert_fast_equals_literal(2, X, rng)
    assert A.transpose(1, 0, 2, 3).flags.c_contiguous           # channel-major, like the loop's output


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "channel_major"])
def test_fast_equals_literal_with_nan_inf_and_signed_zero_gradients(dtype, layout, rng):
    # NaN and +-inf inputs (NaN in each window position) and a gradient with -0.0, inf and NaN.
    X = rng.standard_normal((3, 2, 6, 8)).astype(dtype)
    X[0, 0, 0, 0] = X[0, 0, 1, 3] = X[1, 1, 3, 4] = X[2, 0, 5, 7] = np.nan
    X[0, 1, 2, 2] = np.inf
    X[1, 0, 0:2, 0:2] = -np.inf
    X[2, 1, 0, 1] = np.nan
    X[2, 1, 1, 0] = 5.0                                           # a larger value after the NaN
    G = rng.standard_normal((3, 2, 3, 4)).astype(dtype)
    G[0, 0, 0, 0], G[0, 0, 0, 1], G[1, 1, 1, 1], G[2, 0, 2, 3] = -0.0, -np.inf, np.nan, -1.0
    if layout == "channel_major":
        X, G = _channel_major(X), _channel_major(G)
    with np.errstate(invalid="ignore"):
        A, dX = assert_fast_equals_literal(2, X, rng, G)
    assert np.isnan(A[0, 0, 0, 0]) and np.isnan(A[2, 1, 0, 0])    # NaN propagates to the window's output
    assert A[0, 1, 1, 1] == np.inf and A[1, 0, 0, 0] == -np.inf


def test_routing_only_exact_tilings_take_the_fast_path(monkeypatch, rng):
    calls = []
    real = _pool_fast.maxpool2d_forward
    monkeypatch.setattr(_pool_fast, "maxpool2d_forward", lambda *a: calls.append(a[1]) or real(*a))
    X = rng.standard_normal((2, 3, 8, 8))
    MaxPool2d(2).forward(X)                                       # 2x2 stride 2 on 8x8: tiles
    MaxPool2d((2, 4)).forward(X)                                  # kh x kw stride (kh, kw): tiles
    assert calls == [(2, 2), (2, 4)]
    MaxPool2d(3).forward(X)                                       # 8 % 3 != 0: a border is left out
    MaxPool2d(2, stride=1).forward(X)                             # overlapping windows
    MaxPool2d(2, stride=(2, 1)).forward(X)
    MaxPool2d(2, padding=1).forward(X)                            # padded
    MaxPool2d(2).forward(X[:, :, :7, :7])                         # odd size
    slow = MaxPool2d(2)
    slow.fast = False
    slow.forward(X)
    assert calls == [(2, 2), (2, 4)]
    assert MaxPool2d.fast is True


def test_window_planes_are_the_strided_planes(rng):
    x = rng.standard_normal((3, 2, 6, 9))
    P = _pool_fast.window_planes(x, (2, 3))
    assert P.shape == (6, 3, 2, 3, 3) and P.flags.c_contiguous
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(P[i * 3 + j], x[:, :, i::2, j::3])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fast_path_matches_torch_on_ties(dtype, rng):
    X = _channel_major(rng.integers(0, 2, (4, 3, 8, 10)).astype(dtype))   # mostly tied windows
    layer = MaxPool2d(2)
    A = layer.forward(X)
    G = rng.standard_normal(A.shape).astype(dtype)
    dX = layer.backward(G)
    xt = torch.tensor(np.ascontiguousarray(X), requires_grad=True)
    out = torch.nn.functional.max_pool2d(xt, 2)
    out.backward(torch.tensor(G))
    np.testing.assert_array_equal(A, out.detach().numpy())
    np.testing.assert_array_equal(dX, xt.grad.numpy())        # ties routed to the first offset, as torch


def test_routing_of_backward_to_the_2x2_float32_code(monkeypatch, rng):
    calls = []
    real = _pool_fast.maxpool2x2_backward
    monkeypatch.setattr(_pool_fast, "maxpool2x2_backward", lambda *a: calls.append(a[0].shape) or real(*a))
    for kernel, dtype, fast in [(2, np.float32, True), (2, np.float64, True), ((2, 4), np.float32, True),
                                (2, np.float32, False)]:
        layer = MaxPool2d(kernel)
        layer.fast = fast
        A = layer.forward(_channel_major(rng.standard_normal((2, 3, 8, 8)).astype(dtype)))
        layer.backward(np.ones(A.shape, dtype=dtype))
    assert calls == [(3, 2, 4, 4)]                                # float32 2x2 only, and only when fast


@pytest.mark.parametrize("n", [2, 4, 6, 26])
def test_even_odd_splits_columns_bit_for_bit(n, rng):
    f = rng.standard_normal(n).astype(np.float32)
    f[0], f[-1] = -0.0, np.nan
    out = np.empty((2, n // 2), np.float32)
    _pool_fast.even_odd(f, out=out)
    np.testing.assert_array_equal(_bits(out[0]), _bits(f[0::2]))
    np.testing.assert_array_equal(_bits(out[1]), _bits(f[1::2]))


@pytest.mark.parametrize("dtype", [np.float32, bool])
def test_row_pairs(dtype, rng):
    a = (rng.standard_normal((6, 5)) > 0).astype(dtype)
    top, bottom = _pool_fast.row_pairs(a)
    assert top.flags.c_contiguous and bottom.dtype == a.dtype
    np.testing.assert_array_equal(top, a[0::2])
    np.testing.assert_array_equal(bottom, a[1::2])


@pytest.mark.parametrize("shape", [(1, 1, 2, 2), (1, 3, 2, 6), (3, 1, 4, 2), (2, 5, 10, 14)])
def test_2x2_float32_small_and_odd_shapes(shape, rng):
    # Odd OW (rows of an odd number of column pairs), single windows, odd channel counts.
    X = _channel_major(tie_heavy(rng, shape, np.float32))
    assert_fast_equals_literal(2, X, rng)


@pytest.mark.parametrize("chunk_bytes", [1, 3000, 1 << 30])
def test_channel_chunks_change_no_number(chunk_bytes, monkeypatch, rng):
    # One channel per chunk, a few channels (a ragged last chunk), all at once.
    monkeypatch.setattr(_pool_fast, "CHUNK_BYTES", chunk_bytes)
    for dtype, kernel in [(np.float32, 2), (np.float64, 2), (np.float32, 3)]:
        X = _channel_major(tie_heavy(rng, (3, 7, 6, 6), dtype))
        assert_fast_equals_literal(kernel, X, rng)
