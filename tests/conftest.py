"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import abcdl


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
    """The folder of real MNIST / Fashion-MNIST files (``ABCDL_DATA``); fails clearly without it."""
    root = os.environ.get("ABCDL_DATA")
    if not root:
        pytest.fail("ABCDL_DATA is not set: point it at the folder holding mnist/ and "
                    "fashion-mnist/ (CI uses ../shared/data)")
    path = Path(root)
    if not (path / "mnist" / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"ABCDL_DATA={root} does not hold mnist/train-images-idx3-ubyte.gz")
    return path


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No download may reach the network: every mirror is an unroutable local port; no user cache.

    Use with ``pytestmark = pytest.mark.usefixtures("offline")`` in files that run the CLI."""
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setenv("ABCDL_FASHION_MNIST_MIRRORS", "http://127.0.0.1:9/")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
