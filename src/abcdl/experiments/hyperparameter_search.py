"""Hyper-parameter search on a validation split (lecture: 하이퍼파라미터, 검증 데이터, L37).

Hyper-parameters -- the learning rate, the regularization strength lambda,
keep_prob, the layer sizes -- are not learned by gradient descent; they are
chosen by trying values and comparing the trained networks.  The comparison
must use *validation* data split off the training set, never the test set:
a test score that guided the choice is no longer an honest estimate of the
error on new data.

The experiment draws ``trials`` random configurations of all four (random search,
which covers the important axis better than a grid):

    lr        = 10^u,  u ~ U(log10 lr_min, log10 lr_max)    (log-uniform: every decade alike)
    lambda    = 10^v,  v ~ U(log10 l2_min, log10 l2_max)    (L2: J = J0 + (lambda/2m) sum ||W||^2)
    keep_prob ~ U(keep_min, keep_max)                        (dropout p = 1 - keep_prob, L33)
    layers    = (width,) * depth,  width from ``widths``, depth from ``depths``, uniformly

and trains an MLP of those layer sizes with plain SGD for each on the training part of
:func:`abcdl.data.train_val_split` of MNIST training images, scoring it on the
validation part.  A run whose loss becomes NaN/Inf counts as a failed trial.
The best configuration is the one with the highest validation accuracy; only
then, once, its trained network is evaluated on the test images.  The figure
shows the validation accuracy over the (lr, lambda) plane (log axes; the marker's
size is the width, its edge the depth) and the validation curves of the trials.

Run::

    abcdl demo hyperparameter-search [--trials 50] [--epochs 10] [--lr-range 0.001,1] [--l2-range 0.001,100]
                                     [--keep-prob-range 0.5,1] [--widths 50,100,200] [--depths 1,2]
    python -m abcdl.experiments.hyperparameter_search
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_seed, figure_style, fmt, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from ._training import check_data, load_subset

NAME = "hyperparameter-search"
SPEC = ("L37",)
DESCRIPTION = "random search over lr, lambda, keep_prob and layer sizes on a validation split; test used once"

_TEXT = {
    "en": {"plane": "validation accuracy of {n} random trials", "lr": "learning rate $\\alpha$",
           "l2": "L2 strength $\\lambda$", "best": "best (val {v:.3f}, test {t:.3f})", "failed": "diverged",
           "sizes": "marker size: width; black edge: 2+ layers",
           "acc": "validation accuracy", "curves": "validation accuracy during training",
           "epoch": "epoch", "top": "best {k} trials", "rest": "other trials"},
    "ko": {"plane": "무작위 탐색 {n}회의 검증 정확도", "lr": "학습률 $\\alpha$",
           "l2": "L2 정규화 세기 $\\lambda$", "best": "최적 (검증 {v:.3f}, 테스트 {t:.3f})", "failed": "발산",
           "sizes": "점 크기: 은닉층 폭; 검은 테두리: 2층 이상",
           "acc": "검증 정확도", "curves": "학습 중 검증 정확도",
           "epoch": "에폭", "top": "상위 {k}개", "rest": "나머지"},
}


def sample_log_uniform(rng: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    """``size`` values 10^u with u ~ U(log10 low, log10 high): every decade equally likely."""
    if not 0 < low <= high:
        raise ValueError(f"need 0 < low <= high, got low={low}, high={high}")
    return 10.0 ** rng.uniform(math.log10(low), math.log10(high), size)   # 10^U(log10 a, log10 b)


def train_trial(train, val, n_features: int, hidden, lr: float, l2: float, epochs: int, batch_size: int,
                seed: int, keep_prob: float = 1.0) -> dict:
    """Train one configuration; return its validation curve (None after a divergence) and model."""
    from ..losses import SoftmaxCrossEntropyLoss
    from ..models import mlp
    from ..optim import SGD
    from ..regularizers import L2
    from ..train import fit

    rng = np.random.default_rng(seed)
    model = mlp(n_features, hidden, 10, dropout=1.0 - keep_prob, rng=rng)       # p = 1 - keep_prob
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=lr), train, epochs=epochs,
                    batch_size=batch_size, validation=val, regularizer=L2(l2), verbose=0, rng=rng)
    except FloatingPointError:                               # the loss became NaN/Inf: a failed trial
        return {"val_accuracy": None, "val_loss": None, "curve": None, "model": None}
    return {"val_accuracy": h.history["val_accuracy"][-1], "val_loss": h.history["val_loss"][-1],
            "curve": h.history["val_accuracy"], "model": model}


def compute(*, trials: int = 50, lr_range: tuple = (1e-3, 1.0), l2_range: tuple = (1e-3, 100.0),
            keep_prob_range: tuple = (0.5, 1.0), widths: tuple = (50, 100, 200), depths: tuple = (1, 2),
            epochs: int = 10, batch_size: int = 100, n_train: int = 3000, val_fraction: float = 0.2,
            n_test: int = 5000, data: str = "mnist", root: str = "", seed: int = 0) -> dict:
    """Random search over (lr, lambda, keep_prob, layer sizes) on a validation split; the best, tested once.

    Parameters
    ----------
    trials : int
        Random configurations tried.
    lr_range, l2_range : (low, high)
        Ranges of the log-uniform draws of the SGD learning rate and of L2's lambda
        (the lecture's scaling, m = batch size).
    keep_prob_range : (low, high)
        Range of the uniform draw of keep_prob (dropout p = 1 - keep_prob on every hidden layer).
    widths, depths : tuple of int
        Choices of the hidden layers' width and number (ReLU, He initialisation), drawn uniformly.
    epochs, batch_size : int
        Training of each trial.
    n_train : int
        Training images drawn; ``val_fraction`` of them are held out for validation.
    val_fraction : float
        Share of ``n_train`` used for validation (:func:`abcdl.data.train_val_split`).
    n_test : int
        Test images; used once, for the chosen configuration only.
    data : "mnist" | "fashion-mnist" | "digits"
    root : str
        Folder holding ``mnist/`` (default: ``ABCDL_DATA``, then the user cache).
    seed : int
        Seeds independent streams for the data, the split, the draws and the training
        (changing ``n_test`` changes nothing before the final test).

    Returns
    -------
    dict
        ``numbers``: ``trials`` (list of {"lr", "l2", "keep_prob", "hidden", "val_accuracy",
        "val_loss"}; None for a diverged trial), ``best`` (the same keys and "trial"),
        ``test_accuracy`` (the best trial's network on the test images, measured once),
        ``n_diverged``, ``n_train``, ``n_val``, ``n_test``; ``highlights``; for the figure
        ``results`` (every trial as in ``trials``, with its validation ``curve`` per epoch).
    """
    _check(trials, lr_range, l2_range, keep_prob_range, widths, depths, epochs, batch_size, val_fraction,
           n_train, n_test, data)
    check_seed(seed)
    from ..data import train_val_split
    from ..losses import SoftmaxCrossEntropyLoss
    from ..train import evaluate

    data_ss, split_ss, draw_ss, train_ss = np.random.SeedSequence(seed).spawn(4)
    ds = load_subset(data, root, n_train, n_test, np.random.default_rng(data_ss))
    train, val = train_val_split(ds.x_train, ds.t_train, val_fraction, rng=np.random.default_rng(split_ss))
    configs = sample_configs(np.random.default_rng(draw_ss), trials, lr_range, l2_range, keep_prob_range,
                             widths, depths)
    seeds = np.random.default_rng(train_ss).integers(2**32, size=trials)

    results, best, best_model = [], None, None
    for i, c in enumerate(configs):
        r = train_trial(train, val, ds.n_features, c["hidden"], c["lr"], c["l2"], epochs, batch_size,
                        int(seeds[i]), keep_prob=c["keep_prob"])
        results.append({**c, "val_accuracy": r["val_accuracy"], "val_loss": r["val_loss"],
                        "curve": r["curve"]})
        score = r["val_accuracy"]
        if score is not None and (best is None or score > results[best]["val_accuracy"]):
            best, best_model = i, r["model"]                # chosen on validation accuracy only
    check_param(best is not None, "lr_range", f"every one of the {trials} trials diverged; lower the range")
    # the test set, once, for the chosen configuration
    test_loss, test_acc = evaluate(best_model, SoftmaxCrossEntropyLoss(), (ds.x_test, ds.t_test))
    keys = ("lr", "l2", "keep_prob", "hidden", "val_accuracy", "val_loss")
    numbers = {
        "data": data, "n_train": len(train[0]), "n_val": len(val[0]), "n_test": len(ds.x_test),
        "epochs": epochs, "lr_range": lr_range, "l2_range": l2_range, "keep_prob_range": keep_prob_range,
        "widths": tuple(widths), "depths": tuple(depths),
        "trials": [{k: r[k] for k in keys} for r in results],
        "n_diverged": sum(r["val_accuracy"] is None for r in results),
        "best": {"trial": best, **{k: results[best][k] for k in keys}},
        "test_accuracy": test_acc, "test_loss": test_loss,
    }
    return {"numbers": numbers, "highlights": _highlights(numbers, results), "results": results}


def sample_configs(rng: np.random.Generator, trials: int, lr_range, l2_range, keep_prob_range, widths,
                   depths) -> list[dict]:
    """``trials`` random configurations {"lr", "l2", "keep_prob", "hidden"} (see the module docstring)."""
    lrs = sample_log_uniform(rng, lr_range[0], lr_range[1], trials)          # 10^U(log10 a, log10 b)
    l2s = sample_log_uniform(rng, l2_range[0], l2_range[1], trials)
    keeps = rng.uniform(keep_prob_range[0], keep_prob_range[1], trials)      # keep_prob ~ U(a, b)
    ws = rng.choice(np.asarray(widths, dtype=np.int64), trials)
    ds = rng.choice(np.asarray(depths, dtype=np.int64), trials)
    return [{"lr": float(lrs[i]), "l2": float(l2s[i]), "keep_prob": float(keeps[i]),
             "hidden": (int(ws[i]),) * int(ds[i])} for i in range(trials)]


def _check(trials, lr_range, l2_range, keep_prob_range, widths, depths, epochs, batch_size, val_fraction,
           n_train, n_test, data) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    check_data(data)
    check_count(trials, "trials", 1, 1000, "run time")
    for name, rng_ in (("lr_range", lr_range), ("l2_range", l2_range)):
        check_param(len(rng_) == 2 and 0 < rng_[0] <= rng_[1] <= 1e6, name,
                    f"need (low, high) with 0 < low <= high <= 1e6, got {rng_}")
    check_param(len(keep_prob_range) == 2 and 0 < keep_prob_range[0] <= keep_prob_range[1] <= 1,
                "keep_prob_range", f"need (low, high) with 0 < low <= high <= 1, got {keep_prob_range}")
    for name, v in (("widths", widths), ("depths", depths)):
        check_param(len(v) >= 1 and all(int(h) == h and 1 <= h <= 4096 for h in v), name,
                    f"need positive integers (<= 4096), got {v}")
    check_param(max(depths) <= 50, "depths", f"at most 50 layers (run time), got {depths}")
    check_count(epochs, "epochs", 1, 1000, "run time")
    check_count(batch_size, "batch_size", 1, 60_000, "at most the data")
    check_param(0 < val_fraction < 1, "val_fraction", f"must be in (0, 1), got {val_fraction}")
    check_count(n_train, "n_train", 10, 60_000, "MNIST has 60,000 training images")
    check_count(n_test, "n_test", 1, 10_000, "MNIST has 10,000 test images")


def _ranked(results: list[dict]) -> list[dict]:
    """The trials that did not diverge, best validation accuracy first."""
    return sorted((r for r in results if r["val_accuracy"] is not None), key=lambda r: -r["val_accuracy"])


def _layers(hidden) -> str:
    return "x".join(map(str, hidden)) if len(set(hidden)) > 1 else f"{hidden[0]}x{len(hidden)}"


def _highlights(nb: dict, results: list[dict]) -> list[str]:
    lo_lr, hi_lr, lo_l2, hi_l2 = (math.log10(v) for v in (*nb["lr_range"], *nb["l2_range"]))
    kp = nb["keep_prob_range"]
    b = nb["best"]
    lines = [f"{len(results)} random trials, lr ~ 10^U[{lo_lr:g}, {hi_lr:g}], "
             f"lambda ~ 10^U[{lo_l2:g}, {hi_l2:g}], keep_prob ~ U[{kp[0]:g}, {kp[1]:g}], hidden widths "
             f"{'/'.join(map(str, nb['widths']))} x {'/'.join(map(str, nb['depths']))} layers; "
             f"{nb['n_train']} training / {nb['n_val']} validation {nb['data']} images, "
             f"{nb['epochs']} epochs each"]
    lines += [f"val {r['val_accuracy']:.3f}  lr {fmt(r['lr'], 3):>8}  lambda {fmt(r['l2'], 3):>8}  "
              f"keep_prob {r['keep_prob']:.2f}  hidden {_layers(r['hidden'])}" for r in _ranked(results)[:5]]
    if nb["n_diverged"]:
        lines.append(f"{nb['n_diverged']} trial(s) diverged (loss NaN/Inf)")
    lines.append(f"best: trial {b['trial']}, lr {fmt(b['lr'], 3)}, lambda {fmt(b['l2'], 3)}, keep_prob "
                 f"{b['keep_prob']:.2f}, hidden {_layers(b['hidden'])}, val accuracy "
                 f"{b['val_accuracy']:.3f}; test accuracy (measured once, at the end) "
                 f"{nb['test_accuracy']:.3f} on {nb['n_test']} images")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """Left: every trial in the (lr, lambda) plane coloured by validation accuracy; right: their curves."""
    t = style.labels(_TEXT)
    nb, results = data["numbers"], data["results"]
    lr_range, l2_range, b = nb["lr_range"], nb["l2_range"], nb["best"]
    with style.context():
        fig = style.figure(figsize=(11.5, 4.4))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.15, 1]})
        good = [r for r in results if r["val_accuracy"] is not None]
        bad = [r for r in results if r["val_accuracy"] is None]
        accs = [r["val_accuracy"] for r in good]
        sc = ax1.scatter([r["lr"] for r in good], [r["l2"] for r in good], c=accs, cmap="viridis",
                         vmin=min(accs), vmax=max(accs), s=[12 + 0.3 * r["hidden"][0] for r in good],
                         edgecolors=["k" if len(r["hidden"]) > 1 else "0.7" for r in good], linewidths=0.8)
        if bad:
            ax1.scatter([r["lr"] for r in bad], [r["l2"] for r in bad], marker="x", color="C3", s=40,
                        label=t["failed"])
        ax1.scatter([b["lr"]], [b["l2"]], marker="*", s=260, facecolors="none", edgecolors="C3",
                    linewidths=1.5, label=t["best"].format(v=b["val_accuracy"], t=nb["test_accuracy"]))
        fig.colorbar(sc, ax=ax1, label=t["acc"])
        fig.get_layout_engine().set(wspace=0.06)
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_xlim(lr_range[0] / 1.5, lr_range[1] * 1.5)
        ax1.set_ylim(l2_range[0] / 1.5, l2_range[1] * 1.5)
        ax1.set_xlabel(t["lr"])
        ax1.set_ylabel(t["l2"])
        ax1.set_title(t["plane"].format(n=len(results)))
        ax1.text(0.99, 0.99, t["sizes"], transform=ax1.transAxes, ha="right", va="top", fontsize=7)
        ax1.legend(loc="lower left")
        _draw_curves(ax2, results, nb["epochs"], t)
    return fig


def _draw_curves(ax2, results: list[dict], epochs: int, t: dict) -> None:
    """Validation accuracy per epoch: the best five trials in colour, the others in grey."""
    ok = _ranked(results)
    k = min(5, len(ok))
    top = {id(r) for r in ok[:k]}
    epochs_axis = np.arange(1, epochs + 1)
    for r in results:
        if r["curve"] is not None and id(r) not in top:
            ax2.plot(epochs_axis, r["curve"], color="0.7", lw=0.8)
    for j, r in enumerate(ok[:k]):
        ax2.plot(epochs_axis, r["curve"], color=f"C{j}", lw=1.5,
                 label=f"lr {fmt(r['lr'], 2)}, $\\lambda$ {fmt(r['l2'], 2)}, keep {r['keep_prob']:.2f}, "
                       f"{_layers(r['hidden'])}")
    ax2.plot([], [], color="0.7", lw=0.8, label=t["rest"])
    ax2.set_xlabel(t["epoch"])
    ax2.set_ylabel(t["acc"])
    ax2.set_title(t["curves"])
    ax2.set_ylim(0, 1)
    ax2.legend(loc="lower right", title=t["top"].format(k=k))


def run(*, lang: str = "en", trials: int = 50, lr_range: tuple = (1e-3, 1.0), l2_range: tuple = (1e-3, 100.0),
        keep_prob_range: tuple = (0.5, 1.0), widths: tuple = (50, 100, 200), depths: tuple = (1, 2),
        epochs: int = 10, batch_size: int = 100, n_train: int = 3000, val_fraction: float = 0.2,
        n_test: int = 5000, data: str = "mnist", root: str = "", seed: int = 0) -> Result:
    """Random search over (lr, lambda, keep_prob, layer sizes) on a validation split; the best, tested once.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(trials=trials, lr_range=lr_range, l2_range=l2_range, keep_prob_range=keep_prob_range,
                  widths=widths, depths=depths, epochs=epochs, batch_size=batch_size, n_train=n_train,
                  val_fraction=val_fraction, n_test=n_test, data=data, root=root, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
