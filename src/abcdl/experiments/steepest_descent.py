"""The directional derivative and the direction of steepest descent (lecture: 방향 미분, 경사하강법, L23).

For a function of two variables the slide takes the partial derivatives
grad f = (df/dx, df/dy) and the rate of change along a unit vector u,

    D_u f = lim_{h->0} (f(X + h u) - f(X)) / h = grad f . u = ||grad f|| cos(theta),

theta being the angle between u and grad f.  D_u f is smallest, -||grad f||, at
theta = pi, i.e. along u = -grad f / ||grad f||: the negative gradient is the
direction of steepest descent, which gradient descent follows (X <- X - alpha grad f).

The experiment takes the lecture's f(x, y) = x^2/20 + y^2 at the optimizers' start
(-7, 2) (and at a second point), evaluates D_u f for ``n_directions`` unit vectors
u = (cos theta, sin theta) around the circle, both as grad f . u and as a central
difference (f(X + h u) - f(X - h u)) / 2h (L19), and reports the direction where it
is smallest, its value, and how far both are from -grad f/||grad f|| and -||grad f||.
The figure draws the fan of directions over the contour plot, coloured by D_u f, and
D_u f against theta with its minimum.

Run::

    abcdl demo steepest-descent [--points -7,2,3,-1] [--n-directions 360]
    python -m abcdl.experiments.steepest_descent
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "steepest-descent"
SPEC = ("L23",)
DESCRIPTION = "directional derivative D_u f = grad f . u over all unit u: least along -grad f, = -||grad f||"

_TEXT = {
    "en": {"fan": "$D_u f$ over unit directions $u$ at $X$", "x": "$x$", "y": "$y$",
           "grad": "$\\nabla f$", "neg": "$-\\nabla f$ (steepest descent)",
           "theta": "angle $\\theta$ of $u$ (degrees)",
           "du": "$D_u f = \\nabla f \\cdot u$", "curve": "$D_u f$ at $X$ = ({x:g}, {y:g})",
           "num": "central difference", "min": "min {v:.4f} at {a:.1f}°", "norm": "$-\\|\\nabla f\\|$"},
    "ko": {"fan": "점 $X$ 에서 단위 방향 $u$ 별 방향 미분 $D_u f$", "x": "$x$", "y": "$y$",
           "grad": "$\\nabla f$", "neg": "$-\\nabla f$ (가장 가파른 하강)",
           "theta": "$u$ 의 각도 $\\theta$ (도)",
           "du": "$D_u f = \\nabla f \\cdot u$", "curve": "$X$ = ({x:g}, {y:g}) 에서 $D_u f$",
           "num": "중심차분", "min": "최소 {v:.4f}, {a:.1f}°", "norm": "$-\\|\\nabla f\\|$"},
}


def unit_directions(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` angles theta_k = 2 pi k / n and unit vectors u_k = (cos theta_k, sin theta_k), shape (n, 2)."""
    theta = 2 * np.pi * np.arange(n) / n
    return theta, np.column_stack([np.cos(theta), np.sin(theta)])


def directional_derivative(grad, u) -> np.ndarray:
    """D_u f = grad f . u for unit vector(s) ``u`` (L23).

    Shapes: grad (d,), u (d,) or (n, d) -> scalar or (n,).  ``u`` must have norm 1.
    """
    grad = np.asarray(grad, dtype=np.float64)
    u = np.asarray(u, dtype=np.float64)
    norms = np.linalg.norm(u, axis=-1)
    if not np.allclose(norms, 1.0, rtol=0, atol=1e-12):
        raise ValueError(f"u must be unit vectors (norm 1), got norms {norms.min():g} to {norms.max():g}")
    return u @ grad                                                      # D_u f = grad f . u


def numerical_directional_derivative(f, X, u, h: float = 1e-5) -> np.ndarray:
    """(f(X + h u) - f(X - h u)) / 2h for each row of ``u`` (L19's central difference along u)."""
    X = np.asarray(X, dtype=np.float64)
    u = np.atleast_2d(np.asarray(u, dtype=np.float64))
    plus, minus = X + h * u, X - h * u
    return (f(plus[:, 0], plus[:, 1]) - f(minus[:, 0], minus[:, 1])) / (2 * h)


def steepest_direction(grad) -> np.ndarray:
    """u* = -grad f / ||grad f||, the unit direction of steepest descent."""
    grad = np.asarray(grad, dtype=np.float64)
    norm = np.linalg.norm(grad)
    if norm == 0:
        raise ValueError("grad f = 0 (a stationary point): every direction has D_u f = 0")
    return -grad / norm


def compute(*, points: tuple = (-7.0, 2.0, 3.0, -1.0), n_directions: int = 360, h: float = 1e-5) -> dict:
    """D_u f over ``n_directions`` unit vectors at each point of f(x, y) = x^2/20 + y^2.

    Parameters
    ----------
    points : tuple of float
        x1, y1, x2, y2, ...: the points X (the first is the optimizers' start (-7, 2)).
    n_directions : int
        Unit vectors u_k = (cos theta_k, sin theta_k), theta_k = 2 pi k / n.
    h : float
        Step of the central difference along u.

    Returns
    -------
    dict
        ``numbers``: ``points`` (list of {"X", "grad", "grad_norm", "theta_min_deg" (the grid
        direction with the least D_u f), "theta_steepest_deg" (the angle of -grad f), "angle_error_deg",
        "D_min" (least D_u f on the grid), "D_steepest" (D_u f at u = -grad f/||grad f||, = -||grad f||),
        "max_numeric_diff" (formula vs central difference)}); ``highlights``; for the figure
        ``theta`` and ``curves`` (per point: "formula", "numeric").
    """
    check_param(len(points) >= 2 and len(points) % 2 == 0 and all(math.isfinite(v) for v in points), "points",
                f"must be pairs x,y of finite numbers, got {points}")
    check_param(8 <= n_directions <= 100_000, "n_directions", f"must be in [8, 1e5], got {n_directions}")
    check_param(0 < h < 1, "h", f"must be in (0, 1), got {h}")
    from .optimizers_2d import f, grad_f

    theta, U = unit_directions(n_directions)
    rows, curves = [], []
    for X in np.asarray(points, dtype=np.float64).reshape(-1, 2):
        g = grad_f(X)                                                    # grad f = (x/10, 2y)
        check_param(np.linalg.norm(g) > 0, "points", f"{tuple(X)} is the minimum: grad f = 0")
        D = directional_derivative(g, U)                                 # D_u f = grad f . u
        Dn = numerical_directional_derivative(f, X, U, h)
        k = int(np.argmin(D))
        u_star = steepest_direction(g)
        t_star = math.degrees(math.atan2(u_star[1], u_star[0])) % 360
        rows.append({"X": X.tolist(), "grad": g.tolist(), "grad_norm": float(np.linalg.norm(g)),
                     "theta_min_deg": math.degrees(theta[k]), "theta_steepest_deg": t_star,
                     "angle_error_deg": abs((math.degrees(theta[k]) - t_star + 180) % 360 - 180),
                     "D_min": float(D[k]), "D_steepest": float(directional_derivative(g, u_star)),
                     "max_numeric_diff": float(np.max(np.abs(D - Dn)))})
        curves.append({"formula": D, "numeric": Dn})
    numbers = {"function": "x^2/20 + y^2", "n_directions": n_directions, "h": h, "points": rows}
    return {"numbers": numbers, "highlights": _highlights(numbers), "theta": theta, "curves": curves}


def _highlights(nb: dict) -> list[str]:
    lines = [f"f(x, y) = {nb['function']}, D_u f = grad f . u for {nb['n_directions']} unit vectors u"]
    for r in nb["points"]:
        lines.append(f"X = {tuple(r['X'])}: grad f = {tuple(np.round(r['grad'], 4).tolist())}, least D_u f "
                     f"{r['D_min']:.4f} at {r['theta_min_deg']:.1f} deg; -grad f/||grad f|| points at "
                     f"{r['theta_steepest_deg']:.2f} deg with D_u f = {r['D_steepest']:.4f} = -||grad f|| "
                     f"(= {-r['grad_norm']:.4f}); formula vs central difference {r['max_numeric_diff']:.1e}")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """Left: the directions at each point over the contours, coloured by D_u f; right: D_u f against theta."""
    t = style.labels(_TEXT)
    nb, theta, curves = data["numbers"], data["theta"], data["curves"]
    with style.context():
        fig = style.figure(figsize=(12, 4.4))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
        sc = _draw_fan(ax1, nb, theta, curves, t)
        fig.colorbar(sc, ax=ax1, label=t["du"], shrink=0.9)
        deg = np.degrees(theta)
        for i, (r, c) in enumerate(zip(nb["points"], curves, strict=True)):
            ax2.plot(deg, c["formula"], color=f"C{i}", lw=1.5,
                     label=t["curve"].format(x=r["X"][0], y=r["X"][1]))
            ax2.plot(deg[::15], c["numeric"][::15], "o", color=f"C{i}", ms=3.5, mfc="none",
                     label=t["num"] if i == 0 else None)
            ax2.plot([r["theta_steepest_deg"]], [r["D_steepest"]], "*", color=f"C{i}", ms=12, mec="k")
            ax2.axhline(-r["grad_norm"], color=f"C{i}", ls=":", lw=0.9)
            ax2.annotate(t["min"].format(v=r["D_min"], a=r["theta_min_deg"]),
                         (r["theta_steepest_deg"], r["D_steepest"]), xytext=(8, 6),
                         textcoords="offset points", fontsize=7.5, color=f"C{i}")
        ax2.plot([], [], ":", color="0.4", label=t["norm"])
        ax2.axhline(0, color="k", lw=0.6)
        ax2.set_xlim(0, 360)
        ax2.set_xticks(range(0, 361, 90))
        ax2.set_xlabel(t["theta"])
        ax2.set_ylabel(t["du"])
        ax2.legend(loc="upper right", fontsize=7)
    return fig


def _draw_fan(ax, nb: dict, theta, curves, t: dict):
    """Contours of f, every point's unit directions coloured by D_u f, and grad f and -grad f arrows."""
    from .optimizers_2d import f

    gx, gy = np.meshgrid(np.linspace(-9.5, 6, 200), np.linspace(-4.2, 4.2, 160))
    ax.contour(gx, gy, f(gx, gy), levels=np.geomspace(0.1, 12, 10), colors="0.75", linewidths=0.6)
    lo = min(float(c["formula"].min()) for c in curves)
    hi = max(float(c["formula"].max()) for c in curves)
    step = max(1, len(theta) // 48)
    sc = None
    for r, c in zip(nb["points"], curves, strict=True):
        X = np.asarray(r["X"])
        U = np.column_stack([np.cos(theta), np.sin(theta)])[::step]
        sc = ax.scatter(X[0] + 0.7 * U[:, 0], X[1] + 0.7 * U[:, 1], c=c["formula"][::step], cmap="coolwarm",
                        vmin=lo, vmax=hi, s=14, zorder=3)
        g = np.asarray(r["grad"]) / r["grad_norm"]
        for sign, color in ((1, "C3"), (-1, "C0")):                  # grad f and -grad f, over the ring
            ax.annotate("", X + sign * 1.8 * g, X, zorder=4,
                        arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.8})
        ax.plot(*X, "ko", ms=4)
    ax.plot([], [], color="C3", label=t["grad"])
    ax.plot([], [], color="C0", label=t["neg"])
    ax.set_aspect("equal")
    ax.set_xlabel(t["x"])
    ax.set_ylabel(t["y"])
    ax.set_title(t["fan"])
    ax.legend(loc="lower right", fontsize=7.5)
    return sc


def run(*, lang: str = "en", points: tuple = (-7.0, 2.0, 3.0, -1.0), n_directions: int = 360,
        h: float = 1e-5) -> Result:
    """The directional derivative D_u f over all unit directions: least along -grad f, equal to -||grad f||.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(points=points, n_directions=n_directions, h=h)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
