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

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from .errors import DataError

__all__ = ["DataError", "read_idx", "parse_idx", "decompress", "LABELS_MAGIC", "IMAGES_MAGIC"]

LABELS_MAGIC = 2049      # 0x00000801: uint8, 1 dimension (N,)
IMAGES_MAGIC = 2051      # 0x00000803: uint8, 3 dimensions (N, rows, cols)

_GZIP_MAGIC = b"\x1f\x8b"
_TYPES = {
    0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}




def decompress(raw: bytes, name: str) -> bytes:
    """The content of ``raw``: gunzipped when it starts with the gzip magic, else as is.

    Raises
    ------
    DataError
        If the gzip stream is corrupt or truncated, or ``name`` ends in ``.gz`` but the
        bytes are not gzip-compressed.
    """
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            # BadGzipFile is an OSError; a cut stream raises EOFError
            raise DataError(f"{name}: corrupt or truncated gzip data ({type(exc).__name__}: {exc})") \
                from exc
    if str(name).endswith(".gz"):
        raise DataError(f"{name}: the name ends in .gz but the content is not gzip-compressed "
                        f"(first bytes {raw[:4].hex()})")
    return raw


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
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize     # bytes = prod(dims) * itemsize
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


def read_idx(path: str | os.PathLike, magic: int | None = None) -> np.ndarray:
    """Read an IDX file, raw or gzip-compressed, checking its header against its size.

    Parameters
    ----------
    path : str or PathLike
        The file (``train-images-idx3-ubyte.gz`` and the like).
    magic : int, optional
        Required magic number: :data:`LABELS_MAGIC` (2049) or :data:`IMAGES_MAGIC` (2051).

    Returns
    -------
    np.ndarray
        Read-only array of shape ``dims`` (e.g. (60000, 28, 28) uint8); copy it to edit.

    Raises
    ------
    DataError
        The file is missing, unreadable, a bad gzip, truncated, padded or has the wrong magic.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    return parse_idx(decompress(raw, str(path)), str(path), magic)
