"""docs/autograd.md ("By hand and by machine", L39): each full code block runs and prints what it shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "autograd.md"
NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?|True|False")


def blocks() -> list[tuple[str, str | None]]:
    """(code, printed output or None) for each ```python block that is not an excerpt of a method."""
    parts = re.findall(r"```(\w*)\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    out = []
    for i, (lang, body) in enumerate(parts):
        if lang != "python" or "self" in body:
            continue
        nxt = parts[i + 1] if i + 1 < len(parts) else ("python", "")
        out.append((body, nxt[1] if nxt[0] == "" else None))
    return out


def _values(text: str) -> list:
    return [t if t in ("True", "False") else float(t) for t in NUMBER.findall(text)]


def test_autograd_docs_blocks_run_and_print_what_the_page_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    found = blocks()
    assert len(found) >= 6 and sum(o is not None for _, o in found) >= 5
    namespace: dict = {}
    for code, shown in found:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(code, str(DOC), "exec"), namespace)     # noqa: S102 (our own documentation)
        if shown is None:
            continue
        got, want = _values(buf.getvalue()), _values(shown)
        assert len(got) == len(want), (buf.getvalue(), shown)
        for g, w in zip(got, want, strict=True):
            if isinstance(w, str):
                assert g == w
            else:
                assert g == pytest.approx(w, rel=1e-6, abs=1e-12), (buf.getvalue(), shown)
    assert (tmp_path / "mlp.abcdl").exists() and np.isfinite(namespace["J"])
