"""One MNIST training run by hand and by machine, side by side (L39, after L16 and L36).

The lecture trains its networks with backward passes derived by hand (L15-L17)
and mini-batch gradient descent (L36).  Here the same 784-100-100-10 ReLU
network is trained twice from the same initial weights on the same batches with
Adam: once through ``abcdl.layers`` (each layer's hand-written ``backward``,
``abcdl.train.train_step``), once through ``abcdl.autograd`` (the network and
the loss rebuilt from ops, ``J.backward()``).  Both runs update the same kind
of ``abcdl.Parameter`` with the same optimizer class, so any difference could
only come from the gradients.  In float64 the two runs stay within rounding of
each other for the whole run (here they are bit for bit equal), reach the same
test accuracy, and take about the same time.

Run::

    abcdl demo autograd-mnist [--n-train 10000] [--epochs 2] [--dtype float64]
    python -m abcdl.experiments.autograd_mnist
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main
from ._training import check_data, load_subset

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "autograd-mnist"
SPEC = ("L39",)
DESCRIPTION = "the same MNIST MLP trained through the hand-written layers and through autograd: same weights"

_TEXT = {
    "en": {"hand": "hand-written backward (abcdl.layers)", "machine": "autograd (J.backward())",
           "step": "step", "loss": "training loss $J$ (per batch)",
           "title_loss": "{n:,} images, {epochs} epochs, Adam, batch {batch}, {dtype}",
           "diff": "$\\max |W_{hand} - W_{autograd}|$", "title_diff": "the two runs' weights",
           "moved": "$\\max |W - W_0|$ (training)",
           "epoch": "epoch", "seconds": "seconds per epoch", "title_time": "time",
           "acc": "test accuracy: {a:.2%} by hand, {b:.2%} by autograd"},
    "ko": {"hand": "손으로 유도한 역전파 (abcdl.layers)", "machine": "자동 미분 (J.backward())",
           "step": "단계", "loss": "학습 손실 $J$ (미니배치)",
           "title_loss": "이미지 {n:,} 장, {epochs} 에포크, Adam, 배치 {batch}, {dtype}",
           "diff": "$\\max |W_{hand} - W_{autograd}|$", "title_diff": "두 학습의 가중치",
           "moved": "$\\max |W - W_0|$ (학습)",
           "epoch": "에포크", "seconds": "에포크당 초", "title_time": "시간",
           "acc": "시험 정확도: 손 {a:.2%}, 자동 미분 {b:.2%}"},
}


def _hand_epoch(model, loss_fn, opt, X, t, perm, batch: int) -> list[float]:
    """One epoch through the hand-written layers (train_step: forward, loss, backward, Adam)."""
    from ..train import train_step

    return [float(train_step(model, loss_fn, opt, X[i], t[i])[0])
            for i in (perm[s:s + batch] for s in range(0, len(X), batch))]


def _autograd_epoch(forward, loss, opt, X, t, perm, batch: int) -> list[float]:
    """One epoch through the graph: J = loss(model(X_B), t_B); J.backward(); Adam."""
    out = []
    for s in range(0, len(X), batch):
        i = perm[s:s + batch]
        opt.zero_grad()
        J = loss(forward(X[i]), t[i])                    # the graph from the pixels to the loss
        J.backward()                                     # dJ/dW into every Parameter's grad
        opt.step()
        out.append(J.item())
    return out


def _train_both(sub, hidden, epochs: int, batch: int, lr: float, dtype, seed: int) -> dict:
    """Both runs from the same weights and batch orders: per-step losses, weight gaps, epoch times."""
    import copy

    from .. import autograd as ag
    from ..losses import SoftmaxCrossEntropyLoss
    from ..models import mlp
    from ..optim import Adam

    rng = np.random.default_rng(seed)
    hand = mlp(784, hidden, 10, dtype=dtype, rng=rng)
    machine = copy.deepcopy(hand)
    loss_fn = SoftmaxCrossEntropyLoss()
    opt_h, opt_m = Adam(hand.parameters(), lr=lr), Adam(machine.parameters(), lr=lr)
    forward, loss = ag.nn.from_layer(machine), ag.nn.from_loss(loss_fn)
    X, t = sub.x_train.astype(dtype), sub.t_train
    rec = {"hand": [], "machine": [], "gap": [], "moved": [], "sec_hand": [], "sec_machine": []}
    start = [p.data.copy() for p in hand.parameters()]
    for _ in range(epochs):
        perm = rng.permutation(len(X))                   # one order, used by both runs
        t0 = time.perf_counter()
        rec["hand"] += _hand_epoch(hand, loss_fn, opt_h, X, t, perm, batch)
        t1 = time.perf_counter()
        rec["machine"] += _autograd_epoch(forward, loss, opt_m, X, t, perm, batch)
        rec["sec_hand"].append(t1 - t0)
        rec["sec_machine"].append(time.perf_counter() - t1)
        rec["gap"].append(max(float(np.abs(p.data - q.data).max())
                              for p, q in zip(hand.parameters(), machine.parameters(), strict=True)))
        rec["moved"].append(max(float(np.abs(p.data - p0).max())
                                for p, p0 in zip(hand.parameters(), start, strict=True)))
    rec["models"] = (hand, machine)
    return rec


def compute(*, n_train: int = 10000, n_test: int = 10000, epochs: int = 2, batch_size: int = 100,
            lr: float = 0.001, hidden: tuple = (100, 100), dtype: str = "float64", seed: int = 0,
            root: str = "") -> dict:
    """Train the MLP through the hand-written layers and through autograd, from the same start.

    Parameters
    ----------
    n_train, n_test : int
        MNIST training and test images (random subsets).
    epochs, batch_size, lr : int, int, float
        Mini-batch Adam (L26, L36).
    hidden : tuple of int
        Hidden widths (the lecture's MLP-A: 100, 100).
    dtype : "float64" | "float32"
    seed : int
        Initial weights, subsets and batch orders.
    root : str
        Folder holding ``mnist/`` (empty: ``ABCDL_DATA``, then the copy shipped with abcdl).

    Returns
    -------
    dict
        ``numbers``: ``max_weight_gap`` (largest |W_hand - W_autograd| after each epoch),
        ``test_accuracy`` {hand, autograd}, ``final_loss`` {hand, autograd}, ``loss_gap``
        (largest per-step difference), ``seconds_per_epoch`` and ``time_ratio`` (autograd /
        hand); ``highlights``; for the figure ``losses`` {hand, autograd} per step.
    """
    check_param(n_train >= batch_size >= 1, "n_train", f"need n_train >= batch_size >= 1, got {n_train}, "
                f"{batch_size}")
    check_param(n_test >= 1 and epochs >= 1, "epochs",
                f"epochs and n_test must be >= 1, got {epochs}, {n_test}")
    check_param(dtype in ("float64", "float32"), "dtype", f"must be float64 or float32, got {dtype!r}")
    check_param(all(h >= 1 for h in hidden), "hidden", f"widths must be >= 1, got {hidden}")
    check_data("mnist")
    from ..losses import SoftmaxCrossEntropyLoss
    from ..train import evaluate

    sub = load_subset("mnist", root, n_train, n_test, np.random.default_rng(seed))
    rec = _train_both(sub, tuple(int(h) for h in hidden), epochs, batch_size, lr, np.dtype(dtype), seed)
    acc = [evaluate(m, SoftmaxCrossEntropyLoss(), (sub.x_test, sub.t_test))[1] for m in rec.pop("models")]
    sec = {"hand": rec["sec_hand"], "autograd": rec["sec_machine"]}
    numbers = {"n_train": len(sub.x_train), "n_test": len(sub.x_test), "epochs": epochs,
               "batch_size": batch_size, "dtype": dtype, "max_weight_gap": rec["gap"],
               "max_weight_change": rec["moved"],
               "test_accuracy": {"hand": acc[0], "autograd": acc[1]},
               "final_loss": {"hand": rec["hand"][-1], "autograd": rec["machine"][-1]},
               "loss_gap": float(np.abs(np.subtract(rec["hand"], rec["machine"])).max()),
               "seconds_per_epoch": sec, "time_ratio": float(np.sum(sec["autograd"]) / np.sum(sec["hand"]))}
    highlights = [
        f"{numbers['n_train']:,} MNIST images, {epochs} epochs, {dtype}: largest |W_hand - W_autograd| after "
        "each epoch " + ", ".join(f"{g:.1e}" for g in rec["gap"])
        + f"; largest per-step loss difference {numbers['loss_gap']:.1e}",
        f"test accuracy on {numbers['n_test']:,} images: by hand {acc[0]:.2%}, by autograd {acc[1]:.2%}",
        f"seconds per epoch: by hand {np.mean(sec['hand']):.2f}, by autograd {np.mean(sec['autograd']):.2f} "
        f"(ratio {numbers['time_ratio']:.2f}; one run on this machine, see bench/bench_autograd.py)",
    ]
    return {"numbers": numbers, "highlights": highlights,
            "losses": {"hand": np.array(rec["hand"]), "autograd": np.array(rec["machine"])}}


def _draw_gap(ax, epochs, width: float, nb: dict, t: dict) -> None:
    """How far training moved the weights, beside how far apart the two runs' weights are."""
    floor = 1e-17
    moved, gap = np.array(nb["max_weight_change"]), np.array(nb["max_weight_gap"])
    ax.bar(epochs - width / 2, moved, width, color="C7", label=t["moved"])
    ax.bar(epochs + width / 2, np.maximum(gap, floor), width, color="C2", label=t["diff"])
    for e, g in zip(epochs, gap, strict=True):
        ax.text(e + width / 2, 2 * floor, f"{g:.0e}" if g else "0", ha="center", va="bottom", fontsize=8)
    ax.set_yscale("log")
    ax.set_ylim(floor, 10)
    ax.set_xlabel(t["epoch"])
    ax.set_title(t["title_diff"], fontsize=10)
    ax.set_xticks(epochs)
    ax.legend(loc="upper center", fontsize=8)


def draw(data: dict, style: FigureStyle) -> Figure:
    """The two loss curves on top of each other, the weight gap per epoch and the time per epoch."""
    t = style.labels(_TEXT)
    nb, losses = data["numbers"], data["losses"]
    with style.context():
        fig = style.figure(figsize=(12, 4.2))
        ax, ax2, ax3 = fig.subplots(1, 3, width_ratios=(2.2, 1, 1))
        steps = np.arange(1, len(losses["hand"]) + 1)
        ax.plot(steps, losses["hand"], color="C0", lw=2.5, alpha=0.6, label=t["hand"])
        ax.plot(steps, losses["autograd"], color="C3", lw=1, ls="--", label=t["machine"])
        ax.set_yscale("log")
        ax.set_xlabel(t["step"])
        ax.set_ylabel(t["loss"])
        ax.set_title(t["title_loss"].format(n=nb["n_train"], epochs=nb["epochs"], batch=nb["batch_size"],
                                            dtype=nb["dtype"]), fontsize=10)
        ax.legend(loc="upper right")
        ax.text(0.02, 0.03, t["acc"].format(a=nb["test_accuracy"]["hand"], b=nb["test_accuracy"]["autograd"]),
                transform=ax.transAxes, fontsize=8, bbox={"facecolor": "white", "alpha": 0.85, "lw": 0})
        epochs = np.arange(1, nb["epochs"] + 1)
        width = 0.38
        _draw_gap(ax2, epochs, width, nb, t)
        ax3.bar(epochs - width / 2, nb["seconds_per_epoch"]["hand"], width, color="C0", label=t["hand"])
        ax3.bar(epochs + width / 2, nb["seconds_per_epoch"]["autograd"], width, color="C3",
                label=t["machine"])
        ax3.set_xlabel(t["epoch"])
        ax3.set_ylabel(t["seconds"])
        ax3.set_title(t["title_time"], fontsize=10)
        ax3.set_xticks(epochs)
    return fig


def run(*, lang: str = "en", n_train: int = 10000, n_test: int = 10000, epochs: int = 2,
        batch_size: int = 100, lr: float = 0.001, hidden: tuple = (100, 100), dtype: str = "float64",
        seed: int = 0, root: str = "") -> Result:
    """The same MNIST MLP trained through the hand-written layers and through autograd, side by side.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(n_train=n_train, n_test=n_test, epochs=epochs, batch_size=batch_size, lr=lr,
                   hidden=hidden, dtype=dtype, seed=seed, root=root)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
