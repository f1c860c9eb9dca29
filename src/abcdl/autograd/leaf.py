"""Leaves that are abcdl Parameters: the bridge between autograd models and ``abcdl.optim`` (L39)."""

from __future__ import annotations

import numpy as np

from ..parameter import Parameter
from .tensor import Tensor, _new_tensor

__all__ = ["ParamTensor", "param"]


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


def param(p: Parameter) -> ParamTensor:
    """``Tensor.from_parameter(p)``: a leaf sharing ``p.data`` that accumulates into ``p.grad``."""
    return ParamTensor(p)
