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
from ._base import ClassifierBase
from ._estimator import (
    check_array,
    check_fitted,
    check_float,
    check_int,
    check_labels,
    check_n_features,
)

__all__ = ["LogisticRegression", "SoftmaxRegression"]


class _GDClassifier(ClassifierBase):
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

    def _first_batch(self, X: np.ndarray, classes) -> bool:
        """partial_fit: True on the first call (nothing fitted yet), after checking ``classes``."""
        if getattr(self, "coef_", None) is not None:
            check_n_features(self, X, self.n_features_in_)
            return False
        if classes is None and (self._codes is None or self.labels is None):
            raise ValueError(f"{type(self).__name__}: classes must be passed on the first call to "
                             "partial_fit (all the labels the batches will hold)")
        self.n_features_in_ = X.shape[1]
        self.loss_curve_, self.n_iter_ = [], 0
        return True


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
    labels : pair or None, default (0, 1)
        The labels ``fit`` accepts, (t = 0, t = 1): the lecture's 0/1 by default.
        None accepts any two labels (numbers or strings, as scikit-learn); the
        larger one, ``classes_[1]``, is t = 1.

    Attributes
    ----------
    coef_ : ndarray (n_features,)  The weights w (the lecture's vector; scikit-learn keeps (1, n_features)).
    intercept_ : float             The bias b.
    loss_curve_ : list[float]      J before each step.
    n_iter_ : int                  Steps taken.
    classes_ : ndarray             array([0, 1]) (with ``labels=None``, the two labels seen).
    n_features_in_ : int

    ``partial_fit(X, t)`` takes one gradient step on the mini-batch (X, t) from the
    current (w, b), from w = 0, b = 0 on the first call (stochastic gradient
    descent when called once per mini-batch, L36).

    Formula
    -------
    z = X w + b,  y = sigma(z)
    J = -(1/m) sum [t log y + (1 - t) log(1 - y)]
    dz = y - t,   dw = (1/m) X^T dz,   db = (1/m) sum dz
    """

    _codes = (0, 1)

    def __init__(self, lr: float = 0.1, n_iter: int = 1000, tol: float | None = None,
                 labels: tuple | None = (0, 1)) -> None:
        super().__init__(lr, n_iter, tol)
        self.labels = labels

    def fit(self, X, y) -> LogisticRegression:
        """Fit w, b to the 0/1 labels ``y`` (the lecture's t) by gradient descent on J; returns self."""
        lr, n_iter, tol = self._settings()
        X = check_array(X, self)
        t, self.classes_ = self._check_labels(y, X.shape[0], X.dtype, "y")
        self.n_features_in_ = X.shape[1]
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

    def partial_fit(self, X, y, classes=None) -> LogisticRegression:
        """One gradient step w <- w - alpha dw, b <- b - alpha db on the mini-batch (X, y) (L36).

        ``classes``: the two labels, needed on the first call with ``labels=None``
        (scikit-learn's protocol); later calls use ``classes_``.
        """
        lr = check_float(self.lr, self, "lr")
        X = check_array(X, self)
        first = self._first_batch(X, classes)
        t, self.classes_ = self._check_labels(y, X.shape[0], X.dtype, "y",
                                              classes if first else self.classes_)
        if first:
            self.coef_, self.intercept_ = np.zeros(X.shape[1], dtype=X.dtype), 0.0
        loss, dw, db = self._loss_grad(X, t, self.coef_.astype(X.dtype), X.dtype.type(self.intercept_))
        self.coef_ = self.coef_ - lr * dw                    # w <- w - alpha dw
        self.intercept_ = float(self.intercept_ - lr * db)   # b <- b - alpha db
        self.loss_curve_.append(loss)
        self.n_iter_ += 1
        return self

    def _check_labels(self, t, m: int, dtype, name: str = "t", classes=None):
        """(t coded 0/1 in ``dtype``, the two classes); ``classes`` defaults to the fitted ones."""
        if classes is None:
            classes = getattr(self, "classes_", None)
        t, classes = self._binary_y(t, m, name, classes=classes)
        return t.astype(dtype), classes

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
        return self._loss_grad(X, self._check_labels(t, X.shape[0], X.dtype)[0], w, b)[0]

    def gradients(self, X, t, w=None, b=None) -> tuple[Array, float]:
        """The hand-derived (dw, db) = ((1/m) X^T (y - t), (1/m) sum (y - t)) at (w, b) (L15)."""
        X = check_array(X, self)
        w, b = self._params(w, b)
        _, dw, db = self._loss_grad(X, self._check_labels(t, X.shape[0], X.dtype)[0], w, b)
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
        """1 where sigma(z) > 1/2 (z > 0), else 0, as labels of ``classes_``; shape (m,)."""
        return self._decode((self.decision_function(X) > 0).astype(np.int64))


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

    def fit(self, X, y) -> SoftmaxRegression:
        """Fit W, b to the class labels ``y`` (the lecture's t; any K >= 2 distinct values, numbers or
        strings) by gradient descent; returns self."""
        lr, n_iter, tol = self._settings()
        X = check_array(X, self)
        t = check_labels(y, self, X.shape[0])
        classes, idx = np.unique(t, return_inverse=True)
        if classes.size < 2:
            raise ValueError(f"SoftmaxRegression: needs at least 2 classes in y, got {classes.size} class "
                             f"{classes.tolist()}")
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

    def partial_fit(self, X, y, classes=None) -> SoftmaxRegression:
        """One gradient step W <- W - alpha dW, b <- b - alpha db on the mini-batch (X, y) (L36).

        ``classes`` (every label the batches will hold) is required on the first call,
        as in scikit-learn, since one batch need not show them all.
        """
        lr = check_float(self.lr, self, "lr")
        X = check_array(X, self)
        if self._first_batch(X, classes):
            self.classes_ = np.unique(check_labels(classes, self, np.size(classes), "classes"))
            if self.classes_.size < 2:
                raise ValueError(f"SoftmaxRegression: needs at least 2 classes, got {self.classes_.tolist()}")
            K = self.classes_.size
            self.coef_, self.intercept_ = np.zeros((K, X.shape[1]), X.dtype), np.zeros(K, X.dtype)
        T = self._onehot(y, X.shape[0], X.dtype, "y")
        loss, dW, db = self._loss_grad(X, T, self.coef_.astype(X.dtype), self.intercept_.astype(X.dtype))
        self.coef_ = self.coef_ - lr * dW                    # W <- W - alpha dW
        self.intercept_ = self.intercept_ - lr * db          # b <- b - alpha db
        self.loss_curve_.append(loss)
        self.n_iter_ += 1
        return self

    def _onehot(self, t, m: int, dtype, name: str = "t") -> np.ndarray:
        t = check_labels(t, self, m, name)
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

    def _logits(self, X) -> Array:
        X = self._X(X)
        return X @ self.coef_.T + self.intercept_      # Z = X W^T + b

    def decision_function(self, X) -> Array:
        """Logits Z = X W^T + b; shape (m, K).  For K = 2 the log-odds z_1 - z_0, shape (m,)
        (scikit-learn's convention for two classes)."""
        Z = self._logits(X)
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    def predict_proba(self, X) -> Array:
        """Y = softmax(Z), P(class k | x) in column k; shape (m, K)."""
        return F.softmax(self._logits(X))

    def predict(self, X) -> np.ndarray:
        """classes_[argmax_k z_k]; shape (m,)."""
        Z = self._logits(X)
        return self.classes_[np.argmax(Z, axis=1)]
