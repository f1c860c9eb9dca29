"""Bayes' theorem gives the logistic sigmoid (lecture: 베이즈 정리, 시그모이드, L12).

The slide writes the posterior of class C1 by Bayes' theorem and divides through
by the numerator:

    P(C1|x) = P(x|C1)P(C1) / (P(x|C1)P(C1) + P(x|C2)P(C2)) = 1 / (1 + e^{-a}) = sigma(a),
    a = ln( P(x|C1)P(C1) / (P(x|C2)P(C2)) ),

and sigma(-a) = 1 - sigma(a) is then P(C2|x).  For two Gaussian classes with means
mu1, mu2 and one shared covariance Sigma, the quadratic terms x^T Sigma^-1 x cancel
in a, which is therefore linear in x (Bishop, PRML 4.65-4.67):

    a = w^T x + b,   w = Sigma^-1 (mu1 - mu2),
    b = -1/2 mu1^T Sigma^-1 mu1 + 1/2 mu2^T Sigma^-1 mu2 + ln(P(C1)/P(C2)),

so the posterior is exactly a logistic regression sigma(w^T x + b): the model of
L15 is the right form for such data.  With different covariances the quadratic
terms stay and a is not linear.

The experiment evaluates, on a grid of inputs, the posterior by Bayes' rule from
the Gaussian densities and sigma(w^T x + b) with (w, b) from the formulas above,
in 1-D (curves for several priors) and in 2-D (two surfaces and their contour
lines), and prints the largest difference (round-off, about 1e-16).  It also
reports how far a(x) is from its best linear fit (0 for a shared covariance,
large for unequal ones), and fits :class:`abcdl.models.LogisticRegression` to
samples of the two 2-D classes: its (w, b) approach the Bayes (w, b).

Run::

    abcdl demo bayes-sigmoid [--priors 0.5,0.8,0.2] [--n-samples 2000]
    python -m abcdl.experiments.bayes_sigmoid
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "bayes-sigmoid"
SPEC = ("L12",)
DESCRIPTION = "Bayes posterior of two Gaussian classes = sigma(w.x + b): curves in 1-D, surfaces in 2-D"

_TEXT = {
    "en": {"t1": "1-D: Bayes posterior (lines) vs $\\sigma(wx+b)$ (dots)", "x": "$x$",
           "post": "$P(C_1|x)$", "prior": "$P(C_1)$ = {p:g}", "dens": "class densities",
           "t2": "2-D, Bayes: $P(C_1|x)$", "t3": "2-D, $\\sigma(w^Tx+b)$ and samples",
           "t4": "difference (largest {d:.1e})", "x1": "$x_1$", "x2": "$x_2$",
           "fit": "LogisticRegression fit", "bayes": "Bayes $w^Tx+b=0$"},
    "ko": {"t1": "1차원: 베이즈 사후확률 (선) vs $\\sigma(wx+b)$ (점)", "x": "$x$",
           "post": "$P(C_1|x)$", "prior": "$P(C_1)$ = {p:g}", "dens": "클래스 확률밀도",
           "t2": "2차원, 베이즈: $P(C_1|x)$", "t3": "2차원, $\\sigma(w^Tx+b)$ 와 표본",
           "t4": "차이 (최대 {d:.1e})", "x1": "$x_1$", "x2": "$x_2$",
           "fit": "로지스틱 회귀 학습 결과", "bayes": "베이즈 $w^Tx+b=0$"},
}


def gaussian_density(X, mu, Sigma) -> np.ndarray:
    """N(x | mu, Sigma) = exp(-1/2 (x-mu)^T Sigma^-1 (x-mu)) / sqrt((2 pi)^d |Sigma|) for each row of X.

    Shapes: X (N, d), mu (d,), Sigma (d, d) -> (N,).
    """
    X, mu, Sigma = (np.asarray(v, dtype=np.float64) for v in (X, mu, Sigma))
    d = mu.shape[0]
    D = X - mu
    quad = np.einsum("ni,ij,nj->n", D, np.linalg.inv(Sigma), D)          # (x-mu)^T Sigma^-1 (x-mu)
    return np.exp(-0.5 * quad) / np.sqrt((2 * np.pi) ** d * np.linalg.det(Sigma))


def bayes_posterior(X, mu1, mu2, Sigma1, p1: float, Sigma2=None) -> np.ndarray:
    """P(C1|x) = P(x|C1)P(C1) / (P(x|C1)P(C1) + P(x|C2)P(C2)) for Gaussian classes (L12).

    ``Sigma2`` defaults to ``Sigma1`` (a shared covariance).  Shapes: X (N, d) -> (N,).
    """
    Sigma2 = Sigma1 if Sigma2 is None else Sigma2
    num = gaussian_density(X, mu1, Sigma1) * p1                          # P(x|C1) P(C1)
    return num / (num + gaussian_density(X, mu2, Sigma2) * (1 - p1))     # Bayes' rule


def log_odds(X, mu1, mu2, Sigma1, p1: float, Sigma2=None) -> np.ndarray:
    """a = ln(P(x|C1)P(C1) / (P(x|C2)P(C2))) from the densities (``Sigma2`` defaults to ``Sigma1``)."""
    Sigma2 = Sigma1 if Sigma2 is None else Sigma2
    return (np.log(gaussian_density(X, mu1, Sigma1) * p1)
            - np.log(gaussian_density(X, mu2, Sigma2) * (1 - p1)))


def gaussian_logistic(mu1, mu2, Sigma, p1: float) -> tuple[np.ndarray, float]:
    """(w, b) with P(C1|x) = sigma(w^T x + b) for Gaussian classes sharing the covariance ``Sigma``.

    Formula: w = Sigma^-1 (mu1 - mu2),
    b = -1/2 mu1^T Sigma^-1 mu1 + 1/2 mu2^T Sigma^-1 mu2 + ln(P(C1)/P(C2)).
    """
    if not 0 < p1 < 1:
        raise ValueError(f"p1 must be a prior in (0, 1), got {p1}")
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    P = np.linalg.inv(np.asarray(Sigma, dtype=np.float64))               # Sigma^-1
    w = P @ (mu1 - mu2)                                                  # w = Sigma^-1 (mu1 - mu2)
    b = -0.5 * mu1 @ P @ mu1 + 0.5 * mu2 @ P @ mu2 + np.log(p1 / (1 - p1))
    return w, float(b)


def gaussian_classes_posterior(X, mu1, mu2, Sigma, p1: float) -> dict:
    """Both sides of L12 on the rows of X: ``{"bayes", "sigmoid", "w", "b"}``.

    ``bayes`` is P(C1|x) by Bayes' rule from the densities, ``sigmoid`` is sigma(w^T x + b)
    with (w, b) from :func:`gaussian_logistic`; they agree to round-off.
    """
    from ..functions import sigmoid

    w, b = gaussian_logistic(mu1, mu2, Sigma, p1)
    X = np.asarray(X, dtype=np.float64)
    return {"bayes": bayes_posterior(X, mu1, mu2, Sigma, p1), "sigmoid": sigmoid(X @ w + b), "w": w, "b": b}


def linear_fit_residual(X, a) -> float:
    """max |a - (w^T x + b)| for the least-squares (w, b): 0 when a is linear in x."""
    A = np.column_stack([X, np.ones(len(X))])
    coef, *_ = np.linalg.lstsq(A, a, rcond=None)
    return float(np.max(np.abs(A @ coef - a)))


def _setup(mu1, mu2, cov, cov2):
    return (np.array(mu1, dtype=np.float64), np.array(mu2, dtype=np.float64),
            np.array(cov, dtype=np.float64).reshape(2, 2), np.array(cov2, dtype=np.float64).reshape(2, 2))


def compute(*, priors: tuple = (0.5, 0.8, 0.2), mu1: tuple = (1.0, 1.0), mu2: tuple = (-1.0, -0.5),
            cov: tuple = (1.0, 0.4, 0.4, 0.8), p1: float = 0.6, cov2: tuple = (0.5, 0.0, 0.0, 2.0),
            grid: int = 121, n_samples: int = 2000, seed: int = 0) -> dict:
    """The Bayes posterior and sigma(w^T x + b) on grids in 1-D and 2-D; a logistic regression fitted.

    Parameters
    ----------
    priors : tuple of float
        P(C1) of the 1-D curves (classes N(1, 1) and N(-1, 1)).
    mu1, mu2 : (float, float)
        Means of the 2-D classes.
    cov : 4 floats
        The shared covariance Sigma of the 2-D classes, row by row (symmetric, positive definite).
    p1 : float
        P(C1) of the 2-D classes.
    cov2 : 4 floats
        A second covariance for class C2, only to show that a is then not linear in x.
    grid : int
        Points per axis of the grids.
    n_samples : int
        Samples drawn from the 2-D classes (class C1 with probability p1) for the logistic regression.
    seed : int
        Draws the samples.

    Returns
    -------
    dict
        ``numbers``: ``one_d`` ({prior: {"w", "b", "max_abs_diff"}}), ``two_d`` ({"w", "b",
        "max_abs_diff", "linear_residual" (max |a - best linear fit|), "linear_residual_unequal"
        (the same with ``cov2`` for C2), "symmetry" (max |sigma(-a) - (1 - sigma(a))|)}),
        ``fit`` ({"w", "b", "n_samples", "accuracy"}), ``max_abs_diff`` (over everything);
        ``highlights``; for the figure ``x1d``, ``curves1d``, ``grid2d`` (X1, X2) and ``surfaces``.
    """
    _check(priors, mu1, mu2, cov, p1, cov2, grid, n_samples)
    from ..functions import sigmoid

    x = np.linspace(-4, 4, grid)
    one_d, curves = {}, {}
    for p in priors:
        r = gaussian_classes_posterior(x[:, None], [1.0], [-1.0], [[1.0]], p)
        one_d[f"{p:g}"] = {"w": float(r["w"][0]), "b": r["b"],
                           "max_abs_diff": float(np.max(np.abs(r["bayes"] - r["sigmoid"])))}
        curves[f"{p:g}"] = r
    m1, m2, S, S2 = _setup(mu1, mu2, cov, cov2)
    X1, X2 = np.meshgrid(np.linspace(-4, 4, grid), np.linspace(-4, 4, grid))
    X = np.column_stack([X1.ravel(), X2.ravel()])
    r = gaussian_classes_posterior(X, m1, m2, S, p1)
    a = log_odds(X, m1, m2, S, p1)
    two_d = {"w": r["w"].tolist(), "b": r["b"],
             "max_abs_diff": float(np.max(np.abs(r["bayes"] - r["sigmoid"]))),
             "linear_residual": linear_fit_residual(X, a),
             "linear_residual_unequal": linear_fit_residual(X, log_odds(X, m1, m2, S, p1, Sigma2=S2)),
             "symmetry": float(np.max(np.abs(sigmoid(-a) - (1 - sigmoid(a)))))}   # sigma(-a) = 1 - sigma(a)
    fit, samples = _fit_logistic(m1, m2, S, p1, n_samples, seed)
    numbers = {"priors": list(priors), "mu1": list(mu1), "mu2": list(mu2), "cov": list(cov), "p1": p1,
               "one_d": one_d, "two_d": two_d, "fit": fit,
               "max_abs_diff": max([two_d["max_abs_diff"], *(v["max_abs_diff"] for v in one_d.values())])}
    surfaces = {"bayes": r["bayes"].reshape(X1.shape), "sigmoid": r["sigmoid"].reshape(X1.shape)}
    return {"numbers": numbers, "highlights": _highlights(numbers), "x1d": x, "curves1d": curves,
            "grid2d": (X1, X2), "surfaces": surfaces, "samples": samples}


def _fit_logistic(m1, m2, S, p1, n, seed) -> tuple[dict, dict]:
    """Samples of the two classes and LogisticRegression's (w, b) fitted to them (t = 1 for C1)."""
    from ..models import LogisticRegression

    rng = np.random.default_rng(seed)
    t = (rng.random(n) < p1).astype(np.float64)                              # class C1 with P(C1) = p1
    L = np.linalg.cholesky(S)
    X = np.where(t[:, None] == 1, m1, m2) + rng.standard_normal((n, 2)) @ L.T   # x ~ N(mu_k, Sigma)
    model = LogisticRegression(lr=0.5, n_iter=3000).fit(X, t)
    w, b = np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)
    acc = float(np.mean((X @ w + b > 0) == (t == 1)))
    return {"w": w.tolist(), "b": b, "n_samples": n, "accuracy": acc}, {"X": X, "t": t}


def _check(priors, mu1, mu2, cov, p1, cov2, grid, n_samples) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    check_param(len(priors) >= 1 and all(0 < p < 1 for p in priors), "priors",
                f"each must be in (0, 1), got {priors}")
    for name, mu in (("mu1", mu1), ("mu2", mu2)):
        check_param(len(mu) == 2 and all(np.isfinite(mu)), name, f"must be two finite numbers, got {mu}")
    for name, c in (("cov", cov), ("cov2", cov2)):
        C = np.array(c, dtype=np.float64)
        ok = C.size == 4 and np.allclose(C.reshape(2, 2), C.reshape(2, 2).T) and \
            bool(np.all(np.linalg.eigvalsh(C.reshape(2, 2)) > 0)) if C.size == 4 else False
        check_param(ok, name, f"must be 4 numbers of a symmetric positive definite 2x2 matrix, got {c}")
    check_param(0 < p1 < 1, "p1", f"must be in (0, 1), got {p1}")
    check_param(10 <= grid <= 1000, "grid", f"must be in [10, 1000], got {grid}")
    check_param(20 <= n_samples <= 1_000_000, "n_samples", f"must be in [20, 1e6], got {n_samples}")


def _highlights(nb: dict) -> list[str]:
    t = nb["two_d"]
    f = nb["fit"]
    lines = [f"1-D, N(1, 1) vs N(-1, 1), P(C1) = {p}: a = {v['w']:.4f} x {'-' if v['b'] < 0 else '+'} "
             f"{abs(v['b']):.4f}, "
             f"max |Bayes - sigma| = {v['max_abs_diff']:.1e}" for p, v in nb["one_d"].items()]
    lines += [f"2-D, shared covariance, P(C1) = {nb['p1']:g}: w = {np.round(t['w'], 4).tolist()}, "
              f"b = {t['b']:.4f}, max |Bayes - sigma(w.x + b)| = {t['max_abs_diff']:.1e}",
              f"a(x) minus its best linear fit: {t['linear_residual']:.1e} (shared covariance), "
              f"{t['linear_residual_unequal']:.2f} (unequal covariances: a is quadratic)",
              f"LogisticRegression on {f['n_samples']} samples: w = {np.round(f['w'], 3).tolist()}, "
              f"b = {f['b']:.3f} (Bayes: {np.round(t['w'], 3).tolist()}, {t['b']:.3f})",
              f"largest difference between the posterior and the sigmoid: {nb['max_abs_diff']:.1e}"]
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """1-D curves per prior; 2-D: the Bayes surface, the sigmoid surface with samples, their difference."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    with style.context():
        fig = style.figure(figsize=(15, 3.9))
        ax1, ax2, ax3, ax4 = fig.subplots(1, 4, gridspec_kw={"width_ratios": [1.25, 1, 1, 1]})
        _draw_1d(ax1, data["x1d"], data["curves1d"], t)
        X1, X2 = data["grid2d"]
        S = data["surfaces"]
        levels = np.linspace(0, 1, 11)
        for ax, key, title in ((ax2, "bayes", t["t2"]), (ax3, "sigmoid", t["t3"])):
            cs = ax.contourf(X1, X2, S[key], levels=levels, cmap="RdBu_r")
            ax.contour(X1, X2, S[key], levels=[0.5], colors="k", linewidths=1)
            ax.set_title(title)
            ax.set_xlabel(t["x1"])
            ax.set_aspect("equal")
        ax2.set_ylabel(t["x2"])
        fig.colorbar(cs, ax=ax3, label=t["post"], shrink=0.85)
        _draw_samples(ax3, data["samples"], nb, t)
        diff = S["bayes"] - S["sigmoid"]
        im = ax4.imshow(diff, extent=(X1.min(), X1.max(), X2.min(), X2.max()), origin="lower",
                        cmap="coolwarm")
        fig.colorbar(im, ax=ax4, shrink=0.85, format="%.1e")
        ax4.set_title(t["t4"].format(d=nb["two_d"]["max_abs_diff"]))
        ax4.set_xlabel(t["x1"])
    return fig


def _draw_1d(ax, x, curves: dict, t: dict) -> None:
    """Bayes posterior lines and sigmoid dots per prior, the two class densities below."""
    for i, (p, r) in enumerate(curves.items()):
        ax.plot(x, r["bayes"], color=f"C{i}", lw=1.6, label=t["prior"].format(p=float(p)))
        ax.plot(x[::6], r["sigmoid"][::6], "o", color=f"C{i}", ms=3.5, mfc="none")
    d1 = np.exp(-0.5 * (x - 1) ** 2) / np.sqrt(2 * np.pi)
    d2 = np.exp(-0.5 * (x + 1) ** 2) / np.sqrt(2 * np.pi)
    ax.fill_between(x, 0, d1, color="C3", alpha=0.12, lw=0, label=t["dens"])
    ax.fill_between(x, 0, d2, color="C0", alpha=0.12, lw=0)
    ax.set_xlabel(t["x"])
    ax.set_ylabel(t["post"])
    ax.set_title(t["t1"])
    ax.legend(loc="upper left", fontsize=7)


def _draw_samples(ax, samples: dict, nb: dict, t: dict) -> None:
    """Up to 300 samples per class, the fitted and the Bayes boundaries."""
    X, tt = samples["X"], samples["t"]
    for k, c in ((1, "k"), (0, "w")):
        pts = X[tt == k][:300]
        ax.plot(pts[:, 0], pts[:, 1], ".", ms=2, color=c, alpha=0.7)
    xs = np.linspace(-4, 4, 50)
    for (w, b), style_, label in (((nb["fit"]["w"], nb["fit"]["b"]), "--", t["fit"]),
                                  ((nb["two_d"]["w"], nb["two_d"]["b"]), "-", t["bayes"])):
        if abs(w[1]) > 1e-12:
            ax.plot(xs, -(w[0] * xs + b) / w[1], style_, color="k" if style_ == "-" else "C2", lw=1,
                    label=label)
    ax.set_xlim(-4, 4)
    ax.set_ylim(-4, 4)
    ax.legend(loc="lower right", fontsize=6.5)


def run(*, lang: str = "en", priors: tuple = (0.5, 0.8, 0.2), mu1: tuple = (1.0, 1.0),
        mu2: tuple = (-1.0, -0.5), cov: tuple = (1.0, 0.4, 0.4, 0.8), p1: float = 0.6,
        cov2: tuple = (0.5, 0.0, 0.0, 2.0), grid: int = 121, n_samples: int = 2000, seed: int = 0) -> Result:
    """Bayes posterior of two Gaussian classes against sigma(w.x + b), in 1-D and 2-D.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(priors=priors, mu1=mu1, mu2=mu2, cov=cov, p1=p1, cov2=cov2, grid=grid, n_samples=n_samples,
                  seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
