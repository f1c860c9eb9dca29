"""The IDX file format of MNIST and Fashion-MNIST (L35), read and checked.

An IDX file is a big-endian header followed by the raw array::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d       each dimension as a big-endian uint32
    rest        prod(dims) elements, row-major, big-endian

So the magic number (bytes 0-3 as one big-endian uint32) of an MNIST label file
(uint8, 1 dimension) is 0x00000801 = 2049 and of an image file (uint8, 3
dimensions) 0x00000803 = 2051.  Files may be gzip-compressed (the usual ``.gz``);
the reader detects that from the content.  Anything truncated, padded, corrupt or
of the wrong kind raises :class:`DataError` naming the file and the problem.
"""

from __future__ import annotations

import math
import os
import zlib
from pathlib import Path

import numpy as np

from .._read import read_regular
from .errors import DataError

__all__ = ["DataError", "read_idx", "parse_idx", "decompress", "declared_size", "LABELS_MAGIC",
           "IMAGES_MAGIC", "MAX_BYTES"]

LABELS_MAGIC = 2049      # 0x00000801: uint8, 1 dimension (N,)
IMAGES_MAGIC = 2051      # 0x00000803: uint8, 3 dimensions (N, rows, cols)

_GZIP_MAGIC = b"\x1f\x8b"
_TYPES = {
    0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
MAX_BYTES = 2**28        # default cap on an IDX file's uncompressed size (MNIST's largest is 47 MB)
_CHUNK = 1 << 20         # decompressed bytes per step




def decompress(raw: bytes, name: str, max_bytes: int | None = None) -> bytes:
    """The content of ``raw``: gunzipped when it starts with the gzip magic, else as is.

    Decompression is streamed in 1 MiB pieces and stops as soon as the output
    passes its cap: ``max_bytes`` (default :data:`MAX_BYTES`), tightened to the
    size the IDX header declares as soon as the header has come out.  So a small
    ``.gz`` that inflates to gigabytes (a decompression bomb) costs at most the cap.

    Raises
    ------
    DataError
        The gzip stream is corrupt or truncated; ``name`` ends in ``.gz`` but the bytes
        are not gzip-compressed; the content is larger than its cap.
    """
    limit = MAX_BYTES if max_bytes is None else int(max_bytes)
    if raw[:2] == _GZIP_MAGIC:
        return _gunzip(raw, name, limit)
    if str(name).endswith(".gz"):
        raise DataError(f"{name}: the name ends in .gz but the content is not gzip-compressed "
                        f"(first bytes {raw[:4].hex()})")
    if len(raw) > limit:
        raise DataError(f"{name}: {len(raw):,} bytes, more than the {limit:,} allowed for this file")
    return raw


def declared_size(head: bytes) -> int | None:
    """Header plus payload bytes that an IDX header declares, 4 + 4 d + prod(dims) * itemsize;
    None while ``head`` is too short to tell or is not an IDX header."""
    if len(head) < 4 or head[:2] != b"\x00\x00" or head[2] not in _TYPES or head[3] == 0:
        return None
    header_len = 4 + 4 * head[3]
    if len(head) < header_len:
        return None
    dims = [int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(head[3])]
    return header_len + math.prod(dims) * _TYPES[head[2]].itemsize       # Python ints: no overflow


def _gunzip(raw: bytes, name: str, limit: int) -> bytes:
    """Streamed gunzip of every gzip member in ``raw``, failing as soon as the output passes the cap."""
    parts: list[bytes] = []
    total, head, cap, why = 0, b"", limit, f"the {limit:,} bytes allowed for this file"
    from_header = False
    inflater, pending = zlib.decompressobj(wbits=31), raw          # wbits 31: a gzip wrapper
    try:
        while True:
            chunk = inflater.decompress(pending, _CHUNK)
            pending = inflater.unconsumed_tail
            total += len(chunk)
            parts.append(chunk)
            if not from_header and len(head) < 1024:               # the header tightens the cap
                head += chunk[:1024]
                declared = declared_size(head)
                if declared is not None and declared > limit:
                    raise DataError(f"{name}: the IDX header declares {declared:,} bytes, more than {why}")
                if declared is not None:
                    cap, why = declared, f"the {declared:,} bytes its IDX header declares"
                    from_header = True
            if total > cap:
                what = "has trailing bytes: it" if from_header else "is too large: it"
                raise DataError(f"{name}: {what} decompresses to more than {why} (stopped after "
                                f"{total:,} bytes; a corrupt file or a decompression bomb)")
            if inflater.eof:
                rest = inflater.unused_data
                if rest[:2] != _GZIP_MAGIC:
                    break
                inflater, pending = zlib.decompressobj(wbits=31), rest     # another gzip member
            elif not chunk and not pending:
                raise EOFError("the gzip stream ends before its end-of-stream marker")
    except (EOFError, zlib.error) as exc:
        raise DataError(f"{name}: corrupt or truncated gzip data ({type(exc).__name__}: {exc})") from exc
    if inflater.unused_data.strip(b"\0"):
        raise DataError(f"{name}: corrupt gzip data: {len(inflater.unused_data)} bytes after the stream")
    return b"".join(parts)


def parse_idx(content: bytes, name: str = "<bytes>", magic: int | None = None) -> np.ndarray:
    """Decode uncompressed IDX bytes into an array (native byte order, read-only).

    Parameters
    ----------
    content : bytes
        The whole uncompressed file.
    name : str
        How error messages name the data (usually its path).
    magic : int, optional
        The magic number the file must have (2049 labels, 2051 images); any valid
        IDX magic is accepted when None.

    Returns
    -------
    np.ndarray
        Shape ``dims`` from the header; uint8 for MNIST.  The array does not own
        writable memory (it views ``content``); copy it to edit.

    Raises
    ------
    DataError
        Bad magic, a zero dimension, or a payload whose length is not exactly
        prod(dims) * itemsize (truncated or trailing bytes).
    """
    if len(content) < 4:
        raise DataError(f"{name}: only {len(content)} bytes, too short for an IDX header (4 bytes or more)")
    found = int.from_bytes(content[:4], "big")
    if magic is not None and found != magic:
        kinds = {LABELS_MAGIC: "a label file", IMAGES_MAGIC: "an image file"}
        raise DataError(f"{name}: magic number {found} (0x{found:08x}), expected {magic} "
                        f"(0x{magic:08x}, {kinds.get(magic, 'IDX')}): wrong file or not IDX")
    type_code, ndim = content[2], content[3]
    if content[:2] != b"\x00\x00" or type_code not in _TYPES or ndim == 0:
        raise DataError(f"{name}: magic number {found} (0x{found:08x}) is not an IDX header "
                        f"(expected 0x0000 then a type code in "
                        f"{sorted(hex(t) for t in _TYPES)} and 1 or more dimensions)")
    header_len = 4 + 4 * ndim
    if len(content) < header_len:
        raise DataError(f"{name}: truncated header: {ndim} dimensions need {header_len} bytes, "
                        f"the file has {len(content)}")
    dims = tuple(int.from_bytes(content[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    if any(d == 0 for d in dims):
        raise DataError(f"{name}: header dimensions {dims} contain a zero")
    dtype = _TYPES[type_code]
    expected = math.prod(dims) * dtype.itemsize           # bytes = prod(dims) * itemsize (no int64 overflow)
    actual = len(content) - header_len
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise DataError(f"{name}: {what}: the header says {dims[0]} items of shape {dims[1:]} "
                        f"({expected} data bytes) but the file holds {actual} data bytes")
    arr = np.frombuffer(content, dtype=dtype, offset=header_len).reshape(dims)
    if dtype.byteorder == ">":
        arr = arr.astype(dtype.newbyteorder("="))
        arr.flags.writeable = False
    return arr


def read_idx(path: str | os.PathLike, magic: int | None = None, max_bytes: int | None = None) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed, checking its header against its size.

    Parameters
    ----------
    path : str or PathLike
        The file (``train-images-idx3-ubyte.gz`` and the like).
    magic : int, optional
        Required magic number: :data:`LABELS_MAGIC` (2049) or :data:`IMAGES_MAGIC` (2051).
    max_bytes : int, optional
        Cap on the uncompressed size (default :data:`MAX_BYTES`, 256 MiB; pass more for
        larger files); the file on disk may not be larger either.

    Returns
    -------
    np.ndarray
        Read-only array of shape ``dims`` (e.g. (60000, 28, 28) uint8); copy it to edit.

    Raises
    ------
    DataError
        The file is missing, unreadable, not a regular file (a FIFO, a device), a bad gzip,
        larger than its cap, truncated, padded or has the wrong magic.
    """
    path = Path(path)
    limit = MAX_BYTES if max_bytes is None else max_bytes
    try:
        raw = read_regular(path, limit, "this IDX file")
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return parse_idx(decompress(raw, str(path), limit), str(path), magic)
