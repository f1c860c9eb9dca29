"""Gradient descent in 1-D: learning rates, a local minimum, momentum (lecture: 경사하강법, L20-L22).

The slides run the loop ``xp = xp - alpha*diff_f(xp)`` and print every iterate:

* L20, f(x) = x^2 from x0 = 2: x_{n+1} = x_n - 2 alpha x_n = (1 - 2 alpha) x_n, so
  x_n = 2 (1 - 2 alpha)^n.  alpha = 1.5 diverges (2, -4, 8, ..., x_20 = 2097152),
  alpha = 0.4 converges (0.4, 0.08, ...), alpha = 0.001 crawls (1.996, 1.992008, ...,
  x_20 = 1.9215019140526859).
* L21, f(x) = (x-2)^2 (x+3)^2 - 2(x-2)^2 from x0 = 3, with stationary points
  (-7 - sqrt 41)/4 ~ -3.35 (global minimum), (-7 + sqrt 41)/4 ~ -0.15 (maximum) and
  2 (local minimum).  alpha = 0.02 walks into the local minimum and stops there:
  exactly 2.0 from x_17 on, since f'(2) = 0 means no more updates.  alpha = 0.045
  jumps over the hump at once and then bounces chaotically across the global
  minimum's valley (between ~-4.1 and ~-0.8) for 40 steps without settling.
* L22, momentum v <- beta v - alpha f'(x), x <- x + v (beta = 0.9, alpha = 0.02) from
  the same start carries x over the hump at -0.15 (1.4, 0.31328, -0.4360994561759646,
  ..., x_20 = -2.712103333004605, x_40 = -3.1894392208702786), settling near -3.35.

Every run here moves a float64 :class:`abcdl.Parameter` with the library's
optimizers (:class:`~abcdl.optim.SGD` for gradient descent,
:class:`~abcdl.optim.Momentum` for the lecture's velocity form), the same code
that trains networks::

    p.grad[:] = df(p.data); opt.step()          # xp = xp - alpha*diff_f(xp)

and every printed iterate of the lecture is reproduced bit for bit.  Two
details make that possible:

1. ``diff_f`` of L21 is evaluated as f'(x) = 2 (x - 2) ((2x + 7) x + 1), the
   factored derivative with its quadratic in Horner form (:func:`df_local`).
   It is exactly 0 at x = 2 (so the iterates land on 2.0 as printed), and it is
   the one way of writing f' found to reproduce every one of the lecture's
   steps, the chaotic alpha = 0.045 run included.  The expanded polynomial
   4x^3 + 6x^2 - 26x - 4 is the same function but rounds differently: it
   departs from the printout at x_5 already, reaches 2.0 one step late (x_18),
   and in the chaotic alpha = 0.045 run the last-bit difference roughly doubles
   every step (~1e-5 by x_40).
2. The lecture text has lost a digit in some printed values: a run of repeated
   digits is one digit short (alpha = 0.4: x_2 "0.0799999999999996" for
   0.07999999999999996 = 2 * 0.2^2 rounded; alpha = 0.001: x_14
   "1.944722079042557" for 2 * 0.998^14 = 1.9447222079...; alpha = 0.02: x_15
   "1.999999999999944" and x_16 "1.999999999999996", which cannot follow
   x_14 = 1.9999999999999298 since x_n - 2 shrinks by 1 - 46 alpha = 0.08 per
   step).  The numbers here are the correctly computed values; every other
   printed digit matches.

Run::

    abcdl demo gd-1d [--alphas-square 1.5,0.4,0.001] [--steps-square 20] [--alphas-local 0.02,0.045]
                     [--beta 0.9] [--alpha-momentum 0.02] [--steps-local 40]
    python -m abcdl.experiments.gd_1d
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, check_real, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "gd-1d"
SPEC = ("L20", "L21", "L22")
DESCRIPTION = "gradient descent on x^2 and into a local minimum, momentum escaping it: the lecture's tables"

#: Stationary points of the L21 function, ascending: global minimum, local maximum, local minimum.
STATIONARY_POINTS = ((-7 - math.sqrt(41)) / 4, (-7 + math.sqrt(41)) / 4, 2.0)

_TEXT = {
    "en": {"title_abs": "$f(x) = x^2$ from $x_0 = {x0:g}$: $|x_n| = |x_0|\\,|1-2\\alpha|^n$",
           "title_sq": "$f(x) = x^2$: the first iterates",
           "title_local": "$f(x) = (x-2)^2(x+3)^2 - 2(x-2)^2$ from $x_0 = {x0:g}$",
           "title_seq": "iterates $x_n$ of the local-minimum function",
           "n": "iteration $n$", "abs": "$|x_n|$", "x": "$x$", "f": "$f(x)$", "xn": "$x_n$",
           "gd": "GD $\\alpha$ = {a:g}", "mom": "momentum $\\beta$ = {b:g}, $\\alpha$ = {a:g}",
           "gmin": "global minimum", "lmin": "local minimum", "lmax": "local maximum",
           "offscale": "beyond the plot"},
    "ko": {"title_abs": "$f(x) = x^2$, $x_0 = {x0:g}$: $|x_n| = |x_0|\\,|1-2\\alpha|^n$",
           "title_sq": "$f(x) = x^2$: 처음 몇 번의 업데이트",
           "title_local": "$f(x) = (x-2)^2(x+3)^2 - 2(x-2)^2$, $x_0 = {x0:g}$",
           "title_seq": "극소값이 있는 함수에서의 $x_n$",
           "n": "반복 횟수 $n$", "abs": "$|x_n|$", "x": "$x$", "f": "$f(x)$", "xn": "$x_n$",
           "gd": "경사하강법 $\\alpha$ = {a:g}", "mom": "모멘텀 $\\beta$ = {b:g}, $\\alpha$ = {a:g}",
           "gmin": "최솟값", "lmin": "극소값", "lmax": "극대값", "offscale": "그림 밖"},
}


def f_square(x):
    """f(x) = x^2 (L20)."""
    return x * x


def df_square(x):
    """f'(x) = 2x."""
    return 2 * x


def f_local(x):
    """f(x) = (x-2)^2 (x+3)^2 - 2(x-2)^2 (L21): minima at ~-3.35 (global) and 2 (local)."""
    return (x - 2) ** 2 * (x + 3) ** 2 - 2 * (x - 2) ** 2


def df_local(x):
    """f'(x) = 2 (x-2) ((2x + 7) x + 1)  (= 4x^3 + 6x^2 - 26x - 4), written so it reproduces the lecture.

    Zero at x = 2 and at the roots (-7 -+ sqrt 41)/4 of 2x^2 + 7x + 1.  This
    arrangement of the arithmetic gives the lecture's printed iterates bit for
    bit (see the module docstring); others agree to ~1e-15 per step.
    """
    return 2 * (x - 2) * ((2 * x + 7) * x + 1)          # f'(x) = 2(x-2)(2x^2 + 7x + 1)


def descend(df, x0: float, lr: float, steps: int, momentum: float = 0.0) -> list[float]:
    """[x_0, x_1, ..., x_steps]: an abcdl optimizer moving a one-element float64 Parameter over f.

    Parameters
    ----------
    df : callable
        f', applied to the Parameter's data (an array of shape (1,)).
    x0 : float
        Start.
    lr : float
        alpha.
    steps : int
        Number of updates.
    momentum : float
        0: gradient descent, :class:`~abcdl.optim.SGD`, x <- x - alpha f'(x) (L20).
        beta > 0: :class:`~abcdl.optim.Momentum`, v <- beta v - alpha f'(x), x <- x + v (L22).

    Returns
    -------
    list of float, length steps + 1.  A diverging run becomes inf/NaN (no warning).
    """
    from ..optim import SGD, Momentum
    from ..parameter import Parameter

    p = Parameter(np.array([x0], dtype=np.float64))
    opt = SGD([p], lr=lr) if momentum == 0 else Momentum([p], lr=lr, momentum=momentum)
    xs = [float(p.data[0])]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            p.grad[:] = df(p.data)                      # f'(x_n)
            opt.step()                                  # x_{n+1} = x_n - alpha f'(x_n)  (or with velocity v)
            xs.append(float(p.data[0]))
    return xs


def _key(alpha: float) -> str:
    return f"{alpha:g}"


def _first_exact(xs: list[float], value: float) -> int | None:
    """First n from which x_n == value for every later n (None if the run does not end there)."""
    n = len(xs)
    while n > 0 and xs[n - 1] == value:
        n -= 1
    return n if n < len(xs) else None


def _basin(x: float) -> str:
    """Which minimum's basin x lies in: left or right of the hump at (-7 + sqrt 41)/4 ~ -0.15."""
    if not math.isfinite(x):
        return "diverged"
    return "global minimum" if x < STATIONARY_POINTS[1] else "local minimum"


def _crossings(xs: list[float]) -> int:
    """How many times the iterates jump over the hump at ~-0.15 (from one basin into the other)."""
    side = [_basin(x) for x in xs]
    return sum(a != b for a, b in zip(side[:-1], side[1:], strict=True))


def compute(*, x0_square: float = 2.0, alphas_square: tuple = (1.5, 0.4, 0.001), steps_square: int = 20,
            x0_local: float = 3.0, alphas_local: tuple = (0.02, 0.045), beta: float = 0.9,
            alpha_momentum: float = 0.02, steps_local: int = 40) -> dict:
    """The lecture's gradient-descent and momentum runs in one dimension (L20-L22).

    Parameters
    ----------
    x0_square, alphas_square, steps_square : float, tuple of float, int
        Start, learning rates and number of updates on f(x) = x^2 (L20: 2, (1.5, 0.4, 0.001), 20).
    x0_local, alphas_local : float, tuple of float
        Start and gradient-descent learning rates on the local-minimum function
        (L21: 3, (0.02, 0.045); the lecture prints 20 and 40 iterates).
    beta, alpha_momentum : float
        Momentum run on the same function (L22: 0.9, 0.02).
    steps_local : int
        Updates of every run on the local-minimum function (40, the longest printout).

    Returns
    -------
    dict
        ``numbers``: ``square`` ({alpha: [x_0, ..., x_N]}), ``local`` ({alpha: [x_0, ...]}),
        ``momentum`` ([x_0, ...]), ``stationary_points``, ``first_exact_2`` ({alpha: n from which
        x_n == 2.0}), and per run on it (keys "gd 0.02", "gd 0.045", "momentum") ``final`` (x_N),
        ``basin`` (the basin x_N lies in: "local minimum" or "global minimum") and ``crossings``
        (how many updates jumped over the hump at -0.15) and ``tail_range`` (max - min of the last
        10 iterates: 0 when settled, large for the bouncing alpha = 0.045 run), and ``square_ratio``
        ({alpha: 1 - 2 alpha}).  Keys are the learning rates written with
        ``format(alpha, "g")`` ("1.5", "0.001").  Non-finite iterates are null in JSON.
        ``highlights``; for the figure the starts ``x0_square`` and ``x0_local``.
    """
    _check(x0_square, alphas_square, steps_square, x0_local, alphas_local, beta, alpha_momentum, steps_local)
    square = {_key(a): descend(df_square, x0_square, a, steps_square) for a in alphas_square}
    local = {_key(a): descend(df_local, x0_local, a, steps_local) for a in alphas_local}
    mom = descend(df_local, x0_local, alpha_momentum, steps_local, momentum=beta)
    runs_local = {**{f"gd {k}": v for k, v in local.items()}, "momentum": mom}
    numbers = {
        "square": square,
        "square_ratio": {_key(a): 1 - 2 * a for a in alphas_square},     # x_{n+1} = (1 - 2 alpha) x_n
        "local": local,
        "momentum": mom,
        "momentum_params": {"beta": beta, "alpha": alpha_momentum},
        "stationary_points": list(STATIONARY_POINTS),
        "first_exact_2": {k: _first_exact(v, 2.0) for k, v in local.items()},
        "final": {k: v[-1] for k, v in runs_local.items()},
        "basin": {k: _basin(v[-1]) for k, v in runs_local.items()},
        "crossings": {k: _crossings(v) for k, v in runs_local.items()},
        "tail_range": {k: float(np.ptp(v[-10:])) for k, v in runs_local.items()},
    }
    return {"numbers": numbers, "highlights": _highlights(numbers, x0_square, x0_local),
            "x0_square": x0_square, "x0_local": x0_local}


def _check(x0_square, alphas_square, steps_square, x0_local, alphas_local, beta, alpha_momentum,
           steps_local) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    for name, alphas in (("alphas_square", alphas_square), ("alphas_local", alphas_local)):
        check_param(len(alphas) >= 1 and all(a >= 0 for a in alphas), name,
                    f"must be one or more learning rates >= 0, got {alphas}")
        check_param(len({_key(a) for a in alphas}) == len(alphas), name, f"repeats a learning rate: {alphas}")
    for name, steps in (("steps_square", steps_square), ("steps_local", steps_local)):
        check_param(isinstance(steps, int) and 1 <= steps <= 100_000, name,
                    f"must be an integer in [1, 100000], got {steps!r}")
    check_param(0 < beta < 1, "beta", f"must be in (0, 1), got {beta}")
    check_param(alpha_momentum >= 0, "alpha_momentum", f"must be >= 0, got {alpha_momentum}")
    for name, v in (("x0_square", x0_square), ("x0_local", x0_local)):
        check_param(math.isfinite(v), name, f"must be finite, got {v}")
        check_real(v, name, -1e6, 1e6, "the figure's axes and the iterates must stay finite")
    for name, alphas in (("alphas_square", alphas_square), ("alphas_local", alphas_local)):
        check_param(max(alphas) <= 10, name, f"learning rates at most 10 (larger only diverge), got {alphas}")
    check_real(alpha_momentum, "alpha_momentum", 0, 10, "larger steps only diverge")


def _show(x: float) -> str:
    return repr(x) if math.isfinite(x) else str(x)


def _highlights(numbers: dict, x0_square: float, x0_local: float) -> list[str]:
    square, local, mom = numbers["square"], numbers["local"], numbers["momentum"]
    steps_square, steps_local = len(next(iter(square.values()))) - 1, len(mom) - 1
    beta, alpha_momentum = numbers["momentum_params"]["beta"], numbers["momentum_params"]["alpha"]
    lines = [f"f(x) = x^2 from x0 = {x0_square:g}: " + "; ".join(
        f"alpha {k}: x_{steps_square} = {_show(v[-1])}" for k, v in square.items())]
    for k, v in local.items():
        hit = numbers["first_exact_2"][k]
        where = f", exactly 2.0 from x_{hit}" if hit is not None else ""
        lines.append(f"local-minimum f from x0 = {x0_local:g}, alpha {k}: x_1..x_3 = "
                     f"{', '.join(_show(x) for x in v[1:4])}, ..., x_{steps_local} = {_show(v[-1])}"
                     f" (in the {numbers['basin']['gd ' + k]}'s basin{where}; last 10 iterates span "
                     f"{numbers['tail_range']['gd ' + k]:.3g})")
    mid = min(20, steps_local)
    lines.append(f"momentum beta {beta:g}, alpha {alpha_momentum:g}: x_{mid} = {_show(mom[mid])}, "
                 f"x_{steps_local} = {_show(mom[-1])} "
                 f"(escaped into the {numbers['basin']['momentum']}'s basin, "
                 f"minimum at {STATIONARY_POINTS[0]:.4f}; last 10 iterates span "
                 f"{numbers['tail_range']['momentum']:.3g})")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """Top: |x_n| and the first iterates on x^2; bottom: the runs on the local-minimum function."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    mp = nb["momentum_params"]
    with style.context():
        fig = style.figure(figsize=(11, 8))
        (ax1, ax2), (ax3, ax4) = fig.subplots(2, 2)
        _plot_square(ax1, ax2, nb["square"], data["x0_square"], t)
        _plot_local(ax3, ax4, nb["local"], nb["momentum"], data["x0_local"], mp["beta"], mp["alpha"], t)
    return fig


def run(*, lang: str = "en", x0_square: float = 2.0, alphas_square: tuple = (1.5, 0.4, 0.001),
        steps_square: int = 20, x0_local: float = 3.0, alphas_local: tuple = (0.02, 0.045),
        beta: float = 0.9, alpha_momentum: float = 0.02, steps_local: int = 40) -> Result:
    """The lecture's gradient-descent and momentum runs in one dimension (L20-L22).

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(x0_square=x0_square, alphas_square=alphas_square, steps_square=steps_square,
                   x0_local=x0_local, alphas_local=alphas_local, beta=beta, alpha_momentum=alpha_momentum,
                   steps_local=steps_local)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

def _finite(xs: list[float]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(xs, dtype=np.float64)
    n = np.arange(x.size)
    ok = np.isfinite(x)
    return n[ok], x[ok]


def _plot_square(ax1, ax2, square: dict, x0: float, t: dict) -> None:
    for i, (k, xs) in enumerate(square.items()):
        n, x = _finite(xs)
        nz = x != 0
        ax1.semilogy(n[nz], np.abs(x[nz]), "o-", ms=3, lw=1, color=f"C{i}", label=t["gd"].format(a=float(k)))
    ax1.set_xlabel(t["n"])
    ax1.set_ylabel(t["abs"])
    ax1.set_title(t["title_abs"].format(x0=x0))
    ax1.legend(loc="best")

    span = max(3.0, 3 * abs(x0))
    grid = np.linspace(-span, span, 400)
    ax2.plot(grid, f_square(grid), color="0.3", lw=1.2)
    off = []
    for i, (k, xs) in enumerate(square.items()):
        n, x = _finite(xs)
        inside = np.abs(x) <= span
        last = int(np.argmin(inside)) if not inside.all() else x.size      # first iterate off the plot
        shown = x[:min(last, 8)]
        ax2.plot(shown, f_square(shown), "o-", ms=4, lw=1, color=f"C{i}", alpha=0.85,
                 label=t["gd"].format(a=float(k)))
        if last < x.size:
            off.append((t["offscale"] + f": $x_{{{n[last]}}}$ = {x[last]:g}", f"C{i}"))
    for j, (text, color) in enumerate(off):
        ax2.text(0.98, 0.62 - 0.06 * j, text, transform=ax2.transAxes, ha="right", fontsize=8, color=color)
    ax2.set_xlim(-span, span)
    ax2.set_ylim(-0.05 * span**2, span**2 * 1.05)
    ax2.set_xlabel(t["x"])
    ax2.set_ylabel(t["f"])
    ax2.set_title(t["title_sq"])
    ax2.legend(loc="upper center")


def _plot_local(ax3, ax4, local: dict, mom: list, x0: float, beta: float, alpha_m: float, t: dict) -> None:
    grid = np.linspace(-4.6, 3.6, 500)
    ax3.plot(grid, f_local(grid), color="0.3", lw=1.2)
    runs = [(t["gd"].format(a=float(k)), xs) for k, xs in local.items()]
    runs.append((t["mom"].format(b=beta, a=alpha_m), mom))
    for i, (label, xs) in enumerate(runs):
        _, x = _finite(xs)
        x = x[(x > -4.6) & (x < 3.6)]
        ax3.plot(x, f_local(x), "o-", ms=3.5, lw=0.6, alpha=0.75, color=f"C{i}", label=label)
        _, xa = _finite(xs)
        ax4.plot(np.arange(xa.size), xa, "o-", ms=2.5, lw=1, color=f"C{i}", label=label)
    names = (t["gmin"], t["lmax"], t["lmin"])
    box = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85}
    for j, (xs_, name, ls) in enumerate(zip(STATIONARY_POINTS, names, ("--", ":", "--"), strict=True)):
        ax3.axvline(xs_, color="k", ls=ls, lw=0.7)
        ax4.axhline(xs_, color="k", ls=ls, lw=0.7)
        if j == 0:      # the global minimum's line runs through the oscillating runs: label it in the
            #             empty strip under them, with a leader up the right margin (past the last iterate)
            ax4.annotate(f"{name} {xs_:.2f}", xy=(0.99, xs_), xycoords=("axes fraction", "data"),
                         xytext=(0.99, 0.025), textcoords="axes fraction", ha="right", va="bottom",
                         fontsize=7, bbox=box,
                         arrowprops={"arrowstyle": "-", "lw": 0.7, "color": "k", "relpos": (1.0, 1.0),
                                     "shrinkA": 0, "shrinkB": 0})
        else:
            ax4.annotate(f"{name} {xs_:.2f}", xy=(1.0, xs_), xycoords=("axes fraction", "data"),
                         xytext=(-4, 3), textcoords="offset points", ha="right", fontsize=7, bbox=box)
    ax3.set_ylim(-60, 60)
    ax3.set_xlabel(t["x"])
    ax3.set_ylabel(t["f"])
    ax3.set_title(t["title_local"].format(x0=x0))
    ax3.legend(loc="upper center", fontsize=7)
    ax4.set_xlabel(t["n"])
    ax4.set_ylabel(t["xn"])
    ax4.set_title(t["title_seq"])
    ax4.set_ylim(-5.8, 5.2)                                        # a strip below the runs for a label
    ax4.legend(loc="upper right", fontsize=7)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
