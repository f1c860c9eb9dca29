"""The files ``abcdl predict`` and ``abcdl evaluate`` read, from hostile sources (issue 21: items 6, 9, 11).

Once: a 140 KB 12000x12000 PNG took 1.9 GB; a ``.npy`` header claiming shape
(1e11, 784) raised MemoryError; a FIFO given as an image or as ``metrics.json``
blocked forever; ``metrics.json`` linked to ``/dev/zero`` was read without end.
"""

from __future__ import annotations

import json
import os
import re
import struct
import zlib

import numpy as np
import pytest

import abcdl
from _hardening_helpers import call_unblocking, run_limited
from _helpers import one_cli_error
from abcdl.cli import CLIError, main
from abcdl.cli._common import metrics_beside
from abcdl.cli._images import MAX_PIXELS, ImageTooLargeError, load_npy, read_image
from abcdl.layers import Linear
from abcdl.models import Sequential


def png_bytes(width: int, height: int) -> bytes:
    """A valid black greyscale PNG, compressed row by row (never the whole image in memory)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    deflate = zlib.compressobj(9)
    row = bytes(width + 1)                                   # filter byte 0, then black pixels
    idat = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)       # 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def huge_png(tmp_path_factory):
    path = tmp_path_factory.mktemp("png") / "huge.png"
    path.write_bytes(png_bytes(12000, 12000))
    assert path.stat().st_size < 200_000                     # the file: 140 KB
    return path


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.safetensors"
    abcdl.save(Sequential(Linear(784, 10)), path)
    return path


# -- item 11: the pixel cap -------------------------------------------------------------------------------
def test_hardening_cli_files_huge_png_refused_before_decoding(huge_png):
    out = run_limited(f"""
        from abcdl.cli._images import read_image
        try:
            read_image({str(huge_png)!r}, "huge.png")
        except Exception as exc:
            result["error"] = type(exc).__name__ + ": " + str(exc)
    """)
    assert out["error"] == (f"ImageTooLargeError: huge.png: 12000x12000 pixels, more than the {MAX_PIXELS:,} "
                            f"allowed; scale it down (a digit needs 28x28)"), out
    assert out["peak_mb"] < 20, out                            # was 1.9 GB


def test_hardening_cli_files_predict_huge_png_is_one_line(huge_png, model_file, capsys):
    assert main(["predict", str(model_file), str(huge_png)]) == 2
    line = one_cli_error(capsys.readouterr().err, "predict")
    assert "12000x12000 pixels, more than the 16,777,216 allowed" in line


def test_hardening_cli_files_pixel_cap_can_be_lifted(tmp_path):
    path = tmp_path / "wide.png"
    path.write_bytes(png_bytes(300, 2))
    with pytest.raises(ImageTooLargeError):
        read_image(path, "wide.png", max_pixels=599)
    img, notes = read_image(path, "wide.png", max_pixels=None)
    assert img.shape == (2, 300) and notes[0] == "300x2"


# -- item 9: .npy headers ------------------------------------------------------------------------------
def npy_with_header(shape, dtype="<f8", payload: bytes = b"") -> bytes:
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode("latin1")
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


@pytest.mark.parametrize("case, shape, payload, message", [
    ("the issue's (1e11, 784)", (10**11, 784), bytes(784 * 8),
     r"the header declares shape \(100000000000, 784\) of float64 \(627,200,000,000,000 bytes\), more "
     r"than the 268,435,456 allowed"),
    ("truncated", (10, 784), bytes(784 * 8 * 3),
     r"declares shape \(10, 784\) of float64 \(62,720 bytes\) but the file holds 18,816 bytes after it"),
    ("trailing bytes", (1, 784), bytes(784 * 8 + 5), r"\(6,272 bytes\) but the file holds 6,277 bytes"),
])
def test_hardening_cli_files_npy_header_checked_before_allocating(tmp_path, case, shape, payload, message):
    path = tmp_path / "x.npy"
    path.write_bytes(npy_with_header(shape, payload=payload))
    out = run_limited(f"""
        from abcdl.cli._images import load_npy
        try:
            from pathlib import Path
            load_npy(Path({str(path)!r}), (28, 28))
        except Exception as exc:
            result["error"] = type(exc).__name__ + ": " + str(exc)
    """, limit_mb=512)
    assert out["error"].startswith("CLIError"), out
    assert re.search(message, out["error"]), out
    assert out["peak_mb"] < 20, out


@pytest.mark.parametrize("shape", [(784,), (3, 28, 28), (2, 1, 28, 28)])
def test_hardening_cli_files_npy_valid_still_loads(tmp_path, shape):
    arr = np.random.default_rng(0).random(shape)
    np.save(tmp_path / "x.npy", arr)
    images, _ = load_npy(tmp_path / "x.npy", (28, 28))
    np.testing.assert_allclose(images.ravel(), arr.astype(np.float32).ravel())


def test_hardening_cli_files_npy_object_header_refused(tmp_path):
    path = tmp_path / "obj.npy"
    path.write_bytes(npy_with_header((2,), dtype="|O", payload=b"\x80\x04N."))
    with pytest.raises(CLIError, match="refused because loading it would unpickle"):
        load_npy(path, (28, 28))


# -- item 6: only regular files ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["image", "npy"])
def test_hardening_cli_files_fifo_input_is_refused(tmp_path, kind):
    fifo = tmp_path / ("digit.png" if kind == "image" else "digit.npy")
    os.mkfifo(fifo)
    call = (lambda: read_image(fifo, str(fifo))) if kind == "image" else (lambda: load_npy(fifo, (28, 28)))
    error = call_unblocking(call, fifo)
    assert isinstance(error, CLIError) and "not a regular file" in str(error), error


def test_hardening_cli_files_image_link_to_device_is_refused(tmp_path):
    link = tmp_path / "digit.png"
    link.symlink_to("/dev/zero")
    with pytest.raises(CLIError, match=r"cannot read the file \(a character device, not a regular file\)"):
        read_image(link, str(link))


def good_metrics(model_file) -> dict:
    return {"model_file": model_file.name, "dataset": "mnist"}


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "deep", "too large"])
def test_hardening_cli_files_hostile_metrics_json_is_ignored(model_file, kind, monkeypatch):
    metrics = model_file.parent / "metrics.json"
    if kind == "fifo":
        os.mkfifo(metrics)
    elif kind == "link to /dev/zero":
        metrics.symlink_to("/dev/zero")
    elif kind == "deep":
        metrics.write_text('{"model_file": "model.safetensors", "x": ' + "[" * 10**5 + "]" * 10**5 + "}")
    else:
        monkeypatch.setattr("abcdl.cli._common.MAX_METRICS_BYTES", 100)
        metrics.write_text(json.dumps({**good_metrics(model_file), "pad": "x" * 100}))
    got: dict = {}
    assert call_unblocking(lambda: got.setdefault("info", metrics_beside(model_file)), metrics) is None
    assert got == {"info": None}
    # the same file, well-formed, is read
    metrics.unlink()
    metrics.write_text(json.dumps(good_metrics(model_file)))
    assert metrics_beside(model_file) == good_metrics(model_file)


def test_hardening_cli_files_predict_with_fifo_metrics_does_not_block(model_file, capsys):
    os.mkfifo(model_file.parent / "metrics.json")
    error = call_unblocking(lambda: main(["predict", str(model_file), str(model_file.parent / "none.png")]),
                            model_file.parent / "metrics.json")
    assert error is None
    assert "none.png: file not found" in one_cli_error(capsys.readouterr().err, "predict")
