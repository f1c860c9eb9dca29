"""Losses from logits: gradient checks, PyTorch parity, the fused (y - t)/m backward (L13-L15, L35)."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from abcdl import functions as F
from abcdl.losses import MSELoss, SigmoidBCELoss, SoftmaxCrossEntropyLoss
from abcdl.numdiff import gradcheck


def cases(rng):
    z = rng.standard_normal((6, 4)) * 2
    return {
        "softmax_ce": (SoftmaxCrossEntropyLoss(), z, rng.integers(0, 4, 6),
                       lambda zt, t: torch.nn.functional.cross_entropy(zt, torch.tensor(t))),
        "softmax_ce_onehot": (SoftmaxCrossEntropyLoss(), z, np.eye(4)[rng.integers(0, 4, 6)],
                              lambda zt, t: torch.nn.functional.cross_entropy(zt, torch.tensor(t))),
        "sigmoid_bce": (SigmoidBCELoss(), z[:, :1], rng.integers(0, 2, (6, 1)).astype(float),
                        lambda zt, t: torch.nn.functional.binary_cross_entropy_with_logits(
                            zt, torch.tensor(t))),
        "mse": (MSELoss(), z, rng.standard_normal((6, 4)),
                lambda zt, t: torch.nn.functional.mse_loss(zt, torch.tensor(t))),
    }


@pytest.mark.parametrize("name", ["softmax_ce", "softmax_ce_onehot", "sigmoid_bce", "mse"])
def test_loss_gradcheck_and_torch_parity(name, rng):
    loss_fn, z, t, torch_fn = cases(rng)[name]
    value = loss_fn.forward(z, t)
    dz = loss_fn.backward().copy()
    res = gradcheck(lambda v: loss_fn.forward(v, t), z, dz)
    assert res.passed, str(res)
    zt = torch.tensor(z, requires_grad=True)
    ref = torch_fn(zt, t)
    ref.backward()
    assert value == pytest.approx(ref.item(), rel=1e-12)
    assert_allclose(dz, zt.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_fused_backward_is_y_minus_t_over_m(rng):
    # L15: dz = y - t, averaged over the m examples
    z = rng.standard_normal((5, 3))
    t = np.array([0, 2, 1, 1, 0])
    ce = SoftmaxCrossEntropyLoss()
    ce.forward(z, t)
    assert_allclose(ce.backward(), (F.softmax(z) - np.eye(3)[t]) / 5, rtol=1e-14)
    zb, tb = rng.standard_normal(5), np.array([1.0, 0, 0, 1, 1])
    bce = SigmoidBCELoss()
    bce.forward(zb, tb)
    assert_allclose(bce.backward(), (F.sigmoid(zb) - tb) / 5, rtol=1e-14)


def test_losses_stable_for_extreme_logits():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 5.0]])
    with np.errstate(all="raise"):
        ce = SoftmaxCrossEntropyLoss().forward(z, np.array([1, 0]))
        bce = SigmoidBCELoss().forward(np.array([1000.0, -1000.0]), np.array([0.0, 1.0]))
    assert ce == pytest.approx(2000.0)
    assert bce == pytest.approx(1000.0)


def test_loss_keeps_float32():
    z = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    for loss_fn, t in ((SoftmaxCrossEntropyLoss(), np.array([0, 1, 2, 0])),
                       (MSELoss(), np.zeros((4, 3))), (SigmoidBCELoss(), np.ones((4, 3)))):
        loss_fn.forward(z, t)
        assert loss_fn.backward().dtype == np.float32


def test_loss_errors():
    ce = SoftmaxCrossEntropyLoss()
    with pytest.raises(RuntimeError, match="before forward"):
        ce.backward()
    with pytest.raises(ValueError, match=r"\(m, K\)"):
        ce.forward(np.zeros(3), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        ce.forward(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="do not match"):
        MSELoss().forward(np.zeros((2, 3)), np.zeros((3, 2)))
    for loss_fn in (ce, SigmoidBCELoss(), MSELoss()):
        with pytest.raises(ValueError, match="empty batch"):
            loss_fn.forward(np.zeros((0, 3)), np.zeros((0, 3)))
    with pytest.raises(FloatingPointError, match="NaN"):
        MSELoss().forward(np.array([np.nan]), np.array([0.0]))
