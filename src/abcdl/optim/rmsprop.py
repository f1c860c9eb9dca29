"""``RMSProp``: AdaGrad with a decaying average of squared gradients (L25)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import Optimizer, check_number, sqrt_plus_eps

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
    eps : float >= 0
        epsilon (default 1e-8).
    momentum : float in [0, 1)
        PyTorch's heavy-ball buffer on the scaled step (0: none).
    weight_decay : float >= 0
        PyTorch's L2 term g <- g + lambda x (for the lecture's, see :mod:`abcdl.regularizers`).
    centered : bool
        PyTorch's option: divide by an estimate of the gradient's variance,
        h - m ⊙ m with m the running mean of g.
    eps_inside_sqrt : bool
        False (default): alpha / (sqrt(h) + eps), PyTorch's placement.
        True: alpha / sqrt(h + eps), **the lecture's form** on the L25 slide.

    Formula (default; ``alpha`` below is the learning rate, ``gamma`` the decay)
    -------
    h <- gamma h + (1 - gamma) g ⊙ g
    x <- x - alpha / (sqrt(h) + eps) ⊙ g          (lecture: alpha / sqrt(h + eps))
    with momentum mu:  v <- mu v + g / (sqrt(h) + eps),  x <- x - alpha v
    """

    _hyper = ("alpha", "eps", "momentum", "weight_decay", "centered", "eps_inside_sqrt")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float = 0.01, alpha: float = 0.99,
                 eps: float = 1e-8, momentum: float = 0.0, weight_decay: float = 0.0,
                 centered: bool = False, eps_inside_sqrt: bool = False) -> None:
        super().__init__(params, lr)
        self.alpha = check_number("RMSProp", "alpha", alpha, 0.0, 1.0)
        self.eps = check_number("RMSProp", "eps", eps)
        self.momentum = check_number("RMSProp", "momentum", momentum, 0.0, 1.0)
        self.weight_decay = check_number("RMSProp", "weight_decay", weight_decay)
        for name, flag in (("centered", centered), ("eps_inside_sqrt", eps_inside_sqrt)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ValueError(f"RMSProp: {name} must be True or False, got {flag!r}")
        self.centered = bool(centered)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        state = {"h": np.zeros_like(p.data)}
        if self.centered:
            state["m"] = np.zeros_like(p.data)
        if self.momentum != 0:
            state["v"] = np.zeros_like(p.data)
        return state

    def _update(self, p: Parameter, state: dict[str, np.ndarray]) -> None:
        x, h = p.data, state["h"]
        gamma = self.alpha
        buf, denom = self._buffers(p, 2)
        g = self._l2_grad(p, buf)                                 # g <- g + lambda x (if weight_decay)
        np.multiply(g, g, out=denom)
        denom *= 1.0 - gamma
        h *= gamma
        h += denom                                                # h <- gamma h + (1 - gamma) g ⊙ g
        if self.centered:
            m = state["m"]
            np.subtract(g, m, out=denom)
            denom *= 1.0 - gamma
            m += denom                                            # m <- gamma m + (1 - gamma) g
            np.multiply(m, m, out=denom)
            s = np.subtract(h, denom, out=denom)                  # s = h - m ⊙ m  (variance of g)
        else:
            s = h                                                 # s = h
        sqrt_plus_eps(s, self.eps, self.eps_inside_sqrt, out=denom)  # sqrt(s) + eps (or sqrt(s + eps))
        np.divide(g, denom, out=denom)                            # g / (sqrt(h) + eps)
        if self.momentum != 0:
            v = state["v"]
            v *= self.momentum
            v += denom                                            # v <- mu v + g / (sqrt(h) + eps)
            np.multiply(v, self.lr, out=denom)
        else:
            denom *= self.lr
        x -= denom                                                # x <- x - alpha (...)
