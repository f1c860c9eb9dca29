"""``MLPClassifier``: an abcdl network behind scikit-learn's estimator API (L16, L31, L35-L37).

For learners moving on to scikit-learn: the same habits (``fit`` returns self,
``predict``, ``predict_proba``, ``score``, ``partial_fit``, fitted attributes
ending in ``_``), with abcdl's layers, Adam and training loop underneath, so
``clone``, ``Pipeline``, ``cross_val_score`` and ``GridSearchCV`` accept it.
``alpha`` is the lecture's L2 strength lambda, J = J0 + (lambda / 2m) sum ||W||^2
(L31), which is also scikit-learn's definition.  The defaults and where they
differ from scikit-learn's are listed in :mod:`abcdl.models._mlp_base`.
"""

from __future__ import annotations

import numpy as np

from ..functions import softmax
from ..losses import SoftmaxCrossEntropyLoss
from ._base import ClassifierBase
from ._estimator import check_labels
from ._mlp_base import BaseMLP

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierBase, BaseMLP):
    """A softmax MLP classifier trained with mini-batch Adam (or SGD) (L16, L35, L36).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int, default (100,)
        n[1], ..., n[L-1].
    activation : "relu" | "tanh" | "sigmoid" | "leaky_relu", default "relu"
    solver : "adam" | "sgd", default "adam" ("sgd" uses ``momentum``)
    alpha : float, default 1e-4
        L2 strength lambda (0: none).
    batch_size : int or "auto", default "auto"
        "auto" is min(200, m), as scikit-learn.
    learning_rate_init : float, default 1e-3
    max_iter : int, default 200
        Epochs (full passes over the data) at most.
    tol : float, default 1e-4
        Training stops when the loss (the validation loss with ``early_stopping``)
        has not improved by ``tol`` for ``n_iter_no_change`` epochs.
    momentum : float, default 0.9
        For ``solver="sgd"``.
    dropout : float, default 0
        Drop probability after each hidden layer (0: none).
    batch_norm : bool, default False
    validation_fraction : float, default 0.1
        Held out for ``early_stopping`` (then reported in ``validation_scores_``).
    early_stopping : bool, default False
        Stop on the validation loss and keep the best weights (L37).
    n_iter_no_change : int, default 10
    random_state : int, Generator or None
        Initial weights, dropout masks, shuffling and the validation split.
    verbose : 0, 1 or 2
        As :func:`abcdl.train.fit`.

    Attributes
    ----------
    classes_ : ndarray (K,)
    model_ : Sequential
        The trained network (its outputs are the logits z); ``abcdl.export`` takes it.
    optimizer_ : the optimizer, kept for ``partial_fit``
    loss_curve_ : list of float
        Training loss (with the L2 penalty) per epoch.
    validation_scores_ : list of float or None
        Validation loss per epoch with ``early_stopping``.
    n_iter_ : int
        Epochs run (over all ``fit``/``partial_fit`` calls since the last ``fit``).
    n_features_in_ : int

    Formula
    -------
    z = f(x; W),  P(class k | x) = softmax(z)_k,  J = -(1/m) sum log P(t | x) + (lambda/2m) sum ||W||^2
    """

    def _loss(self):
        return SoftmaxCrossEntropyLoss()

    def _targets(self, y, m: int, classes=None, first: bool = False):
        y = check_labels(y, self, m)
        if first:
            given = y if classes is None else check_labels(classes, self, np.size(classes), "classes")
            self.classes_ = np.unique(given)
            if len(self.classes_) < 2:
                raise ValueError("MLPClassifier: y needs at least 2 classes, got 1 class")
        t = np.searchsorted(self.classes_, y)
        t = np.minimum(t, len(self.classes_) - 1)
        if not np.array_equal(self.classes_[t], y):
            raise ValueError(f"MLPClassifier: y holds labels not in classes_ {self.classes_.tolist()}")
        return t, len(self.classes_)

    def partial_fit(self, X, y, classes=None) -> MLPClassifier:
        """One epoch of mini-batch training on (X, y) from the current weights (L36); returns self.

        ``classes`` (every label the batches will hold) is required on the first call.
        """
        if classes is None and getattr(self, "model_", None) is None:
            raise ValueError("MLPClassifier: classes must be passed on the first call to partial_fit "
                             "(all the labels the batches will hold)")
        return self._partial(X, y, classes)

    def decision_function(self, X) -> np.ndarray:
        """The logits z (m, K), columns in the order of ``classes_``; for K = 2 the log-odds
        z_1 - z_0 = log(P(classes_[1] | x) / P(classes_[0] | x)), shape (m,), as scikit-learn."""
        z = self._forward(X)
        return z[:, 1] - z[:, 0] if z.shape[1] == 2 else z

    def predict_proba(self, X) -> np.ndarray:
        """Softmax probabilities (m, K), columns in the order of ``classes_`` (L35)."""
        return softmax(self._forward(X))

    def predict(self, X) -> np.ndarray:
        """classes_[argmax_k z_k]; shape (m,)."""
        z = self._forward(X)
        return self.classes_[np.argmax(z, axis=1)]
