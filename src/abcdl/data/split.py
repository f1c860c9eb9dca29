"""Splitting and mini-batching arrays of examples (L36, L37)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from .._checks import check_positive_int
from .._config import get_rng

__all__ = ["train_val_split", "iterate_minibatches"]


def _check_pair(X, t) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(X)
    if X.ndim == 0:
        raise ValueError("X must have a leading batch axis, got a scalar")
    if t is None:
        return X, None
    t = np.asarray(t)
    if t.ndim == 0 or t.shape[0] != X.shape[0]:
        raise ValueError(f"X and t must have the same number of examples (first axis), "
                         f"got X {X.shape} and t {t.shape}")
    return X, t


def train_val_split(X, t, val_fraction: float = 0.1, rng: np.random.Generator | int | None = None,
                    shuffle: bool = True):
    """Split examples into a training part and a validation part (L37).

    Hyper-parameters are chosen on the validation part, never on the test set.

    Parameters
    ----------
    X, t : array_like
        Examples and their targets, batch first (same first dimension).
    val_fraction : float in (0, 1)
        Share of examples held out; the validation size is ceil(m * val_fraction).
    rng : np.random.Generator, int or None
        Source of the shuffle: a Generator, an int seed (the same split every
        time), or None for the library generator (repeatable after ``abcdl.seed``).
    shuffle : bool
        False: no randomness, the *last* ceil(m * val_fraction) examples are the
        validation part (Keras's ``validation_split``).

    Returns
    -------
    (X_train, t_train), (X_val, t_val)
        New arrays (fancy-indexed copies) when shuffled, views otherwise.
    """
    X, t = _check_pair(X, t)
    if t is None:
        raise ValueError("train_val_split needs targets t (got None)")
    if not (isinstance(val_fraction, (float, int)) and 0 < val_fraction < 1):
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    m = X.shape[0]
    n_val = math.ceil(m * val_fraction)            # m_val = ceil(m * fraction)
    if not 1 <= n_val < m:
        raise ValueError(f"val_fraction={val_fraction} of {m} examples leaves "
                         f"{m - n_val} for training and {n_val} for validation; both need at least 1")
    if not shuffle:
        return (X[:m - n_val], t[:m - n_val]), (X[m - n_val:], t[m - n_val:])
    perm = get_rng(rng).permutation(m)
    val, train = perm[:n_val], perm[n_val:]
    return (X[train], t[train]), (X[val], t[val])


def iterate_minibatches(X, t=None, batch_size: int = 100, shuffle: bool = True,
                        rng: np.random.Generator | int | None = None,
                        drop_last: bool = False) -> Iterator:
    """Yield the mini-batches of one epoch (L36): every example exactly once.

    With ``shuffle`` each call draws a fresh permutation of the m examples (no
    sampling with replacement), so one epoch = one pass over the data =
    ceil(m / batch_size) iterations; the last, partial batch is kept unless
    ``drop_last``.

    Parameters
    ----------
    X : array_like
        Examples, batch first.
    t : array_like, optional
        Targets with the same first dimension; when None, only X batches are yielded.
    batch_size : int
        Examples per batch (the last may be smaller).
    shuffle : bool
        Visit the examples in a random order (a new permutation per call).
    rng : np.random.Generator, int or None
        Source of the permutation (None: the library generator of ``abcdl.seed``).
    drop_last : bool
        Skip a final batch smaller than ``batch_size``.

    Yields
    ------
    (X_batch, t_batch), or X_batch when t is None
        Copies when shuffled, views of X and t otherwise.
    """
    X, t = _check_pair(X, t)
    batch_size = check_positive_int(batch_size, "batch_size")
    order = get_rng(rng).permutation(X.shape[0]) if shuffle else None
    return _batches(X, t, batch_size, order, drop_last)   # checks above run at call time


def _batches(X, t, batch_size: int, order, drop_last: bool) -> Iterator:
    m = X.shape[0]
    for start in range(0, m, batch_size):
        stop = min(start + batch_size, m)
        if drop_last and stop - start < batch_size:
            break
        idx = order[start:stop] if order is not None else slice(start, stop)
        yield X[idx] if t is None else (X[idx], t[idx])
