"""MaxPool2d and AvgPool2d (L38): gradcheck, PyTorch parity (ties included), errors, config."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from abcdl.layers import AvgPool2d, MaxPool2d
from abcdl.numdiff import check_module

# (H, W, kernel, stride, padding): default stride, overlapping windows (stride < kernel),
# stride 2, padding 1, non-square, uncovered border (stride > kernel), padded exact tiling
POOL_CASES = [
    (4, 6, 2, None, 0),
    (5, 6, 3, 1, 0),
    (7, 6, 3, 2, 1),
    (6, 7, (2, 3), (2, 1), (1, 1)),
    (7, 5, (3, 2), (2, 2), (1, 0)),
    (7, 7, 2, 3, 0),
    (6, 4, 2, None, 1),             # padded windows that tile the padded input exactly
]
POOLS = {"max": (MaxPool2d, torch.nn.MaxPool2d), "avg": (AvgPool2d, torch.nn.AvgPool2d)}


def distinct_input(rng, shape):
    """Values >= 0.01 apart (no ties, far from the max's kinks for h = 1e-6), in random order."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.01 - n * 0.005).reshape(shape)


def _assert_all_passed(results):
    for name, res in results.items():
        assert res.passed, f"{name}: {res}"


def _torch_pool(kind, layer, x, G):
    xt = torch.tensor(x, requires_grad=True)
    out = POOLS[kind][1](layer.kernel_size, layer.stride, layer.padding)(xt)
    out.backward(torch.tensor(G))
    return out.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("case", POOL_CASES)
def test_pool_gradcheck(kind, case, rng):
    H, W, k, s, p = case
    layer = POOLS[kind][0](k, stride=s, padding=p)
    results = check_module(layer, distinct_input(rng, (4, 2, H, W)), rng=rng)
    assert set(results) == {"x"}
    _assert_all_passed(results)


@pytest.mark.parametrize("kind", sorted(POOLS))
@pytest.mark.parametrize("case", POOL_CASES)
def test_pool_matches_torch(kind, case, rng):
    H, W, k, s, p = case
    layer = POOLS[kind][0](k, stride=s, padding=p)
    x = rng.standard_normal((4, 3, H, W))
    out = layer.forward(x)
    G = rng.standard_normal(out.shape)
    dx = layer.backward(G)
    t_out, t_dx = _torch_pool(kind, layer, x, G)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", POOL_CASES)
def test_maxpool_ties_go_to_the_first_maximum_like_torch(case, rng):
    H, W, k, s, p = case
    layer = MaxPool2d(k, stride=s, padding=p)
    x = rng.integers(0, 2, (3, 2, H, W)).astype(np.float64)   # many ties
    out = layer.forward(x)
    G = rng.standard_normal(out.shape)
    t_out, t_dx = _torch_pool("max", layer, x, G)
    np.testing.assert_array_equal(out, t_out)
    np.testing.assert_allclose(layer.backward(G), t_dx, rtol=1e-12, atol=1e-14)


def test_maxpool_routes_the_gradient_to_the_winner():
    x = np.array([[[[1., 5., 2., 0.],
                    [3., 4., 8., 7.]]]])
    pool = MaxPool2d(2)
    np.testing.assert_array_equal(pool.forward(x), [[[[5., 8.]]]])
    np.testing.assert_array_equal(pool.backward(np.array([[[[10., 20.]]]])),
                                  [[[[0., 10., 0., 0.], [0., 0., 20., 0.]]]])


def test_avgpool_counts_zero_padding_in_the_average():
    # PyTorch's default count_include_pad=True: a corner window of a padded 2x2 map holds 1 pixel of 4.
    x = np.full((1, 1, 2, 2), 4.0)
    out = AvgPool2d(2, stride=2, padding=1).forward(x)
    np.testing.assert_array_equal(out, np.ones((1, 1, 2, 2)))


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_pool_float32_and_channel_major_inputs(kind, rng):
    layer = POOLS[kind][0](2)
    x = rng.standard_normal((3, 4, 6, 6)).astype(np.float32)
    x_cm = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)   # a Conv2d-style view
    out, out_cm = layer.forward(x), layer.forward(x_cm)
    np.testing.assert_array_equal(out, out_cm)
    dx = layer.backward(np.ones(out.shape, dtype=np.float32))
    assert out.dtype == dx.dtype == np.float32


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_pool_errors(kind):
    cls = POOLS[kind][0]
    with pytest.raises(RuntimeError, match="before forward"):
        cls(2).backward(np.zeros((1, 1, 2, 2)))
    with pytest.raises(ValueError, match=rf"{cls.__name__}\(.*expected input of shape \(m, C, H, W\), "
                                         r"got \(2, 8, 8\)"):
        cls(2).forward(np.zeros((2, 8, 8)))
    with pytest.raises(ValueError, match=r"3x8.*smaller than the kernel \(4, 4\).*\(1, 1, 3, 8\)"):
        cls(4).forward(np.zeros((1, 1, 3, 8)))
    with pytest.raises(ValueError, match="at most half the kernel"):
        cls(2, padding=2)
    with pytest.raises(TypeError, match="stride"):
        cls(2, stride=1.5)
    layer = cls(2)
    layer.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(1, 1, 2, 2\), got \(1, 1, 2\)"):
        layer.backward(np.zeros((1, 1, 2)))


@pytest.mark.parametrize("kind", sorted(POOLS))
def test_pool_config_and_default_stride(kind):
    cls = POOLS[kind][0]
    layer = cls((3, 2), padding=(1, 0))
    assert layer.stride == (3, 2)                             # stride defaults to the kernel
    cfg = layer.config()
    assert json.loads(json.dumps(cfg)) == {"kernel_size": [3, 2], "stride": [3, 2], "padding": [1, 0]}
    assert type(layer)(**cfg).config() == cfg
    assert repr(cls(2)) == f"{cls.__name__}(kernel_size=2, stride=2, padding=0)"
    assert layer.parameters() == [] and layer.state_dict() == {}
