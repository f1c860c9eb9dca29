"""Over-fitting a polynomial, and L2 regularisation taming it (lecture: 오버피팅, 가중치 감소, L30-L31).

The slide fits y(x, w) = w_0 + w_1 x + ... + w_M x^M to 10 noisy points of
sin(2 pi x) and prints the least-squares coefficients (Bishop, PRML Table 1.1):

    M = 0: w0 = 0.19
    M = 1: 0.82, -1.27
    "M = 6": 0.31, 7.99, -25.43, 17.37          (four coefficients: Bishop's M = 3 column)
    M = 9: 0.35, 232.37, -5321.83, 48568.31, -231639.30, 640042.26, -1061800.52,
           1042400.18, -557682.99, 125201.43

With M = 9 the curve passes through all 10 points (training error 0) and the
coefficients explode; between the points it swings wildly, so the test error is
large.  Weight decay adds (lambda/2) ||w||^2 to the error (the lecture's
J = J0 + (lambda/2m) sum ||W||_F^2, with lambda rescaled by m), and with
ln lambda = -18 (Bishop's Table 1.2) the M = 9 coefficients shrink to a few
units and the curve follows sin(2 pi x) again.

The lecture's own noisy points are not printed, so the data here are new
(x_n = n/9, t_n = sin(2 pi x_n) + N(0, 0.3^2)).  The default seed, 8, draws points
whose M = 9 fit has the slide's scale (w_5 = 6.6e5 against 6.4e5; with L2 the
largest |w_j| is ~110, Bishop's Table 1.2 has ~92); other seeds give max |w_j|
from ~1e4 to ~1e6 (seed 0: 8e4), the same story.  The slide's third column is headed M = 6 but
lists four coefficients (Bishop's M = 3); the default degrees run both.

Least squares: w* = argmin (1/2) sum_n (y(x_n, w) - t_n)^2 (``np.linalg.lstsq`` on
the Vandermonde matrix Phi_nj = x_n^j); regularised: (Phi^T Phi + lambda I) w = Phi^T t,
solved as least squares on [Phi; sqrt(lambda) I].  Errors are E_RMS = sqrt(mean (y - t)^2).

Run::

    abcdl demo polynomial-overfit [--degrees 0,1,3,6,9] [--ln-lambda -18] [--noise 0.3] [--seed 8]
    python -m abcdl.experiments.polynomial_overfit
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "polynomial-overfit"
SPEC = ("L30", "L31")
DESCRIPTION = "polynomials of degree 0, 1, 3, 6, 9 fitted to 10 noisy points of sin(2 pi x), with/without L2"

# The slide's M = 9 coefficient w_5 (Bishop's data), for comparison with ours.
LECTURE_W5_M9 = 640042.26

_TEXT = {
    "en": {"fit": "$M$ = {m}", "fit_l2": "$M$ = {m}, $\\ln\\lambda$ = {ll:g}", "train": "training data",
           "truth": "$\\sin(2\\pi x)$", "rms_title": "$E_{RMS}$ against degree $M$", "M": "degree $M$",
           "rms": "$E_{RMS}$", "train_rms": "training", "test_rms": "test",
           "train_rms_l2": "training, L2", "test_rms_l2": "test, L2",
           "coef_title": "largest $|w_j|$ for each $M$", "maxw": "max $|w_j|$",
           "no_reg": "least squares", "l2": "L2 ($\\ln\\lambda$ = {ll:g})"},
    "ko": {"fit": "$M$ = {m}", "fit_l2": "$M$ = {m}, $\\ln\\lambda$ = {ll:g}", "train": "학습 데이터",
           "truth": "$\\sin(2\\pi x)$", "rms_title": "차수 $M$ 에 따른 $E_{RMS}$", "M": "차수 $M$",
           "rms": "$E_{RMS}$", "train_rms": "학습", "test_rms": "테스트",
           "train_rms_l2": "학습, L2 정규화", "test_rms_l2": "테스트, L2 정규화",
           "coef_title": "$M$ 별 가장 큰 $|w_j|$", "maxw": "최대 $|w_j|$",
           "no_reg": "최소제곱", "l2": "L2 정규화 ($\\ln\\lambda$ = {ll:g})"},
}


def design_matrix(x: np.ndarray, degree: int) -> np.ndarray:
    """Phi with Phi_nj = x_n^j, j = 0..degree (shape (N, degree + 1))."""
    return np.vander(np.asarray(x, dtype=np.float64), degree + 1, increasing=True)


def fit_polynomial(x: np.ndarray, t: np.ndarray, degree: int, lam: float = 0.0) -> np.ndarray:
    """Coefficients w_0..w_M minimising (1/2) sum (y(x_n, w) - t_n)^2 + (lam/2) ||w||^2."""
    phi = design_matrix(x, degree)
    if lam > 0:
        # (Phi^T Phi + lambda I) w = Phi^T t  as least squares on [Phi; sqrt(lambda) I]
        phi = np.vstack([phi, math.sqrt(lam) * np.eye(degree + 1)])
        t = np.concatenate([t, np.zeros(degree + 1)])
    w, *_ = np.linalg.lstsq(phi, t, rcond=None)
    return w


def rms(w: np.ndarray, x: np.ndarray, t: np.ndarray) -> float:
    """E_RMS = sqrt(mean_n (y(x_n, w) - t_n)^2)  (= sqrt(2 E(w*) / N))."""
    return float(np.sqrt(np.mean((design_matrix(x, len(w) - 1) @ w - t) ** 2)))


def compute(*, degrees: tuple = (0, 1, 3, 6, 9), n_train: int = 10, noise: float = 0.3,
            ln_lambda: float = -18.0, n_test: int = 100, seed: int = 8) -> dict:
    """Least-squares and L2-regularised polynomial fits of sin(2 pi x) from 10 noisy points.

    Parameters
    ----------
    degrees : tuple of int
        Polynomial orders M (0..20); M >= n_train - 1 passes through every training point.
    n_train : int
        Training points x_n = n / (n_train - 1).
    noise : float
        Std of the Gaussian noise on t.
    ln_lambda : float
        ln of the L2 strength lambda (Bishop: -18).
    n_test : int
        Test points, x uniform in [0, 1], same noise.
    seed : int
        8 draws data on the slide's scale (see the module docstring).

    Returns
    -------
    dict
        ``numbers`` per M (keys are str(M)): ``coefficients``, ``max_abs_w``, ``train_rms``,
        ``test_rms``, and the same with L2 (``l2_coefficients``, ``l2_max_abs_w``, ``l2_train_rms``,
        ``l2_test_rms``); ``rms_curve`` (train/test E_RMS for every M from 0 to n_train - 1, both
        fits); ``lambda``, ``lecture_w5_m9``; ``highlights``; for the figure ``degrees`` and the
        training points ``x``, ``t``.
    """
    check_param(len(degrees) > 0 and all(int(m) == m and 0 <= m <= 20 for m in degrees), "degrees",
                f"need integers 0..20, got {degrees}")
    check_param(n_train >= 2, "n_train", f"must be >= 2, got {n_train}")
    check_param(noise >= 0, "noise", f"must be >= 0, got {noise}")
    check_param(n_test >= 1, "n_test", f"must be >= 1, got {n_test}")
    check_param(-60 <= ln_lambda <= 10, "ln_lambda", f"must be in [-60, 10], got {ln_lambda}")
    check_seed(seed)
    check_count(n_train, "n_train", 2, 100_000, "memory")
    check_count(n_test, "n_test", 1, 1_000_000, "memory")
    check_real(noise, "noise", 0, 1e6)
    rng = np.random.default_rng(seed)
    lam = math.exp(ln_lambda)
    x = np.linspace(0.0, 1.0, n_train)
    t = np.sin(2 * np.pi * x) + noise * rng.standard_normal(n_train)          # t = sin(2 pi x) + noise
    x_test = rng.random(n_test)
    t_test = np.sin(2 * np.pi * x_test) + noise * rng.standard_normal(n_test)

    degrees = tuple(int(m) for m in degrees)
    fits = {m: fit_polynomial(x, t, m) for m in degrees}
    fits_l2 = {m: fit_polynomial(x, t, m, lam) for m in degrees}
    curve_m = list(range(n_train))
    curve = {key: [] for key in ("train", "test", "l2_train", "l2_test")}
    for m in curve_m:
        w, w2 = fit_polynomial(x, t, m), fit_polynomial(x, t, m, lam)
        curve["train"].append(rms(w, x, t))
        curve["test"].append(rms(w, x_test, t_test))
        curve["l2_train"].append(rms(w2, x, t))
        curve["l2_test"].append(rms(w2, x_test, t_test))

    def per_m(f):
        return {str(m): f(m) for m in degrees}

    numbers = {
        "lambda": lam, "ln_lambda": ln_lambda, "n_train": n_train, "noise": noise,
        "coefficients": per_m(lambda m: fits[m]),
        "max_abs_w": per_m(lambda m: float(np.max(np.abs(fits[m])))),
        "train_rms": per_m(lambda m: rms(fits[m], x, t)),
        "test_rms": per_m(lambda m: rms(fits[m], x_test, t_test)),
        "l2_coefficients": per_m(lambda m: fits_l2[m]),
        "l2_max_abs_w": per_m(lambda m: float(np.max(np.abs(fits_l2[m])))),
        "l2_train_rms": per_m(lambda m: rms(fits_l2[m], x, t)),
        "l2_test_rms": per_m(lambda m: rms(fits_l2[m], x_test, t_test)),
        "rms_curve": {"M": curve_m, **curve},
        "lecture_w5_m9": LECTURE_W5_M9,
    }
    return {"numbers": numbers, "highlights": _highlights(numbers, degrees), "degrees": degrees,
            "x": x, "t": t}


def _highlights(numbers: dict, degrees: tuple) -> list[str]:
    lines = ["least squares, coefficients w_0..w_M:"]
    lines += [f"  M = {m}: " + " ".join(f"{v:.2f}" for v in numbers["coefficients"][str(m)]) for m in degrees]
    lines += [
        "max |w_j| per M: " + ", ".join(f"M={m}: {numbers['max_abs_w'][str(m)]:.3g}" for m in degrees)
        + (f"  (slide, M = 9: w_5 = {LECTURE_W5_M9:.6g})" if 9 in degrees else ""),
        "E_RMS train / test per M: " + ", ".join(
            f"M={m}: {numbers['train_rms'][str(m)]:.3f}/{numbers['test_rms'][str(m)]:.3f}" for m in degrees),
        f"with L2, ln lambda = {numbers['ln_lambda']:g}: max |w_j| " + ", ".join(
            f"M={m}: {numbers['l2_max_abs_w'][str(m)]:.3g}" for m in degrees),
        "with L2, E_RMS train / test: " + ", ".join(
            f"M={m}: {numbers['l2_train_rms'][str(m)]:.3f}/{numbers['l2_test_rms'][str(m)]:.3f}"
            for m in degrees),
    ]
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """Top rows: every fit without and with L2; bottom: E_RMS against M, and the largest |w_j|."""
    tt = style.labels(_TEXT)
    nb, degrees = data["numbers"], data["degrees"]
    ln_lambda, k = nb["ln_lambda"], len(degrees)
    with style.context():
        fig = style.figure(figsize=(max(2.6 * k, 9), 8.6))
        gs = fig.add_gridspec(3, 2 * k)
        xs = np.linspace(0, 1, 400)
        for row, (key, title) in enumerate((("coefficients", "fit"), ("l2_coefficients", "fit_l2"))):
            for i, m in enumerate(degrees):
                ax = fig.add_subplot(gs[row, 2 * i:2 * i + 2])
                ax.plot(xs, np.sin(2 * np.pi * xs), color="C2", lw=1.2, label=tt["truth"])
                ax.plot(xs, design_matrix(xs, m) @ nb[key][str(m)], color="C3", lw=1.5)   # y(x, w)
                ax.plot(data["x"], data["t"], "o", mfc="none", color="C0", ms=5, label=tt["train"])
                ax.set_ylim(-1.6, 1.6)
                ax.set_title(tt[title].format(m=m, ll=ln_lambda))
                if i == 0 and row == 0:
                    ax.legend(loc="lower left", fontsize=7)
        _draw_rms(fig.add_subplot(gs[2, :k]), nb["rms_curve"], tt)
        ax = fig.add_subplot(gs[2, k:])
        pos = np.arange(k)
        ax.bar(pos - 0.2, [nb["max_abs_w"][str(m)] for m in degrees], 0.4, color="C3", label=tt["no_reg"])
        ax.bar(pos + 0.2, [nb["l2_max_abs_w"][str(m)] for m in degrees], 0.4, color="C0",
               label=tt["l2"].format(ll=ln_lambda))
        ax.set_yscale("log")
        ax.set_xticks(pos, [str(m) for m in degrees])
        ax.set_xlabel(tt["M"])
        ax.set_ylabel(tt["maxw"])
        ax.set_title(tt["coef_title"])
        ax.legend(fontsize=7)
    return fig


def _draw_rms(ax, curve: dict, tt: dict) -> None:
    """Training and test E_RMS against M, without and with L2."""
    ax.plot(curve["M"], curve["train"], "o-", color="C0", label=tt["train_rms"])
    ax.plot(curve["M"], curve["test"], "o-", color="C3", label=tt["test_rms"])
    ax.plot(curve["M"], curve["l2_train"], "s--", color="C0", alpha=0.6, label=tt["train_rms_l2"])
    ax.plot(curve["M"], curve["l2_test"], "s--", color="C3", alpha=0.6, label=tt["test_rms_l2"])
    ax.set_ylim(0, max(1.2, min(3.0, max(curve["test"]) * 1.05)))
    ax.set_xlabel(tt["M"])
    ax.set_ylabel(tt["rms"])
    ax.set_title(tt["rms_title"])
    ax.legend(fontsize=7)


def run(*, lang: str = "en", degrees: tuple = (0, 1, 3, 6, 9), n_train: int = 10, noise: float = 0.3,
        ln_lambda: float = -18.0, n_test: int = 100, seed: int = 8) -> Result:
    """Least-squares and L2-regularised polynomial fits of sin(2 pi x) from 10 noisy points.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(degrees=degrees, n_train=n_train, noise=noise, ln_lambda=ln_lambda, n_test=n_test,
                   seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
