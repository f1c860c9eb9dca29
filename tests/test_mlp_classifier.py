"""MLPClassifier: scikit-learn's estimator habits on abcdl's network."""

import numpy as np
import pytest
from sklearn.datasets import load_digits

from abcdl.models import MLPClassifier, NotFittedError


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    return X[:1400], y[:1400], X[1400:], y[1400:]


def test_mlp_classifier_learns_digits(digits):
    X, y, Xt, yt = digits
    clf = MLPClassifier((64,), learning_rate_init=1e-2, max_iter=15, random_state=0)
    assert clf.fit(X, y) is clf
    assert clf.score(Xt, yt) > 0.9
    P = clf.predict_proba(Xt)
    assert P.shape == (len(Xt), 10) and np.allclose(P.sum(1), 1, atol=1e-5)
    assert clf.n_iter_ == 15 and len(clf.loss_curve_) == 15
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_mlp_classifier_string_labels_and_seed(digits):
    X, y, Xt, _ = digits
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])
    a = MLPClassifier((16,), max_iter=2, random_state=3).fit(X, names[y])
    b = MLPClassifier((16,), max_iter=2, random_state=3).fit(X, names[y])
    assert set(a.predict(Xt)) <= set(names)
    assert np.array_equal(a.predict_proba(Xt), b.predict_proba(Xt))   # seeded: identical


def test_mlp_classifier_early_stopping_and_alpha(digits):
    X, y, _, _ = digits
    clf = MLPClassifier((32,), max_iter=50, alpha=1e-3, early_stopping=True, n_iter_no_change=2,
                        random_state=0).fit(X, y)
    assert clf.n_iter_ <= 50 and clf.validation_scores_ is not None


def test_mlp_classifier_errors(digits):
    X, y, _, _ = digits
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    with pytest.raises(ValueError, match="shape"):
        MLPClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        MLPClassifier().fit(np.full((4, 2), np.nan), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="solver"):
        MLPClassifier(solver="lbfgs").fit(X, y)
    with pytest.raises(ValueError, match="2 classes"):
        MLPClassifier().fit(X[:5], np.zeros(5))
