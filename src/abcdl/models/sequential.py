"""``Sequential``: layers applied in order (L16's deep network)."""

from __future__ import annotations

from collections.abc import Iterator

from .._types import Array
from ..module import Module


class _LayerList(Module):
    """Holds the children of a Sequential under the names "0", "1", ..."""

    def extra_repr(self) -> str:
        return ""


class Sequential(Module):
    """A chain of layers:  A[l] = layer_l(A[l-1]) forward,  dA[l-1] = layer_l.backward(dA[l]).

    Parameters are named ``layers.<i>.<name>``, e.g. ``layers.0.W``.

    Example
    -------
    >>> model = Sequential(Linear(784, 100, init="he"), ReLU(), Linear(100, 10, init="he"))
    >>> logits = model.forward(x)                # x: (m, 784) -> (m, 10)
    >>> model.backward(loss_fn.backward())       # fills every Parameter.grad
    """

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = _LayerList()
        self._seq: list[Module] = []
        for layer in layers:
            self.append(layer)

    def append(self, layer: Module) -> Sequential:
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential takes Modules, got {type(layer).__name__}")
        i = len(self._seq)
        self.layers.add_module(str(i), layer)
        object.__setattr__(layer, "_path", f"layers.{i}")
        self._seq.append(layer)
        return self

    def forward(self, x: Array) -> Array:
        for layer in self._seq:
            x = layer.forward(x)
        return x

    def backward(self, dout: Array, input_grad: bool = True) -> Array | None:
        """Backpropagate ``dout`` = dJ/d(output) through every layer; returns dJ/dx.

        With ``input_grad=False`` (what the training loop uses) the first layer
        skips computing dJ/dx when it can, and ``None`` is returned.
        """
        layers = self._seq
        for layer in reversed(layers[1:]):
            dout = layer.backward(dout)
        if not layers:
            return dout
        first = layers[0]
        if not input_grad and getattr(first, "skips_input_grad", False):
            return first.backward(dout, input_grad=False)
        return first.backward(dout)

    def __getitem__(self, i: int) -> Module:
        return self._seq[i]

    def __len__(self) -> int:
        return len(self._seq)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._seq)

    def __repr__(self) -> str:
        lines = ["Sequential("]
        for i, layer in enumerate(self._seq):
            body = repr(layer).replace("\n", "\n  ")
            lines.append(f"  ({i}): {body}")
        lines.append(")")
        return "\n".join(lines)

    def summary(self, input_shape: tuple[int, ...] | None = None) -> str:
        """A table of layers, output shapes and parameter counts (see :func:`abcdl.summary`)."""
        from ..summary import summary

        return summary(self, input_shape)
