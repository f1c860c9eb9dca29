"""Atomic file writes: nothing half-written is ever left where a reader looks.

Every file abcdl writes (checkpoints, downloaded data, figures, metrics) goes
through :func:`atomic_write`: the bytes go to a temp file in the target folder,
are flushed and fsync-ed, and only then renamed over the target with
``os.replace`` (atomic on POSIX and Windows).  A crash or Ctrl-C mid-write
leaves the previous file intact; a failed write removes its temp file.

Only a regular file is ever replaced: a folder, a FIFO, a device or a socket at
the target (or a link to one) is refused with :class:`NotRegularTargetError`,
so ``model.save("/dev/sda")`` run as root cannot swap a device node for a file.
A link to a regular file is replaced by the new file (the file it pointed to is
left as it was).
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from ._read import file_kind

_CHUNK = 1 << 24


class NotRegularTargetError(OSError):
    """The path to write holds something other than a regular file (folder, FIFO, device, socket)."""


def check_target(path: str | os.PathLike) -> None:
    """Raise :class:`NotRegularTargetError` if ``path`` exists and is not a regular file (links followed)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return                                   # nothing there (or a dangling link): a new file
    if stat.S_ISREG(mode):
        return
    raise NotRegularTargetError(errno.EISDIR if stat.S_ISDIR(mode) else errno.EEXIST,
                                f"{file_kind(mode)} is there, and only a regular file is ever replaced; "
                                f"choose another path", os.fspath(path))


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

    Raises
    ------
    NotRegularTargetError
        Something other than a regular file is at ``path`` (checked before writing and
        again just before the rename).
    OSError
        The write failed (disk full, read-only folder, ...); the target is unchanged.
    """
    path = Path(path)
    check_target(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            (write or write_chunks)(fh, data)
            fh.flush()
            os.fsync(fh.fileno())
        check_target(path)                       # it may have appeared while the bytes were written
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
