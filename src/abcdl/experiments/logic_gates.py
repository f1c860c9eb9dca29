"""Logic gates as perceptrons: OR, AND, NAND with the lecture's weights (lecture: 퍼셉트론, L6).

A gate is a perceptron on x1, x2 in {0, 1}: z = w0 + w1 x1 + w2 x2, output 1 if
z > 0 else 0 (the slide writes sign(z) = +1 / -1).  Its decision line
w0 + w1 x1 + w2 x2 = 0 cuts the unit square so that the inputs with output 1 lie
on the positive side.  The lecture's weights:

    OR    (w0, w1, w2) = (-2, 3, 3):  z = -2, 1, 1, 4   for 00, 01, 10, 11
    AND   (-4, 3, 3):                 z = -4, -1, -1, 2
    NAND  (4, -3, -3) ("NOT AND"):    z = 4, 1, 1, -2

(The AND slide prints the OR formula sign[3x1 + 3x2 - 2] by mistake; its own
arithmetic, 3x0 + 3x0 - 4 = -4 and so on, uses (-4, 3, 3).  NAND is not on a
slide of its own: its weights are fixed by the pre-activations +4, +1, +1, -2 of
the XOR table, L9.)  The gates are :data:`abcdl.models.OR`, ``AND`` and ``NAND``.

Run::

    abcdl demo logic-gates
    python -m abcdl.experiments.logic_gates
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "logic-gates"
SPEC = ("L6",)
DESCRIPTION = "OR, AND, NAND as perceptrons with the lecture's weights: truth tables and decision lines"

GATES = ("OR", "AND", "NAND")

_TEXT = {
    "en": {"title": "{name}: $z = {w0:+g} {w1:+g}x_1 {w2:+g}x_2$", "x1": "$x_1$", "x2": "$x_2$",
           "one": "output 1 ($z > 0$)", "zero": "output 0 ($z \\leq 0$)", "line": "decision line $z = 0$"},
    "ko": {"title": "{name}: $z = {w0:+g} {w1:+g}x_1 {w2:+g}x_2$", "x1": "$x_1$", "x2": "$x_2$",
           "one": "출력 1 ($z > 0$)", "zero": "출력 0 ($z \\leq 0$)", "line": "결정 경계 $z = 0$"},
}


def compute(*, gates: tuple = GATES) -> dict:
    """Truth tables of the lecture's gates.

    Parameters
    ----------
    gates : tuple of str
        Which of "OR", "AND", "NAND" to show (default all three, in the lecture's order).

    Returns
    -------
    dict
        ``numbers``: ``tables``, {gate: {"w": [w0, w1, w2], "inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
        "z": [...], "sign": [-1/+1, ...], "output": [0/1, ...]}} (NumPy arrays until the Result
        converts them), which the figure draws; ``highlights``.
    """
    check_param(len(gates) >= 1 and all(g in GATES for g in gates), "gates",
                f"must be one or more of {', '.join(GATES)}, got {gates}")
    from .. import models

    tables = {}
    for name in gates:
        gate = getattr(models, name)
        tt = gate.truth_table()                                  # z = w0 + w1 x1 + w2 x2, output step(z)
        tables[name] = {"w": gate.w, "inputs": tt.inputs, "z": tt.z, "sign": np.where(tt.z > 0, 1, -1),
                        "output": tt.output}
    highlights = []
    for name, tb in tables.items():
        cells = ", ".join(f"{a}{b}: {o} ({z:+g})" for (a, b), z, o in zip(tb["inputs"].tolist(), tb["z"],
                                                                           tb["output"], strict=True))
        highlights.append(f"{name:<4} w = ({', '.join(f'{v:g}' for v in tb['w'])}): {cells}")
    return {"numbers": {"tables": tables}, "highlights": highlights}


def draw(data: dict, style: FigureStyle) -> Figure:
    """One panel a gate: its decision line, the half-planes and the four inputs with their z."""
    t = style.labels(_TEXT)
    tables = data["numbers"]["tables"]
    with style.context():
        fig = style.figure(figsize=(4 * len(tables), 4.2))
        axes = np.atleast_1d(fig.subplots(1, len(tables)))
        for ax, (name, tb) in zip(axes, tables.items(), strict=True):
            _draw_gate(ax, name, tb, t)
    return fig


def run(*, lang: str = "en", gates: tuple = GATES) -> Result:
    """Truth tables and decision lines of the lecture's gates.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(gates=gates)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


def _draw_gate(ax, name: str, tb: dict, t: dict) -> None:
    w0, w1, w2 = (float(v) for v in tb["w"])
    lo, hi = -0.4, 1.4
    gx, gy = np.meshgrid(np.linspace(lo, hi, 200), np.linspace(lo, hi, 200))
    z = w0 + w1 * gx + w2 * gy                                   # z over the plane
    ax.contourf(gx, gy, (z > 0).astype(float), levels=[-0.5, 0.5, 1.5], colors=["#f4d6d6", "#d6e4f4"],
                alpha=0.8)
    xs = np.array([lo, hi])
    ax.plot(xs, -(w0 + w1 * xs) / w2, color="k", lw=1.5, label=t["line"])   # x2 = -(w0 + w1 x1) / w2
    X, out, zs = np.asarray(tb["inputs"]), np.asarray(tb["output"]), np.asarray(tb["z"])
    ax.scatter(*X[out == 1].T, s=90, color="C0", marker="o", label=t["one"], zorder=3)
    ax.scatter(*X[out == 0].T, s=90, color="C3", marker="X", label=t["zero"], zorder=3)
    for (a, b), zv in zip(X, zs, strict=True):
        ax.annotate(f"z = {zv:+g}", (a, b), xytext=(7, 7), textcoords="offset points", fontsize=8)
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_aspect("equal")
    ax.set_xticks([0, 1])
    ax.set_yticks([0, 1])
    ax.set_xlabel(t["x1"])
    ax.set_ylabel(t["x2"])
    ax.set_title(t["title"].format(name=name, w0=w0, w1=w1, w2=w2))
    ax.legend(loc="lower left", fontsize=7)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
