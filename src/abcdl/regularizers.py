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

One home for the formula
------------------------
:func:`l2_penalty` and :func:`l2_grad` are the only places where the L2 formula
is written.  :class:`L2` (lambda fixed) and :class:`WeightDecay` (lambda/m fixed,
what ``abcdl train --weight-decay`` means) sum them over a model's weights, and
the optimizers' PyTorch-style ``weight_decay`` argument adds ``l2_grad(W, lambda, 1)``
to every parameter's gradient.  AdamW's decoupled decay is a different formula
and stays in AdamW.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ._checks import check_positive_int
from .module import Module
from .parameter import Parameter

__all__ = ["Regularizer", "L2", "WeightDecay", "L1", "weights", "l2_penalty", "l2_grad"]


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
        self.lam = self._check_strength("lam", lam)

    def _check_strength(self, name: str, value) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                or not math.isfinite(value) or value < 0:
            raise ValueError(f"{type(self).__name__}: {name} must be a finite number >= 0, got {value!r}")
        return float(value)

    @staticmethod
    def _check_m(owner: str, m) -> int:
        return check_positive_int(m, f"{owner}: m (the number of examples in J0's mean)")

    def penalty(self, model: Module | Iterable[Parameter], m: int) -> float:
        raise NotImplementedError

    def backward(self, model: Module | Iterable[Parameter], m: int) -> None:
        raise NotImplementedError

    def config(self) -> dict:
        """Constructor arguments (JSON-able): ``type(reg)(**reg.config())`` rebuilds it."""
        return {"lam": self.lam}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lam={self.lam})"


def l2_penalty(W: np.ndarray, lam: float, m: int) -> float:
    """(lambda/2m) ||W||_F^2 of one weight array, as a Python float (L31).

    The one formula of the L2 penalty in abcdl: :class:`L2` and :class:`WeightDecay`
    sum it over a model's weights.
    """
    w = W.reshape(-1)
    return lam / (2 * m) * float(np.dot(w, w))          # (lambda/2m) ||W||_F^2,  ||W||_F^2 = w . w


def l2_grad(W: np.ndarray, lam: float, m: int, out: np.ndarray | None = None) -> np.ndarray:
    """d/dW of (lambda/2m) ||W||_F^2 = (lambda/m) W, in ``W``'s dtype (L31).

    The one formula of the L2 gradient in abcdl: :class:`L2` adds it to ``W.grad``,
    and an optimizer's PyTorch-style ``weight_decay`` lambda adds ``l2_grad(W, lambda, 1)``
    to g (PyTorch's weight decay is this gradient with m = 1, on every parameter).

    Parameters
    ----------
    W : array
    lam : float
        lambda.
    m : int
        The number of examples J0 averages over.
    out : array like W, optional
        Where to write the result (no allocation).
    """
    return np.multiply(lam / m, W, out=out)               # (lambda/m) W


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
    (see the module docstring); :class:`WeightDecay` holds lambda / m fixed instead.
    """

    def lam_for(self, m: int) -> float:
        """lambda for a batch of ``m`` examples: the constant ``lam``."""
        return self.lam

    def penalty(self, model: Module | Iterable[Parameter], m: int) -> float:
        """Omega_F = (lambda/2m) sum_l ||W[l]||_F^2, as a Python float."""
        m = self._check_m(f"{type(self).__name__}.penalty", m)
        lam = self.lam_for(m)
        return sum((l2_penalty(p.data, lam, m) for p in weights(model)), 0.0)   # sum_l (lambda/2m) ||W[l]||^2

    def backward(self, model: Module | Iterable[Parameter], m: int) -> None:
        """Add dOmega_F/dW = (lambda/m) W to every weight's ``grad`` (in place)."""
        m = self._check_m(f"{type(self).__name__}.backward", m)
        lam = self.lam_for(m)
        if lam == 0:
            return
        for p in weights(model):
            p.grad += l2_grad(p.data, lam, m)               # dW += (lambda/m) W


class WeightDecay(L2):
    """The L2 penalty of L31 with the decay per step fixed: lambda = wd m for a batch of m.

    ``abcdl train --weight-decay WD`` uses it (except with AdamW, whose decay is
    decoupled).  With :class:`L2`, lambda is fixed and the decay per step, lambda/m,
    grows when a batch is smaller (the last one of an epoch); here the weights
    lose wd W from their gradient at every step whatever the batch size, as with
    PyTorch's ``weight_decay = wd`` restricted to the weights.

    Parameters
    ----------
    wd : float >= 0
        The decay per step, lambda/m.

    Formula (L31 with lambda = wd m)
    -------
    J = J0 + (lambda/2m) sum_l ||W[l]||_F^2 = J0 + (wd/2) sum_l ||W[l]||_F^2
    dW[l] = (1/m) dZ[l] A[l-1]^T + wd W[l]
    """

    def __init__(self, wd: float) -> None:
        self.lam = self._check_strength("wd", wd)

    @property
    def wd(self) -> float:
        """The decay per step, lambda/m (stored as ``lam``)."""
        return self.lam

    def lam_for(self, m: int) -> float:
        """lambda = wd m, so that lambda/m = wd for every batch size."""
        return self.lam * m

    def config(self) -> dict:
        return {"wd": self.lam}

    def __repr__(self) -> str:
        return f"WeightDecay(wd={self.lam})"


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
