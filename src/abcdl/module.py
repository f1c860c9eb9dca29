"""``Module``: the base of every layer and model (forward/backward, parameters, modes, state).

A module computes ``forward(x) -> y`` and caches what its ``backward(dout) -> dx``
needs; ``backward`` returns the true gradient with respect to the input and
*accumulates* the gradients of its parameters.  Parameters, child modules and
buffers are registered simply by assigning them as attributes, in definition
order (a dict, never a set), so ``parameters()`` and ``state_dict()`` are stable.

This module depends only on :mod:`abcdl.parameter`.  Saving lives in
:mod:`abcdl.checkpoint` (``abcdl.save(module, path)``, and ``model.save(path)`` on
:class:`abcdl.models.Sequential`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from .parameter import Parameter


class Module:
    """Base class: subclasses implement :meth:`forward` and :meth:`backward`.

    Every layer and container keeps one backward contract,
    ``backward(dout, input_grad=True) -> dx``:

    - ``dout`` is dJ/d(output), the shape of the last ``forward``'s output; it is
      never modified in place.
    - Each parameter's gradient is *accumulated*: ``p.grad += dJ/dp``
      (``zero_grad()`` clears them between steps).
    - The return value is dJ/dx, the shape of the last ``forward``'s input.
    - ``input_grad=False`` says the caller will not use dJ/dx: the module then
      accumulates exactly the same parameter gradients, skips the work that only
      dJ/dx needs, and returns ``None``.  The training loop passes it for the
      whole network, since nothing learns from the gradient of the data; a
      container passes it on to its first layer only (for ``Linear`` this saves
      the GEMM ``dA_prev = dZ W``, for ``Conv2d`` a GEMM and the col2im scatter).
    - Calling ``backward`` before ``forward`` raises ``RuntimeError``.

    A module of your own accepts the argument too; the simplest way is to compute
    dJ/dx only when it is asked for::

        def backward(self, dout, input_grad=True):
            self.w.grad += ...                     # dJ/dw
            return dout * self.w.data if input_grad else None

    Attributes
    ----------
    training : bool
        True in training mode (dropout active, batch statistics in batch norm);
        set recursively by :meth:`train` and :meth:`eval`.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_path", "")

    # -- registration ---------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.__init__ must call super().__init__() before "
                f"assigning attributes"
            )
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if name in self._buffers and not isinstance(value, np.ndarray):
            del self._buffers[name]
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Register a non-learnable array (e.g. batch-norm running statistics) saved in the state dict."""
        self.__setattr__(name, value)
        self._buffers[name] = True

    def add_module(self, name: str, module: Module) -> None:
        """Register a child under ``name`` (names may contain dots-free digits, as in Sequential)."""
        if not isinstance(module, Module):
            raise TypeError(f"{name!r} must be a Module, got {type(module).__name__}")
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # -- the computation ------------------------------------------------------
    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dout, input_grad: bool = True):
        """dJ/dx from ``dout`` = dJ/d(output), accumulating parameter gradients (see the class docstring).

        Returns ``None`` when ``input_grad`` is False.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x):
        return self.forward(x)

    # -- traversal ------------------------------------------------------------
    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """``(dotted name, module)`` for this module and every descendant, depth first."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` in definition order, e.g. ``("layers.0.W", W)``."""
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> list[Parameter]:
        """Every Parameter of this module and its children, in definition order."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, np.ndarray]]:
        for mod_name, module in self.named_modules(prefix):
            for name in module._buffers:
                yield (f"{mod_name}.{name}" if mod_name else name), getattr(module, name)

    # -- modes ----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode here and in every child; returns self."""
        for _, module in self.named_modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Set inference mode (dropout off, batch norm uses running statistics); returns self."""
        return self.train(False)

    def zero_grad(self) -> None:
        """Set every parameter gradient to zero in place."""
        for p in self.parameters():
            p.grad.fill(0)

    # -- state ----------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed by dotted name (definition order)."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update({name: np.array(b, copy=True) for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state: Mapping[str, np.ndarray], strict: bool = True) -> None:
        """Copy ``state`` into this module's parameters and buffers, in place.

        With ``strict=True`` (the default) the keys must match exactly; missing and
        unexpected keys are all named in one ``KeyError``.  Shapes must always
        match, and values must be real numbers (an object or complex array is a
        ``TypeError``).  Values are cast to each target's dtype.  Nothing is changed
        unless every check passes.
        """
        targets: dict[str, tuple[Module, str, bool]] = {}
        for mod_name, module in self.named_modules():
            for name in list(module._parameters) + list(module._buffers):
                full = f"{mod_name}.{name}" if mod_name else name
                targets[full] = (module, name, name in module._parameters)
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append("missing keys: " + ", ".join(missing))
            if unexpected:
                parts.append("unexpected keys: " + ", ".join(unexpected))
            raise KeyError(f"load_state_dict({type(self).__name__}): " + "; ".join(parts))
        staged = []
        for key, (module, name, is_param) in targets.items():
            if key not in state:
                continue
            value = np.asarray(state[key])
            if value.dtype.kind not in "biuf":       # None -> object array (NaN), complex (truncated)
                raise TypeError(f"load_state_dict: {key} has dtype {value.dtype}; expected real numbers "
                                f"(float, int or bool)")
            current = module._parameters[name].data if is_param else getattr(module, name)
            if value.shape != current.shape:
                raise ValueError(
                    f"load_state_dict: {key} has shape {value.shape}, expected {current.shape}"
                )
            staged.append((current, value))
        for current, value in staged:
            current[...] = value

    # -- display --------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)

    def _where(self) -> str:
        """How error messages name this module: its type and, inside a container, its path."""
        label = f"{type(self).__name__}({self.extra_repr()})"
        return f"{label} at {self._path}" if self._path else label
