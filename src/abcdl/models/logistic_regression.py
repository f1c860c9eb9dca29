"""Logistic regression as a one-layer network with hand-derived gradients (L12, L14, L15).

Binary (L15): one sigmoid unit on the inputs.

    z = w . x + b,   y = sigma(z) = P(t = 1 | x)                        (L12)
    L = -{t log y + (1 - t) log(1 - y)}                                (L14, Bernoulli likelihood)
    dz = dL/dy dy/dz = ((1 - t)/(1 - y) - t/y) (1 - y) y = y - t
    dw_i = x_i (y - t),   db = y - t                                   (L15)

The cost over m examples is the mean J = (1/m) sum_k L^(k), so the gradients
are means: dw = (1/m) X^T (y - t), db = (1/m) sum (y - t).

Multinomial (:class:`SoftmaxRegression`, L12): K softmax units, categorical
cross-entropy L = -sum_k t_k log y_k, and again dZ = Y - T.

Both are trained by full-batch gradient descent w <- w - alpha dw from w = 0.
The loss is computed from the logits (log-sum-exp), so it is exact for any z.
"""

from __future__ import annotations

import numpy as np

from .. import functions as F
from .._types import Array
from ._estimator import (
    check_array,
    check_fitted,
    check_float,
    check_int,
    check_n_features,
    check_targets,
)

__all__ = ["LogisticRegression", "SoftmaxRegression"]


class _GDClassifier:
    """Shared settings and checks of the two gradient-descent classifiers."""

    def __init__(self, lr: float = 0.1, n_iter: int = 1000, tol: float | None = None) -> None:
        self.lr = lr
        self.n_iter = n_iter
        self.tol = tol

    def _settings(self) -> tuple[float, int, float | None]:
        lr = check_float(self.lr, self, "lr")
        n_iter = check_int(self.n_iter, self, "n_iter", low=1)
        tol = None if self.tol is None else check_float(self.tol, self, "tol", strict=False)
        return lr, n_iter, tol

    def _X(self, X) -> np.ndarray:
        check_fitted(self, "coef_")
        X = check_array(X, self)
        check_n_features(self, X, self.n_features_in_)
        return X

    def score(self, X, t) -> float:
        """Mean accuracy of ``predict(X)`` against the labels ``t``."""
        pred = self.predict(X)
        return float(np.mean(pred == check_targets(t, self, pred.shape[0], "t")))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, n_iter={self.n_iter}, tol={self.tol})"


class LogisticRegression(_GDClassifier):
    """Binary logistic regression, a 1-layer network trained by gradient descent (L12, L15).

    Parameters
    ----------
    lr : float, default 0.1
        Learning rate alpha in  w <- w - alpha dw,  b <- b - alpha db.
    n_iter : int, default 1000
        Maximum number of full-batch gradient steps.
    tol : float or None
        Stop early once a step lowers J by less than ``tol``.

    Attributes
    ----------
    coef_ : ndarray (n_features,)  The weights w (the lecture's vector; scikit-learn keeps (1, n_features)).
    intercept_ : float             The bias b.
    loss_curve_ : list[float]      J before each step.
    n_iter_ : int                  Steps taken.
    classes_ : ndarray             array([0, 1]).

    Formula
    -------
    z = X w + b,  y = sigma(z)
    J = -(1/m) sum [t log y + (1 - t) log(1 - y)]
    dz = y - t,   dw = (1/m) X^T dz,   db = (1/m) sum dz
    """

    def fit(self, X, t) -> LogisticRegression:
        """Fit w, b to 0/1 labels ``t`` by gradient descent on J; returns self."""
        lr, n_iter, tol = self._settings()
        X = check_array(X, self)
        t = self._check_labels(t, X.shape[0], X.dtype)
        self.n_features_in_ = X.shape[1]
        self.classes_ = np.array([0, 1])
        w = np.zeros(X.shape[1], dtype=X.dtype)
        b = X.dtype.type(0)
        losses: list[float] = []
        steps = 0
        for _ in range(n_iter):
            loss, dw, db = self._loss_grad(X, t, w, b)
            if tol is not None and losses and losses[-1] - loss < tol:
                losses.append(loss)
                break
            losses.append(loss)
            w = w - lr * dw                          # w <- w - alpha dw
            b = b - lr * db                          # b <- b - alpha db
            steps += 1
        self.coef_ = w
        self.intercept_ = float(b)
        self.loss_curve_ = losses
        self.n_iter_ = steps
        return self

    def _check_labels(self, t, m: int, dtype) -> np.ndarray:
        t = check_targets(t, self, m, "t")
        if not np.all((t == 0) | (t == 1)):
            raise ValueError(f"LogisticRegression: labels t must be 0 or 1, got {np.unique(t)[:5].tolist()}")
        return t.astype(dtype)

    @staticmethod
    def _loss_grad(X: np.ndarray, t: np.ndarray, w: np.ndarray, b) -> tuple[float, Array, float]:
        m = X.shape[0]
        z = X @ w + b                                # z = w . x + b
        y = F.sigmoid(z)                             # y = sigma(z)
        loss = F.binary_cross_entropy_with_logits(z, t)   # J = -(1/m) sum [t log y + (1-t) log(1-y)]
        dz = y - t                                   # dz = y - t
        dw = X.T @ dz / m                            # dw_i = (1/m) sum x_i (y - t)
        db = float(np.sum(dz)) / m                   # db = (1/m) sum (y - t)
        return loss, dw, db

    def _params(self, w, b) -> tuple[np.ndarray, float]:
        if w is None or b is None:
            check_fitted(self, "coef_")
        w = self.coef_ if w is None else np.asarray(w)
        b = self.intercept_ if b is None else float(b)
        return w, b

    def loss(self, X, t, w=None, b=None) -> float:
        """J = -(1/m) sum [t log y + (1 - t) log(1 - y)] at (w, b), default the fitted ones."""
        X = check_array(X, self)
        w, b = self._params(w, b)
        return self._loss_grad(X, self._check_labels(t, X.shape[0], X.dtype), w, b)[0]

    def gradients(self, X, t, w=None, b=None) -> tuple[Array, float]:
        """The hand-derived (dw, db) = ((1/m) X^T (y - t), (1/m) sum (y - t)) at (w, b) (L15)."""
        X = check_array(X, self)
        w, b = self._params(w, b)
        _, dw, db = self._loss_grad(X, self._check_labels(t, X.shape[0], X.dtype), w, b)
        return dw, db

    def decision_function(self, X) -> Array:
        """z = X w + b, the logit log(P(t=1|x) / P(t=0|x)); shape (m,)."""
        X = self._X(X)
        return X @ self.coef_ + self.intercept_

    def predict_proba(self, X) -> Array:
        """Columns [P(t=0|x), P(t=1|x)] = [1 - sigma(z), sigma(z)]; shape (m, 2) as scikit-learn."""
        z = self.decision_function(X)
        return np.stack([F.sigmoid(-z), F.sigmoid(z)], axis=1)   # sigma(-z) = 1 - sigma(z)

    def predict(self, X) -> np.ndarray:
        """1 where sigma(z) > 1/2 (z > 0), else 0; shape (m,)."""
        return (self.decision_function(X) > 0).astype(np.int64)


class SoftmaxRegression(_GDClassifier):
    """Multinomial logistic regression: K softmax units, categorical cross-entropy (L12, L14, L15).

    Parameters
    ----------
    lr, n_iter, tol : as in :class:`LogisticRegression`.

    Attributes
    ----------
    coef_ : ndarray (K, n_features)  W, the lecture's shape (n[1], n[0]).
    intercept_ : ndarray (K,)        b.
    classes_ : ndarray (K,)          The sorted labels seen in ``fit``; column k is classes_[k].
    loss_curve_ : list[float];  n_iter_ : int

    Formula
    -------
    Z = X W^T + b,  Y = softmax(Z),  J = -(1/m) sum_k sum_i T_ki log Y_ki
    dZ = Y - T,  dW = (1/m) dZ^T X,  db = (1/m) sum_k dZ_k

    Notes
    -----
    The loss is unchanged by adding one vector to every row of W, so W is not
    unique; gradient descent from W = 0 keeps sum_k W_k = 0 (each column of
    dZ sums to zero), which picks one representative.  ``predict_proba`` is
    unique wherever the minimum is.
    """

    def fit(self, X, t) -> SoftmaxRegression:
        """Fit W, b to class labels ``t`` (any K >= 2 distinct values) by gradient descent; returns self."""
        lr, n_iter, tol = self._settings()
        X = check_array(X, self)
        t = check_targets(t, self, X.shape[0], "t")
        classes, idx = np.unique(t, return_inverse=True)
        if classes.size < 2:
            raise ValueError(f"SoftmaxRegression: needs at least 2 classes in t, got {classes.tolist()}")
        m, K = X.shape[0], classes.size
        T = np.zeros((m, K), dtype=X.dtype)
        T[np.arange(m), idx] = 1                     # one-hot targets
        self.n_features_in_ = X.shape[1]
        self.classes_ = classes
        W = np.zeros((K, X.shape[1]), dtype=X.dtype)
        b = np.zeros(K, dtype=X.dtype)
        losses: list[float] = []
        steps = 0
        for _ in range(n_iter):
            loss, dW, db = self._loss_grad(X, T, W, b)
            if tol is not None and losses and losses[-1] - loss < tol:
                losses.append(loss)
                break
            losses.append(loss)
            W = W - lr * dW                          # W <- W - alpha dW
            b = b - lr * db                          # b <- b - alpha db
            steps += 1
        self.coef_ = W
        self.intercept_ = b
        self.loss_curve_ = losses
        self.n_iter_ = steps
        return self

    @staticmethod
    def _loss_grad(X, T, W, b) -> tuple[float, Array, Array]:
        m = X.shape[0]
        Z = X @ W.T + b                              # Z = X W^T + b
        Y = F.softmax(Z)                             # Y = softmax(Z)
        loss = F.cross_entropy_with_logits(Z, T)     # J = -(1/m) sum T log Y
        dZ = (Y - T) / m                             # dZ = Y - T, with the mean's 1/m
        return loss, dZ.T @ X, dZ.sum(axis=0)        # dW = dZ^T X,  db = sum dZ

    def _onehot(self, t, m: int, dtype) -> np.ndarray:
        t = check_targets(t, self, m, "t")
        idx = np.searchsorted(self.classes_, t)
        idx = np.clip(idx, 0, self.classes_.size - 1)
        if not np.all(self.classes_[idx] == t):
            raise ValueError("SoftmaxRegression: t holds labels not seen in fit")
        T = np.zeros((m, self.classes_.size), dtype=dtype)
        T[np.arange(m), idx] = 1
        return T

    def _params(self, W, b):
        check_fitted(self, "coef_")
        return (self.coef_ if W is None else np.asarray(W)), (self.intercept_ if b is None else np.asarray(b))

    def loss(self, X, t, W=None, b=None) -> float:
        """J = -(1/m) sum T log softmax(X W^T + b) at (W, b), default the fitted ones."""
        X = check_array(X, self)
        W, b = self._params(W, b)
        return self._loss_grad(X, self._onehot(t, X.shape[0], X.dtype), W, b)[0]

    def gradients(self, X, t, W=None, b=None) -> tuple[Array, Array]:
        """The hand-derived (dW, db) = ((1/m) (Y - T)^T X, (1/m) sum (Y - T))."""
        X = check_array(X, self)
        W, b = self._params(W, b)
        _, dW, db = self._loss_grad(X, self._onehot(t, X.shape[0], X.dtype), W, b)
        return dW, db

    def decision_function(self, X) -> Array:
        """Logits Z = X W^T + b; shape (m, K)."""
        X = self._X(X)
        return X @ self.coef_.T + self.intercept_

    def predict_proba(self, X) -> Array:
        """Y = softmax(Z), P(class k | x) in column k; shape (m, K)."""
        return F.softmax(self.decision_function(X))

    def predict(self, X) -> np.ndarray:
        """classes_[argmax_k z_k]; shape (m,)."""
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]
