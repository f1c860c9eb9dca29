"""Higher-order derivatives with create_graph=True (L39), against formulas and torch.autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from abcdl import autograd as ag


def rosenbrock(x, lib):
    return 100 * (x[1] - x[0] ** 2) ** 2 + (1 - x[0]) ** 2


def goldstein_price(x, lib):
    a, b = x[0], x[1]
    t1 = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a ** 2 - 14 * b + 6 * a * b + 3 * b ** 2)
    t2 = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a ** 2 + 48 * b - 36 * a * b + 27 * b ** 2)
    return t1 * t2


def log_sum_exp(x, lib):
    c = 0.3                                               # a constant shift, as the stable form uses
    return lib.log(lib.exp(x - c).sum()) + c


def sin_exp(x, lib):
    return (lib.sin(x) * lib.exp(x)).sum()


def cube(x, lib):
    return (x ** 3).sum()


def tanh_sum(x, lib):
    return lib.tanh(x).sum()


def softmax_entropy(x, lib):
    p = lib.softmax(x, -1) if lib is ag else torch.softmax(x, -1)
    return -(p * lib.log(p)).sum()


def hessian_ag(f, x0):
    x = ag.tensor(x0, requires_grad=True)
    (g,) = ag.grad(f(x, ag), [x], create_graph=True)
    rows = [ag.grad(g[i], [x], retain_graph=True)[0].data for i in range(x0.size)]
    return g.data, np.stack(rows)


def hessian_torch(f, x0):
    x = torch.tensor(x0, requires_grad=True)
    (g,) = torch.autograd.grad(f(x, torch), x, create_graph=True)
    rows = [torch.autograd.grad(g[i], x, retain_graph=True)[0].numpy() for i in range(x0.size)]
    return g.detach().numpy(), np.stack(rows)


@pytest.mark.parametrize("f, x0", [
    (cube, np.array([0.5, -1.3, 2.0])),
    (tanh_sum, np.array([0.3, -0.8, 1.7])),
    (sin_exp, np.array([0.4, -0.9, 1.2])),
    (rosenbrock, np.array([-1.2, 1.0])),
    (goldstein_price, np.array([0.3, -0.7])),
    (log_sum_exp, np.array([0.1, 1.5, -0.4, 0.9])),
    (softmax_entropy, np.array([0.2, -1.0, 0.7])),
])
def test_autograd_higher_hessians_match_torch(f, x0):
    g, H = hessian_ag(f, x0)
    tg, tH = hessian_torch(f, x0)
    assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
    assert_allclose(H, tH, rtol=1e-10, atol=1e-10)
    assert_allclose(H, H.T, rtol=1e-10, atol=1e-10)


def test_autograd_higher_hessians_match_formulas():
    x0 = np.array([-1.2, 1.0])                            # Rosenbrock: the Hessian by hand
    _, H = hessian_ag(rosenbrock, x0)
    a, b = x0
    assert_allclose(H, [[1200 * a * a - 400 * b + 2, -400 * a], [-400 * a, 200]], rtol=1e-12)
    z = np.array([0.1, 1.5, -0.4, 0.9])                   # log-sum-exp: diag(p) - p p^T
    _, H = hessian_ag(log_sum_exp, z)
    p = np.exp(z) / np.exp(z).sum()
    assert_allclose(H, np.diag(p) - np.outer(p, p), rtol=1e-10, atol=1e-14)
    x = np.array([0.5, -1.3])                             # x^3: 6x on the diagonal
    _, H = hessian_ag(cube, x)
    assert_allclose(H, np.diag(6 * x), rtol=1e-14)


def test_autograd_higher_tanh_three_derivatives():
    x0 = np.linspace(-2, 2, 9)
    x = ag.tensor(x0, requires_grad=True)
    derivs = []
    y = ag.tanh(x)
    for _ in range(3):
        (y,) = ag.grad(y.sum(), [x], create_graph=True)
        derivs.append(y.data)
    t = np.tanh(x0)
    assert_allclose(derivs[0], 1 - t ** 2, rtol=1e-12)
    assert_allclose(derivs[1], -2 * t * (1 - t ** 2), rtol=1e-12, atol=1e-15)
    assert_allclose(derivs[2], -2 * (1 - t ** 2) * (1 - 3 * t ** 2), rtol=1e-10, atol=1e-14)
    tx = torch.tensor(x0, requires_grad=True)
    ty = torch.tanh(tx)
    for k in range(3):
        (ty,) = torch.autograd.grad(ty.sum(), tx, create_graph=True)
        assert_allclose(derivs[k], ty.detach().numpy(), rtol=1e-12, atol=1e-15)


def test_autograd_higher_newton_on_a_quartic():
    # f(x) = x^4 - 2x^2 (DeZero's example): x <- x - f'(x)/f''(x) from x = 2 reaches the minimum 1
    x = ag.tensor(np.array(2.0), requires_grad=True)
    xs, ref = [], 2.0
    for _ in range(7):
        y = x ** 4 - 2 * x ** 2
        (g,) = ag.grad(y, [x], create_graph=True)         # f'(x) = 4x^3 - 4x, recorded
        (h,) = ag.grad(g, [x])                            # f''(x) = 12x^2 - 4
        x = ag.tensor(x.data - g.data / h.data, requires_grad=True)
        ref = ref - (4 * ref ** 3 - 4 * ref) / (12 * ref ** 2 - 4)
        xs.append(float(x.data))
        assert float(x.data) == pytest.approx(ref, rel=1e-14)
    assert xs[0] == pytest.approx(1.4545454545454546, rel=1e-14)
    assert xs[-1] == pytest.approx(1.0, abs=1e-14)


def _mlp_weights(rng, sizes):
    return [(rng.standard_normal((o, i)) / np.sqrt(i), rng.standard_normal(o) * 0.1)
            for i, o in zip(sizes[:-1], sizes[1:], strict=True)]


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
def test_autograd_higher_double_backprop_gradient_norm_of_mlp(act):
    """R = ||dJ/dtheta||^2 for a small MLP with softmax cross-entropy; dR/dtheta against torch."""
    rng = np.random.default_rng(3)
    X, t = rng.standard_normal((8, 5)), rng.integers(0, 4, 8)
    weights = _mlp_weights(rng, [5, 6, 6, 4])

    def loss(params, lib, fn):
        h = X if lib is ag else torch.from_numpy(X)
        for k, (W, b) in enumerate(params):
            h = fn.linear(h, W, b)
            if k < len(params) - 1:
                h = getattr(fn, act)(h)
        return fn.softmax_cross_entropy(h, t) if lib is ag else \
            torch.nn.functional.cross_entropy(h, torch.from_numpy(t))

    params = [ag.tensor(a, requires_grad=True) for wb in weights for a in wb]
    J = loss(list(zip(params[::2], params[1::2], strict=True)), ag, ag)
    grads = ag.grad(J, params, create_graph=True)
    R = sum((g * g).sum() for g in grads)
    dR = ag.grad(R, params)

    tparams = [torch.tensor(a, requires_grad=True) for wb in weights for a in wb]
    tJ = loss(list(zip(tparams[::2], tparams[1::2], strict=True)), torch, _TorchFns)
    tgrads = torch.autograd.grad(tJ, tparams, create_graph=True)
    tR = sum((g * g).sum() for g in tgrads)
    tdR = torch.autograd.grad(tR, tparams)
    assert_allclose(J.item(), tJ.item(), rtol=1e-12)
    assert_allclose(R.item(), tR.item(), rtol=1e-10)
    for k, (a, b) in enumerate(zip(dR, tdR, strict=True)):
        assert_allclose(a.data, b.numpy(), rtol=1e-8, atol=1e-12, err_msg=f"parameter {k}")


class _TorchFns:
    linear = staticmethod(torch.nn.functional.linear)
    tanh = staticmethod(torch.tanh)
    sigmoid = staticmethod(torch.sigmoid)
    relu = staticmethod(torch.relu)


@pytest.mark.parametrize("op, top, make", [
    (lambda x: ag.softmax_cross_entropy(x, np.array([1, 0, 2])),
     lambda x: torch.nn.functional.cross_entropy(x, torch.tensor([1, 0, 2])), (3, 4)),
    (lambda x: ag.log_softmax(x), lambda x: torch.log_softmax(x, -1), (3, 4)),
    (lambda x: ag.batch_norm(x, 1.5, 0.2), lambda x: torch.nn.functional.batch_norm(
        x, None, None, torch.full((3,), 1.5, dtype=torch.float64), torch.full((3,), 0.2, dtype=torch.float64),
        training=True), (5, 3)),
    (lambda x: ag.conv2d(x, np.linspace(-1, 1, 16).reshape(2, 2, 2, 2), padding=1) ** 2,
     lambda x: torch.nn.functional.conv2d(
         x, torch.linspace(-1, 1, 16, dtype=torch.float64).reshape(2, 2, 2, 2), padding=1) ** 2,
     (2, 2, 3, 3)),
    (lambda x: ag.max_pool2d(x * x, 2), lambda x: torch.nn.functional.max_pool2d(x * x, 2), (1, 2, 4, 4)),
    (lambda x: (x[np.array([0, 0, 2])] ** 3).sum(axis=0), lambda x: (x[torch.tensor([0, 0, 2])] ** 3).sum(0),
     (3, 2)),
    (lambda x: ag.sigmoid(x) @ x.T / ag.sqrt(x * x + 1).sum(), lambda x: torch.sigmoid(x) @ x.T /
     torch.sqrt(x * x + 1).sum(), (3, 3)),
])
def test_autograd_higher_hessian_vector_products_through_ops(op, top, make):
    """d/dx <dJ/dx, v> for J = sum(op(x) * G): second derivatives through each op's backward."""
    rng = np.random.default_rng(11)
    x0 = rng.standard_normal(make)
    v = rng.standard_normal(make)
    x = ag.tensor(x0, requires_grad=True)
    y = op(x)
    G = rng.standard_normal(y.shape)
    (g,) = ag.grad((y * G).sum(), [x], create_graph=True)
    (hv,) = ag.grad((g * v).sum(), [x])
    tx = torch.tensor(x0, requires_grad=True)
    (tg,) = torch.autograd.grad((top(tx) * torch.from_numpy(G)).sum(), tx, create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.from_numpy(v)).sum(), tx)
    assert_allclose(g.data, tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(hv.data, thv.numpy(), rtol=1e-9, atol=1e-11)
