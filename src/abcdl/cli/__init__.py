"""The ``abcdl`` command: ``abcdl --version``, ``abcdl selfcheck``, and one module per subcommand.

Each subcommand lives in its own module here with ``register(subparsers)``,
which adds its parser and sets ``func=run``.  Expected failures (bad options,
missing data, unreadable files) raise :class:`CLIError`; ``main`` prints a few
short lines (the first says what went wrong) and exits with status 2, never a
traceback.  The library's own errors (``DataError``, ``CheckpointError``,
``ParamError``, ``TrainingDiverged``) and a failed environment (``OSError``: disk full,
read-only, no permission; ``MemoryError``; ``RecursionError``) are printed the same
way (see :func:`abcdl.cli._errors.environment_error`).  Anything else is a bug in
abcdl: its traceback is shown, with a line asking the user to report it (exit status 1).
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
import traceback

from .._version import __version__
from ..fonts import font_origin
from ._datasets import data_report
from ._errors import EXPECTED, MAX_LINE, CLIError, environment_error, error_lines

__all__ = ["CLIError", "MAX_LINE", "COMMANDS", "main", "build_parser", "one_line_errors"]

# A value argparse quotes in its message, shortened so that no line passes MAX_LINE.
_LONG_VALUE = re.compile(r"('[^'\n]{40})[^'\n]{20,}'")

# Subcommand modules, in the order `abcdl --help` lists them.
COMMANDS = ["train", "evaluate", "predict", "export", "serve", "selfcheck", "demo"]


class _VersionAction(argparse.Action):
    """``abcdl --version``: the version, and where the data and the Hangul font are found."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        lines = [f"abcdl {__version__}", *data_report(), f"Hangul font: {font_origin()}"]
        print("\n".join(lines))
        parser.exit(0)


def one_line_errors(parser) -> None:
    """Make ``parser`` report a bad option as one line on stderr (exit status 2), without the usage block.

    Unknown options are refused by the subcommand's own parser too (``abcdl train --bogus``), rather
    than left to the top-level parser, whose message comes with its usage block.
    """
    def error(message: str):
        message = _LONG_VALUE.sub(r"\1...'", message)
        parser.exit(2, f"{parser.prog}: error: {message} (see {parser.prog} --help)\n")

    parse_known_args = parser.parse_known_args

    def strict(args=None, namespace=None):
        namespace, extras = parse_known_args(args, namespace)
        if extras:
            error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras

    parser.error = error
    parser.parse_known_args = strict


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="abcdl",
        description="ABC to Deep Learning: train networks and run the lecture's experiments.",
    )
    parser.add_argument("--version", action=_VersionAction,
                        help="show the version, where MNIST and the Hangul font are found, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f".{name}", __name__).register(sub)
    for subparser in sub.choices.values():
        one_line_errors(subparser)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CLIError as exc:
        print("\n".join(error_lines(args.command, exc)), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"abcdl {args.command}: interrupted", file=sys.stderr)
        return 130
    except EXPECTED as exc:        # the library's errors, a full disk, no memory, a file nested too deeply
        print("\n".join(error_lines(args.command, environment_error(exc))), file=sys.stderr)
        return 2
    except Exception:
        traceback.print_exc()
        print(f"abcdl {args.command}: this is a bug in abcdl {__version__}, not a problem with your input or "
              f"your machine: please report it with the command you ran and the traceback above",
              file=sys.stderr)
        return 1
