"""Solutions to the exercises of notebook 06 (L33, L34). 06 초기값과 정규화 연습 문제의 답."""

import numpy as np


def dropout(A, keep_prob, rng):
    """Inverted dropout in training: D ~ Bernoulli(keep_prob), A_out = A * D / keep_prob (L33)."""
    D = (rng.random(A.shape) < keep_prob).astype(A.dtype)
    return A * D / keep_prob, D


def batchnorm_forward(Z, gamma, beta, eps):
    """Z~ = gamma (Z - mu) / sqrt(sigma^2 + eps) + beta, statistics over the batch axis (L34)."""
    mu = Z.mean(axis=0)                          # mu = (1/m) sum_k z_k
    var = ((Z - mu) ** 2).mean(axis=0)           # sigma^2 = (1/m) sum_k (z_k - mu)^2
    Z_norm = (Z - mu) / np.sqrt(var + eps)
    return gamma * Z_norm + beta
