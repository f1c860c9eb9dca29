"""Lecture checks on the core: L15 (one logistic-regression step), L16, L17 (linear layers collapse)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from abcdl import functions as F
from abcdl.layers import Linear, Sigmoid
from abcdl.losses import SigmoidBCELoss
from abcdl.models import Sequential
from abcdl.numdiff import gradcheck, numerical_gradient


def test_l17_two_linear_layers_equal_one(rng):
    # Without a non-linearity, Z = W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2).
    l1 = Linear(4, 6, rng=rng, dtype=np.float64)
    l2 = Linear(6, 3, rng=rng, dtype=np.float64)
    l1.b.data[:] = rng.standard_normal(6)
    l2.b.data[:] = rng.standard_normal(3)
    one = Linear(4, 3, dtype=np.float64)
    one.W.data[:] = l2.W.data @ l1.W.data                  # W = W2 W1
    one.b.data[:] = l2.W.data @ l1.b.data + l2.b.data      # b = W2 b1 + b2
    x = rng.standard_normal((10, 4))
    assert_allclose(Sequential(l1, l2).forward(x), one.forward(x), rtol=1e-12, atol=1e-12)


def test_l15_logistic_regression_step_hand_derived(rng):
    # One sigmoid unit on m examples: z = w.x + b, y = sigma(z), J = mean BCE(y, t).
    # The lecture derives dz = y - t, dw_i = x_i (y - t), db = y - t, averaged over m.
    m = 8
    X = rng.standard_normal((m, 3))
    t = rng.integers(0, 2, m).astype(float)
    w, b = rng.standard_normal(3), 0.3

    def J(w_):
        y = F.sigmoid(X @ w_ + b)
        return -np.mean(t * np.log(y) + (1 - t) * np.log(1 - y))

    y = F.sigmoid(X @ w + b)
    dz = y - t                                   # dz = y - t
    dw = X.T @ dz / m                            # dw_i = mean x_i (y - t)
    db = dz.mean()                               # db = mean (y - t)
    assert gradcheck(J, w.copy(), dw).passed
    bb = np.array([b])

    def J_b(v):
        y_ = F.sigmoid(X @ w + v[0])
        return -np.mean(t * np.log(y_) + (1 - t) * np.log(1 - y_))

    num_db = numerical_gradient(J_b, bb)
    assert num_db[0] == pytest.approx(db, rel=1e-7)
    # ... and the library's layer + fused loss compute exactly these gradients
    lin = Linear(3, 1, dtype=np.float64)
    lin.W.data[0] = w
    lin.b.data[0] = b
    loss = SigmoidBCELoss()
    assert loss.forward(lin.forward(X), t) == pytest.approx(J(w), rel=1e-12)
    lin.backward(loss.backward())
    assert_allclose(lin.W.grad[0], dw, rtol=1e-12)
    assert lin.b.grad[0] == pytest.approx(db, rel=1e-12)


def test_l16_sigmoid_network_backward_matches_lecture_formulas(rng):
    # dW[l] = (1/m) dZ[l] A[l-1]^T, db = (1/m) sum dZ, dA[l-1] = W^T dZ  (columns = examples)
    m = 5
    l1, act, l2 = Linear(3, 4, rng=rng, dtype=np.float64), Sigmoid(), Linear(4, 1, rng=rng, dtype=np.float64)
    net = Sequential(l1, act, l2)
    X = rng.standard_normal((m, 3))
    t = rng.integers(0, 2, m).astype(float)
    loss = SigmoidBCELoss()
    loss.forward(net.forward(X), t)
    net.backward(loss.backward())
    # lecture notation, column layout
    A0 = X.T
    A1 = F.sigmoid(l1.W.data @ A0 + l1.b.data[:, None])
    A2 = F.sigmoid(l2.W.data @ A1 + l2.b.data[:, None])
    dZ2 = A2 - t[None, :]
    dW2 = dZ2 @ A1.T / m
    dZ1 = (l2.W.data.T @ dZ2) * A1 * (1 - A1)
    dW1 = dZ1 @ A0.T / m
    assert_allclose(l2.W.grad, dW2, rtol=1e-12)
    assert_allclose(l1.W.grad, dW1, rtol=1e-12)
    assert_allclose(l1.b.grad, dZ1.sum(1) / m, rtol=1e-12)
