"""The 8x8 digits shipped with abcdl: the same data as scikit-learn's copy, SHA-256 checked, packaged."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from abcdl.data import DataError, digits, load_digits

ROOT = Path(__file__).resolve().parent.parent


def test_data_digits_equal_sklearn_row_for_row():
    from sklearn.datasets import load_digits as sk_digits

    sk = sk_digits()
    images, labels = digits._read_digits()
    np.testing.assert_array_equal(images, sk.images)
    np.testing.assert_array_equal(labels, sk.target)
    (x, t), (xt, tt) = load_digits(dtype=np.float64)
    X = np.concatenate([x, xt]) * 16
    # the split is a permutation of sklearn's rows (seed 0, 20% test): every row appears once
    assert sorted(map(bytes, X.astype(np.uint8))) == sorted(map(bytes, sk.data.astype(np.uint8)))
    assert np.bincount(np.concatenate([t, tt])).tolist() == np.bincount(sk.target).tolist()


def test_data_digits_sha256_mismatch_is_a_data_error(tmp_path):
    bad = tmp_path / "digits.csv.gz"
    content = gzip.decompress(digits.DIGITS_FILE.read_bytes()).replace(b"0,0,5,13", b"0,0,5,14", 1)
    bad.write_bytes(gzip.compress(content))
    with pytest.raises(DataError, match="SHA-256"):
        digits._read_digits(bad)
    with pytest.raises(DataError, match="cannot read"):
        digits._read_digits(tmp_path / "missing.csv.gz")


def test_data_digits_shipped_with_licence_and_package_data(tmp_path):
    folder = digits.DIGITS_FILE.parent
    readme = (folder / "README.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in readme and "UCI" in readme and digits.SHA256 in readme
    assert 50_000 < digits.DIGITS_FILE.stat().st_size < 120_000
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    package_data = pyproject.split("[tool.setuptools.package-data]", 1)[1].split("\n[", 1)[0]
    assert '"_resources/digits/digits.csv.gz"' in package_data
    assert '"_resources/digits/README.md"' in package_data
    assert "scikit-learn" not in pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    copy = tmp_path / "digits.csv.gz"
    shutil.copy(digits.DIGITS_FILE, copy)                       # a copy elsewhere reads the same
    np.testing.assert_array_equal(digits._read_digits(copy)[0], digits._read_digits()[0])
