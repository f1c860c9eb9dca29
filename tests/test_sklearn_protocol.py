"""scikit-learn's estimator protocol for every abcdl estimator: check_estimator, clone, Pipeline, searches.

Every check that scikit-learn's ``estimator_checks_generator`` yields runs here, except
the ones listed in ``EXCLUDED`` with their reasons; ``test_sklearn_protocol_excluded_checks_fail``
proves each exclusion is still needed (the check really fails), so the list cannot go stale.

The two-class models are checked with ``labels=None`` (any two labels, as scikit-learn):
scikit-learn's checks fit 0/1, 1/2 and string labels, which the lecture's default
``labels=(-1, 1)`` (Perceptron, LinearSVM; L5, L8) and ``labels=(0, 1)``
(LogisticRegression; L15) refuse by design (tests/test_perceptron.py,
test_svm.py, test_regression.py assert those errors).
"""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_regression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import estimator_checks_generator

from abcdl.models import (
    PCA,
    KMeans,
    LinearRegression,
    LinearSVM,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    NotFittedError,
    Perceptron,
    SoftmaxRegression,
)

pytestmark = pytest.mark.filterwarnings("ignore::abcdl.models.ConvergenceWarning")   # short fits on purpose

CHECKED = [
    Perceptron(random_state=0, labels=None),
    LinearRegression(method="closed_form"),
    LinearRegression(lr=1e-3),
    LogisticRegression(labels=None, n_iter=300),
    SoftmaxRegression(n_iter=300),
    LinearSVM(n_iter=500, labels=None),
    KMeans(n_clusters=2, n_init=2, random_state=0),
    PCA(),
    MLPClassifier((8,), learning_rate_init=1e-2, max_iter=100, random_state=0),
    MLPRegressor((8,), learning_rate_init=1e-2, max_iter=100, random_state=0),
]

_GD_DIVERGES = ("plain gradient descent with a fixed step (L18) diverges on this check's un-centred "
                "features (loc=100: the step must stay below 2/lambda_max ~ 1e-4); "
                "LinearRegression(method='closed_form') runs it")
_NO_ARRAY_API = ("abcdl computes with NumPy only (tag array_api_support=False); the check needs "
                 "SCIPY_ARRAY_API=1 and array-api-strict, and raises SkipTest without them")
# (estimator repr, check name) -> reason; "*" matches every estimator.
EXCLUDED = {
    ("*", "check_array_api_input"): _NO_ARRAY_API,
    ("LinearRegression(lr=0.001)", "check_fit_idempotent"): _GD_DIVERGES,
    ("LinearRegression(lr=0.001)", "check_fit_check_is_fitted"): _GD_DIVERGES,
    ("LinearRegression(lr=0.001)", "check_n_features_in"): _GD_DIVERGES,
    ("LinearRegression(lr=0.001)", "check_fit1d"):
        "a 1-D X is the lecture's single feature x, read as shape (N, 1) (L18), not an error",
    ("LinearRegression(method='closed_form')", "check_fit1d"):
        "a 1-D X is the lecture's single feature x, read as shape (N, 1) (L18), not an error",
}


def _check_name(check) -> str:
    return getattr(check, "func", check).__name__


def _reason(estimator, check):
    return EXCLUDED.get((repr(estimator), _check_name(check))) or EXCLUDED.get(("*", _check_name(check)))


def _all_checks():
    with warnings.catch_warnings():     # "does not inherit from sklearn.base.BaseEstimator": by design
        warnings.simplefilter("ignore", UserWarning)
        return [pair for est in CHECKED for pair in estimator_checks_generator(est, legacy=True, mark=None)]


def _ids(pairs):
    return [f"{e!r}-{_check_name(c)}" for e, c in pairs]


_PAIRS = _all_checks()
RUN = [(e, c) for e, c in _PAIRS if _reason(e, c) is None]
SKIPPED_BY_LIST = [(e, c) for e, c in _PAIRS if _reason(e, c) is not None]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("estimator, check", RUN, ids=_ids(RUN))
def test_sklearn_protocol_check_estimator(estimator, check):
    check(estimator)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("estimator, check", SKIPPED_BY_LIST, ids=_ids(SKIPPED_BY_LIST))
def test_sklearn_protocol_excluded_checks_fail(estimator, check):
    with pytest.raises(Exception):       # noqa: B017 (AssertionError, FloatingPointError or SkipTest)
        check(estimator)


def test_sklearn_protocol_exclusions_are_all_used():
    used = {(repr(e) if (repr(e), _check_name(c)) in EXCLUDED else "*", _check_name(c))
            for e, c in SKIPPED_BY_LIST}
    assert used == set(EXCLUDED)


DEFAULTS = [Perceptron(), LinearRegression(), LogisticRegression(), SoftmaxRegression(), LinearSVM(),
            KMeans(), PCA(), MLPClassifier(), MLPRegressor()]


@pytest.mark.parametrize("estimator", DEFAULTS, ids=lambda e: type(e).__name__)
def test_sklearn_protocol_clone_and_params(estimator):
    twin = clone(estimator)
    assert type(twin) is type(estimator) and twin is not estimator
    params = estimator.get_params()
    assert set(params) == set(inspect.signature(type(estimator)).parameters)
    for name, value in params.items():
        assert twin.get_params()[name] is value or twin.get_params()[name] == value
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        clone(estimator).set_params(nope=1)


@pytest.mark.parametrize("estimator", DEFAULTS, ids=lambda e: type(e).__name__)
def test_sklearn_protocol_not_fitted_error(estimator):
    from sklearn.exceptions import NotFittedError as SkNotFitted
    method = next(m for m in ("predict", "transform") if hasattr(estimator, m))
    with pytest.raises(NotFittedError) as err:
        getattr(estimator, method)(np.zeros((2, 3)))
    assert isinstance(err.value, SkNotFitted)       # also scikit-learn's class once it is loaded


def test_sklearn_protocol_repr_shows_changed_params():
    assert repr(Perceptron()) == "Perceptron()"
    assert repr(MLPClassifier((8,), alpha=0.0)) == "MLPClassifier(alpha=0.0, hidden_layer_sizes=(8,))"
    assert repr(LinearSVM(C=10.0)) == "LinearSVM(C=10.0)"


def test_sklearn_protocol_mlp_defaults_follow_sklearn():
    # Same names, same defaults (the differences in behaviour are listed in abcdl.models._mlp_base).
    ours = inspect.signature(MLPClassifier).parameters
    theirs = inspect.signature(SkMLPClassifier).parameters
    shared = sorted(set(ours) & set(theirs))
    assert len(shared) >= 13
    for name in shared:
        assert ours[name].default == theirs[name].default, name


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500], y[:500]


def test_sklearn_protocol_pipeline_and_cross_val_score(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), SoftmaxRegression(lr=0.5, n_iter=100))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.85
    mlp = make_pipeline(StandardScaler(), MLPClassifier((32,), learning_rate_init=1e-2, max_iter=30,
                                                        random_state=0))
    assert cross_val_score(mlp, X, y, cv=3).mean() > 0.85


def test_sklearn_protocol_grid_search_n_jobs(digits):
    # L37: hyper-parameters chosen on held-out folds, in two worker processes
    X, y = digits
    grid = {"alpha": [1e-4, 1.0], "hidden_layer_sizes": [(4,), (32,)]}
    est = MLPClassifier(max_iter=20, learning_rate_init=1e-2, random_state=0)
    seq = GridSearchCV(est, grid, cv=2).fit(X / 16, y)
    par = GridSearchCV(est, grid, cv=2, n_jobs=2).fit(X / 16, y)
    assert par.best_params_ == seq.best_params_ == {"alpha": 1e-4, "hidden_layer_sizes": (32,)}
    np.testing.assert_allclose(par.cv_results_["mean_test_score"], seq.cv_results_["mean_test_score"])
    assert par.best_estimator_.score(X / 16, y) > 0.9


def test_sklearn_protocol_randomized_search_on_binary_labels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2)) + np.repeat([[2.0, 2.0], [-2.0, -2.0]], 40, axis=0)
    y = np.repeat(["cat", "dog"], 40)
    search = RandomizedSearchCV(LinearSVM(labels=None, n_iter=300), {"C": [0.1, 1.0, 10.0]}, n_iter=3,
                                cv=2, random_state=0).fit(X, y)
    assert set(search.predict(X)) == {"cat", "dog"} and search.best_score_ > 0.95


@pytest.mark.parametrize("make", [
    lambda: LinearRegression(lr=0.1),
    lambda: LogisticRegression(lr=0.5),
    lambda: SoftmaxRegression(lr=0.5),
    lambda: LinearSVM(lr=0.5),
    lambda: MLPClassifier((16,), learning_rate_init=1e-2, random_state=0),
    lambda: MLPRegressor((16,), learning_rate_init=1e-2, random_state=0),
], ids=["linear", "logistic", "softmax", "svm", "mlp_classifier", "mlp_regressor"])
def test_sklearn_protocol_partial_fit_learns_from_batches(make):
    # L36: one call per mini-batch; the loss over the whole set falls over 3 epochs of batches
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 3))
    score = X @ [1.5, -2.0, 0.5]
    model = make()
    y = {"classifier": np.where(score > 0, 1, 0), "regressor": score}[model._estimator_type]
    if isinstance(model, LinearSVM):
        y = 2 * y - 1
    classes = {"classes": np.unique(y)} if model._estimator_type == "classifier" else {}
    first = clone(model).partial_fit(X[:20], y[:20], **classes).score(X, y)
    for _ in range(3):
        for s in range(0, 120, 20):
            model.partial_fit(X[s:s + 20], y[s:s + 20], **classes)
    assert model.score(X, y) > max(first, 0.8)
    assert model.n_features_in_ == 3
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:5, :2], y[:5])


def test_sklearn_protocol_partial_fit_needs_classes_first():
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier().partial_fit(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="classes must be passed"):
        SoftmaxRegression().partial_fit(np.zeros((4, 2)), [0, 1, 0, 1])


def test_sklearn_protocol_mlp_regressor_fits_a_curve():
    X, y = make_regression(200, 4, noise=1.0, random_state=0)
    y2 = np.stack([y, -y], axis=1) / 100
    reg = MLPRegressor((32,), learning_rate_init=1e-2, max_iter=150, random_state=0).fit(X, y2)
    assert reg.predict(X).shape == (200, 2) and reg.score(X, y2) > 0.95
    one = MLPRegressor((32,), learning_rate_init=1e-2, max_iter=150, random_state=0).fit(X, y2[:, 0])
    assert one.predict(X).shape == (200,) and one.predict(X).dtype == np.float64


def test_sklearn_protocol_binary_labels_none_keeps_lecture_numbers():
    # labels=None with labels -1/+1 is the same PLA run as the default
    X = np.array([[2.0, 2.0], [4.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    y = np.array([1, -1, 1, -1])
    a = Perceptron(random_state=0).fit(X, y)
    b = Perceptron(random_state=0, labels=None).fit(X, np.where(y > 0, "yes", "no"))
    np.testing.assert_array_equal(a.w_, b.w_)
    assert list(b.classes_) == ["no", "yes"]
    np.testing.assert_array_equal(b.predict(X), np.where(a.predict(X) > 0, "yes", "no"))
