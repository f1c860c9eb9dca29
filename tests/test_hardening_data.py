"""IDX files and downloads from hostile sources (issue 21: items 1, 6, 9).

The cases once failed: a 1 MB ``.gz`` from a mirror inflated to gigabytes before any
check; a mirror dripping one byte at a time never timed out; a FIFO blocked; an IDX
header whose dimensions overflow int64 raised a plain ValueError.
"""

from __future__ import annotations

import gzip
import os
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from _hardening_helpers import call_unblocking, gzip_bomb, idx_header, run_limited
from abcdl.data import DataError, clear_cache, load_mnist
from abcdl.data import download as dl
from abcdl.data import mnist as mnist_mod
from abcdl.data.idx import IMAGES_MAGIC, declared_size, decompress, read_idx

MNIST_IMAGES = idx_header((60000, 28, 28))               # declares 47,040,016 bytes


# -- item 1: decompression bombs ------------------------------------------------------------------
@pytest.fixture(scope="module")
def bomb_files(tmp_path_factory):
    """1 MB .gz files that inflate to 1 GiB: after an MNIST header, after no header, after a huge one."""
    folder = tmp_path_factory.mktemp("bombs")
    heads = {"mnist header": MNIST_IMAGES, "no header": b"", "huge header": idx_header((2**32 - 1,) * 3)}
    paths = {}
    for name, head in heads.items():
        paths[name] = folder / (name.replace(" ", "-") + ".gz")
        paths[name].write_bytes(gzip_bomb(head, 1.0))
    assert all(p.stat().st_size < 1_100_000 for p in paths.values())
    return paths


def test_hardening_data_bomb_through_load_mnist_stops_at_the_known_size(bomb_files, tmp_path):
    root = tmp_path / "mnist"
    root.mkdir()
    for stem in mnist_mod.FILES.values():
        (root / (stem[0] + ".gz")).write_bytes(b"not read")
    os.replace(bomb_files["mnist header"], root / "train-images-idx3-ubyte.gz")
    out = run_limited(f"""
        from abcdl.data import DataError, load_mnist
        try:
            load_mnist(root={str(tmp_path)!r}, download=False)
        except DataError as exc:
            result["error"] = str(exc)
    """, limit_mb=1024)
    assert "has trailing bytes: it decompresses to more than the 47,040,016 bytes its IDX header " \
           "declares" in out["error"], out
    assert out["peak_mb"] < 200, out                       # was the whole inflated file, and more


@pytest.mark.parametrize("case, cap, message", [
    ("no header", 10 * 2**20, "is too large: it decompresses to more than the 10,485,760 bytes allowed"),
    ("huge header", None, f"the IDX header declares {16 + (2**32 - 1)**3:,} bytes, more than "
                          f"the 268,435,456 bytes allowed"),
])
def test_hardening_data_bomb_through_read_idx_stops_at_the_cap(bomb_files, case, cap, message):
    out = run_limited(f"""
        from abcdl.data.idx import read_idx
        try:
            read_idx({str(bomb_files[case])!r}, max_bytes={cap!r})
        except ValueError as exc:
            result["error"] = type(exc).__name__ + ": " + str(exc)
    """, limit_mb=1024)
    assert out["error"].startswith("DataError"), out
    assert message in out["error"], out
    assert out["peak_mb"] < 60, out


def test_hardening_data_decompress_streams_multi_member_gzip():
    content = MNIST_IMAGES[:4] + (3).to_bytes(4, "big") + (2).to_bytes(4, "big") * 2 + bytes(range(12))
    raw = gzip.compress(content[:7]) + gzip.compress(content[7:])             # two members
    assert decompress(raw, "x.gz") == content
    assert declared_size(content) == len(content)
    arr = read_idx_bytes(raw)
    assert arr.shape == (3, 2, 2) and arr.ravel().tolist() == list(range(12))


def read_idx_bytes(raw: bytes) -> np.ndarray:
    from abcdl.data.idx import parse_idx

    return parse_idx(decompress(raw, "x.gz"), "x.gz", IMAGES_MAGIC)


# -- item 9: dimensions that overflow int64 --------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_hardening_data_idx_dimensions_overflowing_int64(tmp_path, gz):
    # 2^31 * 2^31 * 4 = 2^64 bytes, which is 0 in int64 arithmetic: it once matched the empty payload
    # and reached reshape, whose plain ValueError the CLI did not catch
    content = idx_header((2**31, 2**31, 4))
    path = tmp_path / ("x.gz" if gz else "x")
    path.write_bytes(gzip.compress(content) if gz else content)
    message = ("the IDX header declares 18,446,744,073,709,551,632 bytes, more than the 268,435,456" if gz
               else r"truncated: .* \(18446744073709551616 data bytes\) but the file holds 0 data bytes")
    with pytest.raises(DataError, match=message):
        read_idx(path)


# -- item 6: only regular files ------------------------------------------------------------------------------
def test_hardening_data_read_idx_refuses_fifo(tmp_path):
    fifo = tmp_path / "train-labels-idx1-ubyte"
    os.mkfifo(fifo)
    error = call_unblocking(lambda: read_idx(fifo), fifo)
    assert isinstance(error, DataError) and "a FIFO (named pipe), not a regular file" in str(error)


def test_hardening_data_read_idx_refuses_link_to_device(tmp_path):
    link = tmp_path / "train-labels-idx1-ubyte"
    link.symlink_to("/dev/zero")
    with pytest.raises(DataError, match="a character device, not a regular file"):
        read_idx(link)


# -- downloads: a bomb from a mirror, and a mirror that drips ---------------------------------------
class _Mirror(BaseHTTPRequestHandler):
    """GET /bomb/<name>: a 1 MB gzip bomb;  /drip-body/<name>: headers, then a byte every 0.2 s;
    /drip-head/<name>: the status line itself a byte every 0.2 s."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        kind = self.path.strip("/").split("/")[0]
        if kind == "bomb":
            body = self.server.bomb
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        text = b"HTTP/1.0 200 OK\r\nContent-Length: 300\r\n\r\n"
        if kind == "drip-body":
            self.wfile.write(text)
            text = b"x" * 300
        for i in range(len(text)):
            if self.server.stop.wait(0.2):
                return
            try:
                self.wfile.write(text[i:i + 1])
                self.wfile.flush()
            except OSError:
                return

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def mirror():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Mirror)
    srv.daemon_threads = True
    srv.bomb = gzip_bomb(MNIST_IMAGES, 1.0)
    srv.stop = threading.Event()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.stop.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def test_hardening_data_download_bomb_stops_at_the_known_size(mirror, tmp_path):
    tracemalloc.start()
    try:
        path, errors = dl.fetch_file("train-images-idx3-ubyte.gz", tmp_path, "0" * 64, [f"{mirror}/bomb/"],
                                     IMAGES_MAGIC, max_bytes=mnist_mod.SIZES["train-images-idx3-ubyte"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert path is None and len(errors) == 1
    assert "DataError" in errors[0] and "decompresses to more than the 47,040,016 bytes" in errors[0]
    assert peak < 200 * 2**20                                  # was the whole inflated GiB, and more
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["drip-body", "drip-head"])
def test_hardening_data_download_drip_feed_hits_the_deadline(mirror, tmp_path, kind):
    start = time.monotonic()
    path, errors = dl.fetch_file("t10k-labels-idx1-ubyte.gz", tmp_path, "0" * 64, [f"{mirror}/{kind}/"],
                                 timeout=1.0, deadline=1.5)
    elapsed = time.monotonic() - start
    assert path is None and len(errors) == 1
    assert "TimeoutError: no complete file within the 1.5 s deadline" in errors[0], errors
    assert elapsed < 30, elapsed                      # the drip takes 60 s; each byte came within 1 s
    assert list(tmp_path.iterdir()) == []


def test_hardening_data_download_default_deadline_reaches_load_mnist(mirror, tmp_path, monkeypatch):
    monkeypatch.delenv("ABCDL_DATA", raising=False)
    monkeypatch.setattr(mnist_mod, "PACKAGE_DATA", tmp_path / "none")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("ABCDL_MNIST_MIRRORS", f"{mirror}/drip-body/")
    monkeypatch.setattr(dl, "DEADLINE", 1.0)
    clear_cache()
    with pytest.raises(DataError) as info:
        load_mnist()
    assert sum("1 s deadline" in a for a in info.value.attempts) == 4
