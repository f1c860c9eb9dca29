"""Library-wide settings: the default floating dtype and the seeded generator.

Training runs in float32 by default (NumPy's float32 GEMM is about twice as fast
as float64); gradient checks switch to float64.  Every random thing in abcdl
takes an ``np.random.Generator``; when none is passed it draws from the library
generator that :func:`seed` resets, so a seeded run is bit-for-bit repeatable.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_nonnegative_int

_FLOAT_DTYPES = (np.float32, np.float64)

_default_dtype: type[np.floating] = np.float32
_rng: np.random.Generator = np.random.default_rng()


def set_default_dtype(dtype) -> None:
    """Set the dtype of new parameters and of loaded data (float32 or float64)."""
    global _default_dtype
    dt = np.dtype(dtype).type
    if dt not in _FLOAT_DTYPES:
        raise ValueError(f"default dtype must be float32 or float64, got {np.dtype(dtype)}")
    _default_dtype = dt


def get_default_dtype() -> type[np.floating]:
    """The dtype new parameters get (float32 unless :func:`set_default_dtype` changed it)."""
    return _default_dtype


def seed(n: int) -> np.random.Generator:
    """Reset the library generator to ``np.random.default_rng(n)`` and return it.

    Layers, initialisers, dropout masks and the training loop's shuffling draw
    from this generator when no ``rng`` is given, so ``abcdl.seed(0)`` before
    building and training a model makes the whole run repeatable.
    """
    global _rng
    _rng = np.random.default_rng(check_nonnegative_int(n, "seed"))
    return _rng


def get_rng(rng: np.random.Generator | int | None = None) -> np.random.Generator:
    """Resolve an ``rng`` argument: a Generator as is, an int as a fresh seed, None as the library's."""
    if rng is None:
        return _rng
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


def resolve_dtype(dtype=None) -> type[np.floating]:
    """``dtype`` as a NumPy float type; None means the default dtype."""
    if dtype is None:
        return _default_dtype
    dt = np.dtype(dtype).type
    if dt not in _FLOAT_DTYPES:
        raise ValueError(f"dtype must be float32 or float64, got {np.dtype(dtype)}")
    return dt
