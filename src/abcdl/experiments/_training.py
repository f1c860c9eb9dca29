"""What the training experiments share: image subsets, a curve's first crossing, weight names.

Used by ``exploding-gradients`` (L29), ``regularization`` (L31-L33),
``batch-norm`` (L34), ``hyperparameter-search`` (L37) and ``conv`` (L38).  The
data come from :mod:`abcdl.data`: MNIST or Fashion-MNIST (``ABCDL_DATA``, the
user cache, or a verified download) or scikit-learn's 8x8 digits (no download),
always as a random subset drawn with the experiment's own generator.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from ._base import ParamError, check_count, check_param

__all__ = ["DATASETS", "Subset", "check_data", "load_subset", "first_reach", "weight_names", "curve_recorder",
           "diverged_as_param_error"]

DATASETS = ("mnist", "fashion-mnist", "digits")


@dataclass
class Subset:
    """Random training and test examples of one image set.

    Attributes
    ----------
    x_train, t_train, x_test, t_test : ndarray
        Images (float32 in [0, 1]; (m, H*W) rows or (m, 1, H, W) images) and int64 labels.
    image_shape : (C, H, W)
        (1, 28, 28) for MNIST, (1, 8, 8) for the digits.
    data : str
        Which set ("mnist", "fashion-mnist" or "digits").
    """

    x_train: np.ndarray
    t_train: np.ndarray
    x_test: np.ndarray
    t_test: np.ndarray
    image_shape: tuple[int, int, int]
    data: str

    @property
    def n_features(self) -> int:
        """Pixels per image, C*H*W (784 for MNIST, 64 for the digits)."""
        c, h, w = self.image_shape
        return c * h * w


def check_data(data: str) -> None:
    """ParamError unless ``data`` names one of :data:`DATASETS`."""
    check_param(data in DATASETS, "data", f"must be one of {', '.join(DATASETS)}, got {data!r}")


def load_subset(data: str, root: str, n_train: int, n_test: int, rng: np.random.Generator,
                flatten: bool = True) -> Subset:
    """``n_train`` training and ``n_test`` test examples drawn without replacement.

    Parameters
    ----------
    data : "mnist" | "fashion-mnist" | "digits"
    root : str
        Folder holding ``mnist/`` (empty: ``ABCDL_DATA``, then the user cache); unused for digits.
    n_train, n_test : int
        Sizes of the subsets; capped at what the set holds (the digits: 1,437 and 360).
        ``n_test = 0`` gives an empty test part.
    rng : np.random.Generator
        Draws the subsets (the experiment's seed makes them repeatable).
    flatten : bool
        True: rows of C*H*W pixels; False: (m, C, H, W) images.
    """
    from .. import data as D

    check_data(data)
    check_param(n_train >= 1, "n_train", f"must be >= 1, got {n_train}")
    check_param(n_test >= 0, "n_test", f"must be >= 0, got {n_test}")
    check_count(n_train, "n_train", 1, 60_000, "MNIST has 60,000 training images")
    check_count(n_test + 1, "n_test + 1", 1, 10_001, "MNIST has 10,000 test images")
    if data == "digits":
        (x, t), (xs, ts) = D.load_digits(normalize=True, flatten=False, dtype=np.float32)
    else:
        loader = D.load_mnist if data == "mnist" else D.load_fashion_mnist
        (x, t), (xs, ts) = loader(normalize=True, flatten=False, root=root or None, dtype=np.float32)
    i = rng.choice(len(x), size=min(n_train, len(x)), replace=False)
    j = rng.choice(len(xs), size=min(n_test, len(xs)), replace=False)
    shape = tuple(int(s) for s in x.shape[1:])
    x, xs = x[i], xs[j]
    if flatten:
        x, xs = x.reshape(len(x), -1), xs.reshape(len(xs), -1)
    return Subset(x, t[i], xs, ts[j], shape, data)


@contextlib.contextmanager
def diverged_as_param_error(lr: float, name: str = "lr"):
    """``with diverged_as_param_error(lr):`` a loss that became NaN/Inf -> ParamError naming ``name``.

    The experiments' convention: a learning run that blows up is a bad parameter, not a crash.
    """
    try:
        yield
    except FloatingPointError as exc:               # abcdl.train.TrainingDiverged or a loss's own check
        raise ParamError(f"{name}: training diverged with {name} = {lr:g} (the loss became NaN or Inf); "
                         f"try a smaller {name}") from exc


def first_reach(steps, values, target: float) -> int | None:
    """The first ``steps[k]`` with ``values[k] >= target``, or None if the curve never gets there."""
    values = np.asarray(values, dtype=np.float64)
    hit = np.flatnonzero(values >= target)
    return int(np.asarray(steps)[hit[0]]) if hit.size else None


def weight_names(model) -> list[tuple[str, object]]:
    """``[(name, Parameter)]`` of the model's weights ``W`` (not biases), in layer order."""
    return [(name, p) for name, p in model.named_parameters() if name.rsplit(".", 1)[-1] == "W"]


def curve_recorder(data: dict, loss_fn, every: int = 1, per: str = "epoch"):
    """A :class:`abcdl.callbacks.Callback` recording loss and accuracy on ``data`` during ``fit``.

    Parameters
    ----------
    data : {name: (X, t)}
        Sets to evaluate (in eval mode, data loss J0 only: no penalty, no dropout).
    loss_fn : a loss of :mod:`abcdl.losses`
    every : int
        Evaluate every ``every`` epochs (``per="epoch"``) or mini-batch steps (``per="step"``).
    per : "epoch" | "step"

    The returned callback's ``curves`` is ``{"x": [...], "seconds": [...], name: {"loss": [...],
    "accuracy": [...]}}``, where x counts completed epochs (or steps) and seconds is the wall-clock
    training time so far, the evaluations excluded; ``record(x)`` evaluates once by hand (e.g. at
    x = 0 before training; set ``callback.model`` first).
    """
    import time

    from ..callbacks import Callback
    from ..train import evaluate

    class _Curves(Callback):
        def __init__(self) -> None:
            self.curves: dict = {"x": [], "seconds": [],
                                 **{name: {"loss": [], "accuracy": []} for name in data}}
            self._steps = 0
            self._train_s = 0.0
            self._t = None

        def on_train_begin(self, logs: dict | None = None) -> None:
            self._t = time.perf_counter()

        def record(self, x: int) -> None:
            if self._t is not None:                     # training time since the last evaluation
                self._train_s += time.perf_counter() - self._t
            self.curves["x"].append(int(x))
            self.curves["seconds"].append(self._train_s)
            for name, (X, t) in data.items():
                loss, acc = evaluate(self.model, loss_fn, (X, t))
                self.curves[name]["loss"].append(loss)
                self.curves[name]["accuracy"].append(acc)
            if self._t is not None:
                self._t = time.perf_counter()

        def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
            self._steps += 1
            if per == "step" and self._steps % every == 0:
                self.record(self._steps)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if per == "epoch" and (epoch + 1) % every == 0:
                self.record(epoch + 1)

    if per not in ("epoch", "step"):
        raise ValueError(f"per must be 'epoch' or 'step', got {per!r}")
    return _Curves()
