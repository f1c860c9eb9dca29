"""``DataParallel``: one batch split across the CPU's cores, one model replica per thread (L36, L38).

A mini-batch's loss is a mean over its examples, so its gradient is a sum over
examples: the batch can be cut into parts, each part sent through its own copy of
the network, and the parts' gradients added::

    X = [X_1; X_2]   ->   Y_k = f(X_k; W),   Y = [Y_1; Y_2]
    dJ/dW = sum_k dJ/dW |_(X_k, dY_k)           (dY = [dY_1; dY_2], from the loss of the whole batch)

NumPy runs its element-wise work (im2col copies, ReLU, pooling) on one core and
only its BLAS calls on several; :class:`DataParallel` runs the parts in threads
(NumPy releases the GIL inside its loops and BLAS calls), each with a
single-threaded BLAS and the convolutions' batch chunks sized for it
(``_conv_fast.CHUNK_BYTES_ONE_THREAD``), so every part of the step uses the
cores.  The numbers are those of the whole batch up to the order of float sums
(``tests/test_parallel.py`` checks forward, gradients and dX against the model
run on the whole batch).

Layers whose output for one example depends on the others are refused: batch
normalisation (in training mode each part would have its own batch statistics)
and stateful recurrent layers (their carried state belongs to the batch's rows).
Dropout draws its masks from a new stream per replica, spawned from the layer's
generator: a seeded run is repeatable for a given number of workers.

Controlling the BLAS's threads needs ``threadpoolctl`` (``pip install "abcdl[parallel]"``);
without it ``workers`` must be 1.
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

from ._types import Array
from .layers import _conv_fast
from .module import Module

__all__ = ["DataParallel", "default_workers"]

#: The GIL's switch interval while the parts run (Python's default is 5 ms).  A thread that comes
#: back from a NumPy call waits for the GIL while the other runs Python lines; a short interval
#: bounds that wait.  0.1 ms measured 3% faster steps than 5 ms on both ConvNets (2026-12-01).
SWITCH_INTERVAL = 1e-4


def default_workers() -> int:
    """The cores this process may run on (``os.sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                                   # not on Linux
        return max(1, os.cpu_count() or 1)


def _blas_controller():
    """threadpoolctl's controller of the loaded BLAS libraries, or None when it is not installed."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _check_splittable(module: Module) -> None:
    """Refuse layers whose forward couples the examples of a batch (named in the error)."""
    from .layers import BatchNorm1d, BatchNorm2d

    for name, m in module.named_modules():
        where = f"{type(m).__name__} at {name}" if name else type(m).__name__
        if isinstance(m, (BatchNorm1d, BatchNorm2d)):
            raise ValueError(f"DataParallel: {where} normalises with the statistics of the whole batch; "
                             f"split into parts, each part would use its own (train with workers=1)")
        if getattr(m, "stateful", False):
            raise ValueError(f"DataParallel: {where} is stateful (it carries its state from batch to "
                             f"batch, row by row); train it with workers=1")


def _replica(module: Module) -> Module:
    """A copy of ``module`` whose Parameters share ``data`` with the original and own their ``grad``.

    Caches are not copied; random generators are replaced by children spawned
    from the original's (independent dropout masks, repeatable from the seed).
    """
    memo: dict[int, object] = {}
    for p in module.parameters():
        memo[id(p.data)] = p.data                          # shared: the optimizer updates it in place
    for _, m in module.named_modules():
        if "_cache" in vars(m):
            memo[id(m._cache)] = None
    clone = copy.deepcopy(module, memo)
    for (_, m), (_, c) in zip(module.named_modules(), clone.named_modules(), strict=True):
        for key, value in vars(m).items():
            if isinstance(value, np.random.Generator):
                object.__setattr__(c, key, value.spawn(1)[0])
    for p in clone.parameters():
        p.grad = np.zeros_like(p.data)
    return clone


def _one_blas_thread(fn, replica: Module, part: Array):
    """fn(replica, part) with the convolutions' chunk size for a one-thread BLAS."""
    with _conv_fast.chunk_size(_conv_fast.CHUNK_BYTES_ONE_THREAD):
        return fn(replica, part)


def _backward(replica: Module, dout: Array, input_grad: bool, tree: tuple | None):
    """One part's backward; a replica (``tree``: its modules and parameters) first clears its own
    gradients; the module's are the caller's to clear."""
    if tree is not None:
        for q in tree[1]:
            q.grad.fill(0)
    return replica.backward(dout, input_grad)


class DataParallel(Module):
    """Run ``module`` on parts of each batch in ``workers`` threads and add up their gradients.

    Parameters
    ----------
    module : Module
        The network.  Its parameters, buffers, modes and state dict are this
        wrapper's (the same objects, the same names: ``state_dict()`` has no
        prefix); ``abcdl.save(dp, path)`` saves the module.
    workers : int, optional
        Parts per batch and threads (default: the cores available, see
        :func:`default_workers`).  With 1 the module runs as it is.

    The optimizer is built on ``dp.parameters()`` (= ``module.parameters()``) and
    updates the weights in place; the replicas read them, so nothing is copied
    between steps.  A batch of m examples is cut into min(workers, m) parts of
    sizes that differ by at most one; the outputs are concatenated along the
    batch axis.
    """

    def __init__(self, module: Module, workers: int | None = None) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel wraps a Module, got {type(module).__name__}")
        workers = default_workers() if workers is None else workers
        if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
            raise ValueError(f"DataParallel: workers must be a positive integer, got {workers!r}")
        self.module = module
        object.__setattr__(self, "workers", int(workers))
        object.__setattr__(self, "_blas", None)
        object.__setattr__(self, "_pool", None)
        object.__setattr__(self, "_replicas", [])
        object.__setattr__(self, "_trees", [])
        object.__setattr__(self, "_params", [])
        object.__setattr__(self, "_sizes", None)
        if self.workers > 1:
            _check_splittable(module)
            blas = _blas_controller()
            if blas is None:
                raise ImportError("DataParallel with workers > 1 needs threadpoolctl to run NumPy's BLAS "
                                  "one thread per worker: pip install \"abcdl[parallel]\" (or use workers=1)")
            object.__setattr__(self, "_blas", blas)
            replicas = [module] + [_replica(module) for _ in range(self.workers - 1)]
            object.__setattr__(self, "_replicas", replicas)
            trees = [([m for _, m in r.named_modules()], r.parameters()) for r in replicas[1:]]
            object.__setattr__(self, "_trees", trees)              # each replica's modules and parameters

    # -- the wrapped module's tree, with its names --------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield from self.module.named_modules(prefix)

    def extra_repr(self) -> str:
        return f"workers={self.workers}"

    def __repr__(self) -> str:
        body = repr(self.module).replace("\n", "\n  ")
        return f"DataParallel(workers={self.workers},\n  module={body}\n)"

    # -- the computation ------------------------------------------------------------
    def forward(self, x: Array) -> Array:
        """Y = [f(X_1); ...; f(X_k)]: each part through its replica, in its own thread."""
        if self.workers == 1:
            return self.module.forward(x)
        if not isinstance(x, np.ndarray):
            raise TypeError(f"DataParallel splits an array along its first (batch) axis; got a "
                            f"{type(x).__name__}")
        if x.ndim == 0:
            raise ValueError(f"DataParallel: the input needs a batch axis, got shape {x.shape}")
        parts = np.array_split(x, min(self.workers, len(x))) if len(x) else [x]
        object.__setattr__(self, "_sizes", [len(p) for p in parts])
        self._sync()
        outs = self._run(lambda r, part: r.forward(part), parts)
        for out in outs:
            if not isinstance(out, np.ndarray):
                raise TypeError(f"DataParallel: {type(self.module).__name__}.forward returned a "
                                f"{type(out).__name__}; only arrays can be joined along the batch axis")
        return outs[0] if len(outs) == 1 else np.concatenate(outs)

    def backward(self, dout: Array, input_grad: bool = True) -> Array | None:
        """dJ/dW = sum over the parts of their gradients; dX = [dX_1; ...; dX_k]."""
        if self.workers == 1:
            return self.module.backward(dout, input_grad)
        if self._sizes is None:
            raise RuntimeError("DataParallel: backward called before forward")
        dout = np.asarray(dout)
        if len(dout) != sum(self._sizes):
            raise ValueError(f"DataParallel: backward expected dout for {sum(self._sizes)} examples, "
                             f"got shape {dout.shape}")
        parts = np.split(dout, np.cumsum(self._sizes)[:-1])
        trees = dict(zip(map(id, self._replicas[1:]), self._trees, strict=True))
        dxs = self._run(lambda r, part: _backward(r, part, input_grad, trees.get(id(r))), parts)
        for _, r_params in self._trees[:len(parts) - 1]:
            for p, q in zip(self._params, r_params, strict=True):
                p.grad += q.grad                                 # dJ/dW = sum_k dJ/dW|part k
        if not input_grad:
            return None
        return dxs[0] if len(dxs) == 1 else np.concatenate(dxs)

    def _sync(self) -> None:
        """The replicas read the module's current weights and modes (a weight rebound by the user too)."""
        modules = [m for _, m in self.module.named_modules()]
        params = [p for m in modules for p in m._parameters.values()]    # = module.parameters()
        object.__setattr__(self, "_params", params)
        for r_modules, r_params in self._trees:
            if len(r_params) != len(params) or len(r_modules) != len(modules):
                raise RuntimeError("DataParallel: the module gained or lost layers or parameters after it "
                                   "was wrapped; wrap the finished model")
            for m, c in zip(modules, r_modules, strict=True):
                object.__setattr__(c, "training", m.training)
            for p, q in zip(params, r_params, strict=True):
                if q.data is not p.data:
                    q.data = p.data
                    q.grad = np.zeros_like(p.data)

    def _run(self, fn, parts: list) -> list:
        """fn(replica k, part k) for every part: part 0 in this thread, the others in the pool."""
        if self._pool is None:
            object.__setattr__(self, "_pool", ThreadPoolExecutor(self.workers - 1,
                                                                 thread_name_prefix="abcdl-dp"))
        interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL)
        try:
            with self._blas.limit(limits=1, user_api="blas"):   # one BLAS thread per worker
                pairs = zip(self._replicas[1:len(parts)], parts[1:], strict=True)
                futures = [self._pool.submit(_one_blas_thread, fn, r, part) for r, part in pairs]
                try:
                    first = _one_blas_thread(fn, self._replicas[0], parts[0])
                finally:
                    wait(futures)                                # every part ends before the next step
        finally:
            sys.setswitchinterval(interval)
        return [first] + [f.result() for f in futures]

    def close(self) -> None:
        """Stop the worker threads (they also stop when the interpreter exits)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            object.__setattr__(self, "_pool", None)
