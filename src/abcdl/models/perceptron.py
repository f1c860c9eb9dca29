"""Rosenblatt's perceptron and the perceptron learning algorithm, PLA (L5, L7).

The lecture's hypothesis, with the bias folded into the weights as w0 and a
constant input x0 = 1:

    h(x) = sign(sum_{i=1}^d w_i x_i + b) = sign(w . x),   w = (w0, w1, ..., wd),  x = (1, x1, ..., xd)

PLA: while some training point is misclassified, pick one of them, x_k, at
random and update  w <- w + y_k x_k.  After the update y_k w' . x_k =
y_k w . x_k + |x_k|^2 > y_k w . x_k, so the boundary moves the right way for x_k.
On linearly separable data this stops after finitely many updates (Novikoff);
on non-separable data (XOR, L9) it never would, so ``max_updates`` bounds it.

The slide's worked example, reproducible with :func:`pla_update`::

    w = (-12, 2, 3)
    pla_update(w, (1, 2, 2), +1)          -> (-11, 4, 5)
    pla_update((-11, 4, 5), (1, 4, 0), -1) -> (-12, 0, 5)
    pla_update((-12, 0, 5), (1, 2, 2), +1) -> (-11, 2, 7)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .. import functions as F
from .._types import Array, Rng
from ._base import ClassifierBase
from ._estimator import (
    ConvergenceWarning,
    check_array,
    check_fitted,
    check_int,
    check_n_features,
    resolve_random_state,
)

__all__ = ["Perceptron", "PLAUpdate", "pla_update", "add_bias_column", "ConvergenceWarning"]


def add_bias_column(X) -> Array:
    """Prepend the constant input x0 = 1 to every row: (m, d) -> (m, d + 1) (L5).

    w . x with x = (1, x1, ..., xd) is then w0 + w1 x1 + ... + wd xd = b + sum_i w_i x_i.
    """
    X = np.asarray(X)
    return np.hstack([np.ones((X.shape[0], 1), dtype=X.dtype), X])


def _check_label(y) -> float:
    y = float(y)
    if y not in (-1.0, 1.0):
        raise ValueError(f"pla_update: the label y must be -1 or +1, got {y}")
    return y


def pla_update(w, x, y) -> Array:
    """One PLA step  w' = w + y x  (L7).

    Parameters
    ----------
    w : array_like, shape (d + 1,)
        Current weights (w0, w1, ..., wd), bias first.
    x : array_like, shape (d + 1,)
        The chosen point with its constant input, (1, x1, ..., xd), as on the slide.
    y : {-1, +1}
        Its label.

    Returns
    -------
    ndarray, shape (d + 1,): the new weights; ``w`` is not modified.  Integer
    inputs give float64, exact for the slide's small integers.

    Notes
    -----
    The PLA applies this only to a misclassified point (y w . x <= 0); the
    function itself does not check that, so a learner can try any step.

    Examples
    --------
    >>> pla_update((-12, 2, 3), (1, 2, 2), +1)
    array([-11.,   4.,   5.])
    """
    w = np.asarray(w)
    if not np.issubdtype(w.dtype, np.floating):
        w = w.astype(np.float64)
    x = np.asarray(x, dtype=w.dtype)
    if w.ndim != 1 or x.shape != w.shape:
        raise ValueError(f"pla_update: w and x must be 1-D of the same length, got {w.shape} and {x.shape}")
    return w + _check_label(y) * x                   # w' = w + y_k x_k


@dataclass(frozen=True)
class PLAUpdate:
    """One recorded PLA step, enough to replay the slide: w_after = w_before + y x.

    Attributes
    ----------
    step : int            0 for the first update.
    index : int           Row of the training set that was picked.
    x : ndarray (d + 1,)  The picked point with x0 = 1 in front.
    y : float             Its label, -1 or +1.
    w_before, w_after : ndarray (d + 1,)
    n_misclassified : int How many points were misclassified (y w.x <= 0) when it was picked.
    """

    step: int
    index: int
    x: np.ndarray
    y: float
    w_before: np.ndarray
    w_after: np.ndarray
    n_misclassified: int


class Perceptron(ClassifierBase):
    """Perceptron trained by the PLA: pick a misclassified point at random, w <- w + y x (L5, L7).

    Parameters
    ----------
    max_updates : int, default 1000
        Upper bound on the number of PLA updates.  If points are still
        misclassified after that many (the data is not linearly separable, or
        not yet separated), ``fit`` stops, sets ``converged_ = False`` and warns
        with :class:`ConvergenceWarning`: it never loops forever.
    w_init : array_like of shape (n_features + 1,), optional
        Starting weights (w0, w1, ..., wd), bias first, e.g. the slide's
        (-12, 2, 3).  Default: all zeros.
    random_state : int, np.random.Generator or None
        Which misclassified point is picked at each step; None uses the library
        generator (``abcdl.seed``).
    labels : pair or None, default (-1, 1)
        The labels ``fit`` accepts, (negative, positive): the lecture's -1/+1 by
        default, so 0/1 labels are refused with a hint.  None accepts any two
        labels (numbers or strings, as scikit-learn): the larger one, ``classes_[1]``,
        becomes y = +1 inside the PLA, and ``predict`` answers in the given labels.

    Attributes
    ----------
    w_ : ndarray (n_features + 1,)   The full weight vector (w0, w1, ..., wd).
    coef_ : ndarray (n_features,)    w1..wd.
    intercept_ : float               w0 = b.
    updates_ : list[PLAUpdate]       Every update in order: index, x, y, w before, w after.
    n_iter_ : int                    Number of updates made (len(updates_)).
    converged_ : bool                True when no training point is misclassified.
    classes_ : ndarray               array([-1, 1]) (with ``labels=None``, the two labels seen).
    n_features_in_ : int

    Formula
    -------
    h(x) = sign(w . x),  x = (1, x1, ..., xd)          (sign(0) = -1: on the boundary is wrong)
    misclassified:  y_k w . x_k <= 0
    update:         w <- w + y_k x_k

    Notes
    -----
    The lecture writes the test as y_k w . x_k < 0.  Here a point *on* the
    boundary (y_k w . x_k = 0) also counts as misclassified: from the usual
    start w = 0 every point has w . x = 0, so with the strict test nothing would
    be misclassified and the PLA would stop at once with w = 0, a hypothesis
    that separates nothing.  With <= 0 the final w has y_k w . x_k > 0 for every
    training point, i.e. a strict separation.
    """

    update = staticmethod(pla_update)
    _codes = (-1, 1)

    def __init__(self, max_updates: int = 1000, w_init=None, random_state: int | Rng | None = None,
                 labels: tuple | None = (-1, 1)) -> None:
        self.max_updates = max_updates
        self.w_init = w_init
        self.random_state = random_state
        self.labels = labels

    # -- training ---------------------------------------------------------------
    def fit(self, X, y) -> Perceptron:
        """Run the PLA on ``X`` (m, d) with labels ``y`` in {-1, +1} (see ``labels``); returns self."""
        max_updates = check_int(self.max_updates, self, "max_updates", low=0)
        X = check_array(X, self)
        y, classes = self._binary_y(y, X.shape[0], hint=" (use y = 2 t - 1 for 0/1 labels)")
        rng = resolve_random_state(self.random_state)
        Xa = add_bias_column(X)                          # x = (1, x1, ..., xd)
        y = y.astype(Xa.dtype)
        w = self._initial_weights(Xa.shape[1], Xa.dtype)

        updates: list[PLAUpdate] = []
        while True:
            wrong = np.flatnonzero(y * (Xa @ w) <= 0)  # misclassified: y_k w.x_k <= 0
            if wrong.size == 0 or len(updates) >= max_updates:
                break
            k = int(wrong[rng.integers(wrong.size)])   # pick one of them at random
            w_new = pla_update(w, Xa[k], y[k])         # w <- w + y_k x_k
            updates.append(PLAUpdate(len(updates), k, Xa[k].copy(), float(y[k]), w, w_new, int(wrong.size)))
            w = w_new

        self.converged_ = bool(wrong.size == 0)
        if not self.converged_:
            warnings.warn(
                f"Perceptron: {wrong.size} of {len(y)} points are still misclassified after "
                f"max_updates={max_updates} PLA updates; the data may not be linearly separable "
                "(e.g. XOR, L9). Stopped.", ConvergenceWarning, stacklevel=2)
        self.w_ = w
        self.coef_ = w[1:].copy()
        self.intercept_ = float(w[0])
        self.updates_ = updates
        self.n_iter_ = len(updates)
        self.n_features_in_ = X.shape[1]
        self.classes_ = classes
        return self

    def _initial_weights(self, n: int, dtype) -> np.ndarray:
        if self.w_init is None:
            return np.zeros(n, dtype=dtype)
        w0 = np.asarray(self.w_init, dtype=dtype)
        if w0.shape != (n,):
            raise ValueError(f"Perceptron: w_init must have shape ({n},) = (n_features + 1,) with the "
                             f"bias w0 first, got {w0.shape}")
        if not np.all(np.isfinite(w0)):
            raise ValueError("Perceptron: w_init contains NaN or Inf")
        return w0.copy()

    # -- using the fitted model -------------------------------------------------
    def _checked(self, X) -> np.ndarray:
        check_fitted(self, "w_")
        X = check_array(X, self)
        check_n_features(self, X, self.n_features_in_)
        return X

    def decision_function(self, X) -> Array:
        """w . x = w0 + sum_i w_i x_i for each row of X; shape (m,)."""
        X = self._checked(X)
        return X @ self.coef_ + self.intercept_        # w . x  with x0 = 1

    def predict(self, X) -> np.ndarray:
        """h(x) = sign(w . x) in {-1, +1} (a point on the boundary gets -1), as labels of ``classes_``;
        shape (m,)."""
        return self._decode(F.sign(self.decision_function(X)).astype(np.int64))

    def misclassified(self, X, y) -> np.ndarray:
        """Indices k with y_k w . x_k <= 0 under the current weights (the PLA's candidates)."""
        X = self._checked(X)
        y = self._binary_y(y, X.shape[0], classes=self.classes_)[0]
        return np.flatnonzero(y * (X @ self.coef_ + self.intercept_) <= 0)
