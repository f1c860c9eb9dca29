"""The perceptron learning algorithm step by step, and the max-margin SVM (lecture: 퍼셉트론, L5, L7, L8).

L5: a perceptron h(x) = sign(w . x) with the bias folded in, w = (w0, w1, w2) and
x = (1, x1, x2); its boundary w0 + w1 x1 + w2 x2 = 0 is a line.

L7, the PLA: pick a misclassified point x_k (y_k w . x_k < 0) at random and
update w <- w + y_k x_k, until none is left.  The slide's worked example starts
from w = (-12, 2, 3) with the points (2, 2), y = +1 and (4, 0), y = -1:

    (-12, 2, 3) + (+1)(1, 2, 2) = (-11, 4, 5)
    (-11, 4, 5) + (-1)(1, 4, 0) = (-12, 0, 5)
    (-12, 0, 5) + (+1)(1, 2, 2) = (-11, 2, 7)

This experiment replays it twice: with :func:`abcdl.models.pla_update` one
slide step at a time, and with :class:`abcdl.models.Perceptron` started at
``w_init = (-12, 2, 3)`` on those two points; only one point is misclassified
at each step, so the random pick is forced and the fit is the slide's sequence.

Then the PLA runs from w = 0 on seeded, linearly separable 2-D data (points
uniform in [-1, 1]^2, labelled by a random line, with a gap of half-width
``gap`` around it left empty so the data is separable with margin >= gap), and
the boundary after every update is drawn, fading from the first to the last
(from ``Perceptron.updates_``).

L8: the PLA stops at the first line that separates the training points, which
may pass right by some of them ("학습을 너무 tight하게 할 경우, 시험에서 실패할
수도 있음"); the SVM picks the line with the widest margin (여유).
:class:`abcdl.models.LinearSVM` (hinge loss, subgradient descent; C = 100 gives
the hard margin on this data) is fitted to the same points; the figure shows
both lines, the SVM's margin band and support vectors, and the numbers give both
geometric margins min_i y_i (w . x_i + b)/||w|| and both accuracies on fresh test
points from the same distribution.

Run::

    abcdl demo perceptron [--n-points 20] [--gap 0.1] [--n-test 500] [--seed 0] [--svm-c 100]
    python -m abcdl.experiments.perceptron
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "perceptron"
SPEC = ("L5", "L7", "L8")
DESCRIPTION = "the PLA step by step (the slide's (-12,2,3) example, then 2-D data) beside the max-margin SVM"

#: The slide's worked example: start, then (x, y) of each update in order.
LECTURE_W0 = (-12.0, 2.0, 3.0)
LECTURE_STEPS = (((1.0, 2.0, 2.0), +1), ((1.0, 4.0, 0.0), -1), ((1.0, 2.0, 2.0), +1))

_TEXT = {
    "en": {"title_slide": "the slide's PLA example: $w \\leftarrow w + y_k x_k$",
           "title_pla": "PLA on {m} points: {k} updates",
           "title_svm": "perceptron vs SVM (max margin)",
           "w": "$w$ = ({w})", "pos": "$y = +1$", "neg": "$y = -1$", "x1": "$x_1$", "x2": "$x_2$",
           "picked": "picked point", "first": "update 1", "last": "update {k} (final)",
           "perc": "perceptron: margin {m:.3f}, test acc. {a:.3f}",
           "svm": "SVM: margin {m:.3f}, test acc. {a:.3f}", "band": "SVM margin $w\\cdot x + b = \\pm 1$",
           "sv": "support vectors", "test": "test points"},
    "ko": {"title_slide": "슬라이드의 PLA 예: $w \\leftarrow w + y_k x_k$",
           "title_pla": "데이터 {m}개에 PLA: 업데이트 {k}번",
           "title_svm": "퍼셉트론 vs SVM (여유 최대화)",
           "w": "$w$ = ({w})", "pos": "$y = +1$", "neg": "$y = -1$", "x1": "$x_1$", "x2": "$x_2$",
           "picked": "선택된 점", "first": "업데이트 1", "last": "업데이트 {k} (최종)",
           "perc": "퍼셉트론: 여유 {m:.3f}, 테스트 정확도 {a:.3f}",
           "svm": "SVM: 여유 {m:.3f}, 테스트 정확도 {a:.3f}", "band": "SVM 여유 $w\\cdot x + b = \\pm 1$",
           "sv": "서포트 벡터", "test": "테스트 데이터"},
}


def separable_data(n: int, gap: float, rng: np.random.Generator, line=None):
    """``n`` points uniform in [-1, 1]^2 labelled by a line, none within ``gap`` of it.

    Parameters
    ----------
    n : int
    gap : float
        Half-width of the empty band around the line u . x + c = 0 (||u|| = 1): the
        data is linearly separable with geometric margin >= gap.
    rng : np.random.Generator
    line : (u, c), optional
        The labelling line; drawn at random (direction uniform, c in [-0.3, 0.3]) if None.

    Returns
    -------
    X : ndarray (n, 2), y : ndarray (n,) of -1/+1, line : (u, c)
    """
    if line is None:
        theta = rng.uniform(0, 2 * np.pi)
        line = (np.array([np.cos(theta), np.sin(theta)]), float(rng.uniform(-0.3, 0.3)))
    u, c = line
    chunks, have = [], 0
    while have < n:
        P = rng.uniform(-1.0, 1.0, size=(4 * n + 16, 2))
        P = P[np.abs(P @ u + c) >= gap]                    # keep |u . x + c| >= gap
        chunks.append(P)
        have += len(P)
    X = np.concatenate(chunks)[:n]
    y = np.where(X @ u + c > 0, 1, -1)
    return X, y, line


def replay_lecture_example() -> list[np.ndarray]:
    """The slide's three PLA updates through :func:`~abcdl.models.pla_update`: [w_1, w_2, w_3]."""
    from ..models import pla_update

    w = np.asarray(LECTURE_W0)
    out = []
    for x, y in LECTURE_STEPS:
        w = pla_update(w, x, y)                            # w' = w + y_k x_k
        out.append(w)
    return out


def _line(ax, w, xlim, **kw):
    """Draw w0 + w1 x1 + w2 x2 = 0 across xlim (vertical if w2 = 0)."""
    w0, w1, w2 = (float(v) for v in w)
    if abs(w2) > 1e-12:
        xs = np.array(xlim, dtype=np.float64)
        return ax.plot(xs, -(w0 + w1 * xs) / w2, **kw)    # x2 = -(w0 + w1 x1) / w2
    if abs(w1) > 1e-12:
        return ax.axvline(-w0 / w1, **kw)
    return None


def compute(*, n_points: int = 20, gap: float = 0.1, n_test: int = 500, seed: int = 0,
            max_updates: int = 1000, svm_c: float = 100.0, svm_iter: int = 5000) -> dict:
    """The slide's PLA example, the PLA on seeded separable data, and an SVM's margin beside it.

    Parameters
    ----------
    n_points : int
        Training points (>= 2; both classes are ensured by the generator's line).
    gap : float
        Half-width of the empty band around the labelling line (> 0: separable).
    n_test : int
        Fresh points from the same distribution for the test accuracies (L8).
    seed : int
        Data, and the PLA's random choice of misclassified point.
    max_updates : int
        The PLA's bound on updates.
    svm_c, svm_iter : float, int
        :class:`~abcdl.models.LinearSVM`'s C (100: hard margin here) and subgradient steps.

    Returns
    -------
    dict
        ``numbers``: ``lecture_example`` (the slide's weights via ``pla_update``),
        ``lecture_example_fit`` (the same from ``Perceptron(w_init=(-12, 2, 3)).fit``),
        ``data`` (the training points ``X``, labels ``y``, the labelling line ``true_line``: u . x + c = 0),
        ``pla`` (n_updates, converged, w, weights after each update, picked indices,
        n_misclassified before each update, train/test accuracy, geometric margin),
        ``svm`` (coef, intercept, margin = 1/||w||, geometric margin, n_support, accuracies)
        and ``margin_ratio`` (SVM margin / perceptron margin); ``highlights``; for the figure the
        test points ``X_test``, ``y_test`` and the SVM's ``support_vectors``.
    """
    _check(n_points, gap, n_test, max_updates, svm_c, svm_iter)
    import warnings

    from ..models import LinearSVM, Perceptron
    from ..models.perceptron import ConvergenceWarning
    from ..models.svm import geometric_margin

    lecture = replay_lecture_example()
    slide_X = np.array([s[0][1:] for s in LECTURE_STEPS[:2]])        # (2, 2) and (4, 0)
    slide_y = np.array([s[1] for s in LECTURE_STEPS[:2]])
    check_seed(seed)
    check_count(max_updates, "max_updates", 1, 1_000_000, "run time")
    check_count(svm_iter, "svm_iter", 1, 100_000, "run time: the default 5,000 take under a second")
    check_real(svm_c, "svm_c", 1e-12, 1e12)
    slide_fit = Perceptron(w_init=LECTURE_W0, random_state=seed).fit(slide_X, slide_y)

    rng = np.random.default_rng(seed)
    while True:
        X, y, line = separable_data(n_points, gap, rng)
        if len(np.unique(y)) == 2:                                    # both classes present
            break
    X_test, y_test, _ = separable_data(n_test, gap, rng, line)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", ConvergenceWarning)
        pla = Perceptron(max_updates=max_updates, random_state=rng).fit(X, y)
    svm = LinearSVM(C=svm_c, n_iter=svm_iter).fit(X, y)
    p_margin = geometric_margin(X, y, pla.coef_, pla.intercept_) if np.any(pla.coef_) else float("nan")
    s_margin = geometric_margin(X, y, svm.coef_, svm.intercept_)
    numbers = {
        "lecture_example": {"w_start": list(LECTURE_W0),
                            "steps": [{"x": list(x), "y": y_, "w": w}
                                      for (x, y_), w in zip(LECTURE_STEPS, lecture, strict=True)],
                            "weights": lecture},
        "lecture_example_fit": {"weights": [u.w_after for u in slide_fit.updates_],
                                "picked_x": [u.x for u in slide_fit.updates_],
                                "converged": slide_fit.converged_},
        "data": {"n_points": n_points, "n_test": n_test, "gap": gap, "n_positive": int(np.sum(y == 1)),
                 "true_line": {"u": line[0], "c": line[1]}, "X": X, "y": y},
        "pla": {
            "n_updates": pla.n_iter_, "converged": pla.converged_, "w": pla.w_,
            "weights": [u.w_after for u in pla.updates_],
            "picked": [u.index for u in pla.updates_],
            "n_misclassified": [u.n_misclassified for u in pla.updates_],
            "train_accuracy": pla.score(X, y), "test_accuracy": pla.score(X_test, y_test),
            "geometric_margin": p_margin,
        },
        "svm": {
            "C": svm_c, "coef": svm.coef_, "intercept": svm.intercept_, "margin": svm.margin_,
            "geometric_margin": s_margin, "n_support": int(svm.support_.size),
            "train_accuracy": svm.score(X, y), "test_accuracy": svm.score(X_test, y_test),
        },
        "margin_ratio": s_margin / p_margin if p_margin > 0 else None,
    }
    return {"numbers": numbers, "highlights": _highlights(numbers, slide_fit), "X_test": X_test,
            "y_test": y_test, "support_vectors": svm.support_vectors_}


def _check(n_points, gap, n_test, max_updates, svm_c, svm_iter) -> None:
    """ParamError for the first bad parameter of :func:`compute`."""
    check_param(isinstance(n_points, int) and 2 <= n_points <= 100_000, "n_points",
                f"must be an integer in [2, 100000], got {n_points!r}")
    check_param(isinstance(n_test, int) and 1 <= n_test <= 1_000_000, "n_test",
                f"must be an integer in [1, 1e6], got {n_test!r}")
    check_param(0 < gap < 0.5, "gap", f"must be in (0, 0.5) so the data is separable, got {gap}")
    check_param(isinstance(max_updates, int) and max_updates >= 1, "max_updates",
                f"must be >= 1, got {max_updates}")
    check_param(svm_c > 0, "svm_c", f"must be > 0, got {svm_c}")
    check_param(isinstance(svm_iter, int) and svm_iter >= 1, "svm_iter", f"must be >= 1, got {svm_iter}")


def _highlights(numbers: dict, slide_fit) -> list[str]:
    lecture, pla, svm = numbers["lecture_example"]["weights"], numbers["pla"], numbers["svm"]
    fmt_w = ", ".join
    return [
        "slide: (-12, 2, 3) -> " + " -> ".join("(" + fmt_w(f"{v:g}" for v in w) + ")" for w in lecture)
        + f"  (Perceptron(w_init=(-12, 2, 3)).fit gives the same: "
        f"{[u.w_after.tolist() for u in slide_fit.updates_] == [w.tolist() for w in lecture]})",
        f"PLA on {numbers['data']['n_points']} points: {pla['n_updates']} updates, "
        f"converged {pla['converged']}, "
        f"w = ({fmt_w(f'{v:.3g}' for v in pla['w'])}), geometric margin {pla['geometric_margin']:.4f}, "
        f"test accuracy {pla['test_accuracy']:.3f}",
        f"SVM (C = {svm['C']:g}): margin 1/||w|| = {svm['margin']:.4f} "
        f"(geometric {svm['geometric_margin']:.4f}), "
        f"{svm['n_support']} support vectors, test accuracy {svm['test_accuracy']:.3f}",
    ]


def draw(data: dict, style: FigureStyle) -> Figure:
    """The slide's three updates, the PLA's lines on the data, and the final line beside the SVM's."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    X, y = nb["data"]["X"], nb["data"]["y"]
    with style.context():
        fig = style.figure(figsize=(14, 5.6))
        ax1, ax2, ax3 = fig.subplots(1, 3)
        _draw_slide(ax1, nb["lecture_example"]["weights"], t)
        _draw_pla(ax2, X, y, nb["pla"]["weights"], nb["pla"]["picked"], t)
        _draw_svm(ax3, data, t)
    return fig


def run(*, lang: str = "en", n_points: int = 20, gap: float = 0.1, n_test: int = 500, seed: int = 0,
        max_updates: int = 1000, svm_c: float = 100.0, svm_iter: int = 5000) -> Result:
    """The slide's PLA example, the PLA on seeded separable data, and an SVM's margin beside it.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(n_points=n_points, gap=gap, n_test=n_test, seed=seed, max_updates=max_updates,
                   svm_c=svm_c, svm_iter=svm_iter)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

def _scatter(ax, X, y, t, size=22, alpha=1.0, label=True):
    ax.scatter(*X[y == 1].T, marker="o", s=size, color="C0", alpha=alpha, label=t["pos"] if label else None,
               zorder=3)
    ax.scatter(*X[y == -1].T, marker="x", s=size, color="C3", alpha=alpha, label=t["neg"] if label else None,
               zorder=3)


def _draw_slide(ax, lecture, t) -> None:
    xlim = (-0.5, 6.5)
    pts = np.array([[2.0, 2.0], [4.0, 0.0]])
    _scatter(ax, pts, np.array([1, -1]), t, size=60)
    ws = [np.asarray(LECTURE_W0)] + list(lecture)
    for i, w in enumerate(ws):
        _line(ax, w, xlim, color=f"C{i + 1}" if i else "0.4", lw=1.6, ls="--" if i == 0 else "-",
              label=f"$w_{i}$: " + t["w"].format(w=", ".join(f"{v:g}" for v in w)))
    ax.annotate("(2, 2), $y=+1$", (2, 2), xytext=(-8, 4), textcoords="offset points", ha="right",
                fontsize=8)                                    # left, under w_2: clear of the lines
    ax.annotate("(4, 0), $y=-1$", (4, 0), xytext=(8, -14), textcoords="offset points", fontsize=8)
    ax.set_xlim(*xlim)
    ax.set_ylim(-1.0, 6.0)
    ax.set_xlabel(t["x1"])
    ax.set_ylabel(t["x2"])
    ax.set_title(t["title_slide"])
    ax.legend(loc="upper right", fontsize=7)


def _draw_pla(ax, X, y, weights: list, picked: list, t) -> None:
    """The data, the line after every update (light to dark) and the picked points, numbered."""
    from matplotlib import colormaps

    lim = (-1.05, 1.05)
    _scatter(ax, X, y, t)
    k = len(weights)
    cmap = colormaps["viridis"]
    for i, w in enumerate(weights):
        frac = (i + 1) / k
        label = t["first"] if i == 0 else (t["last"].format(k=k) if i == k - 1 else None)
        _line(ax, w, lim, color=cmap(0.9 * (1 - frac)), alpha=0.25 + 0.75 * frac,
              lw=2.2 if i == k - 1 else 1.0, label=label)
    if k:
        picked = np.array(picked)
        ax.scatter(*X[picked].T, s=110, facecolors="none", edgecolors="k", lw=0.8, label=t["picked"],
                   zorder=4)
        _label_updates(ax, X, picked)
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    ax.set_aspect("equal")
    ax.set_xlabel(t["x1"])
    ax.set_ylabel(t["x2"])
    ax.set_title(t["title_pla"].format(m=len(y), k=k))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=7)  # below: no point hidden


def _label_updates(ax, X, picked, max_updates: int = 30) -> None:
    """One label per picked point listing the updates that picked it ("5,13"), beside its ring.

    Only the first ``max_updates`` updates are numbered; the text is pushed outward (away
    from the panel's centre) so it stays inside the panel and off the ring, and has a
    white outline so lines under it do not hide it.
    """
    from matplotlib import patheffects

    steps: dict[int, list[int]] = {}
    for i, idx in enumerate(picked[:max_updates]):
        steps.setdefault(int(idx), []).append(i + 1)           # update numbers are 1-based
    outline = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    for idx, nums in steps.items():
        x1, x2 = (float(v) for v in X[idx])
        right = x1 < 0.55                                      # near the right edge: write to the left
        ax.annotate(",".join(map(str, nums)), (x1, x2), xytext=(7 if right else -7, 5 if x2 < 0.85 else -7),
                    textcoords="offset points", ha="left" if right else "right",
                    va="bottom" if x2 < 0.85 else "top", fontsize=7, zorder=5, path_effects=outline)


def _draw_svm(ax, data: dict, t) -> None:
    """Test points, the perceptron's and the SVM's lines, the SVM's margin band and support vectors."""
    nb = data["numbers"]
    X, y, X_test, y_test = nb["data"]["X"], nb["data"]["y"], data["X_test"], data["y_test"]
    pla, svm = nb["pla"], nb["svm"]
    lim = (-1.05, 1.05)
    n_show = min(len(y_test), 300)
    _scatter(ax, X_test[:n_show], y_test[:n_show], t, size=6, alpha=0.25, label=False)
    _scatter(ax, X, y, t)
    w_svm = np.concatenate([[svm["intercept"]], svm["coef"]])
    _line(ax, pla["w"], lim, color="C1", lw=2,
          label=t["perc"].format(m=pla["geometric_margin"], a=pla["test_accuracy"]))
    _line(ax, w_svm, lim, color="C2", lw=2,
          label=t["svm"].format(m=svm["geometric_margin"], a=svm["test_accuracy"]))
    for sgn in (-1, 1):
        _line(ax, w_svm - np.array([sgn, 0.0, 0.0]), lim, color="C2", lw=0.8, ls="--",
              label=t["band"] if sgn == 1 else None)                  # w . x + b = +-1
    sv = data["support_vectors"]
    ax.scatter(*sv.T, s=120, facecolors="none", edgecolors="C2", lw=1.2, label=t["sv"], zorder=4)
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    ax.set_aspect("equal")
    ax.set_xlabel(t["x1"])
    ax.set_ylabel(t["x2"])
    ax.set_title(t["title_svm"])
    handles, labels = ax.get_legend_handles_labels()
    order = [0, 1, 5, 2, 3, 4]                      # columns: markers | lines (legend fills column by column)
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper center",
              bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=7)             # below: no point hidden


if __name__ == "__main__":
    raise SystemExit(main(NAME))
