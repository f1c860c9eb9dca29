"""``MLPRegressor``: an abcdl network fitted to real-valued targets by mean squared error (L13, L16, L36).

The same network and training loop as :class:`~abcdl.models.MLPClassifier`,
with a linear output layer and the squared error of L13/L18 instead of the
softmax cross-entropy.  Defaults and the differences from scikit-learn's
``MLPRegressor`` are listed in :mod:`abcdl.models._mlp_base`.
"""

from __future__ import annotations

import numpy as np

from ..losses import MSELoss
from ._base import RegressorBase
from ._estimator import check_targets
from ._mlp_base import BaseMLP

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorBase, BaseMLP):
    """An MLP regressor: identity output, mean squared error, mini-batch Adam (or SGD).

    Parameters
    ----------
    As :class:`~abcdl.models.MLPClassifier` (``hidden_layer_sizes``, ``activation``,
    ``solver``, ``alpha``, ``batch_size``, ``learning_rate_init``, ``max_iter``, ``tol``,
    ``momentum``, ``dropout``, ``batch_norm``, ``validation_fraction``,
    ``early_stopping``, ``n_iter_no_change``, ``random_state``, ``verbose``).

    Attributes
    ----------
    model_ : Sequential
    n_outputs_ : int            Columns of y (1 for a 1-D y).
    loss_curve_, validation_scores_, n_iter_, n_features_in_ : as MLPClassifier

    Shapes
    ------
    X: (m, d);  y: (m,) or (m, k)  ->  predict(X): the same shape as y

    Formula
    -------
    y^ = f(x; W)  (no output activation),  J = (1/(m k)) sum (y^ - y)^2 + (lambda/2m) sum ||W||^2

    Notes
    -----
    J is abcdl's ``MSELoss``, the mean over every element (PyTorch's); scikit-learn
    minimises half of it, which only rescales the learning rate.
    """

    def _loss(self):
        return MSELoss()

    def _targets(self, y, m: int, classes=None, first: bool = False):
        if y is None:
            check_targets(y, self, m)                       # raises: y is required
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:                  # several outputs
            y = np.stack([check_targets(col, self, m) for col in y.T], axis=1)
        else:
            y = check_targets(y, self, m)[:, None]          # (m,) -> (m, 1), one output unit
        if first:
            self._one_d = y.shape[1] == 1
            self.n_outputs_ = y.shape[1]
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"MLPRegressor: y has {y.shape[1]} outputs, fitted with {self.n_outputs_}")
        return y.astype(np.float64), y.shape[1]

    def partial_fit(self, X, y) -> MLPRegressor:
        """One epoch of mini-batch training on (X, y) from the current weights (L36); returns self."""
        return self._partial(X, y)

    def predict(self, X) -> np.ndarray:
        """y^ = f(x); shape (m,) when fitted on a 1-D y, else (m, k)."""
        out = self._forward(X)
        return out[:, 0] if self._one_d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
