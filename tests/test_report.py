"""abcdl.report: confusion matrix counts, the three run figures, atomic PNG writes."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image
from sklearn.metrics import confusion_matrix as sk_confusion_matrix

from abcdl import report


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(io.BytesIO(data)) as im:
        im.verify()
    with Image.open(io.BytesIO(data)) as im:
        return im.size


@pytest.fixture
def labels(rng):
    t = rng.integers(0, 10, 500)
    y = np.where(rng.random(500) < 0.8, t, rng.integers(0, 10, 500))
    return t, y


def test_report_confusion_matrix_matches_sklearn(labels):
    t, y = labels
    C = report.confusion_matrix(t, y, 10)
    assert C.dtype == np.int64 and C.shape == (10, 10)
    np.testing.assert_array_equal(C, sk_confusion_matrix(t, y, labels=range(10)))
    assert np.trace(C) == np.count_nonzero(t == y) and C.sum() == 500


def test_report_confusion_matrix_small_example():
    C = report.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(C, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])   # rows true, columns predicted


@pytest.mark.parametrize("t, y, k, word", [
    ([0, 1], [0], None, "2 true labels but 1"),
    ([0, 3], [0, 1], 3, "num_classes=3"),
    ([-1, 0], [0, 0], 2, ">= 0"),
])
def test_report_confusion_matrix_errors(t, y, k, word):
    with pytest.raises(ValueError, match=word):
        report.confusion_matrix(t, y, k)


def test_report_curves_figure_plots_train_and_validation():
    hist = {"loss": [1.0, 0.5, 0.3], "val_loss": [0.9, 0.6, 0.5], "accuracy": [0.6, 0.8, 0.9],
            "val_accuracy": [0.7, 0.82, 0.85], "lr": [1e-3, 5e-4, 1e-4]}
    fig = report.curves_figure(hist, title="run")
    assert isinstance(fig, Figure)
    ax_loss, ax_acc = fig.axes
    assert [line.get_label() for line in ax_loss.get_lines()] == ["training", "validation"]
    np.testing.assert_array_equal(ax_acc.get_lines()[1].get_ydata(), hist["val_accuracy"])
    np.testing.assert_array_equal(ax_acc.get_lines()[1].get_xdata(), [1, 2, 3])     # epochs count from 1
    assert "85.00%" in [t.get_text() for t in ax_acc.texts]                          # best validation
    w, h = _png_size(report.render_png(fig))
    assert w == 800 and h == 320


def test_report_curves_figure_without_epochs_or_validation():
    fig = report.curves_figure({})
    assert all("no completed epoch" in [t.get_text() for t in ax.texts] for ax in fig.axes)
    _png_size(report.render_png(fig))
    fig = report.curves_figure({"loss": [0.5, 0.4]})
    assert len(fig.axes[0].get_lines()) == 1 and len(fig.axes[1].get_lines()) == 0


def test_report_confusion_figure_shows_every_count(labels):
    t, y = labels
    C = report.confusion_matrix(t, y, 10)
    fig = report.confusion_figure(C)
    (ax,) = fig.axes
    texts = {(round(tx.get_position()[1]), round(tx.get_position()[0])): tx.get_text() for tx in ax.texts}
    for i in range(10):
        for j in range(10):
            if C[i, j] or i == j:
                assert texts[(i, j)] == str(C[i, j])
    assert f"{np.trace(C) / 500:.2%}" in ax.get_title()
    _png_size(report.render_png(fig))
    names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
             "Ankle boot"]
    fig = report.confusion_figure(C, names)
    assert [tick.get_text() for tick in fig.axes[0].get_yticklabels()] == names
    with pytest.raises(ValueError, match="square"):
        report.confusion_figure(np.zeros((2, 3)))


@pytest.mark.parametrize("shape", [(784,), (28, 28), (1, 28, 28)])
def test_report_mistakes_figure_most_confident_first(rng, shape):
    m = 60
    X = rng.random((m, *shape))
    t = rng.integers(0, 10, m)
    y = t.copy()
    wrong = np.arange(0, m, 3)                                  # 20 mistakes
    y[wrong] = (t[wrong] + 1) % 10
    P = np.full((m, 10), 0.01)
    P[np.arange(m), y] = np.linspace(0.3, 0.9, m)
    fig = report.mistakes_figure(X, t, y, P, max_images=12)
    (ax,) = fig.axes
    titles = [tx.get_text() for tx in ax.texts]
    assert len(titles) == 12
    order = wrong[np.argsort(-P[wrong, y[wrong]])][:12]          # most confident mistakes first
    assert titles == [f"pred {y[i]} ({P[i, y[i]]:.2f})\ntrue {t[i]}" for i in order]
    assert "20 of 60" in fig._suptitle.get_text()
    (img,) = ax.get_images()
    mosaic = np.ma.filled(img.get_array().astype(float), np.nan)     # blank cells are NaN (white)
    assert np.isnan(mosaic).any()
    assert np.nansum(mosaic) == pytest.approx(X[order].sum())         # exactly the 12 images shown
    _png_size(report.render_png(fig))


def test_report_mistakes_figure_none_and_bad_shapes():
    fig = report.mistakes_figure(np.zeros((3, 64)), [1, 2, 3], [1, 2, 3])
    assert "no misclassified images" in [t.get_text() for t in fig.axes[0].texts]
    _png_size(report.render_png(fig))
    with pytest.raises(ValueError, match="not square"):
        report.mistakes_figure(np.zeros((2, 10)), [0, 1], [1, 0])
    fig = report.mistakes_figure(np.zeros((2, 10)), [0, 1], [1, 0], image_shape=(2, 5))
    assert len(fig.axes[0].texts) == 2


def test_report_save_png_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "fig.png"
    report.save_png(report.curves_figure({"loss": [1.0]}), path)
    first = path.read_bytes()
    _png_size(first)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()       # not the temp file's 0600

    class Broken:
        def savefig(self, *args, **kwargs):
            raise RuntimeError("renderer failed")

    with pytest.raises(RuntimeError):
        report.save_png(Broken(), path)
    assert path.read_bytes() == first and os.listdir(tmp_path) == ["fig.png"]

    def fail_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "replace", fail_replace)
    with pytest.raises(OSError, match="disk full"):
        report.save_png(report.curves_figure({"loss": [2.0, 1.0]}), path)
    monkeypatch.undo()
    assert path.read_bytes() == first and os.listdir(tmp_path) == ["fig.png"]   # no temp file left


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
