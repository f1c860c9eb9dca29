"""``Adam`` and ``AdamW``: first and second moments with bias correction (L26, L27)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import Optimizer, check_number, sqrt_plus_eps

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
    eps : float >= 0
        epsilon (default 1e-8).
    weight_decay : float >= 0
        PyTorch's L2 term g <- g + lambda x.  (:class:`AdamW` decouples it; the
        lecture's L2 with lambda/m lives in :mod:`abcdl.regularizers`.)
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
    x <- x - alpha M^ / (sqrt(V^) + eps)

    State names: ``m`` (M) and ``v`` (V).
    """

    _hyper = ("betas", "eps", "weight_decay", "bias_correction", "eps_inside_sqrt")

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 bias_correction: bool = True, eps_inside_sqrt: bool = False) -> None:
        super().__init__(params, lr)
        name = type(self).__name__
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (check_number(name, "betas[0]", betas[0], 0.0, 1.0),
                      check_number(name, "betas[1]", betas[1], 0.0, 1.0))
        self.eps = check_number(name, "eps", eps)
        self.weight_decay = check_number(name, "weight_decay", weight_decay)
        for flag_name, flag in (("bias_correction", bias_correction), ("eps_inside_sqrt", eps_inside_sqrt)):
            if not isinstance(flag, (bool, np.bool_)):
                raise ValueError(f"{name}: {flag_name} must be True or False, got {flag!r}")
        self.bias_correction = bool(bias_correction)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        return {"m": np.zeros_like(p.data), "v": np.zeros_like(p.data)}

    def _update(self, p: Parameter, state: dict[str, np.ndarray]) -> None:
        g = self._l2_grad(p, self._buffers(p, 2)[1]) if self.weight_decay else p.grad   # g <- g + lambda x
        self._adam(p, g, state)

    def _adam(self, p: Parameter, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        """The Adam step proper, from gradient ``g`` (shared with AdamW).

        The slide's formulas, computed with fewer passes over memory (issue 7):

        * M <- b1 M + (1 - b1) g is computed as b1 (M - g) + g, in place on M
          (no scratch array, one pass fewer); likewise for V with g ⊙ g.
        * The bias corrections are folded into two scalars (Kingma & Ba, sec. 2):
          with c1 = 1 - b1^t and c2 = 1 - b2^t,
              alpha M^ / (sqrt(V^) + eps) = (alpha sqrt(c2) / c1) M / (sqrt(V) + eps sqrt(c2))
              alpha M^ / sqrt(V^ + eps)   = (alpha sqrt(c2) / c1) M / sqrt(V + eps c2)
          which saves dividing two whole arrays by c1 and c2 at every step.
        Both are exact in real arithmetic; in floating point they differ from the
        step-by-step form by a few units in the last place (the PyTorch parity and
        lecture tests check that).
        """
        b1, b2 = self.betas
        t = self.t
        m, v = state["m"], state["v"]
        (buf,) = self._buffers(p, 1)[:1]
        m -= g
        m *= b1
        m += g                                                    # M <- b1 M + (1 - b1) g
        np.multiply(g, g, out=buf)                                # g ⊙ g
        v -= buf
        v *= b2
        v += buf                                                  # V <- b2 V + (1 - b2) g ⊙ g
        # M^ = M / c1, V^ = V / c2 (c = 1 when bias_correction is off), folded into the step below.
        c1, c2 = (1.0 - b1 ** t, 1.0 - b2 ** t) if self.bias_correction else (1.0, 1.0)
        # sqrt(V) + eps sqrt(c2) = sqrt(c2) (sqrt(V^) + eps);  sqrt(V + eps c2) = sqrt(c2) sqrt(V^ + eps)
        eps = self.eps * c2 if self.eps_inside_sqrt else self.eps * math.sqrt(c2)
        sqrt_plus_eps(v, eps, self.eps_inside_sqrt, out=buf)
        np.divide(m, buf, out=buf)
        buf *= self.lr * math.sqrt(c2) / c1
        p.data -= buf                                             # x <- x - alpha M^ / (sqrt(V^) + eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019; L27), as ``torch.optim.AdamW``.

    Adam's ``weight_decay`` adds lambda x to g, which Adam then divides by
    sqrt(V^): heavily-updated weights are decayed less.  AdamW shrinks x directly,
    outside the adaptive scaling, then takes a plain Adam step.

    Parameters
    ----------
    As :class:`Adam`, except ``weight_decay`` (default 1e-2, PyTorch's).

    Formula
    -------
    x <- x - alpha lambda x
    then Adam's step (M, V, M^, V^, x <- x - alpha M^ / (sqrt(V^) + eps)) on the raw g
    """

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 bias_correction: bool = True, eps_inside_sqrt: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, bias_correction, eps_inside_sqrt)

    def _update(self, p: Parameter, state: dict[str, np.ndarray]) -> None:
        if self.weight_decay != 0:
            p.data *= 1.0 - self.lr * self.weight_decay           # x <- x - alpha lambda x
        self._adam(p, p.grad, state)
