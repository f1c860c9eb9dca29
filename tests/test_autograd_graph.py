"""The graph as a picture (L39): DOT text, Graphviz when present, matplotlib otherwise."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from abcdl import Parameter
from abcdl import autograd as ag

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def small_net():
    W = ag.param(Parameter(np.ones((3, 2)), name="W"))
    b = ag.tensor(np.zeros(3), requires_grad=True, name="b")
    x = ag.tensor(np.ones((4, 2)), name="x")
    h = ag.tanh(ag.linear(x, W, b))
    return ag.softmax_cross_entropy(h * h, np.array([0, 1, 2, 0]))


def test_autograd_graph_to_dot_lists_every_node_and_edge():
    dot = ag.to_dot(small_net())
    assert dot.startswith("digraph autograd {") and dot.rstrip().endswith("}")
    for op in ("Linear", "Tanh", "Mul", "SoftmaxCrossEntropy"):
        assert f'label="{op}", shape=box' in dot
    for leaf in ('"W\\n3x2"', '"b\\n3"', '"x\\n4x2"'):
        assert f"label={leaf}" in dot
    assert dot.count("shape=box") == 4 and dot.count("shape=ellipse") == 7   # 3 leaves, 3 values, loss
    assert dot.count(" -> ") == 4 + 3 + 1 + 2 + 1        # outputs, Linear's 3 inputs, Tanh, Mul (h twice), CE
    assert "#c8ecc8" in dot and "#c8dcf8" in dot and "#ffffff" in dot   # Parameter, leaf, constant


def test_autograd_graph_marks_freed_ops():
    loss = small_net()
    loss.backward()
    assert "SoftmaxCrossEntropy (freed)" in ag.to_dot(loss)


def test_autograd_graph_matplotlib_drawing(tmp_path):
    path = ag.draw_graph(small_net(), tmp_path / "net.png", renderer="matplotlib")
    assert path.read_bytes().startswith(PNG_MAGIC)
    svg = ag.draw_graph(small_net(), tmp_path / "net.svg", renderer="matplotlib").read_text()
    assert "<svg" in svg and "Tanh" in svg


def _fake_dot(folder, script: str):
    """A stand-in ``dot`` program on PATH (the real one need not be installed)."""
    exe = folder / "dot"
    exe.write_text(f"#!{sys.executable}\n{script}")
    exe.chmod(0o755)
    return exe


def test_autograd_graph_uses_graphviz_when_found(tmp_path, monkeypatch):
    log = tmp_path / "args.txt"
    _fake_dot(tmp_path, "import sys\n"
                        f"open({str(log)!r}, 'w').write(' '.join(sys.argv[1:]) + '\\n' + sys.stdin.read())\n"
                        "sys.stdout.buffer.write(b'RENDERED')\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    out = ag.draw_graph(small_net(), tmp_path / "g.svg")
    assert out.read_bytes() == b"RENDERED"
    args, dot_text = log.read_text().split("\n", 1)
    assert args == "-Tsvg" and dot_text == ag.to_dot(small_net())


def test_autograd_graph_falls_back_when_graphviz_fails(tmp_path, monkeypatch):
    _fake_dot(tmp_path, "import sys\nsys.stderr.write('broken install')\nsys.exit(3)\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.warns(RuntimeWarning, match="broken install"):
        out = ag.draw_graph(small_net(), tmp_path / "g.png")
    assert out.read_bytes().startswith(PNG_MAGIC)
    with pytest.raises(RuntimeError, match="exit 3"):
        ag.draw_graph(small_net(), tmp_path / "h.png", renderer="graphviz")


def test_autograd_graph_graphviz_required_but_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="not on PATH"):
        ag.draw_graph(small_net(), tmp_path / "g.png", renderer="graphviz")
    with pytest.raises(ValueError, match=r"\.png, \.svg or \.pdf"):
        ag.draw_graph(small_net(), tmp_path / "g.jpg")


def test_autograd_graph_import_does_not_load_matplotlib():
    code = "import sys, abcdl.autograd; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.split() == ["False"]


def test_autograd_graph_package_imports_only_the_allowed_abcdl_modules():
    """The engine and ops stand on their own (Parameter, im2col, _config, _io); only nn.py, the bridge to
    the hand-written world, imports layers, losses, Sequential and Module (none of which imports autograd)."""
    allowed = {"parameter", "im2col", "_config", "_io", "_types"}
    bridge = allowed | {"layers", "losses", "models.sequential", "module"}
    for path in Path(ag.__file__).parent.glob("*.py"):
        ok = bridge if path.name == "nn.py" else allowed
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 2:
                assert node.module in ok, f"{path.name} imports abcdl.{node.module}"
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                assert not node.module.startswith("abcdl"), f"{path.name} imports {node.module}"
    root = Path(ag.__file__).parent.parent
    for f in [*(root / "layers").rglob("*.py"), *(root / "models").rglob("*.py"), root / "losses.py",
              root / "module.py"]:
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [getattr(node, "module", None) or ""] + [a.name for a in node.names]
                assert not any("autograd" in n for n in names), f"{f.name} imports autograd"
