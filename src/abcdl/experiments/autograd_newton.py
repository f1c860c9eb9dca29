"""Newton's method with autograd second derivatives, against gradient descent (L39, after L20).

Gradient descent (L20) moves x by -lr f'(x) and needs a learning rate; Newton's
method divides by the curvature instead, x <- x - f'(x) / f''(x), and converges
quadratically near a minimum.  It needs the second derivative, which the
lecture would derive by hand; with ``create_graph=True`` the engine records its
own backward pass, so differentiating the gradient again gives f''(x).  "Deep
Learning from Scratch 3" runs both on the quartic f(x) = x^4 - 2x^2 from x = 2
(minimum at x = 1): Newton needs 7 steps, gradient descent with lr = 0.01 about
a hundred.

This experiment computes f'(x) and f''(x) with ``abcdl.autograd.grad``,
checks them against the closed forms 4x^3 - 4x and 12x^2 - 4 at every iterate,
and counts the steps each method takes to come within ``tol`` of the minimum.

Run::

    abcdl demo autograd-newton [--x0 2] [--lr 0.01] [--tol 1e-6]
    python -m abcdl.experiments.autograd_newton
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "autograd-newton"
SPEC = ("L39",)
DESCRIPTION = "Newton's method with autograd second derivatives against gradient descent on x^4 - 2x^2"

_TEXT = {
    "en": {"f": "$f(x) = x^4 - 2x^2$", "newton": "Newton ($f''$ by autograd)",
           "gd": "gradient descent (lr {lr:g})", "x": "$x$", "step": "step $k$",
           "err": "$|x_k - 1|$", "title_path": "iterates from $x_0 = {x0:g}$",
           "title_err": "distance to the minimum $x = 1$", "reach": "{n} steps to $|x - 1| < {tol:g}$"},
    "ko": {"f": "$f(x) = x^4 - 2x^2$", "newton": "뉴턴 방법 (자동 미분 $f''$)",
           "gd": "경사하강법 (학습률 {lr:g})", "x": "$x$", "step": "단계 $k$",
           "err": "$|x_k - 1|$", "title_path": "$x_0 = {x0:g}$ 에서 시작한 반복",
           "title_err": "극소값 $x = 1$ 까지의 거리", "reach": "$|x - 1| < {tol:g}$ 까지 {n} 단계"},
}


def f(x):
    """The quartic f(x) = x^4 - 2x^2 (minima at x = -1 and 1)."""
    return x ** 4 - 2 * x ** 2


def derivatives(x: float) -> tuple[float, float]:
    """(f'(x), f''(x)) by autograd: grad once with create_graph=True, then grad of that gradient."""
    from .. import autograd as ag

    xt = ag.tensor(np.array(x, dtype=np.float64), requires_grad=True)
    (g,) = ag.grad(f(xt), [xt], create_graph=True)                  # f'(x), itself a graph
    (h,) = ag.grad(g, [xt])                                          # f''(x) = d f'(x) / dx
    return g.item(), h.item()


def newton(x0: float, steps: int) -> tuple[np.ndarray, float]:
    """Newton's iterates x <- x - f'(x) / f''(x), and the largest error of f', f'' against closed forms."""
    xs, err = [x0], 0.0
    for _ in range(steps):
        x = xs[-1]
        g, h = derivatives(x)
        err = max(err, abs(g - (4 * x ** 3 - 4 * x)), abs(h - (12 * x ** 2 - 4)))
        xs.append(x - g / h)                                         # x <- x - f'(x) / f''(x)
    return np.array(xs), err


def gradient_descent(x0: float, lr: float, steps: int) -> np.ndarray:
    """Gradient descent's iterates x <- x - lr f'(x), f'(x) by autograd (L20)."""
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - lr * derivatives(xs[-1])[0])             # x <- x - lr f'(x)
    return np.array(xs)


def steps_to(xs: np.ndarray, tol: float) -> int | None:
    """The first k with |x_k - 1| < tol, or None."""
    hit = np.flatnonzero(np.abs(xs - 1) < tol)
    return int(hit[0]) if hit.size else None


def compute(*, x0: float = 2.0, lr: float = 0.01, tol: float = 1e-6, newton_steps: int = 10,
            gd_steps: int = 300) -> dict:
    """Newton's method and gradient descent on x^4 - 2x^2 from ``x0``.

    Parameters
    ----------
    x0 : float
        The start (the book's 2; Newton needs f''(x0) > 0 to head for a minimum).
    lr : float
        Gradient descent's learning rate (the book's 0.01).
    tol : float
        Converged when |x - 1| < tol.
    newton_steps, gd_steps : int
        Iterations of each method.

    Returns
    -------
    dict
        ``numbers``: ``newton_steps_to_tol``, ``gd_steps_to_tol`` (None if not reached),
        the final iterates, ``newton_first`` (its first iterates), ``derivative_error``
        (autograd f', f'' against 4x^3 - 4x, 12x^2 - 4); ``highlights``; for the figure
        ``newton`` and ``gd``, the iterates.
    """
    check_param(x0 > 1 / np.sqrt(3), "x0", f"must be > 1/sqrt(3) (f'' > 0 on the way to x = 1), got {x0:g}")
    check_param(0 < lr < 0.1, "lr", f"must be in (0, 0.1), got {lr:g}")
    check_param(0 < tol < 1, "tol", f"must be in (0, 1), got {tol:g}")
    check_param(newton_steps >= 1 and gd_steps >= 1, "newton_steps",
                f"newton_steps and gd_steps must be >= 1, got {newton_steps}, {gd_steps}")
    xn, err = newton(float(x0), newton_steps)
    xg = gradient_descent(float(x0), lr, gd_steps)
    numbers = {"x0": x0, "lr": lr, "tol": tol, "newton_steps_to_tol": steps_to(xn, tol),
               "gd_steps_to_tol": steps_to(xg, tol), "newton_final": float(xn[-1]), "gd_final": float(xg[-1]),
               "newton_first": xn[:8].tolist(), "derivative_error": err}
    highlights = [
        f"Newton from x0 = {x0:g}: " + ", ".join(f"{v:.6f}" for v in xn[:8])
        + f"; |x - 1| < {tol:g} after {numbers['newton_steps_to_tol']} steps",
        f"gradient descent (lr {lr:g}): |x - 1| < {tol:g} after {numbers['gd_steps_to_tol']} steps "
        f"(x = {xg[-1]:.8f} after {gd_steps})",
        f"autograd f' and f'' against 4x^3 - 4x and 12x^2 - 4: largest difference {err:.1e}",
    ]
    return {"numbers": numbers, "highlights": highlights, "newton": xn, "gd": xg}


def draw(data: dict, style: FigureStyle) -> Figure:
    """The iterates on f (left) and their distance to the minimum on a log scale (right)."""
    t = style.labels(_TEXT)
    nb, xn, xg = data["numbers"], data["newton"], data["gd"]
    with style.context():
        fig = style.figure(figsize=(11, 4.5))
        ax, ax2 = fig.subplots(1, 2)
        lo, hi = min(-1.6, xn.min(), xg.min()), max(2.2, xn.max(), xg.max())
        xs = np.linspace(lo, hi, 400)
        ax.plot(xs, f(xs), color="k", lw=1.2, label=t["f"])
        ax.plot(xg, f(xg), "o", ms=3, color="C0", alpha=0.5, label=t["gd"].format(lr=nb["lr"]))
        ax.plot(xn, f(xn), "s-", ms=5, color="C3", lw=0.8, label=t["newton"])
        ax.set_ylim(-1.5, max(f(hi), 8) * 1.05)
        ax.set_xlabel(t["x"])
        ax.set_title(t["title_path"].format(x0=nb["x0"]))
        ax.legend(loc="upper center")
        floor = 1e-17
        ax2.semilogy(np.maximum(np.abs(xg - 1), floor), ".-", color="C0", ms=3,
                     label=t["gd"].format(lr=nb["lr"]) + "\n" + t["reach"].format(n=nb["gd_steps_to_tol"],
                                                                               tol=nb["tol"]))
        ax2.semilogy(np.maximum(np.abs(xn - 1), floor), "s-", color="C3", ms=5,
                     label=t["newton"] + "\n" + t["reach"].format(n=nb["newton_steps_to_tol"], tol=nb["tol"]))
        ax2.axhline(nb["tol"], color="gray", ls=":", lw=1)
        ax2.set_xlabel(t["step"])
        ax2.set_ylabel(t["err"])
        ax2.set_title(t["title_err"])
        ax2.legend(loc="upper right")
    return fig


def run(*, lang: str = "en", x0: float = 2.0, lr: float = 0.01, tol: float = 1e-6, newton_steps: int = 10,
        gd_steps: int = 300) -> Result:
    """Newton's method with autograd second derivatives against gradient descent on x^4 - 2x^2.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(x0=x0, lr=lr, tol=tol, newton_steps=newton_steps, gd_steps=gd_steps)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
