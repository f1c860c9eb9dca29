"""Maximum likelihood: the box of fruit (lecture: 최대 가능도법, L14).

The slide draws 5 fruits from a box, 2 apples and 3 oranges, and asks for the
probability w of drawing an apple.  The likelihood of the draw is

    P(w) = C(5,2) w^2 (1-w)^3,
    log P(w) = log C(5,2) + 2 log w + 3 log(1-w),
    d log P / dw = 2/w - 3/(1-w) = 0   ->   w = 2/5.

The experiment evaluates P and log P on a fine grid, finds the maximum there,
compares it with the closed form k/n, and checks that the derivative (exact and
by a central difference, L19) vanishes at k/n.  The figure shows both curves
with the maximum marked.

Run::

    abcdl demo mle [--n 5] [--k 2] [--grid-points 10001] [--json] [--out DIR] [--lang ko]
    python -m abcdl.experiments.mle
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, figure_style, fmt, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "mle"
SPEC = ("L14",)
DESCRIPTION = "likelihood C(5,2) w^2 (1-w)^3 of 2 apples in 5 draws: maximum at w = 2/5"

_TEXT = {
    "en": {"title_p": "likelihood $P(w) = \\binom{{{n}}}{{{k}}} w^{{{k}}} (1-w)^{{{r}}}$",
           "title_logp": "log-likelihood $\\log P(w)$", "w": "$w$ = P(apple)",
           "max": "maximum $w = {k}/{n}$", "grid": "grid argmax {w:.4f}"},
    "ko": {"title_p": "가능도 $P(w) = \\binom{{{n}}}{{{k}}} w^{{{k}}} (1-w)^{{{r}}}$",
           "title_logp": "로그 가능도 $\\log P(w)$", "w": "$w$ = 사과를 꺼낼 확률",
           "max": "최대값 $w = {k}/{n}$", "grid": "격자 최대점 {w:.4f}"},
}


def likelihood(w, n: int = 5, k: int = 2):
    """P(w) = C(n,k) w^k (1-w)^(n-k): probability of k apples in n independent draws (L14)."""
    w = np.asarray(w, dtype=np.float64)
    return math.comb(n, k) * w**k * (1.0 - w) ** (n - k)


def log_likelihood(w, n: int = 5, k: int = 2):
    """log P(w) = log C(n,k) + k log w + (n-k) log(1-w)  (for 0 < w < 1)."""
    w = np.asarray(w, dtype=np.float64)
    return math.log(math.comb(n, k)) + k * np.log(w) + (n - k) * np.log1p(-w)


def dlog_likelihood(w, n: int = 5, k: int = 2):
    """d log P / dw = k/w - (n-k)/(1-w); zero at w = k/n."""
    w = np.asarray(w, dtype=np.float64)
    return k / w - (n - k) / (1.0 - w)


def compute(*, n: int = 5, k: int = 2, grid_points: int = 10001) -> dict:
    """Likelihood and log-likelihood of k apples in n draws, maximised on a grid and in closed form.

    Parameters
    ----------
    n, k : int
        Draws and apples among them (the slide: 5 and 2); 0 < k < n.
    grid_points : int
        Points of the grid over [0, 1] (>= 3); the grid argmax is within 1/(grid_points-1) of k/n.

    Returns
    -------
    dict
        ``numbers``: ``closed_form`` (k/n), ``argmax_grid``, ``max_likelihood`` (P(k/n)),
        ``dlogp_at_closed_form`` (exact derivative there, ~0), ``dlogp_numerical`` (central
        difference, h = 1e-4), ``log_likelihood_max`` and more; ``highlights``; for the figure
        the grid ``w`` with ``P`` on it, and ``inner`` (the grid without 0 and 1) with ``logP``.
    """
    check_param(isinstance(n, int) and n >= 2, "n", f"must be an integer >= 2, got {n!r}")
    check_param(isinstance(k, int) and 0 < k < n, "k", f"must be an integer with 0 < k < n = {n}, got {k!r}")
    check_param(grid_points >= 3, "grid_points", f"must be >= 3, got {grid_points}")
    check_count(grid_points, "grid_points", 3, 1_000_000, "memory")
    from ..numdiff import central_difference

    w = np.linspace(0.0, 1.0, grid_points)
    P = likelihood(w, n, k)                                   # P(w) = C(n,k) w^k (1-w)^(n-k)
    i = int(np.argmax(P))
    w_star = k / n                                            # d log P/dw = k/w - (n-k)/(1-w) = 0
    inner = w[1:-1]                                           # log P is -inf at w = 0 and 1
    logP = log_likelihood(inner, n, k)
    numbers = {
        "n": n, "k": k,
        "closed_form": w_star,
        "argmax_grid": float(w[i]),
        "grid_step": float(w[1] - w[0]),
        "max_likelihood": float(likelihood(w_star, n, k)),
        "log_likelihood_max": float(log_likelihood(w_star, n, k)),
        "argmax_log_grid": float(inner[int(np.argmax(logP))]),
        "dlogp_at_closed_form": float(dlog_likelihood(w_star, n, k)),
        "dlogp_numerical": float(central_difference(lambda v: log_likelihood(v, n, k), w_star)),
    }
    highlights = [
        f"P(w) = C({n},{k}) w^{k} (1-w)^{n - k} is largest at w = {numbers['argmax_grid']:.6g} on the grid "
        f"(step {numbers['grid_step']:.1e})",
        f"closed form k/n = {k}/{n} = {w_star:.6g}; P(k/n) = {fmt(numbers['max_likelihood'], 6)}",
        f"d log P/dw at k/n: exact {numbers['dlogp_at_closed_form']:.3g}, "
        f"central difference {numbers['dlogp_numerical']:.3g}",
    ]
    return {"numbers": numbers, "highlights": highlights, "w": w, "P": P, "inner": inner, "logP": logP}


def draw(data: dict, style: FigureStyle) -> Figure:
    """P(w) (left) and log P(w) (right), the maximum k/n marked on both and the grid argmax on P."""
    t = style.labels(_TEXT)
    numbers = data["numbers"]
    n, k, w_star = numbers["n"], numbers["k"], numbers["closed_form"]
    with style.context():
        fig = style.figure(figsize=(10, 3.8))
        ax1, ax2 = fig.subplots(1, 2)
        ax1.plot(data["w"], data["P"], color="C0")
        ax2.plot(data["inner"], data["logP"], color="C1")
        for ax, y in ((ax1, numbers["max_likelihood"]), (ax2, numbers["log_likelihood_max"])):
            ax.axvline(w_star, color="k", ls="--", lw=1, label=t["max"].format(k=k, n=n))
            ax.plot([w_star], [y], "o", color="k")
            ax.set_xlabel(t["w"])
            ax.set_xlim(0, 1)
        ax1.plot([numbers["argmax_grid"]], [data["P"].max()], "x", color="C3", ms=9,
                 label=t["grid"].format(w=numbers["argmax_grid"]))
        top = numbers["log_likelihood_max"]
        ax2.set_ylim(max(float(data["logP"].min()), top - 12), top + 1)
        ax1.set_title(t["title_p"].format(n=n, k=k, r=n - k))
        ax2.set_title(t["title_logp"])
        ax1.legend(loc="upper right")
        ax2.legend(loc="lower center")
    return fig


def run(*, lang: str = "en", n: int = 5, k: int = 2, grid_points: int = 10001) -> Result:
    """Likelihood and log-likelihood of k apples in n draws, maximised on a grid and in closed form.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(n=n, k=k, grid_points=grid_points)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
