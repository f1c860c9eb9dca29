"""Checkers for part 3 of the lecture: the sigmoid, its derivative, softmax cross-entropy (L10-L14, L35).

Each checker compares the learner's function with :mod:`abcdl.functions` /
:class:`abcdl.losses.SoftmaxCrossEntropyLoss`, and every derivative also with central
differences (:mod:`abcdl.numdiff`, L19).
"""

from __future__ import annotations

import numpy as np

from .. import functions as F
from ..losses import SoftmaxCrossEntropyLoss
from ..numdiff import central_difference, numerical_gradient
from ._check import AnswerError, as_array, call, checker, expect_close, fmt

__all__ = ["check_sigmoid", "check_sigmoid_grad", "check_softmax_cross_entropy",
           "check_softmax_cross_entropy_grad"]

_Z = np.array([-2.0, 0.0, 3.0])
_Z_LARGE = np.array([-1000.0, -50.0, 50.0, 1000.0])
_Z_GRID = np.linspace(-3.0, 3.0, 6).reshape(2, 3)


@checker("sigmoid")
def check_sigmoid(fn) -> int:
    """Check ``sigmoid(z) -> sigma(z) = 1 / (1 + exp(-z))``, elementwise, any shape (L10, L12).

    Checks: the values at z = (-2, 0, 3) against :func:`abcdl.functions.sigmoid`; a (2, 3)
    input keeps its shape; finite, right values at z = (-1000, -50, 50, 1000).
    """
    got = as_array(call(fn, _Z.copy()), "σ(z)", _Z.shape)
    expect_close(got, F.sigmoid(_Z), "σ(z)", f"z = {fmt(_Z)}",
                 hints=((1 / (1 + np.exp(_Z)), "σ(z) = 1 / (1 + e^(−z)): 지수의 부호를 확인하세요",
                         "sigma(z) = 1 / (1 + e^(-z)): check the sign of the exponent"),))
    got = as_array(call(fn, _Z_GRID.copy()), "σ(z)", _Z_GRID.shape)
    expect_close(got, F.sigmoid(_Z_GRID), "σ(z)", "z of shape (2, 3)")
    got = as_array(call(fn, _Z_LARGE.copy()), "σ(z)", _Z_LARGE.shape)
    expect_close(got, F.sigmoid(_Z_LARGE), "σ(z)", f"z = {fmt(_Z_LARGE)}")
    return 3


@checker("sigmoid_grad")
def check_sigmoid_grad(fn) -> int:
    """Check ``sigmoid_grad(z) -> sigma'(z) = sigma(z) (1 - sigma(z))``, elementwise (L10, L15).

    Checks: the derivative against central differences of :func:`abcdl.functions.sigmoid`
    (h = 1e-5) at z = (-2, 0, 3); sigma'(0) = 1/4; shape (2, 3) kept; finite at |z| = 1000.
    """
    got = as_array(call(fn, _Z.copy()), "σ'(z)", _Z.shape)
    numeric = central_difference(F.sigmoid, _Z, 1e-5)                 # (sigma(z+h) - sigma(z-h)) / 2h
    expect_close(got, numeric, "σ'(z)", f"z = {fmt(_Z)}", kind="gradient",
                 reference="central difference / 중심 차분", rtol=1e-6, atol=1e-9,
                 hints=((_Z * (1 - _Z), "σ'(z) = σ(z)(1 − σ(z)): z 대신 σ(z)를 먼저 계산하세요",
                         "sigma'(z) = sigma(z)(1 - sigma(z)): compute sigma(z) first, not z"),
                        (F.sigmoid(_Z), "σ(z) 자체가 아니라 그 도함수입니다",
                         "this is sigma(z), not its derivative")))
    got = as_array(call(fn, np.zeros(1)), "σ'(z)", (1,))
    expect_close(got, np.array([0.25]), "σ'(z)", "z = 0", reference="σ'(0) = 1/4")
    got = as_array(call(fn, _Z_GRID.copy()), "σ'(z)", _Z_GRID.shape)
    expect_close(got, F.sigmoid_grad(_Z_GRID), "σ'(z)", "z of shape (2, 3)")
    got = as_array(call(fn, _Z_LARGE.copy()), "σ'(z)", _Z_LARGE.shape)
    expect_close(got, F.sigmoid_grad(_Z_LARGE), "σ'(z)", f"z = {fmt(_Z_LARGE)}")
    return 4


def _ce_cases(rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(Z, t, where) cases: a hand-sized one, a random batch, and logits of size 1000 (L35)."""
    Z1 = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]])
    Z2 = rng.standard_normal((4, 5))
    Z3 = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]])
    return [(Z1, np.array([0, 1]), "Z = " + fmt(Z1) + ", t = [0, 1]"),
            (Z2, np.array([4, 0, 2, 2]), "Z of shape (4, 5), t = [4, 0, 2, 2]"),
            (Z3, np.array([2, 2]), "Z = " + fmt(Z3) + ", t = [2, 2]")]


def _library_ce(Z: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    loss = SoftmaxCrossEntropyLoss()
    J = loss.forward(Z, t)                          # J = -(1/m) sum_k log y_{k, t_k}
    return J, loss.backward()                       # dJ/dZ = (y - onehot(t)) / m


@checker("softmax_cross_entropy")
def check_softmax_cross_entropy(fn) -> int:
    """Check ``softmax_cross_entropy(Z, t) -> J``: the mean cross-entropy of softmax(Z) (L14, L35).

    Z is (m, K) logits, t is (m,) class indices, J = -(1/m) sum_k log softmax(Z_k)[t_k], a number.
    Checks against :class:`abcdl.losses.SoftmaxCrossEntropyLoss` on a small case, a random
    batch, and logits of size 1000 (where exp overflows unless the maximum is subtracted).
    """
    cases = _ce_cases(np.random.default_rng(19))
    for Z, t, where in cases:
        J, _ = _library_ce(Z, t)
        out = call(fn, Z.copy(), t.copy())
        if np.ndim(out) == 1:
            raise AnswerError("shape", "J: 예제마다의 손실이 아니라 "
                        f"평균 (스칼라)을 반환하세요 ({where})",
                        f"J: return the mean (a number), not one loss per "
                        f"example ({where})")
        got = as_array(out, "J", ())
        if not np.isfinite(got):
            raise AnswerError("stability", f"J: {fmt(got)}이(가) 나왔습니다 "
                        f"({where}); 기대 {J:.6g}. 힌트: 큰 z에서 exp가 넘칩니다: "
                        "행마다 max(z)를 먼저 빼세요",
                        f"J: got {fmt(got)} ({where}); expected {J:.6g}. "
                        f"Hint: exp overflows at large z: subtract each row's max(z) first")
        m = Z.shape[0]
        expect_close(got, np.array(J), "J", where, hints=(
            (np.array(J * m), "m개 예제의 합이 아니라 평균입니다: J = (1/m) Σ L_k",
             "the mean over the m examples, not the sum: J = (1/m) sum_k L_k"),
            (np.array(-J), "L = −Σ t_i log y_i: 앞의 마이너스 부호",
             "L = -sum_i t_i log y_i: the leading minus")))
    return len(cases)


@checker("softmax_cross_entropy_grad")
def check_softmax_cross_entropy_grad(fn) -> int:
    """Check ``softmax_cross_entropy_grad(Z, t) -> dJ/dZ = (softmax(Z) - onehot(t)) / m`` (L15, L35).

    Checks the (m, K) gradient against central differences of the library's loss
    (:func:`abcdl.numdiff.numerical_gradient`) and against
    :meth:`abcdl.losses.SoftmaxCrossEntropyLoss.backward`, on the cases of
    :func:`check_softmax_cross_entropy`.
    """
    cases = _ce_cases(np.random.default_rng(19))
    for i, (Z, t, where) in enumerate(cases):
        J, dZ = _library_ce(Z, t)
        if i < 2:   # central differences where they are meaningful (not at logits of 1000)
            dZ = numerical_gradient(lambda Z_, t=t: _library_ce(Z_, t)[0], Z.copy(), 1e-5)
        got = as_array(call(fn, Z.copy(), t.copy()), "dZ", Z.shape)
        m = Z.shape[0]
        ref = "central difference / 중심 차분" if i < 2 else "SoftmaxCrossEntropyLoss.backward"
        expect_close(got, dZ, "dZ", where, kind="gradient", reference=ref,
                     rtol=1e-5, atol=1e-8, hints=(
                         (dZ * m, "평균의 기울기이므로 1/m이 붙습니다: dZ = (y − t)/m",
                          "the gradient of a mean carries 1/m: dZ = (y - t)/m"),
                         (-dZ, "부호: dZ = y − t (t − y가 아님)", "the sign: dZ = y - t (not t - y)")))
    return len(cases)

