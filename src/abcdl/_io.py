"""Atomic file writes: nothing half-written is ever left where a reader looks.

Every file abcdl writes (checkpoints, downloaded data, figures, metrics) goes
through :func:`atomic_write`: the bytes go to a temp file in the target folder,
are flushed and fsync-ed, and only then renamed over the target with
``os.replace`` (atomic on POSIX and Windows).  A crash or Ctrl-C mid-write
leaves the previous file intact; a failed write removes its temp file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_CHUNK = 1 << 24


def write_chunks(fh: BinaryIO, data: bytes) -> None:
    """Write ``data`` in 16 MiB pieces (no second copy of a large buffer)."""
    view = memoryview(data)
    for start in range(0, len(view), _CHUNK):
        fh.write(view[start:start + _CHUNK])


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, data: bytes,
                 write: Callable[[BinaryIO, bytes], None] | None = None) -> Path:
    """Write ``data`` to ``path`` atomically (temp file, fsync, ``os.replace``); returns the path.

    The folder must exist.  The file gets the usual permissions (0666 less the
    umask), not ``mkstemp``'s 0600.  ``write(fh, data)`` replaces the plain write
    (tests use it to simulate a crash mid-write).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            (write or write_chunks)(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):       # make the rename durable where the OS allows it
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write` for UTF-8 text."""
    return atomic_write(path, text.encode("utf-8"))
