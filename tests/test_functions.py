"""abcdl.functions: values, derivatives and numerical stability (L10, L13, L14)."""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from abcdl import functions as F
from abcdl.numdiff import central_difference

Z = np.array([-3.0, -0.5, 0.25, 1.5, 4.0])
EXTREME = np.array([[-1000.0, 0.0, 1000.0], [1000.0, -1000.0, 3.0]])

ELEMENTWISE = [
    (F.sigmoid, F.sigmoid_grad, torch.sigmoid),
    (F.tanh, F.tanh_grad, torch.tanh),
    (F.relu, F.relu_grad, torch.relu),
    (F.leaky_relu, F.leaky_relu_grad, lambda z: torch.nn.functional.leaky_relu(z, 0.01)),
    (F.identity, F.identity_grad, lambda z: z),
    (F.softplus, F.sigmoid, torch.nn.functional.softplus),
]


@pytest.mark.parametrize("f,fgrad,tf", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
def test_activation_values_and_derivative(f, fgrad, tf):
    assert_allclose(f(Z), tf(torch.tensor(Z)).numpy(), rtol=1e-12, atol=1e-15)
    assert_allclose(fgrad(Z), central_difference(f, Z, h=1e-6), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("f,fgrad,tf", ELEMENTWISE, ids=lambda v: getattr(v, "__name__", ""))
def test_activation_stable_at_1000(f, fgrad, tf):
    for dtype in (np.float32, np.float64):
        z = EXTREME.astype(dtype)
        with np.errstate(all="raise"):
            y, dy = f(z), fgrad(z)
        assert y.dtype == dtype and np.all(np.isfinite(y)) and np.all(np.isfinite(dy))
        assert_allclose(y, tf(torch.tensor(EXTREME)).numpy(), rtol=1e-6)


def test_step_and_sign_thresholds():
    z = np.array([-2.0, 0.0, 3.0])
    assert_allclose(F.step(z), [0, 0, 1])
    assert_allclose(F.sign(z), [-1, -1, 1])   # the boundary counts as the negative side (L7)
    assert_allclose(F.step_grad(z), 0)
    assert_allclose(F.sign_grad(z), 0)


def test_sigmoid_symmetry_l12():
    # L12: sigma(-a) = 1 - sigma(a)
    a = np.linspace(-20, 20, 81)
    assert_allclose(F.sigmoid(-a), 1 - F.sigmoid(a), atol=1e-15)


def test_softmax_and_log_softmax_stable():
    for dtype in (np.float32, np.float64):
        z = EXTREME.astype(dtype)
        with np.errstate(all="raise"):
            y = F.softmax(z)
            logy = F.log_softmax(z)
        ref = torch.tensor(EXTREME)
        assert_allclose(y, torch.softmax(ref, -1).numpy(), rtol=1e-6, atol=1e-30)
        assert_allclose(logy, torch.log_softmax(ref, -1).numpy(), rtol=1e-6)
        assert y.dtype == dtype
        assert_allclose(y.sum(-1), 1, rtol=1e-6)
    # the probability that underflows to 0 still has its exact log: -1000 - 1000 = -2000
    assert F.log_softmax(EXTREME)[0, 0] == pytest.approx(-2000.0)


@pytest.mark.parametrize("f,jac", [(F.softmax, F.softmax_grad), (F.log_softmax, F.log_softmax_grad)])
def test_softmax_jacobians(f, jac):
    z = np.array([[0.3, -1.2, 2.0, 0.5], [1.0, 1.0, -1.0, 0.0]])
    J = jac(z)
    assert J.shape == (2, 4, 4)
    for j in range(4):
        e = np.zeros(4)
        e[j] = 1e-6
        num = (f(z + e) - f(z - e)) / 2e-6
        assert_allclose(J[:, :, j], num, rtol=1e-6, atol=1e-9)


def test_mse_l13():
    y, t = np.array([0.5, 2.0, -1.0]), np.array([1.0, 2.0, 1.0])
    assert F.mse(y, t) == pytest.approx((0.25 + 0 + 4) / 3)
    with pytest.raises(ValueError, match="shape"):
        F.mse(y, t[:2])


def test_cross_entropy_from_probabilities_and_logits_agree():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((6, 5))
    t = rng.integers(0, 5, 6)
    ref = torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(t)).item()
    assert F.cross_entropy_with_logits(z, t) == pytest.approx(ref, rel=1e-12)
    assert F.cross_entropy(F.softmax(z), t) == pytest.approx(ref, rel=1e-12)
    onehot = np.eye(5)[t]
    assert F.cross_entropy_with_logits(z, onehot) == pytest.approx(ref, rel=1e-12)


def test_cross_entropy_when_true_probability_underflows():
    # softmax gives the true class exp(-2000) = 0 in floating point; the loss is still exactly 2000.
    z = np.array([[1000.0, -1000.0]])
    with np.errstate(all="raise"):
        loss = F.cross_entropy_with_logits(z, np.array([1]))
    assert loss == pytest.approx(2000.0)
    # from probabilities the value is finite (clipped at the smallest normal float), never inf/NaN
    with np.errstate(all="raise"):
        assert np.isfinite(F.cross_entropy(F.softmax(z), np.array([1])))


def test_binary_cross_entropy_l14():
    # L14: -log of the Bernoulli likelihood y^t (1 - y)^(1 - t)
    z = np.array([-2.0, 0.0, 3.0, 1000.0, -1000.0])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    ref = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(z), torch.tensor(t)).item()
    with np.errstate(all="raise"):
        assert F.binary_cross_entropy_with_logits(z, t) == pytest.approx(ref, rel=1e-12)
    y = F.sigmoid(z[:3])
    manual = -np.mean(t[:3] * np.log(y) + (1 - t[:3]) * np.log(1 - y))
    assert F.binary_cross_entropy(y, t[:3]) == pytest.approx(manual, rel=1e-12)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        F.binary_cross_entropy(np.array([1.5]), np.array([1.0]))


def test_cross_entropy_rejects_bad_labels():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"\[0, 3\]"):
        F.cross_entropy_with_logits(z, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match="shape"):
        F.cross_entropy_with_logits(z, np.array([0, 1]))
