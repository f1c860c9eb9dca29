"""scikit-learn's estimator protocol for the classic models, without importing scikit-learn.

``sklearn.base.clone``, ``GridSearchCV``, ``Pipeline`` and ``cross_val_score`` need
four things of an estimator, and this base class gives them:

- ``get_params(deep=True)``: the ``__init__`` arguments, read back from the
  attributes of the same names (``__init__`` stores them unchanged and checks
  them only in ``fit``, so ``clone`` and ``set_params`` see what they passed);
- ``set_params(**params)``, with ``step__param`` for nested estimators;
- ``__sklearn_tags__()``: what kind of estimator it is (classifier, regressor,
  clusterer, transformer) and which inputs it takes, as scikit-learn's ``Tags``;
- ``score(X, y)``: accuracy for classifiers, R^2 for regressors.

scikit-learn stays optional: only ``__sklearn_tags__`` imports it, and only
scikit-learn itself calls that method.  Why not subclass
``sklearn.base.BaseEstimator``?  It would make scikit-learn a dependency of
``import abcdl``, and the conditional ``try: import sklearn`` alternative gives
the classes a different base depending on what happens to be installed.
"""

from __future__ import annotations

import inspect

import numpy as np

from ._estimator import check_binary_labels, check_labels, check_targets

__all__ = ["BaseEstimator", "ClassifierBase", "RegressorBase", "r2_score"]


def r2_score(y, y_pred) -> float:
    """Coefficient of determination R^2 = 1 - sum (y - y^)^2 / sum (y - mean y)^2.

    For 2-D targets (several outputs) it is the mean of the per-column R^2,
    scikit-learn's ``multioutput="uniform_average"``; a constant column scores 1
    when predicted exactly and 0 otherwise, as scikit-learn.
    """
    y = np.asarray(y, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(y.shape)
    if y.ndim == 1:
        y, y_pred = y[:, None], y_pred[:, None]
    ss_res = np.sum((y - y_pred) ** 2, axis=0)                # sum (y - y^)^2
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)        # sum (y - mean y)^2
    varied = ss_tot > 0
    r2 = np.where(ss_res == 0, 1.0, 0.0)
    r2[varied] = 1.0 - ss_res[varied] / ss_tot[varied]        # R^2 = 1 - ss_res / ss_tot
    return float(np.mean(r2))


class BaseEstimator:
    """``get_params`` / ``set_params`` / tags / ``repr`` for an estimator whose ``__init__``
    stores every argument unchanged under its own name (scikit-learn's rule)."""

    _estimator_type: str | None = None

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))

    def get_params(self, deep: bool = True) -> dict:
        """The constructor arguments as a dict; ``deep`` adds ``name__sub`` for nested estimators."""
        out = {}
        for name in self._param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update({f"{name}__{k}": v for k, v in value.get_params(deep=True).items()})
            out[name] = value
        return out

    def set_params(self, **params) -> BaseEstimator:
        """Set constructor arguments (``name=value`` or ``name__sub=value``); returns self."""
        valid = self._param_names()
        nested: dict[str, dict] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"{type(self).__name__}: invalid parameter {name!r}; "
                                 f"valid parameters are {valid}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        sig = inspect.signature(type(self).__init__)
        changed = []
        for name in self._param_names():
            value, default = getattr(self, name), sig.parameters[name].default
            if not _same(value, default):
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        """scikit-learn's ``Tags`` for this estimator (scikit-learn is imported only here)."""
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags, TransformerTags

        kind = self._estimator_type
        tags = Tags(estimator_type=kind, target_tags=TargetTags(required=kind in ("classifier", "regressor")))
        if kind == "classifier":
            tags.classifier_tags = ClassifierTags(multi_class=self._codes is None)
        elif kind == "regressor":
            tags.regressor_tags = RegressorTags()
        if hasattr(self, "transform"):
            tags.transformer_tags = TransformerTags(preserves_dtype=["float64", "float32"])
        return tags


def _same(a, b) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return False


class ClassifierBase(BaseEstimator):
    """A classifier: ``score`` is the mean accuracy of ``predict`` (scikit-learn's ``ClassifierMixin``).

    Two-class models (perceptron, SVM, logistic regression) compute with two fixed
    codes ``_codes``, -1/+1 (L5, L8) or 0/1 (L15), and take a ``labels`` parameter:
    a pair (negative, positive) that ``fit`` insists on (the lecture's labels by
    default), or None for any two labels, numbers or strings, the larger one
    being the positive class ``classes_[1]`` as in scikit-learn.
    """

    _estimator_type = "classifier"
    #: The two labels a two-class model computes with; None for a multi-class model.
    _codes: tuple | None = None

    def _binary_y(self, y, m: int, name: str = "y", hint: str = "", classes=None):
        """(y coded as ``_codes``, classes_): classes_[0] -> _codes[0], classes_[1] -> _codes[1]."""
        who = type(self).__name__
        if self.labels is not None:
            pair = np.asarray(self.labels)
            if pair.shape != (2,) or pair[0] == pair[1]:
                raise ValueError(f"{who}: labels must be two different labels (negative, positive) or "
                                 f"None, got {self.labels!r}")
            y = check_targets(y, self, m, name)
            check_binary_labels(y, self, tuple(pair.tolist()), name, hint)
            classes = pair
        else:
            y = check_labels(y, self, m, name)
            classes = np.unique(y if classes is None else check_labels(classes, self, np.size(classes)))
            if classes.size != 2:
                raise ValueError(f"{who}: needs exactly 2 classes in {name}, got {classes.size} class(es) "
                                 f"{classes[:5].tolist()}. Only binary classification is supported.")
            if not np.all(np.isin(y, classes)):
                raise ValueError(f"{who}: {name} holds labels outside classes {classes.tolist()}")
        return np.where(y == classes[1], self._codes[1], self._codes[0]), classes

    def _decode(self, codes: np.ndarray) -> np.ndarray:
        """The algorithm's codes back to the labels of ``classes_``."""
        return self.classes_[(codes == self._codes[1]).astype(np.intp)]

    def score(self, X, y) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``."""
        pred = self.predict(X)
        return float(np.mean(pred == check_labels(y, self, pred.shape[0])))


class RegressorBase(BaseEstimator):
    """A regressor: ``score`` is R^2 of ``predict`` (scikit-learn's ``RegressorMixin``)."""

    _estimator_type = "regressor"

    def score(self, X, y) -> float:
        """R^2 = 1 - sum (y - y^)^2 / sum (y - mean y)^2 of ``predict(X)``."""
        pred = self.predict(X)
        y = np.asarray(y)
        if y.shape[:1] != pred.shape[:1]:
            raise ValueError(f"{type(self).__name__}: X has {pred.shape[0]} samples but y has "
                             f"{y.shape[0] if y.ndim else 0} (lengths must match)")
        return r2_score(y, pred)
