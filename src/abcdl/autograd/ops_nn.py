"""Network functions: softmax, log-softmax, cross-entropy, MSE, dropout, batch norm (L12-L15, L33-L35).

Softmax, log-softmax and the cross-entropy are single ops with the derivative
the lecture derives (dz = y - t, L15); MSE, dropout and batch normalisation
are *compositions* of primitives, so their gradients come from the engine
alone, which is the point of L39: nobody derived them here.
"""

from __future__ import annotations

import numpy as np

from .function import Function
from .ops_math import exp, sqrt
from .ops_reduce import mean
from .tensor import Tensor, as_tensor

__all__ = ["softmax", "log_softmax", "softmax_cross_entropy", "mse", "dropout", "batch_norm"]


class Softmax(Function):
    """y_k = e^{z_k} / sum_i e^{z_i} over ``axis`` (L12, L35), computed after subtracting max_i z_i."""

    keeps_output = True

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, z):
        with np.errstate(under="ignore"):
            e = np.exp(z - z.max(axis=self.axis, keepdims=True))    # e^(z_k - c), c = max z
            return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, gy):
        y = self.output()
        # dz_k = sum_j gy_j dy_j/dz_k = sum_j gy_j y_j (delta_jk - y_k) = y_k (gy_k - sum_j gy_j y_j)
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """y_k = log softmax(z)_k = z_k - log sum_i e^{z_i} (log-sum-exp: exact where softmax underflows)."""

    keeps_output = True

    def __init__(self, axis: int) -> None:
        self.axis = axis

    def forward(self, z):
        s = z - z.max(axis=self.axis, keepdims=True)               # z - c
        with np.errstate(under="ignore"):
            return s - np.log(np.exp(s).sum(axis=self.axis, keepdims=True))

    def backward(self, gy):
        y = self.output()
        # dz_k = gy_k - softmax(z)_k sum_j gy_j,  softmax(z) = e^y
        return gy - exp(y) * gy.sum(axis=self.axis, keepdims=True)


def softmax(z, axis: int = -1) -> Tensor:
    """Softmax over ``axis`` (default the last: one row per example)."""
    return Softmax(int(axis))(z)


def log_softmax(z, axis: int = -1) -> Tensor:
    """log softmax over ``axis``, computed with log-sum-exp."""
    return LogSoftmax(int(axis))(z)


def _targets(t, m: int, k: int) -> tuple[np.ndarray, bool]:
    """Targets as (m,) integer labels (True) or (m, K) probability rows (False); ValueError otherwise."""
    t = np.asarray(t.data if isinstance(t, Tensor) else t)
    if t.ndim == 2:
        if t.shape != (m, k):
            raise ValueError(f"softmax_cross_entropy: targets of shape {t.shape} do not match "
                             f"logits (m, K) = {(m, k)}")
        return t, False
    if t.dtype.kind == "f" and t.shape == (m,) and np.all(np.mod(t, 1) == 0):
        t = t.astype(np.int64)                                      # 3.0 is the label 3
    if t.shape != (m,) or t.dtype.kind not in "iu":
        raise ValueError(f"softmax_cross_entropy: labels must be integers of shape ({m},), got "
                         f"{t.dtype} of shape {t.shape}")
    if m and (t.min() < 0 or t.max() >= k):
        raise ValueError(f"softmax_cross_entropy: labels must lie in [0, {k - 1}], got {t.min()}..{t.max()}")
    return t, True


class SoftmaxCrossEntropy(Function):
    """J = -(1/m) sum_k sum_i T_ki log softmax(Z)_ki from logits Z (m, K) (L14, L15, L35).

    The same fused loss as ``abcdl.losses.SoftmaxCrossEntropyLoss``:
    dJ/dZ = (softmax(Z) - T) / m, the lecture's dz = y - t with the 1/m.
    """

    def __init__(self, t) -> None:
        self.t = t

    def forward(self, Z):
        if Z.ndim != 2:
            raise ValueError(f"softmax_cross_entropy: logits must have shape (m, K), got {Z.shape}")
        m, k = Z.shape
        t, labels = _targets(self.t, m, k)
        self.t, self.labels = t, labels
        S = Z - Z.max(axis=1, keepdims=True)                        # z - c
        with np.errstate(under="ignore"):
            log_sums = np.log(np.exp(S).sum(axis=1))                # log sum_i e^(z_i - c)
        if labels:
            S_t = S[np.arange(m), t]                                # z_t - c for the true class t
            J = (log_sums.sum() - S_t.sum()) / m                    # J = (1/m) sum [log sum e - (z_t - c)]
        else:
            J = (np.dot(log_sums, t.sum(axis=1)) - np.einsum("ij,ij->", t, S)) / m
        return np.asarray(J, dtype=Z.dtype)

    def backward(self, gy):
        Z = self.inputs[0]
        m, k = Z.shape
        if self.labels:
            T = np.zeros((m, k), dtype=Z.dtype)
            T[np.arange(m), self.t] = 1                             # one-hot rows
        else:
            T = self.t.astype(Z.dtype, copy=False)
        return (softmax(Z, axis=1) - T) / m * gy                    # dJ/dZ = (Y - T) / m


def softmax_cross_entropy(Z, t) -> Tensor:
    """The mean softmax cross-entropy of logits ``Z`` (m, K) and targets ``t`` (a 0-d tensor).

    ``t`` holds integer class labels (m,) or one-hot / probability rows (m, K);
    it is a constant (no gradient flows to it).
    """
    return SoftmaxCrossEntropy(t)(Z)


def mse(y, t) -> Tensor:
    """J = (1/n) sum (y - t)^2 over every element, as ``abcdl.losses.MSELoss`` (L13).

    Composed of sub, mul and mean: the engine finds dJ/dy = 2 (y - t) / n.
    """
    y = as_tensor(y)
    t = as_tensor(t, like=y)
    if t.shape != y.shape:
        raise ValueError(f"mse: targets of shape {t.shape} do not match predictions of shape {y.shape}")
    d = y - t                                                       # y - t
    return mean(d * d)                                              # (1/n) sum (y - t)^2


def dropout(x, mask, p: float) -> Tensor:
    """Inverted dropout with a given keep-mask D (L33): A = A_prev * D / keep_prob.

    Parameters
    ----------
    x : Tensor
    mask : array of bool or 0/1, x's shape
        D, True where a unit is kept.
    p : float in [0, 1)
        The *drop* probability of ``abcdl.layers.Dropout`` and PyTorch; keep_prob = 1 - p.

    Composed of one multiplication by the constant D / keep_prob, so backward is
    dA_prev = dA * D / keep_prob, the same mask and scale.
    """
    x = as_tensor(x)
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p (drop probability) must be in [0, 1), got {p!r}")
    mask = np.asarray(mask)
    if mask.shape != x.shape:
        raise ValueError(f"dropout: mask of shape {mask.shape} does not match the input's shape {x.shape}")
    scaled = mask * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)     # D / keep_prob
    return x * scaled.astype(x.dtype, copy=False)                   # A = A_prev * D / keep_prob


def batch_norm(x, gamma, beta, eps: float = 1e-5, axis=0) -> Tensor:
    """Batch normalisation in training mode, composed of mean, sub, mul, sqrt and div (L34).

    Parameters
    ----------
    x : Tensor (m, n), or (m, C, H, W) with ``axis=(0, 2, 3)``
    gamma, beta : Tensor
        Broadcastable against the statistics' shape: (n,) for (m, n);
        (C, 1, 1) for images.
    eps : float
    axis : int or tuple
        The axes the statistics are taken over.

    Formula
    -------
    mu = (1/m) sum_k z_k,   sigma^2 = (1/m) sum_k (z_k - mu)^2
    Z_norm = (Z - mu) / sqrt(sigma^2 + eps),   Z~ = gamma Z_norm + beta

    Nobody wrote this function's backward: the engine differentiates the
    composition, and the result agrees with ``layers.BatchNorm1d``'s
    hand-derived dZ = (s/m) (m dx^ - sum dx^ - x^ sum(dx^ x^)).
    """
    x = as_tensor(x)
    mu = mean(x, axis=axis, keepdims=True)                          # mu = (1/m) sum z
    xc = x - mu                                                     # z - mu
    var = mean(xc * xc, axis=axis, keepdims=True)                   # sigma^2 = (1/m) sum (z - mu)^2
    inv_std = 1 / sqrt(var + eps)                                   # s = 1 / sqrt(sigma^2 + eps)
    x_hat = xc * inv_std                                            # Z_norm = (Z - mu) s
    return x_hat * gamma + beta                                     # Z~ = gamma Z_norm + beta
