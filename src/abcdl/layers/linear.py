"""Fully connected (affine) layer, L16."""

from __future__ import annotations

import numpy as np

from .. import init as _init
from .._checks import check_positive_int
from .._config import resolve_dtype
from .._types import Array, Rng
from ..module import Module
from ..parameter import Parameter
from ._checks import check_input, need_forward


class Linear(Module):
    """Affine layer  Z = A_prev W^T + b  (L16).

    The lecture writes Z[l] = W[l] A[l-1] + b[l] with examples as *columns*;
    abcdl keeps examples as *rows* (A_code = A_lecture^T), so the same formula
    reads Z = A_prev W^T + b.  W keeps the lecture's shape (n[l], n[l-1]) = (out, in),
    which is also PyTorch's ``nn.Linear.weight``.

    Parameters
    ----------
    in_features, out_features : int
        n[l-1] and n[l].
    init : "he" | "xavier" | "he_uniform" | "xavier_uniform" | float
        Weight initialisation (L28); a float is the std of N(0, std^2). b starts at 0.
    bias : bool
        Whether to learn b.
    rng : np.random.Generator, optional
        Source of the initial weights (default: the generator of ``abcdl.seed``).
    dtype : float32 | float64, optional
        Default: ``abcdl.get_default_dtype()``.

    Shapes
    ------
    A_prev: (m, in_features) -> Z: (m, out_features)
    A_prev: (m, T, in_features) -> Z: (m, T, out_features): a sequence (L40); the same
    W at every step, computed as one GEMM on the m*T rows (each step is one more row).

    Formula
    -------
    forward   Z = A_prev W^T + b
    backward  dW = dZ^T A_prev,  db = sum_k dZ_k,  dA_prev = dZ W
              (lecture: dW = (1/m) dZ A^T; the 1/m lives in the loss's backward)
    """

    def __init__(self, in_features: int, out_features: int, init="he", bias: bool = True,
                 rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "Linear: in_features")     # n[l-1]
        self.out_features = check_positive_int(out_features, "Linear: out_features")  # n[l]
        self.init = init
        dt = resolve_dtype(dtype)
        self.W = Parameter(_init.initializer(init, (self.out_features, self.in_features), rng, dt))
        self.b = Parameter(np.zeros(self.out_features, dtype=dt)) if bias else None
        self._A_prev = None
        self._lead: tuple[int, ...] = ()

    def forward(self, A_prev: Array) -> Array:
        n = self.in_features
        if np.ndim(A_prev) == 3:                     # a sequence (m, T, n[l-1])
            A_prev = check_input(self, A_prev, 3, expect=f"(m, T, {n})")
            if A_prev.shape[2] != n:
                raise ValueError(f"{self._where()}: expected input of shape (m, T, {n}), got {A_prev.shape}")
        else:
            A_prev = check_input(self, A_prev, 2, n, f"(m, {n})")
        self._lead = A_prev.shape[:-1]               # (m,) or (m, T)
        A_prev = A_prev.reshape(-1, n)               # rows: examples (times steps)
        self._A_prev = A_prev
        Z = A_prev @ self.W.data.T                   # Z = A_prev W^T   (lecture: W A[l-1])
        if self.b is not None:
            Z += self.b.data                         #     + b
        return Z.reshape(*self._lead, self.out_features)

    def backward(self, dZ: Array, input_grad: bool = True) -> Array | None:
        """Accumulate dW, db and return dA_prev (``None`` when ``input_grad=False``).

        The first layer of a network need not compute dA_prev (nothing learns from
        the data's gradient): skipping it saves one of the step's GEMMs (see Module).
        """
        need_forward(self, self._A_prev)
        A_prev = self._A_prev
        dZ = np.reshape(dZ, (-1, self.out_features))   # rows like A_prev's (m, or m*T)
        self.W.grad += dZ.T @ A_prev                 # dW = dZ^T A_prev  (lecture: dZ[l] A[l-1]^T)
        if self.b is not None:
            self.b.grad += dZ.sum(axis=0)            # db = sum over examples of dZ
        if not input_grad:
            return None
        dA_prev = dZ @ self.W.data                   # dA_prev = dZ W    (lecture: W^T dZ[l])
        return dA_prev.reshape(*self._lead, self.in_features)

    def extra_repr(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"{self.in_features}, {self.out_features}{bias}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.b is not None}
