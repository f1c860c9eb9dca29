"""Matrix products: matmul and the affine layer's linear (L16, L39).

For Y = A B the chain rule gives dA = dY B^T and dB = A^T dY, the two
products the lecture derives for a layer (L16): with A = A_prev and
B = W^T they are ``Linear``'s dA_prev = dZ W and dW = dZ^T A_prev.
"""

from __future__ import annotations

from .function import Function
from .ops_shape import reshape, transpose, unbroadcast
from .tensor import Tensor, as_tensor

__all__ = ["matmul", "linear"]


def _mT(x: Tensor) -> Tensor:
    """The matrix transpose of the last two axes (x^T for a matrix)."""
    if x.ndim == 2:
        return transpose(x)
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return transpose(x, axes)


class MatMul(Function):
    """Y = A B (matrices, or stacks of matrices with NumPy's batch broadcasting)."""

    def forward(self, a, b):
        try:
            return a @ b
        except ValueError:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not match: the last axis of the "
                             f"first ({a.shape[-1]}) must equal the second-to-last axis of the second "
                             f"({b.shape[-2]})") from None

    def backward(self, gy):
        a, b = self.inputs
        ga = unbroadcast(gy @ _mT(b), a.shape) if a.requires_grad else None   # dA = dY B^T
        gb = unbroadcast(_mT(a) @ gy, b.shape) if b.requires_grad else None   # dB = A^T dY
        return ga, gb


def matmul(a, b) -> Tensor:
    """The matrix product ``a @ b`` with NumPy's rules for 1-D operands (promoted, then squeezed)."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least one axis, got shapes {a.shape} and {b.shape}")
    if a.ndim >= 2 and b.ndim >= 2:
        return MatMul()(a, b)
    a2 = reshape(a, (1, a.shape[0])) if a.ndim == 1 else a       # a row vector (1, n)
    b2 = reshape(b, (b.shape[0], 1)) if b.ndim == 1 else b       # a column vector (n, 1)
    y = MatMul()(a2, b2)
    shape = y.shape[:-2] + (y.shape[-2],) * (a.ndim > 1) + (y.shape[-1],) * (b.ndim > 1)
    return reshape(y, shape)


class Linear(Function):
    """Z = A_prev W^T + b, abcdl's Linear layer as one op (L16); W is (out, in) like ``layers.Linear``."""

    def forward(self, x, W, b=None):
        if x.shape[-1] != W.shape[-1] or W.ndim != 2:
            raise ValueError(f"linear: input of shape {x.shape} does not match W of shape {W.shape} "
                             f"(W is (out_features, in_features); the input's last axis must be in_features)")
        Z = x @ W.T                                     # Z = A_prev W^T   (lecture: W A[l-1])
        if b is not None:
            Z += b                                      #     + b
        return Z

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        gy2, x2 = gy, x
        if gy.ndim > 2:                                  # (m, T, out): the examples are all leading axes
            gy2, x2 = reshape(gy, (-1, gy.shape[-1])), reshape(x, (-1, x.shape[-1]))
        gx = gy @ W if x.requires_grad else None                             # dA_prev = dZ W
        gW = transpose(gy2) @ x2 if W.requires_grad else None                # dW = dZ^T A_prev
        if len(self.inputs) == 2:
            return gx, gW
        gb = gy2.sum(axis=0) if self.inputs[2].requires_grad else None       # db = sum_k dZ_k
        return gx, gW, gb


def linear(x, W, b=None) -> Tensor:
    """Z = x W^T + b (``b`` optional), PyTorch's ``F.linear`` and abcdl's ``Linear.forward``.

    Shapes
    ------
    x: (m, in) or (m, ..., in),  W: (out, in),  b: (out,)  ->  Z: (m, out) or (m, ..., out)

    Formula
    -------
    forward   Z = A_prev W^T + b
    backward  dA_prev = dZ W,  dW = dZ^T A_prev,  db = sum over examples of dZ
    """
    return Linear()(x, W) if b is None else Linear()(x, W, b)
