"""``Tensor``: a value in a define-by-run graph, with its gradient (L39).

A Tensor wraps a NumPy array.  Operations on Tensors (the op functions, and
the operators that call them) record which :class:`~abcdl.autograd.function.Function`
made each result (``creator``), so ``Tensor.backward()`` can walk the graph
from the output back to the leaves (see :mod:`abcdl.autograd.engine`).

This module defines the data type only: what a Tensor holds and how it looks.
Its operators (``+ - * / ** @``, ``x[i]``, ``.T``, ``.sum()``, ...) and
``backward`` call the op modules and the engine, which are built *on* Tensor,
so they are attached afterwards by :mod:`abcdl.autograd.operators` (DeZero's
``setup_variable``): every module of the package imports this one, and this
one imports none of them (no import cycle).
"""

from __future__ import annotations

import numpy as np

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

    # -- gradients (``backward`` is attached by :mod:`.operators`) --------------------
    def _accumulate_grad(self, g: Tensor, create_graph: bool) -> None:
        """x.grad <- x.grad + g (out of place; the first gradient is copied unless it carries a graph)."""
        if self.grad is None:
            self.grad = g if create_graph else _new_tensor(np.array(g.data, copy=True))
        else:
            self.grad = self.grad + g


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

