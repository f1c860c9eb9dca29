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


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle ``[a, b, ..., a]`` of the directed graph, or None (depth-first search, iterative)."""
    state: dict[str, str] = {}                     # "open" while on the current path, then "done"
    for start in graph:
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = "open"
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = "done"
                stack.pop()
            elif state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt]
            elif nxt not in state:
                state[nxt] = "open"
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_imports_graph_has_no_cycle():
    graph = import_graph()
    assert len(graph) > 50 and graph["abcdl.module"] == {"abcdl.parameter"}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("graph, cycle", [
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
    ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, None),
    ({"a": set(), "b": {"b"}}, ["b", "b"]),
])
def test_imports_find_cycle_finds_cycles(graph, cycle):
    assert find_cycle(graph) == cycle


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
