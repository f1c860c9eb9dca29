"""Higher-order derivatives of tanh by autograd, on one plot (L39, after L10).

The lecture uses tanh as an activation (L10) with tanh'(x) = 1 - tanh^2(x).
With ``create_graph=True`` the engine records its own backward pass, so the
derivative is again a graph that can be differentiated: the n-th derivative is
n backward passes, each through the graph the previous one built.  "Deep
Learning from Scratch 3" draws tanh and its first derivatives on one plot and
shows how fast the graph grows.

This experiment computes the derivatives of orders 1..``order`` on a grid with
``abcdl.autograd.grad``, checks orders 1-3 against the closed forms

    y' = 1 - y^2,   y'' = -2y (1 - y^2),   y''' = -2 (1 - y^2)(1 - 3y^2)     (y = tanh x)

and counts the operations in each derivative's graph.

Run::

    abcdl demo autograd-tanh [--order 4] [--x-max 4]
    python -m abcdl.experiments.autograd_tanh
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "autograd-tanh"
SPEC = ("L39",)
DESCRIPTION = "tanh and its derivatives of order 1..n by repeated autograd, checked against closed forms"

_TEXT = {
    "en": {"title": "$y = \\tanh x$ and its derivatives by autograd (create_graph=True)",
           "order0": "$y = \\tanh x$", "order": "order {k} ({ops} ops in its graph)", "x": "$x$",
           "check": "orders 1-3 against closed forms: largest error {err:.1e}"},
    "ko": {"title": "$y = \\tanh x$ 와 자동 미분으로 구한 고계 도함수 (create_graph=True)",
           "order0": "$y = \\tanh x$", "order": "{k}계 도함수 (그래프의 연산 {ops} 개)", "x": "$x$",
           "check": "1-3계를 해석적 도함수와 비교: 최대 오차 {err:.1e}"},
}


def closed_form(order: int, y: np.ndarray) -> np.ndarray:
    """The order-th derivative of tanh written with y = tanh x (orders 1-3)."""
    s = 1 - y * y                                                    # 1 - y^2 = tanh'
    return {1: s, 2: -2 * y * s, 3: -2 * s * (1 - 3 * y * y)}[order]


def derivatives(x: np.ndarray, order: int) -> tuple[list[np.ndarray], list[int]]:
    """[tanh x, tanh' x, ..., d^order tanh / dx^order] on ``x``, and the number of ops in each graph."""
    from .. import autograd as ag

    xt = ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    d = ag.tanh(xt)
    values, ops = [d.data], [1]
    for _ in range(order):
        # elementwise: d(sum_i d_i)/dx_j = d'(x_j); recorded, so that it can be differentiated again
        (d,) = ag.grad(d.sum(), [xt], create_graph=True)
        values.append(d.data)
        ops.append(len(ag.topological_order([d.creator])))
    return values, ops


def compute(*, order: int = 4, x_max: float = 4.0, n_points: int = 201) -> dict:
    """tanh and its derivatives up to ``order`` on [-x_max, x_max].

    Parameters
    ----------
    order : int
        The highest derivative (1..8).
    x_max : float
        Half-width of the plotted interval.
    n_points : int
        Grid points.

    Returns
    -------
    dict
        ``numbers``: ``max_error`` (orders 1-3 against the closed forms), ``ops_per_order``
        (operations in the graph of each derivative), ``values_at_0`` and ``extrema``
        (max |d^k tanh|) per order; ``highlights``; for the figure ``x`` and ``values``.
    """
    check_param(1 <= order <= 8, "order", f"must be in 1..8, got {order}")
    check_param(x_max > 0, "x_max", f"must be > 0, got {x_max:g}")
    check_param(n_points >= 11, "n_points", f"must be >= 11, got {n_points}")
    x = np.linspace(-x_max, x_max, n_points)
    values, ops = derivatives(x, order)
    err = max(float(np.abs(values[k] - closed_form(k, values[0])).max()) for k in range(1, min(order, 3) + 1))
    at0 = [float(np.interp(0.0, x, v)) for v in values]
    numbers = {"order": order, "max_error": err, "ops_per_order": ops, "values_at_0": at0,
               "extrema": [float(np.abs(v).max()) for v in values]}
    highlights = [
        f"derivatives of tanh up to order {order}; orders 1-3 against closed forms: largest error {err:.1e}",
        "operations in each derivative's graph: " + ", ".join(f"order {k}: {n}" for k, n in enumerate(ops)),
        "largest |d^k tanh/dx^k| on the grid: " + ", ".join(f"{v:.3f}" for v in numbers["extrema"]),
    ]
    return {"numbers": numbers, "highlights": highlights, "x": x, "values": values}


def draw(data: dict, style: FigureStyle) -> Figure:
    """Every derivative on one plot, labelled with the size of its graph."""
    t = style.labels(_TEXT)
    nb, x = data["numbers"], data["x"]
    with style.context():
        fig = style.figure(figsize=(8.5, 5.5))
        ax = fig.add_subplot()
        for k, v in enumerate(data["values"]):
            label = t["order0"] if k == 0 else t["order"].format(k=k, ops=nb["ops_per_order"][k])
            ax.plot(x, v, lw=2.2 if k == 0 else 1.4, color="k" if k == 0 else f"C{k - 1}", label=label)
        ax.axhline(0, color="gray", lw=0.6)
        ax.set_xlabel(t["x"])
        ax.set_title(t["title"])
        ax.legend(loc="upper left", fontsize=9)
        ax.text(0.98, 0.02, t["check"].format(err=nb["max_error"]), transform=ax.transAxes, ha="right",
                fontsize=8, bbox={"facecolor": "white", "alpha": 0.85, "lw": 0})
    return fig


def run(*, lang: str = "en", order: int = 4, x_max: float = 4.0, n_points: int = 201) -> Result:
    """tanh and its derivatives of order 1..n by repeated autograd (create_graph=True), on one plot.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(order=order, x_max=x_max, n_points=n_points)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
