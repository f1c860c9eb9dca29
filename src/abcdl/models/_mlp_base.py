"""What ``MLPClassifier`` and ``MLPRegressor`` share: parameters, training, partial_fit (L16, L31, L36, L37).

Both are an abcdl ``mlp`` network behind scikit-learn's estimator protocol.  The
parameters keep scikit-learn's names and, where the names are the same, its
defaults (``hidden_layer_sizes=(100,)``, ``activation="relu"``, ``solver="adam"``,
``alpha=1e-4``, ``batch_size="auto"`` = min(200, m), ``learning_rate_init=1e-3``,
``max_iter=200``, ``tol=1e-4``, ``n_iter_no_change=10``, ``momentum=0.9``,
``validation_fraction=0.1``, ``early_stopping=False``).  Where abcdl differs:

- the weights start from He (ReLU) or Xavier (sigmoid, tanh) normal draws (L28),
  where scikit-learn draws Glorot-uniform weights for every activation;
- ``early_stopping`` watches the validation *loss* (the lecture's L37 curve) and
  restores the best weights; scikit-learn watches the validation accuracy (R^2);
- without early stopping, training stops once the training loss has not
  improved by ``tol`` for ``n_iter_no_change`` epochs in a row (scikit-learn
  waits one epoch more: "more than n_iter_no_change");
- only the "adam" and "sgd" solvers (no L-BFGS), no learning-rate schedules;
- ``dropout`` and ``batch_norm`` are abcdl's additions (L33, L34).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from .._config import get_rng
from ..callbacks import EarlyStopping
from ..data import train_val_split
from ..optim import SGD, Adam
from ..regularizers import L2
from ..train import fit, predict
from ._base import BaseEstimator
from ._estimator import (
    ConvergenceWarning,
    check_array,
    check_fitted,
    check_float,
    check_int,
    check_n_features,
)
from .feedforward import mlp

__all__ = ["BaseMLP"]


class BaseMLP(BaseEstimator):
    """Shared parameters and training loop; subclasses set the loss and the targets."""

    def __init__(self, hidden_layer_sizes: Sequence[int] = (100,), activation: str = "relu",
                 solver: str = "adam", alpha: float = 1e-4, batch_size: int | str = "auto",
                 learning_rate_init: float = 1e-3, max_iter: int = 200, tol: float = 1e-4,
                 momentum: float = 0.9, dropout: float = 0.0, batch_norm: bool = False,
                 validation_fraction: float = 0.1, early_stopping: bool = False,
                 n_iter_no_change: int = 10, random_state=None, verbose: int = 0) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.momentum = momentum
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose

    # -- hooks of the subclasses: the loss, the targets, the number of outputs ------------------
    def _loss(self):
        raise NotImplementedError

    def _targets(self, y, m: int, classes=None, first: bool = False):
        """(t for the loss, number of outputs n[L]); sets the target attributes on ``first``."""
        raise NotImplementedError

    # -- checks --------------------------------------------------------------------------------
    def _check_X(self, X) -> np.ndarray:
        return check_array(X, self)

    def _check_settings(self) -> None:
        if self.solver not in ("adam", "sgd"):
            raise ValueError(f"{type(self).__name__}: solver must be 'adam' or 'sgd', got {self.solver!r}")
        check_float(self.alpha, self, "alpha", strict=False)
        check_float(self.learning_rate_init, self, "learning_rate_init")
        check_int(self.max_iter, self, "max_iter")
        if self.batch_size != "auto":
            check_int(self.batch_size, self, "batch_size")

    def _batch(self, m: int) -> int:
        return min(200, m) if self.batch_size == "auto" else min(self.batch_size, m)   # scikit-learn's "auto"

    # -- training ------------------------------------------------------------------------------
    def _start(self, n_features: int, n_outputs: int, dtype) -> None:
        """A fresh network in the dtype of X (float32 stays float32), its optimizer, the fitted attributes."""
        self._rng = get_rng(self.random_state)
        self.model_ = mlp(n_features, self.hidden_layer_sizes, n_outputs, self.activation,
                          self.dropout, self.batch_norm, rng=self._rng, dtype=dtype)
        params = self.model_.parameters()
        self.optimizer_ = (Adam(params, lr=self.learning_rate_init) if self.solver == "adam"
                           else SGD(params, lr=self.learning_rate_init, momentum=self.momentum))
        self.n_features_in_ = n_features
        self.loss_curve_, self.validation_scores_, self.n_iter_ = [], None, 0

    def _epochs(self, X, t, epochs: int, callbacks=(), validation=None):
        X = X.astype(self.model_.parameters()[0].dtype, copy=False)
        history = fit(self.model_, self._loss(), self.optimizer_, (X, t), epochs=epochs,
                      batch_size=self._batch(len(X)), validation=validation, callbacks=list(callbacks),
                      verbose=self.verbose, rng=self._rng,
                      regularizer=L2(self.alpha) if self.alpha else None)   # J = J0 + (lambda/2m) sum ||W||^2
        self.loss_curve_ += list(history.history["loss"])
        self.n_iter_ = len(self.loss_curve_)
        self.model_.eval()
        return history

    def fit(self, X, y):
        """Train a new network for up to ``max_iter`` epochs of mini-batch Adam/SGD (L36); returns self."""
        self._check_settings()
        X = self._check_X(X)
        t, n_out = self._targets(y, X.shape[0], first=True)
        self._start(X.shape[1], n_out, X.dtype)
        patience = check_int(self.n_iter_no_change, self, "n_iter_no_change")
        tol = check_float(self.tol, self, "tol", strict=False)
        validation = None
        if self.early_stopping:     # L37: stop on the validation loss, keep its best weights
            (X, t), validation = train_val_split(X, t, self.validation_fraction, rng=self._rng)
            stop = EarlyStopping("val_loss", patience=patience, min_delta=tol)
        else:                       # scikit-learn's tol rule on the training loss
            stop = EarlyStopping("loss", patience=patience, min_delta=tol, restore_best_weights=False)
        history = self._epochs(X, t, self.max_iter, [stop], validation)
        if validation is not None:
            self.validation_scores_ = [float(v) for v in history.history.get("val_loss", [])]
        if stop.stopped_epoch is None:
            warnings.warn(f"{type(self).__name__}: stopped at max_iter={self.max_iter} epochs before the "
                          "loss settled (raise max_iter or tol)", ConvergenceWarning, stacklevel=2)
        return self

    def _partial(self, X, y, classes=None):
        """One epoch over (X, y) from the current weights and optimizer state (L36)."""
        self._check_settings()
        X = self._check_X(X)
        first = getattr(self, "model_", None) is None
        t, n_out = self._targets(y, X.shape[0], classes=classes, first=first)
        if first:
            self._start(X.shape[1], n_out, X.dtype)
        check_n_features(self, X, self.n_features_in_)
        self._epochs(X, t, 1)
        return self

    # -- using the fitted network --------------------------------------------------------------
    def _forward(self, X) -> np.ndarray:
        """The network's outputs z = f(x) in eval mode (dropout off, BN running statistics), in X's dtype."""
        check_fitted(self, "model_")
        X = self._check_X(X)
        check_n_features(self, X, self.n_features_in_)
        out = predict(self.model_, X.astype(self.model_.parameters()[0].dtype, copy=False))
        return out.astype(X.dtype, copy=False)          # float64 in, float64 out (the network may be float32)
