"""abcdl.data downloads, driven against a local HTTP server on 127.0.0.1 (no internet).

The server serves tiny IDX files generated here; the checksum table is patched to
match them.  Mirrors misbehave in the ways real ones do: a corrupted file, a
connection cut after the headers promised more, a non-gzip page, a 404, a refused
connection and a hang.
"""

from __future__ import annotations

import gzip
import hashlib
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from abcdl.data import DataError, clear_cache, load_fashion_mnist, load_mnist
from abcdl.data import download as dl_mod
from abcdl.data import mnist as mnist_mod

STEMS = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
         "t10k-labels-idx1-ubyte"]


def idx_bytes(arr: np.ndarray) -> bytes:
    """IDX encoding of a uint8 array: magic 0x0800 + ndim, the dimensions, the bytes."""
    return struct.pack(">I", 0x0800 + arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape) + arr.tobytes()


def tiny_dataset(seed: int) -> dict[str, bytes]:
    """Uncompressed IDX content of a 5-train / 3-test image set, by file stem."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", 5), ("t10k", 3)):
        out[f"{split}-images-idx3-ubyte"] = idx_bytes(rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        out[f"{split}-labels-idx1-ubyte"] = idx_bytes(rng.integers(0, 10, n, dtype=np.uint8))
    return out


class _Handler(BaseHTTPRequestHandler):
    """GET /<behaviour>/<file name>; behaviours: good, corrupt, cut, html, hang, anything else 404."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        srv = self.server
        srv.log.append((self.path, self.headers.get("User-Agent", "")))
        kind, _, name = self.path.lstrip("/").partition("/")
        good = srv.files.get(name)
        if good is None or kind not in ("good", "corrupt", "cut", "html", "hang"):
            self.send_error(404)
            return
        if kind == "hang":
            srv.release.wait(10)                 # longer than the client's timeout
            return
        body = {
            "good": good,
            # a well-formed gzip of a well-formed IDX file whose pixels differ: only SHA-256 catches it
            "corrupt": gzip.compress(srv.corrupt[name]),
            "cut": good,
            "html": b"<html><body>Moved</body></html>",
        }[kind]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "cut":
            self.wfile.write(body[: len(body) // 2])     # promised len(body), then hang up
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """A threaded HTTP server bound to 127.0.0.1 on a random port, serving tiny MNIST-like files."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    content = tiny_dataset(0)
    srv.content = content
    srv.files = {stem + ".gz": gzip.compress(c) for stem, c in content.items()}
    srv.corrupt = {}
    for stem, c in content.items():
        bad = bytearray(c)
        bad[-1] ^= 0xFF                          # flip the last pixel / label
        srv.corrupt[stem + ".gz"] = bytes(bad)
    srv.log = []
    srv.release = threading.Event()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def cache(tmp_path, monkeypatch, server):
    """An empty user cache, no ABCDL_DATA, no shipped MNIST, a checksum table matching the served files."""
    monkeypatch.delenv("ABCDL_DATA", raising=False)
    monkeypatch.setattr(mnist_mod, "PACKAGE_DATA", tmp_path / "no-package-data")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    table = {stem: hashlib.sha256(c).hexdigest() for stem, c in server.content.items()}
    monkeypatch.setitem(mnist_mod.SHA256, "mnist", table)
    monkeypatch.setitem(mnist_mod.SHA256, "fashion-mnist", table)
    monkeypatch.setattr(mnist_mod, "DEBIAN_FASHION_MNIST", tmp_path / "no-debian-package")
    monkeypatch.setattr(dl_mod, "TIMEOUT", 0.5)
    clear_cache()
    yield tmp_path / "xdg" / "abcdl"
    clear_cache()


def files_under(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def closed_port_url() -> str:
    """A 127.0.0.1 URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_download_good_mirror_fills_cache(server, cache, monkeypatch):
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", f"{server.url}/good/")
    (x, t), (xt, tt) = load_mnist(normalize=False)
    assert x.shape == (5, 784) and xt.shape == (3, 784)
    np.testing.assert_array_equal(x.reshape(5, 28, 28).ravel(),
                                  np.frombuffer(server.content["train-images-idx3-ubyte"][16:], np.uint8))
    assert files_under(cache) == sorted(s + ".gz" for s in STEMS)
    assert len(server.log) == 4
    assert all(ua.startswith("abcdl/") for _, ua in server.log)      # an honest User-Agent
    # a second call (fresh process memory) reads the cache and asks the network nothing
    clear_cache()
    load_mnist()
    assert len(server.log) == 4


def test_download_falls_through_bad_mirrors(server, cache, monkeypatch):
    bad = [closed_port_url(), f"{server.url}/missing/", f"{server.url}/cut/", f"{server.url}/corrupt/",
           f"{server.url}/html/", f"{server.url}/hang/"]
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", ",".join([*bad, f"{server.url}/good/"]))
    (x, t), _ = load_mnist(one_hot_label=True)
    assert x.shape == (5, 784) and t.shape == (5, 10)
    # nothing but the four verified files: no partial, corrupt or temporary file
    assert files_under(cache) == sorted(s + ".gz" for s in STEMS)
    tried = [path.split("/")[1] for path, _ in server.log]
    assert tried == ["missing", "cut", "corrupt", "html", "hang", "good"] * 4


def test_download_all_mirrors_bad_leaves_nothing_and_explains(server, cache, monkeypatch):
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS",
                       f"{server.url}/cut/, {server.url}/corrupt/,{closed_port_url()}")
    with pytest.raises(DataError) as info:
        load_mnist()
    msg = str(info.value)                                          # short: what happened, what to do
    details = "\n".join(info.value.details())                      # long: every attempt, the digests
    assert files_under(cache) == []
    assert "connection closed after" in details                   # the cut
    assert "SHA-256 of the uncompressed content is" in details     # the corrupt copy
    assert "connection closed" not in msg
    assert str(cache / "mnist") in msg                             # where to put the files
    assert "내려받지도 못했습니다" in msg and "폴더에 넣으세요" in msg   # Korean, too
    for stem in STEMS:
        assert f"{stem}.gz" in msg and mnist_mod.SHA256["mnist"][stem] in details


def test_download_only_missing_files(server, cache, monkeypatch):
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", f"{server.url}/good/")
    target = cache / "mnist"
    target.mkdir(parents=True)
    for stem in STEMS[:2]:
        (target / stem).write_bytes(server.content[stem])          # uncompressed copies are fine
    load_mnist()
    assert sorted(p.split("/")[-1] for p, _ in server.log) == sorted(s + ".gz" for s in STEMS[2:])


def test_download_into_root_when_given(server, cache, tmp_path, monkeypatch):
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", f"{server.url}/good")     # no trailing slash
    root = tmp_path / "mydata"
    load_mnist(root=root)
    assert files_under(root / "mnist") == sorted(s + ".gz" for s in STEMS)
    assert files_under(cache) == []


def test_download_fashion_mnist_mirror_variable(server, cache, monkeypatch):
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", closed_port_url())
    monkeypatch.setenv("ABCDL_FASHION_MNIST_MIRRORS", f"{server.url}/good/")
    (x, _), _ = load_fashion_mnist(flatten=False)
    assert x.shape == (5, 1, 28, 28)
    assert files_under(cache / "fashion-mnist") == sorted(s + ".gz" for s in STEMS)


def test_download_rejects_unknown_scheme(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", "ftp://127.0.0.1/mnist/")
    with pytest.raises(DataError) as info:
        load_mnist()
    assert "unsupported URL scheme 'ftp'" in "\n".join(info.value.details())


def test_download_default_mirrors_prefer_https():
    for dataset, urls in dl_mod.MIRRORS.items():
        assert urls[0].startswith("https://"), dataset
    assert dl_mod.MIRRORS["mnist"][0] == "https://ossci-datasets.s3.amazonaws.com/mnist/"
