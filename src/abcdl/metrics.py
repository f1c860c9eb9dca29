"""Accuracy, as :func:`abcdl.train.fit` and :func:`abcdl.train.evaluate` count it (L35)."""

from __future__ import annotations

import numpy as np

from ._types import Array
from .losses import MSELoss, SigmoidBCELoss, SoftmaxCrossEntropyLoss

__all__ = ["accuracy"]


def _n_correct(out: np.ndarray, t: np.ndarray, kind: str, threshold: float = 0.0) -> tuple[int, int]:
    """(number correct, number counted) for one batch; ``kind`` is "categorical" or "binary"."""
    if kind == "categorical" or (kind == "auto" and out.ndim == 2 and out.shape[1] > 1):
        labels = t.argmax(axis=1) if t.ndim == 2 else t          # one-hot rows -> class indices
        return int(np.count_nonzero(out.argmax(axis=1) == labels)), out.shape[0]   # y = argmax_k z_k
    # one logit per output: y = [z > threshold] (sigma(z) > 1/2 <=> z > 0), t in {0, 1}
    hit = (out > threshold) == (t.reshape(out.shape) > 0.5)
    return int(np.count_nonzero(hit)), hit.size


def accuracy(outputs: Array, t, threshold: float = 0.0) -> float:
    """Fraction of correct predictions (L35).

    With (m, K) outputs, K > 1, the prediction is argmax_k and ``t`` holds class
    indices (m,) or one-hot rows (m, K).  With (m,) or (m, 1) outputs (one logit per
    example, binary) the prediction is ``z > threshold`` (0 for logits: sigma(z) > 1/2)
    and ``t`` holds 0/1.
    """
    out, t = np.asarray(outputs), np.asarray(t)
    if out.shape[0] != t.shape[0]:
        raise ValueError(f"accuracy: {out.shape[0]} outputs but {t.shape[0]} targets")
    if out.shape[0] == 0:
        raise ValueError("accuracy: no examples")
    correct, counted = _n_correct(out, t, "auto", threshold)
    return correct / counted


def _metric_kind(metrics, loss_fn) -> str | None:
    """How accuracy is measured for this loss: "categorical", "binary", "auto" or None (off)."""
    if metrics is None:
        return None
    if metrics not in ("auto", "accuracy"):
        raise ValueError(f"metrics must be 'auto', 'accuracy' or None, got {metrics!r}")
    if isinstance(loss_fn, SoftmaxCrossEntropyLoss):
        return "categorical"
    if isinstance(loss_fn, SigmoidBCELoss):
        return "binary"
    if metrics == "auto" and isinstance(loss_fn, MSELoss):
        return None                                   # regression: no accuracy
    return "auto"
