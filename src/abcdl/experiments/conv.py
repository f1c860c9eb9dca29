"""What a convolutional network learns: first-layer filters and feature maps (lecture: CNN, 합성곱, L38).

The lecture's references ("Deep Learning from Scratch" ch. 7, Coursera course 4)
build a ConvNet: a convolution slides F small filters W_f over the image,

    Z[f, i, j] = sum_{c, u, v} W[f, c, u, v] X[c, i + u, j + v] + b[f]     (computed with im2col),

then ReLU, 2x2 max pooling and fully connected layers.  Trained on MNIST, the
first layer's 5x5 filters turn from random noise into smooth blob and edge
detectors, and each filter's feature map ReLU(Z[f]) lights up where the digit
has that pattern (a stroke of some orientation, an edge on one side).

The experiment trains :func:`abcdl.models.convnet` (conv 5x5 x F - ReLU -
maxpool 2x2 - affine 100 - ReLU - affine 10, the book's SimpleConvNet) with Adam
on MNIST training images and shows the filters before and after training and
the feature maps of one test digit.  As in the book, the weights start at
N(0, 0.01^2): the filters then grow out of almost nothing, so what is drawn is
what was learned.  (With He initialisation, ``--init he``, the network learns
as well or better, but the filters start large and move only a little, so they
still look like noise.)  The numbers measure it: the neighbour correlation of
the filter weights (about 0 for noise, clearly positive for smooth filters),
the filters' relative change, and the test accuracy.

Run::

    abcdl demo conv [--filters 30] [--epochs 5] [--n-train 5000] [--init 0.01] [--digit-index 0]
    python -m abcdl.experiments.conv
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure
from ._training import check_data, diverged_as_param_error, load_subset

NAME = "conv"
SPEC = ("L38",)
DESCRIPTION = "a ConvNet on MNIST: first-layer 5x5 filters before/after training and one digit's feature maps"

_NAMED_INITS = ("he", "xavier", "he_uniform", "xavier_uniform", "lecun")

_TEXT = {
    "en": {"before": "first-layer filters at initialisation",
           "after": "learned filters (test accuracy {a:.1%})",
           "maps": "feature maps ReLU(conv) of a test digit", "digit": "input: {d}", "pred": "predicted {p}"},
    "ko": {"before": "초기 필터 (1층)", "after": "학습된 필터 (테스트 정확도 {a:.1%})",
           "maps": "테스트 숫자의 특징 맵 ReLU(합성곱)", "digit": "입력: {d}", "pred": "예측 {p}"},
}


def neighbour_correlation(W: np.ndarray) -> float:
    """Mean correlation of horizontally and vertically adjacent weights in each filter (channel 0).

    About 0 for random filters (-1/(n-1) for n i.i.d. weights, a bias of the centring: -0.04 for
    5x5), clearly positive for smooth (blob, edge) filters, -1 for a checkerboard.

    Formula
    -------
    w~ = w - mean(w) per filter f;
    r_f = (mean over horizontal pairs of w~_p w~_q + mean over vertical pairs of w~_p w~_q) / (2 mean(w~^2));
    the result is the mean of r_f over the filters.
    """
    W = np.asarray(W, dtype=np.float64)[:, 0]
    W = W - W.mean(axis=(1, 2), keepdims=True)                          # w~ = w - mean(w)
    var = (W**2).mean(axis=(1, 2))
    h = (W[:, :, :-1] * W[:, :, 1:]).mean(axis=(1, 2))                  # horizontal neighbours
    v = (W[:, :-1, :] * W[:, 1:, :]).mean(axis=(1, 2))                  # vertical neighbours
    return float(np.mean((h + v) / (2 * var)))


def _parse_init(init: str):
    if init in _NAMED_INITS:
        return init
    try:
        std = float(init)
    except ValueError:
        std = -1.0
    check_param(std > 0, "init", f"must be one of {', '.join(_NAMED_INITS)} or a positive std, got {init!r}")
    return std


def _grid(subfig, images: np.ndarray, cols: int, cmap: str, title: str | None = None) -> None:
    n = len(images)
    rows = -(-n // cols)
    axes = np.atleast_1d(subfig.subplots(rows, cols)).reshape(-1)
    for ax, img in zip(axes, images, strict=False):
        ax.imshow(img, cmap=cmap, interpolation="nearest")             # each filter on its own scale
    for ax in axes:
        ax.set_axis_off()
    if title:
        subfig.suptitle(title, fontsize=10)


def compute(*, filters: int = 30, kernel_size: int = 5, hidden: int = 100, init: str = "0.01",
            epochs: int = 5, lr: float = 0.001, batch_size: int = 100, n_train: int = 5000,
            n_test: int = 2000, digit_index: int = 0, data: str = "mnist", root: str = "",
            seed: int = 0) -> dict:
    """Train the SimpleConvNet; its first-layer filters before and after, and one digit's feature maps.

    Parameters
    ----------
    filters, kernel_size, hidden : int
        F filters of kernel_size x kernel_size in the convolution, and the hidden affine width.
    init : str
        Weight initialisation of every layer: a standard deviation ("0.01", the book's) or one of
        "he", "xavier", "he_uniform", "xavier_uniform", "lecun".
    epochs, lr, batch_size
        Adam training.
    n_train, n_test : int
        Training images and test images (accuracy and the digit shown).
    digit_index : int
        Which test image's feature maps to draw.
    data : "mnist" | "fashion-mnist" | "digits"
        ("digits" are 8x8: use ``--kernel-size 3``.)
    root : str
        Folder holding ``mnist/`` (default: ``ABCDL_DATA``, then the user cache).
    seed : int

    Returns
    -------
    dict
        ``numbers``: ``test_accuracy_before`` and ``test_accuracy`` (after training),
        ``train_accuracy``, ``filter_shape`` ([F, C, kh, kw]), ``neighbour_correlation_before`` /
        ``_after``, ``filter_relative_change`` (||W - W0|| / ||W0||), ``feature_map_shape``
        ([F, OH, OW]), ``digit_label``, ``digit_prediction`` and ``active_fraction`` (share of
        positive feature-map values); ``highlights``; for the figure the filters ``W0`` (at
        initialisation) and ``W`` (learned), the test ``digit`` (C, H, W) and its feature ``maps``.
    """
    init_value = _check(filters, kernel_size, hidden, init, epochs, lr, batch_size, n_train, n_test,
                        digit_index, data)
    from ..losses import SoftmaxCrossEntropyLoss
    from ..models import convnet
    from ..optim import Adam
    from ..train import evaluate, fit, predict

    check_seed(seed)
    rng = np.random.default_rng(seed)
    ds = load_subset(data, root, n_train, n_test, rng, flatten=False)
    check_param(digit_index < len(ds.x_test), "digit_index", f"must be < {len(ds.x_test)} (test images)")
    try:
        model = convnet(ds.image_shape, 10, filters=filters, kernel_size=kernel_size, hidden=hidden,
                        init=init_value, rng=rng)
    except ValueError as exc:                                  # e.g. a kernel too large for 8x8 digits
        check_param(False, "kernel_size", str(exc))
    conv = model[0]
    W0 = conv.W.data.copy()
    loss_fn = SoftmaxCrossEntropyLoss()
    test = (ds.x_test, ds.t_test)
    acc_before = evaluate(model, loss_fn, test)[1]
    with diverged_as_param_error(lr):
        fit(model, loss_fn, Adam(model.parameters(), lr=lr), (ds.x_train, ds.t_train), epochs=epochs,
            batch_size=batch_size, verbose=0, rng=rng)
    _, acc = evaluate(model, loss_fn, test)
    _, train_acc = evaluate(model, loss_fn, (ds.x_train, ds.t_train))
    W = conv.W.data.copy()

    x = ds.x_test[digit_index:digit_index + 1]
    model.eval()
    maps = np.maximum(conv.forward(x), 0)[0]                   # A = ReLU(Z), Z = conv(x): (F, OH, OW)
    numbers = {
        "data": data, "n_train": len(ds.x_train), "n_test": len(ds.x_test), "epochs": epochs,
        "test_accuracy_before": acc_before, "test_accuracy": acc, "train_accuracy": train_acc,
        "filter_shape": list(W.shape),
        "neighbour_correlation_before": neighbour_correlation(W0),
        "neighbour_correlation_after": neighbour_correlation(W),
        "filter_relative_change": float(np.linalg.norm(W - W0) / np.linalg.norm(W0)),   # ||W - W0|| / ||W0||
        "feature_map_shape": list(maps.shape),
        "digit_label": int(ds.t_test[digit_index]),
        "digit_prediction": int(predict(model, x).argmax(axis=1)[0]),
        "active_fraction": float(np.mean(maps > 0)),
    }
    highlights = _highlights(numbers, init, filters, kernel_size, hidden, lr, digit_index)
    return {"numbers": numbers, "highlights": highlights, "W0": W0, "W": W, "digit": x[0], "maps": maps}


def _check(filters, kernel_size, hidden, init, epochs, lr, batch_size, n_train, n_test, digit_index,
           data) -> str | float:
    """ParamError for the first bad parameter of :func:`compute`; returns ``init`` as a name or a std."""
    check_data(data)
    check_param(filters >= 1, "filters", f"must be >= 1, got {filters}")
    check_param(kernel_size >= 1, "kernel_size", f"must be >= 1, got {kernel_size}")
    check_param(hidden >= 1, "hidden", f"must be >= 1, got {hidden}")
    init_value = _parse_init(init)
    check_param(epochs >= 0, "epochs", f"must be >= 0, got {epochs}")
    check_param(lr > 0, "lr", f"must be > 0, got {lr}")
    check_param(batch_size >= 1, "batch_size", f"must be >= 1, got {batch_size}")
    check_param(n_train >= 1, "n_train", f"must be >= 1, got {n_train}")
    check_param(n_test >= 1, "n_test", f"must be >= 1, got {n_test}")
    check_param(0 <= digit_index < n_test, "digit_index", f"must be in [0, n_test), got {digit_index}")
    check_count(filters, "filters", 1, 1000, "memory")
    check_count(kernel_size, "kernel_size", 1, 28, "the images are at most 28x28")
    check_count(hidden, "hidden", 1, 10_000, "memory")
    check_count(epochs + 1, "epochs + 1", 1, 101, "run time: epochs at most 100")
    check_count(batch_size, "batch_size", 1, 100_000, "memory")
    check_real(lr, "lr", 1e-12, 10, "larger steps only diverge")
    return init_value


def _highlights(nb: dict, init: str, filters: int, kernel_size: int, hidden: int, lr: float,
                digit_index: int) -> list[str]:
    f, oh, ow = nb["feature_map_shape"]
    return [
        f"convnet: conv {filters}x{kernel_size}x{kernel_size} - ReLU - pool - {hidden} - 10, init {init}, "
        f"Adam lr {lr:g}, {nb['epochs']} epochs on {nb['n_train']} {nb['data']} images",
        f"test accuracy {nb['test_accuracy_before']:.3f} before -> {nb['test_accuracy']:.3f} after training "
        f"(train {nb['train_accuracy']:.3f})",
        f"filter neighbour correlation {nb['neighbour_correlation_before']:.3f} (random) -> "
        f"{nb['neighbour_correlation_after']:.3f} (learned); filters changed by "
        f"{nb['filter_relative_change']:.2f}x their initial norm",
        f"test digit #{digit_index}: label {nb['digit_label']}, predicted {nb['digit_prediction']}; "
        f"{f} feature maps of {oh}x{ow}, "
        f"{nb['active_fraction']:.0%} of their values > 0",
    ]


def draw(data: dict, style: FigureStyle) -> Figure:
    """Top: the filters at initialisation and learned; bottom: the test digit and its feature maps."""
    t = style.labels(_TEXT)
    nb, W0, W = data["numbers"], data["W0"], data["W"]
    filters = len(W)
    cols = min(10, filters)
    with style.context():
        rows = -(-filters // cols)
        h_top, h_bottom = 0.62 * rows + 0.5, 1.0 * rows + 0.6    # filters 0.6 in wide, maps 1 in wide
        fig = style.figure(figsize=(12, h_top + h_bottom))
        top, bottom = fig.subfigures(2, 1, height_ratios=[h_top, h_bottom])
        left, right = top.subfigures(1, 2)
        _grid(left, W0[:, 0], cols, "gray", t["before"])
        _grid(right, W[:, 0], cols, "gray", t["after"].format(a=nb["test_accuracy"]))
        digit, fmaps = bottom.subfigures(1, 2, width_ratios=[1, 5])
        ax = digit.subplots()
        ax.imshow(data["digit"][0], cmap="gray_r", interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(t["digit"].format(d=nb["digit_label"]), fontsize=9)
        ax.text(0.5, -0.08, t["pred"].format(p=nb["digit_prediction"]), transform=ax.transAxes, ha="center",
                va="top", fontsize=9)
        _grid(fmaps, data["maps"], cols, "viridis", t["maps"])
    return fig


def run(*, lang: str = "en", filters: int = 30, kernel_size: int = 5, hidden: int = 100, init: str = "0.01",
        epochs: int = 5, lr: float = 0.001, batch_size: int = 100, n_train: int = 5000, n_test: int = 2000,
        digit_index: int = 0, data: str = "mnist", root: str = "", seed: int = 0) -> Result:
    """Train the SimpleConvNet; draw its first-layer filters before and after, and one digit's feature maps.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    out = compute(filters=filters, kernel_size=kernel_size, hidden=hidden, init=init, epochs=epochs, lr=lr,
                  batch_size=batch_size, n_train=n_train, n_test=n_test, digit_index=digit_index, data=data,
                  root=root, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, out["numbers"], draw(out, style), params=params,
                  highlights=out["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
