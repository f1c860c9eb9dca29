"""abcdl.exercises: every checker passes abcdl's own implementations and the notebooks' solutions,
and fails known-wrong versions with the right kind of verdict and message, in Korean and English."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from abcdl import functions as F
from abcdl import models
from abcdl.exercises import CHECKERS, CheckResult
from abcdl.layers import BatchNorm1d, Dropout, Linear
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.optim import Adam, Momentum
from abcdl.parameter import Parameter

SOLUTIONS = Path(__file__).resolve().parents[1] / "notebooks" / "solutions"


# -- abcdl's own implementations, in the exercises' signatures ------------------------------------
def lib_ce(Z, t):
    return SoftmaxCrossEntropyLoss().forward(Z, t)


def lib_ce_grad(Z, t):
    loss = SoftmaxCrossEntropyLoss()
    loss.forward(Z, t)
    return loss.backward()


def lib_linear_backward(dZ, A_prev, W):
    layer = Linear(W.shape[1], W.shape[0], dtype=np.float64)
    layer.W.data[...] = W
    layer.forward(A_prev)
    layer.zero_grad()
    dA_prev = layer.backward(dZ)
    return dA_prev, layer.W.grad, layer.b.grad


def lib_momentum_step(x, v, g, lr, beta):
    p = Parameter(np.array(x, dtype=np.float64))
    opt = Momentum([p], lr=lr, momentum=beta)
    opt.state[p] = {"v": np.array(v, dtype=np.float64)}
    p.grad[...] = g
    opt.step()
    return p.data, opt.state[p]["v"]


def lib_adam_step(x, M, V, g, t, lr, beta1, beta2, eps, inside=False):
    p = Parameter(np.array(x, dtype=np.float64))
    opt = Adam([p], lr=lr, betas=(beta1, beta2), eps=eps, eps_inside_sqrt=inside)
    opt.state[p] = {"m": np.array(M, dtype=np.float64), "v": np.array(V, dtype=np.float64)}
    opt.t = t - 1                                   # step() counts this one
    p.grad[...] = g
    opt.step()
    return p.data, opt.state[p]["m"], opt.state[p]["v"]


def lib_dropout(A, keep_prob, rng):
    layer = Dropout(p=1 - keep_prob, rng=rng)
    A_out = layer.forward(A)
    return A_out, (A_out != 0).astype(np.float64)    # A has no zeros in the checker's inputs


def lib_batchnorm_forward(Z, gamma, beta, eps):
    bn = BatchNorm1d(Z.shape[1], eps=eps, dtype=np.float64)
    bn.gamma.data[...] = gamma
    bn.beta.data[...] = beta
    return bn.forward(Z)


LIBRARY = {
    "sigmoid": F.sigmoid, "sigmoid_grad": F.sigmoid_grad, "pla_update": models.pla_update,
    "softmax_cross_entropy": lib_ce, "softmax_cross_entropy_grad": lib_ce_grad,
    "linear_backward": lib_linear_backward, "momentum_step": lib_momentum_step, "adam_step": lib_adam_step,
    "dropout": lib_dropout, "batchnorm_forward": lib_batchnorm_forward,
}


def load_solutions() -> dict:
    """Every function defined in notebooks/solutions/*.py, by name."""
    found = {}
    for path in sorted(SOLUTIONS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"solutions_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.update({k: v for k, v in vars(module).items() if callable(v) and not k.startswith("_")})
    return found


# -- known-wrong versions ----------------------------------------------------------------------------
def _pla_in_place(w, x, y):
    w += y * x
    return w


def _ce_naive(Z, t):
    Y = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
    return -np.log(Y[np.arange(len(t)), t]).mean()


def _ce_sum(Z, t):
    return lib_ce(Z, t) * Z.shape[0]


def _ce_per_example(Z, t):
    return -F.log_softmax(Z)[np.arange(len(t)), t]


def _momentum_plain_gd(x, v, g, lr, beta):
    return x - lr * g, v


def _momentum_flipped_v(x, v, g, lr, beta):
    v = beta * v + lr * g                            # PyTorch-like buffer, not the lecture's step
    return x - v, v


def _adam_no_correction(x, M, V, g, t, lr, beta1, beta2, eps):
    M = beta1 * M + (1 - beta1) * g
    V = beta2 * V + (1 - beta2) * g * g
    return x - lr * M / (np.sqrt(V) + eps), M, V


def _adam_v_not_squared(x, M, V, g, t, lr, beta1, beta2, eps):
    x_new, M_new, _ = lib_adam_step(x, M, V, g, t, lr, beta1, beta2, eps)
    return x_new, M_new, beta2 * V + (1 - beta2) * g


def _dropout_not_scaled(A, keep_prob, rng):
    D = (rng.random(A.shape) < keep_prob).astype(A.dtype)
    return A * D, D


def _dropout_drop_prob(A, keep_prob, rng):
    D = (rng.random(A.shape) < 1 - keep_prob).astype(A.dtype)
    return A * D / keep_prob, D


def _dropout_fresh_rng(A, keep_prob, rng):
    D = (np.random.default_rng().random(A.shape) < keep_prob).astype(A.dtype)
    return A * D / keep_prob, D


def _bn(Z, gamma, beta, eps, axis=0, ddof=0, use_eps=True, affine=True):
    mu, var = Z.mean(axis=axis, keepdims=True), Z.var(axis=axis, ddof=ddof, keepdims=True)
    Z_norm = (Z - mu) / np.sqrt(var + (eps if use_eps else 0.0))
    return gamma * Z_norm + beta if affine else Z_norm


def _todo(*args):
    raise NotImplementedError


def _raises(*args):
    raise ValueError("boom")


# (exercise, wrong function, expected kind, a piece of the Korean message, a piece of the English one)
WRONG = [
    ("sigmoid", lambda z: 1 / (1 + np.exp(z)), "value", "지수의 부호", "sign of the exponent"),
    ("sigmoid", lambda z: None, "type", "None을 반환했습니다", "got None"),
    ("sigmoid", lambda z: F.sigmoid(z).ravel()[:1], "shape", "모양(shape)이 틀렸습니다", "wrong shape"),
    ("sigmoid", lambda z: np.exp(z) / (np.exp(z) + 1), "stability", "inf 또는 NaN", "inf or NaN"),
    ("sigmoid_grad", lambda z: z * (1 - z), "gradient", "σ(z)를 먼저", "compute sigma(z) first"),
    ("sigmoid_grad", F.sigmoid, "gradient", "도함수", "not its derivative"),
    ("pla_update", lambda w, x, y: w - y * x, "value", "더해야 합니다", "do not subtract"),
    ("pla_update", lambda w, x, y: w + x, "value", "y를 곱하세요", "multiply by the label y"),
    ("pla_update", _pla_in_place, "inplace", "입력 w를 바꿨습니다", "changed its input w in place"),
    ("softmax_cross_entropy", _ce_sum, "value", "합이 아니라 평균", "not the sum"),
    ("softmax_cross_entropy", _ce_per_example, "shape", "평균 (스칼라)", "not one loss per example"),
    ("softmax_cross_entropy", _ce_naive, "stability", "max(z)를 먼저 빼세요", "subtract each row's max(z)"),
    ("softmax_cross_entropy_grad", lambda Z, t: lib_ce_grad(Z, t) * Z.shape[0], "gradient", "1/m이 붙습니다",
     "carries 1/m"),
    ("softmax_cross_entropy_grad", lambda Z, t: -lib_ce_grad(Z, t), "gradient", "부호", "the sign"),
    ("linear_backward", lambda dZ, A, W: (dZ @ W, A.T @ dZ, dZ.sum(0)), "shape", "전치를 확인하세요",
     "check the transpose"),
    ("linear_backward", lambda dZ, A, W: (dZ @ W, dZ.T @ A, dZ), "shape", "합하세요",
     "sum over the m examples"),
    ("linear_backward", lambda dZ, A, W: (dZ @ W / len(dZ), dZ.T @ A / len(dZ), dZ.mean(0)), "gradient",
     "1/m이 이미 dZ에", "already in dZ"),
    ("linear_backward", lambda dZ, A, W: (dZ @ W, dZ.T @ A), "type", "3개 값", "tuple of 3 values"),
    ("linear_backward", lambda dZ, A, W: (2 * (dZ @ W), dZ.T @ A, dZ.sum(0)), "gradient",
     "기울기가 틀렸습니다", "wrong gradient"),
    ("momentum_step", _momentum_plain_gd, "value", "속도 v를 쓰지 않았습니다", "velocity is unused"),
    ("momentum_step", _momentum_flipped_v, "value", "걸음 자체", "the lecture's v is the step"),
    ("adam_step", _adam_no_correction, "value", "편향 보정", "bias correction is missing"),
    ("adam_step", _adam_v_not_squared, "value", "g⊙g", "the square"),
    ("dropout", _dropout_not_scaled, "value", "keep_prob로 나누세요", "divide the survivors by keep_prob"),
    ("dropout", _dropout_drop_prob, "value", "남길 확률", "probability to keep"),
    ("dropout", _dropout_fresh_rng, "random", "rng에서 뽑아야", "draw the mask from the rng argument"),
    ("dropout", lambda A, p, rng: (A, A), "value", "0과 1로만", "mask of 0s and 1s"),
    ("batchnorm_forward", lambda Z, g, b, e: _bn(Z, g, b, e, ddof=1), "value", "1/m로 나눕니다",
     "divides by m"),
    ("batchnorm_forward", lambda Z, g, b, e: _bn(Z, g, b, e, axis=1), "value", "axis=0",
     "axis=0, per feature"),
    ("batchnorm_forward", lambda Z, g, b, e: _bn(Z, g, b, e, use_eps=False), "value", "eps를 잊었습니다",
     "eps is missing"),
    ("batchnorm_forward", lambda Z, g, b, e: _bn(Z, g, b, e, affine=False), "value", "γ와 β",
     "gamma and beta"),
]


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_exercises_library_passes(name):
    result = CHECKERS[name](LIBRARY[name])
    assert result.passed, result.message
    assert result.kind == "correct" and result.checks > 0
    assert "정답입니다 / correct" in str(result)


@pytest.mark.parametrize("name", sorted(CHECKERS))
def test_exercises_solution_passes(name):
    solutions = load_solutions()
    result = CHECKERS[name](solutions[name])
    assert result.passed, result.message


def test_exercises_adam_accepts_the_lectures_eps_inside_the_root():
    def adam_inside(*args):
        return lib_adam_step(*args, inside=True)
    assert CHECKERS["adam_step"](adam_inside).passed


@pytest.mark.parametrize(("name", "fn", "kind", "ko", "en"), WRONG,
                         ids=[f"{w[0]}-{i}" for i, w in enumerate(WRONG)])
def test_exercises_wrong_version_fails_with_its_message(name, fn, kind, ko, en):
    result = CHECKERS[name](fn)
    assert isinstance(result, CheckResult) and not result and not result.passed
    assert result.kind == kind, result.message
    assert ko in result.message_ko, result.message_ko
    assert en in result.message_en, result.message_en
    assert "정답" not in str(result) and "[X]" in str(result)


@pytest.mark.parametrize("name", sorted(CHECKERS))
@pytest.mark.parametrize(("fn", "kind", "ko", "en"), [
    (_todo, "todo", "아직 구현하지 않았습니다", "not implemented yet"),
    (_raises, "error", "예외를 냈습니다: ValueError: boom", "raised ValueError: boom"),
    (42, "type", "함수를 넘겨야 합니다", "pass a function"),
])
def test_exercises_blank_or_broken_function_is_reported_not_raised(name, fn, kind, ko, en):
    result = CHECKERS[name](fn)
    assert not result.passed and result.kind == kind
    assert ko in result.message_ko and en in result.message_en


def test_exercises_every_checker_has_a_wrong_version_and_a_solution():
    assert set(LIBRARY) == set(CHECKERS)
    assert {w[0] for w in WRONG} == set(CHECKERS)
    assert set(CHECKERS) <= set(load_solutions())


def test_exercises_value_message_shows_input_expected_and_received():
    result = CHECKERS["sigmoid"](lambda z: np.zeros_like(z))
    assert result.kind == "value"
    assert "z = [-2.,  0.,  3.]" in result.message_en
    assert "expected [0.119203, 0.5     , 0.952574] (abcdl)" in result.message_en
    assert "got [0., 0., 0.]" in result.message_en
    assert "기대 [0.119203" in result.message_ko and "받음 [0., 0., 0.]" in result.message_ko


def test_exercises_gradient_message_names_central_differences():
    result = CHECKERS["softmax_cross_entropy_grad"](lambda Z, t: F.softmax(Z) / len(Z))
    assert result.kind == "gradient"
    assert "central difference / 중심 차분" in result.message_en


def test_exercises_checker_does_not_warn_on_a_naive_overflowing_answer(recwarn):
    result = CHECKERS["sigmoid"](lambda z: 1 / (1 + np.exp(-z)))   # exp(1000) overflows, value still right
    assert result.passed
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
