"""Learning-rate schedules (L27): step, exponential and cosine decay of ``optimizer.lr``.

Each schedule is a function alpha(e) of the epoch e, written in closed form, and
follows PyTorch's protocol: constructing it sets alpha(0) (= the optimizer's
current lr, remembered as ``base_lr``), and each ``step()`` (once per epoch,
after that epoch's optimizer steps) advances e by one and sets
``optimizer.lr = alpha(e)``.  The schedule owns ``lr``: a value set by hand is
replaced at the next ``step()``.  The sequences equal ``torch.optim.lr_scheduler``'s
(which compute the same values recursively) to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .._checks import check_nonnegative_int, check_positive_int
from .base import Optimizer, check_number

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR"]


class LRScheduler:
    """Base class: subclasses define ``lr_at(epoch)``.

    Attributes
    ----------
    optimizer : Optimizer
    base_lr : float
        The optimizer's lr when the schedule was built, alpha_0.
    last_epoch : int
        Number of ``step()`` calls so far (0 after construction).
    """

    _hyper: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an abcdl Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr: float = optimizer.lr
        self.last_epoch: int = 0

    def _start(self) -> None:
        """Set alpha(0) (subclasses call this at the end of ``__init__``)."""
        self._set(self.lr_at(0))

    @staticmethod
    def _check(**hyper) -> dict[str, Any]:
        """The constructor's arguments, validated (``ValueError`` naming the bad one)."""
        return hyper

    def lr_at(self, epoch: int) -> float:
        """alpha(epoch), the learning rate this schedule gives after ``epoch`` steps."""
        raise NotImplementedError

    def _set(self, lr: float) -> None:
        self.optimizer.lr = lr
        self._last_lr = lr

    def step(self) -> None:
        """End of an epoch: e <- e + 1 and ``optimizer.lr = alpha(e)``."""
        self.last_epoch += 1
        self._set(self.lr_at(self.last_epoch))

    def get_last_lr(self) -> list[float]:
        """The lr this schedule set last, as a one-element list (PyTorch returns one per group)."""
        return [self._last_lr]

    def state_dict(self) -> dict[str, Any]:
        """``type``, ``base_lr``, ``last_epoch`` and the constructor's arguments (JSON-able)."""
        state = {"type": type(self).__name__, "base_lr": self.base_lr, "last_epoch": self.last_epoch}
        state.update({k: getattr(self, k) for k in self._hyper})
        return state

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict`.  As in PyTorch, the optimizer's lr is not touched
        (it comes back with the optimizer's own state dict)."""
        name = type(self).__name__
        if state.get("type") != name:
            raise ValueError(f"{name}.load_state_dict: the state is from a {state.get('type')}")
        expected = {"type", "base_lr", "last_epoch", *self._hyper}
        if set(state) != expected:
            raise ValueError(f"{name}.load_state_dict: keys {sorted(state)} != {sorted(expected)}")
        last = check_nonnegative_int(state["last_epoch"], f"{name}.load_state_dict: last_epoch")
        base = check_number(name, "base_lr", state["base_lr"])
        for k, v in self._check(**{k: state[k] for k in self._hyper}).items():
            setattr(self, k, v)
        self.base_lr = base
        self.last_epoch = int(last)
        self._last_lr = self.lr_at(self.last_epoch)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)}" for k in self._hyper)
        return f"{type(self).__name__}({args}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Step decay (L27): multiply the lr by ``gamma`` every ``step_size`` epochs.

    Formula
    -------
    alpha(e) = alpha_0 gamma^floor(e / step_size)

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int >= 1
    gamma : float > 0
        Decay factor (default 0.1).
    """

    _hyper = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        vars(self).update(self._check(step_size=step_size, gamma=gamma))
        self._start()

    @staticmethod
    def _check(step_size, gamma) -> dict[str, Any]:
        return {"step_size": check_positive_int(step_size, "StepLR: step_size"),
                "gamma": check_number("StepLR", "gamma", gamma, low_open=True)}

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)   # alpha_0 gamma^floor(e/s)


class ExponentialLR(LRScheduler):
    """Exponential decay (L27): multiply the lr by ``gamma`` every epoch.

    Formula
    -------
    alpha(e) = alpha_0 gamma^e

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float > 0
    """

    _hyper = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        vars(self).update(self._check(gamma=gamma))
        self._start()

    @staticmethod
    def _check(gamma) -> dict[str, Any]:
        return {"gamma": check_number("ExponentialLR", "gamma", gamma, low_open=True)}

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch                       # alpha_0 gamma^e


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing (Loshchilov & Hutter 2017, without restarts; L27).

    The lr follows half a cosine from alpha_0 down to ``eta_min`` over ``T_max``
    epochs; past T_max it keeps following the cosine (back up over the next
    T_max epochs), as PyTorch's does.

    Formula
    -------
    alpha(e) = eta_min + (alpha_0 - eta_min) (1 + cos(pi e / T_max)) / 2

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int >= 1
        Half period in epochs.
    eta_min : float >= 0
        The lowest lr (default 0).
    """

    _hyper = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        vars(self).update(self._check(T_max=T_max, eta_min=eta_min))
        self._start()

    @staticmethod
    def _check(T_max, eta_min) -> dict[str, Any]:
        return {"T_max": check_positive_int(T_max, "CosineAnnealingLR: T_max"),
                "eta_min": check_number("CosineAnnealingLR", "eta_min", eta_min)}

    def lr_at(self, epoch: int) -> float:
        # eta_min + (alpha_0 - eta_min) (1 + cos(pi e / T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2
