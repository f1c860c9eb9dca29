"""The command line's errors: :class:`CLIError` and how ``main`` prints it (a few lines, none too long)."""

from __future__ import annotations

import textwrap

__all__ = ["CLIError", "MAX_LINE", "error_lines"]


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
