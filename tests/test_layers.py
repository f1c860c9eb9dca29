"""Layers: central-difference gradient checks and PyTorch parity in float64 (L10, L16, L33, L34)."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from abcdl.layers import BatchNorm1d, Dropout, Identity, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from abcdl.numdiff import check_module

F64 = np.float64


def away_from_kinks(x, h=1e-6):
    """Move values within 10h of 0 (the ReLU kink) away from it."""
    x = x.copy()
    near = np.abs(x) < 1e-4
    x[near] = np.where(x[near] >= 0, 0.1, -0.1)
    return x


def assert_gradcheck(results):
    for name, r in results.items():
        assert r.passed, f"{name}: {r}"


LAYERS = {
    "linear": lambda rng: Linear(5, 3, rng=rng, dtype=F64),
    "linear_nobias": lambda rng: Linear(5, 3, bias=False, init="xavier", rng=rng, dtype=F64),
    "relu": lambda rng: ReLU(),
    "leaky_relu": lambda rng: LeakyReLU(0.1),
    "sigmoid": lambda rng: Sigmoid(),
    "tanh": lambda rng: Tanh(),
    "identity": lambda rng: Identity(),
    "batchnorm_train": lambda rng: BatchNorm1d(5, dtype=F64),
}


@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradcheck(name, rng):
    layer = LAYERS[name](rng)
    if isinstance(layer, BatchNorm1d):   # non-trivial gamma and beta
        layer.gamma.data[:] = rng.uniform(0.5, 1.5, 5)
        layer.beta.data[:] = rng.standard_normal(5)
    x = away_from_kinks(rng.standard_normal((6, 5)))
    assert_gradcheck(check_module(layer, x, rng=rng))


def test_batchnorm_eval_gradcheck(rng):
    bn = BatchNorm1d(4, dtype=F64)
    for _ in range(3):
        bn.forward(rng.standard_normal((8, 4)) * 2 + 1)
    bn.eval()
    assert_gradcheck(check_module(bn, rng.standard_normal((5, 4)), rng=rng))


def test_dropout_gradcheck_with_fixed_mask(rng):
    drop = Dropout(0.4, rng=np.random.default_rng(7))

    def forward(x):
        drop.rng = np.random.default_rng(7)   # the same mask every evaluation
        return Dropout.forward(drop, x)

    assert_gradcheck(check_module(drop, rng.standard_normal((6, 5)), rng=rng, forward=forward))


# -- PyTorch parity -------------------------------------------------------------
def torch_pair(name, layer):
    nn = torch.nn
    if name.startswith("linear"):
        t = nn.Linear(layer.in_features, layer.out_features, bias=layer.b is not None).double()
        with torch.no_grad():
            t.weight.copy_(torch.tensor(layer.W.data))          # untransposed: both (out, in)
            if layer.b is not None:
                t.bias.copy_(torch.tensor(layer.b.data))
        return t
    return {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.1), "sigmoid": nn.Sigmoid(),
            "tanh": nn.Tanh(), "identity": nn.Identity()}[name]


@pytest.mark.parametrize("name", [n for n in LAYERS if not n.startswith("batchnorm")])
def test_layer_torch_parity(name, rng):
    layer = LAYERS[name](rng)
    tl = torch_pair(name, layer)
    x = away_from_kinks(rng.standard_normal((7, 5)))
    G = rng.standard_normal(layer.forward(x).shape)
    y = layer.forward(x)
    layer.zero_grad()
    dx = layer.backward(G)
    xt = torch.tensor(x, requires_grad=True)
    yt = tl(xt)
    yt.backward(torch.tensor(G))
    assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert_allclose(dx, xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    if name.startswith("linear"):
        assert_allclose(layer.W.grad, tl.weight.grad.numpy(), rtol=1e-12)
        if layer.b is not None:
            assert_allclose(layer.b.grad, tl.bias.grad.numpy(), rtol=1e-12)


def test_batchnorm_torch_parity_train_and_eval(rng):
    bn = BatchNorm1d(4, dtype=F64)
    tb = torch.nn.BatchNorm1d(4).double()
    gamma, beta = rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)
    bn.gamma.data[:], bn.beta.data[:] = gamma, beta
    with torch.no_grad():
        tb.weight.copy_(torch.tensor(gamma))
        tb.bias.copy_(torch.tensor(beta))
    for step in range(5):   # several training steps: running statistics must follow torch's
        x = rng.standard_normal((6, 4)) * 3 + step
        G = rng.standard_normal((6, 4))
        bn.zero_grad()
        tb.zero_grad()
        y = bn.forward(x)
        dx = bn.backward(G)
        xt = torch.tensor(x, requires_grad=True)
        yt = tb(xt)
        yt.backward(torch.tensor(G))
        assert_allclose(y, yt.detach().numpy(), rtol=1e-10, atol=1e-12)
        assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-12)
        assert_allclose(bn.gamma.grad, tb.weight.grad.numpy(), rtol=1e-10)
        assert_allclose(bn.beta.grad, tb.bias.grad.numpy(), rtol=1e-10)
    assert_allclose(bn.running_mean, tb.running_mean.numpy(), rtol=1e-12)
    assert_allclose(bn.running_var, tb.running_var.numpy(), rtol=1e-12)   # unbiased, momentum 0.1
    bn.eval()
    tb.eval()
    x = rng.standard_normal((3, 4))
    G = rng.standard_normal((3, 4))
    y = bn.forward(x)
    dx = bn.backward(G)
    xt = torch.tensor(x, requires_grad=True)
    yt = tb(xt)
    yt.backward(torch.tensor(G))
    assert_allclose(y, yt.detach().numpy(), rtol=1e-10)
    assert_allclose(dx, xt.grad.numpy(), rtol=1e-10)


def test_batchnorm_single_example():
    bn = BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value"):
        bn.forward(np.ones((1, 3), dtype=np.float32))
    bn.eval()
    assert bn.forward(np.ones((1, 3), dtype=np.float32)).shape == (1, 3)


def test_dropout_scaling_matches_torch_and_inverted_rule(rng):
    p = 0.3
    drop = Dropout(p, rng=np.random.default_rng(3))
    x = rng.standard_normal((200, 50))
    y = drop.forward(x)
    kept = y != 0
    assert_allclose(y[kept], x[kept] / (1 - p))           # A = A * D / keep_prob
    assert abs(kept.mean() - (1 - p)) < 0.02
    # torch scales survivors by the same 1/(1 - p)
    torch.manual_seed(0)
    yt = torch.nn.functional.dropout(torch.tensor(x), p=p, training=True).numpy()
    kt = yt != 0
    assert_allclose(yt[kt], x[kt] / (1 - p))
    # backward uses the same mask and scale
    G = rng.standard_normal(x.shape)
    assert_allclose(drop.backward(G), G * kept / (1 - p))
    drop.eval()
    assert np.array_equal(drop.forward(x), x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_dtype(dtype, rng):
    layers = [Linear(4, 3, rng=rng, dtype=dtype), ReLU(), LeakyReLU(), Sigmoid(), Tanh(),
              Dropout(0.5, rng=rng), BatchNorm1d(3, dtype=dtype)]
    x = rng.standard_normal((5, 4)).astype(dtype)
    for layer in layers:
        x = layer.forward(x)
        assert x.dtype == dtype, type(layer).__name__
    g = np.ones_like(x)
    for layer in reversed(layers):
        g = layer.backward(g)
        assert g.dtype == dtype, type(layer).__name__
    assert all(p.grad.dtype == dtype for layer in layers for p in layer.parameters())


def test_wrong_input_shape_names_layer_and_shapes():
    from abcdl.models import Sequential

    model = Sequential(Linear(4, 3), ReLU(), Linear(3, 2))
    with pytest.raises(ValueError) as exc:
        model.forward(np.ones((5, 7), dtype=np.float32))
    msg = str(exc.value)
    assert "Linear(4, 3)" in msg and "layers.0" in msg and "(m, 4)" in msg and "(5, 7)" in msg
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(m, 3\).*\(2, 4\)"):
        BatchNorm1d(3).forward(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"expected input of shape \(m, 4\), got \(4,\)"):
        Linear(4, 3).forward(np.ones(4))


def test_backward_before_forward_raises():
    for layer in (Linear(2, 2), ReLU(), Sigmoid(), Tanh(), Dropout(0.5), BatchNorm1d(2)):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((2, 2)))


def test_backward_accumulates_and_leaves_dout_alone(rng):
    lin = Linear(3, 2, rng=rng, dtype=F64)
    x = rng.standard_normal((4, 3))
    G = rng.standard_normal((4, 2))
    G0 = G.copy()
    lin.forward(x)
    lin.backward(G)
    once = lin.W.grad.copy()
    lin.backward(G)
    assert_allclose(lin.W.grad, 2 * once)
    assert np.array_equal(G, G0)
    relu = ReLU()
    relu.forward(x - 0.5)
    d = rng.standard_normal((4, 3))
    d0 = d.copy()
    relu.backward(d)
    assert np.array_equal(d, d0)


def test_invalid_constructor_arguments():
    with pytest.raises(ValueError, match="in_features"):
        Linear(0, 3)
    with pytest.raises(ValueError, match="init"):
        Linear(3, 3, init="bogus")
    with pytest.raises(ValueError, match="p"):
        Dropout(1.0)
    with pytest.raises(ValueError, match="momentum"):
        BatchNorm1d(3, momentum=2)
