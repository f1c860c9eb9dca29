"""Optimizers on f(x, y) = x^2/20 + y^2: GD, momentum, AdaGrad, RMSProp, Adam (lecture: 경사하강법, L23-L26).

The function is shallow along x and steep along y (grad f = (x/10, 2y)), so one
learning rate cannot suit both directions.  From the start (-7, 2) (the one used
in "Deep Learning from Scratch"; its gradient (-0.7, 4) gives the slide's first
steps) the lecture compares, over the contour plot:

* gradient descent vs momentum at learning rates 0.95 and 0.1 (GD: "iteration: 40회");
* gradient descent vs AdaGrad at 0.1, 0.95 and 1.5: at 0.95 GD's first step
  -alpha grad f = (0.665, -3.80) is swept along the steep y, AdaGrad's
  -alpha g / sqrt(g ⊙ g) = (0.95, -0.95) is the same size in both coordinates;
  at 1.5 GD diverges (y_n = 2 (1 - 2 alpha)^n = 2 (-2)^n), AdaGrad does not;
* AdaGrad vs RMSProp at 0.01: AdaGrad's sum G only grows, so its steps die out;
  RMSProp's decaying average keeps them alive;
* RMSProp vs Adam at 0.3;
* Adam with and without bias correction (L26): M_0 = V_0 = 0 pulls the
  uncorrected moments towards 0, and at t = 1 the uncorrected step is
  alpha (1 - b1) g / sqrt((1 - b2) g ⊙ g) = alpha 0.1/sqrt(0.001) sign(g)
  ~ 3.16 alpha sign(g) for b1 = 0.9, b2 = 0.999, while the corrected one is
  alpha M^/sqrt(V^) = alpha sign(g).

Each trajectory moves a float64 :class:`abcdl.Parameter` with the library's
optimizers (``p.grad[:] = grad_f(p.data); opt.step()``), with the lecture's
placement of epsilon (eps = 1e-8, "10^-8 정도"):

* AdaGrad: alpha / (sqrt(G) + eps), as on the L24 slide (``eps_inside_sqrt=False``);
* RMSProp: alpha / sqrt(G + eps), as on the L25 slide (``eps_inside_sqrt=True``);
* Adam: alpha M^ / sqrt(V^ + eps), as on the lecture's Adam slide
  (``eps_inside_sqrt=True``; SPEC L26, the paper and PyTorch use sqrt(V^) + eps,
  which differs only when V^ is near eps).

The lecture does not give momentum's beta, RMSProp's gamma or Adam's betas for
these plots; the defaults are beta = 0.9 (the lecture's "about 0.9"),
gamma = 0.9 (Hinton's RMSProp) and (b1, b2) = (0.9, 0.999).  Panels show 40
updates (the lecture's count for its GD figure), except the lr = 0.01
comparison, where 40 updates would barely leave the start: it shows
``steps_small_lr`` (1000).

Steps to tolerance: every run is continued up to ``max_steps`` updates;
``steps_to_tol`` is the first n with ||X_n|| < tol (the minimum is the origin;
tol = 1e-2 by default), ``settled_at`` the first n from which ||X_k|| < tol for
every k <= max_steps (None: still moving at max_steps, e.g. RMSProp and Adam
hovering at a constant learning rate), ``diverged_at`` the first n with
||X_n|| > 1e6.

Run::

    abcdl demo optimizers-2d [--steps 40] [--steps-small-lr 1000] [--tol 0.01] [--max-steps 10000]
    python -m abcdl.experiments.optimizers_2d
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "optimizers-2d"
SPEC = ("L23", "L24", "L25", "L26")
DESCRIPTION = ("GD, momentum, AdaGrad, RMSProp, Adam on x^2/20 + y^2 at the lecture's rates; "
               "steps to tolerance; Adam's bias correction")

METHODS = ("gd", "momentum", "adagrad", "rmsprop", "adam", "adam_no_bias_correction")
DIVERGED = 1e6

_TEXT = {
    "en": {"gd": "gradient descent", "momentum": "momentum", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
           "adam": "Adam", "adam_no_bias_correction": "Adam, no bias correction",
           "lr": "learning rate {lr:g}", "steps": "{n} steps", "x": "$x$", "y": "$y$",
           "suptitle": "$f(x, y) = x^2/20 + y^2$ from $({x0:g}, {y0:g})$",
           "step_title": "Adam's step size $|\\Delta x_n|$, learning rate {lr:g}",
           "n": "update $n$", "dx": "$|x_n - x_{{n-1}}|$", "with": "with bias correction",
           "without": "without bias correction", "diverged": "diverges",
           "tol": "reaches $\\|X\\| <$ {tol:g} at n = {n}",
           "never": "not within {n} steps"},
    "ko": {"gd": "경사하강법", "momentum": "모멘텀", "adagrad": "AdaGrad", "rmsprop": "RMSProp",
           "adam": "Adam", "adam_no_bias_correction": "Adam, 편향 보정 없음",
           "lr": "학습률 {lr:g}", "steps": "{n}회 반복", "x": "$x$", "y": "$y$",
           "suptitle": "$f(x, y) = x^2/20 + y^2$, 시작점 $({x0:g}, {y0:g})$",
           "step_title": "Adam 의 이동 크기 $|\\Delta x_n|$, 학습률 {lr:g}",
           "n": "반복 횟수 $n$", "dx": "$|x_n - x_{{n-1}}|$", "with": "편향 보정 (bias correction)",
           "without": "편향 보정 없음", "diverged": "발산", "tol": "$\\|X\\| <$ {tol:g} 도달: n = {n}",
           "never": "{n}회 안에 도달 못함"},
}


def f(x, y):
    """f(x, y) = x^2/20 + y^2 (L23)."""
    return x**2 / 20 + y**2


def grad_f(X: np.ndarray) -> np.ndarray:
    """grad f = (x/10, 2y) at X = (x, y)."""
    return np.array([X[0] / 10, 2 * X[1]])          # (df/dx, df/dy) = (x/10, 2y)


def make_optimizer(method: str, p, lr: float, *, beta: float = 0.9, gamma: float = 0.9,
                   betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
    """The library optimizer for ``method`` (see :data:`METHODS`) on Parameter ``p``, lecture's eps placement.

    gd: SGD (X <- X - alpha g); momentum: Momentum (v <- beta v - alpha g, X <- X + v);
    adagrad: AdaGrad, alpha/(sqrt(G) + eps) (L24); rmsprop: RMSProp with decay gamma,
    alpha/sqrt(G + eps) (L25); adam / adam_no_bias_correction: Adam, alpha M^/sqrt(V^ + eps) (L26).
    """
    from ..optim import SGD, AdaGrad, Adam, Momentum, RMSProp

    if method == "gd":
        return SGD([p], lr=lr)
    if method == "momentum":
        return Momentum([p], lr=lr, momentum=beta)
    if method == "adagrad":
        return AdaGrad([p], lr=lr, eps=eps)                               # alpha / (sqrt(G) + eps)
    if method == "rmsprop":
        return RMSProp([p], lr=lr, alpha=gamma, eps=eps, eps_inside_sqrt=True)   # alpha / sqrt(G + eps)
    if method in ("adam", "adam_no_bias_correction"):
        return Adam([p], lr=lr, betas=tuple(betas), eps=eps, eps_inside_sqrt=True,
                    bias_correction=method == "adam")                     # alpha M^ / sqrt(V^ + eps)
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)}")


def trajectory(method: str, lr: float, steps: int, start=(-7.0, 2.0), **hyper) -> np.ndarray:
    """X_0, X_1, ..., X_steps of ``method`` on f; shape (steps + 1, 2).

    Stops early once ||X_n|| > 1e6 or is not finite (divergence): the rows after
    that are NaN.  ``hyper`` goes to :func:`make_optimizer` (beta, gamma, betas, eps).
    """
    from ..parameter import Parameter

    p = Parameter(np.array(start, dtype=np.float64))
    opt = make_optimizer(method, p, lr, **hyper)
    out = np.full((steps + 1, 2), np.nan)
    out[0] = p.data
    with np.errstate(over="ignore", invalid="ignore"):
        for n in range(1, steps + 1):
            p.grad[:] = grad_f(p.data)                  # g = grad f(X_{n-1})
            opt.step()                                  # X_n from X_{n-1} and g
            out[n] = p.data
            r = float(np.hypot(*p.data))
            if not r <= DIVERGED:                       # also catches NaN
                break
    return out


def tolerance_stats(path: np.ndarray, tol: float) -> dict:
    """``steps_to_tol``, ``settled_at``, ``diverged_at`` (first n or None) and the final distance."""
    r = np.hypot(path[:, 0], path[:, 1])
    finite = np.isfinite(r)
    bad = np.flatnonzero(~finite | (r > DIVERGED))
    diverged_at = int(bad[0]) if bad.size else None
    inside = finite & (r < tol)                                 # ||X_n|| < tol
    hit = np.flatnonzero(inside)
    outside = np.flatnonzero(~inside)
    settled = int(outside[-1] + 1) if outside.size else 0
    return {
        "steps_to_tol": int(hit[0]) if hit.size else None,
        "settled_at": settled if settled < r.size and diverged_at is None else None,
        "diverged_at": diverged_at,
        "final_distance": float(r[-1]) if finite[-1] else None,
    }


def _panels(lrs_momentum, lrs_adagrad, lr_small, lr_adam, steps, steps_small_lr):
    """(methods, lr, steps) of each trajectory panel, in the lecture's order."""
    out = [(("gd", "momentum"), lr, steps) for lr in lrs_momentum]
    out += [(("gd", "adagrad"), lr, steps) for lr in lrs_adagrad]
    out.append((("adagrad", "rmsprop"), lr_small, steps_small_lr))
    out.append((("rmsprop", "adam"), lr_adam, steps))
    out.append((("adam", "adam_no_bias_correction"), lr_adam, steps))
    return out


def compute(*, start: tuple = (-7.0, 2.0), lrs_momentum: tuple = (0.95, 0.1),
            lrs_adagrad: tuple = (0.1, 0.95, 1.5), lr_small: float = 0.01, lr_adam: float = 0.3,
            steps: int = 40, steps_small_lr: int = 1000,
            beta: float = 0.9, gamma: float = 0.9, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
            tol: float = 1e-2, max_steps: int = 10000) -> dict:
    """Trajectories of the lecture's optimizers on x^2/20 + y^2, steps to tolerance, Adam's bias correction.

    Parameters
    ----------
    start : (float, float)
        X_0 (the lecture's (-7, 2)).
    lrs_momentum, lrs_adagrad : tuple of float
        Learning rates of the GD-vs-momentum (0.95, 0.1) and GD-vs-AdaGrad (0.1, 0.95, 1.5) panels.
    lr_small : float
        AdaGrad vs RMSProp (0.01).
    lr_adam : float
        RMSProp vs Adam, and Adam with vs without bias correction (0.3).
    steps, steps_small_lr : int
        Updates drawn per panel (40), and in the lr_small panel (1000).
    beta, gamma, betas, eps : float, float, (float, float), float
        Momentum's beta, RMSProp's gamma, Adam's (b1, b2), and epsilon.
    tol, max_steps : float, int
        Tolerance on ||X_n|| and the budget of updates for the step counts.

    Returns
    -------
    dict
        ``numbers``: ``runs`` ({"gd lr=0.95": {method, lr, steps_to_tol, settled_at,
        diverged_at, final_distance, distance_after_panel}}), ``panels`` (methods, lr, steps),
        ``first_steps`` ({run: X_1 - X_0}; at lr 0.95 the lecture's (0.665, -3.8) for GD and
        (0.95, -0.95) for AdaGrad), ``adam_bias_correction`` (first steps with and without,
        their ratio and the predicted (1 - b1)/sqrt(1 - b2)), ``adam_step_sizes`` (|X_n - X_{n-1}|
        per coordinate, both variants) and ``trajectories`` ({run: [[x, y], ...]} as drawn);
        ``highlights``; for the figure ``panels`` [(methods, lr, steps)] and ``paths``
        ({run: X_0..X_N}, every run to ``max_steps`` or more).
    """
    _check(start, lrs_momentum, lrs_adagrad, lr_small, lr_adam, steps, steps_small_lr, beta, gamma, betas,
           eps, tol, max_steps)
    hyper = {"beta": beta, "gamma": gamma, "betas": tuple(betas), "eps": eps}
    panels = _panels(lrs_momentum, lrs_adagrad, lr_small, lr_adam, steps, steps_small_lr)
    paths: dict[str, np.ndarray] = {}
    runs: dict[str, dict] = {}
    drawn: dict[str, int] = {}
    for methods, lr, n in panels:
        for m in methods:
            key = f"{m} lr={lr:g}"
            if key not in paths:
                paths[key] = trajectory(m, lr, max(n, max_steps), start, **hyper)
                runs[key] = {"method": m, "lr": lr, **tolerance_stats(paths[key][: max_steps + 1], tol)}
            drawn[key] = max(drawn.get(key, 0), n)
    for key, n in drawn.items():
        end = paths[key][n]
        runs[key]["distance_after_panel"] = float(np.hypot(*end)) if np.all(np.isfinite(end)) else None
        runs[key]["panel_steps"] = n

    with_bc, without_bc = paths[f"adam lr={lr_adam:g}"], paths[f"adam_no_bias_correction lr={lr_adam:g}"]
    b1, b2 = betas
    first_with, first_without = with_bc[1] - with_bc[0], without_bc[1] - without_bc[0]
    k = min(steps, max_steps)
    numbers = {
        "start": list(start), "tol": tol, "max_steps": max_steps,
        "hyper": {"momentum_beta": beta, "rmsprop_gamma": gamma, "adam_betas": list(betas), "eps": eps,
                  "eps_placement": {"adagrad": "alpha/(sqrt(G)+eps)", "rmsprop": "alpha/sqrt(G+eps)",
                                    "adam": "alpha*M^/sqrt(V^+eps)"}},
        "panels": [{"methods": list(ms), "lr": lr, "steps": n} for ms, lr, n in panels],
        "runs": runs,
        "first_steps": {key: (p[1] - p[0]).tolist() for key, p in paths.items()},
        "adam_bias_correction": {
            "lr": lr_adam,
            "first_step_with": first_with.tolist(),                   # alpha sign(g)
            "first_step_without": first_without.tolist(),             # alpha (1-b1)/sqrt(1-b2) sign(g)
            "ratio": (first_without / first_with).tolist(),
            "predicted_ratio": (1 - b1) / math.sqrt(1 - b2),          # 0.1 / sqrt(0.001) = 3.162...
        },
        "adam_step_sizes": {"with": np.abs(np.diff(with_bc[: k + 1], axis=0)).tolist(),
                            "without": np.abs(np.diff(without_bc[: k + 1], axis=0)).tolist()},
        "trajectories": {key: paths[key][: drawn[key] + 1].tolist() for key in paths},
    }
    return {"numbers": numbers, "highlights": _highlights(numbers), "panels": panels, "paths": paths}


def _check(start, lrs_momentum, lrs_adagrad, lr_small, lr_adam, steps, steps_small_lr, beta, gamma, betas,
           eps, tol, max_steps) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    check_param(len(start) == 2 and all(math.isfinite(v) for v in start), "start",
                f"must be two finite numbers x,y, got {start}")
    for name, lrs in (("lrs_momentum", lrs_momentum), ("lrs_adagrad", lrs_adagrad)):
        check_param(len(lrs) >= 1 and all(v > 0 for v in lrs), name, f"must be learning rates > 0, got {lrs}")
    for name, v in (("lr_small", lr_small), ("lr_adam", lr_adam), ("tol", tol), ("eps", eps)):
        check_param(v > 0, name, f"must be > 0, got {v}")
    for name, v in (("steps", steps), ("steps_small_lr", steps_small_lr), ("max_steps", max_steps)):
        check_param(isinstance(v, int) and 1 <= v <= 1_000_000, name,
                    f"must be an integer in [1, 1e6], got {v!r}")
    check_param(all(abs(v) <= 100 for v in start), "start",
                f"must be within 100 of the minimum (the figure's window), got {start}")
    rates = [("lr_small", lr_small), ("lr_adam", lr_adam)]
    rates += [("lrs_momentum", v) for v in lrs_momentum] + [("lrs_adagrad", v) for v in lrs_adagrad]
    for name, v in rates:
        check_real(v, name, 0, 10, "larger steps only diverge")
    check_count(steps, "steps", 1, 10_000, "run time: every optimizer's path is drawn")
    check_count(steps_small_lr, "steps_small_lr", 1, 20_000, "run time: the default is 1,000")
    check_count(max_steps, "max_steps", 1, 50_000, "run time: the default is 10,000")
    check_real(eps, "eps", 0, 1, "Adam's eps only keeps the division finite")
    check_real(tol, "tol", 0, 10, "the tolerance is a distance to the minimum")
    check_param(0 <= beta < 1, "beta", f"must be in [0, 1), got {beta}")
    check_param(0 <= gamma < 1, "gamma", f"must be in [0, 1), got {gamma}")
    check_param(len(betas) == 2 and all(0 <= b < 1 for b in betas), "betas",
                f"must be b1,b2 in [0, 1), got {betas}")


def _when(r: dict, tol: float, max_steps: int) -> str:
    """When run ``r`` reaches (and stays within) the tolerance, in words."""
    if r["diverged_at"] is not None:
        return f"diverges (||X|| > 1e6 at n = {r['diverged_at']})"
    s = f"||X|| < {tol:g} at n = {r['steps_to_tol']}" if r["steps_to_tol"] is not None else \
        f"||X|| >= {tol:g} for all {max_steps} steps"
    if r["steps_to_tol"] is not None:
        s += f", stays from n = {r['settled_at']}" if r["settled_at"] is not None else ", does not stay"
    return s


def _highlights(numbers: dict) -> list[str]:
    tol, max_steps, abc = numbers["tol"], numbers["max_steps"], numbers["adam_bias_correction"]
    lines = [f"start {tuple(numbers['start'])}, tol ||X|| < {tol:g}, budget {max_steps} updates"]
    lines += [f"{key:<32} {_when(r, tol, max_steps)}" for key, r in numbers["runs"].items()]
    lines.append(f"Adam lr {abc['lr']:g}, first step: with bias correction "
                 f"{np.round(abc['first_step_with'], 4).tolist()}, "
                 f"without {np.round(abc['first_step_without'], 4).tolist()} (ratio {abc['ratio'][0]:.4f}, "
                 f"predicted (1-b1)/sqrt(1-b2) = {abc['predicted_ratio']:.4f})")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """A panel of trajectories per (methods, lr), then Adam's step sizes with and without bias correction."""
    t = style.labels(_TEXT)
    nb, panels = data["numbers"], data["panels"]
    start = nb["start"]
    with style.context():
        fig = style.figure(figsize=(13, 12))
        axes = fig.subplots(3, 3).ravel()
        for ax, (methods, lr, n) in zip(axes, panels, strict=False):
            _draw_panel(ax, methods, lr, n, data["paths"], nb["runs"], start, t, nb["tol"], nb["max_steps"])
        _draw_steps(axes[len(panels)] if len(panels) < axes.size else None, nb,
                    nb["adam_bias_correction"]["lr"], t)
        for ax in axes[len(panels) + 1:]:
            ax.set_visible(False)
        fig.suptitle(t["suptitle"].format(x0=start[0], y0=start[1]))
    return fig


def run(*, lang: str = "en", start: tuple = (-7.0, 2.0), lrs_momentum: tuple = (0.95, 0.1),
        lrs_adagrad: tuple = (0.1, 0.95, 1.5), lr_small: float = 0.01, lr_adam: float = 0.3,
        steps: int = 40, steps_small_lr: int = 1000, beta: float = 0.9, gamma: float = 0.9,
        betas: tuple = (0.9, 0.999), eps: float = 1e-8, tol: float = 1e-2, max_steps: int = 10000) -> Result:
    """Trajectories of the lecture's optimizers on x^2/20 + y^2, steps to tolerance, Adam's bias correction.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(start=start, lrs_momentum=lrs_momentum, lrs_adagrad=lrs_adagrad, lr_small=lr_small,
                   lr_adam=lr_adam, steps=steps, steps_small_lr=steps_small_lr, beta=beta, gamma=gamma,
                   betas=betas, eps=eps, tol=tol, max_steps=max_steps)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

#: Every panel's legend sits under its x label, where it hides no path (the paths fill the panels).
_LEGEND_BELOW = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.16), "fontsize": 8, "borderaxespad": 0.0,
                 "handlelength": 1.8}


def _limits(methods, lr, n, paths, runs, start) -> tuple[float, float, float, float]:
    """Axes limits holding the start, the minimum and every non-diverging path of the panel (padded)."""
    pts = [np.array([start, (0.0, 0.0)], dtype=np.float64)]
    for m in methods:
        key = f"{m} lr={lr:g}"
        if runs[key]["diverged_at"] is None:
            pts.append(paths[key][: n + 1])
    pts = np.concatenate(pts)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    (xlo, ylo), (xhi, yhi) = pts.min(axis=0), pts.max(axis=0)
    xpad, ypad = 0.08 * (xhi - xlo) + 0.5, 0.1 * (yhi - ylo) + 0.5
    ymax = max(abs(ylo), abs(yhi)) + ypad
    return xlo - xpad, xhi + xpad, -ymax, ymax


def _draw_panel(ax, methods, lr, n, paths, runs, start, t, tol, max_steps) -> None:
    xlo, xhi, ylo, yhi = _limits(methods, lr, n, paths, runs, start)
    gx, gy = np.meshgrid(np.linspace(xlo, xhi, 200), np.linspace(ylo, yhi, 160))
    ax.contour(gx, gy, f(gx, gy), levels=np.geomspace(0.05, 60, 12), colors="0.7", linewidths=0.6)
    ax.plot([0], [0], "+", color="k", ms=9)
    colors = {"gd": "C0", "momentum": "C1", "adagrad": "C2", "rmsprop": "C3", "adam": "C4",
              "adam_no_bias_correction": "C5"}
    for i, m in enumerate(methods):
        key = f"{m} lr={lr:g}"
        path = paths[key][: n + 1]
        path = path[np.all(np.isfinite(path), axis=1)]
        r = runs[key]
        if r["diverged_at"] is not None:
            note = t["diverged"]
        elif r["steps_to_tol"] is not None:
            note = t["tol"].format(tol=tol, n=r["steps_to_tol"])
        else:
            note = t["never"].format(n=max_steps)
        ms = 2.5 if n <= 100 else 0
        lw = 2.4 if i == 0 else 1.0                      # the first method underneath, wider, stays visible
        ax.plot(path[:, 0], path[:, 1], "o-", ms=ms, lw=lw, color=colors[m], alpha=0.85,
                label=f"{t[m]}: {note}")
        ax.plot(path[-1:, 0], path[-1:, 1], "o", ms=6, color=colors[m], mec="k", mew=0.8)   # X_n at the end
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)
    ax.set_title(f"{t['lr'].format(lr=lr)}, {t['steps'].format(n=n)}")
    ax.set_xlabel(t["x"])
    ax.set_ylabel(t["y"])
    ax.legend(**_LEGEND_BELOW)


def _draw_steps(ax, numbers: dict, lr: float, t: dict) -> None:
    if ax is None:
        return
    for variant, color in (("with", "C4"), ("without", "C5")):
        s = np.asarray(numbers["adam_step_sizes"][variant])
        n = np.arange(1, s.shape[0] + 1)
        ax.semilogy(n, np.maximum(s[:, 0], 1e-12), "o-", ms=2.5, lw=1, color=color,
                    label=f"{t[variant]}: $x$")
        ax.semilogy(n, np.maximum(s[:, 1], 1e-12), "s--", ms=2.5, lw=1, color=color, mfc="none",
                    label=f"{t[variant]}: $y$")
    ratio = numbers["adam_bias_correction"]["predicted_ratio"]
    ax.axhline(lr, color="k", ls=":", lw=0.8)
    ax.axhline(lr * ratio, color="k", ls="--", lw=0.8)
    ax.annotate(f"$\\alpha$ = {lr:g}", xy=(1.0, lr), xycoords=("axes fraction", "data"), ha="right",
                va="bottom", fontsize=7, xytext=(-3, 2), textcoords="offset points")
    ax.annotate(f"{ratio:.2f}$\\alpha$", xy=(1.0, lr * ratio), xycoords=("axes fraction", "data"), ha="right",
                va="bottom", fontsize=7, xytext=(-3, 2), textcoords="offset points")
    ax.set_title(t["step_title"].format(lr=lr))
    ax.set_xlabel(t["n"])
    ax.set_ylabel(t["dx"])
    ax.legend(ncol=2, columnspacing=1.0, **_LEGEND_BELOW)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
