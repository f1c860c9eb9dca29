"""Numerical differentiation: error against the step h (lecture: 수치 미분, 전방/중심/후방 차분, L19).

The slide differentiates f(x) = 4x^3 - 2x^2 - 7x + 1 (f'(x) = 12x^2 - 4x - 7)
with the three differences at h = 1e-4 and states that forward and backward
differences err by O(h), the central difference by O(h^2).  By Taylor's theorem

    forward   (f(x+h) - f(x)) / h      = f' + f''/2 h + f'''/6 h^2
    backward  (f(x) - f(x-h)) / h      = f' - f''/2 h + f'''/6 h^2
    central   (f(x+h) - f(x-h)) / (2h) = f' + f'''/6 h^2          (exact for a cubic: 4 h^2)

This experiment sweeps h over many decades with ``abcdl.numdiff``'s three
differences, fits the slope of log(error) against log(h) where truncation
dominates (slopes ~1, ~2, ~1), and shows on a log-log plot where round-off
(error ~ eps_machine |f| / h) takes over for tiny h.  The slide does not fix the
point x; the default is x = 1.

Run::

    abcdl demo numerical-diff [--x0 1.0] [--h-min 1e-13] [--h-max 0.1] [--fit-range 1e-4,1e-1]
    python -m abcdl.experiments.numerical_diff
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "numerical-diff"
SPEC = ("L19",)
DESCRIPTION = "forward/central/backward difference error vs h on 4x^3-2x^2-7x+1: slopes 1, 2, 1"

_TEXT = {
    "en": {"title": "error of numerical derivatives of $f(x)=4x^3-2x^2-7x+1$ at $x={x0:g}$",
           "h": "step $h$", "err": "$|$numerical $-$ $f'(x)|$", "forward": "forward", "central": "central",
           "backward": "backward", "slope": "slope", "lecture_h": "lecture's $h = 10^{-4}$",
           "roundoff": "round-off $\\sim\\epsilon|f|/h$"},
    "ko": {"title": "$f(x)=4x^3-2x^2-7x+1$ 의 수치 미분 오차 ($x={x0:g}$)",
           "h": "간격 $h$", "err": "$|$수치 미분 $-$ $f'(x)|$", "forward": "전방차분", "central": "중심차분",
           "backward": "후방차분", "slope": "기울기", "lecture_h": "강의의 $h = 10^{-4}$",
           "roundoff": "반올림 오차 $\\sim\\epsilon|f|/h$"},
}

SCHEMES = ("forward", "central", "backward")


def f(x):
    """The slide's cubic f(x) = 4x^3 - 2x^2 - 7x + 1."""
    return 4 * x**3 - 2 * x**2 - 7 * x + 1


def df(x):
    """Its derivative f'(x) = 12x^2 - 4x - 7."""
    return 12 * x**2 - 4 * x - 7


def fitted_slope(h: np.ndarray, err: np.ndarray, lo: float, hi: float) -> float:
    """Least-squares slope of log10(err) against log10(h) over lo <= h <= hi (the order of the error)."""
    sel = (h >= lo) & (h <= hi) & (err > 0)
    if sel.sum() < 2:
        raise ValueError(f"fewer than two usable steps h in [{lo:g}, {hi:g}]")
    slope, _ = np.polyfit(np.log10(h[sel]), np.log10(err[sel]), 1)
    return float(slope)


def compute(*, x0: float = 1.0, h_min: float = 1e-13, h_max: float = 0.1, n_steps: int = 61,
            fit_range: tuple = (1e-4, 1e-1), h_lecture: float = 1e-4) -> dict:
    """Error of the forward, central and backward differences of the slide's cubic against h.

    Parameters
    ----------
    x0 : float
        Point where f'(x0) is approximated.
    h_min, h_max, n_steps : float, float, int
        Steps h, log-spaced from h_min to h_max.
    fit_range : (float, float)
        The h-interval where the slopes are fitted (truncation error dominates there).
    h_lecture : float
        The lecture's step (1e-4); the errors there are reported.

    Returns
    -------
    dict
        ``numbers``: ``slopes`` {scheme: fitted order}, ``errors_at_h_lecture``, ``exact``
        (f'(x0)), ``best_h`` and ``best_error`` per scheme, ``truncation_coefficients``
        (f''/2 for forward/backward, f'''/6 = 4 for central), and the sweep (``h``, ``errors``);
        ``highlights``; for the figure ``fit_range`` and ``roundoff``, eps |f(x0)| / h over ``h``.
    """
    check_param(0 < h_min < h_max, "h_min", f"need 0 < h_min < h_max, got {h_min:g}, {h_max:g}")
    check_param(n_steps >= 5, "n_steps", f"must be >= 5, got {n_steps}")
    check_param(len(fit_range) == 2 and 0 < fit_range[0] < fit_range[1], "fit_range",
                f"must be two steps lo,hi with 0 < lo < hi, got {fit_range}")
    check_param(h_lecture > 0, "h_lecture", f"must be > 0, got {h_lecture}")
    check_real(x0, "x0", -1e6, 1e6, "f(x) = 4x^3 - 2x^2 - 7x + ... must stay far from overflow")
    check_real(h_max, "h_max", 0, 1000, "steps that large overflow f")
    check_real(h_lecture, "h_lecture", 0, 1000, "steps that large overflow f")
    check_count(n_steps, "n_steps", 5, 100_000, "memory")
    from ..numdiff import backward_difference, central_difference, forward_difference

    x0 = float(x0)
    exact = df(x0)                                            # f'(x) = 12x^2 - 4x - 7
    h = np.logspace(np.log10(h_min), np.log10(h_max), n_steps)
    diff = {"forward": forward_difference, "central": central_difference, "backward": backward_difference}
    errors = {s: np.abs(diff[s](f, x0, h) - exact) for s in SCHEMES}    # vectorised over h
    at_lecture = {s: float(abs(diff[s](f, x0, h_lecture) - exact)) for s in SCHEMES}
    try:
        slopes = {s: fitted_slope(h, errors[s], *fit_range) for s in SCHEMES}
    except ValueError as exc:
        check_param(False, "fit_range", str(exc))
    best = {s: int(np.argmin(errors[s])) for s in SCHEMES}
    f2 = 24 * x0 - 4                                          # f''(x) = 24x - 4
    numbers = {
        "x0": x0, "exact": exact, "h_lecture": h_lecture,
        "slopes": slopes,
        "errors_at_h_lecture": at_lecture,
        "truncation_coefficients": {"forward": f2 / 2, "central": 4.0, "backward": f2 / 2},
        "best_h": {s: float(h[best[s]]) for s in SCHEMES},
        "best_error": {s: float(errors[s][best[s]]) for s in SCHEMES},
        "h": h, "errors": errors,
    }
    highlights = [
        f"f'({x0:g}) = {exact:g}; errors at the lecture's h = {h_lecture:g}: "
        + ", ".join(f"{s} {at_lecture[s]:.2e}" for s in SCHEMES),
        f"fitted order over h in [{fit_range[0]:g}, {fit_range[1]:g}]: "
        + ", ".join(f"{s} {slopes[s]:.3f}" for s in SCHEMES) + "  (lecture: O(h), O(h^2), O(h))",
        "smallest error: " + ", ".join(f"{s} {numbers['best_error'][s]:.1e} at h = {numbers['best_h'][s]:.0e}"
                                       for s in SCHEMES),
    ]
    roundoff = np.finfo(np.float64).eps * abs(f(x0)) / h     # round-off error ~ eps |f(x0)| / h
    return {"numbers": numbers, "highlights": highlights, "fit_range": fit_range, "roundoff": roundoff}


def draw(data: dict, style: FigureStyle) -> Figure:
    """The three errors against h on log-log axes, the round-off line and the lecture's h."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    h, errors = nb["h"], nb["errors"]
    with style.context():
        fig = style.figure(figsize=(7.5, 5))
        ax = fig.add_subplot()
        look = {"forward": ("o", "-"), "central": ("s", "-"), "backward": ("^", "--")}
        for i, s in enumerate(SCHEMES):
            ax.loglog(h, np.maximum(errors[s], 1e-18), marker=look[s][0], ls=look[s][1], ms=3, lw=1,
                      color=f"C{i}", mfc="none" if s == "backward" else None,
                      label=f"{t[s]} ({t['slope']} {nb['slopes'][s]:.2f})")
        ax.loglog(h, data["roundoff"], color="gray", ls=":", lw=1, label=t["roundoff"])
        ax.axvline(nb["h_lecture"], color="k", ls="--", lw=1, label=t["lecture_h"])
        ax.axvspan(*data["fit_range"], color="C2", alpha=0.07)
        floor = min(float(min(errors[s][errors[s] > 0].min() for s in SCHEMES)), 1e-12)
        ax.set_ylim(floor / 10, None)
        ax.set_xlabel(t["h"])
        ax.set_ylabel(t["err"])
        ax.set_title(t["title"].format(x0=nb["x0"]))
        ax.legend(loc="upper left")
    return fig


def run(*, lang: str = "en", x0: float = 1.0, h_min: float = 1e-13, h_max: float = 0.1,
        n_steps: int = 61, fit_range: tuple = (1e-4, 1e-1), h_lecture: float = 1e-4) -> Result:
    """Error of the forward, central and backward differences of the slide's cubic against h.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(x0=x0, h_min=h_min, h_max=h_max, n_steps=n_steps, fit_range=fit_range,
                   h_lecture=h_lecture)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
