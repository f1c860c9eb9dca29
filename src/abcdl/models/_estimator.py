"""Shared input checks and warnings for the lecture's classic models (L1-L18).

The classic models (``Perceptron``, ``LinearRegression``, ``KMeans``, ...) follow
scikit-learn's estimator habits; these helpers give them one voice for errors:
every message names the model, the argument and what was wrong with it.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._config import get_rng

__all__ = [
    "ConvergenceWarning", "NotFittedError", "check_array", "check_targets", "check_fitted",
    "check_n_features", "check_int", "check_float", "resolve_random_state",
]


class ConvergenceWarning(UserWarning):
    """An iterative fit stopped at its iteration limit before it converged.

    Raised by, e.g., ``Perceptron.fit`` when the PLA is still finding
    misclassified points after ``max_updates`` updates (the data is not
    linearly separable, L9).
    """


class NotFittedError(ValueError, AttributeError):
    """A model was used (``predict``, ``transform``, ...) before ``fit``."""


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
    arr = np.asarray(X)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{who}: {name} must be a numeric array, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise TypeError(f"{who}: {name} must be real, got dtype {arr.dtype}")
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
        raise ValueError(f"{who}: {name} must be {want} {shape}".rstrip() + f", got shape {arr.shape}")
    if arr.ndim >= 1 and arr.shape[0] < min_rows:
        raise ValueError(f"{who}: {name} needs at least {min_rows} sample(s), got {arr.shape[0]}")
    if arr.ndim == 2 and arr.shape[1] == 0:
        raise ValueError(f"{who}: {name} has no features (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{who}: {name} contains NaN or Inf")
    return arr


def check_targets(y, model, n_samples: int, name: str = "y") -> np.ndarray:
    """Return targets as a finite 1-D array of length ``n_samples`` (errors name the mismatch)."""
    who = _name(model)
    arr = np.asarray(y)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{who}: {name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{who}: {name} must be 1-D (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{who}: X has {n_samples} samples but {name} has {arr.shape[0]} "
                         f"(lengths must match)")
    if np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        raise ValueError(f"{who}: {name} contains NaN or Inf")
    return arr


def check_fitted(model, *attrs: str) -> None:
    """Raise :class:`NotFittedError` unless every fitted attribute in ``attrs`` exists."""
    if not all(getattr(model, a, None) is not None for a in attrs):
        raise NotFittedError(f"{_name(model)} is not fitted yet: call fit(X, ...) before using it")


def check_n_features(model, X: np.ndarray, n_features: int) -> None:
    """The same number of features as in ``fit``."""
    if X.shape[1] != n_features:
        raise ValueError(f"{_name(model)}: X has {X.shape[1]} features, but the model was fitted "
                         f"with {n_features}")


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
