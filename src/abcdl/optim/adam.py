"""``Adam`` and ``AdamW``: first and second moments with bias correction (L26, L27)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import Optimizer, check_flag, check_number, sqrt_plus_eps

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (L26): momentum's average of g and RMSProp's average of g ⊙ g, both bias-corrected.

    Names, defaults and update follow PyTorch (``torch.optim.Adam``), and the
    bias correction is computed explicitly, as the lecture derives it: M_0 = 0
    pulls M_t towards 0, and since (1 - b1) sum_{i<t} b1^(t-1-i) = 1 - b1^t,
    E[M_t / (1 - b1^t)] ~ E[g]; likewise for V with b2.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        alpha >= 0 (default 1e-3).
    betas : (float, float), each in [0, 1)
        (b1, b2), the decays of the first and second moment (default (0.9, 0.999)).
    eps : float > 0
        epsilon (default 1e-8).
    weight_decay : float >= 0
        PyTorch's L2 term g <- g + lambda W (:func:`abcdl.regularizers.l2_grad` with
        m = 1); :class:`AdamW` decouples it.
    bias_correction : bool
        True (default): divide by 1 - b^t as the lecture derives.  False: use M
        and V as they are; the first steps are then far too large or small (the
        lecture's with/without plot): at t = 1 the step is
        alpha (1 - b1) g / sqrt((1 - b2) g ⊙ g) ~ 3.16 alpha sign(g) for the defaults.
    eps_inside_sqrt : bool
        False (default): alpha M^ / (sqrt(V^) + eps), as in SPEC L26, the paper and PyTorch.
        True: alpha M^ / sqrt(V^ + eps), as the lecture's Adam slide writes it.

    Formula (t = number of steps so far, counting this one)
    -------
    M <- b1 M + (1 - b1) g
    V <- b2 V + (1 - b2) g ⊙ g
    M^ = M / (1 - b1^t),   V^ = V / (1 - b2^t)
    W <- W - alpha M^ / (sqrt(V^) + eps)

    State names: ``m`` (M) and ``v`` (V).
    """

    _hyper = ("betas", "eps", "weight_decay", "bias_correction", "eps_inside_sqrt")
    _work_names = ("g", "m_hat", "v_hat")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 bias_correction: bool = True, eps_inside_sqrt: bool = False) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_number(name, "betas[0]", betas[0], 0.0, 1.0),
                      check_number(name, "betas[1]", betas[1], 0.0, 1.0))
        self.eps = check_number(name, "eps", eps, low_open=True)   # 0/0 = NaN where g = 0
        self.weight_decay = check_number(name, "weight_decay", weight_decay)
        self.bias_correction = check_flag(name, "bias_correction", bias_correction)
        self.eps_inside_sqrt = check_flag(name, "eps_inside_sqrt", eps_inside_sqrt)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        return {"m": np.zeros_like(p.data), "v": np.zeros_like(p.data)}

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        g = self._gradient(p, out=work["g"])                               # g <- g + lambda W (weight_decay)
        self._adam(p, g, state, work)

    def _adam(self, p: Parameter, g: np.ndarray, state: dict[str, np.ndarray],
              work: dict[str, np.ndarray]) -> None:
        """The Adam step proper from the gradient ``g``, the slide line by line (shared with AdamW)."""
        (b1, b2), t, alpha = self.betas, self.t, self.lr
        W, m, v, m_hat, v_hat = p.data, state["m"], state["v"], work["m_hat"], work["v_hat"]
        g2 = np.multiply(g, g, out=v_hat)                                             # g ⊙ g
        np.add(np.multiply(b1, m, out=m), np.multiply(1 - b1, g, out=m_hat), out=m)   # m <- b1 m + (1-b1) g
        np.add(np.multiply(b2, v, out=v), np.multiply(1 - b2, g2, out=v_hat), out=v)  # v <- b2 v + (1-b2) g2
        if self.bias_correction:
            np.divide(m, 1 - b1 ** t, out=m_hat)                                      # m_hat = m / (1 - b1^t)
            np.divide(v, 1 - b2 ** t, out=v_hat)                                      # v_hat = v / (1 - b2^t)
        else:
            np.copyto(m_hat, m)                                                       # m_hat = m
            np.copyto(v_hat, v)                                                       # v_hat = v
        denom = sqrt_plus_eps(v_hat, self.eps, self.eps_inside_sqrt, out=v_hat)       # sqrt(v_hat) + eps
        W -= np.multiply(alpha, np.divide(m_hat, denom, out=m_hat), out=m_hat)  # W <- W - alpha m_hat/denom


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019; L27), as ``torch.optim.AdamW``.

    Adam's ``weight_decay`` adds lambda W to g, which Adam then divides by
    sqrt(V^): heavily-updated weights are decayed less.  AdamW shrinks W directly,
    outside the adaptive scaling, then takes a plain Adam step.

    Parameters
    ----------
    As :class:`Adam`, except ``weight_decay`` (default 1e-2, PyTorch's).

    Formula
    -------
    W <- W - alpha lambda W
    then Adam's step (M, V, M^, V^, W <- W - alpha M^ / (sqrt(V^) + eps)) on the raw g
    """

    _work_names = ("m_hat", "v_hat")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 bias_correction: bool = True, eps_inside_sqrt: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, bias_correction, eps_inside_sqrt)

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        p.data *= 1 - self.lr * self.weight_decay          # W <- W - alpha lambda W  (= (1 - alpha lambda) W)
        self._adam(p, p.grad, state, work)
