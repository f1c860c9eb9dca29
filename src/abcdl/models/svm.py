"""Linear support vector machine: the max-margin boundary, by subgradient descent (L8).

The lecture's point (L8): a perceptron stops at *any* separating line, which
may pass close to the training points and fail on test data; the SVM picks
the line with the widest margin.  Primal soft-margin form with hinge loss and
an L2 penalty:

    J(w, b) = (lambda/2) ||w||^2 + (1/m) sum_i max(0, 1 - y_i (w . x_i + b))

scikit-learn's ``SVC(kernel="linear", C)`` minimises (1/2)||w||^2 + C sum_i hinge_i,
which is the same problem up to the factor 1/(C m): lambda = 1 / (C m).

J is convex but not differentiable where y_i f(x_i) = 1; a subgradient is

    dJ/dw = lambda w - (1/m) sum_{i: y_i f(x_i) < 1} y_i x_i
    dJ/db =          - (1/m) sum_{i: y_i f(x_i) < 1} y_i

Full-batch subgradient descent with the decaying step eta_t = lr / (1 + lr lambda t)
(about 1/(lambda t) late on, the classic rate for a lambda-strongly convex J)
reaches the optimum; the iterate with the lowest J is kept, because a
subgradient step need not lower J.
"""

from __future__ import annotations

import numpy as np

from .._types import Array
from ._base import ClassifierBase
from ._estimator import (
    check_array,
    check_fitted,
    check_float,
    check_int,
    check_n_features,
)

__all__ = ["LinearSVM", "geometric_margin"]


def geometric_margin(X, y, coef, intercept: float) -> float:
    """min_i y_i (w . x_i + b) / ||w||: the distance from the boundary to the closest point (L8).

    Positive when (w, b) separates the labelled points ``y`` in {-1, +1}, negative
    when some point is on the wrong side.  For a perceptron, pass
    ``p.coef_, p.intercept_``; for a fitted hard-margin SVM it equals ``margin_``.
    """
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(coef, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    norm = float(np.linalg.norm(w))
    if norm == 0.0:
        raise ValueError("geometric_margin: w = 0 defines no boundary")
    return float(np.min(y * (X @ w + intercept)) / norm)   # min_i y_i (w.x_i + b) / ||w||


class LinearSVM(ClassifierBase):
    """Soft-margin linear SVM trained by full-batch subgradient descent on the primal (L8).

    Parameters
    ----------
    C : float, default 1.0
        scikit-learn's penalty on the hinge losses; used as lambda = 1 / (C m)
        when ``lam`` is None, so the solution matches ``SVC(kernel="linear", C=C)``.
    lam : float, optional
        The L2 strength lambda of J directly (overrides ``C``).
    lr : float, default 1.0
        Initial step eta_0; the step decays as eta_t = lr / (1 + lr lambda t).
    n_iter : int, default 5000
        Number of subgradient steps.  Subgradient descent needs many more steps
        than 1/lambda = C m to settle, so a near-hard margin (large C) needs a
        larger ``n_iter``; on separable data a moderate C (e.g. 1 to 10) often
        already gives the hard-margin solution, since no slack remains.
    decay : bool, default True
        False keeps the step constant at ``lr`` (the iterate then keeps jittering
        around the optimum, by about ``lr``).
    sv_tol : float, default 1e-2
        Points with y_i f(x_i) <= 1 + sv_tol are reported as support vectors
        (on or inside the margin; the tolerance absorbs the optimiser's error).
    labels : pair or None, default (-1, 1)
        The labels ``fit`` accepts, (negative, positive); None accepts any two
        labels (the larger, ``classes_[1]``, is y = +1), as :class:`Perceptron`.

    Attributes
    ----------
    coef_ : ndarray (n_features,)   w (scikit-learn keeps (1, n_features)).
    intercept_ : float              b.
    margin_ : float                 1 / ||w||: the geometric half-width of the margin,
                                    the distance from the boundary w.x + b = 0 to either
                                    margin hyperplane w.x + b = +-1 (the street is 2/||w|| wide).
    support_ : ndarray of int       Indices of the support vectors.
    support_vectors_ : ndarray      X[support_].
    loss_curve_ : list[float]       J before each step.
    loss_ : float                   J at the returned (w, b), the lowest seen.
    lam_ : float                    The lambda used.
    n_iter_ : int
    classes_ : ndarray              array([-1, 1]) (with ``labels=None``, the two labels seen).
    n_features_in_ : int

    ``partial_fit(X, y)`` takes one subgradient step on the mini-batch (X, y), with
    eta_t counted over all calls and lambda fixed at the first call (``lam``, or
    1 / (C m) with m the first batch's size): stochastic subgradient descent, the
    Pegasos scheme, when called once per mini-batch.

    Formula
    -------
    f(x) = w . x + b,   predict = sign(f(x))
    J = (lambda/2) ||w||^2 + (1/m) sum max(0, 1 - y f(x))
    """

    def __init__(self, C: float = 1.0, lam: float | None = None, lr: float = 1.0, n_iter: int = 5000,
                 decay: bool = True, sv_tol: float = 1e-2, labels: tuple | None = (-1, 1)) -> None:
        self.C = C
        self.lam = lam
        self.lr = lr
        self.n_iter = n_iter
        self.decay = decay
        self.sv_tol = sv_tol
        self.labels = labels

    _codes = (-1, 1)

    def fit(self, X, y) -> LinearSVM:
        """Minimise J by subgradient descent from w = 0, b = 0; ``y`` in {-1, +1}; returns self."""
        X, y, classes = self._data(X, y)
        if np.all(y == y[0]):
            raise ValueError("LinearSVM: y holds only one class; need both -1 and +1")
        m = X.shape[0]
        lam = (1.0 / (check_float(self.C, self, "C") * m) if self.lam is None
               else check_float(self.lam, self, "lam"))          # lambda = 1 / (C m)
        lr = check_float(self.lr, self, "lr")
        n_iter = check_int(self.n_iter, self, "n_iter", low=1)
        sv_tol = check_float(self.sv_tol, self, "sv_tol", strict=False)
        y = y.astype(X.dtype)

        w = np.zeros(X.shape[1], dtype=X.dtype)
        b = 0.0
        best = (np.inf, w, b)
        losses: list[float] = []
        for t in range(n_iter):
            f = y * (X @ w + b)                                   # y_i (w . x_i + b)
            J = lam / 2 * float(w @ w) + float(np.mean(np.maximum(0.0, 1.0 - f)))   # J(w, b)
            losses.append(J)
            if J < best[0]:
                best = (J, w, b)
            active = f < 1                                        # hinge is active: y f < 1
            dw = lam * w - (y[active] @ X[active]) / m            # lambda w - (1/m) sum y_i x_i
            db = -float(np.sum(y[active])) / m                    # -(1/m) sum y_i
            eta = lr / (1.0 + lr * lam * t) if self.decay else lr  # eta_t = lr / (1 + lr lambda t)
            w = w - eta * dw                                      # w <- w - eta dJ/dw
            b = b - eta * db                                      # b <- b - eta dJ/db
        f = y * (X @ w + b)
        J = lam / 2 * float(w @ w) + float(np.mean(np.maximum(0.0, 1.0 - f)))
        if J < best[0]:
            best = (J, w, b)
        self.loss_, w, b = best
        if not np.isfinite(self.loss_):
            raise FloatingPointError(f"LinearSVM: J became {self.loss_}; lower lr")
        self.coef_ = w
        self.intercept_ = float(b)
        self.lam_ = lam
        self.loss_curve_ = losses
        self.n_iter_ = n_iter
        self.n_features_in_ = X.shape[1]
        self.classes_ = classes
        norm = float(np.linalg.norm(w))
        self.margin_ = 1.0 / norm if norm > 0 else np.inf          # half-width 1 / ||w||
        self.support_ = np.flatnonzero(y * (X @ w + b) <= 1.0 + sv_tol)   # y f(x) <= 1 (+ tol)
        self.support_vectors_ = X[self.support_]
        return self

    def _data(self, X, y, classes=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        X = check_array(X, self)
        y, classes = self._binary_y(y, X.shape[0], classes=classes)
        return X, y, classes

    def partial_fit(self, X, y, classes=None) -> LinearSVM:
        """One subgradient step on the mini-batch (X, y), y in {-1, +1}; returns self.

        ``classes``: the two labels, needed on the first call with ``labels=None``
        (scikit-learn's protocol); later calls use ``classes_``.
        """
        if getattr(self, "coef_", None) is not None:
            classes = self.classes_
        elif classes is None and self.labels is None:
            raise ValueError("LinearSVM: classes must be passed on the first call to partial_fit")
        X, y, classes = self._data(X, y, classes)
        lr = check_float(self.lr, self, "lr")
        if getattr(self, "coef_", None) is None:                  # first call: w = 0, b = 0, fix lambda
            self.lam_ = (1.0 / (check_float(self.C, self, "C") * X.shape[0]) if self.lam is None
                         else check_float(self.lam, self, "lam"))
            self.coef_, self.intercept_ = np.zeros(X.shape[1], dtype=X.dtype), 0.0
            self.n_features_in_, self.n_iter_, self.loss_curve_ = X.shape[1], 0, []
            self.classes_ = classes
        check_n_features(self, X, self.n_features_in_)
        y = y.astype(X.dtype)
        m, lam, w, b = X.shape[0], self.lam_, self.coef_.astype(X.dtype), self.intercept_
        f = y * (X @ w + b)                                       # y_i (w . x_i + b)
        self.loss_curve_.append(lam / 2 * float(w @ w) + float(np.mean(np.maximum(0.0, 1.0 - f))))
        active = f < 1                                            # hinge is active: y f < 1
        dw = lam * w - (y[active] @ X[active]) / m                # lambda w - (1/m) sum y_i x_i
        db = -float(np.sum(y[active])) / m                        # -(1/m) sum y_i
        t = self.n_iter_
        eta = lr / (1.0 + lr * lam * t) if self.decay else lr     # eta_t = lr / (1 + lr lambda t)
        self.coef_ = w - eta * dw                                 # w <- w - eta dJ/dw
        self.intercept_ = float(b - eta * db)                     # b <- b - eta dJ/db
        self.n_iter_ += 1
        return self

    def decision_function(self, X) -> Array:
        """f(x) = w . x + b; shape (m,).  |f(x)| / ||w|| is the distance to the boundary."""
        check_fitted(self, "coef_")
        X = check_array(X, self)
        check_n_features(self, X, self.n_features_in_)
        return X @ self.coef_ + self.intercept_

    def predict(self, X) -> np.ndarray:
        """sign(f(x)) in {-1, +1} (f = 0 gives -1, as the perceptron's sign), as labels of ``classes_``;
        shape (m,)."""
        return self._decode(np.where(self.decision_function(X) > 0, 1, -1))
