"""Over-fitting and its remedies: L2, L1 and dropout (lecture: 과적합, 가중치 감소, 드롭아웃, L31-L33).

The slides regularize the cost,

    L2 (weight decay)  J = J0 + (lambda/2m) sum_l ||W[l]||_F^2,
                       dW[l] = (1/m) dZ[l] A[l-1]^T + (lambda/m) W[l]
    L1                 J = J0 + (lambda/2m) sum_l |W[l]|,
                       dW[l] = (1/m) dZ[l] A[l-1]^T + (lambda/2m) sign(W[l])

or drop hidden units at random while training (inverted dropout, A = A * D / keep_prob),
and claim that each keeps a network from fitting the noise of its training set:
the gap between training and test accuracy of an over-fitting network narrows.

The experiment builds the lecture's over-fitting conditions as "Deep Learning from
Scratch" chapter 6 does: only 300 MNIST training images, a deep network of six
hidden ReLU layers of 100 units (784-100x6-10, He weights), plain SGD at lr 0.01,
batch 100, 200 epochs.  It trains four networks from the same initial weights on
the same mini-batches: without regularization, with :class:`abcdl.regularizers.L2`,
with :class:`abcdl.regularizers.L1`, and with ``mlp(dropout=p)``; and repeats all
four for ``seeds`` seeds (each its own 300 images, weights and batch order).
Every few epochs it measures accuracy and data loss J0 on the training images and
on test images (eval mode).

Unregularized, training accuracy reaches 100% and test accuracy stays about 20
points lower.  L2 with the book's lambda = 0.1 (0.1 x m = 10 in abcdl's (lambda/2m)
scaling, m = 100), L1 (lambda = 2) and dropout (p = 0.15) each narrow the gap in
every seed; but at these settings they narrow it by lowering the *training*
accuracy (after 200 epochs the regularized networks are still learning, dropout's
test accuracy still rising), and the test accuracy does not rise: it ends a few
points below the unregularized network's.  On 300 images the remedies stop the
memorising; they do not, here, generalise better.  The printed
numbers are, per method, the gap in each seed and its mean, the mean train and
test accuracy, and the weights' size and share of near-zero weights.

The test set here only *reports* the curves: this is a demonstration of
over-fitting, not model selection.  The strengths are the book's (L2) or were fixed
once so that the run still learns (L1 at lambda = 5 does not learn at all); they
are never tuned on the test set; see ``hyperparameter-search`` for choosing them
properly (L37).

Run::

    abcdl demo regularization [--n-train 300] [--epochs 200] [--seeds 3] [--l2 10] [--l1 2] [--dropout 0.15]
    python -m abcdl.experiments.regularization
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from ._training import check_data, curve_recorder, diverged_as_param_error, load_subset, weight_names

NAME = "regularization"
SPEC = ("L31", "L32", "L33")
DESCRIPTION = "over-fitting deep MLP, 300 MNIST images: train-test gap with none, L2, L1, dropout, per seed"

METHODS = ("none", "l2", "l1", "dropout")
ZERO_TOL = 1e-3   # |w| below this counts as (near) zero in the sparsity measure

_TEXT = {
    "en": {"none": "no regularization", "l2": "L2 ($\\lambda$={v:g})", "l1": "L1 ($\\lambda$={v:g})",
           "dropout": "dropout (p={v:g})", "acc_title": "accuracy: train (solid) vs test (dashed)",
           "epoch": "epoch", "acc": "accuracy", "loss_title": "test loss $J_0$ (rising = over-fitting)",
           "loss": "cross-entropy $J_0$", "bar_title": "final accuracy and gap", "train": "train",
           "test": "test", "gap": "gap {g:.1%}", "seed0": "seed {s}: ",
           "gap_title": "train $-$ test accuracy, {n} seeds (dots) and mean",
           "gap_y": "gap (points of accuracy); mean test accuracy above"},
    "ko": {"none": "정규화 없음", "l2": "L2 ($\\lambda$={v:g})", "l1": "L1 ($\\lambda$={v:g})",
           "dropout": "드롭아웃 (p={v:g})", "acc_title": "정확도: 훈련 (실선) vs 테스트 (점선)",
           "epoch": "에폭", "acc": "정확도", "loss_title": "테스트 손실 $J_0$ (증가 = 과적합)",
           "loss": "교차 엔트로피 $J_0$", "bar_title": "최종 정확도와 차이", "train": "훈련",
           "test": "테스트", "gap": "차이 {g:.1%}", "seed0": "시드 {s}: ",
           "gap_title": "훈련 $-$ 테스트 정확도 차이, 시드 {n}개 (점)와 평균",
           "gap_y": "차이 (정확도 %p); 위: 평균 테스트 정확도"},
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


def compute(*, n_train: int = 300, n_test: int = 2000, hidden: tuple = (100, 100, 100, 100, 100, 100),
            epochs: int = 200, lr: float = 0.01, batch_size: int = 100, l2: float = 10.0, l1: float = 2.0,
            dropout: float = 0.15, eval_every: int = 10, seeds: int = 3, data: str = "mnist", root: str = "",
            seed: int = 0) -> dict:
    """Train the same over-fitting MLP without regularization, with L2, with L1 and with dropout, per seed.

    Parameters
    ----------
    n_train : int
        Training images (small on purpose: the network can memorise them).
    n_test : int
        Test images the curves are reported on (never used to choose anything).
    hidden : tuple of int
        Hidden layer widths (the book's six layers of 100).
    epochs, lr, batch_size
        Plain SGD, the same for every run.
    l2, l1 : float
        lambda of :class:`~abcdl.regularizers.L2` and :class:`~abcdl.regularizers.L1`
        (the lecture's (lambda/2m) scaling, m = batch size: the book's lambda = 0.1 is 10 here).
    dropout : float
        Drop probability p of every hidden layer in the dropout run (keep_prob = 1 - p).
    eval_every : int
        Epochs between two measurements of the curves.
    seeds : int
        Repetitions, each with its own training images, initial weights and batch order.
    data : "mnist" | "fashion-mnist" | "digits"
    root : str
        Folder holding ``mnist/`` (default: ``ABCDL_DATA``, then the user cache).
    seed : int
        Draws the seeds of the repetitions.

    Returns
    -------
    dict
        ``numbers``: ``final`` = {method: means over the seeds of "train_accuracy",
        "test_accuracy", "gap" (train - test accuracy), "train_loss", "test_loss",
        "test_loss_min", "sum_w2" (sum of squared weights), "zero_fraction" (share of
        |w| < 1e-3)} for methods none, l2, l1, dropout; ``per_seed`` = {method: {"train_accuracy",
        "test_accuracy", "gap": one value per seed}}; ``narrower_gap`` and ``higher_test`` =
        {method: seeds in which it beats no regularization}; ``epochs_measured``; ``highlights``;
        for the figure ``curves`` ({method: the first seed's curves: "x", and "train"/"test"
        {"loss", "accuracy"}}).
    """
    _check(n_train, n_test, hidden, epochs, lr, batch_size, l2, l1, dropout, eval_every, data)
    check_seed(seed)
    check_param(1 <= seeds <= 100, "seeds", f"must be in [1, 100], got {seeds}")
    hidden = tuple(int(h) for h in hidden)
    runs: dict = {m: [] for m in METHODS}
    for s in np.random.default_rng(seed).integers(2**32, size=seeds):
        rng = np.random.default_rng(int(s))
        ds = load_subset(data, root, n_train, n_test, rng)
        init_seed, batch_seed = (int(v) for v in rng.integers(2**32, size=2))
        for m in METHODS:
            runs[m].append(train_one(m, ds, hidden, epochs, lr, batch_size, l2, l1, dropout, eval_every,
                                     init_seed, batch_seed))
    per_seed = {m: _finals(rs) for m, rs in runs.items()}
    final = {m: {k: float(np.mean(v)) for k, v in ps.items()} for m, ps in per_seed.items()}
    none = per_seed["none"]
    numbers = {"data": data, "n_train": len(ds.x_train), "n_test": len(ds.x_test), "hidden": hidden,
               "epochs": epochs, "lr": lr, "l2": l2, "l1": l1, "dropout": dropout, "seeds": seeds,
               "epochs_measured": runs["none"][0]["curves"]["x"], "final": final,
               "per_seed": {m: {k: ps[k] for k in ("train_accuracy", "test_accuracy", "gap")}
                            for m, ps in per_seed.items()},
               "narrower_gap": {m: _beats(per_seed[m]["gap"], none["gap"], -1) for m in METHODS[1:]},
               "higher_test": {m: _beats(per_seed[m]["test_accuracy"], none["test_accuracy"], 1)
                               for m in METHODS[1:]}}
    return {"numbers": numbers, "highlights": _highlights(numbers, ds.n_features),
            "curves": {m: rs[0]["curves"] for m, rs in runs.items()}}


def _beats(values, baseline, sign: int) -> int:
    """Seeds in which ``values`` is above (sign 1) or below (sign -1) the seed's ``baseline``."""
    return int(np.sum(sign * (np.asarray(values) - np.asarray(baseline)) > 0))


def _finals(rs: list[dict]) -> dict[str, list[float]]:
    """The last measurement of each seed's run: accuracies, their gap, losses, weight size, sparsity."""
    out: dict[str, list[float]] = {k: [] for k in ("train_accuracy", "test_accuracy", "gap", "train_loss",
                                                   "test_loss", "test_loss_min", "sum_w2", "zero_fraction")}
    for r in rs:
        tr, te = r["curves"]["train"], r["curves"]["test"]
        vals = {"train_accuracy": tr["accuracy"][-1], "test_accuracy": te["accuracy"][-1],
                "gap": tr["accuracy"][-1] - te["accuracy"][-1],              # train - test accuracy
                "train_loss": tr["loss"][-1], "test_loss": te["loss"][-1], "test_loss_min": min(te["loss"]),
                "sum_w2": r["sum_w2"], "zero_fraction": r["zero_fraction"]}
        for k, v in vals.items():
            out[k].append(float(v))
    return out


def _check(n_train, n_test, hidden, epochs, lr, batch_size, l2, l1, dropout, eval_every, data) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    check_data(data)
    check_param(len(hidden) >= 1 and all(int(h) == h and h >= 1 for h in hidden), "hidden",
                f"need positive integer widths, got {hidden}")
    check_param(len(hidden) <= 50 and all(h <= 4096 for h in hidden), "hidden",
                f"at most 50 layers of at most 4,096 units (memory and run time), got {hidden}")
    check_count(n_train, "n_train", 10, 60_000, "MNIST has 60,000 training images")
    check_count(n_test, "n_test", 1, 10_000, "MNIST has 10,000 test images")
    check_count(epochs, "epochs", 1, 10_000, "run time")
    check_real(lr, "lr", 1e-12, 10.0, "a larger step only diverges")
    check_count(batch_size, "batch_size", 1, 60_000, "at most the data")
    check_real(l2, "l2", 0.0, 1e6)
    check_real(l1, "l1", 0.0, 1e6)
    # the decay step W <- (1 - lr lambda/m) W alone overshoots and grows without bound when lr lambda/m >= 2
    check_param(lr * l2 / batch_size < 2, "l2", f"lr * l2 / batch_size = {lr * l2 / batch_size:g} >= 2: "
                "the weight-decay step W <- (1 - lr lambda/m) W diverges; use a smaller l2 or lr")
    check_param(0 <= dropout < 1, "dropout", f"must be in [0, 1), got {dropout}")
    check_param(eval_every >= 1, "eval_every", f"must be >= 1, got {eval_every}")


_PLAIN = {"none": "none", "l2": "L2 lambda={l2:g}", "l1": "L1 lambda={l1:g}",
          "dropout": "dropout p={dropout:g}"}


def _highlights(nb: dict, n_features: int) -> list[str]:
    arch = "-".join(map(str, (n_features, *nb["hidden"], 10)))
    n = nb["seeds"]
    lines = [f"{nb['n_train']} {nb['data']} training images, MLP {arch}, SGD lr {nb['lr']:g}, "
             f"{nb['epochs']} epochs, {n} seed{'s' if n != 1 else ''}; test accuracy on {nb['n_test']} "
             "test images (reporting only); train - test gap per seed:"]
    for m in METHODS:
        f, ps = nb["final"][m], nb["per_seed"][m]
        gaps = ", ".join(f"{g:.3f}" for g in ps["gap"])
        lines.append(f"{_PLAIN[m].format(**nb):<18} gap [{gaps}] mean {f['gap']:.3f}  "
                     f"train {f['train_accuracy']:.3f}  test {f['test_accuracy']:.3f}  "
                     f"sum w^2 {f['sum_w2']:.0f}  |w|<1e-3 {f['zero_fraction']:.1%}")
    for m in METHODS[1:]:
        k, h = nb["narrower_gap"][m], nb["higher_test"][m]
        verdict = "narrows the gap" if k == n else ("does NOT narrow the gap" if k == 0 else
                                                     "narrows the gap only sometimes")
        lines.append(f"{_PLAIN[m].format(**nb)}: {verdict} ({k} of {n} seeds); higher test accuracy than "
                     f"none in {h} of {n}" + ("" if h else ": it does not help the test accuracy here"))
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """The first seed's train and test accuracy per epoch, its test loss, and every seed's gap."""
    t = style.labels(_TEXT)
    nb, curves = data["numbers"], data["curves"]
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
        ax1.set_ylim(0, 1.02)
        ax1.set_title(t["seed0"].format(s=1) + t["acc_title"])
        ax1.legend(loc="lower right")
        ax2.set_xlabel(t["epoch"])
        ax2.set_ylabel(t["loss"])
        lows = [min(curves[m]["test"]["loss"]) for m in METHODS]
        ax2.set_ylim(0.8 * min(lows), 3.0 * max(lows) + 0.1)       # the late epochs, not epoch 0
        ax2.set_title(t["loss_title"])
        ax2.legend(loc="upper right")
        _draw_gaps(ax3, nb, labels, t)
    return fig


def _draw_gaps(ax3, nb: dict, labels: dict, t: dict) -> None:
    """Each seed's gap as a dot, the mean as a bar; the mean test accuracy written above."""
    x = np.arange(len(METHODS))
    means = [nb["final"][m]["gap"] * 100 for m in METHODS]
    ax3.bar(x, means, 0.6, color=[f"C{i}" for i in range(len(METHODS))], alpha=0.6)
    for i, m in enumerate(METHODS):
        g = np.array(nb["per_seed"][m]["gap"]) * 100
        ax3.plot(np.full(g.size, x[i]) + np.linspace(-0.15, 0.15, g.size), g, "o", color="k", ms=3.5)
        ax3.annotate(f"{nb['final'][m]['test_accuracy']:.1%}", (x[i], max(g.max(), means[i])), ha="center",
                     va="bottom", fontsize=7.5, xytext=(0, 3), textcoords="offset points")
    ax3.set_xticks(x, [""] * len(METHODS))        # tick labels are drawn in DejaVu Sans: no Hangul there
    for i, m in enumerate(METHODS):
        ax3.text(x[i], -0.02, labels[m], transform=ax3.get_xaxis_transform(), ha="right",
                 va="top", rotation=15, rotation_mode="anchor", fontsize=7.5)
    ax3.set_ylim(0, max(max(np.array(nb["per_seed"][m]["gap"]).max() for m in METHODS) * 100 * 1.2, 1))
    ax3.set_ylabel(t["gap_y"])
    ax3.set_title(t["gap_title"].format(n=nb["seeds"]))


def run(*, lang: str = "en", n_train: int = 300, n_test: int = 2000,
        hidden: tuple = (100, 100, 100, 100, 100, 100), epochs: int = 200, lr: float = 0.01,
        batch_size: int = 100, l2: float = 10.0, l1: float = 2.0, dropout: float = 0.15, eval_every: int = 10,
        seeds: int = 3, data: str = "mnist", root: str = "", seed: int = 0) -> Result:
    """Train the same over-fitting MLP without regularization, with L2, with L1 and with dropout, per seed.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(n_train=n_train, n_test=n_test, hidden=hidden, epochs=epochs, lr=lr, batch_size=batch_size,
                  l2=l2, l1=l1, dropout=dropout, eval_every=eval_every, seeds=seeds, data=data, root=root,
                  seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
