"""The 8x8 handwritten digits bundled with scikit-learn: a small MNIST that needs no download.

1,797 images of 8x8 pixels with values 0..16 (UCI "Optical Recognition of
Handwritten Digits"), shipped inside scikit-learn, so quick runs and tests work
offline.  ``pip install abcdl[digits]`` installs scikit-learn.
"""

from __future__ import annotations

import numpy as np

from .._config import resolve_dtype
from .idx import DataError
from .split import train_val_split

__all__ = ["load_digits", "DIGITS_SEED", "DIGITS_TEST_FRACTION"]

DIGITS_SEED = 0              # the split is the same on every call and every machine
DIGITS_TEST_FRACTION = 0.2   # 360 test / 1,437 train examples
N_CLASSES = 10


def load_digits(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False,
                dtype=None, test_fraction: float = DIGITS_TEST_FRACTION, seed: int = DIGITS_SEED):
    """scikit-learn's 8x8 digits as ``(x_train, t_train), (x_test, t_test)``, like :func:`load_mnist`.

    Parameters
    ----------
    normalize : bool
        True: pixels / 16 as floats in [0, 1] of ``dtype``.  False: raw values 0..16 as uint8.
    flatten : bool
        True: (N, 64) rows.  False: (N, 1, 8, 8) images, channels first.
    one_hot_label : bool
        True: one-hot (N, 10) rows of ``dtype``; False: int64 class indices (N,).
    dtype : float32 | float64, optional
        Default ``abcdl.get_default_dtype()``.
    test_fraction : float in (0, 1)
        Held-out share; ceil(1797 * test_fraction) test examples.
    seed : int
        Seed of the permutation that splits the set (fixed: the split is deterministic,
        whatever the state of ``abcdl.seed``).

    Returns
    -------
    (x_train, t_train), (x_test, t_test)
        New arrays owned by the caller; 1,437 / 360 examples with the defaults.

    Raises
    ------
    DataError
        scikit-learn is not installed (the message says ``pip install abcdl[digits]``).
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as exc:
        raise DataError("load_digits needs scikit-learn, which ships the 8x8 digits: "
                        "pip install abcdl[digits]  (or: pip install scikit-learn)") from exc
    bunch = _sk_load_digits()
    images = np.asarray(bunch.images)          # (1797, 8, 8) float64 holding 0..16
    labels = np.asarray(bunch.target, dtype=np.int64)
    dt = resolve_dtype(dtype)
    n = images.shape[0]
    X = images.reshape(n, -1) if flatten else images.reshape(n, 1, *images.shape[1:])
    X = (X / 16).astype(dt) if normalize else X.astype(np.uint8)   # pixel / 16 in [0, 1]
    (x_train, t_train), (x_test, t_test) = train_val_split(X, labels, test_fraction, rng=int(seed))
    if one_hot_label:
        t_train = np.eye(N_CLASSES, dtype=dt)[t_train]                # T[k, t_k] = 1
        t_test = np.eye(N_CLASSES, dtype=dt)[t_test]
    return (x_train, t_train), (x_test, t_test)
