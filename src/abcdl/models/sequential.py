"""``Sequential``: layers applied in order (L16's deep network)."""

from __future__ import annotations

import os
from collections.abc import Iterator

from .. import checkpoint
from .._types import Array
from ..module import Module
from ..summary import summary as _summary


class LayerList(Module):
    """The layers of a :class:`Sequential`, in order: indexable, iterable and sized.

    Each layer is registered as a child under the name "0", "1", ... so that the
    parameters are named ``layers.0.W``, ``layers.0.b``, ...
    """

    def __init__(self) -> None:
        super().__init__()
        self._list: list[Module] = []

    def append(self, layer: Module) -> None:
        self.add_module(str(len(self._list)), layer)
        self._list.append(layer)

    def __getitem__(self, i: int) -> Module:
        return self._list[i]

    def __len__(self) -> int:
        return len(self._list)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._list)


@checkpoint.register
class Sequential(Module):
    """A chain of layers:  A[l] = layer_l(A[l-1]) forward,  dA[l-1] = layer_l.backward(dA[l]).

    Parameters are named ``layers.<i>.<name>``, e.g. ``layers.0.W``.  ``model[i]``,
    ``len(model)`` and ``for layer in model`` work on the layers, and so do
    ``model.layers[i]``, ``len(model.layers)`` and ``for layer in model.layers``.

    Example
    -------
    >>> model = Sequential(Linear(784, 100, init="he"), ReLU(), Linear(100, 10, init="he"))
    >>> logits = model.forward(x)                # x: (m, 784) -> (m, 10)
    >>> model.backward(loss_fn.backward())       # fills every Parameter.grad
    >>> model.save("mnist.abcdl")                # abcdl.load("mnist.abcdl") rebuilds it
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = LayerList()
        for layer in layers:
            self.append(layer)

    def append(self, layer: Module) -> Sequential:
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential takes Modules, got {type(layer).__name__}")
        object.__setattr__(layer, "_path", f"layers.{len(self.layers)}")
        self.layers.append(layer)
        return self

    def forward(self, x: Array) -> Array:
        for layer in self.layers:
            x = layer.forward(x)                     # A[l] = layer_l(A[l-1])
        return x

    def backward(self, dout: Array, input_grad: bool = True) -> Array | None:
        """Backpropagate ``dout`` = dJ/d(output) through every layer; returns dJ/dx.

        With ``input_grad=False`` (what the training loop uses) the first layer is
        told so, skips computing dJ/dx, and ``None`` is returned (see :class:`Module`).
        """
        if not len(self.layers):
            return dout if input_grad else None
        first, *rest = self.layers
        for layer in reversed(rest):
            dout = layer.backward(dout)              # dA[l-1] = layer_l.backward(dA[l])
        return first.backward(dout, input_grad=input_grad)

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        lines = ["Sequential("]
        for i, layer in enumerate(self.layers):
            body = repr(layer).replace("\n", "\n  ")
            lines.append(f"  ({i}): {body}")
        lines.append(")")
        return "\n".join(lines)

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of layers, output shapes and parameter counts (see :func:`abcdl.summary.summary`)."""
        return _summary(self, input_shape)

    def save(self, path: str | os.PathLike, info: dict | None = None) -> None:
        """Write this model to one safetensors file, architecture in the metadata (see :func:`abcdl.load`).

        The same as ``abcdl.save(model, path, info)`` (:func:`abcdl.checkpoint.save`);
        ``info``: optional JSON-able facts kept with the model (``abcdl.checkpoint.read_info``).
        """
        checkpoint.save(self, path, info)
