"""Bounded reading: regular files only, sizes capped, JSON nesting capped.

Every file abcdl reads (checkpoints, images, ``.npy`` arrays, ``metrics.json``,
IDX data) is opened with :func:`open_regular`, which refuses anything that is not
a regular file: a FIFO (reading it would block until some other program writes),
a device (``/dev/zero`` never ends), a socket, a folder, and links to any of
these.  The check is made on the path first (no side effect) and again on the
open descriptor (no race); the open itself never blocks, because a FIFO is opened
with ``O_NONBLOCK``.  The errors are :class:`OSError` subclasses, so callers that
already turn "cannot read" into their own error type need nothing new.

JSON side files and metadata are parsed with :func:`loads_json`, which refuses a
text over a size cap or nested deeper than :data:`MAX_JSON_DEPTH` *before*
parsing it (Python's parser would raise ``RecursionError`` on deep nesting).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
from typing import BinaryIO

import numpy as np

__all__ = ["FileKindError", "FileTooLargeError", "JSONLimitError", "open_regular", "read_regular",
           "loads_json", "json_depth", "file_kind", "MAX_JSON_DEPTH"]

# O_NONBLOCK: opening a FIFO would otherwise wait for a writer; the flag is cleared after the check.
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0))
_CHUNK = 1 << 20
MAX_JSON_DEPTH = 64                     # a checkpoint's architecture nests about 5 + 2 per Sequential

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))
# A JSON string literal: its content may hold brackets that are not structure.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.S)


class FileKindError(OSError):
    """A path that is not a regular file (FIFO, device, socket, folder) where a file was expected."""


class FileTooLargeError(OSError):
    """A file larger than the reader allows."""


class JSONLimitError(ValueError):
    """A JSON text larger or nested deeper than allowed."""


def file_kind(mode: int) -> str:
    """What ``st_mode`` describes, in words ("a FIFO (named pipe)", "a folder", ...)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _refuse(path, mode: int) -> FileKindError:
    code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
    return FileKindError(code, f"{file_kind(mode)}, not a regular file", os.fspath(path))


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for binary reading, if it is a regular file (links are followed).

    Raises
    ------
    FileKindError
        A FIFO, device, socket or folder, or a link to one; ``strerror`` says which.
    OSError
        Missing, unreadable, and the like (as ``open`` raises them).
    """
    mode = os.stat(path).st_mode                  # no side effect, unlike opening a device
    if not stat.S_ISREG(mode):
        raise _refuse(path, mode)
    fd = os.open(path, _OPEN_FLAGS)
    try:
        mode = os.fstat(fd).st_mode               # what was really opened (the path may have changed)
        if not stat.S_ISREG(mode):
            raise _refuse(path, mode)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(path: str | os.PathLike, max_bytes: int | None = None, what: str = "the file") -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them.

    Raises
    ------
    FileKindError, FileTooLargeError, OSError
        Not a regular file; larger than ``max_bytes`` (``what`` names it in the message); unreadable.
    """
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if max_bytes is None:
            return fh.read()
        if size > max_bytes:
            raise _too_large(path, size, max_bytes, what)
        parts = [fh.read(size)]               # read(n) reserves n bytes: never more than the file's size
        total = len(parts[0])
        while total <= max_bytes:             # a file that grew, or one whose size says 0 (/proc)
            chunk = fh.read(min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            parts.append(chunk)
            total += len(chunk)
    if total > max_bytes:
        raise _too_large(path, total, max_bytes, what)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _too_large(path, size: int, limit: int, what: str) -> FileTooLargeError:
    return FileTooLargeError(errno.EFBIG, f"{size:,} bytes or more, more than the {limit:,} bytes "
                                          f"allowed for {what}", os.fspath(path))


def json_depth(text: str | bytes) -> int:
    """How deeply ``text``'s arrays and objects nest (0 for a scalar), without parsing it.

    Brackets inside string literals are not counted.  Vectorised: a 100 MB text takes well under a second.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    bare = np.frombuffer(_STRING.sub(b'""', data), dtype=np.uint8)
    opens = (bare == ord("[")) | (bare == ord("{"))
    closes = (bare == ord("]")) | (bare == ord("}"))
    depth = np.cumsum(opens.astype(np.int64) - closes.astype(np.int64))  # depth after each byte
    return int(depth.max(initial=0))


def loads_json(text: str | bytes, what: str = "JSON", max_bytes: int | None = None,
               max_depth: int = MAX_JSON_DEPTH):
    """``json.loads(text)`` with a size and a nesting cap checked before parsing.

    Raises
    ------
    JSONLimitError
        Over ``max_bytes`` or nested deeper than ``max_depth`` (``what`` names the text).
    ValueError
        Not JSON (``json.JSONDecodeError``, ``UnicodeDecodeError``).
    """
    if max_bytes is not None and len(text) > max_bytes:
        raise JSONLimitError(f"{what} is {len(text):,} bytes, more than the {max_bytes:,} allowed")
    depth = json_depth(text)
    if depth > max_depth:
        raise JSONLimitError(f"{what} nests {depth} levels deep, more than the {max_depth} allowed")
    return json.loads(text)
