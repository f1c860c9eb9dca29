"""The ``abcdl`` command: ``abcdl --version``, ``abcdl selfcheck``, and one module per subcommand.

Each subcommand lives in its own module here with ``register(subparsers)``,
which adds its parser and sets ``func=run``.  Expected failures (bad options,
missing data, unreadable files) raise :class:`CLIError`; ``main`` prints one line
and exits with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__

# Subcommand modules, in the order `abcdl --help` lists them.
COMMANDS = ["train", "evaluate", "predict", "selfcheck", "demo"]


class CLIError(Exception):
    """An error the user can fix; printed as one line, exit status 2."""


def one_line_errors(parser) -> None:
    """Make ``parser`` report a bad option as one line on stderr (exit status 2), without the usage block.

    Unknown options are refused by the subcommand's own parser too (``abcdl train --bogus``), rather
    than left to the top-level parser, whose message comes with its usage block.
    """
    def error(message: str):
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
    parser.add_argument("--version", action="version", version=f"abcdl {__version__}")
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
        print(f"abcdl {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"abcdl {args.command}: interrupted", file=sys.stderr)
        return 130
