"""``SGD``: gradient descent x <- x - alpha f'(x), with PyTorch's options (L20, L22, L27)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import Optimizer, check_flag, check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent, exactly PyTorch's ``torch.optim.SGD`` update (L20).

    With the defaults this is the lecture's gradient descent x <- x - alpha f'(x)
    (L20), one line of code per line of math.  ``momentum``, ``dampening``,
    ``weight_decay`` and ``nesterov`` follow PyTorch, so the same settings give
    the same trajectory as ``torch.optim.SGD``.  For the lecture's own momentum
    form (v <- beta v - alpha g, x <- x + v) use :class:`~abcdl.optim.Momentum`.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate alpha >= 0.
    momentum : float in [0, 1)
        mu; 0 is plain gradient descent.
    dampening : float in [0, 1]
        Scales the gradient added to the buffer after the first step.
    weight_decay : float >= 0
        lambda of PyTorch's L2 term g <- g + lambda W: the gradient of L31 with
        m = 1 (:func:`abcdl.regularizers.l2_grad`), on every parameter.
    nesterov : bool
        Nesterov's look-ahead (needs momentum > 0 and dampening = 0).

    Formula (PyTorch's; ``v`` is its ``momentum_buffer``, d the dampening)
    -------
    g <- g + lambda W                           (if weight_decay)
    v <- g  at t = 1,  else  v <- mu v + (1 - d) g
    g <- g + mu v  if nesterov,  else  g <- v  (if momentum)
    W <- W - alpha g
    """

    _hyper = ("momentum", "dampening", "weight_decay", "nesterov")
    _work_names = ("g", "tmp")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(params, lr)
        self.momentum = check_number("SGD", "momentum", momentum, 0.0, 1.0)
        self.dampening = check_number("SGD", "dampening", dampening, 0.0, 1.0, high_open=False)
        self.weight_decay = check_number("SGD", "weight_decay", weight_decay)
        self.nesterov = check_flag("SGD", "nesterov", nesterov)
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov=True requires momentum > 0 and dampening = 0")

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        return {"v": np.zeros_like(p.data)} if self.momentum != 0 else {}

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        W, mu, d, tmp = p.data, self.momentum, self.dampening, work["tmp"]
        g = self._gradient(p, out=work["g"])                            # g <- g + lambda W (weight_decay)
        if mu != 0:
            v = state["v"]
            if self.t == 1:
                np.copyto(v, g)                                         # v <- g  (first step)
            else:                                                       # v <- mu v + (1 - d) g
                np.add(np.multiply(mu, v, out=v), np.multiply(1 - d, g, out=tmp), out=v)
            if self.nesterov:
                g = np.add(g, np.multiply(mu, v, out=tmp), out=tmp)     # g <- g + mu v
            else:
                g = v                                                   # g <- v
        W -= np.multiply(self.lr, g, out=tmp)                           # W <- W - alpha g
