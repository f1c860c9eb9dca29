"""The command line's errors: :class:`CLIError` and how ``main`` prints it (a few lines, none too long)."""

from __future__ import annotations

import errno
import re
import textwrap

from ..checkpoint import CheckpointError
from ..data import DataError
from ..experiments._base import ParamError
from ..history import TrainingDiverged

__all__ = ["CLIError", "MAX_LINE", "EXPECTED", "error_lines", "environment_error"]


class CLIError(Exception):
    """An error the user can fix; exit status 2.

    The message is one line, or a few: the first says what went wrong, the next ones
    what to do (``main`` indents them under the first).  No line should be longer than
    :data:`MAX_LINE` characters; ``main`` wraps one that is.
    """


MAX_LINE = 200


def error_lines(command: str, exc: BaseException) -> list[str]:
    """``abcdl COMMAND: error: <first line>`` and the other lines indented, each at most MAX_LINE long."""
    lines = str(exc).splitlines() or [""]
    out = [f"abcdl {command}: error: {lines[0]}", *("  " + line for line in lines[1:])]
    wrapped = []
    for line in out:
        if len(line) <= MAX_LINE:
            wrapped.append(line)
        else:
            wrapped += textwrap.wrap(line, MAX_LINE - 40, subsequent_indent="    ", break_on_hyphens=False)
    return wrapped


# What ``main`` prints as a short message: the library's own errors and a failed environment.
EXPECTED = (DataError, CheckpointError, ParamError, TrainingDiverged, OSError, MemoryError, RecursionError)

_OS_HINTS = {
    errno.ENOSPC: "free some space, or write to another disk",
    errno.EDQUOT: "free some space, or write to another disk",
    errno.EROFS: "the disk is read-only: write to another folder",
    errno.EACCES: "check the permissions, or use another folder",
    errno.EPERM: "check the permissions, or use another folder",
}


def environment_error(exc: BaseException) -> CLIError:
    """A :class:`CLIError` for one of :data:`EXPECTED`: what went wrong, on which file, what to do."""
    if isinstance(exc, MemoryError):
        return CLIError("not enough memory for this run\n"
                        "try smaller sizes (fewer examples, a smaller batch or network) or free some memory")
    if isinstance(exc, RecursionError):
        return CLIError("the input is nested too deeply to read (Python's recursion limit)")
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        hint = _OS_HINTS.get(exc.errno)
        return CLIError(f"{exc.strerror}{where}" + (f"\n{hint}" if hint else ""))
    text = re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__
    return CLIError(text)
