"""The safetensors header of a checkpoint, read and checked before anything is allocated.

A safetensors file is an 8-byte little-endian header length n, n bytes of JSON,
then the tensors' bytes::

    {"layers.0.W": {"dtype": "F32", "shape": [100, 784], "data_offsets": [0, 313600]}, ...,
     "__metadata__": {"format": "abcdl", "abcdl": "<the architecture as JSON>"}}

:func:`read_header` reads only the header, from a regular file (a FIFO or a
device is refused), with its size and JSON nesting capped; :func:`tensor_specs`
checks that each tensor's declared shape matches the bytes its ``data_offsets``
really hold in the file.  ``abcdl.checkpoint`` builds the model only after both.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ._read import JSONLimitError, loads_json, open_regular

__all__ = ["CheckpointError", "read_header", "tensor_specs", "sniff", "json_problem", "MAX_HEADER_BYTES",
           "DTYPES"]

MAX_HEADER_BYTES = 16 * 2**20           # safetensors allows 100 MB; an abcdl header is a few KB
DTYPES = {"F32": np.dtype(np.float32), "F64": np.dtype(np.float64)}


class CheckpointError(ValueError):
    """A file is not an abcdl checkpoint, is damaged, or describes something the library cannot build."""


def sniff(head: bytes) -> str | None:
    """A description of a known non-safetensors payload, from its first bytes."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return (f"a Python pickle (protocol {head[1]}), e.g. a legacy torch.save file or a pickled "
                f"object; abcdl never unpickles, because unpickling runs code")
    if head[:4] == b"PK\x03\x04":
        return ("a zip archive, e.g. a PyTorch torch.save .pt/.pth file, which holds a pickle; "
                "abcdl never unpickles")
    if head[:6] == b"\x93NUMPY":
        return "a NumPy .npy file"
    if head[:2] == b"\x1f\x8b":
        return "gzip-compressed data"
    return None


def read_header(path: Path) -> tuple[dict, int]:
    """The JSON header of a safetensors file and the length of its data part, without reading the tensors."""
    try:
        with open_regular(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            head = fh.read(8)
            first = fh.read(1)                          # the header's "{": a length such as 0x0580 reads
            known = None if first == b"{" else sniff(head)   # as a pickle's 80 05 but is then safetensors
            if known:
                raise CheckpointError(f"{path}: not a safetensors file: it is {known}")
            if len(head) < 8:
                raise CheckpointError(f"{path}: not a safetensors file: only {size} bytes")
            n = int.from_bytes(head, "little")          # header length, little-endian u64
            if n < 2 or n > MAX_HEADER_BYTES or n > size - 8:
                raise CheckpointError(f"{path}: not a safetensors file: its first 8 bytes give a "
                                      f"header of {n} bytes for a file of {size} bytes")
            raw = first + fh.read(n - 1)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        header = loads_json(raw.decode("utf-8"), "the safetensors header")
    except ValueError as exc:                          # not UTF-8, not JSON, too deep
        raise CheckpointError(f"{path}: bad safetensors header: {json_problem(exc)}") from exc
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: bad safetensors header: a JSON {type(header).__name__}, "
                              f"not an object")
    return header, size - 8 - n


def json_problem(exc: ValueError) -> str:
    return str(exc) if isinstance(exc, JSONLimitError) else f"not JSON ({exc})"


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def tensor_specs(path: Path, header: dict, data_len: int) -> dict[str, dict]:
    """The header's tensors as {name: {"shape": tuple, "dtype": np.dtype}}, each checked against the file:
    float32/float64, a shape of non-negative ints, and data_offsets holding exactly
    prod(shape) * itemsize bytes that are really in the file (checked before anything is allocated)."""
    specs = {}
    for key, spec in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(spec, dict) or not isinstance(spec.get("shape"), list):
            raise CheckpointError(f"{path}: bad safetensors header entry for {key!r}")
        dtype = DTYPES.get(spec.get("dtype")) if isinstance(spec.get("dtype"), str) else None
        if dtype is None:
            raise CheckpointError(f"{path}: tensor {key} has dtype {spec.get('dtype')!r}; abcdl "
                                  f"checkpoints hold float32 (F32) or float64 (F64) tensors")
        shape, offsets = spec["shape"], spec.get("data_offsets")
        if not (all(_is_count(d) for d in shape) and isinstance(offsets, list) and len(offsets) == 2
                and all(_is_count(o) for o in offsets) and offsets[0] <= offsets[1]):
            raise CheckpointError(f"{path}: bad safetensors header entry for {key!r}: shape {shape!r}, "
                                  f"data_offsets {offsets!r}")
        need = math.prod(shape) * dtype.itemsize              # bytes = prod(shape) * itemsize
        if offsets[1] - offsets[0] != need or offsets[1] > data_len:
            held = max(0, min(offsets[1], data_len) - offsets[0])
            raise CheckpointError(f"{path}: damaged safetensors data: tensor {key} declares shape "
                                  f"{tuple(shape)} ({need:,} bytes) but the file holds {held:,} bytes for it")
        specs[key] = {"shape": tuple(shape), "dtype": dtype}
    return specs
