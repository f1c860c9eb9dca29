"""Perceptron and the PLA (L5, L7): the slide's worked example, convergence, bounded stops, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import abcdl
from abcdl.models import Perceptron
from abcdl.models._estimator import ConvergenceWarning, NotFittedError
from abcdl.models.perceptron import PLAUpdate, add_bias_column, pla_update

# The slide (L7): w = (-12, 2, 3); three updates on misclassified points.
SLIDE_STEPS = [
    # (x with x0 = 1, y, w after)
    ((1, 2, 2), +1, (-11, 4, 5)),    # (-12,2,3) + (+1)(1,2,2)
    ((1, 4, 0), -1, (-12, 0, 5)),    # (-11,4,5) + (-1)(1,4,0)
    ((1, 2, 2), +1, (-11, 2, 7)),    # (-12,0,5) + (+1)(1,2,2)
]


def _separable(seed: int, m: int = 60, margin: float = 0.5):
    """Points on both sides of the line x1 + 2 x2 = 1, at least ``margin`` from it."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3, 3, size=(4 * m, 2))
    s = (X @ np.array([1.0, 2.0]) - 1.0) / np.sqrt(5.0)      # signed distance to the line
    keep = np.abs(s) > margin
    X, s = X[keep][:m], s[keep][:m]
    return X, np.where(s > 0, 1, -1)


XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
XOR_Y = np.array([-1, 1, 1, -1])


def test_perceptron_pla_update_reproduces_slide():
    w = np.array([-12, 2, 3])
    for x, y, expected in SLIDE_STEPS:
        w_new = pla_update(w, x, y)
        np.testing.assert_array_equal(w_new, expected)
        # the point was misclassified before (y w.x < 0) and the step moved w.x the right way
        assert y * np.dot(w, x) < 0
        assert y * np.dot(w_new, x) > y * np.dot(w, x)
        w = w_new
    np.testing.assert_array_equal(Perceptron.update((-12, 2, 3), (1, 2, 2), 1), (-11, 4, 5))


def test_perceptron_pla_update_does_not_modify_w():
    w = np.array([-12.0, 2.0, 3.0])
    pla_update(w, (1, 2, 2), 1)
    np.testing.assert_array_equal(w, [-12, 2, 3])


def test_perceptron_fit_replays_slide_from_its_start():
    # From the slide's w = (-12, 2, 3) on its two points (2, 2) -> +1 and (4, 0) -> -1, exactly one
    # point is misclassified at every step, so the random PLA must make the slide's three updates.
    X = np.array([[2.0, 2.0], [4.0, 0.0]])
    y = np.array([1, -1])
    p = Perceptron(w_init=(-12, 2, 3), random_state=0).fit(X, y)
    assert p.converged_
    assert p.n_iter_ == 3
    for rec, (x, yk, w_after) in zip(p.updates_, SLIDE_STEPS, strict=True):
        assert isinstance(rec, PLAUpdate)
        np.testing.assert_array_equal(rec.x, x)
        assert rec.y == yk
        np.testing.assert_array_equal(rec.w_after, w_after)
        assert rec.n_misclassified == 1
    np.testing.assert_array_equal(p.updates_[0].w_before, (-12, 2, 3))
    np.testing.assert_array_equal(p.w_, (-11, 2, 7))
    assert p.intercept_ == -11
    np.testing.assert_array_equal(p.coef_, (2, 7))
    np.testing.assert_array_equal(p.predict(X), y)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4, 5])
def test_perceptron_converges_on_separable_data(seed):
    X, y = _separable(seed)
    p = Perceptron(max_updates=5000, random_state=seed).fit(X, y)
    assert p.converged_
    assert np.all(y * (X @ p.coef_ + p.intercept_) > 0)       # strict separation
    assert p.score(X, y) == 1.0
    assert p.n_iter_ == len(p.updates_) > 0
    assert p.misclassified(X, y).size == 0


@pytest.mark.parametrize("seed", [0, 7])
def test_perceptron_update_records_replay(seed):
    X, y = _separable(seed)
    p = Perceptron(random_state=seed).fit(X, y)
    Xa = add_bias_column(X)
    w = np.zeros(3)
    for i, rec in enumerate(p.updates_):
        assert rec.step == i
        np.testing.assert_array_equal(rec.w_before, w)
        np.testing.assert_array_equal(rec.x, Xa[rec.index])
        assert rec.y == y[rec.index]
        assert rec.y * (rec.w_before @ rec.x) <= 0            # it was misclassified
        np.testing.assert_array_equal(rec.w_after, rec.w_before + rec.y * rec.x)
        w = rec.w_after
    np.testing.assert_array_equal(w, p.w_)


def test_perceptron_zero_start_needs_boundary_rule():
    # From w = 0 every y w.x is 0: with the lecture's strict "< 0" nothing would be updated.
    X, y = _separable(3)
    p = Perceptron(random_state=0).fit(X, y)
    assert p.updates_[0].n_misclassified == len(y)
    np.testing.assert_array_equal(p.updates_[0].w_before, np.zeros(3))


def test_perceptron_stops_on_xor_with_warning():
    p = Perceptron(max_updates=50, random_state=0)
    with pytest.warns(ConvergenceWarning, match="not be linearly separable"):
        p.fit(XOR_X, XOR_Y)
    assert not p.converged_
    assert p.n_iter_ == 50
    assert p.score(XOR_X, XOR_Y) <= 0.75


def test_perceptron_max_updates_zero_keeps_start():
    with pytest.warns(ConvergenceWarning):
        p = Perceptron(max_updates=0, w_init=(-12, 2, 3)).fit([[2.0, 2.0]], [1])
    np.testing.assert_array_equal(p.w_, (-12, 2, 3))


def test_perceptron_random_state_repeatable():
    X, y = _separable(1)
    a = Perceptron(random_state=5).fit(X, y)
    b = Perceptron(random_state=5).fit(X, y)
    assert [r.index for r in a.updates_] == [r.index for r in b.updates_]
    abcdl.seed(11)
    c = Perceptron().fit(X, y)
    abcdl.seed(11)
    d = Perceptron().fit(X, y)
    assert [r.index for r in c.updates_] == [r.index for r in d.updates_]
    np.testing.assert_array_equal(c.w_, d.w_)


def test_perceptron_predict_sign_zero_is_minus_one():
    p = Perceptron(max_updates=0, w_init=(0.0, 1.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        p.fit([[1.0]], [-1])
    np.testing.assert_array_equal(p.predict([[0.0], [2.0], [-2.0]]), [-1, 1, -1])
    np.testing.assert_array_equal(p.decision_function([[0.0], [2.0]]), [0.0, 2.0])


@pytest.mark.parametrize("X, y, match", [
    ([[0.0, 1.0], [1.0, 0.0]], [0, 1], "-1 or \\+1"),
    ([[0.0, 1.0], [1.0, 0.0]], [1, -1, 1], "lengths must match"),
    ([[np.nan, 1.0], [1.0, 0.0]], [1, -1], "NaN or Inf"),
    ([[np.inf, 1.0], [1.0, 0.0]], [1, -1], "NaN or Inf"),
    ([0.0, 1.0], [1, -1], "2-D"),
    (np.zeros((2, 2, 2)), [1, -1], "2-D"),
])
def test_perceptron_rejects_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        Perceptron().fit(X, y)


def test_perceptron_errors():
    with pytest.raises(NotFittedError, match="not fitted"):
        Perceptron().predict([[1.0, 2.0]])
    p = Perceptron().fit([[1.0, 2.0], [-1.0, -2.0]], [1, -1])
    with pytest.raises(ValueError, match="features"):
        p.predict([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match="w_init"):
        Perceptron(w_init=(1.0, 2.0)).fit([[1.0, 2.0]], [1])
    with pytest.raises(ValueError, match="max_updates"):
        Perceptron(max_updates=-1).fit([[1.0, 2.0]], [1])
    with pytest.raises(TypeError, match="max_updates"):
        Perceptron(max_updates=2.5).fit([[1.0, 2.0]], [1])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        pla_update((0, 0, 0), (1, 1, 1), 0)
    with pytest.raises(ValueError, match="same length"):
        pla_update((0, 0, 0), (1, 1), 1)
    with pytest.raises(TypeError, match="numeric"):
        Perceptron().fit([["a", "b"]], [1])
