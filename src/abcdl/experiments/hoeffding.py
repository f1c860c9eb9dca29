"""Hoeffding's inequality: how far training error can be from test error (lecture: Hoeffding inequality, L3).

The slide bounds the chance that a model's training error E_train misleads about
its test error E_test:

    P[ |E_train - E_test| > eps ] <= N_hyp exp(-2 eps^2 N_train)

for a model chosen among N_hyp hypotheses using N_train examples.  (Hoeffding's
two-sided inequality carries a factor 2: 2 N_hyp exp(-2 eps^2 N_train); the
slide's form drops it.  :func:`hoeffding_bound` gives the slide's form, and the
textbook one with ``two_sided=True``.)

The experiment measures the left-hand side.  Data: x ~ U(0, 1), label 1[x > 0.5],
each label flipped with probability ``noise``.  Hypotheses: N_hyp threshold
classifiers h_j(x) = 1[x > theta_j], theta_j = (j + 1/2)/N_hyp, whose test
error is known exactly, E_test(theta) = noise + (1 - 2 noise)|theta - 1/2|.  For
each N_train, many training sets are drawn; for each one the gap |E_train - E_test|
is recorded for one fixed hypothesis (theta = 1/2, N_hyp = 1) and for the
hypothesis with the lowest training error among the N_hyp (the learned model).
The figure plots the measured P[gap > eps] against both bounds: the bound always
holds and, like the measurement, falls exponentially in N_train.

Run::

    abcdl demo hoeffding [--eps 0.05] [--n-hyp 10] [--noise 0.3] [--repeats 4000]
                         [--n-train 10,20,50,100,200,500,1000]
    python -m abcdl.experiments.hoeffding
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "hoeffding"
SPEC = ("L3",)
DESCRIPTION = "Hoeffding's bound N_hyp exp(-2 eps^2 N) vs the measured train/test gap of threshold rules"

_TEXT = {
    "en": {"title": "$P[|E_{{train}} - E_{{test}}| > \\epsilon]$, $\\epsilon$ = {eps:g}",
           "n": "training examples $N_{train}$", "p": "probability",
           "bound1": "bound, 1 hypothesis: $e^{-2\\epsilon^2 N}$",
           "boundM": "bound, {m} hypotheses: ${m}\\,e^{{-2\\epsilon^2 N}}$",
           "fixed": "measured, fixed $h$ ($\\theta$ = 0.5)", "erm": "measured, learned $h$ (best of {m})",
           "gap_title": "mean gap $|E_{train} - E_{test}|$", "gap": "mean gap",
           "fixed_s": "fixed $h$", "erm_s": "learned $h$", "sqrt": "$1/(2\\sqrt{N})$ (reference)",
           "resolution": "measurement resolution 1/repeats = 1/{r}"},
    "ko": {"title": "$P[|E_{{train}} - E_{{test}}| > \\epsilon]$, $\\epsilon$ = {eps:g}",
           "n": "학습 데이터 개수 $N_{train}$", "p": "확률",
           "bound1": "상한, 가설 1개: $e^{-2\\epsilon^2 N}$",
           "boundM": "상한, 가설 {m}개: ${m}\\,e^{{-2\\epsilon^2 N}}$",
           "fixed": "측정, 고정된 $h$ ($\\theta$ = 0.5)", "erm": "측정, 학습된 $h$ ({m}개 중 최선)",
           "gap_title": "평균 차이 $|E_{train} - E_{test}|$", "gap": "평균 차이",
           "fixed_s": "고정된 $h$", "erm_s": "학습된 $h$", "sqrt": "$1/(2\\sqrt{N})$ (참고)",
           "resolution": "측정 해상도 1/반복 횟수 = 1/{r}"},
}


def hoeffding_bound(eps, n_train, n_hyp: int = 1, two_sided: bool = False):
    """Hoeffding's bound on P[|E_train - E_test| > eps] (L3); may exceed 1 (then it says nothing).

    Parameters
    ----------
    eps : float or array
        Tolerance epsilon > 0.
    n_train : int or array
        Training examples N_train.
    n_hyp : int
        Hypotheses the model is chosen from (union bound).
    two_sided : bool
        False: the lecture's form N_hyp exp(-2 eps^2 N_train).  True: the textbook
        two-sided form 2 N_hyp exp(-2 eps^2 N_train).

    Returns
    -------
    float or ndarray (broadcast of eps and n_train).
    """
    eps = np.asarray(eps, dtype=np.float64)
    n = np.asarray(n_train, dtype=np.float64)
    if np.any(eps <= 0) or np.any(n < 0) or n_hyp < 1:
        raise ValueError(f"need eps > 0, n_train >= 0, n_hyp >= 1; got eps={eps}, n_train={n}, n_hyp={n_hyp}")
    bound = n_hyp * np.exp(-2.0 * eps**2 * n)                 # N_hyp exp(-2 eps^2 N_train)
    if two_sided:
        bound = 2.0 * bound
    return float(bound) if bound.ndim == 0 else bound


def exact_test_error(theta, noise: float):
    """Exact test error of h(x) = 1[x > theta]: x ~ U(0, 1), labels 1[x > 1/2] flipped with prob. noise."""
    theta = np.asarray(theta, dtype=np.float64)
    return noise + (1.0 - 2.0 * noise) * np.abs(theta - 0.5)  # wrong on |theta - 1/2| of the mass


def measure_gaps(n_train: int, thetas: np.ndarray, noise: float, repeats: int,
                 rng: np.random.Generator, chunk: int = 200_000) -> tuple[np.ndarray, np.ndarray]:
    """|E_train - E_test| over ``repeats`` training sets: (fixed theta = 1/2, learned best-of-thetas)."""
    fixed, learned = [], []
    e_test = exact_test_error(thetas, noise)
    e_fixed = exact_test_error(0.5, noise)
    per = max(1, chunk // (n_train * len(thetas)))            # repeats per chunk keeps memory small
    for start in range(0, repeats, per):
        r = min(per, repeats - start)
        x = rng.random((r, n_train))
        y = (x > 0.5) ^ (rng.random((r, n_train)) < noise)    # true label, flipped with prob. noise
        err_fixed = np.mean((x > 0.5) != y, axis=1)           # E_train of theta = 1/2
        pred = x[:, :, None] > thetas                         # (r, N, N_hyp)
        err = np.mean(pred != y[:, :, None], axis=1)          # E_train of every hypothesis
        best = np.argmin(err, axis=1)                         # the learned model: lowest E_train
        fixed.append(np.abs(err_fixed - e_fixed))
        learned.append(np.abs(err[np.arange(r), best] - e_test[best]))
    return np.concatenate(fixed), np.concatenate(learned)


def compute(*, eps: float = 0.05, n_train: tuple = (10, 20, 50, 100, 200, 500, 1000), n_hyp: int = 10,
            noise: float = 0.3, repeats: int = 4000, seed: int = 0) -> dict:
    """Measured P[|E_train - E_test| > eps] of threshold classifiers against Hoeffding's bound.

    Parameters
    ----------
    eps : float
        Tolerance epsilon.
    n_train : tuple of int
        Training-set sizes N_train.
    n_hyp : int
        Threshold classifiers the learned model is chosen from.
    noise : float
        Label-flip probability in [0, 0.5).
    repeats : int
        Training sets drawn per N_train (the probability's resolution is 1/repeats).
    seed : int

    Returns
    -------
    dict
        ``numbers`` per N_train (lists in increasing order of ``n_train``): ``bound_1`` and
        ``bound_n_hyp`` (the lecture's form), ``bound_n_hyp_two_sided``, ``p_fixed`` and
        ``p_learned`` (measured), ``mean_gap_fixed``, ``mean_gap_learned``, and ``holds``
        (measured <= lecture bound at every N, for both); ``highlights``; for the figure the
        bounds as curves over ``nn``: ``curve_1`` and ``curve_n_hyp``.
    """
    check_param(eps > 0, "eps", f"must be > 0, got {eps}")
    check_param(len(n_train) > 0 and all(int(n) == n and n >= 1 for n in n_train), "n_train",
                f"need positive integers, got {n_train}")
    check_param(n_hyp >= 1, "n_hyp", f"must be >= 1, got {n_hyp}")
    check_param(0 <= noise < 0.5, "noise", f"must be in [0, 0.5), got {noise}")
    check_param(repeats >= 10, "repeats", f"must be >= 10, got {repeats}")
    check_seed(seed)
    check_count(n_hyp, "n_hyp", 1, 1000, "run time: every hypothesis is measured in every repeat")
    check_count(repeats, "repeats", 10, 100_000, "run time: the default 4,000 take a few seconds")
    check_param(len(n_train) <= 20 and max(n_train) <= 100_000, "n_train",
                f"at most 20 sizes of at most 100,000 (memory and run time), got {len(n_train)} sizes")
    work = repeats * max(n_train) * n_hyp
    check_param(work <= 200_000_000, "repeats",
                f"repeats x max(n_train) x n_hyp = {work:,} coin flips, more than 200,000,000 "
                f"(memory and run time; the default is 40,000,000)")
    rng = np.random.default_rng(seed)
    thetas = (np.arange(n_hyp) + 0.5) / n_hyp                 # theta_j = (j + 1/2) / N_hyp
    ns = np.array(sorted(int(n) for n in n_train))
    p_fixed, p_learned, g_fixed, g_learned = [], [], [], []
    for n in ns:
        gf, gl = measure_gaps(int(n), thetas, noise, repeats, rng)
        p_fixed.append(float(np.mean(gf > eps)))               # P[|E_train - E_test| > eps], measured
        p_learned.append(float(np.mean(gl > eps)))
        g_fixed.append(float(gf.mean()))
        g_learned.append(float(gl.mean()))
    b1 = hoeffding_bound(eps, ns, 1)
    bm = hoeffding_bound(eps, ns, n_hyp)
    numbers = {
        "eps": eps, "n_hyp": n_hyp, "n_train": ns, "repeats": repeats,
        "bound_1": b1, "bound_n_hyp": bm, "bound_n_hyp_two_sided": hoeffding_bound(eps, ns, n_hyp, True),
        "p_fixed": p_fixed, "p_learned": p_learned,
        "mean_gap_fixed": g_fixed, "mean_gap_learned": g_learned,
        "holds": bool(np.all(np.array(p_fixed) <= b1) and np.all(np.array(p_learned) <= bm)),
    }
    nn = np.geomspace(ns.min(), ns.max(), 200)
    return {"numbers": numbers, "highlights": _highlights(numbers), "nn": nn,
            "curve_1": hoeffding_bound(eps, nn, 1), "curve_n_hyp": hoeffding_bound(eps, nn, n_hyp)}


def _highlights(numbers: dict) -> list[str]:
    eps, n_hyp, repeats = numbers["eps"], numbers["n_hyp"], numbers["repeats"]
    lines = [f"eps = {eps:g}, {n_hyp} threshold hypotheses, {repeats} training sets per N "
             "(bound: lecture's form, without the factor 2)"]
    lines += [f"N = {n:>5}: measured P {pf:.4f} (fixed h) / {pl:.4f} (learned h);  "
              f"bound {c1:.3g} / {cm:.3g}"
              for n, pf, pl, c1, cm in zip(numbers["n_train"], numbers["p_fixed"], numbers["p_learned"],
                                           numbers["bound_1"], numbers["bound_n_hyp"], strict=True)]
    lines.append(f"bound holds at every N: {numbers['holds']}")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """Left: measured probabilities and both bounds against N_train; right: the mean gaps."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    eps, n_hyp, repeats, ns = nb["eps"], nb["n_hyp"], nb["repeats"], nb["n_train"]
    with style.context():
        fig = style.figure(figsize=(11, 4.3))
        ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
        floor = 0.5 / repeats                                  # show measured zeros at the resolution floor
        ax1.plot(data["nn"], np.minimum(data["curve_1"], 1), color="C0", lw=1.5, label=t["bound1"])
        ax1.plot(data["nn"], np.minimum(data["curve_n_hyp"], 1), color="C1", lw=1.5,
                 label=t["boundM"].format(m=n_hyp))
        ax1.plot(ns, np.maximum(nb["p_fixed"], floor), "o--", color="C0", label=t["fixed"])
        ax1.plot(ns, np.maximum(nb["p_learned"], floor), "s--", color="C1", label=t["erm"].format(m=n_hyp))
        ax1.axhline(1.0 / repeats, color="0.35", lw=1.0, ls=":", label=t["resolution"].format(r=repeats))
        ax1.set_xscale("log")
        ax1.set_yscale("log")
        ax1.set_ylim(floor / 2, 1.5)
        ax1.set_xlabel(t["n"])
        ax1.set_ylabel(t["p"])
        ax1.set_title(t["title"].format(eps=eps))
        ax1.legend(loc="lower left")
        ax2.loglog(ns, nb["mean_gap_fixed"], "o-", color="C0", label=t["fixed_s"])
        ax2.loglog(ns, nb["mean_gap_learned"], "s-", color="C1", label=t["erm_s"])
        ax2.loglog(ns, 0.5 / np.sqrt(ns), color="gray", ls=":", label=t["sqrt"])
        ax2.axhline(eps, color="k", ls="--", lw=0.8, label="$\\epsilon$")
        ax2.set_xlabel(t["n"])
        ax2.set_ylabel(t["gap"])
        ax2.set_title(t["gap_title"])
        ax2.legend()
    return fig


def run(*, lang: str = "en", eps: float = 0.05, n_train: tuple = (10, 20, 50, 100, 200, 500, 1000),
        n_hyp: int = 10, noise: float = 0.3, repeats: int = 4000, seed: int = 0) -> Result:
    """Measured P[|E_train - E_test| > eps] of threshold classifiers against Hoeffding's bound.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(eps=eps, n_train=n_train, n_hyp=n_hyp, noise=noise, repeats=repeats, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
