"""Linear regression fit by gradient descent on the mean squared error (L18).

The lecture fits y = a x + b to data (x_i, y_i) by minimising

    L(a, b) = (1/N) sum_i (y_i - (a x_i + b))^2

with gradient descent.  Its gradients, with the prediction y^_i = a x_i + b:

    dL/da = -(2/N) sum_i x_i (y_i - y^_i)
    dL/db = -(2/N) sum_i (y_i - y^_i)

For d features the slope a becomes a vector (``coef_``, shape (d,)) and
dL/da = -(2/N) X^T (y - y^).  ``method="closed_form"`` solves the same least
squares problem directly (``np.linalg.lstsq`` on [X, 1]) as a check.
"""

from __future__ import annotations

import numpy as np

from .._types import Array
from ._base import RegressorBase, r2_score
from ._estimator import (
    check_array,
    check_fitted,
    check_float,
    check_int,
    check_n_features,
    check_targets,
)

__all__ = ["LinearRegression", "r2_score"]


class LinearRegression(RegressorBase):
    """Least-squares line (or hyperplane) y^ = a x + b, by gradient descent or in closed form (L18).

    Parameters
    ----------
    lr : float, default 0.01
        Learning rate alpha of  a <- a - alpha dL/da,  b <- b - alpha dL/db.
        Gradient descent is stable for alpha < 1 / lambda_max((2/N) [X, 1]^T [X, 1]);
        standardise large features or lower ``lr`` if the loss blows up.
    n_iter : int, default 1000
        Maximum number of gradient steps.
    method : {"gd", "closed_form"}
        "gd": the lecture's gradient descent; "closed_form": ``np.linalg.lstsq``.
    tol : float or None, default None
        Stop early once one step lowers L by less than ``tol``; None runs all ``n_iter``.

    Attributes
    ----------
    coef_ : ndarray (n_features,)   The slope(s) a.
    intercept_ : float              The intercept b.
    loss_curve_ : list[float]       L before each gradient step (empty for the closed form).
    loss_ : float                   L at the fitted (a, b).
    n_iter_ : int                   Gradient steps taken (0 for the closed form).
    n_features_in_ : int            d, the number of features seen in ``fit``.

    ``partial_fit(X, y)`` takes one gradient step on the batch (X, y) from the
    current (a, b) (from a = 0, b = 0 on the first call): called once per
    mini-batch it is the lecture's stochastic gradient descent (L36).

    Shapes
    ------
    X: (N, d), or (N,) for the lecture's single feature x;  y: (N,)

    Formula
    -------
    y^ = X a + b
    L = (1/N) sum (y - y^)^2
    dL/da = -(2/N) X^T (y - y^),   dL/db = -(2/N) sum (y - y^)
    """

    def __init__(self, lr: float = 0.01, n_iter: int = 1000, method: str = "gd",
                 tol: float | None = None) -> None:
        self.lr = lr
        self.n_iter = n_iter
        self.method = method
        self.tol = tol

    def fit(self, X, y) -> LinearRegression:
        """Fit a and b to minimise L = (1/N) sum (y_i - (a x_i + b))^2; returns self."""
        if self.method not in ("gd", "closed_form"):
            raise ValueError(f"LinearRegression: method must be 'gd' or 'closed_form', got {self.method!r}")
        X = check_array(X, self, allow_1d_as_column=True)
        y = check_targets(y, self, X.shape[0]).astype(X.dtype)
        self.n_features_in_ = X.shape[1]
        if self.method == "closed_form":
            return self._fit_closed_form(X, y)

        lr = check_float(self.lr, self, "lr")
        n_iter = check_int(self.n_iter, self, "n_iter", low=1)
        tol = None if self.tol is None else check_float(self.tol, self, "tol", strict=False)
        a = np.zeros(X.shape[1], dtype=X.dtype)       # slopes a (one per feature)
        b = X.dtype.type(0)                           # intercept b
        losses: list[float] = []
        steps = 0
        with np.errstate(over="ignore", invalid="ignore"):   # divergence is reported as an error
            for _ in range(n_iter):
                loss, da, db = self._loss_grads(X, y, a, b)
                if not np.isfinite(loss):
                    raise FloatingPointError(
                        f"LinearRegression: the loss became {loss} after {steps} steps; "
                        f"lr={lr} is too large for this data (lower it or standardise X)")
                if tol is not None and losses and losses[-1] - loss < tol:
                    losses.append(loss)
                    break
                losses.append(loss)
                a = a - lr * da                           # a <- a - alpha dL/da
                b = b - lr * db                           # b <- b - alpha dL/db
                steps += 1
            r = y - (X @ a + b)
            final = float(np.mean(r * r))
        if not np.isfinite(final):
            raise FloatingPointError(f"LinearRegression: the loss diverged (lr={lr} too large)")
        self.coef_ = a
        self.intercept_ = float(b)
        self.loss_curve_ = losses
        self.loss_ = final
        self.n_iter_ = steps
        return self

    @staticmethod
    def _loss_grads(X: np.ndarray, y: np.ndarray, a: np.ndarray, b) -> tuple[float, Array, Array]:
        """(L, dL/da, dL/db) at (a, b)."""
        N = X.shape[0]
        r = y - (X @ a + b)                           # y_i - y^_i,  y^ = a x + b
        loss = float(np.mean(r * r))                  # L = (1/N) sum (y - y^)^2
        da = -(2.0 / N) * (X.T @ r)                   # dL/da = -(2/N) sum x_i (y_i - y^_i)
        db = -(2.0 / N) * np.sum(r)                   # dL/db = -(2/N) sum (y_i - y^_i)
        return loss, da, db

    def partial_fit(self, X, y) -> LinearRegression:
        """One gradient step on the mini-batch (X, y) from the current (a, b) (L36); returns self."""
        lr = check_float(self.lr, self, "lr")
        X = check_array(X, self, allow_1d_as_column=True)
        y = check_targets(y, self, X.shape[0]).astype(X.dtype)
        if getattr(self, "coef_", None) is None:                 # first call: start from a = 0, b = 0
            self.n_features_in_ = X.shape[1]
            self.coef_, self.intercept_ = np.zeros(X.shape[1], dtype=X.dtype), 0.0
            self.loss_curve_, self.n_iter_ = [], 0
        check_n_features(self, X, self.n_features_in_)
        loss, da, db = self._loss_grads(X, y, self.coef_.astype(X.dtype), X.dtype.type(self.intercept_))
        if not np.isfinite(loss):
            raise FloatingPointError(f"LinearRegression: the loss became {loss}; lr={lr} is too large")
        self.coef_ = self.coef_ - lr * da                       # a <- a - alpha dL/da
        self.intercept_ = float(self.intercept_ - lr * db)      # b <- b - alpha dL/db
        self.loss_curve_.append(loss)
        self.loss_ = loss
        self.n_iter_ += 1
        return self

    def _fit_closed_form(self, X: np.ndarray, y: np.ndarray) -> LinearRegression:
        Xa = np.hstack([X, np.ones((X.shape[0], 1), dtype=X.dtype)])   # [X, 1] so b is the last weight
        theta, *_ = np.linalg.lstsq(Xa, y, rcond=None)                 # argmin ||[X,1] theta - y||^2
        self.coef_ = theta[:-1]
        self.intercept_ = float(theta[-1])
        r = y - Xa @ theta
        self.loss_ = float(np.mean(r * r))
        self.loss_curve_ = []
        self.n_iter_ = 0
        return self

    def loss(self, X, y) -> float:
        """L = (1/N) sum (y_i - y^_i)^2 of the fitted model on (X, y)."""
        pred = self.predict(X)
        y = check_targets(y, self, pred.shape[0]).astype(pred.dtype)
        return float(np.mean((y - pred) ** 2))

    def gradients(self, X, y, coef=None, intercept=None) -> tuple[Array, float]:
        """(dL/da, dL/db) = (-(2/N) X^T (y - y^), -(2/N) sum (y - y^)) at (a, b), default the fitted ones."""
        if coef is None or intercept is None:
            check_fitted(self, "coef_")
        X = check_array(X, self, allow_1d_as_column=True)
        y = check_targets(y, self, X.shape[0]).astype(X.dtype)
        a = self.coef_ if coef is None else np.asarray(coef, dtype=X.dtype)
        b = self.intercept_ if intercept is None else float(intercept)
        if a.shape != (X.shape[1],):
            raise ValueError(f"LinearRegression: coef must have shape ({X.shape[1]},), got {a.shape}")
        r = y - (X @ a + b)                           # y_i - y^_i
        N = X.shape[0]
        return -(2.0 / N) * (X.T @ r), -(2.0 / N) * float(np.sum(r))   # dL/da, dL/db

    def predict(self, X) -> Array:
        """y^ = X a + b; shape (N,)."""
        check_fitted(self, "coef_")
        X = check_array(X, self, allow_1d_as_column=True)
        check_n_features(self, X, self.n_features_in_)
        return X @ self.coef_.astype(X.dtype) + X.dtype.type(self.intercept_)   # y^ = a x + b
