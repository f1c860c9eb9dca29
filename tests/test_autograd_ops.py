"""Every autograd op (L39): central-difference gradcheck and torch.autograd parity in float64.

Each case is (our function, torch's function, input makers).  The objective is
J = sum(f(x) * G) with a random upstream gradient G; the gradients of every
input must match (a) central differences (abcdl.numdiff, h = 1e-6) and
(b) torch.autograd, with the same G.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from numpy.testing import assert_allclose

from abcdl import autograd as ag
from abcdl.numdiff import gradcheck


def normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, shape)


def gapped(*shape):
    """Distinct values at least 0.05 apart and away from 0: no kinks or ties within h."""
    def make(rng):
        n = int(np.prod(shape))
        vals = (rng.permutation(n) - n / 2 + 0.5) * 0.1
        return (vals + rng.uniform(-0.02, 0.02, n)).reshape(shape)
    return make


_R = np.random.default_rng(7)
LABELS = _R.integers(0, 5, size=6)
PROBS = _R.dirichlet(np.ones(5), size=6)
MASK = _R.random((4, 6)) >= 0.3
FANCY = np.array([0, 2, 0, 3, 0])                  # repeated on purpose: backward must add


def _t(a):
    return torch.from_numpy(np.asarray(a))


CASES = {
    # arithmetic with broadcasting
    "add": (lambda a, b: a + b, lambda a, b: a + b, [normal(3, 4), normal(4)]),
    "add_both_broadcast": (lambda a, b: a + b, lambda a, b: a + b, [normal(3, 1), normal(1, 4)]),
    "sub": (lambda a, b: a - b, lambda a, b: a - b, [normal(2, 3, 4), normal(3, 1)]),
    "rsub_scalar": (lambda a: 2.0 - a, lambda a: 2.0 - a, [normal(3)]),
    "mul": (lambda a, b: a * b, lambda a, b: a * b, [normal(3, 4), normal(3, 4)]),
    "mul_broadcast": (lambda a, b: a * b, lambda a, b: a * b, [normal(5, 1, 3), normal(4, 1)]),
    "div": (lambda a, b: a / b, lambda a, b: a / b, [normal(3, 4), positive(4)]),
    "rdiv_scalar": (lambda a: 1.5 / a, lambda a: 1.5 / a, [positive(3, 2)]),
    "neg": (lambda a: -a, lambda a: -a, [normal(3, 4)]),
    "pow3": (lambda a: a ** 3, lambda a: a ** 3, [normal(3, 4)]),
    "pow_half": (lambda a: a ** 0.5, lambda a: a ** 0.5, [positive(3, 4)]),
    "pow_neg2": (lambda a: ag.pow(a, -2), lambda a: a ** -2, [positive(4)]),
    "rpow": (lambda a: 2.0 ** a, lambda a: 2.0 ** a, [normal(4)]),
    # matrix products
    "matmul": (lambda a, b: a @ b, lambda a, b: a @ b, [normal(3, 4), normal(4, 5)]),
    "matmul_batched": (lambda a, b: a @ b, lambda a, b: a @ b, [normal(2, 3, 4), normal(4, 5)]),
    "matmul_vec_mat": (ag.matmul, torch.matmul, [normal(4), normal(4, 5)]),
    "matmul_mat_vec": (ag.matmul, torch.matmul, [normal(3, 4), normal(4)]),
    "matmul_dot": (ag.matmul, torch.matmul, [normal(4), normal(4)]),
    "linear": (ag.linear, TF.linear, [normal(6, 4), normal(3, 4), normal(3)]),
    "linear_no_bias": (ag.linear, TF.linear, [normal(6, 4), normal(3, 4)]),
    "linear_sequence": (ag.linear, TF.linear, [normal(2, 5, 4), normal(3, 4), normal(3)]),
    # elementwise functions
    "exp": (ag.exp, torch.exp, [normal(3, 4)]),
    "log": (ag.log, torch.log, [positive(3, 4)]),
    "sqrt": (ag.sqrt, torch.sqrt, [positive(3, 4)]),
    "sin": (ag.sin, torch.sin, [normal(3, 4)]),
    "cos": (ag.cos, torch.cos, [normal(3, 4)]),
    "tanh": (ag.tanh, torch.tanh, [normal(3, 4)]),
    "sigmoid": (ag.sigmoid, torch.sigmoid, [lambda rng: rng.standard_normal((3, 4)) * 5]),
    "relu": (ag.relu, torch.relu, [gapped(3, 4)]),
    "abs": (abs, torch.abs, [gapped(3, 4)]),
    "softplus_composed": (lambda z: ag.relu(z) + ag.log(1 + ag.exp(-ag.abs(z))), TF.softplus, [gapped(3, 4)]),
    # reductions
    "sum_all": (ag.sum, torch.sum, [normal(3, 4)]),
    "sum_axis0": (lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), [normal(3, 4)]),
    "sum_axes_keepdims": (lambda a: a.sum(axis=(0, 2), keepdims=True),
                          lambda a: a.sum(dim=(0, 2), keepdim=True), [normal(2, 3, 4)]),
    "mean_all": (ag.mean, torch.mean, [normal(3, 4)]),
    "mean_axis_neg1": (lambda a: a.mean(axis=-1), lambda a: a.mean(dim=-1), [normal(3, 4)]),
    "max_all": (ag.max, torch.amax, [gapped(3, 4)]),
    "max_axis1": (lambda a: a.max(axis=1), lambda a: a.amax(dim=1), [gapped(3, 4)]),
    "max_axis0_keepdims": (lambda a: a.max(axis=0, keepdims=True),
                           lambda a: a.amax(dim=0, keepdim=True), [gapped(3, 4)]),
    # shapes
    "reshape": (lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [normal(3, 4)]),
    "reshape_minus1": (lambda a: a.reshape(-1), lambda a: a.reshape(-1), [normal(2, 3, 2)]),
    "transpose_T": (lambda a: a.T, lambda a: a.T, [normal(3, 4)]),
    "transpose_axes": (lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), [normal(2, 3, 4)]),
    "getitem_slice": (lambda a: a[1:, ::2], lambda a: a[1:, ::2], [normal(3, 5)]),
    "getitem_int": (lambda a: a[1], lambda a: a[1], [normal(3, 5)]),
    "getitem_fancy_repeated": (lambda a: a[FANCY], lambda a: a[_t(FANCY)], [normal(4, 3)]),
    "getitem_fancy_pairs": (lambda a: a[np.arange(6), LABELS],
                            lambda a: a[_t(np.arange(6)), _t(LABELS)], [normal(6, 5)]),
    "getitem_bool": (lambda a: a[MASK], lambda a: a[_t(MASK)], [normal(4, 6)]),
    "broadcast_to": (lambda a: ag.broadcast_to(a, (2, 3, 4)),
                     lambda a: torch.broadcast_to(a, (2, 3, 4)), [normal(3, 1)]),
    "sum_to": (lambda a: ag.sum_to(a, (3, 1)), lambda a: a.sum_to_size(3, 1), [normal(2, 3, 4)]),
    "concatenate": (lambda a, b: ag.concatenate([a, b], axis=1),
                    lambda a, b: torch.cat([a, b], dim=1), [normal(3, 2), normal(3, 4)]),
    # network functions
    "softmax": (ag.softmax, lambda z: torch.softmax(z, dim=-1), [normal(6, 5)]),
    "softmax_axis0": (lambda z: ag.softmax(z, axis=0), lambda z: torch.softmax(z, dim=0), [normal(6, 5)]),
    "log_softmax": (ag.log_softmax, lambda z: torch.log_softmax(z, dim=-1), [normal(6, 5)]),
    "softmax_ce_labels": (lambda z: ag.softmax_cross_entropy(z, LABELS),
                          lambda z: TF.cross_entropy(z, _t(LABELS)), [normal(6, 5)]),
    "softmax_ce_probs": (lambda z: ag.softmax_cross_entropy(z, PROBS),
                         lambda z: TF.cross_entropy(z, _t(PROBS)), [normal(6, 5)]),
    "mse": (ag.mse, TF.mse_loss, [normal(6, 3), normal(6, 3)]),
    "dropout": (lambda a: ag.dropout(a, MASK, 0.3), lambda a: a * _t(MASK) / 0.7, [normal(4, 6)]),
    "batch_norm": (ag.batch_norm,
                   lambda x, g, b: TF.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
                   [normal(6, 3), lambda rng: rng.uniform(0.5, 1.5, 3), normal(3)]),
    "batch_norm_2d": (lambda x, g, b: ag.batch_norm(x, g.reshape(3, 1, 1), b.reshape(3, 1, 1),
                                                    axis=(0, 2, 3)),
                      lambda x, g, b: TF.batch_norm(x, None, None, g, b, training=True, eps=1e-5),
                      [normal(4, 3, 2, 3), lambda rng: rng.uniform(0.5, 1.5, 3), normal(3)]),
    # convolution and pooling
    "conv2d": (ag.conv2d, TF.conv2d, [normal(2, 3, 5, 5), normal(4, 3, 3, 3), normal(4)]),
    "conv2d_stride_pad": (lambda x, w: ag.conv2d(x, w, stride=2, padding=1),
                          lambda x, w: TF.conv2d(x, w, stride=2, padding=1),
                          [normal(2, 2, 6, 5), normal(3, 2, 3, 2)]),
    "max_pool2d": (lambda x: ag.max_pool2d(x, 2), lambda x: TF.max_pool2d(x, 2), [gapped(2, 3, 4, 6)]),
    "max_pool2d_overlap_pad": (lambda x: ag.max_pool2d(x, 3, stride=2, padding=1),
                               lambda x: TF.max_pool2d(x, 3, stride=2, padding=1), [gapped(2, 2, 5, 6)]),
    "im2col": (lambda x: ag.im2col(x, 3, 2, 1),
               lambda x: TF.unfold(x, 3, padding=1, stride=2).permute(1, 0, 2).reshape(2 * 9, -1),
               [normal(2, 2, 5, 5)]),
}


def _inputs(case: str, dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(case.encode()))
    return [np.ascontiguousarray(make(rng), dtype=dtype) for make in CASES[case][2]]


def _upstream(shape, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("case", CASES)
def test_autograd_ops_gradcheck(case):
    f = CASES[case][0]
    arrays = _inputs(case)
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    y = f(*xs)
    G = _upstream(y.shape)
    y.backward(G)

    def J(_):
        with ag.no_grad():
            return float(np.sum(f(*[ag.tensor(a) for a in arrays]).data * G))

    for i, (x, a) in enumerate(zip(xs, arrays, strict=True)):
        res = gradcheck(J, a, x.grad.data, h=1e-6, name=f"{case} input {i}")
        assert res.passed, str(res)


@pytest.mark.parametrize("case", CASES)
def test_autograd_ops_torch_parity(case):
    f, tf, _ = CASES[case]
    arrays = _inputs(case)
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    y, ty = f(*xs), tf(*ts)
    assert y.shape == tuple(ty.shape)
    assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    G = _upstream(y.shape, seed=1)
    y.backward(G)
    ty.backward(torch.from_numpy(G))
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"{case} input {i}")


@pytest.mark.parametrize("case", CASES)
def test_autograd_ops_keep_float32(case):
    f = CASES[case][0]
    xs = [ag.tensor(a, requires_grad=True) for a in _inputs(case, np.float32)]
    y = f(*xs)
    assert y.dtype == np.float32, case
    y.backward(_upstream(y.shape).astype(np.float32))
    assert all(x.grad.dtype == np.float32 for x in xs), case


def test_autograd_ops_fancy_index_repeats_accumulate():
    x = ag.tensor(np.arange(4.0), requires_grad=True)
    x[np.array([0, 2, 0, 0, 3])].sum().backward()
    assert_allclose(x.grad.data, [3.0, 0.0, 1.0, 1.0])    # x0 used three times, x1 never


def test_autograd_ops_max_pool_matches_first_winner_on_ties():
    # a window of equal values: the gradient goes to the first one, as in MaxPool2d and PyTorch
    x = ag.tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    ag.max_pool2d(x, 2).sum().backward()
    assert_allclose(x.grad.data.ravel(), [1.0, 0.0, 0.0, 0.0])


def test_autograd_ops_max_ties_share():
    x = ag.tensor(np.array([1.0, 3.0, 3.0]), requires_grad=True)
    x.max().backward()
    assert_allclose(x.grad.data, [0.0, 0.5, 0.5])          # torch.amax's rule


def test_autograd_ops_scalar_keeps_float32():
    x = ag.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (2.0 * x + 1) / 3.0 - 0.5 ** x
    assert y.dtype == np.float32


@pytest.mark.parametrize("bad", [
    (lambda: ag.conv2d(np.zeros((1, 2, 4, 4)), np.zeros((3, 4, 3, 3))), r"\(1, 2, 4, 4\).*\(3, 4, 3, 3\)"),
    (lambda: ag.linear(np.zeros((5, 3)), np.zeros((2, 4))), r"\(5, 3\).*\(2, 4\)"),
    (lambda: ag.softmax_cross_entropy(np.zeros((3, 4)), np.array([0, 1, 4])), r"\[0, 3\]"),
    (lambda: ag.reshape(np.zeros(6), (4,)), r"\(6,\).*\(4,\)"),
    (lambda: ag.concatenate([np.zeros((2, 3)), np.zeros((3, 2))]), r"\(2, 3\).*\(3, 2\)"),
    (lambda: ag.dropout(np.zeros((2, 3)), np.ones((3, 2), bool), 0.5), r"\(3, 2\).*\(2, 3\)"),
    (lambda: ag.max_pool2d(np.zeros((1, 1, 2, 2)), 3), r"smaller than the kernel"),
])
def test_autograd_ops_bad_shapes_name_them(bad):
    fn, pattern = bad
    with pytest.raises(ValueError, match=pattern):
        fn()


def test_autograd_ops_pow_rejects_what_it_cannot_differentiate():
    x = ag.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(TypeError, match="exp\\(c \\* log\\(x\\)\\)"):
        _ = x ** x
    with pytest.raises(ValueError, match="positive"):
        _ = 0 ** x
