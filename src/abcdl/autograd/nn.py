"""The hand-written layers and losses, rebuilt from autograd ops (L39).

Every layer of :mod:`abcdl.layers` has a forward written by hand and a backward
derived by hand (L10, L15-L17, L33, L34, L38).  Here each one is written a
second time with the ops of :mod:`abcdl.autograd`, forward only: the engine
finds the backward.  The rebuild takes the layer's own Parameters as leaves
(:func:`~abcdl.autograd.leaf.param`), so its gradients land in the same
``p.grad`` arrays that the hand-written ``backward`` fills, and the same
optimizer trains either.  In float64 both give the same outputs and gradients
to rounding (``tests/test_autograd_layers.py`` checks 1e-10)::

    from abcdl import autograd as ag
    Z = ag.nn.linear_layer(layer, x)        # = ag.linear(x, ag.param(layer.W), ag.param(layer.b))
    f = ag.nn.from_layer(model)             # any layer, or a Sequential of them: x -> Tensor
    J = ag.nn.from_loss(loss_fn)(f(X), t)   # the loss as a 0-d Tensor
    J.backward()                            # fills every layer's p.grad, as model.backward would

    graph = ag.nn.Graph(model)              # a Module: forward/backward through the graph,
    abcdl.train.fit(graph, loss_fn, Adam(graph.parameters()), (X, t))   # trained by fit unchanged

Each rebuild does what the layer does in its current mode (``layer.training``):
dropout draws its mask from ``layer.rng`` exactly as the layer does, batch norm
uses the batch statistics and updates the running ones while training, and the
running statistics (constants) in eval mode.

This module is the one bridge between the two worlds: it imports
:mod:`abcdl.layers`, :mod:`abcdl.losses` and :mod:`abcdl.module`; none of them
imports autograd.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..im2col import conv_output_size
from ..layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Tanh,
)
from ..losses import MSELoss, SigmoidBCELoss, SoftmaxCrossEntropyLoss
from ..models.sequential import Sequential
from ..module import Module
from .leaf import param
from .mode import GradMode
from .ops_conv import conv2d, im2col, max_pool2d
from .ops_linalg import linear
from .ops_math import abs, exp, log, relu, sigmoid, tanh
from .ops_nn import batch_norm, dropout, mse, softmax_cross_entropy
from .ops_reduce import mean
from .ops_shape import reshape, transpose
from .tensor import Tensor, as_tensor

__all__ = ["linear_layer", "relu_layer", "leaky_relu_layer", "sigmoid_layer", "tanh_layer",
           "identity_layer", "dropout_layer", "batch_norm1d_layer", "batch_norm2d_layer", "conv2d_layer",
           "max_pool2d_layer", "avg_pool2d_layer", "flatten_layer", "sequential",
           "softmax_cross_entropy_loss", "sigmoid_bce_loss", "mse_loss",
           "from_layer", "from_loss", "Graph"]


def _optional(p) -> Tensor | None:
    return None if p is None else param(p)


# -- layers: (layer, x) -> Tensor ---------------------------------------------------
def linear_layer(layer: Linear, x) -> Tensor:
    """``Linear``: Z = A_prev W^T + b (L16), with W and b the layer's Parameters."""
    return linear(x, param(layer.W), _optional(layer.b))


def relu_layer(layer: ReLU, x) -> Tensor:
    """``ReLU``: A = max(0, Z) (L10)."""
    return relu(x)


def leaky_relu_layer(layer: LeakyReLU, x) -> Tensor:
    """``LeakyReLU``: A = max(0, Z) - s max(0, -Z), i.e. Z or s Z (at Z = 0 the layer's g' is s, here 0)."""
    return relu(x) - layer.negative_slope * relu(-x)


def sigmoid_layer(layer: Sigmoid, x) -> Tensor:
    """``Sigmoid``: A = 1 / (1 + e^-Z) (L10, L12)."""
    return sigmoid(x)


def tanh_layer(layer: Tanh, x) -> Tensor:
    """``Tanh``: A = tanh(Z) (L10)."""
    return tanh(x)


def identity_layer(layer: Identity, x) -> Tensor:
    """``Identity``: A = Z."""
    return as_tensor(x)


def dropout_layer(layer: Dropout, x, mask=None) -> Tensor:
    """``Dropout`` (L33): A = A_prev * D / keep_prob while training, A = A_prev in eval mode.

    ``mask`` (D, True where a unit is kept) is drawn from ``layer.rng`` exactly as
    the layer draws it when not given, so a copy of the layer with the same
    generator state drops the same units.
    """
    x = as_tensor(x)
    if not layer.training or layer.p == 0:
        return x
    if mask is None:
        mask = layer.rng.random(x.shape, dtype=x.dtype) >= layer.p    # D ~ Bernoulli(keep_prob)
    return dropout(x, mask, layer.p)


def _update_running(layer: BatchNorm1d, x: np.ndarray, axis, shape) -> None:
    """running <- (1 - momentum) running + momentum * batch statistic, as the layer updates them (L34)."""
    n = x.size // layer.num_features                                  # values per feature
    mu = x.mean(axis=axis)
    var = ((x - mu.reshape(shape)) ** 2).mean(axis=axis)              # sigma^2 (biased)
    mom = layer.momentum
    layer.running_mean *= 1 - mom
    layer.running_mean += mom * mu
    layer.running_var *= 1 - mom
    layer.running_var += mom * var * (n / (n - 1))                    # unbiased variance


def _batch_norm(layer: BatchNorm1d, x: Tensor, axis, shape) -> Tensor:
    """Batch norm over ``axis`` with gamma, beta and the statistics broadcast as ``shape``."""
    gamma, beta = reshape(param(layer.gamma), shape), reshape(param(layer.beta), shape)
    if not layer.training:                                            # statistics are constants
        inv_std = (1.0 / np.sqrt(layer.running_var + layer.eps)).reshape(shape)
        x_hat = (x - layer.running_mean.reshape(shape)) * inv_std.astype(x.dtype, copy=False)
        return x_hat * gamma + beta                                   # Z~ = gamma Z_norm + beta
    if x.size // layer.num_features < 2:
        raise ValueError(f"{layer._where()}: training mode needs more than 1 value per feature to compute "
                         f"batch statistics, got input of shape {x.shape}")
    _update_running(layer, x.data, axis, shape)
    return batch_norm(x, gamma, beta, layer.eps, axis=axis)          # the engine differentiates it


def batch_norm1d_layer(layer: BatchNorm1d, x) -> Tensor:
    """``BatchNorm1d`` (L34): statistics over the m examples of an (m, n) batch."""
    x = as_tensor(x)
    return _batch_norm(layer, x, 0, (layer.num_features,))


def batch_norm2d_layer(layer: BatchNorm2d, x) -> Tensor:
    """``BatchNorm2d`` (L34, L38): statistics per channel over (m, H, W)."""
    x = as_tensor(x)
    return _batch_norm(layer, x, (0, 2, 3), (layer.num_features, 1, 1))


def conv2d_layer(layer: Conv2d, x) -> Tensor:
    """``Conv2d`` (L38): Z = W_2d im2col(X) + b, reshaped to (m, F, OH, OW)."""
    return conv2d(x, param(layer.W), _optional(layer.b), layer.stride, layer.padding)


def max_pool2d_layer(layer: MaxPool2d, x) -> Tensor:
    """``MaxPool2d`` (L38): the largest entry of each window."""
    return max_pool2d(x, layer.kernel_size, layer.stride, layer.padding)


def avg_pool2d_layer(layer: AvgPool2d, x) -> Tensor:
    """``AvgPool2d`` (L38): the mean of each window, zero padding included.

    col = im2col(X) viewed as (C, kh kw, m OH OW);  A = mean over the window axis.
    """
    x = as_tensor(x)
    m, C, H, W = x.shape
    (kh, kw), (sh, sw), (ph, pw) = layer.kernel_size, layer.stride, layer.padding
    OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    col = reshape(im2col(x, layer.kernel_size, layer.stride, layer.padding), (C, kh * kw, -1))
    A = mean(col, axis=1)                                             # (1 / kh kw) sum over the window
    return transpose(reshape(A, (C, m, OH, OW)), (1, 0, 2, 3))        # (m, C, OH, OW)


def flatten_layer(layer: Flatten, x) -> Tensor:
    """``Flatten`` (L38): (m, C, H, W) -> (m, C H W)."""
    x = as_tensor(x)
    return reshape(x, (x.shape[0], -1))


def sequential(model: Sequential, x) -> Tensor:
    """``Sequential``: A[l] = layer_l(A[l-1]), each layer rebuilt by :func:`from_layer`."""
    for layer in model:
        x = from_layer(layer)(x)
    return as_tensor(x)


_LAYERS: dict[type, Callable] = {
    Linear: linear_layer, ReLU: relu_layer, LeakyReLU: leaky_relu_layer, Sigmoid: sigmoid_layer,
    Tanh: tanh_layer, Identity: identity_layer, Dropout: dropout_layer, BatchNorm1d: batch_norm1d_layer,
    BatchNorm2d: batch_norm2d_layer, Conv2d: conv2d_layer, MaxPool2d: max_pool2d_layer,
    AvgPool2d: avg_pool2d_layer, Flatten: flatten_layer, Sequential: sequential,
}


def _lookup(table: dict[type, Callable], obj, what: str) -> Callable:
    """The rebuild of ``obj``'s class, or of its nearest base class in ``table``."""
    for cls in type(obj).__mro__:
        if cls in table:
            return table[cls]
    names = ", ".join(c.__name__ for c in table)
    raise TypeError(f"no autograd rebuild for the {what} {type(obj).__name__}; rebuilt: {names}")


def from_layer(layer: Module) -> Callable[[object], Tensor]:
    """``x -> Tensor``: ``layer`` (any abcdl layer, or a Sequential of them) rebuilt from ops.

    The function reads the layer's Parameters and mode at every call.
    """
    rebuild = _lookup(_LAYERS, layer, "layer")

    def forward(x) -> Tensor:
        return rebuild(layer, x)

    return forward


# -- losses: (loss_fn, pred, t) -> 0-d Tensor -------------------------------------------
def _targets_like(pred: Tensor, t) -> np.ndarray:
    """``t`` in ``pred``'s dtype and shape ((m,) targets for (m, 1) predictions, as the losses accept)."""
    t = np.asarray(t.data if isinstance(t, Tensor) else t, dtype=pred.dtype)
    return t.reshape(pred.shape) if t.size == pred.size and t.ndim == 1 and pred.ndim == 2 else t


def softmax_cross_entropy_loss(loss_fn: SoftmaxCrossEntropyLoss, Z, t) -> Tensor:
    """``SoftmaxCrossEntropyLoss`` (L14, L15): J = -(1/m) sum T log softmax(Z).

    Sequence logits (m, T, K) count each of the m*T steps as an example (L40); with the
    loss's ``ignore_index`` the steps whose label equals it are left out of the mean.
    """
    Z = as_tensor(Z)
    t = np.asarray(t.data if isinstance(t, Tensor) else t)
    if Z.ndim == 3:                                                   # (m, T, K) -> (m T, K)
        Z = reshape(Z, (-1, Z.shape[-1]))
        t = t.reshape(Z.shape[0], -1) if t.ndim == 3 else t.reshape(-1)
    ignore = getattr(loss_fn, "ignore_index", None)
    if ignore is not None and t.ndim == 1:
        keep = np.flatnonzero(t != ignore)                            # the positions that count
        if keep.size == 0:
            raise ValueError(f"softmax_cross_entropy_loss: every target equals ignore_index={ignore}")
        Z, t = Z[keep], t[keep]
    return softmax_cross_entropy(Z, t)


def sigmoid_bce_loss(loss_fn: SigmoidBCELoss, z, t) -> Tensor:
    """``SigmoidBCELoss`` (L12, L14): J = mean of max(z, 0) - z t + log(1 + e^-|z|).

    The stable form of -[t log sigma(z) + (1 - t) log(1 - sigma(z))]; the engine
    finds dJ/dz = (sigma(z) - t) / m from relu, abs, exp and log.
    """
    z = as_tensor(z)
    t = _targets_like(z, t)
    return mean(relu(z) - z * t + log(1 + exp(-abs(z))))


def mse_loss(loss_fn: MSELoss, y, t) -> Tensor:
    """``MSELoss`` (L13): J = (1/m) sum (y - t)^2."""
    y = as_tensor(y)
    return mse(y, _targets_like(y, t))


_LOSSES: dict[type, Callable] = {
    SoftmaxCrossEntropyLoss: softmax_cross_entropy_loss, SigmoidBCELoss: sigmoid_bce_loss, MSELoss: mse_loss,
}


def from_loss(loss_fn) -> Callable[[object, object], Tensor]:
    """``(pred, t) -> J``: a loss of :mod:`abcdl.losses` rebuilt from ops (J a 0-d Tensor)."""
    rebuild = _lookup(_LOSSES, loss_fn, "loss")

    def loss(pred, t) -> Tensor:
        return rebuild(loss_fn, pred, t)

    return loss


# -- a Module whose forward and backward go through the graph ---------------------------
class Graph(Module):
    """An abcdl model run through autograd: a :class:`~abcdl.module.Module` for ``fit`` and ``optim`` (L39).

    ``forward(x)`` builds the graph of the rebuilt model (:func:`from_layer`) and
    returns its value as an ndarray; ``backward(dout)`` runs the engine from that
    output with the upstream gradient ``dout`` (the loss's dJ/dY), which adds
    every gradient into the model's own ``p.grad``.  ``parameters()``,
    ``train()``/``eval()``, ``zero_grad()`` and ``state_dict()`` are the
    wrapped model's (it is this module's child ``model``), so
    ``abcdl.optim``, ``abcdl.train.fit``, schedules and callbacks work
    unchanged; to save, save ``graph.model`` (``abcdl.save(graph.model, path)``).

    Parameters
    ----------
    model : Module
        An abcdl layer or a Sequential of them (``abcdl.models.mlp``, ``convnet``, ...).

    Attributes
    ----------
    output : Tensor or None
        The output of the last ``forward`` (the root of its graph), e.g. for
        :func:`~abcdl.autograd.graph.draw_graph`.
    """

    def __init__(self, model: Module) -> None:
        super().__init__()
        self.model = model
        self._fn = from_layer(model)                  # TypeError here for a layer with no rebuild
        self._x: Tensor | None = None
        self.output: Tensor | None = None

    def apply(self, x) -> Tensor:
        """The model's output as a Tensor of the graph (for a loss built from ops as well)."""
        return self._fn(x)

    def forward(self, x) -> np.ndarray:
        """Y = model(x), recorded (unless under ``no_grad()``); returns Y's array."""
        x = np.asarray(x)
        record = GradMode.enabled and np.issubdtype(x.dtype, np.floating)
        self._x = Tensor(x, requires_grad=record)     # a leaf: backward can return dJ/dx
        self.output = as_tensor(self._fn(self._x))
        return self.output.data

    def backward(self, dout, input_grad: bool = True) -> np.ndarray | None:
        """Run the engine from the last output with dJ/dY = ``dout``; return dJ/dx (or ``None``).

        With ``input_grad=False`` the input stops requiring a gradient before the
        pass, so the ops skip the products that only dJ/dx needs (the first
        Linear's dZ W), as the hand-written layers do.  The engine frees the
        graph when it is done, so a second ``backward`` without a new ``forward``
        raises ``RuntimeError``.
        """
        if self.output is None:
            raise RuntimeError("Graph: backward called before forward")
        x, y = self._x, self.output
        if not input_grad:
            x.requires_grad = False
        y.backward(np.asarray(dout, dtype=y.dtype))  # frees the graph: a second backward raises
        if not input_grad:
            return None
        return x.grad.data if x.grad is not None else np.zeros_like(x.data)   # dJ/dx (0: x unused)

    def extra_repr(self) -> str:
        return "autograd"
