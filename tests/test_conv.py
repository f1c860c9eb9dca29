"""Conv2d, Flatten and BatchNorm2d (L38, L34): gradcheck, PyTorch parity, state_dict, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import abcdl
from abcdl.layers import BatchNorm2d, Conv2d, Flatten
from abcdl.models import Sequential
from abcdl.numdiff import check_module

# (C_in, F, H, W, kernel, stride, padding): stride 1 and 2, padding 0 and 1, non-square inputs and kernels
CONV_CASES = [
    (2, 3, 5, 6, 3, 1, 0),
    (2, 3, 6, 5, (3, 2), 1, 1),
    (1, 2, 7, 6, 3, 2, 1),
    (3, 2, 6, 7, (2, 3), 2, 0),
    (2, 2, 7, 5, (3, 2), (2, 1), (1, 0)),
]


def _assert_all_passed(results):
    for name, res in results.items():
        assert res.passed, f"{name}: {res}"


def _torch_conv(x, conv, G):
    """Forward, dx, dW, db of torch.nn.functional.conv2d with conv's weights, upstream G."""
    xt = torch.tensor(x, requires_grad=True)
    Wt = torch.tensor(conv.W.data, requires_grad=True)
    bt = torch.tensor(conv.b.data, requires_grad=True) if conv.b is not None else None
    out = torch.nn.functional.conv2d(xt, Wt, bt, stride=conv.stride, padding=conv.padding)
    out.backward(torch.tensor(G))
    return (out.detach().numpy(), xt.grad.numpy(), Wt.grad.numpy(),
            None if bt is None else bt.grad.numpy())


# fast=False: the im2col lines of Conv2d in every case; fast=True: stride 1 runs abcdl.layers._conv_fast
@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv_gradcheck(case, bias, fast, rng):
    C, F, H, W, k, s, p = case
    conv = Conv2d(C, F, k, stride=s, padding=p, bias=bias, rng=rng, dtype=np.float64)
    conv.fast = fast
    if bias:
        conv.b.data[:] = rng.standard_normal(F)
    x = rng.standard_normal((4, C, H, W))
    results = check_module(conv, x, rng=rng)
    assert set(results) == ({"x", "W", "b"} if bias else {"x", "W"})
    _assert_all_passed(results)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_matches_torch(case, fast, rng):
    C, F, H, W, k, s, p = case
    conv = Conv2d(C, F, k, stride=s, padding=p, rng=rng, dtype=np.float64)
    conv.fast = fast
    conv.b.data[:] = rng.standard_normal(F)
    x = rng.standard_normal((4, C, H, W))
    out = conv.forward(x)
    G = rng.standard_normal(out.shape)
    dx = conv.backward(G)
    t_out, t_dx, t_dW, t_db = _torch_conv(x, conv, G)
    np.testing.assert_allclose(out, t_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, t_dx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.W.grad, t_dW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(conv.b.grad, t_db, rtol=1e-10, atol=1e-12)


def test_conv_accumulates_gradients_and_skips_input_grad(rng):
    conv = Conv2d(2, 3, 3, padding=1, rng=rng, dtype=np.float64)
    x = rng.standard_normal((4, 2, 5, 5))
    G = rng.standard_normal(conv.forward(x).shape)
    conv.backward(G)
    dW, db = conv.W.grad.copy(), conv.b.grad.copy()
    assert conv.backward(G, input_grad=False) is None      # dW, db only
    np.testing.assert_allclose(conv.W.grad, 2 * dW)        # p.grad += ...
    np.testing.assert_allclose(conv.b.grad, 2 * db)


def test_conv_does_not_modify_upstream_gradient(rng):
    conv = Conv2d(2, 3, 3, rng=rng, dtype=np.float64)
    G = rng.standard_normal(conv.forward(rng.standard_normal((4, 2, 5, 5))).shape)
    G0 = G.copy()
    conv.backward(G)
    np.testing.assert_array_equal(G, G0)


def test_conv_state_dict_maps_onto_torch_conv2d(rng):
    model = Sequential(Conv2d(3, 4, (3, 2), stride=2, padding=1, rng=rng, dtype=np.float64))
    tconv = torch.nn.Conv2d(3, 4, (3, 2), stride=2, padding=1).double()
    state = model.state_dict()
    assert list(state) == ["layers.0.W", "layers.0.b"]
    tstate = tconv.state_dict()
    assert [tuple(v.shape) for v in tstate.values()] == [v.shape for v in state.values()]
    # abcdl -> torch: same output
    tconv.load_state_dict({"weight": torch.tensor(state["layers.0.W"]),
                           "bias": torch.tensor(state["layers.0.b"] + 0.5)}, strict=True)
    model.load_state_dict({"layers.0.W": state["layers.0.W"], "layers.0.b": state["layers.0.b"] + 0.5})
    x = rng.standard_normal((2, 3, 7, 6))
    with torch.no_grad():
        np.testing.assert_allclose(model.forward(x), tconv(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-12)
    # torch -> abcdl: same output
    torch.manual_seed(0)
    tconv2 = torch.nn.Conv2d(3, 4, (3, 2), stride=2, padding=1).double()
    model.load_state_dict({"layers.0.W": tconv2.weight.detach().numpy(),
                           "layers.0.b": tconv2.bias.detach().numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(model.forward(x), tconv2(torch.tensor(x)).numpy(), rtol=1e-12, atol=1e-12)


def test_conv_float32_stays_float32(rng):
    conv = Conv2d(2, 3, 3, padding=1, rng=rng)
    x = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
    out = conv.forward(x)
    dx = conv.backward(np.ones(out.shape, dtype=np.float32))
    assert conv.W.dtype == np.float32
    assert out.dtype == dx.dtype == conv.W.grad.dtype == conv.b.grad.dtype == np.float32


def test_conv_he_init_and_zero_bias():
    conv = Conv2d(8, 64, 5, rng=np.random.default_rng(0), dtype=np.float64)
    assert conv.W.shape == (64, 8, 5, 5) and conv.b.shape == (64,)
    # He: std = sqrt(2 / fan_in), fan_in = C kh kw = 200
    assert abs(conv.W.data.std() - np.sqrt(2 / 200)) < 0.005
    assert np.all(conv.b.data == 0)


def test_conv_config_rebuilds_and_is_json(rng):
    conv = Conv2d(3, 4, (3, 2), stride=(2, 1), padding=1, bias=False, rng=rng)
    cfg = conv.config()
    json.dumps(cfg)
    again = type(conv)(**cfg)
    assert again.config() == cfg and again.W.shape == conv.W.shape and again.b is None
    assert repr(conv) == "Conv2d(3, 4, kernel_size=[3, 2], stride=[2, 1], padding=1, bias=False)"
    assert repr(Conv2d(1, 30, 5)) == "Conv2d(1, 30, kernel_size=5, stride=1)"


def test_conv_backward_before_forward_raises():
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2d(1, 2, 3).backward(np.zeros((1, 2, 3, 3)))


@pytest.mark.parametrize("shape, match", [
    ((4, 3, 8, 8), r"Conv2d\(2, 4.*expected input of shape \(m, 2, H, W\), got \(4, 3, 8, 8\)"),
    ((4, 2, 8), r"Conv2d\(2, 4.*expected input of shape \(m, 2, H, W\), got \(4, 2, 8\)"),
    ((4, 2, 2, 8), r"Conv2d\(2, 4.*2x8.*smaller than the kernel \(3, 3\).*\(4, 2, 2, 8\)"),
])
def test_conv_rejects_bad_inputs(shape, match):
    with pytest.raises(ValueError, match=match):
        Conv2d(2, 4, 3).forward(np.zeros(shape))


def test_conv_rejects_bad_upstream_shape_and_arguments(rng):
    conv = Conv2d(2, 4, 3)
    conv.forward(np.zeros((2, 2, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"expected dZ of shape \(2, 4, 3, 3\), got \(2, 4, 3\)"):
        conv.backward(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="in_channels"):
        Conv2d(0, 4, 3)
    with pytest.raises(TypeError, match="kernel_size"):
        Conv2d(1, 4, 2.5)
    with pytest.raises(ValueError, match="padding"):
        Conv2d(1, 4, 3, padding=-1)


def test_conv_names_its_place_in_a_sequential():
    model = Sequential(Conv2d(1, 2, 3), Conv2d(3, 2, 3))
    with pytest.raises(ValueError, match=r"at layers\.1: expected input of shape \(m, 3, H, W\), "
                                          r"got \(1, 2, 3, 3\)"):
        model.forward(np.zeros((1, 1, 5, 5)))


# -- Flatten -----------------------------------------------------------------
def test_flatten_forward_backward_match_torch(rng):
    x = rng.standard_normal((4, 3, 5, 2)).transpose(0, 1, 3, 2)     # any memory layout
    f = Flatten()
    out = f.forward(x)
    G = rng.standard_normal(out.shape)
    xt = torch.tensor(np.ascontiguousarray(x), requires_grad=True)
    ot = torch.nn.Flatten()(xt)
    ot.backward(torch.tensor(G))
    np.testing.assert_array_equal(out, ot.detach().numpy())
    np.testing.assert_array_equal(f.backward(G), xt.grad.numpy())
    _assert_all_passed(check_module(Flatten(), np.ascontiguousarray(x), rng=rng))


def test_flatten_errors_and_config():
    f = Flatten()
    with pytest.raises(RuntimeError, match="before forward"):
        f.backward(np.zeros((2, 6)))
    f.forward(np.zeros((2, 3, 2)))
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(2, 6\), got \(2, 5\)"):
        f.backward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"Flatten\(\): expected input of shape \(m, d1, \.\.\.\)"):
        f.forward(np.zeros(5))
    assert f.config() == {} and repr(f) == "Flatten()"


# -- BatchNorm2d ---------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm2d_gradcheck(training, rng):
    bn = BatchNorm2d(3, dtype=np.float64)
    bn.gamma.data[:] = rng.uniform(0.5, 1.5, 3)
    bn.beta.data[:] = rng.standard_normal(3)
    bn.running_mean[:] = rng.standard_normal(3)
    bn.running_var[:] = rng.uniform(0.5, 2, 3)
    bn.train(training)
    x = rng.standard_normal((4, 3, 3, 2)) * 2 + 1
    _assert_all_passed(check_module(bn, x, rng=rng))


def test_batchnorm2d_matches_torch_train_and_eval(rng):
    bn = BatchNorm2d(3, momentum=0.2, dtype=np.float64)
    tbn = torch.nn.BatchNorm2d(3, momentum=0.2).double()
    gamma, beta = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    bn.gamma.data[:], bn.beta.data[:] = gamma, beta
    with torch.no_grad():
        tbn.weight.copy_(torch.tensor(gamma))
        tbn.bias.copy_(torch.tensor(beta))
    for _ in range(4):                                      # several training steps move the running stats
        x = rng.standard_normal((5, 3, 4, 3)) * 3 + 2
        G = rng.standard_normal(x.shape)
        bn.zero_grad()
        tbn.zero_grad()
        out, dx = bn.forward(x), None
        dx = bn.backward(G)
        xt = torch.tensor(x, requires_grad=True)
        ot = tbn(xt)
        ot.backward(torch.tensor(G))
        np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(bn.gamma.grad, tbn.weight.grad.numpy(), rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(bn.beta.grad, tbn.bias.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(bn.running_mean, tbn.running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var, tbn.running_var.numpy(), rtol=1e-12)
    bn.eval()
    tbn.eval()
    x = rng.standard_normal((2, 3, 4, 3))
    G = rng.standard_normal(x.shape)
    xt = torch.tensor(x, requires_grad=True)
    ot = tbn(xt)
    ot.backward(torch.tensor(G))
    np.testing.assert_allclose(bn.forward(x), ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(bn.backward(G), xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert list(bn.state_dict()) == ["gamma", "beta", "running_mean", "running_var"]


def test_batchnorm2d_same_result_for_any_memory_layout(rng):
    x = rng.standard_normal((4, 3, 5, 2))
    G = rng.standard_normal(x.shape)
    results = []
    for xin in (x, np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3),
                np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)):
        bn = BatchNorm2d(3, dtype=np.float64)
        results.append((bn.forward(xin), bn.backward(G), bn.gamma.grad.copy(), bn.running_var.copy()))
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_batchnorm2d_single_value_per_channel_needs_eval():
    bn = BatchNorm2d(2)
    with pytest.raises(ValueError, match=r"BatchNorm2d\(2.*more than 1 value per channel.*\(1, 2, 1, 1\)"):
        bn.forward(np.zeros((1, 2, 1, 1)))
    bn.eval()
    assert bn.forward(np.ones((1, 2, 1, 1), dtype=np.float32)).shape == (1, 2, 1, 1)
    bn.train()
    assert bn.forward(np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)).shape == (1, 2, 2, 2)


def test_batchnorm2d_errors_dtype_and_config(rng):
    bn = BatchNorm2d(3)
    with pytest.raises(RuntimeError, match="before forward"):
        bn.backward(np.zeros((2, 3, 2, 2)))
    with pytest.raises(ValueError, match=r"expected input of shape \(m, 3, H, W\), got \(2, 4, 2, 2\)"):
        bn.forward(np.zeros((2, 4, 2, 2)))
    out = bn.forward(rng.standard_normal((2, 3, 2, 2)).astype(np.float32))
    assert out.dtype == np.float32
    assert bn.backward(np.ones_like(out)).dtype == np.float32
    with pytest.raises(ValueError, match=r"expected a gradient of shape \(2, 3, 2, 2\)"):
        bn.backward(np.zeros((2, 3, 4)))
    cfg = bn.config()
    assert json.loads(json.dumps(cfg)) == {"num_features": 3, "eps": 1e-5, "momentum": 0.1}
    assert type(bn)(**cfg).num_features == 3
    assert repr(bn).startswith("BatchNorm2d(3")


def test_layers_are_exported():
    assert {"Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "BatchNorm2d"} <= set(abcdl.layers.__all__)
