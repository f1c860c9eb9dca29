"""Shared fixtures."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import abcdl
from abcdl.cli import main
from abcdl.data import load_mnist
from abcdl.data import mnist as mnist_mod


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    """One BLAS thread: test arrays are small, and OpenBLAS's worker threads stall badly
    when the machine is shared (a 100x100 product 60x slower), which makes run times erratic."""
    with threadpool_limits(1):
        yield


@pytest.fixture(autouse=True)
def _reset_library_state():
    """Each test starts from float32 and a freshly seeded library generator."""
    abcdl.set_default_dtype(np.float32)
    abcdl.seed(0)
    yield
    abcdl.set_default_dtype(np.float32)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """A folder holding the real MNIST files in ``mnist/``: ``ABCDL_DATA`` when it is set, else the
    copy shipped inside abcdl.  Fails with a clear message when neither holds them."""
    root = os.environ.get("ABCDL_DATA")
    if root:
        path = Path(root)
        if not (path / "mnist" / "train-images-idx3-ubyte.gz").is_file():
            pytest.fail(f"ABCDL_DATA={root} does not hold mnist/train-images-idx3-ubyte.gz")
        return path
    path = mnist_mod.PACKAGE_DATA
    if not (path / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"the copy of MNIST shipped with abcdl is missing from {path / 'mnist'}: "
                    f"reinstall abcdl (pip install -e .)")
    return path


FASHION_SLICE = Path(__file__).parent / "data"


@dataclass(frozen=True)
class FashionData:
    """Where the tests read Fashion-MNIST from, and how many images each split has there."""

    root: Path
    n_train: int
    n_test: int


@pytest.fixture
def fashion(monkeypatch) -> FashionData:
    """Fashion-MNIST for tests: the full files from ``ABCDL_DATA`` when it is set, else the slice
    committed in tests/data/fashion-mnist (the first 1,000 training and 500 test images; see
    tests/data/make_fashion_slice.py), whose SHA-256 digests stand in for the full files' ones."""
    root = os.environ.get("ABCDL_DATA")
    if root:
        path = Path(root)
        if not (path / "fashion-mnist" / "train-images-idx3-ubyte.gz").is_file():
            pytest.fail(f"ABCDL_DATA={root} does not hold fashion-mnist/train-images-idx3-ubyte.gz")
        return FashionData(path, 60_000, 10_000)
    sums = {}
    for line in (FASHION_SLICE / "fashion-mnist" / "SHA256SUMS").read_text().splitlines():
        digest, stem = line.split()
        sums[stem] = digest
    monkeypatch.setitem(mnist_mod.SHA256, "fashion-mnist", sums)
    return FashionData(FASHION_SLICE, 1000, 500)


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No download may reach the network: every mirror is an unroutable local port; no user cache.

    Use with ``pytestmark = pytest.mark.usefixtures("offline")`` in files that run the CLI."""
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setenv("ABCDL_FASHION_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def mnist_run(data_root, tmp_path_factory) -> Path:
    """A small MNIST run folder made by ``abcdl train`` (2,000 images, 4 epochs, hidden 64), shared by the
    predict, evaluate and serve tests."""
    out = tmp_path_factory.mktemp("mnist") / "run"
    quick = ["--hidden", "64", "--dropout", "0", "--batch-size", "32", "--lr", "0.003", "--verbose", "0"]
    assert main(["train", "--data-root", str(data_root), "--no-download", "--subset", "2000", "--epochs", "4",
                 "--out", str(out), *quick]) == 0
    return out


@pytest.fixture(scope="session")
def mnist_test(data_root):
    """The MNIST test set as (x, t): float32 rows in [0, 1] and labels."""
    _, (x, t) = load_mnist(root=data_root, download=False)
    return x, t
