"""Losses that take logits and fuse the output activation into backward (L13-L15, L35).

``forward(pred, target) -> float`` returns the mean loss; ``backward() -> dpred``
returns dJ/dpred.  The 1/m of the cost J = (1/m) sum_k L_k lives here, once:
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
    """Shared checks; subclasses fill ``self._grad`` in forward."""

    def __init__(self) -> None:
        self._grad = None

    def __call__(self, pred, target) -> float:
        return self.forward(pred, target)

    def backward(self) -> Array:
        """dJ/dpred for the last ``forward`` call (the 1/m is included)."""
        if self._grad is None:
            raise RuntimeError(f"{type(self).__name__}: backward called before forward")
        return self._grad

    def _nonempty(self, pred: np.ndarray) -> None:
        if pred.size == 0:
            raise ValueError(f"{type(self).__name__}: empty batch (predictions of shape {pred.shape})")

    @staticmethod
    def _finite(value: float, name: str) -> float:
        if not np.isfinite(value):
            raise FloatingPointError(f"{name}: the loss is {value} (NaN or Inf in the predictions?)")
        return value

    def config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropyLoss(_Loss):
    """Softmax + categorical cross-entropy from logits (L14, L35).

    Formula
    -------
    Y = softmax(Z),  J = -(1/m) sum_k sum_i T_ki log Y_ki     (log Y by log-sum-exp)
    dJ/dZ = (Y - T) / m

    Parameters of forward
    ---------------------
    Z : (m, K) logits
    t : (m,) integer class indices, or (m, K) one-hot / probability rows
    """

    def forward(self, Z: Array, t) -> float:
        Z = np.asarray(Z)
        if Z.ndim != 2:
            raise ValueError(f"SoftmaxCrossEntropyLoss: logits must have shape (m, K), got {Z.shape}")
        self._nonempty(Z)
        t = np.asarray(t)
        m, k = Z.shape
        if t.ndim == 2:
            if t.shape != Z.shape:
                raise ValueError(f"SoftmaxCrossEntropyLoss: targets {t.shape} do not match logits {Z.shape}")
        else:
            idx = F._class_indices(t, m, k, "SoftmaxCrossEntropyLoss")
        # log-sum-exp with c = max_k z_k:  log y_k = (z_k - c) - log sum_i e^(z_i - c)
        S = Z - Z.max(axis=1, keepdims=True)          # z - c  (softmax does not change)
        if t.ndim == 2:
            S_t = np.einsum("ij,ij->i", t, S)         # sum_k t_k (z_k - c)
            t_sum = t.sum(axis=1)
        else:
            rows = np.arange(m)
            S_t = S[rows, idx]                        # z_t - c for the true class t
        with np.errstate(under="ignore"):
            Y = np.exp(S, out=S)                      # e^(z_k - c)
        sums = Y.sum(axis=1)                          # sum_i e^(z_i - c)
        # J = -(1/m) sum T log Y = (1/m) sum [ (sum_k t_k) log sum_i e^(z_i - c) - sum_k t_k (z_k - c) ]
        log_sums = np.log(sums)
        if t.ndim == 2:
            log_sums *= t_sum
        loss = float(log_sums.sum() - S_t.sum()) / m
        Y *= (1.0 / m) / sums[:, None]                # y_k / m = softmax(z)_k / m
        if t.ndim == 2:
            Y -= t / m                                # dZ = (Y - T) / m
        else:
            Y[rows, idx] -= 1.0 / m                   # dZ = (Y - T) / m with T one-hot
        self._grad = Y
        return self._finite(loss, "SoftmaxCrossEntropyLoss")


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
        t = np.asarray(t, dtype=z.dtype)
        if t.shape != z.shape:
            if t.size == z.size and t.ndim == 1 and z.ndim == 2 and z.shape[1] == 1:
                t = t.reshape(z.shape)
            else:
                raise ValueError(f"SigmoidBCELoss: targets {t.shape} do not match logits {z.shape}")
        n = z.size
        loss = float(np.sum(F.softplus(z) - z * t)) / n
        self._grad = (F.sigmoid(z) - t) / np.asarray(n, dtype=z.dtype)   # dz = (y - t) / m
        return self._finite(loss, "SigmoidBCELoss")


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
        t = np.asarray(t, dtype=y.dtype)
        if t.shape != y.shape:
            if t.size == y.size and t.ndim == 1 and y.ndim == 2 and y.shape[1] == 1:
                t = t.reshape(y.shape)
            else:
                raise ValueError(f"MSELoss: targets {t.shape} do not match predictions {y.shape}")
        d = y - t
        n = y.size
        loss = float(np.sum(d * d)) / n
        self._grad = d * np.asarray(2.0 / n, dtype=y.dtype)   # dJ/dy = 2 (y - t) / m
        return self._finite(loss, "MSELoss")


__all__ = ["SoftmaxCrossEntropyLoss", "SigmoidBCELoss", "MSELoss"]
