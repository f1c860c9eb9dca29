"""Checkers for part 5 of the lecture: one momentum step (L22) and one Adam step (L26).

Both compare trajectories with abcdl's optimizers (:class:`abcdl.optim.Momentum`,
:class:`abcdl.optim.Adam`) driving a :class:`abcdl.Parameter`, the way the lecture moves a
point x over a function; momentum is also checked against the lecture's printed numbers.
"""

from __future__ import annotations

import numpy as np

from ..optim import Adam, Momentum
from ..parameter import Parameter
from ._check import as_array, call, checker, expect_close, unpack

__all__ = ["check_momentum_step", "check_adam_step", "lecture_fprime", "quadratic_grad"]


def lecture_fprime(x: np.ndarray) -> np.ndarray:
    """f'(x) of the lecture's f(x) = (x-2)^2 (x+3)^2 - 2(x-2)^2 (L21): 2(x-2)(x+3)(2x+1) - 4(x-2)."""
    return 2 * (x - 2) * (x + 3) * (2 * x + 1) - 4 * (x - 2)


def quadratic_grad(x: np.ndarray) -> np.ndarray:
    """grad f of f(x, y) = x^2/20 + y^2 (L23): (x/10, 2y)."""
    return np.array([x[0] / 10, 2 * x[1]])


# L22: from x0 = 3 with alpha = 0.02, beta = 0.9 the lecture prints x1, x2, x3.
_LECTURE_MOMENTUM = (1.4, 0.31328, -0.4360994561759646)


def _momentum_reference(x0: np.ndarray, grad, lr: float, beta: float, steps: int) -> list[tuple]:
    """[(x, v) after each step] from abcdl.optim.Momentum: v <- beta v - lr g, x <- x + v."""
    p = Parameter(x0.copy())
    opt = Momentum([p], lr=lr, momentum=beta)
    out = []
    for _ in range(steps):
        p.grad[...] = grad(p.data)
        opt.step()
        out.append((p.data.copy(), opt.state[p]["v"].copy()))
    return out


@checker("momentum_step")
def check_momentum_step(fn) -> int:
    """Check ``momentum_step(x, v, g, lr, beta) -> (x_new, v_new)`` in the lecture's form (L22).

    v_new = beta v - lr g,  x_new = x + v_new.  Checks: the lecture's numbers (x0 = 3 on
    f(x) = (x-2)^2 (x+3)^2 - 2(x-2)^2, lr 0.02, beta 0.9: 1.4, 0.31328, -0.43609945...);
    then 5 steps on x^2/20 + y^2 against :class:`abcdl.optim.Momentum`, x and v.
    """
    x, v = np.array([3.0]), np.zeros(1)
    for n, x_lecture in enumerate(_LECTURE_MOMENTUM, start=1):
        g = lecture_fprime(x)
        out = unpack(call(fn, x.copy(), v.copy(), g.copy(), 0.02, 0.9), ("x_new", "v_new"))
        got_x = as_array(out[0], "x_new", x.shape)
        v_new = as_array(out[1], "v_new", v.shape)
        expect_close(got_x, np.array([x_lecture]), "x_new", f"step {n} from x0 = 3, lr = 0.02, beta = 0.9",
                     reference="the lecture / 강의 (L22)", hints=(
                         (x - 0.02 * g, "속도 v를 쓰지 않았습니다: v ← βv − αg, x ← x + v",
                          "the velocity is unused: v <- beta v - alpha g, x <- x + v"),))
        x, v = got_x, v_new
    ref = _momentum_reference(np.array([-7.0, 2.0]), quadratic_grad, 0.1, 0.9, 5)
    x, v = np.array([-7.0, 2.0]), np.zeros(2)
    for n, (x_ref, v_ref) in enumerate(ref, start=1):
        g = quadratic_grad(x)
        out = unpack(call(fn, x.copy(), v.copy(), g.copy(), 0.1, 0.9), ("x_new", "v_new"))
        where = f"step {n} on x²/20 + y² from (-7, 2), lr = 0.1, beta = 0.9"
        v = as_array(out[1], "v_new", v.shape)
        expect_close(v, v_ref, "v_new", where, reference="abcdl.optim.Momentum", hints=(
            (-v_ref, "강의의 v는 걸음 자체입니다: v ← βv − αg (부호)",
             "the lecture's v is the step: v <- beta v - alpha g"),))
        x = as_array(out[0], "x_new", x.shape)
        expect_close(x, x_ref, "x_new", where, reference="abcdl.optim.Momentum")
    return len(_LECTURE_MOMENTUM) + len(ref)


def _adam_reference(steps: int, lr: float, betas: tuple[float, float], eps: float,
                    inside: bool, bias_correction: bool = True) -> list[tuple]:
    """[(x, M, V) after each step] of abcdl.optim.Adam on x^2/20 + y^2 from (-7, 2)."""
    p = Parameter(np.array([-7.0, 2.0]))
    opt = Adam([p], lr=lr, betas=betas, eps=eps, eps_inside_sqrt=inside, bias_correction=bias_correction)
    out = []
    for _ in range(steps):
        p.grad[...] = quadratic_grad(p.data)
        opt.step()
        out.append((p.data.copy(), opt.state[p]["m"].copy(), opt.state[p]["v"].copy()))
    return out


def _adam_run(fn, lr: float, betas: tuple[float, float], eps: float, steps: int) -> int:
    """Run the learner's adam_step ``steps`` times and compare each step with abcdl's Adam."""
    variants = {False: _adam_reference(steps, lr, betas, eps, inside=False),
                True: _adam_reference(steps, lr, betas, eps, inside=True)}
    no_corr = _adam_reference(steps, lr, betas, eps, inside=False, bias_correction=False)
    ref = None                                    # which eps placement the learner chose, from step 1
    x, M, V = np.array([-7.0, 2.0]), np.zeros(2), np.zeros(2)
    for t in range(1, steps + 1):
        g, V_prev = quadratic_grad(x), V
        out = unpack(call(fn, x.copy(), M.copy(), V.copy(), g.copy(), t, lr, betas[0], betas[1], eps),
                     ("x_new", "M_new", "V_new"))
        where = f"step t = {t}, lr = {lr}, betas = {betas}, eps = {eps:g}, from (-7, 2) on x²/20 + y²"
        M, V, x = (as_array(a, name, (2,))
                   for a, name in zip(out[1:] + out[:1], ("M_new", "V_new", "x_new"), strict=True))
        if ref is None:
            ref = variants[bool(np.allclose(x, variants[True][0][0], rtol=1e-6, atol=1e-9)
                                and not np.allclose(x, variants[False][0][0], rtol=1e-6, atol=1e-9))]
        x_ref, M_ref, V_ref = ref[t - 1]
        expect_close(M, M_ref, "M_new", where, reference="abcdl.optim.Adam")
        expect_close(V, V_ref, "V_new", where, reference="abcdl.optim.Adam", hints=(
            (betas[1] * V_prev + (1 - betas[1]) * g, "V에는 g⊙g (제곱)이 들어갑니다",
             "V averages g⊙g (the square)"),))
        expect_close(x, x_ref, "x_new", where, reference="abcdl.optim.Adam", hints=(
            (no_corr[t - 1][0], f"편향 보정을 잊었습니다: M^ = M/(1−β1^t), V^ = V/(1−β2^t) (t = {t})",
             f"the bias correction is missing: M^ = M/(1-beta1^t), V^ = V/(1-beta2^t) (t = {t})"),))
    return steps


@checker("adam_step")
def check_adam_step(fn) -> int:
    """Check ``adam_step(x, M, V, g, t, lr, beta1, beta2, eps) -> (x_new, M_new, V_new)`` (L26).

    t counts the steps, this one included (1 on the first step).  M = beta1 M + (1-beta1) g,
    V = beta2 V + (1-beta2) g⊙g, M^ = M/(1-beta1^t), V^ = V/(1-beta2^t),
    x_new = x - lr M^/(sqrt(V^) + eps); the lecture's sqrt(V^ + eps) is accepted too.
    Checks 10 steps on x^2/20 + y^2 from (-7, 2) with lr 0.3 (the lecture's setting)
    against :class:`abcdl.optim.Adam`, then 3 steps with other betas and a large eps.
    """
    return _adam_run(fn, 0.3, (0.9, 0.999), 1e-8, 10) + _adam_run(fn, 0.05, (0.5, 0.9), 1e-3, 3)
