"""Shared input checks and warnings for the lecture's classic models (L1-L18).

The classic models (``Perceptron``, ``LinearRegression``, ``KMeans``, ...) follow
scikit-learn's estimator habits; these helpers give them one voice for errors:
every message names the model, the argument and what was wrong with it.
"""

from __future__ import annotations

import numbers
import sys
import warnings

import numpy as np

from .._config import get_rng

__all__ = [
    "ConvergenceWarning", "DataConversionWarning", "NotFittedError", "check_array", "check_targets",
    "check_labels", "check_binary_labels", "check_fitted",
    "check_n_features", "check_int", "check_float", "resolve_random_state",
]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its iteration limit before it converged.

    Raised by, e.g., ``Perceptron.fit`` when the PLA is still finding
    misclassified points after ``max_updates`` updates (the data is not
    linearly separable, L9).
    """


class DataConversionWarning(UserWarning):
    """The input was converted, e.g. a column vector y of shape (n, 1) read as (n,)."""


class NotFittedError(ValueError, AttributeError):
    """A model was used (``predict``, ``transform``, ...) before ``fit``."""


def _with_sklearn(ours: type, name: str) -> type:
    """``ours``, or a subclass of it and of scikit-learn's class of the same name when scikit-learn
    is already loaded (it is never imported here): then ``except sklearn.exceptions.NotFittedError``
    and scikit-learn's checks recognise abcdl's errors and warnings too."""
    sk = sys.modules.get("sklearn.exceptions")
    theirs = getattr(sk, name, None)
    if theirs is None:
        return ours
    if (ours, theirs) not in _FLAVOURED:
        _FLAVOURED[ours, theirs] = type(name, (ours, theirs), {"__module__": ours.__module__})
    return _FLAVOURED[ours, theirs]


_FLAVOURED: dict[tuple[type, type], type] = {}


def _name(model) -> str:
    return model if isinstance(model, str) else type(model).__name__


def check_array(X, model, name: str = "X", ndim: int | tuple[int, ...] = 2,
                allow_1d_as_column: bool = False, min_rows: int = 1) -> np.ndarray:
    """Return ``X`` as a finite floating ndarray, or raise an error naming the model and argument.

    Floating input keeps its dtype (float32 stays float32); integers and booleans
    become float64.  With ``allow_1d_as_column`` a 1-D ``X`` of N values is read
    as N examples of one feature, shape (N, 1), as the lecture's scalar x (L18).
    """
    who = _name(model)
    arr = _numeric(X, who, name)
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    elif arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    if allow_1d_as_column and arr.ndim == 1:
        arr = arr[:, None]
    ndims = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if arr.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        shape = "(n_samples, n_features)" if 2 in ndims else ""
        hint = ("; Reshape your data with X.reshape(-1, 1) for one feature or X.reshape(1, -1) for one "
                "sample" if arr.ndim == 1 and 2 in ndims else "")
        raise ValueError(f"{who}: {name} must be {want} {shape}".rstrip() + f", got shape {arr.shape}{hint}")
    if arr.ndim >= 1 and arr.shape[0] < min_rows:
        raise ValueError(f"{who}: {name} needs at least {min_rows} sample(s), got {arr.shape[0]} "
                         f"(n_samples = {arr.shape[0]})")
    if arr.ndim == 2 and arr.shape[1] == 0:       # scikit-learn's wording, which its checks look for
        raise ValueError(f"{who}: {name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 "
                         "is required.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{who}: {name} contains NaN or Inf")
    return arr


def _numeric(X, who: str, name: str) -> np.ndarray:
    """``X`` as a real numeric ndarray: an object array of numbers is converted, anything else refused."""
    if hasattr(X, "tocsr") or hasattr(X, "todense"):          # a scipy.sparse matrix or array
        raise TypeError(f"{who}: {name} is sparse; sparse input is not supported (pass {name}.toarray())")
    arr = np.asarray(X)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:       # keeps float()'s "argument must be a string or a number"
            raise TypeError(f"{who}: {name} must be a numeric array ({err})") from None
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{who}: {name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):   # scikit-learn's wording, which its checks look for
        raise ValueError(f"{who}: {name} must be real: Complex data not supported, got dtype {arr.dtype}")
    return arr


def check_targets(y, model, n_samples: int, name: str = "y") -> np.ndarray:
    """Return targets as a finite 1-D array of length ``n_samples`` (errors name the mismatch)."""
    who = _name(model)
    _not_none(y, who, name)
    arr = np.asarray(y)
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{who}: {name} must be numeric, got dtype object") from None
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{who}: {name} must be numeric, got dtype {arr.dtype}")
    arr = _column_to_1d(arr, who, name)
    if arr.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{who}: X has {n_samples} samples but {name} has {arr.shape[0]} "
                         f"(lengths must match)")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{who}: {name} contains NaN or Inf")
    return arr


def _not_none(y, who: str, name: str) -> None:
    if y is None:                                   # scikit-learn's wording, which its checks look for
        raise ValueError(f"{who} requires y to be passed, but the target {name} is None")


def check_binary_labels(y: np.ndarray, model, labels: tuple, name: str = "y", hint: str = "") -> None:
    """The lecture's two fixed labels, e.g. (-1, +1) for the perceptron (L5) or (0, 1) for logistic
    regression (L15); anything else raises ValueError naming what was found."""
    if np.all(np.isin(y, labels)):
        return
    found = np.unique(y)
    notes = ""
    if found.size > 2:
        notes += " Only binary classification is supported."
    if np.issubdtype(y.dtype, np.floating) and not np.all(y == np.round(y)):
        notes += " Unknown label type: continuous."
    a, b = labels
    b_text = f"+{b}" if a < 0 else f"{b}"             # "-1 or +1" (L5), "0 or 1" (L15)
    raise ValueError(f"{_name(model)}: labels {name} must be {a} or {b_text}, got {found[:5].tolist()}"
                     f"{hint}.{notes}")


def _column_to_1d(arr: np.ndarray, who: str, name: str) -> np.ndarray:
    if arr.ndim == 2 and arr.shape[1] == 1:
        warnings.warn(f"A column-vector y was passed when a 1d array was expected ({who}: {name} of "
                      f"shape {arr.shape} is read as shape ({arr.shape[0]},))",
                      _with_sklearn(DataConversionWarning, "DataConversionWarning"),
                      stacklevel=3)
        return arr[:, 0]
    return arr


def check_labels(y, model, n_samples: int, name: str = "y") -> np.ndarray:
    """Class labels: 1-D, length ``n_samples``, numbers or strings; continuous values are refused.

    Floats are labels only when every value is a whole number (scikit-learn's
    ``type_of_target``); 0.5 or NaN is a regression target and raises ValueError.
    """
    who = _name(model)
    _not_none(y, who, name)
    arr = _column_to_1d(np.asarray(y), who, name)
    if arr.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{who}: X has {n_samples} samples but {name} has {arr.shape[0]} "
                         f"(lengths must match: {name} must have shape ({n_samples},))")
    if arr.dtype == object:
        kinds = {type(v) for v in arr.tolist()}
        if not (kinds <= {str} or all(issubclass(k, numbers.Integral) for k in kinds)):
            raise ValueError(f"{who}: Unknown label type: {name} mixes {sorted(k.__name__ for k in kinds)}")
        arr = arr.astype(str) if kinds <= {str} else arr.astype(np.int64)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise ValueError(f"{who}: Unknown label type: complex {name}")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr) & (arr == np.round(arr))):
        raise ValueError(f"{who}: Unknown label type: continuous {name} (class labels must be whole "
                         "numbers or strings; use a regressor for real-valued targets)")
    return arr


def check_fitted(model, *attrs: str) -> None:
    """Raise :class:`NotFittedError` unless every fitted attribute in ``attrs`` exists."""
    if not all(getattr(model, a, None) is not None for a in attrs):
        raise _with_sklearn(NotFittedError, "NotFittedError")(
            f"{_name(model)} is not fitted yet: call fit(X, ...) before using it")


def check_n_features(model, X: np.ndarray, n_features: int) -> None:
    """The same number of features as in ``fit``."""
    if X.shape[1] != n_features:
        hint = "; Reshape your data with X.reshape(1, -1) if it is one sample" if X.shape[1] == 1 else ""
        raise ValueError(f"{_name(model)}: X has {X.shape[1]} features, but {_name(model)} is expecting "
                         f"{n_features} features as input (the number seen in fit){hint}")


def check_int(value, model, name: str, low: int = 1) -> int:
    """An integer >= ``low`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{_name(model)}: {name} must be an integer, got {value!r}")
    if value < low:
        raise ValueError(f"{_name(model)}: {name} must be >= {low}, got {value}")
    return int(value)


def check_float(value, model, name: str, low: float = 0.0, strict: bool = True) -> float:
    """A finite real number > ``low`` (or >= ``low`` with ``strict=False``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{_name(model)}: {name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v) or (v <= low if strict else v < low):
        rel = ">" if strict else ">="
        raise ValueError(f"{_name(model)}: {name} must be finite and {rel} {low}, got {value}")
    return v


def resolve_random_state(random_state) -> np.random.Generator:
    """``random_state`` as a Generator: int -> fresh seed, Generator as is, None -> the library's."""
    return get_rng(random_state)
