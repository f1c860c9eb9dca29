"""Feature engineering and dimension reduction: PCA of MNIST (lecture: 특성, 차원 축소, PCA, L4).

Two slides:

1. Feature engineering.  Two classes of points in 3-D are hard to separate by
   any single coordinate, but the "most important feature"
   p = sqrt(p1^2 + p2^2 + p3^2) makes them easy (가장 중요 특성).  Here the classes
   are two noisy spherical shells (radii ``r_inner`` and ``r_outer``); the
   experiment reports the best accuracy of a threshold on p and on each of
   p1, p2, p3 alone.
2. PCA (Principal Component Analysis): let the computer remove unneeded
   dimensions.  MNIST's 784 pixels are centred, X_c = X - mean, factorised by
   SVD, X_c = U S V^T, and projected on the first two right-singular vectors,
   Z = X_c V[:, :2] (the principal components; the explained-variance ratio of
   component j is s_j^2 / sum_i s_i^2).  The scatter of Z coloured by digit shows
   classes already grouping in 2-D.

Data: MNIST through ``abcdl.data.load_mnist`` (``ABCDL_DATA``, the user cache, or
a verified download); ``--data digits`` uses scikit-learn's 8x8 digits instead
(no download) and ``--data fashion-mnist`` Fashion-MNIST.

Run::

    abcdl demo pca-mnist [--n-samples 5000] [--data mnist|fashion-mnist|digits] [--seed 0]
    python -m abcdl.experiments.pca_mnist
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "pca-mnist"
SPEC = ("L4",)
DESCRIPTION = "MNIST projected to 2-D by PCA (SVD), and the slide's p = sqrt(p1^2+p2^2+p3^2) feature"

_TEXT = {
    "en": {"pca": "{data}: {n} images projected on 2 principal components",
           "pc1": "PC 1 ({v:.1%} of variance)", "pc2": "PC 2 ({v:.1%} of variance)",
           "shells": "two classes in 3-D", "single": "one coordinate: $p_1$ (accuracy {a:.1%})",
           "p": "the feature $p = \\sqrt{{p_1^2+p_2^2+p_3^2}}$ (accuracy {a:.1%})",
           "class": "class {c}", "count": "count", "threshold": "best threshold",
           "digit": "digit", "label": "class"},
    "ko": {"pca": "{data}: 이미지 {n}개를 주성분 2개로 투영 (PCA)",
           "pc1": "주성분 1 (분산의 {v:.1%})", "pc2": "주성분 2 (분산의 {v:.1%})",
           "shells": "3차원의 두 클래스", "single": "좌표 하나: $p_1$ (정확도 {a:.1%})",
           "p": "가장 중요 특성 $p = \\sqrt{{p_1^2+p_2^2+p_3^2}}$ (정확도 {a:.1%})",
           "class": "클래스 {c}", "count": "개수", "threshold": "최적 경계값",
           "digit": "숫자", "label": "클래스"},
}

_DATASETS = ("mnist", "fashion-mnist", "digits")


def pca_2d(x: np.ndarray, n_components: int = 2):
    """Project the rows of ``x`` on their first principal components via SVD.

    Returns
    -------
    z : (m, n_components) scores  X_c V_k
    components : (n_components, n_features) rows of V^T
    explained_variance_ratio : (min(m, n_features),)  s_j^2 / sum s_i^2 for every component
    """
    xc = x - x.mean(axis=0)                                   # X_c = X - mean
    _, s, vt = np.linalg.svd(xc, full_matrices=False)         # X_c = U S V^T
    vt = vt * np.where(vt[:, [0]] < 0, -1.0, 1.0)             # sign convention: first loading >= 0
    z = xc @ vt[:n_components].T                              # Z = X_c V_k
    ratio = s**2 / np.sum(s**2)                               # explained variance ratio
    return z, vt[:n_components], ratio


def best_threshold_accuracy(feature: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Best accuracy of a rule 1[f > c] or 1[f <= c] over every threshold c; returns (accuracy, c)."""
    order = np.argsort(feature, kind="stable")
    f, y = feature[order], labels[order].astype(bool)
    m = len(f)
    # rule 1[f > c] with c between f[i-1] and f[i]: correct = zeros among the first i + ones after
    zeros_before = np.concatenate([[0], np.cumsum(~y)])
    ones_after = y.sum() - np.concatenate([[0], np.cumsum(y)])
    correct = zeros_before + ones_after
    correct = np.maximum(correct, m - correct)                # or the flipped rule 1[f <= c]
    i = int(np.argmax(correct))
    cut = f[0] - 1.0 if i == 0 else f[-1] + 1.0 if i == m else (f[i - 1] + f[i]) / 2
    return float(correct[i] / m), float(cut)


def shells(n_per_class: int, r_inner: float, r_outer: float, noise: float, rng: np.random.Generator):
    """Two classes of 3-D points: radius ~ N(r_inner, noise^2) (class 0) and N(r_outer, noise^2) (class 1)."""
    d = rng.standard_normal((2 * n_per_class, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)             # uniform directions on the sphere
    t = np.repeat([0, 1], n_per_class)
    r = np.where(t == 0, r_inner, r_outer) + noise * rng.standard_normal(2 * n_per_class)
    return d * r[:, None], t


def _load(data: str, root: str):
    from .. import data as D

    if data == "digits":
        (x, t), _ = D.load_digits(normalize=True, flatten=True, dtype=np.float64)
    else:
        loader = D.load_mnist if data == "mnist" else D.load_fashion_mnist
        (x, t), _ = loader(normalize=True, flatten=True, root=root or None, dtype=np.float64)
    return x, t


def compute(*, n_samples: int = 5000, data: str = "mnist", root: str = "", n_per_class: int = 500,
            r_inner: float = 1.0, r_outer: float = 2.0, shell_noise: float = 0.2, seed: int = 0) -> dict:
    """PCA of MNIST to 2-D, and the slide's radius feature separating two 3-D classes.

    Parameters
    ----------
    n_samples : int
        Training images drawn (without replacement) for the PCA and the scatter.
    data : "mnist" | "fashion-mnist" | "digits"
        Image set; "digits" (scikit-learn's 8x8) needs no download.
    root : str
        Folder holding ``mnist/`` (default: ``ABCDL_DATA``, then the user cache).
    n_per_class, r_inner, r_outer, shell_noise : int, float, float, float
        The two 3-D shells: points per class, radii and radial noise.
    seed : int

    Returns
    -------
    dict
        ``numbers``: ``explained_variance_ratio`` (first 10 components), ``pc2_variance``
        (first two together), ``class_means_2d`` ({digit: [z1, z2]}), ``n_samples``, and
        ``feature`` ({accuracy_p, accuracy_p1, accuracy_p2, accuracy_p3, threshold_p});
        ``highlights``; for the figure the scores ``z`` (m, 2) of the images with their labels
        ``t``, and the 3-D points ``p3d`` with their classes ``y`` and radii ``p``.
    """
    check_param(data in _DATASETS, "data", f"must be one of {', '.join(_DATASETS)}, got {data!r}")
    check_param(n_samples >= 10, "n_samples", f"must be >= 10, got {n_samples}")
    check_param(n_per_class >= 2, "n_per_class", f"must be >= 2, got {n_per_class}")
    check_param(0 < r_inner < r_outer, "r_inner", f"need 0 < r_inner < r_outer, got {r_inner}, {r_outer}")
    check_param(shell_noise >= 0, "shell_noise", f"must be >= 0, got {shell_noise}")
    check_seed(seed)
    check_count(n_samples, "n_samples", 10, 70_000, "MNIST has 70,000 images")
    check_count(n_per_class, "n_per_class", 2, 100_000, "memory")
    check_real(r_outer, "r_outer", 0, 1000, "the shells are drawn on one figure")
    check_real(shell_noise, "shell_noise", 0, 100, "noise that large hides the shells and overflows")
    rng = np.random.default_rng(seed)

    x_all, t_all = _load(data, root)
    idx = rng.choice(len(x_all), size=min(n_samples, len(x_all)), replace=False)
    x, t = x_all[idx], t_all[idx]
    z, _, ratio = pca_2d(x)
    class_means = {int(c): z[t == c].mean(axis=0) for c in np.unique(t)}

    p3d, y = shells(n_per_class, r_inner, r_outer, shell_noise, rng)
    p = np.linalg.norm(p3d, axis=1)                           # p = sqrt(p1^2 + p2^2 + p3^2)
    acc_p, cut_p = best_threshold_accuracy(p, y)
    acc_single = [best_threshold_accuracy(p3d[:, j], y)[0] for j in range(3)]
    numbers = {
        "data": data, "n_samples": len(idx), "n_features": x.shape[1],
        "explained_variance_ratio": ratio[:10],
        "pc2_variance": float(ratio[:2].sum()),
        "class_means_2d": class_means,
        "feature": {"accuracy_p": acc_p, "threshold_p": cut_p, "accuracy_p1": acc_single[0],
                    "accuracy_p2": acc_single[1], "accuracy_p3": acc_single[2]},
    }
    highlights = [
        f"PCA of {len(idx)} {data} images ({x.shape[1]} features): the first two components explain "
        f"{ratio[0]:.1%} + {ratio[1]:.1%} = {ratio[:2].sum():.1%} of the variance",
        f"two 3-D shells (r = {r_inner:g}, {r_outer:g}): threshold on p = |x| gives accuracy {acc_p:.1%}; "
        f"on p1, p2, p3 alone {acc_single[0]:.1%}, {acc_single[1]:.1%}, {acc_single[2]:.1%}",
    ]
    return {"numbers": numbers, "highlights": highlights, "z": z, "t": t, "p3d": p3d, "y": y, "p": p}


def draw(data: dict, style: FigureStyle) -> Figure:
    """Left: the images' PCA scores by class; right: the 3-D shells and histograms of p1 and p."""
    tt = style.labels(_TEXT)
    with style.context():
        fig = style.figure(figsize=(11, 7.5))
        gs = fig.add_gridspec(2, 3, width_ratios=[1.6, 1, 1])
        _draw_pca(fig, fig.add_subplot(gs[:, 0]), data, tt)
        _draw_shells(fig.add_subplot(gs[0, 1:], projection="3d"), data, tt)
        nf = data["numbers"]["feature"]
        for col, (feat, key, acc) in enumerate(((data["p3d"][:, 0], "single", nf["accuracy_p1"]),
                                                (data["p"], "p", nf["accuracy_p"]))):
            axh = fig.add_subplot(gs[1, 1 + col])
            bins = np.linspace(feat.min(), feat.max(), 40)
            for c in (0, 1):
                axh.hist(feat[data["y"] == c], bins=bins, alpha=0.55, color=f"C{c}",
                         label=tt["class"].format(c=c))
            if key == "p":
                axh.axvline(nf["threshold_p"], color="k", ls="--", lw=1, label=tt["threshold"])
            axh.set_ylim(0, 1.3 * axh.get_ylim()[1])                # headroom: the legend hides no bar
            axh.set_title(tt[key].format(a=acc), fontsize=9)
            axh.set_ylabel(tt["count"])
            axh.legend()
    return fig


def _draw_pca(fig, ax, data: dict, tt: dict) -> None:
    """The images' scores on the first two components, one colour a class, the class means labelled."""
    nb = data["numbers"]
    z, t, ratio, name = data["z"], data["t"], nb["explained_variance_ratio"], nb["data"]
    for c in np.unique(t):
        sel = t == c
        ax.scatter(z[sel, 0], z[sel, 1], s=4, color=f"C{int(c) % 10}", linewidths=0, label=str(int(c)))
    _label_means(ax, fig, nb["class_means_2d"])
    ax.legend(title=tt["digit" if name in ("mnist", "digits") else "label"], loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, markerscale=3.5, handletextpad=0.1,
              fontsize=9, title_fontsize=9)                # beside the scatter: hides no point
    ax.set_xlabel(tt["pc1"].format(v=ratio[0]))
    ax.set_ylabel(tt["pc2"].format(v=ratio[1]))
    ax.set_title(tt["pca"].format(data=name.upper() if name == "mnist" else name, n=nb["n_samples"]))


def _draw_shells(ax3d, data: dict, tt: dict) -> None:
    """Up to 200 points of each 3-D class."""
    for c, marker in ((0, "o"), (1, "^")):
        q = data["p3d"][data["y"] == c][:200]
        ax3d.scatter(q[:, 0], q[:, 1], q[:, 2], s=4, marker=marker, color=f"C{c}",
                     label=tt["class"].format(c=c))
    ax3d.set_xlabel("$p_1$")
    ax3d.set_ylabel("$p_2$")
    ax3d.set_zlabel("$p_3$")
    ax3d.set_title(tt["shells"])
    ax3d.legend(loc="upper left")


def run(*, lang: str = "en", n_samples: int = 5000, data: str = "mnist", root: str = "",
        n_per_class: int = 500, r_inner: float = 1.0, r_outer: float = 2.0, shell_noise: float = 0.2,
        seed: int = 0) -> Result:
    """PCA of MNIST to 2-D, and the slide's radius feature separating two 3-D classes.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(n_samples=n_samples, data=data, root=root, n_per_class=n_per_class, r_inner=r_inner,
                  r_outer=r_outer, shell_noise=shell_noise, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)

def _spread_labels(points: np.ndarray, min_sep: float, iters: int = 500) -> np.ndarray:
    """Positions near ``points`` (n, 2) pairwise at least ``min_sep`` apart (same units), for labels.

    Deterministic: pairs closer than ``min_sep`` are pushed apart symmetrically along the
    line joining them (coincident pairs along a fixed direction per pair) until no pair is
    too close or ``iters`` sweeps have run.
    """
    pos = np.array(points, dtype=np.float64)
    n = len(pos)
    for _ in range(iters):
        moved = False
        for i in range(n):
            for j in range(i + 1, n):
                d = pos[j] - pos[i]
                dist = float(np.hypot(*d))
                if dist >= min_sep:
                    continue
                if dist < 1e-9:                                  # coincident: split along a fixed angle
                    ang = 2.0 * np.pi * (i + 0.618 * j)
                    d, dist = np.array([np.cos(ang), np.sin(ang)]), 1.0
                push = 0.5 * (min_sep - dist) * 1.05 * d / dist     # each moves half the shortfall (+5%)
                pos[i] -= push
                pos[j] += push
                moved = True
        if not moved:
            break
    return pos


def _label_means(ax, fig, means: dict) -> None:
    """Mark each class mean with a dot and its label; labels that would collide are spread apart."""
    keys = list(means)
    xy = np.array([means[k] for k in keys], dtype=np.float64)
    ax.scatter(xy[:, 0], xy[:, 1], s=22, c=[f"C{k % 10}" for k in keys], edgecolors="k", linewidths=0.8,
               zorder=4)
    # work in inches so the separation is the same along both axes
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    box = ax.get_position()
    w_in, h_in = fig.get_size_inches() * np.array([box.width, box.height])
    scale = np.array([w_in / (x1 - x0), h_in / (y1 - y0)])
    spread = _spread_labels(xy * scale, min_sep=0.32) / scale        # circles ~0.25 in wide
    for k, (px, py), (lx, ly) in zip(keys, xy, spread, strict=True):
        moved = np.hypot(*((np.array([lx, ly]) - (px, py)) * scale)) > 0.05
        ax.annotate(str(k), (px, py), xytext=(lx, ly), textcoords="data", fontsize=12, ha="center",
                    va="center", color=f"C{k % 10}", zorder=5,
                    bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": f"C{k % 10}", "alpha": 0.9},
                    arrowprops={"arrowstyle": "-", "lw": 1.0, "color": "k", "shrinkA": 0, "shrinkB": 2}
                    if moved else None)                      # moved off its mean: a leader to the dot


if __name__ == "__main__":
    raise SystemExit(main(NAME))
