"""Exploding gradients and gradient clipping (lecture: 기울기 폭발 문제, Exploding Gradient, L29).

The slide: "기울기 업데이트가 계속적으로 커져서, NaN 문제를 발생하는 경우" -- the
gradient updates keep growing until the numbers become NaN.  In a deep plain
network the gradient of layer l is a product of the later layers' Jacobians,

    dA[l-1] = W[l]^T (dZ[l]),   dZ[l] = dA[l] * g'(Z[l]),   dW[l] = dZ[l] A[l-1]^T,

so weights a little too large make every factor larger than one and the
gradients grow geometrically with depth.  Then a gradient step makes the
weights larger still, the next gradient is larger again, and within a few steps
the loss overflows to Inf/NaN.

The experiment builds a ``depth``-hidden-layer ReLU network whose weights are
drawn with ``init_gain`` times He's standard deviation (L28), W ~ gain * N(0, 2/n),
and trains it twice with the same mini-batches and learning rate: once with
plain SGD, once with :func:`abcdl.optim.clip_grad_norm` (the practical fix:
g <- g * min(1, max_norm/||g||)) between backward and the update.  It records
||dW[l]||_F of every layer at every step (before clipping).  Without clipping
the norms rise by orders of magnitude and the loss becomes NaN after a few
steps; with clipping the same network trains.

Run::

    abcdl demo exploding-gradients [--depth 10] [--width 100] [--init-gain 1.3] [--lr 0.1] [--max-norm 5.0]
    python -m abcdl.experiments.exploding_gradients
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import (
    FigureStyle,
    Result,
    check_count,
    check_param,
    check_real,
    check_seed,
    figure_style,
    fmt,
    main,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from ._training import check_data, load_subset, weight_names

NAME = "exploding-gradients"
SPEC = ("L29",)
DESCRIPTION = "per-layer gradient norms of a deep ReLU net blowing up to NaN, and tamed by gradient clipping"

_TEXT = {
    "en": {"noclip": "no clipping: $\\|dW^{{[l]}}\\|_F$ per layer", "clip": "clip_grad_norm(max_norm={c:g})",
           "step": "step (mini-batch)", "norm": "gradient norm $\\|dW^{[l]}\\|_F$ (before clipping)",
           "layer": "layer $l$", "nan": "loss NaN/Inf at step {s}",
           "max_norm": "max_norm (all layers together)",
           "loss": "training loss $J$", "loss_title": "training loss (log scale)",
           "run_noclip": "no clipping", "run_clip": "clipping"},
    "ko": {"noclip": "클리핑 없음: 층별 $\\|dW^{{[l]}}\\|_F$", "clip": "기울기 클리핑 (max_norm={c:g})",
           "step": "반복 횟수 (미니배치)", "norm": "기울기 크기 $\\|dW^{[l]}\\|_F$ (클리핑 전)",
           "layer": "층 $l$", "nan": "{s}번째 반복에서 손실 NaN/Inf", "max_norm": "max_norm (전체 층 합)",
           "loss": "학습 손실 $J$", "loss_title": "학습 손실 (로그 눈금)",
           "run_noclip": "클리핑 없음", "run_clip": "클리핑"},
}


def deep_relu_net(n_in: int, depth: int, width: int, n_out: int, init_gain: float, rng: np.random.Generator):
    """``depth`` hidden Linear+ReLU layers of ``width`` units and a Linear output, W ~ gain N(0, 2/n_in)."""
    from ..layers import Linear, ReLU
    from ..models import Sequential

    layers, n = [], n_in
    for _ in range(depth):
        std = init_gain * math.sqrt(2.0 / n)                   # std = gain sqrt(2/n)
        layers += [Linear(n, width, init=std, rng=rng), ReLU()]
        n = width
    layers.append(Linear(n, n_out, init=init_gain * math.sqrt(2.0 / n), rng=rng))
    return Sequential(*layers)


def train_recording_norms(model, x, t, steps: int, batch_size: int, lr: float, max_norm: float | None,
                          rng: np.random.Generator) -> dict:
    """SGD for ``steps`` mini-batches, recording each layer's ||dW||_F (before clipping) and the loss.

    Stops at the first non-finite loss or gradient (the run has diverged).

    Returns
    -------
    dict with ``layer_norms`` (steps_run, L), ``total_norm`` (steps_run,), ``loss`` (steps_run,),
    ``diverged_at`` (1-based step whose loss or gradient was not finite, or None).
    """
    from ..losses import SoftmaxCrossEntropyLoss
    from ..optim import SGD, clip_grad_norm

    loss_fn = SoftmaxCrossEntropyLoss()
    opt = SGD(model.parameters(), lr=lr)
    params = model.parameters()
    weights = [p for _, p in weight_names(model)]
    layer_norms, total, losses = [], [], []
    diverged_at = None
    order = np.empty(0, dtype=np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(steps):
            if len(order) < batch_size:                         # a fresh permutation each epoch
                order = np.concatenate([order, rng.permutation(len(x))])
            idx, order = order[:batch_size], order[batch_size:]
            model.zero_grad()
            try:
                loss = loss_fn.forward(model.forward(x[idx]), t[idx])   # J = (1/m) sum L
            except FloatingPointError:                          # the loss itself overflowed
                diverged_at = step + 1
                break
            model.backward(loss_fn.backward())
            norms = [math.sqrt(float(np.dot(g, g))) for g in (p.grad.reshape(-1) for p in weights)]
            if max_norm is None:
                # ||g|| = sqrt(sum over all parameters of ||g_i||^2)
                norm = math.sqrt(sum(float(np.dot(g, g)) for g in (p.grad.reshape(-1) for p in params)))
            else:
                norm = clip_grad_norm(params, max_norm)         # g <- g min(1, max_norm/||g||)
            layer_norms.append(norms)
            total.append(norm)
            losses.append(loss)
            if not math.isfinite(norm):
                diverged_at = step + 1
                break
            opt.step()                                          # W <- W - lr dW
    return {"layer_norms": np.array(layer_norms, dtype=np.float64).reshape(-1, len(weights)),
            "total_norm": np.array(total), "loss": np.array(losses), "diverged_at": diverged_at}


def _accuracy(model, x, t) -> float:
    from ..train import accuracy, predict

    with np.errstate(over="ignore", invalid="ignore"):
        return accuracy(predict(model, x), t)


def _finite_max(a: np.ndarray) -> float | None:
    a = a[np.isfinite(a)]
    return float(a.max()) if a.size else None


def compute(*, depth: int = 10, width: int = 100, init_gain: float = 1.3, lr: float = 0.1,
            max_norm: float = 5.0, steps: int = 200, batch_size: int = 100, n_train: int = 2000,
            n_test: int = 2000, data: str = "mnist", root: str = "", seed: int = 0) -> dict:
    """Train one deep ReLU network with and without gradient clipping and record per-layer gradient norms.

    Parameters
    ----------
    depth, width : int
        Hidden layers and units per hidden layer.
    init_gain : float
        Weights start at ``init_gain`` times He's standard deviation: W ~ gain N(0, 2/n) (1 = He).
    lr : float
        SGD learning rate, the same for both runs.
    max_norm : float
        Clipping threshold of the joint gradient norm of all parameters.
    steps, batch_size : int
        Mini-batch steps per run and examples per step.
    n_train, n_test : int
        Random training examples and test examples (test accuracy is reported at the end).
    data : "mnist" | "fashion-mnist" | "digits"
    root : str
        Folder holding ``mnist/`` (default: ``ABCDL_DATA``, then the user cache).
    seed : int
        Draws the data subset, the weights (the same for both runs) and the batch order (the same too).

    Returns
    -------
    dict
        ``numbers``: ``no_clip`` and ``clip``, each ``{"diverged_at_step" (None if never),
        "max_grad_norm" (largest finite joint norm, before clipping), "first_grad_norm",
        "max_layer_grad_norm" (per layer), "final_loss" and "test_accuracy" (None after divergence),
        "steps_run"}``, plus ``norm_growth_no_clip`` (max / first joint norm before divergence);
        ``highlights``; for the figure ``runs``: {"no_clip" | "clip": the record of
        :func:`train_recording_norms`}.
    """
    check_data(data)
    check_param(depth >= 1, "depth", f"must be >= 1, got {depth}")
    check_param(width >= 1, "width", f"must be >= 1, got {width}")
    check_param(init_gain > 0, "init_gain", f"must be > 0, got {init_gain}")
    check_param(lr > 0, "lr", f"must be > 0, got {lr}")
    check_param(max_norm > 0, "max_norm", f"must be > 0, got {max_norm}")
    check_param(steps >= 1, "steps", f"must be >= 1, got {steps}")
    check_param(batch_size >= 1, "batch_size", f"must be >= 1, got {batch_size}")
    check_param(n_test >= 1, "n_test", f"must be >= 1, got {n_test}")
    check_seed(seed)
    check_count(depth, "depth", 1, 100, "run time and memory")
    check_count(width, "width", 1, 10_000, "memory: depth x width x width weights")
    check_count(steps, "steps", 1, 5_000, "run time: the default 200 take a few seconds")
    check_count(batch_size, "batch_size", 1, 100_000, "memory")
    check_real(init_gain, "init_gain", 1e-6, 100, "larger gains overflow at initialisation")
    check_real(lr, "lr", 1e-12, 10, "larger steps only diverge")
    check_real(max_norm, "max_norm", 1e-12, 1e12)
    rng = np.random.default_rng(seed)
    ds = load_subset(data, root, n_train, n_test, rng)
    init_seed, batch_seed = rng.integers(2**32, size=2)

    runs = {}
    for key, clip in (("no_clip", None), ("clip", max_norm)):
        model = deep_relu_net(ds.n_features, depth, width, 10, init_gain, np.random.default_rng(init_seed))
        rec = train_recording_norms(model, ds.x_train, ds.t_train, steps, batch_size, lr, clip,
                                    np.random.default_rng(batch_seed))
        ok = rec["diverged_at"] is None
        rec["numbers"] = {
            "diverged_at_step": rec["diverged_at"],
            "steps_run": int(len(rec["loss"])),
            "first_grad_norm": float(rec["total_norm"][0]) if len(rec["total_norm"]) else None,
            "max_grad_norm": _finite_max(rec["total_norm"]),
            "max_layer_grad_norm": [_finite_max(col) for col in rec["layer_norms"].T],
            "final_loss": float(rec["loss"][-1]) if ok else None,
            "test_accuracy": _accuracy(model, ds.x_test, ds.t_test) if ok else None,
        }
        runs[key] = rec
    nc, c = runs["no_clip"]["numbers"], runs["clip"]["numbers"]
    growth = (nc["max_grad_norm"] / nc["first_grad_norm"]) if nc["first_grad_norm"] else None
    numbers = {"data": data, "n_train": len(ds.x_train), "depth": depth, "width": width,
               "init_gain": init_gain, "lr": lr, "max_norm": max_norm,
               "no_clip": nc, "clip": c, "norm_growth_no_clip": growth}
    return {"numbers": numbers, "highlights": _highlights(numbers), "runs": runs}


def _describe(name: str, r: dict) -> str:
    if r["diverged_at_step"] is not None:
        return (f"{name}: gradient norm {fmt(r['first_grad_norm'], 3)} at step 1 -> "
                f"{fmt(r['max_grad_norm'], 3)}; loss NaN/Inf at step {r['diverged_at_step']}")
    return (f"{name}: largest gradient norm {fmt(r['max_grad_norm'], 3)} (before clipping); "
            f"after {r['steps_run']} steps loss {r['final_loss']:.3f}, "
            f"test accuracy {r['test_accuracy']:.3f}")


def _highlights(nb: dict) -> list[str]:
    return [f"{nb['depth']} hidden ReLU layers x {nb['width']}, W ~ {nb['init_gain']:g} x He, "
            f"SGD lr {nb['lr']:g}, {nb['n_train']} {nb['data']} examples",
            _describe("without clipping", nb["no_clip"]),
            _describe(f"clip_grad_norm(max_norm={nb['max_norm']:g})", nb["clip"])]


def draw(data: dict, style: FigureStyle) -> Figure:
    """Per-layer gradient norms without and with clipping, and both training losses."""
    import matplotlib

    t = style.labels(_TEXT)
    nb, runs = data["numbers"], data["runs"]
    max_norm = nb["max_norm"]
    with style.context():
        fig = style.figure(figsize=(13, 4.2))
        axes = fig.subplots(1, 3)
        n_layers = nb["depth"] + 1
        cmap = matplotlib.colormaps["viridis"]
        colors = [cmap(i / max(n_layers - 1, 1)) for i in range(n_layers)]
        _draw_norms(axes[0], runs["no_clip"], None, colors, t["noclip"], t)
        _draw_norms(axes[1], runs["clip"], max_norm, colors, t["clip"].format(c=max_norm), t)
        ax = axes[2]
        for key, color, label in (("no_clip", "C3", t["run_noclip"]), ("clip", "C0", t["run_clip"])):
            loss = runs[key]["loss"]
            ax.plot(np.arange(1, len(loss) + 1), loss, color=color, lw=1.2,
                    marker="o" if len(loss) < 20 else None, ms=3, label=label)
        ax.set_yscale("log")
        ax.set_xlabel(t["step"])
        ax.set_ylabel(t["loss"])
        ax.set_title(t["loss_title"])
        ax.legend()
    return fig


def _draw_norms(ax, rec: dict, max_norm: float | None, colors: list, title: str, t: dict) -> None:
    """Each layer's ||dW||_F per step (log scale), the step where the loss became NaN, max_norm if clipped."""
    from matplotlib.ticker import MaxNLocator

    norms, n_layers, floor = rec["layer_norms"], len(colors), 1e-12
    x = np.arange(1, len(norms) + 1)
    for l in range(norms.shape[1]):
        y = np.where(np.isfinite(norms[:, l]), np.maximum(norms[:, l], floor), np.nan)
        ax.plot(x, y, color=colors[l], lw=1.2, marker="o" if len(x) < 20 else None, ms=3,
                label=f"{l + 1}" if l in (0, n_layers // 2, n_layers - 1) else None)
    if rec["diverged_at"] is not None:
        ax.axvline(rec["diverged_at"], color="C3", ls="--", lw=1)
        ax.annotate(t["nan"].format(s=rec["diverged_at"]), xy=(rec["diverged_at"], 0.5),
                    xycoords=("data", "axes fraction"), ha="right", va="center", rotation=90,
                    color="C3", fontsize=8, xytext=(-3, 0), textcoords="offset points")
    if max_norm is not None:
        ax.axhline(max_norm, color="k", ls=":", lw=1, label=t["max_norm"])
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(t["step"])
    ax.set_ylabel(t["norm"])
    ax.set_title(title)
    ax.legend(title=t["layer"], loc="best", fontsize=7)


def run(*, lang: str = "en", depth: int = 10, width: int = 100, init_gain: float = 1.3, lr: float = 0.1,
        max_norm: float = 5.0, steps: int = 200, batch_size: int = 100, n_train: int = 2000,
        n_test: int = 2000, data: str = "mnist", root: str = "", seed: int = 0) -> Result:
    """Train one deep ReLU network with and without gradient clipping and record per-layer gradient norms.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(depth=depth, width=width, init_gain=init_gain, lr=lr, max_norm=max_norm, steps=steps,
                  batch_size=batch_size, n_train=n_train, n_test=n_test, data=data, root=root, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
