"""The computational graph as a picture: DOT text, drawn by Graphviz or by matplotlib (L39).

``to_dot(y)`` is pure Python: it walks the graph that made ``y`` and writes
Graphviz's DOT language (tensors as ellipses, operations as boxes, arrows in
the direction the values flow).  ``draw_graph(y, "graph.png")`` renders it with
Graphviz's ``dot`` program when it is installed, and otherwise draws the same
graph with matplotlib in a simple layered layout, so it always works (a
missing Graphviz is the most common failure learners report with DeZero's and
micrograd's pictures).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import warnings
from pathlib import Path

from .._io import atomic_write
from .function import Function
from .leaf import ParamTensor
from .tensor import Tensor

__all__ = ["to_dot", "draw_graph", "layout", "draw_on"]

# fill colours: output, learnable leaf, abcdl Parameter, constant, intermediate value, operation
_COLORS = {"output": "#f8c8c8", "leaf": "#c8dcf8", "param": "#c8ecc8", "const": "#ffffff",
           "value": "#fff4c0", "op": "#e4e4e4"}


def _walk(root: Tensor) -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Nodes (id, label, kind) and edges (src, dst) of the graph under ``root``, in a fixed order."""
    names: dict[int, str] = {}
    nodes: list[tuple[str, str, str]] = []
    edges: list[tuple[str, str]] = []

    def node(obj, kind: str) -> tuple[str, bool]:
        key = id(obj)
        if key in names:
            return names[key], False
        names[key] = f"{'f' if isinstance(obj, Function) else 't'}{len(names)}"
        nodes.append((names[key], _label(obj), kind))
        return names[key], True

    stack = [root]
    node(root, "output")
    while stack:
        t = stack.pop()
        fn = t.creator
        if fn is None:
            continue
        fid, new = node(fn, "op")
        edges.append((fid, names[id(t)]))
        if not new:
            continue
        for x in fn.inputs or ():
            xid, new_x = node(x, _kind(x))
            edges.append((xid, fid))
            if new_x:
                stack.append(x)
    return nodes, edges


def _kind(t: Tensor) -> str:
    if isinstance(t, ParamTensor):
        return "param"
    if t.creator is not None:
        return "value"
    return "leaf" if t.requires_grad else "const"


def _label(obj) -> str:
    if isinstance(obj, Function):
        return obj.name + (" (freed)" if obj.inputs is None else "")
    shape = "x".join(str(n) for n in obj.shape) or "scalar"
    return f"{obj.name}\n{shape}" if obj.name else f"{shape} {obj.dtype}"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(root: Tensor, rankdir: str = "LR") -> str:
    """The graph that computed ``root`` in Graphviz's DOT language.

    Parameters
    ----------
    root : Tensor
        Usually the loss.  A tensor's label is its ``name`` (Parameters: the
        Parameter's name) and shape, or its shape and dtype.
    rankdir : "LR" | "TB"
        Left to right (inputs on the left) or top to bottom.

    Returns
    -------
    str, e.g. ``digraph autograd { ... t1 -> f0; f0 -> t0; }``
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"to_dot: expected a Tensor, got {type(root).__name__}")
    nodes, edges = _walk(root)
    lines = ["digraph autograd {", f"  rankdir={rankdir};",
             '  node [fontname="Helvetica", fontsize=10, style=filled];']
    for nid, label, kind in nodes:
        shape = "box" if kind == "op" else "ellipse"
        lines.append(f"  {nid} [label={_quote(label)}, shape={shape}, fillcolor={_quote(_COLORS[kind])}];")
    lines += [f"  {src} -> {dst};" for src, dst in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _layers(nodes, edges) -> dict[str, int]:
    """Column of each node: the output in the last column, every node left of all its consumers.

    depth(node) = 1 + max depth of its consumers (the longest path to the output),
    computed in topological order from the output (Kahn's algorithm, no recursion).
    """
    producers: dict[str, list[str]] = {n[0]: [] for n in nodes}
    pending: dict[str, int] = {n[0]: 0 for n in nodes}      # consumers not yet placed
    for src, dst in edges:
        producers[dst].append(src)
        pending[src] += 1
    ready = [nid for nid, k in pending.items() if k == 0]
    depth = dict.fromkeys(ready, 0)
    while ready:
        d = ready.pop()
        for src in producers[d]:
            depth[src] = max(depth.get(src, 0), depth[d] + 1)
            pending[src] -= 1
            if pending[src] == 0:
                ready.append(src)
    top = max(depth.values())
    return {nid: top - k for nid, k in depth.items()}


def layout(root: Tensor) -> dict:
    """The graph under ``root`` placed on a grid, as plain data (no matplotlib): what a picture needs.

    Returns
    -------
    dict
        ``nodes``: [(id, label, kind)] with kind "output", "leaf", "param",
        "const", "value" or "op"; ``edges``: [(src, dst)] in the direction the
        values flow; ``pos``: {id: (column, row)}, inputs in column 0 and the
        output in the last; ``width`` and ``height``: the number of columns and
        of rows in the fullest column.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"layout: expected a Tensor, got {type(root).__name__}")
    nodes, edges = _walk(root)
    col = _layers(nodes, edges)
    rows: dict[int, list[str]] = {}
    for nid, _, _ in nodes:
        rows.setdefault(col[nid], []).append(nid)
    pos = {nid: (c, (len(ids) - 1) / 2 - i) for c, ids in rows.items() for i, nid in enumerate(ids)}
    return {"nodes": nodes, "edges": edges, "pos": pos, "width": max(col.values()) + 1,
            "height": max(len(ids) for ids in rows.values())}


def draw_on(ax, lay: dict, fontsize: float = 8) -> None:
    """Draw a :func:`layout` on a matplotlib Axes: values as rounded boxes, operations as square ones."""
    pos = lay["pos"]
    ax.set_axis_off()
    ax.set_xlim(-0.7, lay["width"] - 0.3)
    ax.set_ylim(-lay["height"] / 2 - 0.2, lay["height"] / 2 + 0.2)
    scale = fontsize / 8
    half = {nid: scale * (2.6 * max(len(line) for line in label.split("\n")) + 8)
            for nid, label, _ in lay["nodes"]}
    for src, dst in lay["edges"]:                      # arrows stop at the boxes' edges (in points)
        ax.annotate("", xy=pos[dst], xytext=pos[src],
                    arrowprops={"arrowstyle": "->", "color": "#555555", "shrinkA": half[src],
                                "shrinkB": half[dst]})
    for nid, label, kind in lay["nodes"]:
        box = "round,pad=0.3" if kind != "op" else "square,pad=0.3"
        ax.text(*pos[nid], label, ha="center", va="center", fontsize=fontsize,
                bbox={"boxstyle": box, "facecolor": _COLORS[kind], "edgecolor": "#333333"})


def _draw_matplotlib(root: Tensor, fmt: str, dpi: int) -> bytes:
    """The graph drawn with matplotlib: one column per layer, values flowing left to right."""
    from matplotlib.figure import Figure  # lazily: importing abcdl.autograd must not load matplotlib

    lay = layout(root)
    fig = Figure(figsize=(1.9 * lay["width"] + 1, 0.8 * lay["height"] + 1))
    draw_on(fig.add_axes((0, 0, 1, 1)), lay)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi)
    return buf.getvalue()


def _draw_graphviz(dot: str, text: str, fmt: str) -> bytes:
    """Run ``dot -T<fmt>`` (argument list, no shell, a time limit) and return its output."""
    proc = subprocess.run([dot, f"-T{fmt}"], input=text.encode(), capture_output=True, timeout=60,
                          check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise RuntimeError(f"draw_graph: Graphviz's dot failed (exit {proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace').strip()[:300]}")
    return proc.stdout


def draw_graph(root: Tensor, path, renderer: str = "auto", dpi: int = 120) -> Path:
    """Draw the graph that computed ``root`` to ``path`` (.png, .svg or .pdf); returns the path.

    Parameters
    ----------
    root : Tensor
    path : str or Path
        The format is the suffix.  Written atomically.
    renderer : "auto" | "graphviz" | "matplotlib"
        "auto" uses Graphviz's ``dot`` when ``shutil.which("dot")`` finds it (and
        falls back to matplotlib, with a warning, if it fails); "graphviz"
        insists on it (``RuntimeError`` when missing); "matplotlib" never uses it.
    dpi : int
        Resolution of a matplotlib PNG.
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in ("png", "svg", "pdf"):
        raise ValueError(f"draw_graph: the file must end in .png, .svg or .pdf, got {path.name!r}")
    if renderer not in ("auto", "graphviz", "matplotlib"):
        raise ValueError(f"draw_graph: renderer must be 'auto', 'graphviz' or 'matplotlib', got {renderer!r}")
    dot = shutil.which("dot") if renderer != "matplotlib" else None
    if renderer == "graphviz" and dot is None:
        raise RuntimeError("draw_graph: renderer='graphviz' but Graphviz's dot program is not on PATH")
    data = None
    if dot is not None:
        try:
            data = _draw_graphviz(dot, to_dot(root), fmt)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
            if renderer == "graphviz":
                raise
            warnings.warn(f"{err}; drawing with matplotlib instead", RuntimeWarning, stacklevel=2)
    if data is None:
        data = _draw_matplotlib(root, fmt, dpi)
    return atomic_write(path, data)
