"""Weight penalties exactly as the lecture writes them: L2 (L31) and L1 (L32).

The training loop uses a regularizer in two places::

    loss = loss_fn.forward(model.forward(x), t) + reg.penalty(model, m)   # J = J0 + Omega
    model.backward(loss_fn.backward())                                   # dJ0/dW
    reg.backward(model, m)                                               # W.grad += dOmega/dW
    opt.step()

Only weights are penalised, never biases (nor batch-norm's gamma, beta): a
weight is a Parameter whose own name (the last part of its dotted name, as in
``layers.0.W``) is ``W``, which covers ``Linear`` and the convolution layers.
A list of Parameters may be given instead of a model; then every one of them
is penalised.

Why this is not PyTorch's ``weight_decay``
------------------------------------------
The lecture puts the penalty in the cost, per example: Omega = (lambda/2m) sum ||W||^2,
whose gradient is (lambda/m) W.  ``torch.optim.SGD(weight_decay=wd)`` adds wd W
to the gradient with no 1/m and no 1/2, so the same decay needs wd = lambda/m;
and PyTorch's loss never shows the penalty, while here it is part of the
reported J.  For adaptive optimizers (Adam) adding (lambda/m) W to the gradient
is "L2 regularization", not the decoupled decay of :class:`~abcdl.optim.AdamW`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .module import Module
from .parameter import Parameter

__all__ = ["Regularizer", "L2", "L1", "weights"]


def weights(model: Module | Iterable[Parameter]) -> list[Parameter]:
    """The Parameters a regularizer penalises: a model's ``W``s, or every Parameter of a list.

    Parameters
    ----------
    model : Module, or iterable of Parameter
        A Module contributes each parameter whose name's last dotted part is ``W``.

    Returns
    -------
    list of Parameter, in the model's definition order.
    """
    if isinstance(model, Module):
        return [p for name, p in model.named_parameters() if name.rsplit(".", 1)[-1] == "W"]
    if isinstance(model, Parameter):
        return [model]
    try:
        params = list(model)
    except TypeError:
        raise TypeError(f"a regularizer needs a Module or an iterable of Parameter, "
                        f"got {type(model).__name__}") from None
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"regularizer: item {i} is a {type(p).__name__}, not a Parameter")
    return params


class Regularizer:
    """Base class: ``penalty(model, m) -> float`` and ``backward(model, m) -> None``.

    Parameters
    ----------
    lam : float >= 0
        lambda, the regularization strength (larger lambda, smaller weights).
    """

    def __init__(self, lam: float) -> None:
        if isinstance(lam, bool) or not isinstance(lam, (int, float, np.integer, np.floating)) \
                or not math.isfinite(lam) or lam < 0:
            raise ValueError(f"{type(self).__name__}: lam must be a finite number >= 0, got {lam!r}")
        self.lam = float(lam)

    @staticmethod
    def _check_m(owner: str, m) -> int:
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
            raise ValueError(f"{owner}: m (the number of examples in J0's mean) must be a positive "
                             f"integer, got {m!r}")
        return int(m)

    def penalty(self, model: Module | Iterable[Parameter], m: int) -> float:
        raise NotImplementedError

    def backward(self, model: Module | Iterable[Parameter], m: int) -> None:
        raise NotImplementedError

    def config(self) -> dict:
        """Constructor arguments (JSON-able): ``type(reg)(**reg.config())`` rebuilds it."""
        return {"lam": self.lam}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lam={self.lam})"


class L2(Regularizer):
    """L2 regularization, "weight decay" (L31).

    Parameters
    ----------
    lam : float >= 0
        lambda.

    Formula
    -------
    J = (1/m) sum_i L_i + (lambda/2m) sum_l ||W[l]||_F^2 = J0 + Omega_F
    ||W[l]||_F^2 = sum_ij (w_ij[l])^2                      (Frobenius)
    dW[l] = (1/m) dZ[l] A[l-1]^T + (lambda/m) W[l]

    ``m`` is the number of examples J0 averages over: the batch size in
    minibatch training (as in the Coursera code the lecture follows).  The
    equivalent ``torch.optim.SGD`` setting is ``weight_decay = lambda / m``
    (see the module docstring).
    """

    def penalty(self, model: Module | Iterable[Parameter], m: int) -> float:
        """Omega_F = (lambda/2m) sum_l ||W[l]||_F^2, as a Python float."""
        m = self._check_m("L2.penalty", m)
        # ||W||_F^2 = w . w over the flattened weights
        total = sum(float(np.dot(w, w)) for w in (p.data.reshape(-1) for p in weights(model)))
        return self.lam / (2 * m) * total                 # (lambda/2m) sum_l ||W[l]||_F^2

    def backward(self, model: Module | Iterable[Parameter], m: int) -> None:
        """Add dOmega_F/dW = (lambda/m) W to every weight's ``grad`` (in place)."""
        m = self._check_m("L2.backward", m)
        if self.lam == 0:
            return
        c = self.lam / m
        for p in weights(model):
            p.grad += c * p.data                          # dW += (lambda/m) W


class L1(Regularizer):
    """L1 regularization (L32): pushes weights to exactly zero (sparse weights).

    Parameters
    ----------
    lam : float >= 0
        lambda.

    Formula (the lecture's scaling, lambda/2m, kept on purpose)
    -------
    J = J0 + (lambda/2m) sum_l |W[l]|,   |W[l]| = sum_ij |w_ij[l]|
    dW[l] = (1/m) dZ[l] A[l-1]^T + (lambda/2m) sign(W[l])

    The lecture leaves the gradient as an exercise; d|w|/dw = sign(w) away from
    w = 0, and at 0 the subgradient sign(0) = 0 is used.  (PyTorch has no L1
    option in its optimizers; the usual code adds lambda sum |w| to the loss,
    without the 1/2m.)
    """

    def penalty(self, model: Module | Iterable[Parameter], m: int) -> float:
        """Omega_1 = (lambda/2m) sum_l sum_ij |w_ij[l]|, as a Python float."""
        m = self._check_m("L1.penalty", m)
        total = sum(float(np.abs(p.data).sum()) for p in weights(model))
        return self.lam / (2 * m) * total                 # (lambda/2m) sum_l |W[l]|

    def backward(self, model: Module | Iterable[Parameter], m: int) -> None:
        """Add dOmega_1/dW = (lambda/2m) sign(W) to every weight's ``grad`` (in place)."""
        m = self._check_m("L1.backward", m)
        if self.lam == 0:
            return
        c = self.lam / (2 * m)
        for p in weights(model):
            p.grad += c * np.sign(p.data)                 # dW += (lambda/2m) sign(W)
