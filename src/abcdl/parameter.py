"""``Parameter``: a learnable array and its gradient, the only place gradients live."""

from __future__ import annotations

import numpy as np

from ._config import get_default_dtype


class Parameter:
    """A learnable array ``data`` with a gradient ``grad`` of the same shape and dtype.

    Layers hold their weights as Parameters (``self.W``, ``self.b``); backward
    passes *accumulate* into ``grad`` (``p.grad += ...``) and optimizers read
    ``grad`` and update ``data`` in place.  A bare Parameter is also a point that an
    optimizer can move, which is how the lecture's 1-D and 2-D function examples
    (L20-L26) use the same code as networks::

        p = abcdl.Parameter(np.array([-7.0, 2.0]))
        p.grad[:] = grad_f(p.data); opt.step()

    Parameters
    ----------
    data : array_like
        Initial value.  A floating array keeps its dtype; anything else is
        converted to the default dtype (float32 unless changed).
    name : str, optional
        A label for messages; containers report the full dotted name.
    """

    __slots__ = ("data", "grad", "name")

    def __init__(self, data, name: str | None = None) -> None:
        arr = np.asarray(data)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(get_default_dtype())
        # Own the memory: a Parameter never aliases the caller's array.
        self.data: np.ndarray = np.array(arr, copy=True, order="C")
        if not np.all(np.isfinite(self.data)):
            raise ValueError(f"Parameter {name or ''} initialised with NaN or Inf".strip())
        self.grad: np.ndarray = np.zeros_like(self.data)
        self.name = name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def zero_grad(self) -> None:
        """Set ``grad`` to zero in place (the array object is kept)."""
        self.grad.fill(0)

    def __repr__(self) -> str:
        label = f" {self.name!r}" if self.name else ""
        return f"Parameter{label}(shape={self.data.shape}, dtype={self.data.dtype})"
