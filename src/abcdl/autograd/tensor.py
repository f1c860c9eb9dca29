"""The two kinds of node in a define-by-run graph: ``Tensor`` (a value) and ``Function`` (an op) (L39).

Running ordinary code builds the graph ("define by run", DeZero's and PyTorch's
model): every ``Function`` call computes its output from NumPy arrays and, when
an input requires a gradient, remembers its inputs and becomes the output's
``creator``.  ``Tensor.backward()`` then walks the graph from the output back
to the leaves (see :mod:`abcdl.autograd.engine`).

A Function's ``backward`` is written with Tensor operations, so when the engine
runs it with ``create_graph=True`` the backward pass is itself recorded and can
be differentiated again (second and third derivatives, Newton's method, double
backprop).  With ``create_graph=False`` (the default) the engine runs it under
``no_grad()`` and nothing extra is recorded.
"""

from __future__ import annotations

import weakref

import numpy as np

from ..parameter import Parameter
from .mode import GradMode

__all__ = ["Tensor", "Function", "tensor", "param", "as_tensor"]


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
        inputs = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
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
    def from_parameter(p: Parameter) -> ParamTensor:
        """A leaf whose data IS ``p.data`` and whose gradient accumulates into ``p.grad``."""
        return ParamTensor(p)

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
            it is freed as backward goes (and a second backward raises ``RuntimeError``).
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


class ParamTensor(Tensor):
    """A leaf that *is* an abcdl :class:`~abcdl.Parameter`: the bridge to ``abcdl.optim``.

    ``data`` reads ``p.data`` at every use (optimizers may move a Parameter's
    storage on their first step; nothing here keeps an old array), and backward
    adds the gradient into ``p.grad`` in place (``p.grad += g``), exactly as a
    hand-written layer's backward does.  So ``opt = Adam(params); opt.zero_grad();
    loss.backward(); opt.step()`` trains an autograd model unchanged.

    ``grad`` is a Tensor view of ``p.grad``; assigning ``None`` zeroes ``p.grad``
    in place.  With ``create_graph=True`` the Parameter still receives plain
    values: use :func:`~abcdl.autograd.engine.grad` for higher derivatives.
    """

    __slots__ = ("param",)

    def __init__(self, p: Parameter) -> None:
        if not isinstance(p, Parameter):
            raise TypeError(f"from_parameter needs an abcdl Parameter, got {type(p).__name__}")
        self.param = p
        self.requires_grad = True
        self.creator = None
        self.name = p.name

    @property
    def data(self) -> np.ndarray:
        return self.param.data

    @property
    def grad(self) -> Tensor:
        return _new_tensor(self.param.grad)

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self.param.grad.fill(0)
        else:
            self.param.grad[...] = value.data if isinstance(value, Tensor) else value

    def _accumulate_grad(self, g: Tensor, create_graph: bool) -> None:
        self.param.grad += g.data                       # p.grad += dJ/dp, as layers accumulate

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = bool(requires_grad)
        return self

    def __repr__(self) -> str:
        label = f" {self.param.name!r}" if self.param.name else ""
        return f"ParamTensor(Parameter{label}, shape={self.shape}, dtype={self.dtype})"


def tensor(data, requires_grad: bool = False, name: str | None = None, dtype=None) -> Tensor:
    """``Tensor(data, requires_grad, name, dtype)``: PyTorch's ``torch.tensor`` spelling."""
    return Tensor(data, requires_grad=requires_grad, name=name, dtype=dtype)


def param(p: Parameter) -> ParamTensor:
    """``Tensor.from_parameter(p)``: a leaf sharing ``p.data`` that accumulates into ``p.grad``."""
    return ParamTensor(p)


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


# The operators above call the op functions; those modules subclass Function
# (defined above), so they are imported here, after it.
from . import engine as _engine  # noqa: E402
from . import ops_arith as _arith  # noqa: E402
from . import ops_linalg as _linalg  # noqa: E402
from . import ops_math as _math  # noqa: E402
from . import ops_reduce as _reduce  # noqa: E402
from . import ops_shape as _shape  # noqa: E402
