"""abcdl Parameters as autograd leaves (L39): one optimizer package for hand-written and autograd models."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from abcdl import Parameter
from abcdl import autograd as ag
from abcdl.layers import Linear, ReLU
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.optim import SGD, Adam


def test_autograd_params_leaf_reads_data_and_accumulates_into_grad_in_place():
    p = Parameter(np.array([1.0, -2.0, 3.0]), name="w")
    x = ag.param(p)
    assert x.requires_grad and x.is_leaf and x.data is p.data
    grad_array = p.grad
    (x * x).sum().backward()
    (x * 3).sum().backward()                            # accumulates, as layers do: p.grad += g
    assert p.grad is grad_array                          # the same array, updated in place
    assert_allclose(p.grad, 2 * p.data + 3)
    assert_allclose(x.grad.data, p.grad)
    x.grad = None                                        # zeroes p.grad in place
    assert p.grad is grad_array and not p.grad.any()


def test_autograd_params_leaf_follows_a_rebound_data_array():
    p = Parameter(np.zeros(3))
    x = ag.Tensor.from_parameter(p)
    p.data = np.array([1.0, 2.0, 3.0])                  # e.g. an optimizer moving storage
    assert x.data is p.data
    ag.sum(x * x).backward()
    assert_allclose(p.grad, [2.0, 4.0, 6.0])
    assert "ParamTensor" in repr(x) and "shape=(3,)" in repr(x)


def test_autograd_params_grad_function_leaves_parameter_grad_alone():
    p = Parameter(np.array([2.0]))
    x = ag.param(p)
    (g,) = ag.grad(x ** 3, [x], create_graph=True)
    (h,) = ag.grad(g, [x])
    assert_allclose([g.item(), h.item()], [12.0, 12.0])
    assert not p.grad.any()


def _models(seed: int = 0):
    """The same 5-6-6-3 ReLU MLP twice: abcdl.layers, and Parameters with equal copies of the weights."""
    rng = np.random.default_rng(seed)
    layers = [Linear(5, 6, rng=rng, dtype=np.float64), ReLU(), Linear(6, 6, rng=rng, dtype=np.float64),
              ReLU(), Linear(6, 3, rng=rng, dtype=np.float64)]
    for layer in layers[::2]:
        layer.b.data[...] = rng.standard_normal(layer.b.shape) * 0.1
    params = [Parameter(p.data, name=p.name) for layer in layers[::2] for p in (layer.W, layer.b)]
    return layers, params


def _hand_step(layers, loss_fn, opt, X, t) -> float:
    h = X
    for layer in layers:
        h = layer.forward(h)
    loss = loss_fn.forward(h, t)
    opt.zero_grad()
    d = loss_fn.backward()
    for layer in reversed(layers):
        d = layer.backward(d)
    opt.step()
    return loss


def _autograd_step(params, opt, X, t) -> float:
    W1, b1, W2, b2, W3, b3 = (ag.param(p) for p in params)   # leaves made anew: they read p.data now
    h = ag.relu(ag.linear(X, W1, b1))
    h = ag.relu(ag.linear(h, W2, b2))
    loss = ag.softmax_cross_entropy(ag.linear(h, W3, b3), t)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


@pytest.mark.parametrize("make_opt", [
    lambda ps: Adam(ps, lr=0.01),
    lambda ps: SGD(ps, lr=0.1),
    lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
], ids=["adam", "sgd", "sgd-nesterov"])
def test_autograd_params_train_like_the_hand_written_layers(make_opt):
    layers, params = _models()
    loss_fn = SoftmaxCrossEntropyLoss()
    opt_hand = make_opt([p for layer in layers for p in layer.parameters()])
    opt_auto = make_opt(params)
    rng = np.random.default_rng(1)
    for _ in range(12):
        X, t = rng.standard_normal((16, 5)), rng.integers(0, 3, 16)
        loss_hand = _hand_step(layers, loss_fn, opt_hand, X, t)
        loss_auto = _autograd_step(params, opt_auto, X, t)
        assert_allclose(loss_auto, loss_hand, rtol=1e-10)
    hand = [p for layer in layers for p in layer.parameters()]
    for p_hand, p_auto in zip(hand, params, strict=True):
        assert_allclose(p_auto.data, p_hand.data, rtol=1e-10, atol=1e-13)
        assert_allclose(p_auto.grad, p_hand.grad, rtol=1e-10, atol=1e-13)
    assert not np.allclose(hand[0].data, _models()[1][0].data)   # training moved the weights


def test_autograd_params_float32_training_stays_float32():
    p = Parameter(np.ones((3, 2), dtype=np.float32))
    opt = Adam([p], lr=0.1)
    x = np.ones((4, 2), dtype=np.float32)
    for _ in range(2):
        opt.zero_grad()
        ag.mse(ag.linear(x, ag.param(p)), np.zeros((4, 3), dtype=np.float32)).backward()
        opt.step()
    assert p.data.dtype == np.float32 and p.grad.dtype == np.float32
    assert (p.data < 1).all()
