"""``abcdl demo``: list the lecture's experiments, or run one and write its figure.

    abcdl demo list
    abcdl demo NAME [--param value ...] [--json] [--out DIR] [--lang en|ko]
    abcdl demo NAME --help                 # the experiment's parameters and defaults

The figure goes to ``DIR/NAME.png``; DIR defaults to ``./abcdl-demo`` (created if
needed), so demos do not litter the current folder.  ``--param value`` pairs are
the keyword arguments of the experiment's ``run``; each value is parsed with the
type of the parameter's default (int, float, bool as true/false, str, tuples as
comma lists such as ``--dims 2,10,100``).  ``--n-samples`` and ``--n_samples`` are
the same parameter.  A bad name, parameter or value is one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import json
import sys
from pathlib import Path

from .. import experiments
from ..data import DataError
from ..experiments import list_experiments
from ..experiments._base import ParamError
from . import CLIError

DEFAULT_OUT = "abcdl-demo"
MAX_ITEMS = 100          # values in one comma list: no experiment needs more
_LANGS = ("en", "ko")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def register(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="run one of the lecture's experiments and write its figure (`abcdl demo list`)",
        description="Run a lecture experiment: print its key numbers (or JSON) and write DIR/NAME.png. "
                    "`abcdl demo list` names them all; `abcdl demo NAME --help` lists NAME's parameters.",
        epilog="Experiment parameters: --param value pairs after NAME, typed like the defaults "
               "(tuples as comma lists). Example: abcdl demo mle --n 10 --k 3 --json",
    )
    p.add_argument("name", nargs="?", default="list", metavar="NAME",
                   help="experiment name, or 'list' (the default)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON instead of a summary")
    p.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                   help=f"folder for NAME.png (default ./{DEFAULT_OUT})")
    p.add_argument("--lang", default="en", choices=_LANGS,
                   help="figure labels: en or ko (Korean uses the NanumGothic font shipped with abcdl)")
    p.add_argument("params", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=run)


# ----------------------------------------------------------------------------- parsing

def _split_options(tokens: list[str], json_flag: bool, out: str, lang: str):
    """Separate --json/--out/--lang/--help (allowed after NAME too) from the experiment's --param value."""
    pairs: list[tuple[str, str]] = []
    want_help = False
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if not tok.startswith("--") or tok == "--":
            if tok in ("-h",):
                want_help = True
                i += 1
                continue
            raise CLIError(f"expected --param value, got {tok!r}")
        key, eq, val = tok[2:].partition("=")
        if key == "json" and not eq:
            json_flag = True
            i += 1
            continue
        if key == "help" and not eq:
            want_help = True
            i += 1
            continue
        if not eq:
            if i + 1 >= len(tokens) or tokens[i + 1].startswith("--"):
                raise CLIError(f"--{key} needs a value")
            val = tokens[i + 1]          # taken as is, so negative numbers work: --x0 -3
            i += 2
        else:
            i += 1
        if key == "out":
            out = val
        elif key == "lang":
            if val not in _LANGS:
                raise CLIError(f"--lang must be one of {', '.join(_LANGS)}, got {val!r}")
            lang = val
        else:
            pairs.append((key, val))
    return pairs, json_flag, out, lang, want_help


def _describe(default) -> str:
    if isinstance(default, tuple):
        return "comma list" + (f" of {type(default[0]).__name__}" if default else "")
    return type(default).__name__


def _convert(name: str, text: str, default):
    """``text`` parsed with the type of ``default``; ValueError says what was expected."""
    if isinstance(default, bool):
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("expected true or false")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if isinstance(default, str):
        return text
    if isinstance(default, tuple):
        items = [s.strip() for s in text.split(",") if s.strip()]
        if not items:
            raise ValueError("expected a comma-separated list")
        return tuple(_convert(name, s, _element_proto(default)) for s in items)
    raise ValueError(f"parameter type {type(default).__name__} cannot be set from the command line")


def _element_proto(default: tuple):
    """A value of the type a tuple default's elements have: str, bool, int, else float."""
    for kind in (str, bool, int):
        if default and all(isinstance(d, kind) for d in default):
            return kind()
    return 0.0


def parse_params(name: str, pairs: list[tuple[str, str]], defaults: dict) -> dict:
    """``--param value`` pairs -> keyword arguments for ``run``, typed by the defaults."""
    valid = ", ".join(f"--{k.replace('_', '-')}" for k in defaults) or "(none)"
    kwargs = {}
    for key, text in pairs:
        pname = key.replace("-", "_")
        if pname not in defaults:
            raise CLIError(f"{name} has no parameter --{key}; valid: {valid}")
        default = defaults[pname]
        try:
            kwargs[pname] = _convert(pname, text, default)
            if isinstance(default, tuple) and len(kwargs[pname]) > MAX_ITEMS:
                raise ValueError(f"at most {MAX_ITEMS} values, got {len(kwargs[pname]):,}")
        except ValueError as exc:
            shown = text if len(text) <= 60 else f"{text[:57]}..."
            raise CLIError(f"{name}: bad value {shown!r} for --{key} ({_describe(default)} expected: {exc}); "
                           f"valid parameters: {valid}") from None
    return kwargs


# ----------------------------------------------------------------------------- commands

def _print_list() -> None:
    infos = list_experiments()
    width = max(len(i.name) for i in infos)
    spec_w = max(len(",".join(i.spec)) for i in infos)
    print("Lecture experiments (abcdl demo NAME; abcdl demo NAME --help for its parameters):")
    for info in infos:
        print(f"  {info.name:<{width}}  {','.join(info.spec):<{spec_w}}  {info.description}")


def _show(v) -> str:
    """A default as it would be typed on the command line."""
    if isinstance(v, tuple):
        return ",".join(_show(x) for x in v)
    return str(v).lower() if isinstance(v, bool) else str(v)


def _print_help(name: str, module, defaults: dict) -> None:
    doc = inspect.getdoc(module.run) or ""
    first = doc.split("\n\n")[0]
    print(f"abcdl demo {name}  ({', '.join(module.SPEC)}): {module.DESCRIPTION}")
    print(f"  {first}")
    print("parameters (default):")
    for k, v in defaults.items():
        shown = _show(v)
        print(f"  --{k.replace('_', '-'):<20} {shown}   ({_describe(v)})")
    print("options: --json, --out DIR (default ./abcdl-demo), --lang en|ko")


def run(args) -> int:
    name = args.name
    pairs, json_flag, out, lang, want_help = _split_options(list(args.params or []), args.json,
                                                            args.out, args.lang)
    if name == "list":
        if pairs:
            raise CLIError("`demo list` takes no parameters")
        _print_list()
        return 0
    try:
        module = experiments.get(name)
    except KeyError:
        close = difflib.get_close_matches(name, experiments.names(), n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise CLIError(f"unknown experiment {name!r}; {hint}`abcdl demo list` shows all "
                       f"{len(experiments.names())}") from None
    defaults = experiments.parameters(name)
    if want_help:
        _print_help(name, module, defaults)
        return 0
    kwargs = parse_params(name, pairs, defaults)


    try:
        result = module.run(lang=lang, **kwargs)
    except ParamError as exc:
        raise CLIError(f"{name}: {exc}") from None
    except DataError as exc:
        raise CLIError(f"{name}: {exc}") from None
    try:
        path = result.save(Path(out) / f"{name}.png")
    except OSError as exc:
        raise CLIError(f"cannot write the figure to {out}: {exc}") from None
    if json_flag:
        print(json.dumps({**result.to_dict(), "figure": str(path)}, indent=2, ensure_ascii=False,
                         allow_nan=False))
        print(f"wrote {path}", file=sys.stderr)
    else:
        print(result.summary())
        print(f"figure: {path}")
    return 0
