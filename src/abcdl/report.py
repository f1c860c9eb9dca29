"""Figures of a training run: learning curves, confusion matrix, misclassified examples (L35-L37).

``abcdl train`` writes three pictures into its run folder::

    curves.png      loss and accuracy per epoch, training vs validation (L37)
    confusion.png   the 10x10 confusion matrix on the test set, with counts (L35)
    mistakes.png    a grid of misclassified test images: predicted and true labels

Each function returns a ``matplotlib.figure.Figure`` drawn on its own Agg canvas
(no pyplot, no global state, safe in threads and without a display), and
:func:`save_png` writes one atomically: the PNG bytes go to a temporary file in
the target folder, which is then renamed over the final name (``os.replace``).
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ._io import atomic_write

__all__ = ["confusion_matrix", "curves_figure", "confusion_figure", "mistakes_figure", "save_png",
           "render_png"]

_STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
TRAIN_COLOR, VAL_COLOR = "#1f77b4", "#d62728"


def _figure(figsize: tuple[float, float]):
    """A new Figure on an Agg canvas (no pyplot), constrained layout."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style():
    import matplotlib

    return matplotlib.rc_context(_STYLE)


def confusion_matrix(t, y, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of examples of true class i predicted as class j (L35).

    Parameters
    ----------
    t, y : array_like of int, shape (m,)
        True and predicted class indices.
    num_classes : int, optional
        K; default ``max(t.max(), y.max()) + 1``.

    Returns
    -------
    ndarray of int64, shape (K, K)
        Rows are true classes, columns predictions; the diagonal holds the hits,
        so accuracy = trace(C) / sum(C).
    """
    t, y = np.asarray(t).astype(np.int64).ravel(), np.asarray(y).astype(np.int64).ravel()
    if t.shape != y.shape:
        raise ValueError(f"confusion_matrix: {t.size} true labels but {y.size} predictions")
    if t.size and (t.min() < 0 or y.min() < 0):
        raise ValueError("confusion_matrix: class indices must be >= 0")
    k = int(num_classes) if num_classes is not None else int(max(t.max(initial=-1), y.max(initial=-1)) + 1)
    if t.size and max(t.max(), y.max()) >= k:
        raise ValueError(f"confusion_matrix: a class index is >= num_classes={k}")
    C = np.zeros((k, k), dtype=np.int64)
    np.add.at(C, (t, y), 1)                        # C[t_i, y_i] += 1
    return C


def curves_figure(history: Mapping[str, Sequence[float]], title: str | None = None):
    """Loss and accuracy per epoch, training vs validation (two panels).

    Parameters
    ----------
    history : mapping
        ``History.history`` or ``History.to_dict()``: lists under ``"loss"``,
        ``"val_loss"``, ``"accuracy"``, ``"val_accuracy"`` (any may be missing).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with _style():
        fig = _figure((8.0, 3.2))
        ax_loss, ax_acc = fig.subplots(1, 2)
        n = max((len(history.get(k) or []) for k in ("loss", "val_loss", "accuracy", "val_accuracy")),
                default=0)
        for ax, key, label in ((ax_loss, "loss", "loss"), (ax_acc, "accuracy", "accuracy")):
            for prefix, color, name in (("", TRAIN_COLOR, "training"), ("val_", VAL_COLOR, "validation")):
                values = list(history.get(prefix + key) or [])
                if values:
                    epochs = np.arange(1, len(values) + 1)
                    ax.plot(epochs, values, "o-", color=color, ms=3, lw=1.5, label=name)
            ax.set_xlabel("epoch")
            ax.set_title(label)
            if n:
                ax.set_xlim(0.5, n + 0.5)
                ax.xaxis.get_major_locator().set_params(integer=True)
                if ax.get_lines():
                    ax.legend(loc="best", frameon=False)
            else:
                ax.text(0.5, 0.5, "no completed epoch", ha="center", va="center", transform=ax.transAxes)
        if history.get("val_accuracy"):
            best = int(np.argmax(history["val_accuracy"]))
            ax_acc.annotate(f"{history['val_accuracy'][best]:.2%}", (best + 1, history["val_accuracy"][best]),
                            textcoords="offset points", xytext=(0, -14), ha="center", color=VAL_COLOR)
        if title:
            fig.suptitle(title)
    return fig


def confusion_figure(C, class_names: Sequence[str] | None = None, title: str | None = None):
    """The confusion matrix as a grid of counts; the diagonal (hits) in blue, errors in red.

    Parameters
    ----------
    C : array_like of int, shape (K, K)
        From :func:`confusion_matrix`: rows true classes, columns predictions.
    class_names : sequence of str, optional
        Tick labels; default ``0 .. K-1``.
    title : str, optional
        Default: "Confusion matrix (test accuracy xx.xx%)".

    Returns
    -------
    matplotlib.figure.Figure
    """
    C = np.asarray(C, dtype=np.int64)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"confusion_figure: C must be square, got shape {C.shape}")
    k = C.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(s) for s in class_names]
    total = int(C.sum())
    acc = np.trace(C) / total if total else math.nan          # accuracy = trace(C) / sum(C)
    long_names = max((len(s) for s in names), default=1) > 3
    with _style():
        fig = _figure((6.4, 5.6) if long_names else (5.6, 5.0))
        ax = fig.subplots()
        ax.grid(False)
        # colour: the diagonal by its share of the row (blue), off-diagonal errors (red), log-ish scale
        rows = np.maximum(C.sum(axis=1, keepdims=True), 1)
        share = C / rows
        rgba = np.ones((k, k, 4))
        off = ~np.eye(k, dtype=bool)
        err = np.clip(np.sqrt(share * 4), 0, 1)               # small error rates still visible
        rgba[off, 0] = 1.0
        rgba[off, 1] = 1 - 0.75 * err[off]
        rgba[off, 2] = 1 - 0.75 * err[off]
        diag = np.eye(k, dtype=bool)
        rgba[diag, 0] = 1 - 0.7 * share[diag]
        rgba[diag, 1] = 1 - 0.45 * share[diag]
        rgba[diag, 2] = 1.0
        ax.imshow(rgba, interpolation="nearest")
        fontsize = 8 if k <= 10 else 6
        for i in range(k):
            for j in range(k):
                if C[i, j] or i == j:
                    ax.text(j, i, f"{C[i, j]:d}", ha="center", va="center", fontsize=fontsize,
                            color="black", fontweight="bold" if i == j else "normal")
        ax.set_xticks(range(k), names, rotation=45 if long_names else 0,
                      ha="right" if long_names else "center")
        ax.set_yticks(range(k), names)
        ax.set_xlabel("predicted class")
        ax.set_ylabel("true class")
        ax.set_xticks(np.arange(-0.5, k), minor=True)
        ax.set_yticks(np.arange(-0.5, k), minor=True)
        ax.grid(which="minor", color="0.85", lw=0.5)
        ax.tick_params(which="minor", length=0)
        ax.set_title(title or f"Confusion matrix (test accuracy {acc:.2%}, {total:,} images)")
    return fig


def _as_images(X, image_shape: tuple[int, int] | None) -> np.ndarray:
    """(m, H, W) grey images from (m, H*W), (m, H, W) or (m, 1, H, W)."""
    X = np.asarray(X)
    if X.ndim == 4 and X.shape[1] == 1:
        return X[:, 0]
    if X.ndim == 3:
        return X
    if X.ndim == 2:
        if image_shape is None:
            side = math.isqrt(X.shape[1])
            if side * side != X.shape[1]:
                raise ValueError(f"mistakes_figure: rows of {X.shape[1]} features are not square images; "
                                 f"pass image_shape")
            image_shape = (side, side)
        return X.reshape(len(X), *image_shape)
    raise ValueError(f"mistakes_figure: images must be (m, H*W), (m, H, W) or (m, 1, H, W), got {X.shape}")


def mistakes_figure(X, t, y, probs=None, class_names: Sequence[str] | None = None, max_images: int = 36,
                    image_shape: tuple[int, int] | None = None, title: str | None = None):
    """A grid of misclassified examples, each titled "pred (p) / true" (L35).

    Parameters
    ----------
    X : array_like
        The images, (m, H*W), (m, H, W) or (m, 1, H, W), values in [0, 1] (white on black).
    t, y : array_like of int, shape (m,)
        True and predicted classes.
    probs : array_like, shape (m, K), optional
        Softmax probabilities; the predicted class's probability is shown.
    class_names : sequence of str, optional
    max_images : int
        At most this many mistakes are shown: the most confident ones first.
    image_shape : (H, W), optional
        For flattened rows that are not square.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    t, y = np.asarray(t).ravel(), np.asarray(y).ravel()
    wrong = np.flatnonzero(t != y)
    if probs is not None:
        P = np.asarray(probs)
        conf = P[wrong, y[wrong]]
        wrong = wrong[np.argsort(-conf, kind="stable")]      # the most confident mistakes first
    shown = wrong[:max(0, int(max_images))]
    names = (lambda k: str(class_names[k])) if class_names is not None else str
    n = len(shown)
    cols = min(9, n) if n else 4                             # (no mistakes: a 4-column-wide note)
    rows = max(1, math.ceil(n / cols))
    long_names = class_names is not None and max(len(str(s)) for s in class_names) > 3
    cell_in = 1.45 if long_names else 1.0                    # inches per image column
    images = _as_images(np.asarray(X)[shown], image_shape).astype(np.float64) if n else np.zeros((0, 8, 8))
    H, W = images.shape[1:]
    gap = max(1, round(W * 0.18 * cell_in))                   # blank columns between images
    label = round(0.45 * (W + gap))                           # blank rows above each image for its title
    cw, ch = W + gap, H + label
    title_in = 0.4
    width_in = cols * cell_in + 0.2
    axes_w = cols * cell_in                                   # inches; the mosaic fills the axes exactly
    axes_h = axes_w * rows * ch / (cols * cw) if n else 1.0
    height_in = axes_h + title_in + 0.1
    with _style():
        # One axes holding a mosaic of the images (one imshow, fast) rather than n small axes.
        fig = _figure((width_in, height_in))
        fig.set_layout_engine("none")
        ax = fig.add_axes((0.1 / width_in, 0.1 / height_in, axes_w / width_in, axes_h / height_in))
        ax.axis("off")
        if n == 0:
            ax.text(0.5, 0.5, "no misclassified images", ha="center", va="center", transform=ax.transAxes)
        else:
            mosaic = np.full((rows * ch, cols * cw), np.nan)
            for k, img in enumerate(images):
                r, c = divmod(k, cols)
                mosaic[r * ch + label:r * ch + label + H, c * cw + gap // 2:c * cw + gap // 2 + W] = img
            import matplotlib

            cmap = matplotlib.colormaps["gray"].with_extremes(bad="white")
            ax.imshow(mosaic, cmap=cmap, vmin=0, vmax=1, interpolation="nearest", aspect="auto")
            for k, i in enumerate(shown):
                r, c = divmod(k, cols)
                p = f" ({P[i, y[i]]:.2f})" if probs is not None else ""
                ax.text(c * cw + gap // 2 + W / 2 - 0.5, r * ch + label - 1, f"pred {names(int(y[i]))}{p}\n"
                        f"true {names(int(t[i]))}", ha="center", va="bottom", color="#b00000",
                        fontsize=6.5 if long_names else 7.5, linespacing=1.1)
        fig.suptitle(title or f"Misclassified test images: {len(wrong):,} of {len(t):,}"
                     + (f" (the {n} most confident shown)" if n < len(wrong) else ""),
                     y=1 - 0.08 / height_in, va="top")
    return fig


def render_png(fig, dpi: float = 100) -> bytes:
    """The PNG bytes of ``fig``."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "abcdl"})
    return buf.getvalue()


def save_png(fig, path: str | os.PathLike, dpi: float = 100) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (see :func:`abcdl._io.atomic_write`)."""
    return atomic_write(path, render_png(fig, dpi))
