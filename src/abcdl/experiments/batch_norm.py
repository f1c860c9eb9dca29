"""Batch normalization: faster convergence (lecture: 배치 정규화, Batch Normalization, L34).

The slide normalizes each hidden layer's pre-activations over the mini-batch,

    mu = (1/m) sum_i z(i),   sigma^2 = (1/m) sum_i (z(i) - mu)^2,
    Z_norm = (Z - mu) / sqrt(sigma^2 + eps),   Z~ = gamma Z_norm + beta,

"각 층의 활성화 값을 적절히 분포시키는 것" (so that every layer's activations
are well spread), with gamma and beta learned like W and b, and shows the same
problem converging in 27 s unnormalized and 9 s normalized.

The experiment trains a 5-hidden-layer ReLU network (784-100x5-10) on 2,000
MNIST training images with plain SGD at one learning rate, without and with
``mlp(batch_norm=True)`` (BatchNorm1d between each hidden Linear and its ReLU),
for several seeds, and measures accuracy on held-out test images every few
iterations (in eval mode: batch norm then uses its running statistics, as at
inference).  It counts the iterations, and the seconds of training (evaluations
excluded), until the accuracy first reaches a target.  With Xavier weights
(std 1/sqrt(n), too small for ReLU: the activations shrink layer by layer, L28)
the plain network needs several times more iterations than the normalized one.
A second panel repeats it with He weights, where the plain network is already
well scaled and batch norm gains much less: batch norm matters most when the
activations are badly distributed.  A second row tolerates bad initial scales:
with every weight drawn with std ``scales`` (0.01: the signal vanishes layer by
layer; 1.0: it explodes) the plain network does not learn (stuck near chance at
0.01, its loss overflowing to NaN at 1.0: "diverged") while the normalized one
learns from both.  The test images only report the curves; nothing is tuned on them.

Run::

    abcdl demo batch-norm [--inits xavier,he] [--scales 0.01,1] [--lr 0.05] [--iterations 600] [--seeds 3]
    python -m abcdl.experiments.batch_norm
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import (
    FigureStyle,
    ParamError,
    Result,
    check_count,
    check_param,
    check_real,
    check_seed,
    figure_style,
    main,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from ._training import check_data, curve_recorder, diverged_as_param_error, first_reach, load_subset

NAME = "batch-norm"
SPEC = ("L34",)
DESCRIPTION = "accuracy vs iteration with and without batch norm, several seeds: BN converges faster"

_INITS = ("xavier", "he", "xavier_uniform", "he_uniform", "lecun")

_TEXT = {
    "en": {"title": "{init} initialisation, SGD lr = {lr:g}", "iter": "iteration (mini-batch step)",
           "acc": "test accuracy (eval mode)", "plain": "without batch norm", "bn": "with batch norm",
           "target": "target {a:.0%}", "reach": "{n} it.", "never": "not reached",
           "scale": "every weight with std {s:g}, SGD lr = {lr:g}",
           "diverged": "diverged in {k} of {n} seeds"},
    "ko": {"title": "{init} 초기값, SGD 학습률 = {lr:g}", "iter": "반복 횟수 (미니배치)",
           "acc": "테스트 정확도 (추론 모드)", "plain": "배치 정규화 없음", "bn": "배치 정규화",
           "target": "목표 {a:.0%}", "reach": "{n}회", "never": "도달 못함",
           "scale": "모든 가중치의 표준편차 {s:g}, SGD 학습률 = {lr:g}",
           "diverged": "시드 {n}개 중 {k}개 발산"},
}
_INIT_NAMES = {"xavier": "Xavier", "he": "He", "xavier_uniform": "Xavier (uniform)",
               "he_uniform": "He (uniform)", "lecun": "LeCun"}


def train_curve(ds, batch_norm: bool, init, depth: int, width: int, lr: float, iterations: int,
                batch_size: int, eval_every: int, seed: int, allow_divergence: bool = False) -> dict:
    """Accuracy (and training seconds) every ``eval_every`` iterations of one SGD run.

    ``init`` is an initialisation name or a float (the std of every weight).  With
    ``allow_divergence`` a loss that becomes NaN/Inf ends the run (``"diverged": True``,
    the curve as far as it got) instead of raising ParamError.
    """
    from ..callbacks import Callback
    from ..losses import SoftmaxCrossEntropyLoss
    from ..models import mlp
    from ..optim import SGD
    from ..train import fit

    rng = np.random.default_rng(seed)
    model = mlp(ds.n_features, (width,) * depth, 10, batch_norm=batch_norm, init=init, rng=rng)
    loss_fn = SoftmaxCrossEntropyLoss()
    rec = curve_recorder({"test": (ds.x_test, ds.t_test)}, loss_fn, every=eval_every, per="step")
    rec.model = model
    rec.record(0)
    steps_per_epoch = -(-len(ds.x_train) // batch_size)
    epochs = -(-iterations // steps_per_epoch)

    class _Stop(Callback):                                     # ends fit after `iterations` steps
        n = 0

        def on_batch_end(self, batch, logs=None):
            self.n += 1
            self.stop_training = self.n >= iterations

    diverged = False
    try:
        with diverged_as_param_error(lr), np.errstate(over="ignore", invalid="ignore"):
            fit(model, loss_fn, SGD(model.parameters(), lr=lr), (ds.x_train, ds.t_train), epochs=epochs,
                batch_size=batch_size, callbacks=[rec, _Stop()], verbose=0, rng=rng)
    except ParamError:
        if not allow_divergence:
            raise
        diverged = True                                        # the loss overflowed: the run failed
    return {"x": np.array(rec.curves["x"]), "seconds": np.array(rec.curves["seconds"]),
            "accuracy": np.array(rec.curves["test"]["accuracy"]), "diverged": diverged}


def compute(*, inits: tuple = ("xavier", "he"), scales: tuple = (0.01, 1.0), depth: int = 5,
            width: int = 100, lr: float = 0.05, iterations: int = 600, batch_size: int = 100, seeds: int = 3,
            target: float = 0.85, eval_every: int = 10, n_train: int = 2000, n_test: int = 1000,
            data: str = "mnist", root: str = "", seed: int = 0) -> dict:
    """Accuracy against iteration with and without batch norm, for each weight initialisation.

    Parameters
    ----------
    inits : tuple of str
        Weight initialisations, one panel each ("xavier", "he", "xavier_uniform", "he_uniform", "lecun").
    scales : tuple of float
        Bad initial scales, one panel each: every weight drawn from N(0, scale^2); a plain run whose
        loss overflows counts as diverged (empty: no such panels).
    depth, width : int
        Hidden layers and units per layer.
    lr : float
        SGD learning rate, the same with and without batch norm.
    iterations, batch_size : int
        Mini-batch steps per run and examples per step.
    seeds : int
        Runs per curve (different initial weights and batch orders); the band spans them.
    target : float
        Accuracy whose first crossing is counted (iterations and seconds).
    eval_every : int
        Iterations between two accuracy measurements (the resolution of the counts).
    n_train, n_test : int
        Training images and held-out test images (the curves are measured on the latter).
    data : "mnist" | "fashion-mnist" | "digits"
    root : str
        Folder holding ``mnist/`` (default: ``ABCDL_DATA``, then the user cache).
    seed : int
        Draws the data subsets and the seeds of the runs.

    Returns
    -------
    dict
        ``numbers``: ``runs`` = {init: {"plain" | "batch_norm": {"iterations_to_target" (per seed,
        None if never), "seconds_to_target" (per seed), "mean_iterations" (None unless every seed
        reached it), "mean_seconds", "final_accuracy" (per seed), "seconds_per_iteration"}},
        "speedup_iterations" (plain / batch norm mean iterations, None if either is None)}};
        ``scales`` = {scale: {"plain" | "batch_norm": {"final_accuracy" (per seed, None if diverged),
        "diverged" (seeds)}}}; ``highlights``; for the figure ``inits``, ``scales`` and ``curves``
        ({init or scale: {"plain" | "batch_norm": [one curve per seed: "x", "seconds", "accuracy"]}}).
    """
    _check(inits, depth, width, lr, iterations, batch_size, seeds, target, eval_every, n_train, n_test, data)
    check_seed(seed)
    check_param(all(0 < float(v) <= 100 for v in scales), "scales", f"each must be in (0, 100], got {scales}")
    rng = np.random.default_rng(seed)
    ds = load_subset(data, root, n_train, n_test, rng)
    run_seeds = [int(s) for s in rng.integers(2**32, size=seeds)]

    curves: dict = {}
    results: dict = {}
    for init in inits:
        curves[init], results[init] = {}, {}
        for key, bn in (("plain", False), ("batch_norm", True)):
            cs = [train_curve(ds, bn, init, depth, width, lr, iterations, batch_size, eval_every, s)
                  for s in run_seeds]
            curves[init][key] = cs
            results[init][key] = _reach(cs, target)
        p, b = results[init]["plain"]["mean_iterations"], results[init]["batch_norm"]["mean_iterations"]
        results[init]["speedup_iterations"] = p / b if p is not None and b else None
    by_scale = {}
    for sc in scales:
        key = f"{float(sc):g}"
        curves[key], by_scale[key] = {}, {}
        for kind, bn in (("plain", False), ("batch_norm", True)):
            cs = [train_curve(ds, bn, float(sc), depth, width, lr, iterations, batch_size, eval_every, s,
                              allow_divergence=True) for s in run_seeds]
            curves[key][kind] = cs
            by_scale[key][kind] = {"final_accuracy": [None if c["diverged"] else float(c["accuracy"][-1])
                                                      for c in cs],
                                   "diverged": sum(c["diverged"] for c in cs)}
    numbers = {"data": data, "n_train": len(ds.x_train), "n_test": len(ds.x_test), "depth": depth,
               "width": width, "lr": lr, "target": target, "seeds": seeds, "runs": results,
               "scales": by_scale}
    return {"numbers": numbers, "highlights": _highlights(numbers, inits, iterations), "inits": inits,
            "scales": [f"{float(v):g}" for v in scales], "curves": curves}


def _check(inits, depth, width, lr, iterations, batch_size, seeds, target, eval_every, n_train, n_test,
           data) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    check_data(data)
    check_param(len(inits) >= 1 and all(i in _INITS for i in inits), "inits",
                f"each must be one of {', '.join(_INITS)}, got {inits}")
    check_count(depth, "depth", 1, 50, "run time")
    check_count(width, "width", 1, 4096, "memory")
    check_real(lr, "lr", 1e-12, 10.0, "a larger step only diverges")
    check_count(iterations, "iterations", 1, 100_000, "run time")
    check_count(batch_size, "batch_size", 2, 60_000, "at least 2 for batch statistics; at most the data")
    check_count(seeds, "seeds", 1, 100, "run time")
    check_param(0 < target <= 1, "target", f"must be in (0, 1], got {target}")
    check_param(1 <= eval_every <= iterations, "eval_every", f"must be in [1, iterations], got {eval_every}")
    check_count(n_train, "n_train", batch_size, 60_000, "MNIST has 60,000 training images")
    check_count(n_test, "n_test", 1, 10_000, "MNIST has 10,000 test images")


def _reach(cs: list[dict], target: float) -> dict:
    """Iterations and seconds until each seed's curve reaches ``target``, their means, final accuracies."""
    its = [first_reach(c["x"], c["accuracy"], target) for c in cs]
    secs = [None if n is None else float(c["seconds"][list(c["x"]).index(n)])
            for n, c in zip(its, cs, strict=True)]
    done = all(n is not None for n in its)
    return {
        "iterations_to_target": its, "seconds_to_target": secs,
        "mean_iterations": float(np.mean(its)) if done else None,
        "mean_seconds": float(np.mean(secs)) if done else None,
        "final_accuracy": [float(c["accuracy"][-1]) for c in cs],
        "seconds_per_iteration": float(np.mean([c["seconds"][-1] / c["x"][-1] for c in cs])),
    }


def _highlights(nb: dict, inits: tuple, iterations: int) -> list[str]:
    def fmt_counts(r: dict) -> str:
        its = ", ".join("-" if n is None else str(n) for n in r["iterations_to_target"])
        if r["mean_iterations"] is None:
            return f"[{its}] iterations (not every seed reached it in {iterations})"
        return f"[{its}] iterations, mean {r['mean_iterations']:.0f} ({r['mean_seconds']:.2f} s of training)"

    seeds = nb["seeds"]
    lines = [f"{nb['depth']} hidden ReLU layers x {nb['width']}, SGD lr {nb['lr']:g}, "
             f"{nb['n_train']} {nb['data']} images, "
             f"{seeds} seed{'s' if seeds != 1 else ''}; iterations until test accuracy >= {nb['target']:g}:"]
    for init in inits:
        r = nb["runs"][init]
        sp = r["speedup_iterations"]
        lines += [f"{_INIT_NAMES[init]} init, without batch norm: {fmt_counts(r['plain'])}",
                  f"{_INIT_NAMES[init]} init, with batch norm:    {fmt_counts(r['batch_norm'])}"
                  + (f"  -> {sp:.1f}x fewer iterations" if sp is not None else "")]
    for key, r in nb["scales"].items():
        for kind, label in (("plain", "without batch norm:"), ("batch_norm", "with batch norm:   ")):
            accs = ", ".join("diverged" if a is None else f"{a:.3f}" for a in r[kind]["final_accuracy"])
            lines.append(f"weights with std {key}, {label} final test accuracy [{accs}]")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """Per initialisation, then per bad scale: mean accuracy and the band over seeds, with and without BN."""
    t = style.labels(_TEXT)
    nb, inits, scales = data["numbers"], data["inits"], data.get("scales", [])
    ncols = max(len(inits), len(scales))
    with style.context():
        fig = style.figure(figsize=(5.2 * ncols + 0.4, 4.2 * (1 + bool(scales))))
        axes = np.atleast_2d(fig.subplots(1 + bool(scales), ncols, sharey=True, squeeze=False))
        panels = [(axes[0, i], init, t["title"].format(init=_INIT_NAMES[init], lr=nb["lr"]), nb["runs"][init])
                  for i, init in enumerate(inits)]
        panels += [(axes[1, i], key, t["scale"].format(s=float(key), lr=nb["lr"]), None)
                   for i, key in enumerate(scales)]
        for ax, key, title, results in panels:
            _draw_init(ax, data["curves"][key], results, nb["seeds"], t)
            ax.axhline(nb["target"], color="k", ls="--", lw=0.8, label=t["target"].format(a=nb["target"]))
            ax.set_xlabel(t["iter"])
            ax.set_title(title)
            ax.set_ylim(0, 1)
            ax.legend(loc="lower right")
        for ax in axes[:, 0]:
            ax.set_ylabel(t["acc"])
        used = {id(p[0]) for p in panels}
        for ax in axes.ravel():
            ax.set_visible(id(ax) in used)
    return fig


def _draw_init(ax, curves: dict, results: dict | None, seeds: int, t: dict) -> None:
    """The plain and batch-norm curves of one panel, each with its mean iteration to target (if any)."""
    lines = (("plain", "C3", t["plain"]), ("batch_norm", "C0", t["bn"]))
    for k, (key, color, label) in enumerate(lines):
        cs = curves[key]
        n_div = sum(bool(c.get("diverged")) for c in cs)
        ok = [c for c in cs if not c.get("diverged")]
        if n_div:
            label += ", " + t["diverged"].format(k=n_div, n=seeds)
        if not ok:
            ax.plot([], [], color=color, lw=1.6, label=label)
            continue
        x = ok[0]["x"]
        acc = np.stack([c["accuracy"] for c in ok])
        ax.plot(x, acc.mean(axis=0), color=color, lw=1.6, label=f"{label} (n={len(ok)})")
        ax.fill_between(x, acc.min(axis=0), acc.max(axis=0), color=color, alpha=0.2, lw=0)
        n = None if results is None else results[key]["mean_iterations"]
        if n is not None:
            ax.axvline(n, color=color, ls=":", lw=1)
            ax.annotate(t["reach"].format(n=round(n)), (n, 0.02 + 0.06 * k),
                        xycoords=("data", "axes fraction"), color=color, fontsize=8, xytext=(3, 0),
                        textcoords="offset points")


def run(*, lang: str = "en", inits: tuple = ("xavier", "he"), scales: tuple = (0.01, 1.0), depth: int = 5,
        width: int = 100,
        lr: float = 0.05, iterations: int = 600, batch_size: int = 100, seeds: int = 3,
        target: float = 0.85, eval_every: int = 10, n_train: int = 2000, n_test: int = 1000,
        data: str = "mnist", root: str = "", seed: int = 0) -> Result:
    """Accuracy against iteration with and without batch norm, for each weight initialisation.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(inits=inits, scales=scales, depth=depth, width=width, lr=lr, iterations=iterations,
                  batch_size=batch_size,
                  seeds=seeds, target=target, eval_every=eval_every, n_train=n_train, n_test=n_test,
                  data=data, root=root, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
