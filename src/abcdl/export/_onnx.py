"""``to_onnx(model, path)``: the network as an ONNX graph for ONNX Runtime (inference, eval mode).

The graph is written node by node with the ``onnx`` package's helper API, one
node (or two) per abcdl layer, the weights as initializers:

    Linear        Z = A W^T + b           MatMul(A, W^T) -> Add(b)     (any leading dims: (m, n) or (m, T, n))
    Conv2d        Z = W * X + b           Conv(X, W, b; strides, pads)
    BatchNorm     y = gamma (x - mu_run) / sqrt(sigma^2_run + eps) + beta = x s + t   Mul(s) -> Add(t)
    Dropout       eval mode: y = x        (no node)
    ReLU, LeakyReLU, Sigmoid, Tanh, Identity, Flatten, MaxPool2d, AvgPool2d: the ONNX operator of that name
    Embedding     out = W[ids]            Gather(W, ids)

Why the helper API and not ``torch.onnx.export``: it needs neither PyTorch nor
onnxscript (the dynamo exporter's dependency), works offline, and is about as
short as the layer table above; ``onnx.checker`` validates the result.  The
recurrent layers are not exported to ONNX yet (ONNX's LSTM/GRU order their gates
differently from PyTorch): export them with ``to_torch``.

The graph computes in float32 (``dtype``, ONNX Runtime's common type); opset 17
by default.  The file is written atomically (:func:`abcdl._io.atomic_write`): an
interrupted export leaves no half-written file.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._io import atomic_write
from ..layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Tanh,
)
from ._walk import UnsupportedLayerError, flat_layers

__all__ = ["to_onnx", "build_onnx", "SUPPORTED"]

SUPPORTED = ("Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d", "Dropout", "ReLU", "LeakyReLU", "Sigmoid",
             "Tanh", "Identity", "Flatten", "MaxPool2d", "AvgPool2d", "Embedding")
_SIMPLE = {ReLU: "Relu", Sigmoid: "Sigmoid", Tanh: "Tanh", Identity: "Identity"}
_KINDS = (Linear, Conv2d, BatchNorm1d, BatchNorm2d, Dropout, LeakyReLU, Flatten, MaxPool2d, AvgPool2d,
          Embedding, *_SIMPLE)


class _Graph:
    """Nodes and initializers collected layer by layer; ``x`` is the name of the current tensor."""

    def __init__(self, helper, numpy_helper, dtype) -> None:
        self.helper, self.numpy_helper, self.dtype = helper, numpy_helper, np.dtype(dtype)
        self.nodes, self.inits, self.x = [], [], "input"

    def const(self, name: str, array, dtype=None) -> str:
        arr = np.ascontiguousarray(np.asarray(array, dtype=dtype or self.dtype))
        self.inits.append(self.numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, **attrs) -> None:
        self.nodes.append(self.helper.make_node(op_type, [self.x, *inputs], [name], name=name, **attrs))
        self.x = name


def _pads(layer) -> list[int]:
    (ph, pw) = layer.padding
    return [ph, pw, ph, pw]                                   # ONNX: begin of each axis, then end


def _add_layer(g: _Graph, where: str, layer) -> None:
    if isinstance(layer, Linear):
        g.op("MatMul", [g.const(f"{where}.W_T", layer.W.data.T)], f"{where}.matmul")   # A W^T
        if layer.b is not None:
            g.op("Add", [g.const(f"{where}.b", layer.b.data)], f"{where}.out")          # + b
    elif isinstance(layer, Conv2d):
        ins = [g.const(f"{where}.W", layer.W.data)] + ([g.const(f"{where}.b", layer.b.data)]
                                                       if layer.b is not None else [])
        g.op("Conv", ins, f"{where}.out", kernel_shape=list(layer.kernel_size), strides=list(layer.stride),
             pads=_pads(layer))
    elif isinstance(layer, BatchNorm1d):                      # BatchNorm2d too (a subclass)
        s = layer.gamma.data / np.sqrt(layer.running_var + layer.eps)   # s = gamma / sqrt(sigma^2_run + eps)
        t = layer.beta.data - layer.running_mean * s                    # t = beta - mu_run s
        shape = (-1, 1, 1) if isinstance(layer, BatchNorm2d) else (-1,)
        g.op("Mul", [g.const(f"{where}.scale", s.reshape(shape))], f"{where}.mul")
        g.op("Add", [g.const(f"{where}.shift", t.reshape(shape))], f"{where}.out")      # y = x s + t
    elif isinstance(layer, Dropout):
        return                                                # eval mode: the identity
    elif isinstance(layer, LeakyReLU):
        g.op("LeakyRelu", [], f"{where}.out", alpha=layer.negative_slope)
    elif isinstance(layer, Flatten):
        g.op("Flatten", [], f"{where}.out", axis=1)
    elif isinstance(layer, (MaxPool2d, AvgPool2d)):
        extra = {"count_include_pad": 1} if isinstance(layer, AvgPool2d) else {}
        g.op("MaxPool" if isinstance(layer, MaxPool2d) else "AveragePool", [], f"{where}.out",
             kernel_shape=list(layer.kernel_size), strides=list(layer.stride), pads=_pads(layer), **extra)
    elif isinstance(layer, Embedding):
        table = g.const(f"{where}.W", layer.W.data)
        g.nodes.append(g.helper.make_node("Gather", [table, g.x], [f"{where}.out"], name=f"{where}.out"))
        g.x = f"{where}.out"
    else:
        g.op(_SIMPLE[type(layer)], [], f"{where}.out")


def _input_info(layers, onnx_mod, dtype):
    """The graph input: (batch, features) for a Linear first, (batch, C, height, width) for a Conv2d, ..."""
    first = next((lay for _, lay in layers if not isinstance(lay, Dropout)), None)
    elem = onnx_mod.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    if isinstance(first, Linear):
        shape = ["batch", first.in_features]
    elif isinstance(first, Conv2d):
        shape = ["batch", first.in_channels, "height", "width"]
    elif isinstance(first, Embedding):
        shape, elem = ["batch", "time"], onnx_mod.TensorProto.INT64
    elif isinstance(first, BatchNorm2d):
        shape = ["batch", first.num_features, "height", "width"]
    elif isinstance(first, BatchNorm1d):
        shape = ["batch", first.num_features]
    else:
        raise ValueError(f"to_onnx: the first layer must be Linear, Conv2d, BatchNorm or Embedding to know "
                         f"the input's shape, got {type(first).__name__}")
    return onnx_mod.helper.make_tensor_value_info("input", elem, shape)


def _output_shape(layers, shape: list) -> list:
    """The graph output's shape, followed through the layers (spatial sizes stay symbolic)."""
    shape = list(shape)
    for _, layer in layers:
        if isinstance(layer, Linear):
            shape[-1] = layer.out_features
        elif isinstance(layer, Conv2d):
            shape[1:] = [layer.out_channels, "out_height", "out_width"]
        elif isinstance(layer, (MaxPool2d, AvgPool2d)):
            shape[2:] = ["out_height", "out_width"]
        elif isinstance(layer, Flatten):
            shape = ["batch", "features"]
        elif isinstance(layer, Embedding):
            shape = [*shape, layer.embedding_dim]
    return shape


def build_onnx(model, opset: int = 17, dtype=np.float32):
    """The network as a checked ``onnx.ModelProto`` (nothing written); see :func:`to_onnx`."""
    layers = flat_layers(model)
    for where, layer in layers:                               # every layer checked before anything is built
        if not isinstance(layer, _KINDS):
            raise UnsupportedLayerError(where, layer, "to_onnx", SUPPORTED)
    if int(opset) < 17:
        raise ValueError(f"to_onnx: opset must be >= 17, got {opset}")
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError('to_onnx needs the onnx package: pip install "abcdl[onnx]"',
                                  name="onnx") from err
    g = _Graph(helper, numpy_helper, dtype)
    for where, layer in layers:
        _add_layer(g, where, layer)
    g.nodes.append(helper.make_node("Identity", [g.x], ["output"], name="output"))
    inp = _input_info(layers, onnx, dtype)
    in_shape = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    out = helper.make_tensor_value_info("output", helper.np_dtype_to_tensor_dtype(np.dtype(dtype)),
                                        _output_shape(layers, in_shape))
    graph = helper.make_graph(g.nodes, "abcdl", [inp], [out], g.inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", int(opset))],
                              producer_name="abcdl")
    proto.ir_version = min(proto.ir_version, 10)              # readable by ONNX Runtime releases of 2024 on
    onnx.checker.check_model(proto, full_check=True)
    return proto


def to_onnx(model, path: str | os.PathLike, opset: int = 17, dtype=np.float32) -> Path:
    """Write the network (in eval mode) as an ONNX file that ONNX Runtime runs; returns the path.

    Parameters
    ----------
    model : Sequential, a layer, or a fitted MLPClassifier / MLPRegressor
    path : str or PathLike
        The file to write (atomically: temp file, fsync, rename).
    opset : int, default 17
        ONNX operator set, at least 17.
    dtype : float32 (default) or float64
        The graph's computing type.

    Shapes
    ------
    input "input": (batch, n[0]) for an MLP, (batch, C, height, width) for a ConvNet,
    (batch, time) int64 token ids for an Embedding first;  output "output": the model's outputs (logits).

    Raises
    ------
    UnsupportedLayerError
        A layer with no ONNX counterpart here (e.g. LSTM), named with its position.
    """
    proto = build_onnx(model, opset, dtype)
    return atomic_write(path, proto.SerializeToString())
