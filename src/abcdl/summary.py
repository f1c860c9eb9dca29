"""``summary(model)``: a table of layers, output shapes and parameter counts (L16, L35).

For the lecture's MNIST network ``Linear(784, 100), ReLU(), Linear(100, 10)`` it reads::

    Model: Sequential
    #  Layer             Output shape    Param #
    ---------------------------------------------
    0  Linear(784, 100)  (None, 100)      78,500      <- 784*100 weights + 100 biases
    1  ReLU()            (None, 100)           0
    2  Linear(100, 10)   (None, 10)        1,010
    ---------------------------------------------
    Total params: 79,510 (310.59 KB)
    Trainable params: 79,510
    Non-trainable params: 0

"None" is the batch axis.  Non-trainable parameters are the buffers (batch
normalization's running statistics), as in Keras.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_positive_int
from .layers import BatchNorm1d, Dropout
from .layers.activations import _Activation
from .module import Module

__all__ = ["summary"]


def _rows(model: Module) -> list[tuple[str, Module]]:
    """The modules that get a row: leaves, and any container that holds parameters of its own.

    Names drop the ``layers.`` of Sequential, so rows read 0, 1, 2 (nested: 3.0, 3.1).
    """
    rows = []
    for name, module in model.named_modules():
        if module is model and module._modules and not (module._parameters or module._buffers):
            continue
        if not module._modules or module._parameters or module._buffers:
            label = ".".join(part for part in name.split(".") if part != "layers") or name
            rows.append((label or "0", module))
    return rows


def _count(module: Module) -> tuple[int, int, int]:
    """(trainable, non-trainable, bytes) held directly by ``module``."""
    trainable = sum(p.size for p in module._parameters.values() if p is not None)
    nbytes = sum(p.data.nbytes for p in module._parameters.values() if p is not None)
    buffers = [getattr(module, name) for name in module._buffers]
    return trainable, sum(b.size for b in buffers), nbytes + sum(b.nbytes for b in buffers)


def _recorder(forward, key: int, shapes: dict):
    def traced(x):
        out = forward(x)
        shapes[key] = (None, *np.shape(out)[1:])
        return out
    return traced


def _traced_shapes(model: Module, rows, input_shape: tuple[int, ...]) -> dict[int, tuple]:
    """Run a zeros batch of 2 in eval mode and record each row module's output shape."""
    params = model.parameters()
    dtype = params[0].dtype if params else np.float32
    shapes: dict[int, tuple] = {}
    patched = []
    for _, module in rows:
        if "forward" in module.__dict__:
            continue
        # an instance attribute shadows the class's forward until it is deleted below
        object.__setattr__(module, "forward", _recorder(module.forward, id(module), shapes))
        patched.append(module)
    was_training = model.training
    model.eval()
    try:
        model.forward(np.zeros((2, *input_shape), dtype=dtype))
    except (ValueError, TypeError) as e:
        raise ValueError(f"summary: a forward pass of a (2, {', '.join(map(str, input_shape))}) "
                         f"batch failed: {e}") from e
    finally:
        model.train(was_training)
        for module in patched:
            del module.__dict__["forward"]
    return shapes


def _static_shapes(rows) -> dict[int, tuple]:
    """Output shapes known without data: Linear's out_features; shape-keeping layers pass it on."""
    shapes: dict[int, tuple] = {}
    current = None
    for _, module in rows:
        if hasattr(module, "out_features"):
            current = (None, int(module.out_features))           # Z: (m, n[l])
        elif isinstance(module, BatchNorm1d):
            current = (None, int(module.num_features))
        elif not isinstance(module, (_Activation, Dropout)):
            current = None                                      # unknown without an input shape
        if current is not None:
            shapes[id(module)] = current
    return shapes


def _example_shape(input_shape) -> tuple[int, ...]:
    """The shape of one example (no batch axis) as a tuple of positive ints; an int n means (n,)."""
    shape = (input_shape,) if isinstance(input_shape, (int, np.integer)) else tuple(input_shape)
    if not shape:
        raise ValueError("summary: input_shape must be the shape of one example (no batch axis), got ()")
    return tuple(check_positive_int(d, f"summary: input_shape[{i}] (one example, no batch axis)")
                 for i, d in enumerate(shape))


def _fmt_shape(shape) -> str:
    if shape is None:
        return "?"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def summary(model: Module, input_shape: tuple[int, ...] | int | None = None) -> str:
    """A printable table of ``model``'s layers with output shapes and parameter counts.

    Parameters
    ----------
    model : Module
    input_shape : tuple of int or int, optional
        The shape of one example, without the batch axis: ``(784,)`` or ``(1, 28, 28)``.
        Given, every output shape comes from a forward pass of a zeros batch of 2 in
        eval mode (the model's mode is restored afterwards); otherwise shapes are
        inferred from ``Linear`` sizes and "?" is shown where they are unknown.

    Returns
    -------
    str
        One row per layer (index, type with arguments, output shape, parameter count),
        then the total, trainable and non-trainable counts.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected a Module, got {type(model).__name__}")
    rows = _rows(model)
    if input_shape is not None:
        input_shape = _example_shape(input_shape)
        shapes = _traced_shapes(model, rows, input_shape)
    else:
        shapes = _static_shapes(rows)

    table = [("#", "Layer", "Output shape", "Param #")]
    total_train = total_frozen = total_bytes = 0
    for label, module in rows:
        n_train, n_frozen, nbytes = _count(module)
        total_train, total_frozen, total_bytes = total_train + n_train, total_frozen + n_frozen, \
            total_bytes + nbytes
        table.append((label, repr(module).split("\n")[0] if not module._modules else type(module).__name__,
                      _fmt_shape(shapes.get(id(module))), f"{n_train + n_frozen:,}"))
    widths = [max(len(r[i]) for r in table) for i in range(4)]

    def line(r):
        return (f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  "
                f"{r[3]:>{widths[3]}}").rstrip()

    rule = "-" * (sum(widths) + 6)
    out = [f"Model: {type(model).__name__}"]
    if input_shape is not None:
        out.append(f"Input shape: {_fmt_shape((None, *input_shape))}")
    out += [line(table[0]), rule, *(line(r) for r in table[1:]), rule,
            f"Total params: {total_train + total_frozen:,} ({total_bytes / 1024:.2f} KB)",
            f"Trainable params: {total_train:,}",
            f"Non-trainable params: {total_frozen:,}"]
    return "\n".join(out)
