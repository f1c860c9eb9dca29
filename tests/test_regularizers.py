"""L2 and L1 regularization (L31, L32): values, gradients (numerically checked), and torch's weight_decay."""

from __future__ import annotations

from argparse import Namespace

import numpy as np
import pytest
import torch

import abcdl
from abcdl.layers import BatchNorm1d, Dropout, Linear, ReLU, Tanh
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import Sequential
from abcdl.numdiff import gradcheck
from abcdl.optim import SGD
from abcdl.regularizers import L1, L2, WeightDecay, weights

M = 8           # batch size: the m of J = (1/m) sum L + (lambda/2m) ...
H = 1e-6        # central-difference step


def _model(seed: int = 0) -> Sequential:
    r = np.random.default_rng(seed)
    return Sequential(Linear(5, 6, rng=r, dtype=np.float64), BatchNorm1d(6, dtype=np.float64), ReLU(),
                      Dropout(0.3, rng=r), Linear(6, 3, rng=r, dtype=np.float64))


def _away_from_zero(model: Sequential, margin: float = 0.05) -> None:
    """|w| >= margin for every weight, so sign(w) is constant within +-h (L1's kink is at 0)."""
    for W in weights(model):
        W.data[...] = np.where(W.data >= 0, 1, -1) * np.maximum(np.abs(W.data), margin)


def test_regularizers_weights_are_the_Ws_only():
    model = _model()
    names = [n for n, p in model.named_parameters() if any(p is w for w in weights(model))]
    assert names == ["layers.0.W", "layers.4.W"]           # not b, not BatchNorm's gamma/beta
    ps = model.parameters()
    assert weights(ps[:2]) == ps[:2]                       # a list: every Parameter in it
    with pytest.raises(TypeError, match="Parameter"):
        weights([np.zeros(3)])


@pytest.mark.parametrize("reg_cls", [L2, L1])
def test_regularizers_penalty_values(reg_cls):
    model = _model()
    W0, W1 = (p.data for p in weights(model))
    lam = 0.3
    if reg_cls is L2:   # (lambda/2m) sum_l ||W[l]||_F^2
        expected = lam / (2 * M) * (np.sum(W0 ** 2) + np.sum(W1 ** 2))
    else:               # (lambda/2m) sum_l sum_ij |w_ij|
        expected = lam / (2 * M) * (np.sum(np.abs(W0)) + np.sum(np.abs(W1)))
    reg = reg_cls(lam)
    assert reg.penalty(model, M) == pytest.approx(expected, rel=1e-14)
    assert reg.penalty(weights(model), M) == pytest.approx(expected, rel=1e-14)
    assert reg_cls(0.0).penalty(model, M) == 0.0
    assert reg_cls(**reg.config()).lam == lam and repr(reg) == f"{reg_cls.__name__}(lam=0.3)"


@pytest.mark.parametrize("reg_cls", [L2, L1])
def test_regularizers_penalty_gradcheck(reg_cls):
    model = _model()
    _away_from_zero(model)
    reg = reg_cls(0.9)
    model.zero_grad()
    reg.backward(model, M)
    for name, p in model.named_parameters():
        res = gradcheck(lambda _: reg.penalty(model, M), p.data, p.grad.copy(), h=H, name=name)
        assert res.passed, str(res)
        if name.endswith(".W"):
            assert np.abs(p.grad).min() > 0                # every weight got its term
        else:
            assert not p.grad.any()                        # biases, gamma, beta are not penalised
    W = weights(model)[0]
    expected = 0.9 / M * W.data if reg_cls is L2 else 0.9 / (2 * M) * np.sign(W.data)
    np.testing.assert_allclose(W.grad, expected, rtol=1e-15)   # (lambda/m) W  or  (lambda/2m) sign(W)


@pytest.mark.parametrize("reg_cls", [L2, L1])
def test_regularizers_whole_model_gradcheck(reg_cls):
    """J = SoftmaxCE(model(X), t) + Omega, with Linear, BatchNorm1d, ReLU, Dropout (fixed mask), Linear."""
    model = _model(1)
    _away_from_zero(model)
    drop = model[3]
    rng = np.random.default_rng(5)
    X, t = rng.standard_normal((M, 5)), rng.integers(0, 3, M)
    loss_fn, reg = SoftmaxCrossEntropyLoss(), reg_cls(0.7)

    def J(_=None) -> float:
        drop.rng = np.random.default_rng(11)               # the same dropout mask at every evaluation
        return loss_fn.forward(model.forward(X), t) + reg.penalty(model, M)

    # ReLU's kink: its inputs (the batch-norm outputs) must stay well away from 0.
    relu_in = model[1].forward(model[0].forward(X))
    assert np.abs(relu_in).min() > 100 * H
    model.zero_grad()
    J()
    model.backward(loss_fn.backward())
    reg.backward(model, M)
    analytic = {name: p.grad.copy() for name, p in model.named_parameters()}
    for name, p in model.named_parameters():
        res = gradcheck(J, p.data, analytic[name], h=H, rtol=1e-5, atol=1e-8, name=name)
        assert res.passed and res.max_rel_error < 1e-5, str(res)


def test_regularizers_l2_equals_torch_weight_decay_lambda_over_m():
    # One SGD step with the lecture's L2 equals torch.optim.SGD with weight_decay = lambda/m on the weights.
    lam, lr = 0.5, 0.1
    r = np.random.default_rng(0)
    model = Sequential(Linear(4, 5, rng=r, dtype=np.float64), Tanh(), Linear(5, 2, rng=r, dtype=np.float64))
    X, t = r.standard_normal((M, 4)), r.integers(0, 2, M)
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        for i in (0, 2):
            net[i].weight.copy_(torch.from_numpy(model[i].W.data))
            net[i].bias.copy_(torch.from_numpy(model[i].b.data))
    loss_fn, reg, opt = SoftmaxCrossEntropyLoss(), L2(lam), SGD(model.parameters(), lr=lr)
    topt = torch.optim.SGD([
        {"params": [net[0].weight, net[2].weight], "weight_decay": lam / M},
        {"params": [net[0].bias, net[2].bias], "weight_decay": 0.0},
    ], lr=lr)
    for _ in range(5):
        opt.zero_grad()
        J = loss_fn.forward(model.forward(X), t) + reg.penalty(model, M)
        model.backward(loss_fn.backward())
        reg.backward(model, M)
        opt.step()
        topt.zero_grad()
        J0 = torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(t))
        penalty = lam / (2 * M) * sum(float((net[i].weight.detach() ** 2).sum()) for i in (0, 2))
        J0.backward()
        topt.step()
        # the reported J is torch's loss plus the penalty torch never shows
        assert J == pytest.approx(float(J0.detach()) + penalty, rel=1e-12) and penalty > 1e-3
    for i in (0, 2):
        np.testing.assert_allclose(model[i].W.data, net[i].weight.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(model[i].b.data, net[i].bias.detach().numpy(), rtol=1e-12)


def test_regularizers_weight_decay_is_l2_with_lambda_wd_times_m():
    # WeightDecay(wd) is L31's L2 with lambda = wd m for a batch of m: the penalty (wd/2) sum ||W||^2
    # and the gradient wd W are the same for every batch size (what `abcdl train --weight-decay` means).
    model, wd = _model(), 0.01
    W0, W1 = (p.data for p in weights(model))
    expected = wd / 2 * (np.sum(W0 ** 2) + np.sum(W1 ** 2))
    reg = WeightDecay(wd)
    for m in (1, 7, 100):
        assert reg.penalty(model, m) == pytest.approx(expected, rel=1e-14)
        assert reg.penalty(model, m) == pytest.approx(L2(wd * m).penalty(model, m), rel=1e-14)
        model.zero_grad()
        reg.backward(model, m)
        for name, p in model.named_parameters():
            if name.endswith(".W"):
                np.testing.assert_allclose(p.grad, wd * p.data, rtol=1e-14)      # dW += wd W
            else:
                assert not p.grad.any()
    assert WeightDecay(**reg.config()).wd == wd and repr(reg) == "WeightDecay(wd=0.01)"
    with pytest.raises(ValueError, match="wd"):
        WeightDecay(-1.0)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_regularizers_cli_weight_decay_is_weight_decay(optimizer):
    # `abcdl train --weight-decay 0.001`: AdamW decays in its update; every other optimizer gets
    # WeightDecay(0.001), which does not depend on --batch-size (the last batch may be smaller).
    from abcdl.cli._train_setup import build_optimizer

    args = Namespace(optimizer=optimizer, lr=None, momentum=None, weight_decay=1e-3, batch_size=64)
    opt, reg, _ = build_optimizer(args, _model())
    if optimizer == "adamw":
        assert reg is None and opt.weight_decay == 1e-3
    else:
        assert type(reg) is WeightDecay and reg.wd == 1e-3 and opt.weight_decay == 0


def test_regularizers_keep_float32():
    model = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1))     # float32 default
    for reg in (L2(0.1), L1(0.1)):
        model.zero_grad()
        reg.backward(model, 4)
        assert all(p.grad.dtype == np.float32 for p in model.parameters())
        assert isinstance(reg.penalty(model, 4), float)


@pytest.mark.parametrize("reg_cls", [L2, L1])
def test_regularizers_reject_bad_arguments(reg_cls):
    for lam in (-0.1, float("nan"), "1"):
        with pytest.raises(ValueError, match="lam"):
            reg_cls(lam)
    reg, model = reg_cls(0.1), _model()
    for m in (0, -3, 2.5):
        with pytest.raises(ValueError, match="m "):
            reg.penalty(model, m)
        with pytest.raises(ValueError, match="m "):
            reg.backward(model, m)
    with pytest.raises(TypeError, match="Module or an iterable"):
        reg.penalty(3.0, 4)
    assert abcdl.regularizers.L2 is L2
