"""The backward pass: the chain rule applied in reverse topological order (L39).

For J computed through a graph of operations, every node x receives

    dJ/dx = sum over the ops f that used x of  dJ/df(...) * df/dx

(the lecture's backpropagation, L15-L17, done by the machine).  The engine

1. lists the graph's Functions in topological order with an explicit stack
   (no recursion: a chain of 10,000 operations is fine);
2. visits them from the output back, calling each ``backward(gy)`` once all of
   its output's consumers have been visited, and *adds* the gradients a node
   receives from several consumers (a node used twice gets both terms);
3. frees every Function's saved inputs and arrays once the pass is over (each
   gradient dJ/dy is dropped as soon as it has been used), unless
   ``retain_graph`` or ``create_graph`` is set; a later backward through a freed
   Function raises ``RuntimeError`` (PyTorch's rule);
4. hands leaf gradients to ``Tensor.backward`` (accumulated into ``.grad``) or
   returns them from :func:`grad` (``.grad`` untouched).

With ``create_graph=False`` the backward pass runs under ``no_grad()``: the
gradients are plain values and nothing is recorded.  With ``create_graph=True``
the backward operations are recorded like any others, so gradients can be
differentiated again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .function import Function
from .mode import set_grad_enabled
from .tensor import Tensor, _new_tensor

__all__ = ["backward", "grad", "topological_order"]

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or to use values that backward already "
    "freed): {op} was freed by an earlier backward(). Specify retain_graph=True (or create_graph=True) "
    "on the first backward() or grad() call if you need to backward through the graph again."
)


def topological_order(roots: Sequence[Function]) -> list[Function]:
    """The Functions reachable from ``roots``, each after every Function that made one of its inputs.

    An iterative depth-first search (post-order) with an explicit stack, so the
    depth of the graph is not limited by Python's recursion limit.

    Raises
    ------
    RuntimeError
        A Function on the way was freed by an earlier backward.
    """
    order: list[Function] = []
    seen: set[Function] = set()
    stack: list[tuple[Function, bool]] = [(fn, False) for fn in roots]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)                        # all of fn's inputs' creators are already listed
            continue
        if fn in seen:
            continue
        seen.add(fn)
        if fn.inputs is None:
            raise RuntimeError(FREED_MESSAGE.format(op=fn.name))
        stack.append((fn, True))
        for x in fn.inputs:
            c = x.creator
            if c is not None and c not in seen:
                stack.append((c, False))
    return order


def _seed(t: Tensor, g) -> Tensor:
    """The upstream gradient G = dJ/dt: ``g`` checked against t's shape, or 1 for one element."""
    if not isinstance(t, Tensor):
        raise TypeError(f"backward: expected a Tensor, got {type(t).__name__}")
    if not t.requires_grad:
        raise RuntimeError(f"backward: the tensor of shape {t.shape} does not require grad and has no "
                           f"creator (no input had requires_grad=True, or it was computed under no_grad())")
    if g is None:
        if t.size != 1:
            raise ValueError(f"backward: grad can be implicitly created only for a scalar output; got a "
                             f"tensor of shape {t.shape}: pass gradient=... of shape {t.shape} "
                             f"(or reduce it first, e.g. y.sum())")
        return _new_tensor(np.ones(t.shape, dtype=t.dtype))
    g = g if isinstance(g, Tensor) else Tensor(np.asarray(g, dtype=t.dtype))
    if g.shape != t.shape:
        raise ValueError(f"backward: gradient of shape {g.shape} does not match the output's shape {t.shape}")
    return g


def _run(pairs: list[tuple[Tensor, Tensor]], keep_graph: bool, create_graph: bool,
         wanted: dict[int, Tensor] | None) -> dict[int, Tensor]:
    """Propagate the seeds in ``pairs`` back through the graph.

    ``wanted is None``: leaves accumulate into ``.grad`` (``Tensor.backward``).
    Otherwise: return {id(x): dJ/dx} for the tensors in ``wanted`` (:func:`grad`).
    """
    grads: dict[Function, Tensor] = {}                  # dJ/dy for the output y of each Function
    found: dict[int, Tensor] = {}

    def deliver(x: Tensor, gx: Tensor) -> None:        # gx reaches a leaf (or a wanted tensor)
        if wanted is None:
            x._accumulate_grad(gx, create_graph)
        elif id(x) in wanted:
            found[id(x)] = found[id(x)] + gx if id(x) in found else gx

    for t, g in pairs:
        c = t.creator
        if c is None:
            deliver(t, g)
        else:
            grads[c] = grads[c] + g if c in grads else g
    wanted_creators = {} if wanted is None else {x.creator: i for i, x in wanted.items() if x.creator}
    order = topological_order(list(grads))
    with set_grad_enabled(create_graph):
        for fn in reversed(order):                     # outputs first, leaves last
            gy = grads.pop(fn, None)                   # every consumer of fn's output has added its term
            if gy is not None:
                if fn in wanted_creators:
                    found[wanted_creators[fn]] = gy
                _propagate(fn, gy, grads, deliver)
    if not keep_graph:
        for fn in order:
            fn.release()                               # free the saved inputs: the graph is spent
    return found


def _propagate(fn: Function, gy: Tensor, grads: dict, deliver) -> None:
    """gx_i = fn.backward(gy)_i, added to what x_i has received so far."""
    gxs = fn.backward(gy)
    if not isinstance(gxs, tuple):
        gxs = (gxs,)
    for x, gx in zip(fn.inputs, gxs, strict=True):
        if gx is None or not x.requires_grad:
            continue
        if gx.shape != x.shape:
            raise RuntimeError(f"{fn.name}.backward returned a gradient of shape {gx.shape} for an input "
                               f"of shape {x.shape}")
        c = x.creator
        if c is None:
            deliver(x, gx)
        else:
            grads[c] = grads[c] + gx if c in grads else gx   # a node used twice: dJ/dx = sum of terms


def backward(tensor: Tensor, gradient=None, retain_graph: bool = False, create_graph: bool = False) -> None:
    """``tensor.backward(gradient)``: accumulate dJ/dx into ``x.grad`` for every leaf x.

    See :meth:`Tensor.backward`.
    """
    seed = _seed(tensor, gradient)
    _run([(tensor, seed)], retain_graph or create_graph, create_graph, None)


def _as_list(x, what: str) -> list:
    if isinstance(x, Tensor):
        return [x]
    try:
        items = list(x)
    except TypeError:
        raise TypeError(f"grad: {what} must be a Tensor or a sequence of Tensors, "
                        f"got {type(x).__name__}") from None
    for i, t in enumerate(items):
        if not isinstance(t, Tensor) and not (what == "grad_outputs" and t is None):
            raise TypeError(f"grad: {what}[{i}] is a {type(t).__name__}, not a Tensor")
    return items


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients d(sum_k outputs_k * G_k)/d inputs, returned instead of accumulated (PyTorch's API).

    Parameters
    ----------
    outputs : Tensor or sequence of Tensors
    inputs : Tensor or sequence of Tensors
        Leaves or intermediate tensors of the graph.
    grad_outputs : sequence of array_like or Tensor, optional
        The upstream gradients G_k (default 1 for one-element outputs).
    retain_graph : bool, optional
        Keep the graph for another backward; default: ``create_graph``.
    create_graph : bool
        Record the computation of the gradients so that they can be differentiated
        again (``grad(grad(y, x, create_graph=True)[0], x)`` is d2y/dx2).
    allow_unused : bool
        Return ``None`` for an input the outputs do not depend on, instead of
        raising ``RuntimeError``.

    Returns
    -------
    tuple of Tensor (or None), one per input, in the order of ``inputs``.
    ``.grad`` of the leaves is not touched.
    """
    outs = _as_list(outputs, "outputs")
    ins = _as_list(inputs, "inputs")
    gouts = [None] * len(outs) if grad_outputs is None else _as_list(grad_outputs, "grad_outputs")
    if len(gouts) != len(outs):
        raise ValueError(f"grad: got {len(gouts)} grad_outputs for {len(outs)} outputs")
    for i, x in enumerate(ins):
        if not x.requires_grad:
            raise RuntimeError(f"grad: inputs[{i}] (shape {x.shape}) does not require grad")
    keep = create_graph if retain_graph is None else retain_graph
    pairs = [(t, _seed(t, g)) for t, g in zip(outs, gouts, strict=True)]
    found = _run(pairs, keep or create_graph, create_graph, {id(x): x for x in ins})
    result = tuple(found.get(id(x)) for x in ins)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: inputs[{i}] (shape {ins[i].shape}) was not used to compute the "
                               f"outputs; pass allow_unused=True to get None for it")
    return result
