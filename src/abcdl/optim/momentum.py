"""``Momentum`` and ``Nesterov``: the lecture's velocity form of momentum (L22, L27)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import Optimizer, check_number

__all__ = ["Momentum", "Nesterov"]


class Momentum(Optimizer):
    """Momentum in the lecture's form (L22): the velocity v is the step itself.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        alpha >= 0.
    momentum : float in [0, 1)
        beta (the lecture: "about 0.9").

    Formula
    -------
    v <- beta v - alpha g          (v_n = x_{n+1} - x_n, v_0 = 0)
    W <- W + v

    Relation to PyTorch
    -------------------
    ``torch.optim.SGD(momentum=beta)`` keeps u <- beta u + g and steps
    x <- x - alpha u.  Write v = -alpha u: then v <- beta v - alpha g and
    x <- x + v, the same trajectory *while alpha is constant*.  When a schedule
    changes alpha the two differ: here the velocity keeps the old alpha's steps
    and the new alpha only scales new gradients; PyTorch rescales the whole
    buffer at once.
    """

    _hyper = ("momentum",)
    _work_names = ("alpha_g",)

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float, momentum: float = 0.9) -> None:
        super().__init__(params, lr)
        self.momentum = check_number(type(self).__name__, "momentum", momentum, 0.0, 1.0)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        return {"v": np.zeros_like(p.data)}

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        W, g, v, beta = p.data, p.grad, state["v"], self.momentum
        alpha_g = np.multiply(self.lr, g, out=work["alpha_g"])             # alpha g
        np.subtract(np.multiply(beta, v, out=v), alpha_g, out=v)           # v <- beta v - alpha g
        W += v                                                             # W <- W + v


class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the lecture's velocity form (L27).

    The idea: take the gradient where momentum is about to carry x,
    v <- beta v - alpha f'(x + beta v), x <- x + v.  Only f'(x) is available, so
    the standard change of variable (Sutskever et al. 2013; Bengio et al. 2013)
    tracks the look-ahead point instead, which gives

    Formula
    -------
    v <- beta v - alpha g
    W <- W + beta v - alpha g

    This equals ``torch.optim.SGD(momentum=beta, nesterov=True)`` (u <- beta u + g,
    x <- x - alpha (g + beta u)) with v = -alpha u, at constant alpha.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        alpha >= 0.
    momentum : float in (0, 1)
        beta; 0 is refused, as PyTorch refuses ``nesterov=True`` without momentum.
    """

    _work_names = ("alpha_g", "beta_v")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float, momentum: float = 0.9) -> None:
        super().__init__(params, lr, momentum)
        self.momentum = check_number("Nesterov", "momentum", momentum, 0.0, 1.0, low_open=True)

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        W, g, v, beta, beta_v = p.data, p.grad, state["v"], self.momentum, work["beta_v"]
        alpha_g = np.multiply(self.lr, g, out=work["alpha_g"])             # alpha g
        np.subtract(np.multiply(beta, v, out=v), alpha_g, out=v)           # v <- beta v - alpha g
        W += np.subtract(np.multiply(beta, v, out=beta_v), alpha_g, out=beta_v)   # W <- W + beta v - alpha g
