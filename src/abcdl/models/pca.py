"""Principal component analysis by the SVD of centred data (L4, dimension reduction).

The lecture's remedy for too many features (L2, L4) is to keep the few
directions that carry most of the data's variation.  With the centred data
Xc = X - mean and its thin SVD Xc = U S V^T:

    principal directions   V^T rows   (components_, unit vectors, orthogonal)
    explained variance     S_k^2 / (n - 1)   (the covariance matrix's eigenvalues)
    projection             Z = Xc V_q    (first q directions)
    reconstruction         X^ = Z V_q^T + mean

Signs: a singular vector is only defined up to sign, so each component is
flipped to make its largest-|.| entry positive (scikit-learn's ``svd_flip``
with ``u_based_decision=False``); results are then deterministic and equal to
scikit-learn's ``PCA(svd_solver="full")``.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._types import Array
from ._base import BaseEstimator
from ._estimator import check_array, check_fitted, check_n_features

__all__ = ["PCA"]


class PCA(BaseEstimator):
    """Principal component analysis via the SVD of centred data (L4).

    Parameters
    ----------
    n_components : int, float in (0, 1), or None
        int: keep that many components (1 <= q <= min(n, d)); float: keep the
        fewest components whose explained variance ratios sum to more than it
        (scikit-learn's rule);
        None: keep min(n, d).

    Attributes
    ----------
    components_ : ndarray (q, d)            Principal directions, one per row, unit length.
    explained_variance_ : ndarray (q,)      S_k^2 / (n - 1).
    explained_variance_ratio_ : ndarray (q,)  Share of the total variance (all components).
    singular_values_ : ndarray (q,)         S_k.
    mean_ : ndarray (d,)                    Feature means, subtracted before projecting.
    n_components_ : int                     q.

    Shapes
    ------
    X: (n, d) -> transform(X): (n, q) -> inverse_transform: (n, d)

    Formula
    -------
    Xc = X - mean,  Xc = U S V^T,  explained_variance = S^2 / (n - 1),  Z = Xc V_q
    """

    def __init__(self, n_components: int | float | None = None) -> None:
        self.n_components = n_components

    def _n_keep(self, ratios: np.ndarray, limit: int) -> int:
        q = self.n_components
        if q is None:
            return limit
        if isinstance(q, bool) or not isinstance(q, numbers.Real):
            raise TypeError(f"PCA: n_components must be an int, a float in (0, 1) or None, got {q!r}")
        if isinstance(q, numbers.Integral):
            if not 1 <= q <= limit:
                raise ValueError(f"PCA: n_components={q} must be between 1 and min(n_samples, n_features)"
                                 f"={limit}")
            return int(q)
        if not 0.0 < q < 1.0:
            raise ValueError(f"PCA: a float n_components is a variance fraction in (0, 1), got {q}")
        cum = np.cumsum(ratios)
        return int(min(np.searchsorted(cum, q, side="right") + 1, limit))   # fewest with sum > q

    def fit(self, X, y=None) -> PCA:
        """Compute the principal components of X (n, d); ``y`` is ignored. Returns self."""
        self._fit(X)
        return self

    def _fit(self, X) -> tuple[np.ndarray, np.ndarray]:
        X = check_array(X, self, min_rows=2)
        n, d = X.shape
        self.mean_ = X.mean(axis=0)
        Xc = X - self.mean_                                    # Xc = X - mean
        U, S, Vt = np.linalg.svd(Xc, full_matrices=False)      # Xc = U S V^T
        signs = np.sign(Vt[np.arange(Vt.shape[0]), np.argmax(np.abs(Vt), axis=1)])
        signs[signs == 0] = 1
        U *= signs                                             # svd_flip: the largest |v_kj| of each
        Vt *= signs[:, None]                                   # component is made positive
        var = S**2 / (n - 1)                                   # explained variance S_k^2 / (n - 1)
        total = var.sum()
        ratio = var / total if total > 0 else np.zeros_like(var)
        q = self._n_keep(ratio, min(n, d))
        self.components_ = Vt[:q]
        self.explained_variance_ = var[:q]
        self.explained_variance_ratio_ = ratio[:q]
        self.singular_values_ = S[:q].copy()
        self.n_components_ = q
        self.n_features_in_ = d
        self.n_samples_ = n
        return U[:, :q], S[:q]

    def fit_transform(self, X, y=None) -> Array:
        """``fit(X)`` then the projection of X, computed as U_q S_q (= Xc V_q); shape (n, q)."""
        U, S = self._fit(X)
        return U * S                                           # Z = Xc V_q = U_q S_q

    def transform(self, X) -> Array:
        """Z = (X - mean) V_q, the coordinates along the components; shape (n, q)."""
        check_fitted(self, "components_")
        X = check_array(X, self)
        check_n_features(self, X, self.n_features_in_)
        return (X - self.mean_) @ self.components_.T           # Z = Xc V_q

    def inverse_transform(self, Z) -> Array:
        """X^ = Z V_q^T + mean, back in feature space; shape (n, d).  Exact when q = rank."""
        check_fitted(self, "components_")
        Z = check_array(Z, self, "Z")
        if Z.shape[1] != self.n_components_:
            raise ValueError(f"PCA: Z has {Z.shape[1]} columns, expected n_components_={self.n_components_}")
        return Z @ self.components_ + self.mean_               # X^ = Z V_q^T + mean
