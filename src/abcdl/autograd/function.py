"""``Function``: one operation in the graph, with ``forward`` in NumPy and ``backward`` in Tensors (L39).

Running ordinary code builds the graph ("define by run", DeZero's and PyTorch's
model): every Function call computes its output from NumPy arrays and, when an
input requires a gradient, remembers its inputs and becomes the output's
``creator``.  A Function's ``backward`` is written with Tensor operations, so
when the engine runs it with ``create_graph=True`` the backward pass is itself
recorded and can be differentiated again (second and third derivatives,
Newton's method, double backprop).  With ``create_graph=False`` (the default)
the engine runs it under ``no_grad()`` and nothing extra is recorded.
"""

from __future__ import annotations

import weakref

import numpy as np

from .mode import GradMode
from .tensor import Tensor, _new_tensor

__all__ = ["Function"]


class Function:
    """An operation y = f(x_1, ..., x_n): ``forward`` on NumPy arrays, ``backward`` on Tensors.

    Subclasses write

    * ``forward(*arrays) -> array``: the value, with NumPy; it may keep on
      ``self`` what backward needs (a mask, an index);
    * ``backward(gy) -> gx`` or a tuple ``(gx_1, ..., gx_n)``: the chain rule
      gx_i = gy * dy/dx_i, written with Tensor operations on ``gy`` and on
      ``self.inputs`` (``None`` for an input that needs no gradient).

    A subclass that needs its own output in backward (exp: dy/dx = y) sets
    ``keeps_output = True`` and calls ``self.output()``; the output is held by a
    weak reference, so a Function never keeps its output alive (no cycle).

    Attributes
    ----------
    inputs : tuple of Tensor or None
        Set when the graph is recorded; ``None`` once backward has freed the
        graph (a second backward then raises ``RuntimeError``).
    """

    keeps_output = False

    def __call__(self, *inputs):
        for x in inputs:
            if not isinstance(x, Tensor):               # arrays and numbers become constants
                inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
                break
        y = self.forward(*[x.data for x in inputs])
        out = _new_tensor(y)
        if GradMode.enabled:
            for x in inputs:
                if x.requires_grad:                      # record: y = f(x) joins the graph
                    out.requires_grad = True
                    out.creator = self
                    self.inputs = inputs
                    if self.keeps_output:
                        self._out = weakref.ref(out)
                    break
        return out

    def forward(self, *xs: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, gy: Tensor):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def output(self) -> Tensor:
        """This Function's output Tensor (for ops with ``keeps_output = True``)."""
        out = self._out() if getattr(self, "_out", None) is not None else None
        if out is None:
            raise RuntimeError(f"{type(self).__name__}: its output is no longer alive")
        return out

    def release(self) -> None:
        """Free what backward needed: the inputs and every saved array (the graph above is cut)."""
        self.__dict__.clear()
        self.inputs = None

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}>"
