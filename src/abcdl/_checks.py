"""Argument checks shared across the library: one helper per kind of check, one wording per error.

``name`` is how the error names the argument, with its owner when that helps:
``check_positive_int(n, "Linear: in_features")`` raises
``ValueError("Linear: in_features must be a positive integer, got 0")``.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["check_positive_int", "check_nonnegative_int", "check_positive_real"]


def _is_int(value) -> bool:
    """A Python or NumPy integer, but not a bool (True is not a size)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_positive_int(value, name: str) -> int:
    """``value`` as an ``int`` if it is an integer >= 1, else ``ValueError`` naming ``name``."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_nonnegative_int(value, name: str) -> int:
    """``value`` as an ``int`` if it is an integer >= 0, else ``ValueError`` naming ``name``."""
    if not _is_int(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_positive_real(value, name: str) -> float:
    """``value`` as a ``float`` if it is a finite real number > 0, else ``ValueError`` naming ``name``."""
    kinds = (int, float, np.integer, np.floating)
    real = isinstance(value, kinds) and not isinstance(value, (bool, np.bool_))
    try:
        number = float(value) if real else math.nan
    except OverflowError:                        # an int beyond float's range
        number = math.inf
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return number
