"""Solutions to the exercises of notebook 05 (optimizers, L22, L26). 05 최적화 연습 문제의 답."""

import numpy as np


def momentum_step(x, v, g, lr, beta):
    """v <- beta v - lr g, x <- x + v: the lecture's momentum (L22)."""
    v = beta * v - lr * g
    return x + v, v


def adam_step(x, M, V, g, t, lr, beta1, beta2, eps):
    """One Adam step with bias correction; t = 1 on the first step (L26)."""
    M = beta1 * M + (1 - beta1) * g              # first moment
    V = beta2 * V + (1 - beta2) * g * g          # second moment
    M_hat = M / (1 - beta1 ** t)                 # bias correction
    V_hat = V / (1 - beta2 ** t)
    x = x - lr * M_hat / (np.sqrt(V_hat) + eps)
    return x, M, V
