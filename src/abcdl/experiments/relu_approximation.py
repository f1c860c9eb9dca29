"""Approximating functions with ReLUs (lecture: 활성화 함수를 통해 다양한 함수를 근사, L11).

The slide builds a curve from six ReLU units,

    n1 = ReLU(-5x - 7.7),  n2 = ReLU(-1.2x - 1.3),  n3 = ReLU(1.2x + 1),
    n4 = ReLU(1.2x - 0.2), n5 = ReLU(2x - 1.1),     n6 = ReLU(5x - 5),
    Z(x) = -n1 - n2 - n3 + n4 + n5 + n6,

a piecewise-linear function with a kink where each unit switches on: a
1-hidden-layer network with enough ReLUs approximates any continuous function
on an interval (universal approximation).  The experiment plots the six units
and Z, then trains a 1-hidden-layer network (``abcdl.layers.Linear`` -> ``ReLU``
-> ``Linear``, ``MSELoss``) by plain full-batch gradient descent
``W <- W - lr dJ/dW`` (L20) to fit sin(pi x) on [-1, 1] (or Z itself on [-2, 2]
with ``--target z``), and reports the mean squared error.  The hidden units'
kinks start spread over the interval (b_i = -w_i c_i with c_i drawn uniformly),
as the slide's units are; with every b_i = 0 all kinks would sit at x = 0.
Before training, x is scaled to [-1, 1] and y to max |y| = 1 (the usual input
and target normalisation, so one learning rate suits both targets); errors are
reported in the original units.

Run::

    abcdl demo relu-approximation [--target sin|z] [--hidden 20] [--steps 5000] [--lr 0.1]
    python -m abcdl.experiments.relu_approximation
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "relu-approximation"
SPEC = ("L11",)
DESCRIPTION = "the slide's six-ReLU curve Z(x), and a 1-hidden-layer ReLU net fitted to a 1-D function"

# The slide's units n_i(x) = ReLU(a_i x + c_i) and their signs in Z.
LECTURE_UNITS = ((-5.0, -7.7), (-1.2, -1.3), (1.2, 1.0), (1.2, -0.2), (2.0, -1.1), (5.0, -5.0))
LECTURE_SIGNS = (-1, -1, -1, +1, +1, +1)

_TEXT = {
    "en": {"units": "the slide's six ReLUs $n_i(x)$", "z": "$Z(x) = -n_1-n_2-n_3+n_4+n_5+n_6$",
           "kink": "kinks", "fit": "1-hidden-layer ReLU net ({h} units), MSE {mse:.2e}",
           "target": "target", "net": "network", "loss": "training loss (MSE)",
           "step": "gradient-descent step", "x": "$x$"},
    "ko": {"units": "슬라이드의 ReLU 여섯 개 $n_i(x)$", "z": "$Z(x) = -n_1-n_2-n_3+n_4+n_5+n_6$",
           "kink": "꺾이는 점", "fit": "은닉층 1개 ReLU 신경망 ({h}개 노드), MSE {mse:.2e}",
           "target": "목표 함수", "net": "신경망", "loss": "학습 손실 (MSE)", "step": "경사하강법 반복",
           "x": "$x$"},
}

_TARGETS = {
    "sin": ((-1.0, 1.0), "sin(pi x)"),
    "z": ((-2.0, 2.0), "the slide's Z(x)"),
}


def lecture_units(x) -> np.ndarray:
    """The slide's n_1..n_6 at ``x``: array of shape (6, *x.shape), n_i = ReLU(a_i x + c_i)."""
    x = np.asarray(x, dtype=np.float64)
    return np.stack([np.maximum(0.0, a * x + c) for a, c in LECTURE_UNITS])


def lecture_z(x) -> np.ndarray:
    """Z(x) = -n1 - n2 - n3 + n4 + n5 + n6 (the slide's curve)."""
    n = lecture_units(x)
    return np.tensordot(np.asarray(LECTURE_SIGNS, dtype=np.float64), n, axes=1)


def lecture_kinks() -> list[float]:
    """Where each n_i switches on: a_i x + c_i = 0 -> x = -c_i / a_i."""
    return [-c / a for a, c in LECTURE_UNITS]


def _target(name: str, x: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * x) if name == "sin" else lecture_z(x)


def fit_relu_net(x: np.ndarray, y: np.ndarray, hidden: int, steps: int, lr: float,
                 rng: np.random.Generator):
    """Train Linear(1, hidden) -> ReLU -> Linear(hidden, 1) on (x, y) by full-batch gradient descent.

    Returns the model's layers and the loss after every step.  float64 throughout.
    """
    from ..layers import Linear, ReLU
    from ..losses import MSELoss

    l1 = Linear(1, hidden, init="he", rng=rng, dtype=np.float64)
    act = ReLU()
    l2 = Linear(hidden, 1, init="xavier", rng=rng, dtype=np.float64)
    kinks = rng.uniform(x.min(), x.max(), hidden)
    l1.b.data[:] = -l1.W.data[:, 0] * kinks                  # unit i switches on at x = c_i
    params = [*l1.parameters(), *l2.parameters()]
    loss_fn = MSELoss()
    history = np.empty(steps)
    for s in range(steps):
        y_hat = l2.forward(act.forward(l1.forward(x)))        # y = W2 ReLU(W1 x + b1) + b2
        history[s] = loss_fn.forward(y_hat, y)                # J = (1/m) sum (y - t)^2
        for p in params:
            p.zero_grad()
        l1.backward(act.backward(l2.backward(loss_fn.backward())))
        for p in params:
            p.data -= lr * p.grad                             # W <- W - alpha dJ/dW   (L20)
    return (l1, act, l2), history


def compute(*, target: str = "sin", hidden: int = 20, steps: int = 5000, lr: float = 0.1, n_points: int = 200,
            seed: int = 0) -> dict:
    """Fit a 1-hidden-layer ReLU network to a 1-D function; the slide's Z(x) at a few points.

    Parameters
    ----------
    target : "sin" | "z"
        sin(pi x) on [-1, 1], or the slide's Z(x) on [-2, 2].
    hidden : int
        Hidden ReLU units.
    steps, lr : int, float
        Full-batch gradient-descent steps and learning rate.
    n_points : int
        Evenly spaced training points on the interval.
    seed : int
        Seed of the initial weights and kinks.

    Returns
    -------
    dict
        ``numbers``: ``z_at`` (Z at x = -2, -1, 0, 1, 2), ``lecture_kinks``, ``initial_mse``,
        ``final_mse``, ``max_abs_error`` of the fit and ``loss_history`` (51 points);
        ``highlights``; for the figure the fine grid ``xf`` over the interval with the target
        ``y_target`` and the network ``y_net`` on it, the network's kinks inside the interval
        (``net_kinks``), the loss after every step (``history``) and ``hidden``.
    """
    check_param(target in _TARGETS, "target", f"must be one of {', '.join(_TARGETS)}, got {target!r}")
    check_param(hidden >= 1, "hidden", f"must be >= 1, got {hidden}")
    check_param(steps >= 1, "steps", f"must be >= 1, got {steps}")
    check_param(lr > 0, "lr", f"must be > 0, got {lr}")
    check_param(n_points >= 2, "n_points", f"must be >= 2, got {n_points}")
    check_seed(seed)
    check_count(hidden, "hidden", 1, 10_000, "memory and run time")
    check_count(steps, "steps", 1, 200_000, "run time: the default 5,000 take about a second")
    check_count(n_points, "n_points", 2, 100_000, "memory")
    check_real(lr, "lr", 1e-12, 10, "larger steps only diverge")

    (lo, hi), target_name = _TARGETS[target]
    x = np.linspace(lo, hi, n_points)[:, None]
    y = _target(target, x)
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    scale = float(np.max(np.abs(y))) or 1.0
    u, v = (x - mid) / half, y / scale                        # u in [-1, 1], max |v| = 1
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            (l1, act, l2), history = fit_relu_net(u, v, hidden, steps, lr, np.random.default_rng(seed))
        except FloatingPointError:
            check_param(False, "lr", f"gradient descent diverged with lr = {lr:g}; try a smaller lr")
    history = history * scale**2                              # MSE in the units of y

    def net(xq: np.ndarray) -> np.ndarray:
        return scale * l2.forward(act.forward(l1.forward((xq - mid) / half)))

    y_hat = net(x)
    W1, b1 = l1.W.data[:, 0], l1.b.data
    net_kinks = mid + half * (-b1 / np.where(W1 == 0, np.inf, W1))   # unit i bends at u = -b_i / w_i
    probe = (-2.0, -1.0, 0.0, 1.0, 2.0)
    numbers = {
        "z_at": {f"{v:g}": float(lecture_z(v)) for v in probe},
        "lecture_kinks": lecture_kinks(),
        "target": target,
        "initial_mse": float(history[0]),
        "final_mse": float(history[-1]),
        "max_abs_error": float(np.max(np.abs(y_hat - y))),
        "loss_history": history[np.linspace(0, steps - 1, min(steps, 51)).astype(int)],
    }
    highlights = [
        "Z(x) at x = -2, -1, 0, 1, 2: " + ", ".join(f"{v:g}" for v in numbers["z_at"].values()),
        "kinks of n1..n6 at x = " + ", ".join(f"{k:.3g}" for k in numbers["lecture_kinks"]),
        f"fit of {target_name} on [{lo:g}, {hi:g}] with {hidden} ReLUs, {steps} GD steps (lr {lr:g}): "
        f"MSE {history[0]:.3g} -> {history[-1]:.3g}, max |error| {numbers['max_abs_error']:.3g}",
    ]
    xf = np.linspace(lo, hi, 801)[:, None]
    return {"numbers": numbers, "highlights": highlights, "xf": xf, "y_target": _target(target, xf),
            "y_net": net(xf), "net_kinks": net_kinks[(net_kinks >= lo) & (net_kinks <= hi)],
            "history": history, "hidden": hidden}


def draw(data: dict, style: FigureStyle) -> Figure:
    """The six ReLUs, their sum Z(x), the network's fit with its kinks, and the training loss."""
    t = style.labels(_TEXT)
    history = data["history"]
    with style.context():
        fig = style.figure(figsize=(10, 7))
        (ax1, ax2), (ax3, ax4) = fig.subplots(2, 2)
        xs = np.linspace(-2.0, 2.0, 801)
        for i, n in enumerate(lecture_units(xs)):
            sign = "-" if LECTURE_SIGNS[i] < 0 else "+"
            ax1.plot(xs, n, lw=1.2, ls="--" if LECTURE_SIGNS[i] < 0 else "-", label=f"{sign}$n_{i + 1}$")
        ax1.set_ylim(-0.3, 6)
        ax1.set_title(t["units"])
        ax1.legend(ncol=2)
        ax2.plot(xs, lecture_z(xs), color="k", lw=1.8)
        ks = [k for k in lecture_kinks() if -2 <= k <= 2]
        ax2.plot(ks, lecture_z(np.array(ks)), "o", color="C3", label=t["kink"])
        ax2.set_title(t["z"])
        ax2.legend()
        ax3.plot(data["xf"], data["y_target"], color="gray", lw=3, alpha=0.6, label=t["target"])
        ax3.plot(data["xf"], data["y_net"], color="C0", lw=1.3, label=t["net"])
        inside = data["net_kinks"]
        ax3.plot(inside, np.full(inside.shape, ax3.get_ylim()[0]), "|", color="C3", ms=10, label=t["kink"])
        ax3.set_title(t["fit"].format(h=data["hidden"], mse=history[-1]))
        ax3.legend()
        ax4.semilogy(np.arange(1, history.size + 1), history, color="C1")
        ax4.set_xlabel(t["step"])
        ax4.set_title(t["loss"])
        for ax in (ax1, ax2, ax3):
            ax.set_xlabel(t["x"])
    return fig


def run(*, lang: str = "en", target: str = "sin", hidden: int = 20, steps: int = 5000, lr: float = 0.1,
        n_points: int = 200, seed: int = 0) -> Result:
    """Plot the slide's Z(x) and fit a 1-hidden-layer ReLU network to a 1-D function.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(target=target, hidden=hidden, steps=steps, lr=lr, n_points=n_points, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
