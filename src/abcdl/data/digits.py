"""The 8x8 handwritten digits, shipped inside abcdl: a small MNIST that needs no download.

1,797 images of 8x8 pixels with values 0..16: the test set of the UCI "Optical
Recognition of Handwritten Digits" data (Alpaydin and Kaynak, 1998), in the copy
scikit-learn ships as ``sklearn/datasets/data/digits.csv.gz``.  The same file
lies in ``abcdl/_resources/digits/`` (about 57 KB; licence and source in the
README beside it) and is read with NumPy alone, so quick runs and tests work
offline right after ``pip install -e .``: no scikit-learn needed.  Every load
checks the SHA-256 of the uncompressed CSV (:data:`SHA256`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
from pathlib import Path

import numpy as np

from .._config import resolve_dtype
from .idx import DataError
from .split import train_val_split

__all__ = ["load_digits", "DIGITS_SEED", "DIGITS_TEST_FRACTION", "DIGITS_FILE", "SHA256"]

DIGITS_SEED = 0              # the split is the same on every call and every machine
DIGITS_TEST_FRACTION = 0.2   # 360 test / 1,437 train examples
N_CLASSES = 10
DIGITS_FILE = Path(__file__).resolve().parent.parent / "_resources" / "digits" / "digits.csv.gz"
# SHA-256 of the uncompressed CSV (1,797 rows: 64 pixels 0..16, then the label 0..9)
SHA256 = "6ebb3d2fee246a4e99363262ddf8a00a3c41bee6014c373ed9d9216ba7f651b8"

_MEMO: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def _read_digits(path: Path = DIGITS_FILE) -> tuple[np.ndarray, np.ndarray]:
    """``(images (1797, 8, 8) uint8, labels (1797,) int64)`` from the shipped CSV, SHA-256 checked."""
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key in _MEMO:
            return _MEMO[key]
        content = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read the shipped 8x8 digits ({exc}); reinstall abcdl") from exc
    digest = hashlib.sha256(content).hexdigest()
    if digest != SHA256:
        raise DataError(f"{path}: SHA-256 of the uncompressed content is {digest}, expected {SHA256}; "
                        "the file is corrupt or another version (reinstall abcdl)")
    table = np.loadtxt(io.BytesIO(content), delimiter=",", dtype=np.int64)   # (1797, 65)
    images = table[:, :64].reshape(-1, 8, 8).astype(np.uint8)                # pixels 0..16
    labels = table[:, 64].copy()                                             # classes 0..9
    images.flags.writeable = False
    labels.flags.writeable = False
    _MEMO[key] = (images, labels)
    return images, labels


def load_digits(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False,
                dtype=None, test_fraction: float = DIGITS_TEST_FRACTION, seed: int = DIGITS_SEED):
    """The 8x8 digits as ``(x_train, t_train), (x_test, t_test)``, like :func:`load_mnist`.

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
        New arrays owned by the caller; 1,437 / 360 examples with the defaults.  The
        images and labels are those of ``sklearn.datasets.load_digits()``, row for row.

    Raises
    ------
    DataError
        The shipped file is missing or fails its SHA-256 check.
    """
    images, labels = _read_digits()
    dt = resolve_dtype(dtype)
    n = images.shape[0]
    X = images.reshape(n, -1) if flatten else images.reshape(n, 1, *images.shape[1:])
    X = (X / 16).astype(dt) if normalize else X.copy()          # pixel / 16 in [0, 1]
    (x_train, t_train), (x_test, t_test) = train_val_split(X, labels.copy(), test_fraction, rng=int(seed))
    if one_hot_label:
        t_train = np.eye(N_CLASSES, dtype=dt)[t_train]                # T[k, t_k] = 1
        t_test = np.eye(N_CLASSES, dtype=dt)[t_test]
    return (x_train, t_train), (x_test, t_test)
