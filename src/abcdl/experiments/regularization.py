"""Over-fitting and its remedies: L2, L1 and dropout (lecture: 과적합, 가중치 감소, 드롭아웃, L31-L33).

The slides regularize the cost,

    L2 (weight decay)  J = J0 + (lambda/2m) sum_l ||W[l]||_F^2,
                       dW[l] = (1/m) dZ[l] A[l-1]^T + (lambda/m) W[l]
    L1                 J = J0 + (lambda/2m) sum_l |W[l]|,
                       dW[l] = (1/m) dZ[l] A[l-1]^T + (lambda/2m) sign(W[l])

or drop hidden units at random while training (inverted dropout, A = A * D / keep_prob),
and claim that each keeps a network from fitting the noise of its training set.

The experiment trains one wide two-hidden-layer ReLU network (784-256-256-10)
on 1,000 MNIST training images for many epochs, four times, with the same
initial weights and mini-batches: without regularization, with
:class:`abcdl.regularizers.L2`, with :class:`abcdl.regularizers.L1`, and with
``mlp(dropout=p)``.  After every few epochs it measures accuracy and data loss
J0 on the 1,000 training images and on test images (eval mode).  Unregularized,
training accuracy reaches 100% while test accuracy stalls about ten points
below, and the test loss, after its minimum, climbs again: the network grows
ever more confident on what it memorised (over-fitting, 과적합).  With the
regularizers the test loss stays at its minimum; L2 keeps the weights small
(sum of w^2 about ten times smaller), L1 drives most of them to (near) zero
(sparse weights), and dropout gives the best test accuracy.  With only 1,000
images these moderate strengths leave the accuracy gap nearly as it is; a
strong penalty (``--l2 5``) narrows it, mostly by lowering the training accuracy.  The printed
numbers are the final train and test accuracy and their gap for each run, the
test loss (final and lowest), the weights' size and the share of near-zero
weights.

The test set here only *reports* the curves: this is a demonstration of
over-fitting, not model selection.  The strengths (lambda_L2 = 1, lambda_L1 =
0.1, dropout p = 0.5, with m the batch size as in :mod:`abcdl.regularizers`)
were fixed once on held-out *training* images and are never tuned on the test
set; see ``hyperparameter-search`` for choosing them properly (L37).

Run::

    abcdl demo regularization [--n-train 1000] [--epochs 150] [--l2 1.0] [--l1 0.1] [--dropout 0.5]
    python -m abcdl.experiments.regularization
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from ._training import check_data, curve_recorder, diverged_as_param_error, load_subset, weight_names

NAME = "regularization"
SPEC = ("L31", "L32", "L33")
DESCRIPTION = "an over-fitting MLP on 1,000 MNIST images: train vs test accuracy with none, L2, L1, dropout"

METHODS = ("none", "l2", "l1", "dropout")
ZERO_TOL = 1e-3   # |w| below this counts as (near) zero in the sparsity measure

_TEXT = {
    "en": {"none": "no regularization", "l2": "L2 ($\\lambda$={v:g})", "l1": "L1 ($\\lambda$={v:g})",
           "dropout": "dropout (p={v:g})", "acc_title": "accuracy: train (solid) vs test (dashed)",
           "epoch": "epoch", "acc": "accuracy", "loss_title": "test loss $J_0$ (rising = over-fitting)",
           "loss": "cross-entropy $J_0$", "bar_title": "final accuracy and gap", "train": "train",
           "test": "test", "gap": "gap {g:.1%}"},
    "ko": {"none": "정규화 없음", "l2": "L2 ($\\lambda$={v:g})", "l1": "L1 ($\\lambda$={v:g})",
           "dropout": "드롭아웃 (p={v:g})", "acc_title": "정확도: 훈련 (실선) vs 테스트 (점선)",
           "epoch": "에폭", "acc": "정확도", "loss_title": "테스트 손실 $J_0$ (증가 = 과적합)",
           "loss": "교차 엔트로피 $J_0$", "bar_title": "최종 정확도와 차이", "train": "훈련",
           "test": "테스트", "gap": "차이 {g:.1%}"},
}


def train_one(method: str, ds, hidden, epochs: int, lr: float, batch_size: int, l2: float, l1: float,
              dropout: float, eval_every: int, init_seed: int, batch_seed: int) -> dict:
    """Train one network with ``method`` ("none", "l2", "l1" or "dropout"); return its curves and weights."""
    from ..losses import SoftmaxCrossEntropyLoss
    from ..models import mlp
    from ..optim import SGD
    from ..regularizers import L1, L2
    from ..train import fit

    model = mlp(ds.n_features, hidden, 10, dropout=dropout if method == "dropout" else 0.0,
                rng=np.random.default_rng(init_seed))          # the same initial W for every method
    reg = {"l2": L2(l2), "l1": L1(l1)}.get(method)              # J = J0 + (lambda/2m) sum ||W||^2 or |W|
    loss_fn = SoftmaxCrossEntropyLoss()
    rec = curve_recorder({"train": (ds.x_train, ds.t_train), "test": (ds.x_test, ds.t_test)}, loss_fn,
                         every=eval_every)
    rec.model = model
    with diverged_as_param_error(lr):
        rec.record(0)
        fit(model, loss_fn, SGD(model.parameters(), lr=lr), (ds.x_train, ds.t_train), epochs=epochs,
            batch_size=batch_size, regularizer=reg, callbacks=[rec], verbose=0,
            rng=np.random.default_rng(batch_seed))
        if rec.curves["x"][-1] != epochs:                      # always measure the final weights
            rec.record(epochs)
    w = np.concatenate([p.data.reshape(-1) for _, p in weight_names(model)]).astype(np.float64)
    return {"curves": rec.curves, "sum_w2": float(w @ w),                   # sum_l ||W[l]||_F^2
            "zero_fraction": float(np.mean(np.abs(w) < ZERO_TOL))}


def compute(*, n_train: int = 1000, n_test: int = 5000, hidden: tuple = (256, 256), epochs: int = 150,
            lr: float = 0.1, batch_size: int = 100, l2: float = 1.0, l1: float = 0.1, dropout: float = 0.5,
            eval_every: int = 3, data: str = "mnist", root: str = "", seed: int = 0) -> dict:
    """Train the same over-fitting MLP without regularization, with L2, with L1 and with dropout.

    Parameters
    ----------
    n_train : int
        Training images (small on purpose: the network can memorise them).
    n_test : int
        Test images the curves are reported on (never used to choose anything).
    hidden : tuple of int
        Hidden layer widths.
    epochs, lr, batch_size
        Plain SGD, the same for every run.
    l2, l1 : float
        lambda of :class:`~abcdl.regularizers.L2` and :class:`~abcdl.regularizers.L1`
        (the lecture's (lambda/2m) scaling, m = batch size).
    dropout : float
        Drop probability p of every hidden layer in the dropout run (keep_prob = 1 - p).
    eval_every : int
        Epochs between two measurements of the curves.
    data : "mnist" | "fashion-mnist" | "digits"
    root : str
        Folder holding ``mnist/`` (default: ``ABCDL_DATA``, then the user cache).
    seed : int
        Draws the subsets, the initial weights (shared by all runs) and the batch order (shared).

    Returns
    -------
    dict
        ``numbers``: ``final`` = {method: {"train_accuracy", "test_accuracy", "gap",
        "train_loss", "test_loss", "test_loss_min", "sum_w2" (sum of squared weights),
        "zero_fraction" (share of |w| < 1e-3)}} for methods none, l2, l1, dropout; and
        ``epochs_measured``; ``highlights``; for the figure ``curves`` ({method: the
        recorder's curves: "x", and "train"/"test" {"loss", "accuracy"}}).
    """
    _check(n_train, n_test, hidden, epochs, lr, batch_size, l2, l1, dropout, eval_every, data)
    rng = np.random.default_rng(seed)
    ds = load_subset(data, root, n_train, n_test, rng)
    init_seed, batch_seed = (int(s) for s in rng.integers(2**32, size=2))
    hidden = tuple(int(h) for h in hidden)

    runs = {m: train_one(m, ds, hidden, epochs, lr, batch_size, l2, l1, dropout, eval_every,
                         init_seed, batch_seed) for m in METHODS}
    final = {}
    for m, r in runs.items():
        tr, te = r["curves"]["train"], r["curves"]["test"]
        final[m] = {"train_accuracy": tr["accuracy"][-1], "test_accuracy": te["accuracy"][-1],
                    "gap": tr["accuracy"][-1] - te["accuracy"][-1],           # train - test accuracy
                    "train_loss": tr["loss"][-1], "test_loss": te["loss"][-1],
                    "test_loss_min": min(te["loss"]),
                    "sum_w2": r["sum_w2"], "zero_fraction": r["zero_fraction"]}
    numbers = {"data": data, "n_train": len(ds.x_train), "n_test": len(ds.x_test), "hidden": hidden,
               "epochs": epochs, "lr": lr, "l2": l2, "l1": l1, "dropout": dropout,
               "epochs_measured": runs["none"]["curves"]["x"], "final": final}
    return {"numbers": numbers, "highlights": _highlights(numbers, ds.n_features),
            "curves": {m: r["curves"] for m, r in runs.items()}}


def _check(n_train, n_test, hidden, epochs, lr, batch_size, l2, l1, dropout, eval_every, data) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    check_data(data)
    check_param(len(hidden) >= 1 and all(int(h) == h and h >= 1 for h in hidden), "hidden",
                f"need positive integer widths, got {hidden}")
    check_param(n_train >= 10, "n_train", f"must be >= 10, got {n_train}")
    check_param(n_test >= 1, "n_test", f"must be >= 1, got {n_test}")
    check_param(epochs >= 1, "epochs", f"must be >= 1, got {epochs}")
    check_param(lr > 0, "lr", f"must be > 0, got {lr}")
    check_param(batch_size >= 1, "batch_size", f"must be >= 1, got {batch_size}")
    check_param(l2 >= 0, "l2", f"must be >= 0, got {l2}")
    check_param(l1 >= 0, "l1", f"must be >= 0, got {l1}")
    # the decay step W <- (1 - lr lambda/m) W alone overshoots and grows without bound when lr lambda/m >= 2
    check_param(lr * l2 / batch_size < 2, "l2", f"lr * l2 / batch_size = {lr * l2 / batch_size:g} >= 2: "
                "the weight-decay step W <- (1 - lr lambda/m) W diverges; use a smaller l2 or lr")
    check_param(0 <= dropout < 1, "dropout", f"must be in [0, 1), got {dropout}")
    check_param(eval_every >= 1, "eval_every", f"must be >= 1, got {eval_every}")


def _highlights(nb: dict, n_features: int) -> list[str]:
    plain = {"none": "none", "l2": f"L2 lambda={nb['l2']:g}", "l1": f"L1 lambda={nb['l1']:g}",
             "dropout": f"dropout p={nb['dropout']:g}"}
    arch = "-".join(map(str, (n_features, *nb["hidden"], 10)))
    lines = [f"{nb['n_train']} {nb['data']} training images, MLP {arch}, SGD lr {nb['lr']:g}, "
             f"{nb['epochs']} epochs; test accuracy on {nb['n_test']} test images (reporting only)"]
    for m in METHODS:
        f = nb["final"][m]
        lines.append(f"{plain[m]:<18} "
                     f"train {f['train_accuracy']:.3f}  test {f['test_accuracy']:.3f}  "
                     f"gap {f['gap']:.3f}  "
                     f"test loss {f['test_loss']:.3f} (min {f['test_loss_min']:.3f})  "
                     f"sum w^2 {f['sum_w2']:.0f}  |w|<1e-3 {f['zero_fraction']:.1%}")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """Train and test accuracy per epoch, the test loss per epoch, and the final accuracies with their gap."""
    t = style.labels(_TEXT)
    nb, curves = data["numbers"], data["curves"]
    final = nb["final"]
    labels = {m: t[m].format(v=v) for m, v in (("none", 0), ("l2", nb["l2"]), ("l1", nb["l1"]),
                                                ("dropout", nb["dropout"]))}
    with style.context():
        fig = style.figure(figsize=(14, 4.3))
        ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.0, 0.9]})
        for i, m in enumerate(METHODS):
            c = curves[m]
            ax1.plot(c["x"], c["train"]["accuracy"], color=f"C{i}", lw=1.3, label=labels[m])
            ax1.plot(c["x"], c["test"]["accuracy"], color=f"C{i}", lw=1.3, ls="--")
            ax2.plot(c["x"], c["test"]["loss"], color=f"C{i}", lw=1.3, label=labels[m])
        ax1.set_xlabel(t["epoch"])
        ax1.set_ylabel(t["acc"])
        lo = min(min(curves[m]["test"]["accuracy"][1:] or [0.5]) for m in METHODS)
        ax1.set_ylim(max(0.0, lo - 0.05), 1.005)
        ax1.set_title(t["acc_title"])
        ax1.legend(loc="lower right")
        ax2.set_xlabel(t["epoch"])
        ax2.set_ylabel(t["loss"])
        bottom = min(final[m]["test_loss_min"] for m in METHODS)
        top = max(final[m]["test_loss"] for m in METHODS)
        ax2.set_ylim(0.8 * bottom, bottom + 2.5 * (top - bottom) + 0.1)   # the late epochs, not epoch 0
        ax2.set_title(t["loss_title"])
        ax2.legend(loc="upper right")
        _draw_bars(ax3, final, labels, t)
    return fig


def _draw_bars(ax3, final: dict, labels: dict, t: dict) -> None:
    """Final train and test accuracy of each method, the gap written above."""
    x = np.arange(len(METHODS))
    tr = [final[m]["train_accuracy"] for m in METHODS]
    te = [final[m]["test_accuracy"] for m in METHODS]
    ax3.bar(x - 0.2, tr, 0.4, color="0.55", label=t["train"])
    ax3.bar(x + 0.2, te, 0.4, color=[f"C{i}" for i in range(len(METHODS))], label=t["test"])
    for i, m in enumerate(METHODS):
        ax3.annotate(t["gap"].format(g=final[m]["gap"]), (x[i], max(tr[i], te[i])), ha="center",
                     va="bottom", fontsize=7.5, xytext=(0, 2), textcoords="offset points")
    ax3.set_xticks(x, [""] * len(METHODS))        # tick labels are drawn in DejaVu Sans: no Hangul there
    for i, m in enumerate(METHODS):
        ax3.text(x[i], -0.02, labels[m], transform=ax3.get_xaxis_transform(), ha="right",
                 va="top", rotation=15, rotation_mode="anchor", fontsize=7.5)
    ax3.set_ylim(max(0.0, min(te) - 0.1), 1.04)
    ax3.set_ylabel(t["acc"])
    ax3.set_title(t["bar_title"])
    ax3.legend(loc="lower right")


def run(*, lang: str = "en", n_train: int = 1000, n_test: int = 5000, hidden: tuple = (256, 256),
        epochs: int = 150, lr: float = 0.1, batch_size: int = 100, l2: float = 1.0, l1: float = 0.1,
        dropout: float = 0.5, eval_every: int = 3, data: str = "mnist", root: str = "",
        seed: int = 0) -> Result:
    """Train the same over-fitting MLP without regularization, with L2, with L1 and with dropout.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(n_train=n_train, n_test=n_test, hidden=hidden, epochs=epochs, lr=lr, batch_size=batch_size,
                  l2=l2, l1=l1, dropout=dropout, eval_every=eval_every, data=data, root=root, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
