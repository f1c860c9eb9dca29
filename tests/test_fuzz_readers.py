"""Fuzzing the readers of hostile files (issue 21): checkpoints, IDX, ``.npy`` and images.

A seeded generator makes a few hundred files: random bytes, valid files with bits
flipped, cut or spliced, and files whose structure is valid but whose numbers lie
(a safetensors header with a tensor shape of 2^40, a config of ``Linear(10^9, 3)``,
an IDX header of 2^32 - 1 images, a ``.npy`` header of shape (10^11, 784), a PNG
declaring 60000 x 60000 pixels).  ``tests/_fuzz_readers_driver.py`` reads each one in
a separate Python under a memory cap (1 GiB above its start) and a time cap
(10 s a case).  Every case must end in a clear error of the library's type for that
reader (CheckpointError, DataError, CLIError), on one line, or in a sane result.

To reproduce a failure: the failing files are kept in pytest's tmp folder (named in
the message); ``python tests/_fuzz_readers_driver.py cases.json 1024 10`` reruns them.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from PIL import Image

import abcdl
from abcdl.layers import BatchNorm1d, Conv2d, Flatten, Linear, MaxPool2d, ReLU
from abcdl.models import Sequential

SEED = 21                       # the number
PER_BASE = 30                   # mutated files per valid base file
DRIVER = Path(__file__).with_name("_fuzz_readers_driver.py")
LIES = [0, 1, 3, 255, 2**16, 2**31 - 1, 2**31, 2**32 - 1, 2**40, 10**9, 10**11, -1, -(2**63)]


# -- generic byte mutations -----------------------------------------------------------------------------
def mutate_bytes(data: bytes, rng: np.random.Generator) -> bytes:
    """One of: flip bits, cut, splice random bytes in, delete a slice, overwrite a span, or pure noise."""
    b = bytearray(data)
    kind = int(rng.integers(6))
    n = max(len(b), 1)
    if kind == 0 and b:                                     # flip 1-8 bits
        for pos in rng.integers(0, len(b), int(rng.integers(1, 9))):
            b[pos] ^= 1 << int(rng.integers(8))
    elif kind == 1:                                         # truncate
        b = b[:int(rng.integers(0, n))]
    elif kind == 2:                                         # insert random bytes
        pos = int(rng.integers(0, n))
        b[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    elif kind == 3:                                         # delete a slice
        pos = int(rng.integers(0, n))
        del b[pos:pos + int(rng.integers(1, 64))]
    elif kind == 4 and b:                                   # overwrite a span near the start (headers)
        pos = int(rng.integers(0, min(len(b), 128)))
        span = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        b[pos:pos + len(span)] = span
    else:                                                   # noise of the same length
        b = bytearray(rng.integers(0, 256, int(rng.integers(0, 2 * n + 1)), dtype=np.uint8).tobytes())
    return bytes(b)


def lie(rng: np.random.Generator):
    """A number (or not) that a hostile header might claim."""
    pool = [*LIES, 1.5, "3", None, True, [2, 2]]
    return pool[int(rng.integers(len(pool)))]


# -- checkpoints ------------------------------------------------------------------------------------------
def checkpoint_bases() -> list[bytes]:
    models = [
        Sequential(Linear(6, 4), ReLU(), Linear(4, 3)),
        Sequential(Conv2d(1, 2, 3, dtype="float64"), MaxPool2d(2), Flatten(), Linear(8, 5, dtype="float64"),
                   BatchNorm1d(5, dtype="float64")),
        Linear(3, 2),
    ]
    out = []
    for model in models:
        buf = io.BytesIO()
        tensors = {k: np.ascontiguousarray(v) for k, v in model.state_dict().items()}
        arch = json.dumps(abcdl.checkpoint.architecture(model))
        buf.write(safetensors.numpy.save(tensors, metadata={"format": "abcdl", "abcdl": arch}))
        out.append(buf.getvalue())
    return out


def _split_safetensors(data: bytes) -> tuple[dict, bytes]:
    n = int.from_bytes(data[:8], "little")
    return json.loads(data[8:8 + n]), data[8 + n:]


def _lie_in_config(arch: dict, rng: np.random.Generator) -> None:
    """Replace one value somewhere in the architecture (a size, a type name, the mode, the version)."""
    layers = arch["model"].get("layers") or [arch["model"]]
    layer = layers[int(rng.integers(len(layers)))]
    choice = int(rng.integers(5))
    if choice == 0 and layer.get("config"):
        key = sorted(layer["config"])[int(rng.integers(len(layer["config"])))]
        layer["config"][key] = lie(rng)
    elif choice == 1:
        names = sorted(abcdl.checkpoint.layer_registry()) + ["os.system", "__import__", ""]
        layer["type"] = names[int(rng.integers(len(names)))]
    elif choice == 2:
        arch["training"] = lie(rng)
    elif choice == 3:
        arch["version"] = lie(rng)
    else:
        arch["model"] = {"type": "Sequential", "layers": [arch["model"]] * int(rng.integers(1, 300))}


def mutate_checkpoint(data: bytes, rng: np.random.Generator) -> bytes:
    """Structure-aware lies in the header or the architecture, or a generic byte mutation."""
    if rng.random() < 0.4:
        return mutate_bytes(data, rng)
    header, body = _split_safetensors(data)
    arch = json.loads(header["__metadata__"]["abcdl"])
    keys = [k for k in header if k != "__metadata__"]
    choice = int(rng.integers(4))
    if choice == 0 and keys:                                # a tensor's shape, dtype or offsets lie
        spec = header[keys[int(rng.integers(len(keys)))]]
        field = ["shape", "dtype", "data_offsets"][int(rng.integers(3))]
        if field == "dtype":
            spec["dtype"] = ["F16", "I64", "BOOL", "X", 3][int(rng.integers(5))]
        else:
            spec[field] = [lie(rng) for _ in range(max(1, len(spec[field])))]
    elif choice == 1:
        _lie_in_config(arch, rng)
    elif choice == 2:                                        # a deep or non-JSON architecture
        header["__metadata__"]["abcdl"] = ["[" * 5000 + "]" * 5000, "{", "null", '"x"'][int(rng.integers(4))]
    else:
        body = body[:int(rng.integers(0, len(body) + 1))]
    if choice != 2:
        header["__metadata__"]["abcdl"] = json.dumps(arch)
    raw = json.dumps(header).encode()
    return len(raw).to_bytes(8, "little") + raw + body


# -- IDX --------------------------------------------------------------------------------------------------
def idx_bytes(arr: np.ndarray, code: int) -> bytes:
    big = arr.astype(arr.dtype.newbyteorder(">"))
    head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + big.tobytes()


def idx_bases(rng: np.random.Generator) -> list[bytes]:
    raws = [idx_bytes(rng.integers(0, 10, 7, dtype=np.uint8), 0x08),
            idx_bytes(rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), 0x08),
            idx_bytes(rng.integers(-5, 5, (2, 3, 4)).astype(np.int32), 0x0C),
            idx_bytes(rng.random((4, 5)), 0x0E)]
    return raws + [gzip.compress(r, mtime=0) for r in raws]


def mutate_idx(data: bytes, rng: np.random.Generator) -> bytes:
    gz = data[:2] == b"\x1f\x8b"
    raw = gzip.decompress(data) if gz else data
    if rng.random() < 0.5:
        b = bytearray(raw)
        field = int(rng.integers(3))
        if field == 0:                                      # a dimension lies
            dim = int(rng.integers(b[3]))
            b[4 + 4 * dim: 8 + 4 * dim] = int(rng.choice([0, 1, 2**16, 2**31, 2**32 - 1])).to_bytes(4, "big")
        elif field == 1:                                    # the type code lies
            b[2] = int(rng.choice([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x00, 0xFF]))
        else:                                               # the number of dimensions lies
            b[3] = int(rng.integers(256))
        raw = bytes(b)
        return gzip.compress(raw, mtime=0) if gz and rng.random() < 0.7 else raw
    return mutate_bytes(data, rng)


# -- .npy -------------------------------------------------------------------------------------------------
def npy_bases(rng: np.random.Generator) -> list[bytes]:
    arrays = [rng.random(784), rng.integers(0, 256, (3, 28, 28)).astype(np.uint8),
              rng.random((2, 1, 28, 28)).astype(np.float32), rng.random((28, 28)) > 0.5,
              (rng.random((2, 784)) * 255).astype(np.int16), rng.random((1, 784)) + 1j]
    out = []
    for arr in arrays:
        buf = io.BytesIO()
        np.save(buf, arr)
        out.append(buf.getvalue())
    return out


def mutate_npy(data: bytes, rng: np.random.Generator) -> bytes:
    if rng.random() < 0.5:
        return mutate_bytes(data, rng)
    shapes = [(10**11, 784), (2**31, 2**31, 4), (0, 784), (784,), (5, 28, 28), (-1, 784), (28, 28, 1, 1, 1)]
    descrs = ["<f8", "<f4", "|u1", "<c16", "|O", "<U3", "|b1", ">i4", "<f2", "V8"]
    header = {"descr": descrs[int(rng.integers(len(descrs)))],
              "fortran_order": bool(rng.random() < 0.3), "shape": shapes[int(rng.integers(len(shapes)))]}
    text = repr(header).encode("latin1")
    text += b" " * (63 - (10 + len(text)) % 64) + b"\n"
    body = data[10 + int.from_bytes(data[8:10], "little"):]
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body


# -- images -------------------------------------------------------------------------------------------------
def image_bases(rng: np.random.Generator) -> list[bytes]:
    out = []
    kinds = [("PNG", "L"), ("PNG", "RGBA"), ("PNG", "P"), ("JPEG", "RGB"), ("GIF", "L"), ("BMP", "RGB"),
             ("TIFF", "L")]
    for fmt, mode in kinds:
        h, w = (int(v) for v in rng.integers(4, 40, 2))
        pixels = rng.integers(0, 256, (h, w, 4 if mode == "RGBA" else 3), dtype=np.uint8)
        img = Image.fromarray(pixels[..., :4] if mode == "RGBA" else pixels).convert(mode)
        buf = io.BytesIO()
        img.save(buf, format=fmt)
        out.append(buf.getvalue())
    return out


def _png_with_size(data: bytes, width: int, height: int) -> bytes:
    """The PNG ``data`` with its IHDR claiming width x height (CRC fixed, so only the size lies)."""
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)))
    return data[:16] + bytes(ihdr) + crc + data[33:]


def mutate_image(data: bytes, rng: np.random.Generator) -> bytes:
    if data[:4] == b"\x89PNG" and rng.random() < 0.4:
        sizes = [(60000, 60000), (2**31 - 1, 1), (1, 2**31 - 1), (4097, 4097), (4096, 4096), (1, 1), (0, 5)]
        return _png_with_size(data, *sizes[int(rng.integers(len(sizes)))])
    return mutate_bytes(data, rng)


# -- the suite ---------------------------------------------------------------------------------------------
def make_cases(folder: Path) -> list[list[str]]:
    rng = np.random.default_rng(SEED)
    plan = [("checkpoint", ".safetensors", checkpoint_bases(), mutate_checkpoint),
            ("idx", "", idx_bases(rng), mutate_idx),
            ("npy", ".npy", npy_bases(rng), mutate_npy),
            ("image", ".img", image_bases(rng), mutate_image)]
    cases = []
    for reader, ext, bases, mutate in plan:
        for b, base in enumerate(bases):
            variants = [base] + [mutate(base, rng) for _ in range(PER_BASE)]
            for v, data in enumerate(variants):
                path = folder / f"{reader}-{b}-{v}{ext}"
                path.write_bytes(data)
                cases.append([reader, str(path)])
    return cases


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> list[dict]:
    folder = tmp_path_factory.mktemp("fuzz-readers")
    cases = make_cases(folder)
    (folder / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run([sys.executable, str(DRIVER), str(folder / "cases.json"), "1024", "10"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert len(out) == len(cases)
    return out


@pytest.mark.parametrize("reader", ["checkpoint", "idx", "npy", "image"])
def test_fuzz_readers_every_case_is_a_clear_error_or_a_sane_result(results, reader):
    mine = [r for r in results if r["reader"] == reader]
    bad = [f"{r['path']}: {r['detail']}" for r in mine if r["outcome"] == "bad"]
    assert not bad, f"{len(bad)} of {len(mine)} {reader} cases ended badly:\n" + "\n".join(bad[:20])
    kinds = {r["outcome"] for r in mine}
    assert kinds == {"ok", "clear"}, kinds                   # both paths are exercised


@pytest.mark.parametrize("reader", ["checkpoint", "idx", "npy", "image"])
def test_fuzz_readers_errors_are_one_line(results, reader):
    clear = [r for r in results if r["reader"] == reader and r["outcome"] == "clear"]
    long = [r["detail"] for r in clear if "\n" in r["detail"] or not r["detail"].strip()]
    assert not long, long[:5]


def test_fuzz_readers_base_files_all_load(results):
    """The unmutated files (variant 0) are valid, except the complex .npy, which is refused."""
    for r in results:
        if r["path"].rsplit("-", 1)[1].split(".")[0] == "0":
            expected = "clear" if r["path"].endswith("npy-5-0.npy") else "ok"
            assert r["outcome"] == expected, r
