"""Conv2d's fast path (abcdl.layers._conv_fast, L38) against the readable im2col lines and PyTorch.

Every case runs the same layer twice, through the fast path (forced, also for
one input channel, which Conv2d itself leaves to the reference) and with
``fast = False`` (the lines of ``Conv2d.forward``/``backward`` on
``abcdl.im2col``), with the same weights, input and upstream gradient: Z, dW,
db and dX agree to rounding in float64 and float32.  Chunks are forced small so
that several chunks (and a ragged last one) run.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from abcdl.layers import Conv2d, _conv_fast
from abcdl.numdiff import check_module

# (m, C, F, H, W, kernel, padding): odd sizes, non-square kernels and inputs, padding 0 .. k - 1
# (also different per axis), one image, one channel
FAST_CASES = [
    (5, 3, 4, 7, 9, 3, 1),
    (4, 2, 3, 6, 5, (3, 2), (2, 1)),
    (3, 1, 5, 9, 7, 5, 0),
    (1, 4, 2, 5, 5, 3, 2),
    (7, 2, 6, 8, 6, (2, 3), (0, 2)),
    (2, 3, 3, 4, 4, 1, 0),
    (3, 2, 2, 28, 28, 3, 1),
]
TOL = {np.float64: dict(rtol=1e-12, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-5)}


@pytest.fixture(autouse=True)
def _small_chunks(monkeypatch):
    """A few images per chunk here, so that the chunk loop and its ragged last chunk run."""
    monkeypatch.setattr(_conv_fast, "CHUNK_BYTES", 20_000)


@pytest.fixture
def always_fast(monkeypatch):
    """Every geometry of FAST_CASES through the fast path, one input channel included."""
    monkeypatch.setattr(_conv_fast, "supports", lambda *args: True)


def _run(case, dtype, fast, rng_seed=7, bias=True, input_grad=True):
    m, C, F, H, W, k, p = case
    rng = np.random.default_rng(rng_seed)
    conv = Conv2d(C, F, k, padding=p, bias=bias, rng=rng, dtype=dtype)
    conv.fast = fast
    if bias:
        conv.b.data[:] = rng.standard_normal(F)
    x = rng.standard_normal((m, C, H, W)).astype(dtype)
    out = conv.forward(x)
    G = rng.standard_normal(out.shape).astype(dtype)
    dx = conv.backward(G, input_grad=input_grad)
    return out, dx, conv.W.grad, None if conv.b is None else conv.b.grad


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", FAST_CASES)
def test_conv_fast_equals_im2col_lines(case, dtype, always_fast):
    fast, ref = _run(case, dtype, True), _run(case, dtype, False)
    for name, a, b in zip(("Z", "dX", "dW", "db"), fast, ref, strict=True):
        assert a.dtype == b.dtype == dtype, name
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, **TOL[dtype], err_msg=name)


@pytest.mark.parametrize("case", FAST_CASES[:3])
def test_conv_fast_without_bias_or_input_grad(case, always_fast):
    fast = _run(case, np.float64, True, bias=False, input_grad=False)
    ref = _run(case, np.float64, False, bias=False, input_grad=False)
    assert fast[1] is None and ref[1] is None and fast[3] is None
    np.testing.assert_allclose(fast[0], ref[0], **TOL[np.float64])
    np.testing.assert_allclose(fast[2], ref[2], **TOL[np.float64])


@pytest.mark.parametrize("case", FAST_CASES)
def test_conv_fast_matches_torch(case, always_fast):
    m, C, F, H, W, k, p = case
    rng = np.random.default_rng(3)
    conv = Conv2d(C, F, k, padding=p, rng=rng, dtype=np.float64)
    conv.b.data[:] = rng.standard_normal(F)
    x = rng.standard_normal((m, C, H, W))
    out = conv.forward(x)
    G = rng.standard_normal(out.shape)
    dx = conv.backward(G)
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(conv.W.data, requires_grad=True)
    bt = torch.tensor(conv.b.data, requires_grad=True)
    ot = torch.nn.functional.conv2d(xt, Wt, bt, padding=conv.padding)
    ot.backward(torch.tensor(G))
    for a, b in ((out, ot), (dx, xt.grad), (conv.W.grad, Wt.grad), (conv.b.grad, bt.grad)):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", FAST_CASES[:4])
def test_conv_fast_gradcheck(case, rng, always_fast):
    m, C, F, H, W, k, p = case
    conv = Conv2d(C, F, k, padding=p, rng=rng, dtype=np.float64)
    conv.b.data[:] = rng.standard_normal(F)
    results = check_module(conv, rng.standard_normal((max(m, 4), C, H, W)), rng=rng)
    for name, res in results.items():
        assert res.passed, f"{name}: {res}"


@pytest.mark.parametrize("layout", ["nchw", "channel-major", "nhwc"])
def test_conv_fast_any_input_memory_layout(layout, rng):
    x = rng.standard_normal((3, 4, 6, 5))
    xin = {"nchw": x,
           "channel-major": np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3),
           "nhwc": np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)}[layout]
    conv = Conv2d(4, 3, 3, padding=1, rng=np.random.default_rng(0), dtype=np.float64)
    ref = Conv2d(4, 3, 3, padding=1, rng=np.random.default_rng(0), dtype=np.float64)
    ref.fast = False
    G = rng.standard_normal((3, 3, 6, 5))
    np.testing.assert_allclose(conv.forward(xin), ref.forward(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(conv.backward(G), ref.backward(G), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("C, stride, padding, fast", [
    (2, 1, 0, True), (2, 1, 2, True), (2, (1, 2), 0, False), (2, 2, 1, False), (2, 1, 3, False),
    (2, 1, (2, 3), False), (1, 1, 1, False),
])
def test_conv_fast_runs_for_stride_one_padding_below_kernel_and_channels(C, stride, padding, fast,
                                                                        monkeypatch, rng):
    calls = []
    real = _conv_fast.conv2d_forward
    monkeypatch.setattr(_conv_fast, "conv2d_forward", lambda *a: calls.append(1) or real(*a))
    conv = Conv2d(C, 3, 3, stride=stride, padding=padding, rng=rng, dtype=np.float64)
    x = rng.standard_normal((2, C, 7, 7))
    out = conv.forward(x)
    assert bool(calls) is fast
    G = rng.standard_normal(out.shape)
    xt = torch.tensor(x, requires_grad=True)
    ot = torch.nn.functional.conv2d(xt, torch.tensor(conv.W.data), torch.tensor(conv.b.data),
                                    stride=conv.stride, padding=conv.padding)
    ot.backward(torch.tensor(G))
    np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.backward(G), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_fast_off_for_the_class_runs_the_lines(monkeypatch, rng):
    monkeypatch.setattr(Conv2d, "fast", False)
    monkeypatch.setattr(_conv_fast, "conv2d_forward", None)      # would fail if called
    conv = Conv2d(2, 3, 3, padding=1, rng=rng, dtype=np.float64)
    out = conv.forward(rng.standard_normal((2, 2, 5, 5)))
    assert conv.backward(np.ones_like(out)).shape == (2, 2, 5, 5)


def test_conv_fast_padded_rows_layout():
    x = np.arange(2 * 1 * 2 * 3, dtype=np.float64).reshape(2, 1, 2, 3) + 1
    rows, grid = _conv_fast.padded_rows(x, (1, 1))
    assert grid == (4, 5, 4)                                      # Hp = 2 + 2, Wp = 3 + 2, pitch = 3 + 1
    assert rows.shape == (1, 2, 5 * 4)                            # Hp + 1 rows of the pitch
    np.testing.assert_array_equal(rows[0, 0].reshape(5, 4), [[0, 0, 0, 0],
                                                               [0, 1, 2, 3],
                                                               [0, 4, 5, 6],
                                                               [0, 0, 0, 0],
                                                               [0, 0, 0, 0]])


@pytest.mark.parametrize("layer_dtype, input_dtype", [(np.float64, np.float32), (np.float32, np.float64)])
def test_conv_fast_mixed_dtypes_as_the_lines(layer_dtype, input_dtype, always_fast):
    """An input of another float dtype than the layer gives what W_2d col gives: the wider one."""
    out = {}
    for fast in (True, False):
        rng = np.random.default_rng(5)
        conv = Conv2d(2, 3, 3, padding=1, rng=rng, dtype=layer_dtype)
        conv.fast = fast
        x = rng.standard_normal((3, 2, 5, 4)).astype(input_dtype)
        Z = conv.forward(x)
        dX = conv.backward(rng.standard_normal(Z.shape).astype(input_dtype))
        out[fast] = (Z, dX, conv.W.grad)
    for a, b in zip(out[True], out[False], strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **TOL[np.float32])


@pytest.mark.parametrize("case", FAST_CASES)
def test_conv_fast_weight_grad_the_same_without_input_grad(case, always_fast):
    with_dx = _run(case, np.float64, True, input_grad=True)
    without = _run(case, np.float64, True, input_grad=False)
    np.testing.assert_array_equal(with_dx[2], without[2])         # dW to the bit
    np.testing.assert_array_equal(with_dx[3], without[3])         # db


# -- dW by example on the im2col lines (one-channel and strided convolutions) ---------------------
IM2COL_CASES = [  # (m, C, F, H, W, kernel, stride, padding): what stays on the im2col lines
    (4, 1, 30, 12, 12, 5, 1, 0),          # SimpleConvNet's first layer, smaller
    (3, 1, 16, 9, 7, 3, 1, 1),            # DeepConvNet's first layer, odd sizes
    (2, 3, 4, 9, 8, 3, 2, 1),             # stride 2: not the fast path's
    (1, 2, 3, 5, 6, (2, 3), (1, 2), 0),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", IM2COL_CASES)
def test_weight_grad_by_example_equals_the_one_gemm(case, dtype):
    """Conv2d's dW with fast on (sum over examples of dZ_n col_n^T) equals the line dW = dZ col^T."""
    m, C, F, H, W, k, s, p = case
    grads = {}
    for fast in (True, False):
        rng = np.random.default_rng(3)
        conv = Conv2d(C, F, k, stride=s, padding=p, rng=rng, dtype=dtype)
        conv.fast = fast
        x = rng.standard_normal((m, C, H, W)).astype(dtype)
        out = conv.forward(x)
        dx = conv.backward(rng.standard_normal(out.shape).astype(dtype), input_grad=C > 1)
        grads[fast] = (conv.W.grad.copy(), conv.b.grad.copy(), dx)
    np.testing.assert_allclose(grads[True][0], grads[False][0], **TOL[dtype])
    np.testing.assert_array_equal(grads[True][1], grads[False][1])
    if C > 1:
        np.testing.assert_array_equal(grads[True][2], grads[False][2])
    assert grads[True][0].dtype == dtype


def test_weight_grad_by_example_is_the_sum_over_examples(rng):
    m, F, K, P = 5, 3, 4, 7
    dZ2, col = rng.standard_normal((F, m * P)), rng.standard_normal((K, m * P))
    expected = sum(dZ2[:, n * P:(n + 1) * P] @ col[:, n * P:(n + 1) * P].T for n in range(m))
    np.testing.assert_allclose(_conv_fast.weight_grad_by_example(dZ2, col, m), expected, rtol=1e-13)
    np.testing.assert_allclose(_conv_fast.weight_grad_by_example(dZ2, col, m), dZ2 @ col.T, rtol=1e-12)


@pytest.mark.parametrize("case", IM2COL_CASES[:2])
def test_weight_grad_by_example_matches_torch(case, rng):
    m, C, F, H, W, k, s, p = case
    conv = Conv2d(C, F, k, stride=s, padding=p, rng=rng, dtype=np.float64)
    x = rng.standard_normal((m, C, H, W))
    G = rng.standard_normal(conv.forward(x).shape)
    conv.backward(G, input_grad=False)
    wt = torch.tensor(conv.W.data, requires_grad=True)
    torch.nn.functional.conv2d(torch.tensor(x), wt, torch.tensor(conv.b.data), stride=s, padding=p
                               ).backward(torch.tensor(G))
    np.testing.assert_allclose(conv.W.grad, wt.grad.numpy(), rtol=1e-10, atol=1e-12)
