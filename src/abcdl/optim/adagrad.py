"""``AdaGrad``: a learning rate per coordinate that shrinks with the gradients seen (L24)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import Optimizer, check_flag, check_number, sqrt_plus_eps

__all__ = ["AdaGrad"]


class AdaGrad(Optimizer):
    """AdaGrad (L24), with PyTorch's names, defaults and update (``torch.optim.Adagrad``).

    The sum of squared gradients h (the lecture's G; h_0 = 0) grows every step, so
    coordinates with large gradients get a small step and flat ones a large step.
    The lecture first updates h, then x, with the new h, as here.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        alpha >= 0 (default 0.01, PyTorch's).
    eps : float > 0
        epsilon (default 1e-10, PyTorch's; the lecture suggests about 1e-8).
    weight_decay : float >= 0
        PyTorch's L2 term g <- g + lambda W (:func:`abcdl.regularizers.l2_grad` with m = 1).
    lr_decay : float >= 0
        PyTorch's decay of alpha: alpha_t = alpha / (1 + (t - 1) lr_decay).
    initial_accumulator_value : float >= 0
        h_0.
    eps_inside_sqrt : bool
        False (default): alpha / (sqrt(h) + eps), the L24 slide and PyTorch.
        True: alpha / sqrt(h + eps), the form the lecture writes when it restates
        AdaGrad on the RMSProp slide (L25).

    Formula
    -------
    h <- h + g ⊙ g
    W <- W - alpha / (sqrt(h) + eps) ⊙ g
    """

    _hyper = ("eps", "weight_decay", "lr_decay", "initial_accumulator_value", "eps_inside_sqrt")
    _work_names = ("g", "tmp")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float = 0.01, eps: float = 1e-10,
                 weight_decay: float = 0.0, lr_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps_inside_sqrt: bool = False) -> None:
        super().__init__(params, lr)
        self.eps = check_number("AdaGrad", "eps", eps, low_open=True)   # 0/0 = NaN where g = 0
        self.weight_decay = check_number("AdaGrad", "weight_decay", weight_decay)
        self.lr_decay = check_number("AdaGrad", "lr_decay", lr_decay)
        self.initial_accumulator_value = check_number(
            "AdaGrad", "initial_accumulator_value", initial_accumulator_value)
        self.eps_inside_sqrt = check_flag("AdaGrad", "eps_inside_sqrt", eps_inside_sqrt)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        return {"h": np.full_like(p.data, self.initial_accumulator_value)}

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        W, h, tmp = p.data, state["h"], work["tmp"]
        g = self._gradient(p, out=work["g"])                               # g <- g + lambda W (weight_decay)
        alpha = self.lr / (1 + (self.t - 1) * self.lr_decay)               # alpha_t (PyTorch's lr_decay)
        h += np.multiply(g, g, out=tmp)                                    # h <- h + g ⊙ g
        denom = sqrt_plus_eps(h, self.eps, self.eps_inside_sqrt, out=tmp)  # sqrt(h) + eps, or sqrt(h + eps)
        W -= np.multiply(alpha, np.divide(g, denom, out=tmp), out=tmp)     # W <- W - alpha / denom ⊙ g
