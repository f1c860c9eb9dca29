"""API validation that once let silent wrong results through (issue 21, item 12).

``load_state_dict`` loaded an object array of None as NaN and truncated complex
arrays; ``Adam(eps=0)`` turned parameters with a zero gradient into NaN;
``BatchNorm1d(eps=inf)`` was accepted; ``SoftmaxCrossEntropyLoss`` gave a loss of
-2.30 for a "probability" row with a negative entry.  Each now raises an error
that names the argument.
"""

from __future__ import annotations

import numpy as np
import pytest

import abcdl
from abcdl.layers import BatchNorm1d, BatchNorm2d, Linear
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import Sequential
from abcdl.optim import SGD, AdaGrad, Adam, AdamW, RMSProp


# -- load_state_dict -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, value, dtype", [
    ("object array of None", np.array([[None] * 3] * 2), "object"),
    ("complex", np.ones((2, 3)) * (1 + 2j), "complex128"),
    ("strings", np.full((2, 3), "1.0"), "<U3"),
])
def test_hardening_api_load_state_dict_refuses_non_real_arrays(case, value, dtype):
    model = Sequential(Linear(3, 2))
    before = model.state_dict()
    state = {**before, "layers.0.W": value}
    with pytest.raises(TypeError, match=rf"load_state_dict: layers\.0\.W has dtype {dtype}; expected real"):
        model.load_state_dict(state)
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before), case       # nothing changed


@pytest.mark.parametrize("value", [np.ones((2, 3), np.int64), np.ones((2, 3), bool), np.ones((2, 3))])
def test_hardening_api_load_state_dict_accepts_real_arrays(value):
    model = Sequential(Linear(3, 2))
    model.load_state_dict({**model.state_dict(), "layers.0.W": value})
    np.testing.assert_array_equal(model[0].W.data, np.ones((2, 3)))


# -- BatchNorm eps ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [BatchNorm1d, BatchNorm2d])
@pytest.mark.parametrize("eps", [np.inf, np.nan, 0.0, -1e-5, "1e-5", True, None, 10**400])
def test_hardening_api_batchnorm_refuses_bad_eps(cls, eps):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: eps must be a finite number > 0, got "):
        cls(4, eps=eps)


@pytest.mark.parametrize("eps", [1e-5, 1, np.float32(1e-3), 1e300])
def test_hardening_api_batchnorm_accepts_positive_eps(eps):
    assert BatchNorm1d(4, eps=eps).eps == float(eps)


# -- adaptive optimizers: eps > 0 ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [Adam, AdamW, RMSProp, AdaGrad])
@pytest.mark.parametrize("eps", [0, 0.0, -1e-8, np.inf, np.nan])
def test_hardening_api_adaptive_optimizers_refuse_eps_zero(cls, eps):
    p = abcdl.Parameter(np.ones(3))
    with pytest.raises(ValueError, match=rf"{cls.__name__}: invalid eps .*0 < eps"):
        cls([p], eps=eps)


@pytest.mark.parametrize("cls", [Adam, AdamW, RMSProp, AdaGrad])
def test_hardening_api_adaptive_optimizers_tiny_eps_keeps_zero_gradients_finite(cls):
    # the issue's case: with eps = 0 a parameter whose gradient is 0 became 0/0 = NaN
    p = abcdl.Parameter(np.ones(3))
    opt = cls([p], lr=0.1, eps=1e-300)
    p.grad[...] = 0
    opt.step()
    assert np.isfinite(p.data).all() and np.allclose(p.data, 1 - (0.1 * 0.01 if cls is AdamW else 0))


def test_hardening_api_sgd_has_no_eps():
    with pytest.raises(TypeError):
        SGD([abcdl.Parameter(np.ones(2))], eps=0)


# -- SoftmaxCrossEntropyLoss: probability rows ---------------------------------------------------------
Z = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])


@pytest.mark.parametrize("case, T, message", [
    ("negative entry", [[1.5, -0.5, 0.0], [0, 0, 1]],
     r"must be probabilities \(T >= 0.*row 0 has the entry -0.5"),
    ("row sums to 2", [[1, 0, 0], [0, 1, 1]], r"must each sum to 1 .*row 1 sums to 2"),
    ("all zero", [[1, 0, 0], [0, 0, 0]], r"must each sum to 1 .*row 1 sums to 0"),
    ("NaN", [[1, 0, 0], [np.nan, 0, 1]], "hold NaN or infinite values"),
])
def test_hardening_api_softmax_ce_refuses_bad_probability_rows(case, T, message):
    with pytest.raises(ValueError, match="SoftmaxCrossEntropyLoss: target rows T " + message):
        SoftmaxCrossEntropyLoss().forward(Z, np.array(T))


def test_hardening_api_softmax_ce_issue_case_no_negative_loss():
    # the issue's probe: a "probability" row with a negative entry once gave J = -2.30
    T = np.array([[0.0, -1.0, 2.0], [0.0, 0.0, 1.0]])
    with pytest.raises(ValueError, match="row 0 has the entry -1"):
        SoftmaxCrossEntropyLoss().forward(Z, T)


@pytest.mark.parametrize("T", [
    np.eye(3)[[0, 2]],                                              # one-hot
    np.full((2, 3), 1 / 3, np.float32),                             # uniform, float32 rounding
    np.array([[0.9, 0.05, 0.05], [0.05, 0.05, 0.9]]),               # label smoothing
])
def test_hardening_api_softmax_ce_accepts_distributions(T):
    J = SoftmaxCrossEntropyLoss().forward(Z, T)
    logY = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    assert J == pytest.approx(-(T * logY).sum() / 2) and J > 0


def test_hardening_api_softmax_ce_checks_sequence_probability_rows():
    Z3 = np.zeros((2, 4, 3))
    T3 = np.zeros((2, 4, 3))
    T3[..., 0] = 1
    assert SoftmaxCrossEntropyLoss().forward(Z3, T3) == pytest.approx(np.log(3))
    T3[1, 2] = [0.5, 0.6, 0.0]
    with pytest.raises(ValueError, match="row 6 sums to 1.1"):
        SoftmaxCrossEntropyLoss().forward(Z3, T3)
