"""The package's import graph: no cycle among its modules, and ``import abcdl`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import abcdl

ROOT = Path(abcdl.__file__).parent            # src/abcdl


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _module_level_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported: top level, and inside top-level if/try."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, (ast.If, ast.Try)):
            todo += node.body + node.orelse + getattr(node, "finalbody", [])
            todo += [stmt for handler in getattr(node, "handlers", []) for stmt in handler.body]
    return found


def _targets(name: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The package modules an import statement of module ``name`` loads.

    ``from . import x`` loads the submodule ``x`` when there is one, else the package
    itself (whose ``__init__`` defines ``x``).  The parent packages that Python loads
    first are not edges: every submodule would depend on ``abcdl/__init__.py``.
    """
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in MODULES}
    if node.level:
        package = name.split(".") if MODULES[name].name == "__init__.py" else name.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1] + ([node.module] if node.module else []))
    else:
        base = node.module
    if base not in MODULES:
        return set()
    return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names}


def import_graph() -> dict[str, set[str]]:
    """module -> the package modules it imports at module level (function-level imports do not count)."""
    graph = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = set().union(*(_targets(name, n) for n in _module_level_imports(tree))) - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles: each strongly connected component with more than one module, sorted (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:                     # v is the root of a component: pop it
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def test_imports_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 50 and graph["abcdl.module"] == {"abcdl.parameter"}
    found = cycles(graph)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c", "a"}}, [["a", "b"], ["c", "d"]]),
])
def test_imports_cycles_finds_every_cycle(graph, expected):
    assert cycles(graph) == expected


def test_imports_graph_reads_relative_imports():
    graph = import_graph()
    assert "abcdl.layers.linear" in graph["abcdl.layers"]                   # from .linear import Linear
    assert "abcdl.functions" in graph["abcdl.layers.activations"]           # from .. import functions as F
    assert {"abcdl.layers", "abcdl.module"} <= graph["abcdl.checkpoint"]
    assert "abcdl.checkpoint" in graph["abcdl.models.sequential"]           # model.save


def test_imports_abcdl_loads_no_matplotlib():
    code = ("import sys, abcdl; abcdl.optim.Adam; abcdl.models.mlp; abcdl.train.fit; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'matplotlib', 'torch', 'sklearn'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
