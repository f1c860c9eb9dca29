"""``Optimizer``: the base of every update rule (L20-L27).

An optimizer holds a list of :class:`~abcdl.Parameter` objects and moves each
one's ``data``, in place, using its ``grad``.  Subclasses write one slide's formula in
``_update``; this base owns what they share: the parameter list, the learning
rate ``lr`` (a public attribute that schedules and callbacks change), the step
counter ``t``, the per-parameter state and its (de)serialisation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from .._checks import check_nonnegative_int
from ..parameter import Parameter
from ..regularizers import l2_grad

__all__ = ["Optimizer"]


def check_number(owner: str, name: str, value, low: float = 0.0, high: float | None = None,
                 low_open: bool = False, high_open: bool = True) -> float:
    """``value`` as a python float, or ``ValueError`` naming the argument and the allowed range.

    The range is [low, high) by default; ``low_open`` excludes ``low``.
    Python floats are used for every hyper-parameter on purpose: NumPy treats
    them as "weak" scalars, so ``float32_array * lr`` stays float32.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}: {name} must be a real number, got {value!r}")
    v = float(value)
    too_low = v <= low if low_open else v < low
    too_high = high is not None and (v >= high if high_open else v > high)
    if not math.isfinite(v) or too_low or too_high:
        cond = f"{low:g} {'<' if low_open else '<='} {name}"
        if high is not None:
            cond += f" {'<' if high_open else '<='} {high:g}"
        raise ValueError(f"{owner}: invalid {name} {value!r}; it must be finite with {cond}")
    return v


def check_flag(owner: str, name: str, value) -> bool:
    """``value`` as a python bool, or ``ValueError`` naming the argument."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def sqrt_plus_eps(s: np.ndarray, eps: float, inside: bool, out: np.ndarray) -> np.ndarray:
    """The adaptive methods' denominator, written into ``out`` (L24-L26).

    ``inside=False``: sqrt(s) + eps (L24, SPEC L26, the papers, PyTorch);
    ``inside=True``:  sqrt(s + eps) (how the lecture's RMSProp (L25) and Adam slides write it).
    """
    if inside:
        return np.sqrt(np.add(s, eps, out=out), out=out)          # sqrt(s + eps)
    return np.add(np.sqrt(s, out=out), eps, out=out)              # sqrt(s) + eps


class Optimizer:
    """Base class: an iterable of Parameters, a learning rate, and per-parameter state.

    Parameters
    ----------
    params : iterable of Parameter, or one Parameter
        What to update, e.g. ``model.parameters()``.  A single Parameter (a point
        being moved over a function, as in L20-L26) is accepted as is.
    lr : float
        Learning rate alpha >= 0.  Stored as the public attribute ``lr``; change it
        between steps (schedules do) and the next ``step()`` uses the new value.

    Attributes
    ----------
    params : list of Parameter
        In the order given; :meth:`state_dict` keys state by this position.
    state : dict
        ``state[p]`` is a dict of arrays named by the lecture's symbols
        (``"v"`` velocity, ``"h"`` sum of squared gradients, ``"m"`` and ``"v"``
        Adam's moments), created on the parameter's first ``step()``.
    t : int
        Number of ``step()`` calls so far (Adam's bias correction uses it).

    Notes
    -----
    Every update is made on the parameter's own arrays, in place: ``p.data``
    and ``p.grad`` stay the arrays they were (an array taken from
    ``layer.W.data`` before training is still the weight after it), and float32
    parameters stay float32.  Each line of a slide's formula is one NumPy
    expression; its ``out=`` arguments write into the state or into work arrays
    that are allocated on the first step and reused, so a step allocates nothing
    after the first one.  The work arrays are named by what they hold
    (``_work_names``) and are not part of the saved state.
    """

    #: names of the constructor's hyper-parameters (besides ``lr``), saved in ``state_dict``
    _hyper: tuple[str, ...] = ()
    #: names of the work arrays (shaped like the parameter) that ``_update`` finds in ``work``
    _work_names: tuple[str, ...] = ()
    #: PyTorch's L2 term lambda (0: none); the optimizers that take a ``weight_decay`` argument set it
    weight_decay: float = 0.0

    def __init__(self, params: Iterable[Parameter] | Parameter, lr: float) -> None:
        name = type(self).__name__
        if isinstance(params, Parameter):
            params = [params]
        elif hasattr(params, "named_parameters") and hasattr(params, "forward"):
            raise TypeError(f"{name}: got a Module; pass model.parameters()")
        try:
            plist = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Parameter, "
                            f"got {type(params).__name__}") from None
        if not plist:
            raise ValueError(f"{name}: got an empty parameter list")
        for i, p in enumerate(plist):
            if not isinstance(p, Parameter):
                raise TypeError(f"{name}: params[{i}] is a {type(p).__name__}, not a Parameter")
        if len({id(p) for p in plist}) != len(plist):
            raise ValueError(f"{name}: the same Parameter appears more than once in params "
                             f"(it would be updated twice per step)")
        self.params: list[Parameter] = plist
        self.lr = lr
        self.t: int = 0
        self.state: dict[Parameter, dict[str, np.ndarray]] = {}
        self._work: dict[Parameter, dict[str, np.ndarray]] = {}

    # -- the learning rate ------------------------------------------------------
    @property
    def lr(self) -> float:
        """The learning rate alpha used by the next ``step()``."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_number(type(self).__name__, "lr", value)

    # -- the update -------------------------------------------------------------
    def step(self) -> None:
        """Apply one update to every parameter from its current ``grad``."""
        self.t += 1
        for p in self.params:
            state = self.state.get(p)
            if state is None:
                state = self.state[p] = self._init_state(p)
            work = self._work.get(p)
            if work is None:
                work = self._work[p] = {name: np.empty_like(p.data) for name in self._work_names}
            self._update(p, state, work)

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero in place."""
        for p in self.params:
            p.grad.fill(0)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        """The state of ``p`` before its first step (subclasses: zero arrays named by the slide)."""
        return {}

    def _update(self, p: Parameter, state: dict[str, np.ndarray], work: dict[str, np.ndarray]) -> None:
        """One slide's formula on ``p.data``, from ``p.grad`` and ``state``; ``work`` holds scratch arrays."""
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def _gradient(self, p: Parameter, out: np.ndarray) -> np.ndarray:
        """g = ``p.grad``, or g + lambda W (in ``out``) when ``weight_decay`` = lambda is set.

        PyTorch's ``weight_decay`` is the L2 gradient (lambda/m) W of L31 with m = 1,
        added to every parameter: :func:`abcdl.regularizers.l2_grad` computes it.
        """
        if not self.weight_decay:
            return p.grad
        return np.add(p.grad, l2_grad(p.data, self.weight_decay, 1, out=out), out=out)   # g + lambda W

    # -- saving and resuming ----------------------------------------------------
    def hyperparameters(self) -> dict[str, Any]:
        """``lr`` and the other constructor arguments, as JSON-able values."""
        hyper: dict[str, Any] = {"lr": self.lr}
        for k in self._hyper:
            v = getattr(self, k)
            hyper[k] = list(v) if isinstance(v, tuple) else v
        return hyper

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume exactly: hyper-parameters, ``t`` and copies of the state.

        Returns
        -------
        dict with keys
            ``"type"`` (class name), ``"t"`` (int), ``"hyper"`` (dict of JSON-able
            values, ``lr`` included) and ``"state"``: ``{position: {symbol: array}}``
            where ``position`` is the parameter's index in ``params``.  Keying by
            position, not by object, lets the state load into an optimizer built
            over a rebuilt model.  The arrays are copies.
        """
        index = {id(p): i for i, p in enumerate(self.params)}
        return {
            "type": type(self).__name__,
            "t": self.t,
            "hyper": self.hyperparameters(),
            "state": {index[id(p)]: {k: v.copy() for k, v in st.items()}
                      for p, st in self.state.items()},
        }

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a :meth:`state_dict`; arrays are copied into each parameter's dtype.

        Raises ``ValueError`` (and changes nothing) if the optimizer type, the
        parameter positions, the state names or the array shapes do not match.
        """
        name = type(self).__name__
        for key in ("type", "t", "hyper", "state"):
            if key not in state_dict:
                raise ValueError(f"{name}.load_state_dict: missing key {key!r}")
        if state_dict["type"] != name:
            raise ValueError(f"{name}.load_state_dict: the state is from a {state_dict['type']}")
        hyper = dict(state_dict["hyper"])
        if set(hyper) != {"lr", *self._hyper}:
            raise ValueError(f"{name}.load_state_dict: hyper-parameters {sorted(hyper)} do not match "
                             f"{sorted({'lr', *self._hyper})}")
        # Validate the hyper-parameters the way the constructor does.
        checked = type(self)(self.params, **hyper)
        staged: dict[Parameter, dict[str, np.ndarray]] = {}
        for pos, st in state_dict["state"].items():
            i = int(pos)
            if not 0 <= i < len(self.params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {i}, but there are "
                                 f"only {len(self.params)}")
            p = self.params[i]
            expected = set(checked._init_state(p))
            if set(st) != expected:
                raise ValueError(f"{name}.load_state_dict: parameter {i} has state {sorted(st)}, "
                                 f"expected {sorted(expected)}")
            arrays = {}
            for k, v in st.items():
                v = np.asarray(v)
                if v.shape != p.shape:
                    raise ValueError(f"{name}.load_state_dict: state {k!r} of parameter {i} has shape "
                                     f"{v.shape}, the parameter has {p.shape}")
                arrays[k] = np.array(v, dtype=p.dtype, copy=True)
            staged[p] = arrays
        t = check_nonnegative_int(state_dict["t"], f"{name}.load_state_dict: t")
        # Every step updates every parameter, so after t > 0 steps all of them have state.
        stateful = bool(checked._init_state(self.params[0]))
        if stateful and (len(staged) != len(self.params) if t > 0 else staged):
            raise ValueError(f"{name}.load_state_dict: t = {t} but state is given for "
                             f"{len(staged)} of {len(self.params)} parameters")
        for k in ("lr", *self._hyper):
            setattr(self, k, getattr(checked, k))
        self.t = int(t)
        self.state = staged

    # -- display ----------------------------------------------------------------
    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"
