"""Activations, their derivatives, and losses as pure functions (L10, L13, L14).

Every function takes and returns NumPy arrays, keeps the input's floating dtype,
and is numerically stable: inputs of +-1000 give correct values with no overflow
and no warning, even under ``np.errstate(all="raise")``.  Results that are
smaller than the smallest normal float are rounded to zero, which is the correct
rounding, so underflow is not reported as an error here.

Derivative functions are named ``<f>_grad`` and take the same argument as ``f``
(the pre-activation ``z``).
"""

from __future__ import annotations

import numpy as np

from ._types import Array

__all__ = [
    "step", "step_grad", "sign", "sign_grad", "identity", "identity_grad",
    "sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad", "softmax", "softmax_grad", "log_softmax",
    "log_softmax_grad", "logsumexp", "softplus",
    "mse", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "cross_entropy_with_logits",
]


def _float(z) -> np.ndarray:
    z = np.asarray(z)
    return z if np.issubdtype(z.dtype, np.floating) else z.astype(np.float64)


# -- threshold units (L5, L10) -------------------------------------------------
def step(z) -> Array:
    """Heaviside step: 1 where z > 0, else 0 (the perceptron's original unit, L10)."""
    z = _float(z)
    return (z > 0).astype(z.dtype)


def step_grad(z) -> Array:
    """0 everywhere (undefined at 0): why the step cannot be trained by gradients."""
    return np.zeros_like(_float(z))


def sign(z) -> Array:
    """sign(z) in {-1, +1}, with sign(0) = -1 so a point on the boundary is misclassified (L5, L7)."""
    z = _float(z)
    return np.where(z > 0, 1, -1).astype(z.dtype)


def sign_grad(z) -> Array:
    """0 everywhere (undefined at 0)."""
    return np.zeros_like(_float(z))


def identity(z) -> Array:
    """g(z) = z, the output activation for regression."""
    return _float(z).copy()


def identity_grad(z) -> Array:
    """g'(z) = 1."""
    return np.ones_like(_float(z))


# -- smooth activations (L10, L12) ---------------------------------------------
def sigmoid(z) -> Array:
    """Logistic sigmoid  sigma(z) = 1 / (1 + e^{-z})  (L10, L12).

    Stable form: with e = exp(-|z|) (never overflows),
    sigma(z) = 1/(1+e) for z >= 0 and e/(1+e) for z < 0.
    """
    z = _float(z)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_grad(z) -> Array:
    """sigma'(z) = sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    with np.errstate(under="ignore"):
        return s * (1 - s)


def tanh(z) -> Array:
    """Hyperbolic tangent, tanh(z) = 2 sigma(2z) - 1."""
    return np.tanh(_float(z))


def tanh_grad(z) -> Array:
    """tanh'(z) = 1 - tanh(z)^2."""
    t = np.tanh(_float(z))
    return 1 - t * t


def relu(z) -> Array:
    """ReLU(z) = max(0, z) (L10, L11)."""
    z = _float(z)
    return np.maximum(z, 0, dtype=z.dtype)


def relu_grad(z) -> Array:
    """ReLU'(z) = 1 for z > 0, else 0 (the value 0 at z = 0, as in every abcdl layer)."""
    z = _float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, negative_slope: float = 0.01) -> Array:
    """LeakyReLU(z) = z for z > 0, negative_slope * z otherwise."""
    z = _float(z)
    return np.where(z > 0, z, z * negative_slope).astype(z.dtype, copy=False)


def leaky_relu_grad(z, negative_slope: float = 0.01) -> Array:
    """1 for z > 0, negative_slope otherwise."""
    z = _float(z)
    return np.where(z > 0, 1.0, negative_slope).astype(z.dtype)


def softplus(z) -> Array:
    """log(1 + e^z), computed as max(z, 0) + log1p(e^{-|z|})."""
    z = _float(z)
    with np.errstate(under="ignore"):
        return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def logsumexp(z, axis: int = -1, keepdims: bool = False) -> Array:
    """log sum_i exp(z_i) without overflow: c + log sum_i exp(z_i - c), c = max_i z_i."""
    z = _float(z)
    c = np.max(z, axis=axis, keepdims=True)
    with np.errstate(under="ignore"):
        out = c + np.log(np.sum(np.exp(z - c), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z, axis: int = -1) -> Array:
    """Softmax  y_k = exp(z_k) / sum_i exp(z_i)  over ``axis`` (L12, L35).

    Stable form: subtract max_i z_i first (the ratio does not change).
    """
    z = _float(z)
    with np.errstate(under="ignore"):
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis: int = -1) -> Array:
    """log y_k = z_k - logsumexp(z), exact even where y_k underflows to 0."""
    z = _float(z)
    return z - logsumexp(z, axis=axis, keepdims=True)


def softmax_grad(z) -> Array:
    """Jacobian of softmax over the last axis: dy_i/dz_j = y_i (delta_ij - y_j).

    Shapes: z (..., K) -> (..., K, K).
    """
    y = softmax(z)
    with np.errstate(under="ignore"):
        return y[..., :, None] * (np.eye(y.shape[-1], dtype=y.dtype) - y[..., None, :])


def log_softmax_grad(z) -> Array:
    """Jacobian of log_softmax: d log y_i / dz_j = delta_ij - y_j.  Shapes: (..., K) -> (..., K, K)."""
    y = softmax(z)
    return np.eye(y.shape[-1], dtype=y.dtype) - y[..., None, :]


# -- losses (L13, L14) ---------------------------------------------------------
def _check_pair(y: np.ndarray, t: np.ndarray, what: str) -> None:
    if y.shape != t.shape:
        raise ValueError(f"{what}: prediction shape {y.shape} and target shape {t.shape} differ")


def mse(y, t) -> float:
    """Mean squared error  J = (1/m) sum_i (y_i - t_i)^2  (L13), averaged over every element."""
    y, t = _float(y), _float(t)
    _check_pair(y, t, "mse")
    d = y - t
    return float(np.mean(d * d))


def binary_cross_entropy(y, t) -> float:
    """-(1/m) sum [t log y + (1 - t) log(1 - y)] from probabilities y in [0, 1] (L14).

    Probabilities are clipped to [tiny, 1 - eps] so the result stays finite; for
    exact values where y underflows, pass logits to
    :func:`binary_cross_entropy_with_logits`.
    """
    y, t = _float(y), _float(t)
    _check_pair(y, t, "binary_cross_entropy")
    if np.any((y < 0) | (y > 1)):
        raise ValueError("binary_cross_entropy: probabilities must lie in [0, 1]")
    fi = np.finfo(y.dtype)
    y = np.clip(y, fi.tiny, 1 - fi.epsneg)
    return float(-np.mean(t * np.log(y) + (1 - t) * np.log1p(-y)))


def binary_cross_entropy_with_logits(z, t) -> float:
    """BCE of sigma(z) against t, computed from logits: mean of max(z,0) - z t + log(1 + e^{-|z|}).

    Exact for any z: no probability is formed, so nothing underflows to log(0).
    """
    z, t = _float(z), _float(t)
    _check_pair(z, t, "binary_cross_entropy_with_logits")
    return float(np.mean(softplus(z) - z * t))


def _class_indices(t: np.ndarray, m: int, k: int, what: str) -> np.ndarray:
    if t.shape != (m,):
        raise ValueError(f"{what}: labels must have shape ({m},), got {t.shape}")
    if t.dtype.kind not in "iu":                      # not an integer dtype
        if not np.all(np.mod(t, 1) == 0):
            raise ValueError(f"{what}: class labels must be integers, got dtype {t.dtype}")
        t = t.astype(np.int64)
    if t.size and (t.min() < 0 or t.max() >= k):
        raise ValueError(f"{what}: class labels must lie in [0, {k - 1}], got {t.min()}..{t.max()}")
    return t


def cross_entropy(y, t) -> float:
    """Categorical cross-entropy  -(1/m) sum_k t_k log y_k  from probabilities y (m, K) (L14).

    ``t`` is class indices (m,) or one-hot / probabilities (m, K).  Probabilities
    are clipped below at the smallest normal float so the value is finite; pass
    logits to :func:`cross_entropy_with_logits` for exact values.
    """
    y = _float(y)
    if y.ndim != 2:
        raise ValueError(f"cross_entropy: probabilities must have shape (m, K), got {y.shape}")
    logy = np.log(np.maximum(y, np.finfo(y.dtype).tiny))
    return _nll(logy, np.asarray(t), "cross_entropy")


def cross_entropy_with_logits(z, t) -> float:
    """Categorical cross-entropy of softmax(z), via log-softmax (log-sum-exp): exact and finite."""
    z = _float(z)
    if z.ndim != 2:
        raise ValueError(f"cross_entropy_with_logits: logits must have shape (m, K), got {z.shape}")
    return _nll(log_softmax(z), np.asarray(t), "cross_entropy_with_logits")


def _nll(logy: np.ndarray, t: np.ndarray, what: str) -> float:
    m, k = logy.shape
    if t.ndim == 2:
        _check_pair(logy, t, what)
        return float(-np.sum(t * logy) / m)
    idx = _class_indices(t, m, k, what)
    return float(-np.mean(logy[np.arange(m), idx]))
