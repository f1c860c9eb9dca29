"""``MLPClassifier``: an abcdl network behind scikit-learn's estimator API (L16, L31, L35-L37).

For learners moving on to scikit-learn: the same habits (``fit`` returns self,
``predict``, ``predict_proba``, ``score``, fitted attributes ending in ``_``), with
abcdl's layers, Adam and training loop underneath.  ``alpha`` is the lecture's
L2 strength lambda, J = J0 + (lambda / 2m) sum ||W||^2 (L31), which is also
scikit-learn's definition.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._config import get_rng
from ..callbacks import EarlyStopping
from ..data import train_val_split
from ..functions import softmax
from ..losses import SoftmaxCrossEntropyLoss
from ..optim import SGD, Adam
from ..regularizers import L2
from ..train import fit, predict
from ._estimator import NotFittedError
from .feedforward import mlp


class MLPClassifier:
    """A softmax MLP classifier trained with mini-batch Adam (or SGD).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int
        n[1], ..., n[L-1] (default (100,)).
    activation : "relu" | "tanh" | "sigmoid" | "leaky_relu"
    solver : "adam" | "sgd"
    alpha : float
        L2 strength lambda (default 0: none).
    batch_size : int
    learning_rate_init : float
    max_iter : int
        Epochs (full passes over the data).
    dropout : float
        Drop probability after each hidden layer (0: none).
    batch_norm : bool
    validation_fraction : float
        Held out for ``early_stopping`` (and then reported in ``validation_scores_``).
    early_stopping : bool
        Stop when the validation loss has not improved for ``n_iter_no_change`` epochs
        and keep the best weights.
    random_state : int, Generator or None
    verbose : 0, 1 or 2
        As :func:`abcdl.train.fit`.

    Attributes
    ----------
    classes_ : ndarray (K,)
    model_ : Sequential
    loss_curve_ : list of float
        Training loss (with the L2 penalty) per epoch.
    validation_scores_ : list of float or None
    n_iter_ : int
        Epochs run.
    """

    def __init__(self, hidden_layer_sizes: Sequence[int] = (100,), activation: str = "relu",
                 solver: str = "adam", alpha: float = 0.0, batch_size: int = 100,
                 learning_rate_init: float = 1e-3, max_iter: int = 20, dropout: float = 0.0,
                 batch_norm: bool = False, validation_fraction: float = 0.1,
                 early_stopping: bool = False, n_iter_no_change: int = 5, random_state=None,
                 verbose: int = 0) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose

    def _check_X(self, X) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"MLPClassifier: X must have shape (m, n_features), got {X.shape}")
        if not np.issubdtype(X.dtype, np.number):
            raise TypeError(f"MLPClassifier: X must be numeric, got dtype {X.dtype}")
        if not np.all(np.isfinite(X)):
            raise ValueError("MLPClassifier: X contains NaN or Inf")
        return X

    def fit(self, X, y) -> MLPClassifier:
        X = self._check_X(X)
        y = np.asarray(y)
        if y.shape != (X.shape[0],):
            raise ValueError(f"MLPClassifier: y must have shape ({X.shape[0]},), got {y.shape}")
        if self.solver not in ("adam", "sgd"):
            raise ValueError(f"MLPClassifier: solver must be 'adam' or 'sgd', got {self.solver!r}")
        if self.alpha < 0:
            raise ValueError(f"MLPClassifier: alpha must be >= 0, got {self.alpha}")
        self.classes_, t = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError("MLPClassifier: y needs at least 2 classes")
        rng = get_rng(self.random_state)
        self.model_ = mlp(X.shape[1], self.hidden_layer_sizes, len(self.classes_), self.activation,
                          self.dropout, self.batch_norm, rng=rng)
        dtype = self.model_.parameters()[0].dtype
        X = X.astype(dtype, copy=False)
        params = self.model_.parameters()
        opt = (Adam(params, lr=self.learning_rate_init) if self.solver == "adam"
               else SGD(params, lr=self.learning_rate_init, momentum=0.9))
        validation, callbacks = None, []
        if self.early_stopping:
            (X, t), validation = train_val_split(X, t, self.validation_fraction, rng=rng)
            callbacks.append(EarlyStopping("val_loss", patience=self.n_iter_no_change))
        history = fit(self.model_, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=self.max_iter,
                      batch_size=self.batch_size, validation=validation, callbacks=callbacks,
                      verbose=self.verbose, rng=rng, regularizer=L2(self.alpha) if self.alpha else None)
        self.loss_curve_ = list(history.history["loss"])
        self.validation_scores_ = list(history.history.get("val_accuracy", [])) or None
        self.n_iter_ = len(self.loss_curve_)
        self.model_.eval()
        return self

    def _fitted(self):
        if not hasattr(self, "model_"):
            raise NotFittedError("MLPClassifier is not fitted yet: call fit(X, y) first")
        return self.model_

    def predict_proba(self, X) -> np.ndarray:
        """Softmax probabilities (m, K), columns in the order of ``classes_`` (L35)."""
        model = self._fitted()
        X = self._check_X(X).astype(model.parameters()[0].dtype, copy=False)
        return softmax(predict(model, X))

    def predict(self, X) -> np.ndarray:
        P = self.predict_proba(X)
        return self.classes_[np.argmax(P, axis=1)]

    def score(self, X, y) -> float:
        """Mean accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y)))
