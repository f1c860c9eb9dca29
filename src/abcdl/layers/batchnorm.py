"""Batch normalisation over the batch axis (L34)."""

from __future__ import annotations

import numpy as np

from .._checks import check_positive_int, check_positive_real
from .._config import resolve_dtype
from .._types import Array
from ..module import Module
from ..parameter import Parameter
from ._checks import check_input, need_forward


class BatchNorm1d(Module):
    """Batch normalisation of (m, n) activations (L34).

    Formula (training mode, per feature, over the m examples of the batch)
    -------
    mu = (1/m) sum_k z_k,   sigma^2 = (1/m) sum_k (z_k - mu)^2
    Z_norm = (Z - mu) / sqrt(sigma^2 + eps)
    Z~ = gamma * Z_norm + beta                    (gamma, beta learned like W and b)

    Inference uses running estimates instead of batch statistics.  Conventions
    are PyTorch's: ``momentum = 0.1`` weights the *new* batch,
    running = (1 - momentum) * running + momentum * batch_stat, and the running
    variance uses the unbiased batch variance sigma^2 * m / (m - 1); eps = 1e-5.
    ("Deep Learning from Scratch" writes momentum = 0.9 for the *old* value, the
    same rule seen from the other side.)

    Backward (with x^ = Z_norm, s = 1/sqrt(sigma^2 + eps), dx^ = dZ~ * gamma):
        dgamma = sum_k dZ~ * x^,   dbeta = sum_k dZ~
        dZ = (s / m) * (m dx^ - sum_k dx^ - x^ sum_k (dx^ x^))

    Shapes: (m, num_features) -> (m, num_features).
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1,
                 dtype=None) -> None:
        super().__init__()
        num_features = check_positive_int(num_features, "BatchNorm1d: num_features")
        eps = check_positive_real(eps, f"{type(self).__name__}: eps")      # sqrt(sigma^2 + eps) > 0
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNorm1d: momentum must be in [0, 1], got {momentum}")
        dt = resolve_dtype(dtype)
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = float(momentum)
        self.gamma = Parameter(np.ones(self.num_features, dtype=dt))
        self.beta = Parameter(np.zeros(self.num_features, dtype=dt))
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=dt))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=dt))
        self._cache = None

    # Subclasses (BatchNorm2d) reshape to (rows, features) and reuse these two.
    def _normalize(self, Z: np.ndarray) -> np.ndarray:
        if self.training:
            m = Z.shape[0]
            if m < 2:
                raise ValueError(
                    f"{self._where()}: training mode needs more than 1 value per feature to "
                    f"compute batch statistics, got input of shape {Z.shape}; use model.eval() "
                    f"for single examples"
                )
            mu = Z.mean(axis=0)                                        # mu = (1/m) sum z
            Zc = Z - mu
            var = np.einsum("ij,ij->j", Zc, Zc) / m                    # sigma^2 = (1/m) sum (z - mu)^2
            inv_std = 1.0 / np.sqrt(var + self.eps)                    # s = 1/sqrt(sigma^2 + eps)
            X_hat = Zc * inv_std                                       # Z_norm = (Z - mu) s
            mom = self.momentum
            self.running_mean *= 1 - mom
            self.running_mean += mom * mu
            self.running_var *= 1 - mom
            self.running_var += mom * var * (m / (m - 1))              # unbiased variance
        else:
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            X_hat = (Z - self.running_mean) * inv_std
        self._cache = (X_hat, inv_std.astype(Z.dtype, copy=False), self.training)
        return X_hat * self.gamma.data + self.beta.data               # Z~ = gamma Z_norm + beta

    def _backward_rows(self, dY: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        need_forward(self, self._cache)
        X_hat, inv_std, was_training = self._cache
        self.gamma.grad += np.einsum("ij,ij->j", dY, X_hat)           # dgamma = sum dZ~ x^
        self.beta.grad += dY.sum(axis=0)                              # dbeta = sum dZ~
        if not input_grad:
            return None                                               # dZ not needed (see Module)
        dX_hat = dY * self.gamma.data                                 # dx^ = dZ~ gamma
        if not was_training:
            return dX_hat * inv_std                                   # statistics are constants
        m = dY.shape[0]
        # dZ = (s/m) (m dx^ - sum dx^ - x^ sum(dx^ x^))
        return (inv_std / m) * (m * dX_hat - dX_hat.sum(axis=0)
                                - X_hat * np.einsum("ij,ij->j", dX_hat, X_hat))

    def forward(self, Z: Array) -> Array:
        Z = check_input(self, Z, 2, self.num_features, f"(m, {self.num_features})")
        return self._normalize(Z)

    def backward(self, dZ_tilde: Array, input_grad: bool = True) -> Array | None:
        return self._backward_rows(dZ_tilde, input_grad)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"

    def config(self) -> dict:
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum}
