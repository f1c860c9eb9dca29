"""Checkers for parts 2 and 4 of the lecture: one PLA update (L7), a linear layer's backward (L16)."""

from __future__ import annotations

import numpy as np

from ..layers import Linear
from ..models import pla_update
from ..numdiff import numerical_gradient
from ._check import AnswerError, as_array, call, checker, expect_close, fmt, unpack

__all__ = ["check_pla_update", "check_linear_backward"]

# The slide's worked example (L7): w, the misclassified point x (x0 = 1 first), its label y, the new w.
_SLIDE = (((-12.0, 2.0, 3.0), (1.0, 2.0, 2.0), +1, (-11.0, 4.0, 5.0)),
          ((-11.0, 4.0, 5.0), (1.0, 4.0, 0.0), -1, (-12.0, 0.0, 5.0)),
          ((-12.0, 0.0, 5.0), (1.0, 2.0, 2.0), +1, (-11.0, 2.0, 7.0)))


@checker("pla_update")
def check_pla_update(fn) -> int:
    """Check ``pla_update(w, x, y) -> w + y x``: one step of the perceptron learning algorithm (L7).

    w and x are (d + 1,) arrays with the bias first (x0 = 1), y is -1 or +1.  Checks: the
    slide's three steps from w = (-12, 2, 3); ``w`` is not changed in place; a random
    d = 5 step against :func:`abcdl.models.pla_update`.
    """
    for w, x, y, new in _SLIDE:
        w, x, new = np.array(w), np.array(x), np.array(new)
        got = as_array(call(fn, w.copy(), x.copy(), y), "w_new", w.shape)
        expect_close(got, new, "w_new", f"w = {fmt(w)}, x = {fmt(x)}, y = {y:+d}",
                     reference="the slide / 강의 슬라이드 (L7)", hints=(
                         (w + x, "y를 곱하세요: w ← w + y x", "multiply by the label y: w <- w + y x"),
                         (w - y * x, "w ← w + y x: 더해야 합니다", "w <- w + y x: add, do not subtract")))
    rng = np.random.default_rng(7)
    w, x = rng.standard_normal(6), np.concatenate([[1.0], rng.standard_normal(5)])
    w_before = w.copy()
    got = as_array(call(fn, w, x.copy(), -1), "w_new", w.shape)
    if not np.array_equal(w, w_before):
        raise AnswerError("inplace", "pla_update가 입력 w를 바꿨습니다: 새 배열을 반환하세요 (w + y * x)",
                    "pla_update changed its input w in place: return a new array (w + y * x)")
    expect_close(got, pla_update(w_before, x, -1), "w_new", "random w, x of length 6, y = -1")
    return 4


def _linear_reference(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, ...]:
    """(dA_prev, dW, db) from abcdl's own Linear layer, float64."""
    layer = Linear(W.shape[1], W.shape[0], dtype=np.float64)
    layer.W.data[...] = W
    layer.forward(A_prev)                                     # Z = A_prev W^T + b
    layer.zero_grad()
    dA_prev = layer.backward(dZ)                              # dA_prev = dZ W
    return dA_prev, layer.W.grad.copy(), layer.b.grad.copy()  # dW = dZ^T A_prev, db = sum_k dZ_k


def _numerical(dZ: np.ndarray, A_prev: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """The same three by central differences of J = sum(Z * dZ), Z = A_prev W^T + b (L19)."""
    def J(A_, W_, b_):
        return float(np.sum((A_ @ W_.T + b_) * dZ))
    A_, W_, b_ = A_prev.copy(), W.copy(), b.copy()
    return (numerical_gradient(lambda a: J(a, W_, b_), A_, 1e-5),
            numerical_gradient(lambda w: J(A_, w, b_), W_, 1e-5),
            numerical_gradient(lambda c: J(A_, W_, c), b_, 1e-5))


@checker("linear_backward")
def check_linear_backward(fn) -> int:
    """Check ``linear_backward(dZ, A_prev, W) -> (dA_prev, dW, db)`` for Z = A_prev W^T + b (L16).

    Batch-first, as abcdl: A_prev (m, n[l-1]), W (n[l], n[l-1]), dZ (m, n[l]) already holds
    the 1/m of the cost (the loss's backward put it there).  Expected: dA_prev = dZ W,
    dW = dZ^T A_prev, db = sum over the m examples of dZ; checked against central
    differences of J = sum(Z * dZ) and against :class:`abcdl.layers.Linear`'s backward.
    """
    rng = np.random.default_rng(16)
    m, n_in, n_out = 4, 3, 2
    A_prev, W = rng.standard_normal((m, n_in)), rng.standard_normal((n_out, n_in))
    b, dZ = rng.standard_normal(n_out), rng.standard_normal((m, n_out))
    out = unpack(call(fn, dZ.copy(), A_prev.copy(), W.copy()), ("dA_prev", "dW", "db"))
    library = _linear_reference(dZ, A_prev, W)
    numeric = _numerical(dZ, A_prev, W, b)
    names = ("dA_prev", "dW", "db")
    slips = {"dA_prev": ((dZ @ W) / m, "abcdl에서는 1/m이 이미 dZ에 있습니다 (손실의 backward)",
                         "in abcdl the 1/m is already in dZ (the loss's backward)"),
             "dW": ((dZ.T @ A_prev) / m, "abcdl에서는 1/m이 이미 dZ에 있습니다: dW = dZᵀ A_prev",
                    "in abcdl the 1/m is already in dZ: dW = dZ^T A_prev"),
             "db": (dZ.mean(axis=0), "db = Σ_k dZ_k: 1/m은 이미 dZ에 있습니다",
                    "db = sum_k dZ_k: the 1/m is already in dZ")}
    for name, got, lib, num in zip(names, out, library, numeric, strict=True):
        if name == "db" and np.shape(got) == dZ.shape:
            raise AnswerError("shape", f"db: 모양이 {dZ.shape}입니다: m개 예제에 대해 합하세요 "
                              f"(axis=0) → ({n_out},)",
                        f"db: shape {dZ.shape}: sum over the m examples (axis=0) -> ({n_out},)")
        if name == "dW" and np.shape(got) == (n_in, n_out):
            raise AnswerError("shape", f"dW: 모양이 {(n_in, n_out)}입니다: W와 같은 {(n_out, n_in)}"
                        "이어야 합니다 (dW = dZᵀ A_prev, 전치를 확인하세요)",
                        f"dW: shape {(n_in, n_out)}: it must be W's shape {(n_out, n_in)} "
                        "(dW = dZ^T A_prev: check the transpose)")
        got = as_array(got, name, lib.shape)
        where = f"m = {m}, n[l-1] = {n_in}, n[l] = {n_out}, random A_prev, W, dZ"
        expect_close(got, num, name, where, kind="gradient", reference="central difference / 중심 차분",
                     rtol=1e-6, atol=1e-8, hints=(slips[name],))
        expect_close(got, lib, name, where, kind="gradient", reference="abcdl.layers.Linear.backward")
    return 3
