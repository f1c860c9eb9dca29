"""The curse of dimensionality (lecture: 차원의 저주, L2).

Two claims of the slide, both in the n-dimensional unit cube:

1. A grid that keeps neighbouring points a distance d apart needs about
   (1/d)^n points (the slide writes d^n with d as the number of cells per side):
   the data needed grows exponentially with the dimension n.
2. Distances between random points concentrate: for points uniform in [0, 1]^n
   the distance |x - y| has mean ~ sqrt(n/6) and standard deviation ~ sqrt(7/120)
   ~ 0.24 whatever n, so relative to the mean all points become about equally
   far apart (std/mean ~ 0.59/sqrt(n)) and "nearest" loses its meaning.

The experiment tabulates log10 (1/d)^n for several d and n, and draws pairwise
distances of random points for n = 2, 10, 100, 1000, scaled by their mean.

Run::

    abcdl demo curse-of-dimensionality [--dims 2,10,100,1000] [--n-points 500] [--seed 0]
    python -m abcdl.experiments.curse_of_dimensionality
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "curse-of-dimensionality"
SPEC = ("L2",)
DESCRIPTION = "grid sizes (1/d)^n, and pairwise distances concentrating for n = 2, 10, 100, 1000"

_TEXT = {
    "en": {"grid_title": "grid points needed for spacing $d$: $(1/d)^n$", "n": "dimension $n$",
           "log10": "$\\log_{10}$ (number of grid points)", "hist_title":
           "pairwise distances of {m} random points in $[0,1]^n$", "ratio": "distance / mean distance",
           "density": "density", "d": "$d$ = {d:g}", "dim": "$n$ = {n}  (std/mean {r:.3f})"},
    "ko": {"grid_title": "간격 $d$ 를 유지하는 격자의 점 개수 $(1/d)^n$", "n": "차원 $n$",
           "log10": "$\\log_{10}$ (필요한 데이터 개수)", "hist_title":
           "$[0,1]^n$ 의 무작위 점 {m}개 사이의 거리", "ratio": "거리 / 평균 거리",
           "density": "밀도", "d": "$d$ = {d:g}", "dim": "$n$ = {n}  (표준편차/평균 {r:.3f})"},
}


def grid_points_log10(d: float, n: int) -> float:
    """log10 of the number of grid points (1/d)^n with spacing d in the n-dimensional unit cube."""
    return n * math.log10(1.0 / d)                            # log10 (1/d)^n = n log10(1/d)


def pairwise_distances(x: np.ndarray) -> np.ndarray:
    """The m(m-1)/2 distances |x_i - x_j| (i < j) between the rows of ``x`` (m, n).

    Uses |a - b|^2 = |a|^2 + |b|^2 - 2 a.b (one matrix product), clipped at 0
    against round-off.
    """
    sq = np.einsum("ij,ij->i", x, x)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)         # |x_i - x_j|^2
    iu = np.triu_indices(x.shape[0], k=1)
    return np.sqrt(np.maximum(d2[iu], 0.0))


def compute(*, spacings: tuple = (0.5, 0.1, 0.01), grid_dims: tuple = (1, 2, 3, 10, 100),
            dims: tuple = (2, 10, 100, 1000), n_points: int = 500, seed: int = 0) -> dict:
    """The grid table and the pairwise distances of random points: everything the figure shows.

    Parameters
    ----------
    spacings : tuple of float
        Grid spacings d (0 < d < 1).
    grid_dims : tuple of int
        Dimensions n for the grid table.
    dims : tuple of int
        Dimensions n for the distance histograms (the slide: 2, 10, 100, 1000).
    n_points : int
        Random points per dimension; n_points (n_points - 1) / 2 distances each.
    seed : int

    Returns
    -------
    dict
        ``numbers``: ``grid`` (a list of {d, n, log10_points}), ``distances`` ({n: {mean, std,
        std_over_mean, max_minus_min_over_min, min, max, mean_large_n, std_large_n}}, the last
        two being the large-n limits sqrt(n/6) and sqrt(7/120)) and ``n_pairs``;
        ``highlights``; for the figure ``spacings``, ``grid_dims``, ``dims``, ``n_points`` and
        ``dists`` ({n: the distances}).
    """
    check_param(len(spacings) > 0 and all(0 < d < 1 for d in spacings), "spacings",
                f"need values in (0, 1), got {spacings}")
    check_param(len(grid_dims) > 0 and all(int(n) == n and n >= 1 for n in grid_dims), "grid_dims",
                f"need positive integers, got {grid_dims}")
    check_param(len(dims) > 0 and all(int(n) == n and n >= 1 for n in dims), "dims",
                f"need positive integers, got {dims}")
    check_param(n_points >= 3, "n_points", f"must be >= 3, got {n_points}")
    check_seed(seed)
    check_count(n_points, "n_points", 3, 100_000, "memory: n_points x max(dims) numbers are drawn")
    for name, values, top in (("spacings", spacings, 1), ("grid_dims", grid_dims, 1000),
                              ("dims", dims, 10_000)):
        check_param(len(values) <= 20 and max(values) <= top, name,
                    f"at most 20 values of at most {top:,} (memory and run time), got {len(values)} values")
    rng = np.random.default_rng(seed)

    grid = [{"d": float(d), "n": int(n), "log10_points": grid_points_log10(d, int(n))}
            for d in spacings for n in grid_dims]
    stats, dists = {}, {}
    for n in map(int, dims):
        x = rng.random((n_points, n))                         # points uniform in [0, 1]^n
        r = pairwise_distances(x)
        dists[n] = r
        stats[str(n)] = {
            "mean": float(r.mean()), "std": float(r.std()),
            "std_over_mean": float(r.std() / r.mean()),
            "max_minus_min_over_min": float((r.max() - r.min()) / r.min()),
            "min": float(r.min()), "max": float(r.max()),
            "mean_large_n": math.sqrt(n / 6),                 # E|x - y| -> sqrt(n/6)
            "std_large_n": math.sqrt(7 / 120),                # std |x - y| -> sqrt(7/120)
        }
    numbers = {"grid": grid, "distances": stats, "n_pairs": n_points * (n_points - 1) // 2}
    d_mid = sorted(spacings)[len(spacings) // 2]
    highlights = [
        f"grid spacing d = {d_mid:g}: (1/d)^n = " + ", ".join(
            f"1e{grid_points_log10(d_mid, int(n)):.0f} (n={n})" for n in grid_dims),
        *(f"n = {n:>4}: distance mean {s['mean']:.3f} (sqrt(n/6) = {s['mean_large_n']:.3f}), "
          f"std {s['std']:.3f}, std/mean {s['std_over_mean']:.3f}, "
          f"(max-min)/min {s['max_minus_min_over_min']:.3g}"
          for n, s in stats.items()),
    ]
    return {"numbers": numbers, "highlights": highlights, "spacings": spacings, "grid_dims": grid_dims,
            "dims": dims, "n_points": n_points, "dists": dists}


def draw(data: dict, style: FigureStyle) -> Figure:
    """Left: log10 (1/d)^n against n; right: histograms of distance / mean distance for each n."""
    t = style.labels(_TEXT)
    stats = data["numbers"]["distances"]
    with style.context():
        fig = style.figure(figsize=(11, 4.2))
        ax1, ax2 = fig.subplots(1, 2)
        ns = np.array(sorted(set(map(int, data["grid_dims"]))))
        for d in data["spacings"]:
            ax1.plot(ns, [grid_points_log10(d, n) for n in ns], "o-", label=t["d"].format(d=d))
        ax1.set_xlabel(t["n"])
        ax1.set_ylabel(t["log10"])
        ax1.set_title(t["grid_title"])
        ax1.legend()
        bins = np.linspace(0.0, 2.5, 251)
        for i, n in enumerate(map(int, data["dims"])):
            r = data["dists"][n]
            ax2.hist(r / r.mean(), bins=bins, density=True, histtype="stepfilled", alpha=0.35, color=f"C{i}")
            ax2.hist(r / r.mean(), bins=bins, density=True, histtype="step", color=f"C{i}",
                     label=t["dim"].format(n=n, r=stats[str(n)]["std_over_mean"]))
        ax2.set_xlabel(t["ratio"])
        ax2.set_ylabel(t["density"])
        ax2.set_title(t["hist_title"].format(m=data["n_points"]))
        ax2.legend()
    return fig


def run(*, lang: str = "en", spacings: tuple = (0.5, 0.1, 0.01), grid_dims: tuple = (1, 2, 3, 10, 100),
        dims: tuple = (2, 10, 100, 1000), n_points: int = 500, seed: int = 0) -> Result:
    """Grid sizes (1/d)^n and the concentration of pairwise distances in the unit cube.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(spacings=spacings, grid_dims=grid_dims, dims=dims, n_points=n_points, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
