"""Linear SVM by subgradient descent on the primal hinge loss (L8)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.svm import SVC

from abcdl.models import LinearSVM, Perceptron
from abcdl.models._estimator import NotFittedError
from abcdl.models.svm import geometric_margin


def _blobs(seed: int = 0, m: int = 40):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal([2.0, 2.0], 0.6, (m // 2, 2)), rng.normal([-1.0, -1.0], 0.6, (m // 2, 2))])
    y = np.r_[np.ones(m // 2), -np.ones(m // 2)].astype(int)
    return X, y


def test_svm_symmetric_pair_margin_one():
    # (1, 0) -> +1, (-1, 0) -> -1: by symmetry b = 0, and J = (lam/2) w1^2 + max(0, 1 - w1)
    # is smallest at the kink w1 = 1 for lam < 1, so w = (1, 0) and the margin 1/||w|| = 1.
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1, -1])
    svm = LinearSVM(C=1.0, n_iter=2000).fit(X, y)               # lam = 1/(C m) = 0.5
    assert svm.lam_ == 0.5
    np.testing.assert_allclose(svm.coef_, [1.0, 0.0], atol=1e-6)
    assert svm.intercept_ == pytest.approx(0.0, abs=1e-6)
    assert svm.margin_ == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_array_equal(svm.support_, [0, 1])
    np.testing.assert_array_equal(svm.support_vectors_, X)
    assert svm.loss_ == pytest.approx(0.25, abs=1e-6)          # (0.5/2) * 1 + 0


def test_svm_hand_checkable_columns():
    # Two columns of points at x1 = -1 and x1 = +1 and two far points: the widest street is
    # x1 = 0 with half-width 1; only the six column points touch the margin.
    X = np.array([[1, -1], [1, 0], [1, 1], [3, 0], [-1, -1], [-1, 0], [-1, 1], [-3, 0]], dtype=float)
    y = np.array([1, 1, 1, 1, -1, -1, -1, -1])
    svm = LinearSVM(C=1.0, n_iter=3000).fit(X, y)
    np.testing.assert_allclose(svm.coef_, [1.0, 0.0], atol=1e-4)
    assert svm.intercept_ == pytest.approx(0.0, abs=1e-4)
    assert svm.margin_ == pytest.approx(1.0, abs=1e-4)
    np.testing.assert_array_equal(svm.support_, [0, 1, 2, 4, 5, 6])
    np.testing.assert_allclose(svm.decision_function(X), X[:, 0], atol=1e-4)


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_svm_matches_sklearn_svc_linear(C):
    X, y = _blobs()
    ours = LinearSVM(C=C).fit(X, y)
    sk = SVC(kernel="linear", C=C, tol=1e-10).fit(X, y)        # (1/2)||w||^2 + C sum hinge
    np.testing.assert_allclose(ours.coef_, sk.coef_[0], atol=3e-3)
    assert ours.intercept_ == pytest.approx(sk.intercept_[0], abs=3e-3)
    assert ours.margin_ == pytest.approx(1 / np.linalg.norm(sk.coef_), rel=3e-3)
    np.testing.assert_array_equal(np.sort(ours.support_), np.sort(sk.support_))
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    # the same objective: J(ours) is no worse than J(sklearn) beyond the optimiser's error
    lam = 1 / (C * len(y))

    def J(w, b):
        return lam / 2 * w @ w + np.mean(np.maximum(0, 1 - y * (X @ w + b)))

    assert ours.loss_ == pytest.approx(J(ours.coef_, ours.intercept_))
    assert ours.loss_ <= J(sk.coef_[0], sk.intercept_[0]) + 1e-5


def test_svm_margin_at_least_perceptrons():
    # L8: PLA stops at any separating line; the SVM's line keeps the widest distance to both classes.
    X, y = _blobs(1)
    svm = LinearSVM(C=1.0).fit(X, y)
    svm_margin = geometric_margin(X, y, svm.coef_, svm.intercept_)
    assert svm_margin == pytest.approx(svm.margin_, rel=1e-3)   # hard margin reached: no slack left
    for seed in range(5):
        p = Perceptron(random_state=seed).fit(X, y)
        assert p.converged_
        assert 0 < geometric_margin(X, y, p.coef_, p.intercept_) <= svm_margin + 1e-9


def test_svm_lam_overrides_C_and_constant_step():
    X, y = _blobs(2)
    a = LinearSVM(lam=0.025).fit(X, y)
    b = LinearSVM(C=1.0).fit(X, y)                              # m = 40: lam = 1/(1*40) = 0.025
    np.testing.assert_allclose(a.coef_, b.coef_)
    c = LinearSVM(C=1.0, decay=False, lr=0.01, n_iter=3000).fit(X, y)
    assert c.loss_ == pytest.approx(b.loss_, rel=2e-2)
    assert c.loss_ == min(c.loss_curve_ + [c.loss_])


def test_svm_predict_is_sign_of_decision():
    X, y = _blobs(3)
    svm = LinearSVM().fit(X, y)
    f = svm.decision_function(X)
    np.testing.assert_array_equal(svm.predict(X), np.where(f > 0, 1, -1))
    assert svm.score(X, y) == 1.0


def test_svm_errors():
    X, y = _blobs()
    with pytest.raises(ValueError, match="-1 or \\+1"):
        LinearSVM().fit(X, (y > 0).astype(int))
    with pytest.raises(ValueError, match="one class"):
        LinearSVM().fit(X, np.ones(len(y)))
    with pytest.raises(ValueError, match="lengths must match"):
        LinearSVM().fit(X, y[:-1])
    X_nan = X.copy()
    X_nan[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LinearSVM().fit(X_nan, y)
    with pytest.raises(ValueError, match="C"):
        LinearSVM(C=0.0).fit(X, y)
    with pytest.raises(NotFittedError):
        LinearSVM().predict(X)
    with pytest.raises(ValueError, match="no boundary"):
        geometric_margin(X, y, [0.0, 0.0], 1.0)
