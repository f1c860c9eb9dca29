"""abcdl.experiments: each experiment is ``compute`` (its numbers), ``draw`` (its figure), a short ``run``.

The conventions are in the docstring of ``abcdl/experiments/__init__.py``; this file checks
the split, that ``compute`` takes ``run``'s parameters and never imports matplotlib, that
``run`` returns exactly ``compute``'s numbers, and that no function in the package is
longer than 60 lines (docstring aside) or nested deeper than 4.
"""

from __future__ import annotations

import ast
import inspect
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from abcdl import experiments
from abcdl.experiments._base import figure_style, jsonable

PACKAGE = Path(experiments.__file__).resolve().parent
MAX_LINES = 60
MAX_DEPTH = 4

# Fast parameters for the experiments run here (no data files needed).
FAST = {
    "mle": {"grid_points": 101},
    "logic-gates": {},
    "numerical-diff": {"n_steps": 25},
    "gd-1d": {"steps_square": 5, "steps_local": 6},
}

# Blocks that nest; an `elif` continues its `if` and adds no level.
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.FunctionDef,
           ast.AsyncFunctionDef, ast.ClassDef)


def _depth(node: ast.AST, level: int = 0) -> int:
    """Deepest nesting of blocks (if/for/while/with/try/def/class) below ``node``."""
    deepest = level
    for child in ast.iter_child_nodes(node):
        is_elif = isinstance(node, ast.If) and isinstance(child, ast.If) and node.orelse == [child]
        inner = level + 1 if isinstance(child, _BLOCKS) and not is_elif else level
        deepest = max(deepest, _depth(child, inner))
    return deepest


def _length(fn: ast.FunctionDef) -> int:
    """Lines of ``fn`` from ``def`` to its last line, its docstring left out."""
    n = fn.end_lineno - fn.lineno + 1
    first = fn.body[0]
    is_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if is_doc and isinstance(first.value.value, str):
        n -= first.end_lineno - first.lineno + 1
    return n


def _too_long_or_deep(source: str) -> list[str]:
    """``name: N lines, depth D`` for every function of ``source`` over either limit."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n, d = _length(node), _depth(node)
            if n > MAX_LINES or d > MAX_DEPTH:
                out.append(f"{node.name} (line {node.lineno}): {n} lines, depth {d}")
    return out


# ----------------------------------------------------------------------------- the split

@pytest.mark.parametrize("name", experiments.names())
def test_experiments_module_has_compute_and_draw(name):
    mod = experiments.get(name)
    assert callable(getattr(mod, "compute", None)), f"{mod.__name__} has no compute()"
    assert callable(getattr(mod, "draw", None)), f"{mod.__name__} has no draw()"
    assert list(inspect.signature(mod.draw).parameters) == ["data", "style"]
    assert (inspect.getdoc(mod.compute) or "").count("Returns") == 1, "compute's docstring names its keys"


@pytest.mark.parametrize("name", experiments.names())
def test_experiments_compute_takes_runs_parameters_with_the_same_defaults(name):
    mod = experiments.get(name)
    run_params = [p for p in inspect.signature(mod.run).parameters.values() if p.name != "lang"]
    compute_params = list(inspect.signature(mod.compute).parameters.values())
    assert [(p.name, p.kind, p.default) for p in compute_params] == \
        [(p.name, p.kind, p.default) for p in run_params]


@pytest.mark.parametrize("name", list(FAST))
def test_experiments_run_is_compute_then_draw(name):
    mod = experiments.get(name)
    data = mod.compute(**FAST[name])
    assert {"numbers", "highlights"} <= set(data)
    fig = mod.draw(data, figure_style("en"))
    assert isinstance(fig, Figure) and fig.axes
    res = mod.run(**FAST[name])
    assert res.numbers == jsonable(data["numbers"])
    assert res.highlights == data["highlights"]


def test_experiments_compute_imports_no_matplotlib():
    calls = "; ".join(f"E.get({name!r}).compute(**{params!r})" for name, params in FAST.items())
    code = ("import sys, abcdl.experiments as E; " + calls + "; "
            "assert 'matplotlib' not in sys.modules, 'compute imported matplotlib'; print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout


# ----------------------------------------------------------------------------- short, shallow functions

def test_experiments_layout_check_finds_long_and_deep_functions():
    deep = textwrap.dedent("""
        def f(x):
            "doc"
            for a in x:
                if a:
                    while a:
                        with open(a) as h:
                            try:
                                pass
                            except OSError:
                                pass
        def g(x):
            if x:
                pass
            elif x > 1:
                if x > 2:
                    pass
    """)
    assert _too_long_or_deep(deep) == ["f (line 2): 9 lines, depth 5"]       # g: elif adds no level
    long = "def h():\n    '''one\n    two'''\n" + "    x = 1\n" * MAX_LINES
    assert _too_long_or_deep(long) == [f"h (line 1): {MAX_LINES + 1} lines, depth 0"]
    assert _too_long_or_deep(long.replace("    x = 1\n", "", 1)) == []       # docstring aside: 60 lines


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_experiments_functions_are_short_and_shallow(path):
    offenders = _too_long_or_deep(path.read_text(encoding="utf-8"))
    assert not offenders, f"{path.name}: over {MAX_LINES} lines or deeper than {MAX_DEPTH}: {offenders}"
