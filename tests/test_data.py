"""abcdl.data: the IDX reader, the MNIST / Fashion-MNIST / digits loaders, splits and mini-batches."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

import abcdl
from abcdl.data import (
    DataError,
    DataMissingError,
    find_dataset,
    iterate_minibatches,
    load_digits,
    load_fashion_mnist,
    load_mnist,
    read_idx,
    train_val_split,
)
from abcdl.data import mnist as mnist_mod


def idx_bytes(arr: np.ndarray, magic: int | None = None, count: int | None = None) -> bytes:
    """IDX encoding of a uint8 array, written by hand (header: magic, then each dimension)."""
    dims = list(arr.shape)
    if count is not None:
        dims[0] = count
    magic = 0x0800 + arr.ndim if magic is None else magic
    return struct.pack(">I", magic) + struct.pack(f">{arr.ndim}I", *dims) + arr.astype(">u1").tobytes()


def write(path: Path, content: bytes, gz: bool = True) -> Path:
    path.write_bytes(gzip.compress(content) if gz else content)
    return path


# -- IDX reader ---------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False])
def test_data_read_idx_round_trip(tmp_path, gz):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write(tmp_path / ("a.gz" if gz else "a"), idx_bytes(arr), gz)
    out = read_idx(path, magic=2051)
    np.testing.assert_array_equal(out, arr)
    assert out.dtype == np.uint8 and not out.flags.writeable


def test_data_read_idx_int32_big_endian(tmp_path):
    arr = np.array([[1, -2], [70000, 3]], dtype=">i4")
    content = struct.pack(">I", 0x0C02) + struct.pack(">2I", 2, 2) + arr.tobytes()
    out = read_idx(write(tmp_path / "i.gz", content))
    np.testing.assert_array_equal(out, [[1, -2], [70000, 3]])
    assert out.dtype == np.dtype("int32")


@pytest.mark.parametrize("case, content, message", [
    ("bad magic", idx_bytes(np.zeros(5, np.uint8), magic=2051), "magic number 2051"),
    ("not idx", b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00", "magic number"),
    ("truncated", idx_bytes(np.zeros(5, np.uint8), count=6), "truncated"),
    ("wrong count", idx_bytes(np.zeros(5, np.uint8), count=4), "trailing bytes"),
    ("short header", b"\x00\x00\x08", "too short"),
    ("cut header", b"\x00\x00\x08\x01\x00\x00", "truncated header"),
    ("zero dim", idx_bytes(np.zeros(0, np.uint8)), "zero"),
])
def test_data_read_idx_rejects_corrupt_labels(tmp_path, case, content, message):
    path = write(tmp_path / "train-labels-idx1-ubyte.gz", content)
    with pytest.raises(DataError, match=message) as info:
        read_idx(path, magic=2049)
    assert str(path) in str(info.value), case
    assert isinstance(info.value, ValueError)


def test_data_read_idx_truncated_image_file_names_counts(tmp_path):
    arr = np.zeros((3, 28, 28), np.uint8)
    content = idx_bytes(arr)[:-100]                          # 100 bytes short
    path = write(tmp_path / "imgs", content, gz=False)
    with pytest.raises(DataError, match=r"truncated.*3 items of shape \(28, 28\).*2352 data bytes.*2252"):
        read_idx(path, magic=2051)


@pytest.mark.parametrize("case", ["cut", "garbage", "not gzip"])
def test_data_read_idx_bad_gzip(tmp_path, case):
    good = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))
    raw = {"cut": good[: len(good) // 2],
           "garbage": good[:10] + b"\xff" * 40 + good[50:],
           "not gzip": b"just some text"}[case]
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(raw)
    with pytest.raises(DataError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_data_read_idx_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path / "nope.gz")


# -- loaders on tiny generated files ------------------------------------------
@pytest.fixture
def tiny_root(tmp_path, monkeypatch):
    """A root= folder holding a 6 / 4-example 'MNIST' and the checksum table that matches it."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    table = {}
    sizes = {"train": 6, "t10k": 4}
    for split, n in sizes.items():
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        for stem, arr in ((f"{split}-images-idx3-ubyte", images), (f"{split}-labels-idx1-ubyte", labels)):
            content = idx_bytes(arr)
            # one file uncompressed: the loader accepts both forms
            gz = stem != "t10k-labels-idx1-ubyte"
            write(folder / (stem + (".gz" if gz else "")), content, gz)
            table[stem] = hashlib.sha256(content).hexdigest()
    monkeypatch.setitem(mnist_mod.SHA256, "mnist", table)
    monkeypatch.delenv("ABCDL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", "http://127.0.0.1:9/")   # never reached: files exist
    return tmp_path


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("one_hot_label", [True, False])
def test_data_load_mnist_option_combinations(tiny_root, normalize, flatten, one_hot_label):
    (x, t), (xt, tt) = load_mnist(normalize=normalize, flatten=flatten, one_hot_label=one_hot_label,
                                  root=tiny_root)
    raw = read_idx(tiny_root / "mnist" / "train-images-idx3-ubyte.gz")
    assert x.shape == ((6, 784) if flatten else (6, 1, 28, 28))
    assert xt.shape[0] == 4
    if normalize:
        assert x.dtype == np.float32
        np.testing.assert_array_equal(x.reshape(6, 28, 28), raw.astype(np.float32) / np.float32(255))
        assert 0 <= x.min() and x.max() <= 1
    else:
        assert x.dtype == np.uint8
        np.testing.assert_array_equal(x.reshape(6, 28, 28), raw)
    labels = np.arange(6) % 10
    if one_hot_label:
        assert t.shape == (6, 10) and t.dtype == np.float32
        np.testing.assert_array_equal(t.argmax(axis=1), labels)
        np.testing.assert_array_equal(t.sum(axis=1), 1)
    else:
        assert t.dtype == np.int64
        np.testing.assert_array_equal(t, labels)


def test_data_load_mnist_follows_default_dtype(tiny_root):
    abcdl.set_default_dtype(np.float64)
    (x, t), _ = load_mnist(one_hot_label=True, root=tiny_root)
    assert x.dtype == np.float64 and t.dtype == np.float64
    (x32, _), _ = load_mnist(root=tiny_root, dtype=np.float32)
    assert x32.dtype == np.float32


@pytest.mark.parametrize("normalize", [True, False])
def test_data_load_mnist_returns_owned_arrays(tiny_root, normalize):
    (x, t), _ = load_mnist(normalize=normalize, root=tiny_root)
    before = x.copy()
    x[...] = 7
    t[...] = 9
    (x2, t2), _ = load_mnist(normalize=normalize, root=tiny_root)
    np.testing.assert_array_equal(x2, before)
    np.testing.assert_array_equal(t2, np.arange(6) % 10)


def test_data_load_mnist_root_may_be_the_dataset_folder(tiny_root):
    (x, _), _ = load_mnist(root=tiny_root / "mnist")
    assert x.shape == (6, 784)


def test_data_load_mnist_uses_abcdl_data_env(tiny_root, monkeypatch):
    monkeypatch.setenv("ABCDL_DATA", str(tiny_root))
    (x, _), _ = load_mnist()
    assert x.shape == (6, 784)


def test_data_load_mnist_rejects_checksum_mismatch(tiny_root, monkeypatch):
    table = dict(mnist_mod.SHA256["mnist"], **{"train-labels-idx1-ubyte": "0" * 64})
    monkeypatch.setitem(mnist_mod.SHA256, "mnist", table)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte\.gz: SHA-256 .* expected 0{64}"):
        load_mnist(root=tiny_root)


def test_data_load_mnist_rejects_label_image_mismatch(tiny_root, monkeypatch):
    content = idx_bytes(np.zeros(5, np.uint8))
    write(tiny_root / "mnist" / "train-labels-idx1-ubyte.gz", content)
    digest = hashlib.sha256(content).hexdigest()
    table = dict(mnist_mod.SHA256["mnist"], **{"train-labels-idx1-ubyte": digest})
    monkeypatch.setitem(mnist_mod.SHA256, "mnist", table)
    with pytest.raises(DataError, match="6 images but 5 labels"):
        load_mnist(root=tiny_root)


@pytest.fixture
def no_shipped_copy(tmp_path, monkeypatch):
    """A machine where abcdl's shipped MNIST is gone (a broken install), with an empty user cache."""
    monkeypatch.setattr(mnist_mod, "PACKAGE_DATA", tmp_path / "no-package-data")
    monkeypatch.delenv("ABCDL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_data_load_mnist_without_download_gives_short_bilingual_help(tmp_path, no_shipped_copy):
    with pytest.raises(DataMissingError) as info:
        load_mnist(download=False)
    exc = info.value
    msg = str(exc)
    target = str(tmp_path / "cache" / "abcdl" / "mnist")
    lines = msg.splitlines()
    assert lines[0] == "MNIST is not on this machine and downloading was turned off."
    assert target in msg and "root=" in msg and "ABCDL_DATA" in msg
    assert any(re.search("[가-힣]", line) for line in lines)
    assert len(lines) <= 12 and max(map(len, lines)) <= 200
    for stem in mnist_mod.SHA256["mnist"]:
        assert stem + ".gz" in msg
    details = "\n".join(exc.details())                             # the long part: digests, folders
    for stem, digest in mnist_mod.SHA256["mnist"].items():
        assert f"{digest}  {stem}" in details and digest not in msg
    assert exc.target == Path(target) and exc.dataset == "mnist" and len(exc.missing) == 4


def test_data_mnist_look_up_order(tiny_root, monkeypatch):
    """--data-root, then ABCDL_DATA, then the copy shipped with abcdl, then the user cache."""
    monkeypatch.setattr(mnist_mod, "PACKAGE_DATA", tiny_root)            # tiny_root holds mnist/
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "abcdl"
    shutil.copytree(tiny_root / "mnist", cache / "mnist")
    assert find_dataset("mnist").origin == "package"                     # before the cache
    other = tiny_root / "env"
    shutil.copytree(tiny_root / "mnist", other / "mnist")
    monkeypatch.setenv("ABCDL_DATA", str(other))
    src = find_dataset("mnist")
    assert src.origin == "ABCDL_DATA" and src.folder == other / "mnist"
    assert "ABCDL_DATA" in src.describe()
    src = find_dataset("mnist", root=tiny_root)
    assert src.origin == "root" and src.folder == tiny_root / "mnist"
    monkeypatch.delenv("ABCDL_DATA")
    monkeypatch.setattr(mnist_mod, "PACKAGE_DATA", tiny_root / "nothing")
    src = find_dataset("mnist", download=False)
    assert src.origin == "cache" and "user cache" in src.describe()


def test_data_shipped_mnist_is_found_without_anything_else(tmp_path, monkeypatch):
    monkeypatch.delenv("ABCDL_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", "http://127.0.0.1:9/")
    src = find_dataset("mnist", download=False)
    assert src.origin == "package" and src.describe() == "from the copy shipped with abcdl"
    assert src.folder == mnist_mod.PACKAGE_DATA / "mnist"
    assert (mnist_mod.PACKAGE_DATA / "mnist" / "README.md").read_text().count("CC BY-SA 3.0") >= 1
    assert not (tmp_path / "cache").exists()                           # nothing downloaded or written


def test_data_fashion_mnist_finds_debian_folder(tiny_root, monkeypatch):
    """The Debian package's folder is searched for Fashion-MNIST when ABCDL_DATA is unset."""
    debian = tiny_root / "usr-share-datasets-fashion-mnist"
    (tiny_root / "mnist").rename(debian)
    monkeypatch.setattr(mnist_mod, "DEBIAN_FASHION_MNIST", debian)
    monkeypatch.setitem(mnist_mod.SHA256, "fashion-mnist", mnist_mod.SHA256["mnist"])
    (x, t), (xt, tt) = load_fashion_mnist(flatten=False)
    assert x.shape == (6, 1, 28, 28) and xt.shape == (4, 1, 28, 28)
    monkeypatch.setattr(mnist_mod, "PACKAGE_DATA", tiny_root / "no-package-data")
    with pytest.raises(DataError):      # MNIST is not searched there
        load_mnist(download=False)


# -- the real files (ABCDL_DATA, else the shipped MNIST and the Fashion-MNIST slice) ----
@pytest.mark.slow
def test_data_real_mnist_matches_readme(data_root):
    (x, t), (xt, tt) = load_mnist(normalize=False, root=data_root)
    assert x.shape == (60000, 784) and x.dtype == np.uint8
    assert xt.shape == (10000, 784) and tt.shape == (10000,) and tt.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(t, minlength=10),
                                  [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    assert x.mean() == pytest.approx(33.318, abs=5e-4)            # mean training pixel (of 255)
    (xn, _), (xtn, _) = load_mnist(normalize=True, flatten=False, root=data_root)
    assert xn.shape == (60000, 1, 28, 28) and xn.dtype == np.float32
    assert xn.min() == 0 and xn.max() == 1
    assert float(xn.mean(dtype=np.float64)) == pytest.approx(33.318 / 255, abs=2e-6)


def test_data_real_fashion_mnist_shapes(fashion):
    (x, t), (xt, tt) = load_fashion_mnist(one_hot_label=True, root=fashion.root, download=False)
    assert x.shape == (fashion.n_train, 784) and t.shape == (fashion.n_train, 10)
    assert xt.shape == (fashion.n_test, 784) and tt.shape == (fashion.n_test, 10)
    np.testing.assert_array_equal(t.sum(axis=1), 1)
    if fashion.n_train == 60_000:                                  # the full files
        np.testing.assert_array_equal(t.sum(axis=0), 6000)        # 6,000 training images per class
        np.testing.assert_array_equal(tt.sum(axis=0), 1000)
    else:                                                          # the slice: every class is there
        assert (t.sum(axis=0) > 50).all() and (tt.sum(axis=0) > 20).all()


# -- digits ---------------------------------------------------------------------
def test_data_load_digits_split_is_deterministic():
    (x, t), (xt, tt) = load_digits()
    assert x.shape == (1437, 64) and xt.shape == (360, 64) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() == 1 and t.dtype == np.int64
    abcdl.seed(123)                                          # library state does not matter
    (x2, t2), (xt2, tt2) = load_digits()
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(tt, tt2)
    from sklearn.datasets import load_digits as sk_digits
    all_x = sk_digits().data
    assert len({row.tobytes() for row in (np.concatenate([x, xt]) * 16).astype(np.float64)}) == \
        len({row.tobytes() for row in all_x})                 # the two parts cover the whole set


def test_data_load_digits_raw_images_one_hot():
    (x, t), (xt, tt) = load_digits(normalize=False, flatten=False, one_hot_label=True)
    assert x.shape == (1437, 1, 8, 8) and x.dtype == np.uint8 and x.max() == 16
    assert t.shape == (1437, 10) and t.dtype == np.float32
    (_, t_idx), _ = load_digits()
    np.testing.assert_array_equal(t.argmax(axis=1), t_idx)


def test_data_load_digits_without_sklearn(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "sklearn", None)            # makes any sklearn import fail
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    (x, t), (xt, tt) = load_digits()                             # the copy shipped with abcdl
    assert x.shape == (1437, 64) and xt.shape == (360, 64)


# -- train_val_split and iterate_minibatches --------------------------------------
def test_data_train_val_split_partitions_and_repeats():
    X = np.arange(50.0).reshape(25, 2)
    t = np.arange(25)
    (Xa, ta), (Xv, tv) = train_val_split(X, t, 0.2, rng=7)
    assert len(tv) == 5 and len(ta) == 20
    np.testing.assert_array_equal(np.sort(np.concatenate([ta, tv])), t)
    np.testing.assert_array_equal(Xa[:, 0], 2 * ta)                # rows stay with their targets
    (_, ta2), (_, tv2) = train_val_split(X, t, 0.2, rng=7)
    np.testing.assert_array_equal(tv, tv2)
    (_, _), (_, tv3) = train_val_split(X, t, 0.2, shuffle=False)
    np.testing.assert_array_equal(tv3, np.arange(20, 25))


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, 0.01])
def test_data_train_val_split_rejects_bad_fraction(bad):
    X = np.zeros((10, 2))
    with pytest.raises(ValueError, match="val_fraction"):
        train_val_split(X, np.zeros(10), bad if bad != 0.01 else 0.999)


def test_data_train_val_split_rejects_length_mismatch():
    with pytest.raises(ValueError, match="same number of examples"):
        train_val_split(np.zeros((10, 2)), np.zeros(9))


def test_data_iterate_minibatches_epoch_covers_everything_once():
    X = np.arange(23.0)[:, None] * np.ones((1, 3))
    t = np.arange(23)
    rng = np.random.default_rng(0)
    batches = list(iterate_minibatches(X, t, 5, rng=rng))
    assert [len(b[1]) for b in batches] == [5, 5, 5, 5, 3]          # last partial batch kept
    seen = np.concatenate([tb for _, tb in batches])
    np.testing.assert_array_equal(np.sort(seen), t)
    assert not np.array_equal(seen, t)                               # shuffled
    for xb, tb in batches:
        np.testing.assert_array_equal(xb[:, 0], tb)
    again = np.concatenate([tb for _, tb in iterate_minibatches(X, t, 5, rng=rng)])
    assert not np.array_equal(again, seen)                           # a new permutation each call
    ordered = [tb for _, tb in iterate_minibatches(X, t, 5, shuffle=False)]
    np.testing.assert_array_equal(np.concatenate(ordered), t)
    assert [len(b) for b in iterate_minibatches(X, None, 5, shuffle=False, drop_last=True)] == [5] * 4


def test_data_iterate_minibatches_follows_library_seed():
    X = np.arange(10.0)[:, None]
    abcdl.seed(3)
    a = [xb.ravel() for xb in iterate_minibatches(X, batch_size=4)]
    abcdl.seed(3)
    b = [xb.ravel() for xb in iterate_minibatches(X, batch_size=4)]
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_data_iterate_minibatches_rejects_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        iterate_minibatches(np.zeros((4, 2)), np.zeros(4), bad)        # checked at call time
