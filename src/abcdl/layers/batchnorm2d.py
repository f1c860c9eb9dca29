"""Batch normalisation of convolutional feature maps, per channel (L34, L38)."""

from __future__ import annotations

from .._types import Array
from ._checks import check_input, need_forward
from .batchnorm import BatchNorm1d


class BatchNorm2d(BatchNorm1d):
    """Batch normalisation of (m, C, H, W) maps: one (gamma, beta) and one mean/variance per channel.

    Every pixel of every example is a sample of its channel, so the (m, C, H, W)
    input is viewed as m*H*W rows of C features and normalised exactly as
    :class:`BatchNorm1d` does (same formulas, PyTorch conventions: momentum 0.1
    weights the new batch, eps = 1e-5, unbiased running variance with
    n = m*H*W).

    Parameters
    ----------
    num_features : int
        C, the number of channels.
    eps : float, default 1e-5
    momentum : float, default 0.1
    dtype : float32 | float64, optional

    Shapes
    ------
    (m, C, H, W) -> (m, C, H, W)

    Formula
    -------
    rows = X.transpose(0, 2, 3, 1).reshape(m*H*W, C)
    mu_c = mean over (m, H, W),  sigma_c^2 = mean over (m, H, W) of (x - mu_c)^2
    Y = gamma_c (X - mu_c) / sqrt(sigma_c^2 + eps) + beta_c;  backward as BatchNorm1d on the rows.
    """

    def _rows(self, X: Array) -> Array:
        return X.transpose(0, 2, 3, 1).reshape(-1, self.num_features)   # (m H W, C)

    def forward(self, X: Array) -> Array:
        X = check_input(self, X, 4, self.num_features, f"(m, {self.num_features}, H, W)")
        m, C, H, W = X.shape
        if self.training and m * H * W < 2:
            raise ValueError(
                f"{self._where()}: training mode needs more than 1 value per channel to compute "
                f"batch statistics, got input of shape {X.shape}; use model.eval() for a single 1x1 map"
            )
        Y = self._normalize(self._rows(X))                               # BatchNorm1d on the rows
        self._shape = X.shape
        return Y.reshape(m, H, W, C).transpose(0, 3, 1, 2)

    def backward(self, dY: Array) -> Array:
        need_forward(self, self._cache)
        if dY.shape != self._shape:
            raise ValueError(f"{self._where()}: backward expected a gradient of shape {self._shape}, "
                             f"got {dY.shape}")
        m, C, H, W = self._shape
        dX = self._backward_rows(self._rows(dY))
        return dX.reshape(m, H, W, C).transpose(0, 3, 1, 2)
