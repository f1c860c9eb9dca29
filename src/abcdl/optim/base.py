"""``Optimizer``: the base of every update rule (L20-L27).

An optimizer holds a list of :class:`~abcdl.Parameter` objects and moves each
one's ``data`` using its ``grad``.  Subclasses write one slide's formula in
``_update``; this base owns what they share: the parameter list, the learning
rate ``lr`` (a public attribute that schedules and callbacks change), the step
counter ``t``, the per-parameter state and its (de)serialisation.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ..parameter import Parameter

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


def sqrt_plus_eps(s: np.ndarray, eps: float, inside: bool, out: np.ndarray) -> np.ndarray:
    """The adaptive methods' denominator, written into ``out`` (L25-L27).

    ``inside=False``: sqrt(s) + eps (PyTorch, the papers, SPEC);
    ``inside=True``:  sqrt(s + eps) (how the lecture's AdaGrad/RMSProp/Adam slides write it).
    """
    if inside:
        np.add(s, eps, out=out)
        return np.sqrt(out, out=out)                              # sqrt(s + eps)
    np.sqrt(s, out=out)
    out += eps                                                    # sqrt(s) + eps
    return out


class _FlatParameter(Parameter):
    """All parameters of one dtype as one vector (``data``, ``grad``): what ``_update`` sees
    when the optimizer uses contiguous storage.  Unlike a Parameter it wraps the given
    arrays as they are (no copy, no checks): they are the optimizer's own storage."""

    __slots__ = ()

    def __init__(self, data: np.ndarray, grad: np.ndarray) -> None:
        self.data, self.grad, self.name = data, grad, None


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
        (``"v"`` velocity, ``"h"`` sum of squared gradients, ``"m"`` first
        moment), created lazily on the first ``step()``.
    t : int
        Number of ``step()`` calls so far (Adam's bias correction uses it).

    Notes
    -----
    Updates are made in place (float32 parameters stay float32).  Temporaries
    live in scratch arrays that are allocated once and reused, so a step
    allocates nothing after the first one; they are not part of the saved state.

    *Contiguous storage (speed).*  Every update rule is elementwise, so updating
    all parameters as one long vector gives exactly the same numbers as updating
    them one by one, with one NumPy call per formula line instead of one per
    line *and* parameter (for a 784-100-100-10 network, 14 calls instead of 84
    per Adam step).  On its first ``step()`` the optimizer therefore moves the
    parameters of each dtype into one flat array: ``p.data`` and ``p.grad``
    become views into it (same shapes, values and dtype) and ``state[p]`` holds
    views into the flat state.  Layers read ``p.data`` at every call, so nothing
    else notices.  Keep using ``p.data`` rather than an array saved before the
    first step.  If anything later rebinds ``p.data`` or ``p.grad`` to another
    array (or another optimizer takes over the parameters), the next ``step()``
    notices and falls back to updating parameter by parameter.
    """

    #: names of the constructor's hyper-parameters (besides ``lr``), saved in ``state_dict``
    _hyper: tuple[str, ...] = ()

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
        self._scratch: dict[Parameter, list[np.ndarray]] = {}
        # Contiguous storage: None = not built yet, [] = not used; else a list of
        # (flat view, flat state, [(p, data view, grad view)]) per dtype group.
        self._groups: list | None = None

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
        if self._groups is None:
            self._groups = self._make_contiguous()
        if self._groups and not self._still_contiguous():
            self._groups = []                     # something rebound p.data / p.grad: go one by one
        if self._groups:
            for flat, flat_state, _ in self._groups:
                self._update(flat, flat_state)    # the same formulas, on all parameters at once
            return
        state = self.state
        for p in self.params:
            st = state.get(p)
            if st is None:
                st = state[p] = self._init_state(p)
            self._update(p, st)

    def _make_contiguous(self) -> list:
        """Move each dtype's parameters (2 or more) into one flat array; see the class notes."""
        by_dtype: dict[np.dtype, list[Parameter]] = {}
        for p in self.params:
            by_dtype.setdefault(p.data.dtype, []).append(p)
        groups = []
        for dtype, ps in by_dtype.items():
            if len(ps) < 2:
                continue
            n = sum(p.size for p in ps)
            flat = _FlatParameter(np.empty(n, dtype), np.empty(n, dtype))
            old_state = [self.state.get(p) for p in ps]
            if any(st is None for st in old_state) and any(st is not None for st in old_state):
                continue                          # partly stateful (a hand-made state): leave as is
            flat_state = self._init_state(flat)
            members, off = [], 0
            for p, st in zip(ps, old_state, strict=True):
                sl = slice(off, off + p.size)
                dv, gv = flat.data[sl].reshape(p.shape), flat.grad[sl].reshape(p.shape)
                dv[...] = p.data
                gv[...] = p.grad
                views = {k: v[sl].reshape(p.shape) for k, v in flat_state.items()}
                for k, v in views.items():
                    if st is not None:
                        v[...] = st[k]            # resume: carry the state over
                p.data, p.grad = dv, gv
                self.state[p] = views
                self._scratch.pop(p, None)
                members.append((p, dv, gv))
                off += p.size
            groups.append((flat, flat_state, members))
        if len(groups) != sum(len(ps) >= 2 for ps in by_dtype.values()):
            return []
        for p in self.params:                     # the one-parameter groups keep their own state
            if p not in self.state:
                self.state[p] = self._init_state(p)
        return groups

    def _still_contiguous(self) -> bool:
        for _, _, members in self._groups:
            for p, dv, gv in members:
                if p.data is not dv or p.grad is not gv:
                    return False
        return True

    def zero_grad(self) -> None:
        """Set every parameter's gradient to zero in place."""
        for p in self.params:
            p.grad.fill(0)

    def _init_state(self, p: Parameter) -> dict[str, np.ndarray]:
        """The state of ``p`` before its first step (subclasses: zero arrays named by the slide)."""
        return {}

    def _update(self, p: Parameter, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def _l2_grad(self, p: Parameter, buf: np.ndarray) -> np.ndarray:
        """g, or g + lambda x in ``buf`` when ``weight_decay`` (lambda) is set: PyTorch's L2 term."""
        if not self.weight_decay:
            return p.grad
        np.multiply(p.data, self.weight_decay, out=buf)
        return np.add(p.grad, buf, out=buf)                       # g <- g + lambda x

    def _buffers(self, p: Parameter, n: int) -> list[np.ndarray]:
        """``n`` scratch arrays shaped like ``p`` (allocated on first use, then reused)."""
        bufs = self._scratch.get(p)
        if bufs is None:
            bufs = self._scratch[p] = []
        while len(bufs) < n:
            bufs.append(np.empty_like(p.data))
        return bufs

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
        t = state_dict["t"]
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
            raise ValueError(f"{name}.load_state_dict: t must be a non-negative integer, got {t!r}")
        # Every step updates every parameter, so after t > 0 steps all of them have state.
        stateful = bool(checked._init_state(self.params[0]))
        if stateful and (len(staged) != len(self.params) if t > 0 else staged):
            raise ValueError(f"{name}.load_state_dict: t = {t} but state is given for "
                             f"{len(staged)} of {len(self.params)} parameters")
        for k in ("lr", *self._hyper):
            setattr(self, k, getattr(checked, k))
        self.t = int(t)
        self.state = staged
        self._groups = None                       # rebuilt, with this state, on the next step

    # -- display ----------------------------------------------------------------
    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"
