"""The house limits of issue 13, for the whole package: no function longer than 60 lines (its
docstring aside), no nesting deeper than 4 (an ``elif`` chain counts as one level)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "abcdl"
MAX_LINES, MAX_DEPTH = 60, 4
_NESTING = (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.AsyncFor, ast.AsyncWith, ast.Match)


def _block_depth(stmts: list, level: int) -> int:
    deepest = level
    for s in stmts:
        if isinstance(s, _NESTING):
            deepest = max(deepest, _stmt_depth(s, level + 1))
    return deepest


def _stmt_depth(s: ast.stmt, level: int) -> int:
    """The deepest nesting inside ``s``, which itself sits at ``level``."""
    if isinstance(s, ast.If):
        deepest, orelse = _block_depth(s.body, level), s.orelse
        while len(orelse) == 1 and isinstance(orelse[0], ast.If):       # elif: the same level
            deepest = max(deepest, _block_depth(orelse[0].body, level))
            orelse = orelse[0].orelse
        return max(deepest, _block_depth(orelse, level))
    blocks = [getattr(s, f, None) or [] for f in ("body", "orelse", "finalbody")]
    blocks += [h.body for h in getattr(s, "handlers", None) or []]
    blocks += [c.body for c in getattr(s, "cases", None) or []]
    return max(_block_depth(b, level) for b in blocks)


def _length(fn: ast.FunctionDef) -> int:
    n = fn.end_lineno - fn.lineno + 1
    if ast.get_docstring(fn, clean=False) is not None:
        doc = fn.body[0]
        n -= doc.end_lineno - doc.lineno + 1
    return n


def offenders(source: str) -> list[str]:
    """``name (line L): N lines, depth D`` for every function of ``source`` over either limit."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n, d = _length(node), _block_depth(node.body, 0)
            if n > MAX_LINES or d > MAX_DEPTH:
                out.append(f"{node.name} (line {node.lineno}): {n} lines, depth {d}")
    return out


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_code_shape_functions_are_short_and_shallow(path):
    found = offenders(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(SRC)}: " + "; ".join(found)


def test_code_shape_check_catches_a_long_deep_function():
    ifs = "".join("    " * (i + 1) + f"if x > {i}:\n" for i in range(5))
    deep = "def f(x):\n" + ifs + "    " * 6 + "pass\n"
    long = "def g():\n" + "    y = 1\n" * 60          # the def line and 60 more: 61 lines
    chain = "def h(x):\n    if x:\n        pass\n" + "    elif x > 1:\n        pass\n" * 8
    assert offenders(deep) == ["f (line 1): 7 lines, depth 5"]
    assert offenders(long) == ["g (line 1): 61 lines, depth 0"]
    assert offenders(chain) == []
