"""``RMSProp``: AdaGrad with a decaying average of squared gradients (L25)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import Optimizer, check_flag, check_number, sqrt_plus_eps

__all__ = ["RMSProp"]


class RMSProp(Optimizer):
    """RMSProp (L25), with PyTorch's names, defaults and update (``torch.optim.RMSprop``).

    AdaGrad's h only grows, so its steps die out; RMSProp forgets old gradients
    geometrically: h_n = (1 - gamma) sum_i gamma^(n-1-i) g_i ⊙ g_i, and a small
    gamma attends to recent gradients.  The lecture's gamma is PyTorch's ``alpha``.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate >= 0 (default 0.01, PyTorch's).
    alpha : float in [0, 1)
        The decay gamma of the average (default 0.99).
    eps : float > 0
        epsilon (default 1e-8).
    momentum : float in [0, 1)
        PyTorch's heavy-ball buffer on the scaled step (0: none).
    weight_decay : float >= 0
        PyTorch's L2 term g <- g + lambda W (:func:`abcdl.regularizers.l2_grad` with m = 1).
    centered : bool
        PyTorch's option: divide by an estimate of the gradient's variance,
        h - m ⊙ m with m the running mean of g.
    eps_inside_sqrt : bool
        False (default): alpha / (sqrt(h) + eps), PyTorch's placement.
        True: alpha / sqrt(h + eps), **the lecture's form** on the L25 slide.

    Formula (default; ``alpha`` below is the learning rate, ``gamma`` the decay)
    -------
    h <- gamma h + (1 - gamma) g ⊙ g
    W <- W - alpha / (sqrt(h) + eps) ⊙ g          (lecture: alpha / sqrt(h + eps))
    with momentum mu:  v <- mu v + g / (sqrt(h) + eps),  W <- W - alpha v
    centered:  m <- gamma m + (1 - gamma) g,  and h - m ⊙ m replaces h under the root
    """

    _hyper = ("alpha", "eps", "momentum", "weight_decay", "centered", "eps_inside_sqrt")
    _work_names = ("g", "tmp")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, weight_decay: float = 0.0,
                 centered: bool = False, eps_inside_sqrt: bool = False) -> None:
        super().__init__(params, lr)
        self.alpha = check_number("RMSProp", "alpha", alpha, 0.0, 1.0)
        self.eps = check_number("RMSProp", "eps", eps, low_open=True)   # 0/0 = NaN where g = 0
        self.momentum = check_number("RMSProp", "momentum", momentum, 0.0, 1.0)
        self.weight_decay = check_number("RMSProp", "weight_decay", weight_decay)
        self.centered = check_flag("RMSProp", "centered", centered)
        self.eps_inside_sqrt = check_flag("RMSProp", "eps_inside_sqrt", eps_inside_sqrt)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        state = {"h": np.zeros_like(p.data)}
        if self.centered:
            state["m"] = np.zeros_like(p.data)
        if self.momentum != 0:
            state["v"] = np.zeros_like(p.data)
        return state

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        W, h, gamma, tmp = p.data, state["h"], self.alpha, work["tmp"]
        g = self._gradient(p, out=work["g"])                               # g <- g + lambda W (weight_decay)
        g2 = np.multiply(g, g, out=tmp)                                    # g ⊙ g
        # h <- gamma h + (1 - gamma) g ⊙ g
        np.add(np.multiply(gamma, h, out=h), np.multiply(1 - gamma, g2, out=tmp), out=h)
        s = h
        if self.centered:
            m = state["m"]
            # m <- gamma m + (1 - gamma) g
            np.add(np.multiply(gamma, m, out=m), np.multiply(1 - gamma, g, out=tmp), out=m)
            s = np.subtract(h, np.multiply(m, m, out=tmp), out=tmp)        # s = h - m ⊙ m
        denom = sqrt_plus_eps(s, self.eps, self.eps_inside_sqrt, out=tmp)  # sqrt(s) + eps, or sqrt(s + eps)
        if self.momentum != 0:
            v, mu = state["v"], self.momentum
            np.add(np.multiply(mu, v, out=v), np.divide(g, denom, out=tmp), out=v)   # v <- mu v + g / denom
            W -= np.multiply(self.lr, v, out=tmp)                          # W <- W - alpha v
        else:
            W -= np.multiply(self.lr, np.divide(g, denom, out=tmp), out=tmp)   # W <- W - alpha g / denom
