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
    rows = X as (m*H*W, C): every pixel of every example is one row
    mu_c = mean over (m, H, W),  sigma_c^2 = mean over (m, H, W) of (x - mu_c)^2
    Y = gamma_c (X - mu_c) / sqrt(sigma_c^2 + eps) + beta_c;  backward as BatchNorm1d on the rows.
    """

    # Rows are taken as (C, m*H*W)^T: free for the channel-major maps that Conv2d and the
    # pools produce (see abcdl.im2col), and the result maps back to channel-major memory.
    def _rows(self, X: Array) -> Array:
        return X.transpose(1, 0, 2, 3).reshape(self.num_features, -1).T     # (m H W, C)

    @staticmethod
    def _maps(Y: Array, shape) -> Array:
        m, C, H, W = shape
        return Y.T.reshape(C, m, H, W).transpose(1, 0, 2, 3)                 # (m, C, H, W)

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
        return self._maps(Y, X.shape)

    def backward(self, dY: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._cache)
        if dY.shape != self._shape:
            raise ValueError(f"{self._where()}: backward expected a gradient of shape {self._shape}, "
                             f"got {dY.shape}")
        dX_rows = self._backward_rows(self._rows(dY), input_grad)
        return None if dX_rows is None else self._maps(dX_rows, self._shape)
