"""Solutions to the exercises of notebook 02 (perceptron, L7). 02 퍼셉트론 연습 문제의 답."""

import numpy as np


def pla_update(w, x, y):
    """One PLA step: w <- w + y x (L7); returns a new array, w is not changed."""
    return np.asarray(w, dtype=float) + y * np.asarray(x, dtype=float)   # w' = w + y_k x_k
