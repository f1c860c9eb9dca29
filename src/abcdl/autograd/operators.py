"""Tensor's operators and ``backward``, attached to the class once the ops exist (L39).

``x + y`` must call the op ``add``, and ``add`` makes Tensors: if ``tensor.py``
imported the op modules and they imported ``tensor.py``, the package would have
an import cycle.  So the order is one-way, as in DeZero (``setup_variable``):

    tensor.py    the Tensor data type (imports no other module of the package)
    ops_*.py     the operations, built on Tensor
    engine.py    the backward pass, built on Tensor and Function
    operators.py (this module) imports all of them and attaches the methods
                 below to Tensor; ``abcdl.autograd`` runs :func:`setup_tensor`
                 when it is imported, before any Tensor is used.

Every method is a thin wrapper: ``a + b`` is ``add(a, b)``, ``x.T`` is
``transpose(x)``, ``y.backward()`` is ``engine.backward(y)``.
"""

from __future__ import annotations

from . import engine
from .leaf import ParamTensor
from .ops_arith import add, div, mul, neg, pow, rpow, sub
from .ops_linalg import matmul
from .ops_math import abs, exp, log, relu, sigmoid, sqrt, tanh
from .ops_reduce import max, mean, sum
from .ops_shape import broadcast_to, getitem, reshape, sum_to, transpose
from .tensor import Tensor

__all__ = ["TensorMethods", "setup_tensor"]


def _shape_args(args):
    """``x.reshape(2, 3)`` and ``x.reshape((2, 3))`` alike: the one tuple, or the ints as a tuple."""
    return args[0] if len(args) == 1 and not isinstance(args[0], int) else args


class TensorMethods:
    """The methods :func:`setup_tensor` copies onto :class:`~abcdl.autograd.tensor.Tensor`.

    Written as a class body so that they read like ordinary methods; this class
    is never instantiated.
    """

    # -- gradients -----------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Accumulate dJ/dx into ``.grad`` of every leaf x that requires it (J = this tensor).

        Parameters
        ----------
        gradient : array_like or Tensor, optional
            dJ/dself, the upstream gradient G; needed unless this tensor has one
            element (then 1).  With G the leaves receive the gradient of sum(self * G).
        retain_graph : bool
            Keep the graph so that backward can run through it again; by default
            it is freed when backward is done (a second backward raises ``RuntimeError``).
        create_graph : bool
            Record the backward pass too (implies ``retain_graph``), so that the
            gradients can be differentiated again.
        """
        engine.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    @staticmethod
    def from_parameter(p) -> ParamTensor:
        """A leaf whose data IS ``p.data`` and whose gradient accumulates into ``p.grad`` (a ParamTensor)."""
        return ParamTensor(p)

    # -- arithmetic ----------------------------------------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __neg__(self):
        return neg(self)

    def __abs__(self):
        return abs(self)

    def __pow__(self, exponent):
        return pow(self, exponent)

    def __rpow__(self, base):
        return rpow(base, self)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    # -- shapes --------------------------------------------------------------------
    def __getitem__(self, index):
        return getitem(self, index)

    @property
    def T(self) -> Tensor:
        return transpose(self)

    def transpose(self, *axes) -> Tensor:
        return transpose(self, _shape_args(axes) or None)

    def reshape(self, *shape) -> Tensor:
        return reshape(self, _shape_args(shape))

    def broadcast_to(self, shape) -> Tensor:
        return broadcast_to(self, shape)

    def sum_to(self, shape) -> Tensor:
        return sum_to(self, shape)

    # -- reductions and elementwise functions ----------------------------------------
    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        return sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        return mean(self, axis, keepdims)

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        return max(self, axis, keepdims)

    def exp(self) -> Tensor:
        return exp(self)

    def log(self) -> Tensor:
        return log(self)

    def tanh(self) -> Tensor:
        return tanh(self)

    def sigmoid(self) -> Tensor:
        return sigmoid(self)

    def relu(self) -> Tensor:
        return relu(self)

    def sqrt(self) -> Tensor:
        return sqrt(self)


# Names a class body defines that are not methods to copy.
_SKIP = {"__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__firstlineno__",
         "__static_attributes__"}


def setup_tensor() -> None:
    """Attach the methods of :class:`TensorMethods` to :class:`Tensor` (idempotent)."""
    for name, value in vars(TensorMethods).items():
        if name not in _SKIP:
            setattr(Tensor, name, value)
