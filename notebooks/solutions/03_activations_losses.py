"""Solutions to the exercises of notebook 03 (L10-L14, L35). 03 활성화 함수와 손실 함수 연습 문제의 답."""

import numpy as np


def sigmoid(z):
    """sigma(z) = 1 / (1 + e^{-z}), stable for large |z|: e^{-|z|} never overflows (L10)."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z)) (L10, L15)."""
    s = sigmoid(z)
    return s * (1 - s)


def softmax(Z):
    """y_k = exp(z_k) / sum_i exp(z_i) over each row; the row maximum is subtracted first (L35)."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def softmax_cross_entropy(Z, t):
    """J = -(1/m) sum_k log y_{k, t_k} with y = softmax(Z), computed as log-sum-exp (L14, L35)."""
    m = Z.shape[0]
    c = Z.max(axis=1, keepdims=True)
    log_y = Z - c - np.log(np.exp(Z - c).sum(axis=1, keepdims=True))   # log softmax, no overflow
    return -log_y[np.arange(m), t].mean()


def softmax_cross_entropy_grad(Z, t):
    """dJ/dZ = (y - onehot(t)) / m (L15, L35)."""
    m = Z.shape[0]
    dZ = softmax(Z)
    dZ[np.arange(m), t] -= 1                                           # y - t
    return dZ / m
