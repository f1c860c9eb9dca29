"""Autograd on the classic test functions: sphere, Matyas, Goldstein-Price and Rosenbrock (L39).

"Deep Learning from Scratch 3" tests its define-by-run engine on functions whose
gradients are known: at (x, y) = (1, 1) the sphere z = x^2 + y^2 has gradient
(2, 2), Matyas z = 0.26 (x^2 + y^2) - 0.48 x y has (0.04, 0.04), and the
Goldstein-Price function, a product of two long polynomials that nobody wants
to differentiate by hand, has (-5376, 8064).  Then it minimises the Rosenbrock
function y = 100 (x1 - x0^2)^2 + (1 - x0)^2 from (0, 2) by gradient descent
with learning rate 0.001: the curved, flat valley makes plain gradient descent
slow (the book needs 50,000 steps to reach the minimum (1, 1)).

This experiment computes every gradient with ``abcdl.autograd`` (each function
is written once, with ``+ - * **``; the engine finds its derivative), checks
them against the closed forms (sphere, Matyas, Rosenbrock) and a central
difference (Goldstein-Price), draws the gradient fields on grids (one backward
pass each: the functions act elementwise) and the descent path on Rosenbrock.

Run::

    abcdl demo autograd-functions [--point 1,1] [--steps 10000] [--lr 0.001]
    python -m abcdl.experiments.autograd_functions
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "autograd-functions"
SPEC = ("L39",)
DESCRIPTION = "autograd gradients of sphere, Matyas, Goldstein-Price; gradient descent on Rosenbrock"

_TEXT = {
    "en": {"sphere": "sphere $x^2+y^2$", "matyas": "Matyas $0.26(x^2+y^2)-0.48xy$",
           "goldstein_price": "Goldstein-Price (contours of log $z$)",
           "rosenbrock": "gradient descent on Rosenbrock, lr {lr:g}",
           "grad": "$\\nabla z$ at $({x:g}, {y:g})$ = ({gx:.4g}, {gy:.4g})", "path": "{n:,} steps",
           "start": "start", "minimum": "minimum (1, 1)", "end": "after {n:,} steps: ({x0:.3f}, {x1:.3f})"},
    "ko": {"sphere": "구 함수 $x^2+y^2$", "matyas": "Matyas 함수 $0.26(x^2+y^2)-0.48xy$",
           "goldstein_price": "Goldstein-Price 함수 (log $z$ 등고선)",
           "rosenbrock": "Rosenbrock 함수의 경사하강법, 학습률 {lr:g}",
           "grad": "$({x:g}, {y:g})$ 의 기울기 = ({gx:.4g}, {gy:.4g})", "path": "{n:,} 단계",
           "start": "시작점", "minimum": "최솟값 (1, 1)", "end": "{n:,} 단계 후: ({x0:.3f}, {x1:.3f})"},
}

FUNCTIONS = ("sphere", "matyas", "goldstein_price")


def sphere(x, y):
    """z = x^2 + y^2 (Tensors or arrays)."""
    return x ** 2 + y ** 2


def matyas(x, y):
    """z = 0.26 (x^2 + y^2) - 0.48 x y."""
    return 0.26 * (x ** 2 + y ** 2) - 0.48 * x * y


def goldstein_price(x, y):
    """z = [1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)]
         * [30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]."""
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)
    return a * b


def rosenbrock(x0, x1):
    """y = 100 (x1 - x0^2)^2 + (1 - x0)^2, minimal (0) at (1, 1)."""
    return 100 * (x1 - x0 ** 2) ** 2 + (1 - x0) ** 2


def closed_form_gradient(name: str, x: float, y: float) -> tuple[float, float]:
    """The gradient derived by hand (sphere, Matyas, Rosenbrock)."""
    if name == "sphere":
        return 2 * x, 2 * y                                          # (2x, 2y)
    if name == "matyas":
        return 0.52 * x - 0.48 * y, 0.52 * y - 0.48 * x              # (0.52x - 0.48y, 0.52y - 0.48x)
    return -400 * x * (y - x ** 2) - 2 * (1 - x), 200 * (y - x ** 2)   # Rosenbrock


def autograd_gradient(f, x, y) -> tuple[np.ndarray, np.ndarray]:
    """(dz/dx, dz/dy) of ``f`` at every point of the arrays ``x``, ``y``: one backward pass of sum(z)."""
    from .. import autograd as ag

    xt = ag.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    yt = ag.tensor(np.asarray(y, dtype=np.float64), requires_grad=True)
    f(xt, yt).sum().backward()                                      # elementwise f: d sum(z)/dx_i = dz_i/dx_i
    return xt.grad.data, yt.grad.data


def descend(start, lr: float, steps: int, keep: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent x <- x - lr dy/dx on Rosenbrock from ``start``: (end point, path: <= keep points)."""
    from .. import autograd as ag

    x0 = ag.tensor(np.array(start[0], dtype=np.float64), requires_grad=True)
    x1 = ag.tensor(np.array(start[1], dtype=np.float64), requires_grad=True)
    every = max(1, steps // keep)
    path = [(x0.item(), x1.item())]
    for k in range(steps):
        x0.grad = x1.grad = None
        rosenbrock(x0, x1).backward()                               # dy/dx0, dy/dx1 by the engine
        x0.data = x0.data - lr * x0.grad.data                       # x <- x - lr dy/dx
        x1.data = x1.data - lr * x1.grad.data
        if (k + 1) % every == 0 or k + 1 == steps:
            path.append((x0.item(), x1.item()))
    return np.array(path[-1]), np.array(path)


def _check(point, steps, lr, start, grid) -> None:
    check_param(len(point) == 2, "point", f"must be two numbers x,y, got {point}")
    check_param(len(start) == 2, "start", f"must be two numbers x0,x1, got {start}")
    check_param(steps >= 1, "steps", f"must be >= 1, got {steps}")
    check_param(0 < lr < 0.0025, "lr", f"must be in (0, 0.0025) (larger rates diverge here), got {lr:g}")
    check_param(grid >= 5, "grid", f"must be >= 5, got {grid}")


def compute(*, point: tuple = (1.0, 1.0), steps: int = 10000, lr: float = 0.001,
            start: tuple = (0.0, 2.0), grid: int = 15) -> dict:
    """Gradients by autograd at ``point`` and on a grid; gradient descent on Rosenbrock.

    Parameters
    ----------
    point : (float, float)
        Where the three gradients are reported (the book's (1, 1)).
    steps, lr : int, float
        Gradient-descent steps and learning rate on Rosenbrock (the book: 0.001;
        it shows 1,000, 10,000 and 50,000 steps).
    start : (float, float)
        The descent's starting point (the book's (0, 2)).
    grid : int
        Arrows per axis of the gradient fields.

    Returns
    -------
    dict
        ``numbers``: ``gradients`` {function: [dz/dx, dz/dy]} at ``point``, ``reference``
        (closed forms; a central difference for Goldstein-Price), ``max_rel_error``,
        ``rosenbrock_end``, ``distance_to_minimum``, ``rosenbrock_grad_check`` (autograd
        against the closed form at the end point); ``highlights``; for the figure
        ``fields`` {function: (X, Y, dX, dY)} and ``path`` (points of the descent).
    """
    _check(point, steps, lr, start, grid)
    from ..numdiff import central_difference

    x, y = (float(v) for v in point)
    grads, ref = {}, {}
    for name in FUNCTIONS:
        f = globals()[name]
        gx, gy = autograd_gradient(f, x, y)
        grads[name] = [float(gx), float(gy)]
        if name == "goldstein_price":                                # too long to differentiate by hand
            ref[name] = [float(central_difference(lambda u, f=f: f(u, y), x, 1e-6)),
                         float(central_difference(lambda v, f=f: f(x, v), y, 1e-6))]
        else:
            ref[name] = list(closed_form_gradient(name, x, y))
    err = {n: float(np.max(np.abs(np.subtract(grads[n], ref[n]))) / max(np.max(np.abs(ref[n])), 1e-300))
           for n in FUNCTIONS}
    end, path = descend(start, lr, steps)
    g_end = autograd_gradient(rosenbrock, end[0], end[1])
    rosen_check = float(np.max(np.abs(np.subtract(g_end, closed_form_gradient("rosenbrock", *end)))))
    numbers = {"point": [x, y], "gradients": grads, "reference": ref, "max_rel_error": err,
               "lr": lr, "steps": steps, "start": list(start), "rosenbrock_end": end.tolist(),
               "distance_to_minimum": float(np.hypot(end[0] - 1, end[1] - 1)),
               "rosenbrock_grad_check": rosen_check}
    return {"numbers": numbers, "highlights": _highlights(numbers), "fields": _fields(grid), "path": path}


def _fields(n: int) -> dict:
    """The gradient of each function on an n x n grid around its interesting region (one backward each)."""
    boxes = {"sphere": (-2, 2, -2, 2), "matyas": (-2, 2, -2, 2), "goldstein_price": (-2, 2, -3, 1.5)}
    out = {}
    for name, (x0, x1, y0, y1) in boxes.items():
        X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
        dX, dY = autograd_gradient(globals()[name], X, Y)
        out[name] = (X, Y, dX, dY)
    return out


def _highlights(nb: dict) -> list[str]:
    x, y = nb["point"]
    lines = [f"gradients at ({x:g}, {y:g}) by autograd: " + ", ".join(
        f"{n} ({g[0]:.6g}, {g[1]:.6g})" for n, g in nb["gradients"].items())
        + "  (book: (2, 2), (0.04, 0.04), (-5376, 8064))",
        "largest relative error against the closed forms / a central difference: "
        + ", ".join(f"{n} {e:.1e}" for n, e in nb["max_rel_error"].items())]
    e = nb["rosenbrock_end"]
    lines.append(f"Rosenbrock from {tuple(nb['start'])}, lr {nb['lr']:g}: after {nb['steps']:,} steps "
                 f"({e[0]:.4f}, {e[1]:.4f}), {nb['distance_to_minimum']:.3g} from the minimum (1, 1)")
    return lines


def _draw_field(ax, name: str, field, point, grad, t: dict) -> None:
    X, Y, dX, dY = field
    xs, ys = np.linspace(X.min(), X.max(), 200), np.linspace(Y.min(), Y.max(), 200)
    XX, YY = np.meshgrid(xs, ys)
    Z = globals()[name](XX, YY)
    ax.contour(XX, YY, np.log10(Z) if name == "goldstein_price" else Z, levels=12, cmap="viridis",
               linewidths=0.8)
    norm = np.hypot(dX, dY) + 1e-300
    ax.quiver(X, Y, dX / norm, dY / norm, np.log10(norm), cmap="autumn_r", scale=25, width=0.004)
    ax.plot(*point, "k*", ms=10)
    ax.set_title(t[name], fontsize=10)
    ax.text(0.02, 0.02, t["grad"].format(x=point[0], y=point[1], gx=grad[0], gy=grad[1]),
            transform=ax.transAxes, fontsize=8, bbox={"facecolor": "white", "alpha": 0.85, "lw": 0})
    ax.set_aspect("equal")


def _draw_rosenbrock(ax, path: np.ndarray, nb: dict, t: dict) -> None:
    xs, ys = np.linspace(-0.5, 2.0, 300), np.linspace(-0.5, 3.0, 300)
    XX, YY = np.meshgrid(xs, ys)
    ax.contour(XX, YY, np.log10(rosenbrock(XX, YY) + 1e-3), levels=20, cmap="viridis", linewidths=0.8)
    ax.plot(path[:, 0], path[:, 1], ".-", color="C3", ms=2, lw=1, label=t["path"].format(n=nb["steps"]))
    ax.plot(*nb["start"], "ko", ms=6, label=t["start"])
    ax.plot(1, 1, "k*", ms=11, label=t["minimum"])
    e = nb["rosenbrock_end"]
    ax.set_title(t["rosenbrock"].format(lr=nb["lr"]), fontsize=10)
    ax.text(0.02, 0.02, t["end"].format(n=nb["steps"], x0=e[0], x1=e[1]), transform=ax.transAxes,
            fontsize=8, bbox={"facecolor": "white", "alpha": 0.85, "lw": 0})
    ax.legend(loc="upper left", fontsize=8)


def draw(data: dict, style: FigureStyle) -> Figure:
    """Three gradient fields with the gradient at the point, and the descent path on Rosenbrock."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    with style.context():
        fig = style.figure(figsize=(9.5, 8.5))
        axes = fig.subplots(2, 2)
        for ax, name in zip(axes.flat, FUNCTIONS, strict=False):
            _draw_field(ax, name, data["fields"][name], nb["point"], nb["gradients"][name], t)
        _draw_rosenbrock(axes[1, 1], data["path"], nb, t)
    return fig


def run(*, lang: str = "en", point: tuple = (1.0, 1.0), steps: int = 10000, lr: float = 0.001,
        start: tuple = (0.0, 2.0), grid: int = 15) -> Result:
    """Autograd gradients of the sphere, Matyas and Goldstein-Price functions; gradient descent on Rosenbrock.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(point=point, steps=steps, lr=lr, start=start, grid=grid)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
