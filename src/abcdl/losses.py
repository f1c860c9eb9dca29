"""Losses that take logits and fuse the output activation into backward (L13-L15, L35).

``forward(pred, target) -> float`` returns the mean loss and caches what the
gradient needs (softmax(Z) and t, say); ``backward() -> dpred`` returns dJ/dpred
as the slide writes it.  The 1/m of the cost J = (1/m) sum_k L_k lives here, once:
layers' backward passes sum over examples and never divide by m again.

Fused shortcuts (valid only for these output/loss pairs, as in scikit-learn):
- softmax output + categorical cross-entropy:  dZ = (softmax(Z) - T) / m
- sigmoid output + binary cross-entropy:        dz = (sigma(z) - t) / m
- identity output + squared error:              dy = 2 (y - t) / m
The lecture's dz = y - t (L15) is the numerator of the first two.
"""

from __future__ import annotations

import numpy as np

from . import functions as F
from ._types import Array


class _Loss:
    """Shared checks; ``forward`` caches what ``backward`` needs in ``self._cache``."""

    def __init__(self) -> None:
        self._cache: tuple | None = None

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def _cached(self) -> tuple:
        """What the last ``forward`` left for ``backward``."""
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        return self._cache

    def _nonempty(self, pred: np.ndarray) -> None:
        if pred.size == 0:
            raise ValueError(f"{type(self).__name__}: empty batch (predictions of shape {pred.shape})")

    def _targets_like(self, pred: np.ndarray, t) -> np.ndarray:
        """``t`` in ``pred``'s dtype and shape ((m,) targets are accepted for (m, 1) predictions)."""
        t = np.asarray(t, dtype=pred.dtype)
        if t.shape != pred.shape:
            if t.size == pred.size and t.ndim == 1 and pred.ndim == 2 and pred.shape[1] == 1:
                return t.reshape(pred.shape)
            raise ValueError(f"{type(self).__name__}: targets {t.shape} do not match "
                             f"predictions {pred.shape}")
        return t

    @staticmethod
    def _finite(value: float, name: str) -> float:
        if not np.isfinite(value):
            raise FloatingPointError(f"{name}: the loss is {value} (NaN or Inf in the predictions?)")
        return value

    def config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_probability_rows(T: np.ndarray, owner: str, atol: float = 1e-3) -> None:
    """Target rows T must be distributions: finite, T_ki >= 0, sum_i T_ki = 1 (one-hot, or smoothed).

    A negative entry makes -sum T log Y unbounded below (a "loss" of -2.30 once came out).
    """
    if T.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: target rows T must be real numbers, got dtype {T.dtype}")
    if not np.isfinite(T).all():
        raise ValueError(f"{owner}: target rows T hold NaN or infinite values")
    rows = np.flatnonzero((T < 0).any(axis=1))
    if rows.size:
        raise ValueError(f"{owner}: target rows T must be probabilities (T >= 0, each row summing to 1); "
                         f"row {rows[0]} has the entry {T[rows[0]].min():g}")
    sums = T.sum(axis=1, dtype=np.float64)                    # sum_i T_ki
    rows = np.flatnonzero(np.abs(sums - 1) > atol)
    if rows.size:
        raise ValueError(f"{owner}: target rows T must each sum to 1 (one-hot or probabilities); "
                         f"row {rows[0]} sums to {sums[rows[0]]:g}")


def _softmax_and_log(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Y = softmax(Z) and log Y over the last axis, with one exponential of the (m, K) logits.

    log Y = (Z - max) - log sum_i e^{z_i - max} is exact even where Y underflows to 0.
    """
    Zs = Z - Z.max(axis=1, keepdims=True)             # z_k - max_i z_i (the ratio does not change)
    with np.errstate(under="ignore"):
        Y = np.exp(Zs)                                # e^{z_k - max}
    S = Y.sum(axis=1, keepdims=True)                  # sum_i e^{z_i - max}  (>= 1)
    Y /= S                                            # Y = softmax(Z) = e^{z_k} / sum_i e^{z_i}
    Zs -= np.log(S)                                   # log Y = z_k - max - log sum_i e^{z_i - max}
    return Y, Zs


class SoftmaxCrossEntropyLoss(_Loss):
    """Softmax + categorical cross-entropy from logits (L14, L15, L35; sequences L40).

    Formula
    -------
    Y = softmax(Z),  J = -(1/m) sum_k sum_i T_ki log Y_ki     (log Y by log-sum-exp)
    dJ/dZ = (Y - T) / m

    Sequences (L40): logits (m, T, K) with targets (m, T) count every step as one
    more example (m*T rows).  With ``ignore_index``, the positions whose target
    equals it (padding) are left out: m is then the number of positions that
    count, and their rows of dJ/dZ are 0 (PyTorch's ``CrossEntropyLoss(ignore_index=...)``).

    Parameters
    ----------
    ignore_index : int, optional
        A target value to skip (index targets only); default None: every target counts.

    Parameters of forward
    ---------------------
    Z : (m, K) or (m, T, K) logits
    t : (m,) or (m, T) integer class indices, or one-hot / probability rows T of Z's shape
        (T_ki >= 0 and each row summing to 1, to within 1e-3; otherwise ``ValueError``)
    """

    def __init__(self, ignore_index: int | None = None) -> None:
        super().__init__()
        if ignore_index is not None and (isinstance(ignore_index, bool)
                                         or not isinstance(ignore_index, (int, np.integer))):
            raise TypeError(f"SoftmaxCrossEntropyLoss: ignore_index must be an int or None, "
                            f"got {ignore_index!r}")
        self.ignore_index = None if ignore_index is None else int(ignore_index)

    def forward(self, Z: Array, t) -> float:
        Z, t = np.asarray(Z), np.asarray(t)
        shape = Z.shape
        if Z.ndim == 3:                               # a sequence: each of the m*T steps is an example
            if t.shape not in (shape, shape[:2]):
                raise ValueError(f"SoftmaxCrossEntropyLoss: targets {t.shape} do not match logits {shape} "
                                 f"(expected {shape[:2]} class indices)")
            Z, t = Z.reshape(-1, shape[2]), t.reshape(-1, *t.shape[2:])
        if Z.ndim != 2:
            raise ValueError(f"SoftmaxCrossEntropyLoss: logits must have shape (m, K) or (m, T, K), "
                             f"got {shape}")
        self._nonempty(Z)
        if t.ndim == 2 and t.shape != Z.shape:
            raise ValueError(f"SoftmaxCrossEntropyLoss: targets {t.shape} do not match logits {Z.shape}")
        keep = None
        if self.ignore_index is not None and t.shape == (len(Z),):
            keep = t != self.ignore_index             # the positions that count (not padding)
            if not keep.any():
                raise ValueError(f"SoftmaxCrossEntropyLoss: every target equals ignore_index="
                                 f"{self.ignore_index}: nothing to average")
            Z, t = Z[keep], t[keep]
        m, K = Z.shape
        if t.ndim == 2:
            _check_probability_rows(t, "SoftmaxCrossEntropyLoss")
        else:
            t = F._class_indices(t, m, K, "SoftmaxCrossEntropyLoss")
        Y, log_Y = _softmax_and_log(np.asarray(Z, dtype=np.result_type(Z.dtype, np.float32)))
        if t.ndim == 2:
            J = -float(np.sum(t * log_Y)) / m         # J = -(1/m) sum_k sum_i T_ki log Y_ki
        else:
            J = -float(np.mean(log_Y[np.arange(m), t]))   # J = -(1/m) sum_k log Y_k,t_k  (one-hot T)
        self._cache = (Y, t, keep, shape)             # Y = softmax(Z) and t, for backward
        return self._finite(J, "SoftmaxCrossEntropyLoss")

    def backward(self) -> Array:
        """dJ/dZ = (Y - T) / m for the last ``forward`` call (0 at ignored positions), in Z's shape."""
        Y, t, keep, shape = self._cached()
        m, K = Y.shape
        if t.ndim == 2:
            dZ = Y - t                                # dZ = Y - T   (probability rows T)
        else:                                         # T is one-hot: Y - T differs from Y only at
            dZ = Y.copy()                             # each row's target, where T_k,t_k = 1, so
            dZ[np.arange(m), t] -= 1                  # dZ = Y - T without building the (m, K) T
        dZ /= m                                       # dZ = (Y - T) / m
        if keep is not None:                          # ignored positions: no loss, no gradient
            full = np.zeros((len(keep), K), dtype=dZ.dtype)
            full[keep] = dZ
            dZ = full
        return dZ.reshape(shape)

    def config(self) -> dict:
        return {} if self.ignore_index is None else {"ignore_index": self.ignore_index}

    def __repr__(self) -> str:
        extra = "" if self.ignore_index is None else f"ignore_index={self.ignore_index}"
        return f"{type(self).__name__}({extra})"


class SigmoidBCELoss(_Loss):
    """Sigmoid + binary cross-entropy from logits (L12, L14, L15).

    Formula
    -------
    y = sigma(z),  J = -(1/m) sum [t log y + (1 - t) log(1 - y)]
      = (1/m) sum [max(z, 0) - z t + log(1 + e^{-|z|})]       (stable form)
    dJ/dz = (y - t) / m

    The mean is over every element (PyTorch's ``BCEWithLogitsLoss``), so for
    (m,) or (m, 1) logits m is the number of examples.
    """

    def forward(self, z: Array, t) -> float:
        z = np.asarray(z)
        self._nonempty(z)
        t = self._targets_like(z, t)
        J = float(np.sum(F.softplus(z) - z * t)) / z.size     # J = (1/m) sum [softplus(z) - z t]
        self._cache = (F.sigmoid(z), t)                       # y = sigma(z) and t, for backward
        return self._finite(J, "SigmoidBCELoss")

    def backward(self) -> Array:
        """dJ/dz = (y - t) / m for the last ``forward`` call."""
        y, t = self._cached()
        return (y - t) / np.asarray(y.size, dtype=y.dtype)    # dz = (y - t) / m


class MSELoss(_Loss):
    """Mean squared error (L13, L18).

    Formula
    -------
    J = (1/m) sum (y - t)^2      (mean over every element, as PyTorch's ``MSELoss``)
    dJ/dy = 2 (y - t) / m
    """

    def forward(self, y: Array, t) -> float:
        y = np.asarray(y)
        self._nonempty(y)
        t = self._targets_like(y, t)
        d = y - t                                             # y - t
        J = float(np.sum(d * d)) / y.size                     # J = (1/m) sum (y - t)^2
        self._cache = (d,)
        return self._finite(J, "MSELoss")

    def backward(self) -> Array:
        """dJ/dy = 2 (y - t) / m for the last ``forward`` call."""
        (d,) = self._cached()
        return d * np.asarray(2.0 / d.size, dtype=d.dtype)    # dy = 2 (y - t) / m


__all__ = ["SoftmaxCrossEntropyLoss", "SigmoidBCELoss", "MSELoss"]
