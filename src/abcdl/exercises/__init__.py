"""Self-checking exercises for the lecture's notebooks (``notebooks/``), Coursera-style.

In each notebook the learner writes a few functions in plain NumPy; a checker tests one
against abcdl's own implementation and, for derivatives, against central differences
(:mod:`abcdl.numdiff`, L19), and says in Korean and in English what is wrong first: the
shape, the value at a given input, or the gradient, with a hint where a common slip
explains it.  When everything is right it says "정답입니다 / correct"::

    >>> from abcdl.exercises import check_sigmoid
    >>> def sigmoid(z):
    ...     return 1 / (1 + np.exp(-z))
    >>> check_sigmoid(sigmoid)
    [O] sigmoid: 정답입니다 / correct (3개 검사 통과 / 3 checks passed)

A checker returns a :class:`CheckResult` (true when passed; ``.kind`` names what was wrong)
and never raises, so a notebook with blank exercises (``raise NotImplementedError``) still
runs top to bottom.  The solutions are in ``notebooks/solutions/``.

| checker | the learner's function | SPEC |
|---|---|---|
| `check_sigmoid` | `sigmoid(z) -> sigma(z)` | L10 |
| `check_sigmoid_grad` | `sigmoid_grad(z) -> sigma'(z)` | L10 |
| `check_pla_update` | `pla_update(w, x, y) -> w + y x` | L7 |
| `check_softmax_cross_entropy` | `softmax_cross_entropy(Z, t) -> J` | L14, L35 |
| `check_softmax_cross_entropy_grad` | `softmax_cross_entropy_grad(Z, t) -> dZ` | L15, L35 |
| `check_linear_backward` | `linear_backward(dZ, A_prev, W) -> (dA_prev, dW, db)` | L16 |
| `check_momentum_step` | `momentum_step(x, v, g, lr, beta) -> (x_new, v_new)` | L22 |
| `check_adam_step` | `adam_step(x, M, V, g, t, lr, beta1, beta2, eps) -> (x_new, M_new, V_new)` | L26 |
| `check_dropout` | `dropout(A, keep_prob, rng) -> (A_out, D)` | L33 |
| `check_batchnorm_forward` | `batchnorm_forward(Z, gamma, beta, eps) -> Z_tilde` | L34 |
"""

from __future__ import annotations

from ._check import CheckResult
from .activations import (
    check_sigmoid,
    check_sigmoid_grad,
    check_softmax_cross_entropy,
    check_softmax_cross_entropy_grad,
)
from .backprop import check_linear_backward, check_pla_update
from .optimizers import check_adam_step, check_momentum_step
from .regularization import check_batchnorm_forward, check_dropout

__all__ = [
    "CheckResult", "CHECKERS", "check_sigmoid", "check_sigmoid_grad", "check_pla_update",
    "check_softmax_cross_entropy", "check_softmax_cross_entropy_grad", "check_linear_backward",
    "check_momentum_step", "check_adam_step", "check_dropout", "check_batchnorm_forward",
]

#: Every checker by the name of the function it checks.
CHECKERS = {
    "sigmoid": check_sigmoid,
    "sigmoid_grad": check_sigmoid_grad,
    "pla_update": check_pla_update,
    "softmax_cross_entropy": check_softmax_cross_entropy,
    "softmax_cross_entropy_grad": check_softmax_cross_entropy_grad,
    "linear_backward": check_linear_backward,
    "momentum_step": check_momentum_step,
    "adam_step": check_adam_step,
    "dropout": check_dropout,
    "batchnorm_forward": check_batchnorm_forward,
}
