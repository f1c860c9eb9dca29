"""Layer normalization over the features of each position (L40)."""

from __future__ import annotations

import numpy as np

from .._checks import check_positive_int
from .._config import resolve_dtype
from .._types import Array
from ..module import Module
from ..parameter import Parameter
from ._checks import check_input, need_forward


class LayerNorm(Module):
    """Layer normalization  y = gamma * (x - mu) / sqrt(var + eps) + beta  (L40).

    Batch normalization (L30) averages each feature over the examples of a batch;
    layer normalization (Ba, Kiros & Hinton 2016; the Transformer of Coursera
    course 5, week 4) averages over the D features of one position instead, so it
    behaves the same in training and in evaluation and needs no running statistics.

    Parameters
    ----------
    normalized_shape : int
        D, the size of the last axis.
    eps : float
        Added to the variance (PyTorch's default 1e-5).
    dtype : float32 | float64, optional
        Default: ``abcdl.get_default_dtype()``.

    Attributes
    ----------
    gamma, beta : Parameter (D,)
        Scale (starts at 1) and shift (starts at 0); PyTorch's ``weight`` and ``bias``.

    Shapes
    ------
    x: (..., D) -> y: (..., D)   (usually (m, T, D))

    Formula
    -------
    forward   mu = (1/D) sum_j x_j,  var = (1/D) sum_j (x_j - mu)^2,  sigma = sqrt(var + eps)
              xhat = (x - mu) / sigma,   y = gamma * xhat + beta
    backward  dgamma = sum over positions of dy * xhat,   dbeta = sum over positions of dy
              dxhat = dy * gamma
              dx = (dxhat - mean_j(dxhat) - xhat * mean_j(dxhat * xhat)) / sigma
    """

    def __init__(self, normalized_shape: int, eps: float = 1e-5, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = check_positive_int(normalized_shape, "LayerNorm: normalized_shape")  # D
        if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not eps > 0:
            raise ValueError(f"LayerNorm: eps must be a positive number, got {eps!r}")
        self.eps = float(eps)
        dt = resolve_dtype(dtype)
        self.gamma = Parameter(np.ones(self.normalized_shape, dtype=dt))
        self.beta = Parameter(np.zeros(self.normalized_shape, dtype=dt))
        self._xhat = None
        self._sigma = None

    def forward(self, x: Array) -> Array:
        D = self.normalized_shape
        x = check_input(self, x, tuple(range(1, 8)), expect=f"(..., {D})")
        if x.shape[-1] != D:
            raise ValueError(f"{self._where()}: expected input of shape (..., {D}), got {x.shape}")
        mu = x.mean(axis=-1, keepdims=True)                   # mu = (1/D) sum_j x_j
        xc = x - mu                                           # x - mu
        var = np.mean(xc * xc, axis=-1, keepdims=True)        # var = (1/D) sum_j (x_j - mu)^2
        self._sigma = np.sqrt(var + self.eps)                 # sigma = sqrt(var + eps)
        self._xhat = xc / self._sigma                         # xhat = (x - mu) / sigma
        return self.gamma.data * self._xhat + self.beta.data  # y = gamma * xhat + beta

    def backward(self, dy: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._xhat)
        xhat, D = self._xhat, self.normalized_shape
        dy = np.asarray(dy)
        self.gamma.grad += np.sum((dy * xhat).reshape(-1, D), axis=0)   # dgamma = sum dy * xhat
        self.beta.grad += np.sum(dy.reshape(-1, D), axis=0)             # dbeta = sum dy
        if not input_grad:
            return None
        dxhat = dy * self.gamma.data                                    # dxhat = dy * gamma
        mean_dxhat = dxhat.mean(axis=-1, keepdims=True)                 # mean_j(dxhat)
        mean_dxhat_xhat = np.mean(dxhat * xhat, axis=-1, keepdims=True) # mean_j(dxhat * xhat)
        return (dxhat - mean_dxhat - xhat * mean_dxhat_xhat) / self._sigma

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps:g}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"normalized_shape": self.normalized_shape, "eps": self.eps}
