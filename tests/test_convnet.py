"""convnet / deep_convnet (L38): shapes, state_dict keys, torch parity, gradcheck, training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import abcdl
from abcdl.layers import Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import convnet, deep_convnet
from abcdl.numdiff import check_module
from abcdl.optim import SGD, Adam


def tiny_digits(rng, m=20, size=12, classes=4):
    """An MNIST-like toy batch: each class a bright bar at its own place, plus noise."""
    t = np.arange(m) % classes
    x = rng.uniform(0, 0.2, (m, 1, size, size))
    for k in range(m):
        r = 2 + 2 * t[k]
        x[k, 0, r:r + 2, 2:size - 2] += 0.8
    return x, t


def test_convnet_shapes_and_layers():
    model = convnet()
    assert [type(layer) for layer in model] == [Conv2d, ReLU, MaxPool2d, Flatten, Linear, ReLU, Linear]
    assert model[0].W.shape == (30, 1, 5, 5) and model[4].W.shape == (100, 30 * 12 * 12)
    out = model.forward(np.zeros((3, 1, 28, 28), dtype=np.float32))
    assert out.shape == (3, 10) and out.dtype == np.float32
    assert list(model.state_dict()) == ["layers.0.W", "layers.0.b", "layers.4.W", "layers.4.b",
                                        "layers.6.W", "layers.6.b"]


def test_deep_convnet_shapes_and_state_dict():
    model = deep_convnet()
    x = np.zeros((2, 1, 28, 28), dtype=np.float32)
    assert model.forward(x).shape == (2, 10)
    convs = [layer for layer in model if isinstance(layer, Conv2d)]
    assert [c.W.shape for c in convs] == [(16, 1, 3, 3), (16, 16, 3, 3), (32, 16, 3, 3), (32, 32, 3, 3),
                                          (64, 32, 3, 3), (64, 64, 3, 3)]
    assert [c.padding for c in convs] == [(1, 1)] * 3 + [(2, 2)] + [(1, 1)] * 2
    linears = [layer for layer in model if isinstance(layer, Linear)]
    assert [lin.W.shape for lin in linears] == [(50, 64 * 4 * 4), (10, 50)]
    drops = [i for i, layer in enumerate(model) if isinstance(layer, Dropout)]
    assert drops == [len(model) - 3, len(model) - 1]          # after the hidden ReLU and after the output
    keys = list(model.state_dict())
    assert len(keys) == 16 and keys[0] == "layers.0.W" and keys[-1].endswith(".b")
    assert len(deep_convnet(final_dropout=False)) == len(model) - 1


def test_convnet_rejects_too_small_inputs():
    with pytest.raises(ValueError, match="too small"):
        convnet(input_shape=(1, 5, 5))
    with pytest.raises(ValueError, match="input_shape"):
        convnet(input_shape=(28, 28))
    with pytest.raises(ValueError, match="too small"):
        deep_convnet(input_shape=(1, 3, 3))


def test_convnet_matches_torch(rng):
    model = convnet((2, 10, 9), num_classes=5, filters=4, kernel_size=3, hidden=7, rng=rng,
                    dtype=np.float64)
    tmodel = torch.nn.Sequential(torch.nn.Conv2d(2, 4, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 3, 7), torch.nn.ReLU(),
                                 torch.nn.Linear(7, 5)).double()
    with torch.no_grad():
        for key, value in model.state_dict().items():
            _, i, name = key.split(".")
            getattr(tmodel[int(i)], {"W": "weight", "b": "bias"}[name]).copy_(torch.tensor(value))
    x = rng.standard_normal((4, 2, 10, 9))
    out = model.forward(x)
    G = rng.standard_normal(out.shape)
    model.zero_grad()
    dx = model.backward(G)
    xt = torch.tensor(x, requires_grad=True)
    ot = tmodel(xt)
    ot.backward(torch.tensor(G))
    np.testing.assert_allclose(out, ot.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), tp in zip(model.named_parameters(), tmodel.parameters(), strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_convnet_whole_model_gradcheck(rng):
    model = convnet((1, 8, 7), num_classes=3, filters=2, kernel_size=3, hidden=4, rng=rng,
                    dtype=np.float64)
    for p in model.parameters():
        p.data[...] += rng.uniform(-0.1, 0.1, p.shape)      # non-zero biases
    results = check_module(model, rng.standard_normal((4, 1, 8, 7)), rng=rng)
    assert set(results) == {"x", "layers.0.W", "layers.0.b", "layers.4.W", "layers.4.b",
                            "layers.6.W", "layers.6.b"}
    for name, res in results.items():
        assert res.passed, f"{name}: {res}"


@pytest.mark.parametrize("builder, opt_cls, lr", [
    (lambda: convnet((1, 12, 12), num_classes=4, filters=6, kernel_size=3, hidden=16), Adam, 1e-2),
    (lambda: convnet((1, 12, 12), num_classes=4, filters=6, kernel_size=3, hidden=16), SGD, 0.1),
    (lambda: deep_convnet((1, 12, 12), num_classes=4, filters=(4, 4, 8, 8, 8, 8), hidden=16,
                          final_dropout=False), Adam, 1e-2),
])
def test_convnet_training_steps_reduce_the_loss(builder, opt_cls, lr, rng):
    abcdl.seed(0)
    x, t = tiny_digits(rng)
    x = x.astype(np.float32)
    model = builder()
    loss_fn = SoftmaxCrossEntropyLoss()
    opt = opt_cls(model.parameters(), lr=lr)
    model.eval()
    first = loss_fn.forward(model.forward(x), t)
    model.train()
    for _ in range(15):
        model.zero_grad()
        loss_fn.forward(model.forward(x), t)
        model.backward(loss_fn.backward(), input_grad=False)
        opt.step()
    model.eval()
    last = loss_fn.forward(model.forward(x), t)
    assert last < 0.7 * first, (first, last)


@pytest.mark.parametrize("builder", [convnet, deep_convnet])
def test_convnets_survive_a_checkpoint_round_trip(builder, tmp_path, rng):
    model = builder(rng=rng)
    model.eval()
    x = rng.random((3, 1, 28, 28), dtype=np.float32)
    model.save(tmp_path / "net.safetensors")
    again = abcdl.load(tmp_path / "net.safetensors")
    again.eval()
    assert repr(again) == repr(model)
    np.testing.assert_array_equal(again.forward(x), model.forward(x))
