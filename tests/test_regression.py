"""Linear regression (L18), logistic and softmax regression (L12, L14, L15)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.metrics import r2_score as sk_r2

from abcdl import functions as F
from abcdl.models import LinearRegression, LogisticRegression, SoftmaxRegression
from abcdl.models._estimator import NotFittedError
from abcdl.numdiff import numerical_gradient


# -- linear regression (L18) ------------------------------------------------------
def _line_data(seed: int = 0, n: int = 50):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2, 2, n)
    y = 3.0 * x - 1.0 + 0.3 * rng.standard_normal(n)          # y = a x + b + noise
    return x, y


def test_regression_gd_matches_lstsq_single_feature():
    x, y = _line_data()
    model = LinearRegression(lr=0.1, n_iter=2000).fit(x, y)   # the lecture's scalar x
    A = np.stack([x, np.ones_like(x)], axis=1)
    (a, b), *_ = np.linalg.lstsq(A, y, rcond=None)
    np.testing.assert_allclose(model.coef_, [a], atol=1e-8)
    np.testing.assert_allclose(model.intercept_, b, atol=1e-8)
    assert model.coef_.shape == (1,)
    # the loss curve starts at L(0, 0) = mean(y^2) and never goes up
    assert model.loss_curve_[0] == pytest.approx(np.mean(y**2))
    assert np.all(np.diff(model.loss_curve_) <= 1e-12)
    assert model.loss_ == pytest.approx(np.mean((y - a * x - b) ** 2))


def test_regression_gd_matches_lstsq_multi_feature_and_closed_form():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((80, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.7 + 0.1 * rng.standard_normal(80)
    gd = LinearRegression(lr=0.1, n_iter=3000).fit(X, y)
    cf = LinearRegression(method="closed_form").fit(X, y)
    theta, *_ = np.linalg.lstsq(np.hstack([X, np.ones((80, 1))]), y, rcond=None)
    np.testing.assert_allclose(cf.coef_, theta[:3], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(cf.intercept_, theta[3], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gd.coef_, theta[:3], atol=1e-7)
    np.testing.assert_allclose(gd.intercept_, theta[3], atol=1e-7)
    assert cf.n_iter_ == 0 and cf.loss_curve_ == []
    np.testing.assert_allclose(gd.predict(X), X @ theta[:3] + theta[3], atol=1e-6)
    assert gd.score(X, y) == pytest.approx(sk_r2(y, gd.predict(X)))


def test_regression_gradients_match_formula_and_numerical():
    x, y = _line_data(2, 20)
    model = LinearRegression(n_iter=1).fit(x, y)
    a, b = np.array([0.7]), -0.3
    da, db = model.gradients(x, y, a, b)
    r = y - (a[0] * x + b)
    assert da[0] == pytest.approx(-2 / len(x) * np.sum(x * r))   # dL/da = -(2/N) sum x_i (y_i - y^_i)
    assert db == pytest.approx(-2 / len(x) * np.sum(r))          # dL/db = -(2/N) sum (y_i - y^_i)
    theta = np.array([a[0], b])

    def L(th):
        return np.mean((y - (th[0] * x + th[1])) ** 2)

    np.testing.assert_allclose(numerical_gradient(L, theta, h=1e-6), [da[0], db], rtol=1e-6)


def test_regression_one_gd_step_by_hand():
    # x = (1, 2), y = (1, 3); from a = b = 0: r = y, dL/da = -(2/2)(1*1 + 2*3) = -7, dL/db = -(1 + 3) = -4
    model = LinearRegression(lr=0.1, n_iter=1).fit([1.0, 2.0], [1.0, 3.0])
    np.testing.assert_allclose(model.coef_, [0.7])
    assert model.intercept_ == pytest.approx(0.4)
    assert model.loss_curve_ == [pytest.approx(5.0)]            # (1 + 9) / 2


def test_regression_tol_stops_early():
    x, y = _line_data()
    model = LinearRegression(lr=0.1, n_iter=10000, tol=1e-12).fit(x, y)
    assert model.n_iter_ < 10000


def test_regression_diverges_with_clear_error():
    x, y = _line_data()
    with pytest.raises(FloatingPointError, match="lr"):
        LinearRegression(lr=10.0, n_iter=2000).fit(100 * x, y)


def test_regression_keeps_float32():
    x, y = _line_data()
    model = LinearRegression(lr=0.1, n_iter=500).fit(x.astype(np.float32), y.astype(np.float32))
    assert model.coef_.dtype == np.float32
    assert model.predict(x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((3, 2)), np.zeros(4), "lengths must match"),
    (np.zeros((2, 2, 2)), np.zeros(2), "2-D"),
    ([[np.nan], [1.0]], [1.0, 2.0], "NaN or Inf"),
    ([[0.0], [1.0]], [1.0, np.inf], "NaN or Inf"),
])
def test_regression_rejects_bad_input(X, y, match):
    with pytest.raises(ValueError, match=match):
        LinearRegression().fit(X, y)


def test_regression_errors():
    with pytest.raises(NotFittedError):
        LinearRegression().predict([[1.0]])
    with pytest.raises(ValueError, match="method"):
        LinearRegression(method="newton").fit([1.0, 2.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="lr"):
        LinearRegression(lr=-1.0).fit([1.0, 2.0], [1.0, 2.0])
    m = LinearRegression(method="closed_form").fit([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="features"):
        m.predict([[1.0]])


# -- logistic regression (L12, L15) -----------------------------------------------
def _binary_data(seed: int = 0, m: int = 200):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, 2))
    p = F.sigmoid(X @ np.array([1.5, -2.0]) + 0.5)
    t = (rng.random(m) < p).astype(np.int64)                   # overlapping classes: the MLE exists
    return X, t


def test_logistic_one_step_by_hand():
    # X = [[1, 2], [3, -1]], t = [1, 0], w = 0, b = 0 -> y = 0.5, dz = y - t = [-0.5, 0.5]
    # dw = (1/2)(x1 dz1 + x2 dz2) = (1/2)([-0.5, -1] + [1.5, -0.5]) = [0.5, -0.75];  db = 0
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    t = np.array([1, 0])
    model = LogisticRegression(lr=1.0, n_iter=1).fit(X, t)
    np.testing.assert_allclose(model.coef_, [-0.5, 0.75])
    assert model.intercept_ == 0.0
    assert model.loss_curve_[0] == pytest.approx(np.log(2))   # -log(1/2) for both points


def test_logistic_gradient_matches_numerical():
    X, t = _binary_data(1, 30)
    model = LogisticRegression(n_iter=1).fit(X, t)
    rng = np.random.default_rng(3)
    w = rng.standard_normal(2)
    b = 0.3
    dw, db = model.gradients(X, t, w, b)
    np.testing.assert_allclose(numerical_gradient(lambda v: model.loss(X, t, v, b), w, h=1e-6), dw,
                               rtol=1e-6, atol=1e-10)
    bb = np.array([b])
    num_db = numerical_gradient(lambda v: model.loss(X, t, w, v[0]), bb, h=1e-6)[0]
    assert num_db == pytest.approx(db, rel=1e-6)


def test_logistic_matches_sklearn_unregularised():
    X, t = _binary_data()
    ours = LogisticRegression(lr=2.0, n_iter=2000).fit(X, t)
    sk = SkLogistic(C=np.inf, tol=1e-12, max_iter=10000).fit(X, t)   # C = inf: no penalty
    np.testing.assert_allclose(ours.coef_, sk.coef_[0], atol=1e-6)
    assert ours.intercept_ == pytest.approx(sk.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    assert ours.score(X, t) == pytest.approx(sk.score(X, t))
    assert np.all(np.diff(ours.loss_curve_) <= 1e-12)


def test_logistic_predict_proba_is_sigmoid_of_decision():
    X, t = _binary_data(2, 40)
    model = LogisticRegression(n_iter=50).fit(X, t)
    z = model.decision_function(X)
    P = model.predict_proba(X)
    np.testing.assert_allclose(P[:, 1], 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_array_equal(model.predict(X), (P[:, 1] > 0.5).astype(int))


def test_logistic_errors():
    with pytest.raises(ValueError, match="0 or 1"):
        LogisticRegression().fit([[1.0], [2.0]], [-1, 1])
    with pytest.raises(ValueError, match="lengths must match"):
        LogisticRegression().fit([[1.0], [2.0]], [0, 1, 1])
    with pytest.raises(NotFittedError):
        LogisticRegression().predict_proba([[1.0]])
    with pytest.raises(ValueError, match="NaN"):
        LogisticRegression().fit([[np.nan], [2.0]], [0, 1])


# -- softmax regression (L12, L14) ------------------------------------------------
def _three_classes(seed: int = 0, m: int = 150):
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 3, m)
    centres = np.array([[1.0, 0.0], [-0.5, 0.9], [-0.5, -0.9]])
    X = centres[t] + 0.8 * rng.standard_normal((m, 2))
    return X, np.array([3, 7, 9])[t]                           # arbitrary labels


def test_softmax_gradient_matches_numerical():
    X, t = _three_classes(1, 20)
    model = SoftmaxRegression(n_iter=1).fit(X, t)
    rng = np.random.default_rng(4)
    W = rng.standard_normal((3, 2))
    b = rng.standard_normal(3)
    dW, db = model.gradients(X, t, W, b)
    np.testing.assert_allclose(numerical_gradient(lambda v: model.loss(X, t, v, b), W, h=1e-6), dW,
                               rtol=1e-6, atol=1e-10)
    np.testing.assert_allclose(numerical_gradient(lambda v: model.loss(X, t, W, v), b, h=1e-6), db,
                               rtol=1e-6, atol=1e-10)


def test_softmax_matches_sklearn_multinomial():
    X, t = _three_classes()
    ours = SoftmaxRegression(lr=2.0, n_iter=3000).fit(X, t)
    sk = SkLogistic(C=np.inf, tol=1e-12, max_iter=10000).fit(X, t)
    np.testing.assert_array_equal(ours.classes_, [3, 7, 9])
    np.testing.assert_allclose(ours.predict_proba(X), sk.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    # gradient descent from W = 0 keeps sum_k W_k = 0, the same representative sklearn reports
    np.testing.assert_allclose(ours.coef_.sum(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(ours.coef_, sk.coef_ - sk.coef_.mean(axis=0), atol=1e-5)


def test_softmax_two_classes_equals_logistic():
    # with K = 2, softmax of (z0, z1) is sigma(z1 - z0): the same probabilities as the sigmoid model
    X, t = _binary_data(5, 80)
    soft = SoftmaxRegression(lr=2.0, n_iter=3000).fit(X, t)
    logi = LogisticRegression(lr=2.0, n_iter=3000).fit(X, t)
    np.testing.assert_allclose(soft.predict_proba(X), logi.predict_proba(X), atol=1e-6)


def test_softmax_errors():
    with pytest.raises(ValueError, match="at least 2 classes"):
        SoftmaxRegression().fit([[1.0], [2.0]], [1, 1])
    model = SoftmaxRegression(n_iter=5).fit([[1.0], [2.0], [3.0]], [0, 1, 2])
    with pytest.raises(ValueError, match="not seen in fit"):
        model.loss([[1.0]], [5])
    with pytest.raises(ValueError, match="features"):
        model.predict([[1.0, 2.0]])
