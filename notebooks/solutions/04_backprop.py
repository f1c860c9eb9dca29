"""Solutions to the exercises of notebook 04 (backprop, L16). 04 오차역전파법 연습 문제의 답."""


def linear_backward(dZ, A_prev, W):
    """Backward of Z = A_prev W^T + b, batch-first; dZ already holds the cost's 1/m (L16).

    The lecture's column form dW = (1/m) dZ A^T, db = (1/m) sum dZ, dA = W^T dZ, transposed.
    """
    dA_prev = dZ @ W            # lecture: W[l]^T dZ[l]
    dW = dZ.T @ A_prev          # lecture: dZ[l] A[l-1]^T
    db = dZ.sum(axis=0)         # lecture: sum over the examples
    return dA_prev, dW, db
