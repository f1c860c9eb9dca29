"""``Tensor``: a value in a define-by-run graph, with its gradient (L39).

A Tensor wraps a NumPy array.  Operations on Tensors (the op functions, and
the operators below that call them) record which :class:`~abcdl.autograd.function.Function`
made each result (``creator``), so ``Tensor.backward()`` can walk the graph
from the output back to the leaves (see :mod:`abcdl.autograd.engine`).
"""

from __future__ import annotations

import numpy as np

from ..parameter import Parameter

__all__ = ["Tensor", "tensor", "as_tensor"]


def _new_tensor(data: np.ndarray) -> Tensor:
    """A Tensor around an op's result, without the constructor's checks (the hot path)."""
    t = object.__new__(Tensor)
    t.data = data
    t.requires_grad = False
    t.grad = None
    t.creator = None
    t.name = None
    return t


class Tensor:
    """An ndarray that remembers how it was computed, so that gradients can flow back (L39).

    Parameters
    ----------
    data : array_like or Tensor
        Wrapped without a copy when it is already an ndarray; its dtype is kept
        (float32 stays float32, float64 stays float64).
    requires_grad : bool
        Make this a leaf whose gradient backward computes.  Only floating
        tensors can require gradients (``TypeError`` otherwise).
    name : str, optional
        A label for :func:`~abcdl.autograd.graph.to_dot` pictures.
    dtype : optional
        Convert ``data`` to this dtype first.

    Attributes
    ----------
    data : ndarray
    requires_grad : bool
    grad : Tensor or None
        The accumulated gradient dJ/dx of a leaf after ``backward()``: backward
        calls *add* to it (as in PyTorch), so set ``x.grad = None`` between steps.
        Non-leaf tensors (results of operations) do not keep their gradient; ask
        for one with :func:`~abcdl.autograd.engine.grad`.
    creator : Function or None
        The operation that made this tensor (PyTorch's ``grad_fn``); ``None`` for a leaf.
    """

    __slots__ = ("data", "requires_grad", "grad", "creator", "name", "__weakref__")
    __array_ufunc__ = None          # ndarray + Tensor defers to Tensor.__radd__ (the result is a Tensor)

    def __init__(self, data, requires_grad: bool = False, name: str | None = None, dtype=None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        arr = np.asarray(data, dtype=dtype)
        if requires_grad and not np.issubdtype(arr.dtype, np.floating):
            raise TypeError(f"only floating tensors can require gradients; got dtype {arr.dtype} "
                            f"(shape {arr.shape}): convert with dtype=np.float64 or np.float32")
        self.data = arr
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.creator = None
        self.name = name

    # -- leaves made from abcdl Parameters -----------------------------------------
    @staticmethod
    def from_parameter(p: Parameter) -> Tensor:
        """A leaf whose data IS ``p.data`` and whose gradient accumulates into ``p.grad`` (a ParamTensor)."""
        return _leaf.ParamTensor(p)

    # -- what the value looks like -------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        return self.creator is None

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        """The wrapped array (shared memory, not a copy)."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.data, dtype=dtype) if copy is None else np.array(self.data, dtype, copy=copy)

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def detach(self) -> Tensor:
        """The same values (shared memory) cut off from the graph: a leaf with requires_grad=False."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` on a leaf (in place, with the floating-dtype check); returns self."""
        if self.creator is not None and not requires_grad:
            raise RuntimeError("requires_grad_: only a leaf's requires_grad can be switched off; "
                               "use .detach() for a result of an operation")
        if requires_grad and not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"only floating tensors can require gradients; got dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def __repr__(self) -> str:
        values = np.array2string(self.data, threshold=8, edgeitems=2, precision=4, separator=", ")
        extra = ""
        if self.creator is not None:
            extra = f", grad_fn={self.creator.name}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return f"Tensor({values}, shape={self.shape}, dtype={self.dtype}{extra})"

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
        _engine.backward(self, gradient, retain_graph=retain_graph, create_graph=create_graph)

    def _accumulate_grad(self, g: Tensor, create_graph: bool) -> None:
        """x.grad <- x.grad + g (out of place; the first gradient is copied unless it carries a graph)."""
        if self.grad is None:
            self.grad = g if create_graph else _new_tensor(np.array(g.data, copy=True))
        else:
            self.grad = self.grad + g

    # -- operators: thin wrappers around the op functions below ----------------------
    def __add__(self, other):
        return _arith.add(self, other)

    def __radd__(self, other):
        return _arith.add(other, self)

    def __sub__(self, other):
        return _arith.sub(self, other)

    def __rsub__(self, other):
        return _arith.sub(other, self)

    def __mul__(self, other):
        return _arith.mul(self, other)

    def __rmul__(self, other):
        return _arith.mul(other, self)

    def __truediv__(self, other):
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        return _arith.div(other, self)

    def __neg__(self):
        return _arith.neg(self)

    def __abs__(self):
        return _math.abs(self)

    def __pow__(self, exponent):
        return _arith.pow(self, exponent)

    def __rpow__(self, base):
        return _arith.rpow(base, self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(other, self)

    def __getitem__(self, index):
        return _shape.getitem(self, index)

    @property
    def T(self) -> Tensor:
        return _shape.transpose(self)

    def transpose(self, *axes) -> Tensor:
        return _shape.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int)
                                else (axes or None))

    def reshape(self, *shape) -> Tensor:
        return _shape.reshape(self, shape[0] if len(shape) == 1 and not isinstance(shape[0], int)
                              else shape)

    def broadcast_to(self, shape) -> Tensor:
        return _shape.broadcast_to(self, shape)

    def sum_to(self, shape) -> Tensor:
        return _shape.sum_to(self, shape)

    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        return _reduce.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        return _reduce.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        return _reduce.max(self, axis, keepdims)

    def exp(self) -> Tensor:
        return _math.exp(self)

    def log(self) -> Tensor:
        return _math.log(self)

    def tanh(self) -> Tensor:
        return _math.tanh(self)

    def sigmoid(self) -> Tensor:
        return _math.sigmoid(self)

    def relu(self) -> Tensor:
        return _math.relu(self)

    def sqrt(self) -> Tensor:
        return _math.sqrt(self)


def tensor(data, requires_grad: bool = False, name: str | None = None, dtype=None) -> Tensor:
    """``Tensor(data, requires_grad, name, dtype)``: PyTorch's ``torch.tensor`` spelling."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


def as_tensor(x, like: Tensor | None = None) -> Tensor:
    """``x`` as a Tensor; a Python or NumPy scalar takes ``like``'s floating dtype.

    ``2.0 * x`` must stay float32 when ``x`` is float32: a 0-d float64 array
    would promote the result, so the constant is made in ``x``'s dtype.
    """
    if isinstance(x, Tensor):
        return x
    if like is not None and np.isscalar(x) and np.issubdtype(like.data.dtype, np.floating):
        return _new_tensor(np.asarray(x, dtype=like.data.dtype))
    return Tensor(x)


# The methods above call the engine and the op functions; those modules build on
# Tensor (defined above), so they are imported here, after it.
from . import engine as _engine  # noqa: E402
from . import leaf as _leaf  # noqa: E402
from . import ops_arith as _arith  # noqa: E402
from . import ops_linalg as _linalg  # noqa: E402
from . import ops_math as _math  # noqa: E402
from . import ops_reduce as _reduce  # noqa: E402
from . import ops_shape as _shape  # noqa: E402
