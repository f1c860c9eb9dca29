"""What RNN, LSTM and GRU share (L40): PyTorch's weights, stacking, two directions, state, BPTT's GEMMs.

A recurrent layer runs one cell over time, h_t = cell(x_t, h_{t-1}), with the
same weights at every step.  The three cells differ only in the step itself
(``_scan`` forward and ``_scan_backward`` back through time, in ``rnn.py``,
``lstm.py`` and ``gru.py``); everything around the step lives here:

- **Weights** are PyTorch's, named and shaped so that they load into
  ``torch.nn.RNN/LSTM/GRU`` one to one: ``weight_ih_l{k}`` (G*H, D_k),
  ``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*H,), with the
  suffix ``_reverse`` for the backward direction; G gate blocks are stacked in
  PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n).  The books keep W_x (D, G*H)
  and W_h (H, G*H) (DLFS2) or W_ax (H, D) (Coursera): W_ih = W_x^T = W_ax.
- **The input's share of every step at once**: x_t W_ih^T + b_ih for all t is
  computed before the loop, on the (T*m, D) rows; only h_{t-1} W_hh^T is left in it.
- **Backward through time** (DLFS2 ch. 5.3): the loop over t = T..1 only carries
  dh (and dc) back; the weight gradients are sums over t, so they are computed
  after the loop on all T*m rows at once:  dW_ih = sum_t da_t^T x_t,
  dW_hh = sum_t da_t^T h_{t-1},  db = sum_t da_t,  dx_t = da_t W_ih.
- **Stacking** (``num_layers``): layer k+1 reads layer k's output sequence.
  **bidirectional**: a second cell runs t = T..1 and the two outputs are
  concatenated, [h_fwd, h_bwd] (m, T, 2H).  **State**: ``initial_state`` (zeros by
  default), ``h_n`` (and ``c_n``) after forward, ``stateful`` carry-over.

Layout (speed lives here, not in the formulas): the arrays are time-major, (T, m, H),
so that x_t = X[t] is contiguous, and the gates are gate-major, (G, T, m, H), so
that each gate is a contiguous (m, H) block (NumPy's element-wise calls are several
times slower on strided column blocks).  The weights are split into their G blocks
(G, H, n) in the order the code computes them (the books' f, i, o, g for the LSTM)
and each matrix product runs over the blocks in one ``np.matmul``; the gradients go
back into PyTorch's rows.  The public shapes are batch-first, (m, T, D).
"""

from __future__ import annotations

import math

import numpy as np

from .._checks import check_positive_int
from .._config import get_rng, resolve_dtype
from .._types import Array, Rng
from ..module import Module
from ..parameter import Parameter
from ._checks import check_input, need_forward


def sigmoid_(a: np.ndarray) -> np.ndarray:
    """sigma(a) = 1 / (1 + e^{-a}), in place (a gate's pre-activation becomes the gate); returns ``a``.

    e^{-a} may overflow to inf for very negative a, and then 1/(1 + inf) = 0 exactly.
    """
    with np.errstate(over="ignore"):
        np.negative(a, out=a)
        np.exp(a, out=a)                   # e^{-a}
    a += 1                                 # 1 + e^{-a}
    return np.reciprocal(a, out=a)         # 1 / (1 + e^{-a})


def times(T: int, reverse: bool) -> range:
    """The order a cell visits the steps: t = 1..T, or T..1 for the backward direction."""
    return range(T - 1, -1, -1) if reverse else range(T)


def previous(seq: np.ndarray, s0: np.ndarray, reverse: bool) -> np.ndarray:
    """s_{t-1} for every t, (T, m, H): (s_0, s_1, .., s_{T-1}); in the backward direction, s_{t+1}."""
    if reverse:
        return np.concatenate([seq[1:], s0[None]])
    return np.concatenate([s0[None], seq[:-1]])


def _flag(value, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


class Recurrent(Module):
    """Base of :class:`RNN`, :class:`LSTM` and :class:`GRU` (L40); see the module docstring.

    Subclasses set ``GATES`` (G, the blocks stacked in the weights), ``ORDER`` (the
    PyTorch blocks in the order the code computes them) and ``STATES`` (("h",), or
    ("h", "c") for the LSTM), and write the two loops over time, gate-major (each
    gate's (m, H) block contiguous, which NumPy's small element-wise calls need):

    - ``_scan(XW, s0, W_hhT, b_hh, reverse, out) -> (s_T, cache)``: XW (G, T, m, H)
      is x_t W_ih^T + b_ih for every t, W_hhT (G, H, H) the blocks of W_hh^T, b_hh
      (G, 1, H); h_t goes to ``out[t]`` (T, m, H).
    - ``_scan_backward(cache, dH, ds_T, W_hh, H_prev, reverse) -> (da_ih, da_hh, ds_0)``:
      dH (T, m, H) is dJ/dh_t from above, W_hh (G, H, H) the blocks of W_hh, H_prev
      h_{t-1} for every t; da_ih and da_hh (G, T, m, H) are dJ/d(pre-activation)
      as the W_ih and W_hh products see them (the same array except in the GRU).
    """

    GATES = 1
    ORDER: tuple[int, ...] = (0,)      # PyTorch's gate blocks in the order the code computes them
    STATES: tuple[str, ...] = ("h",)

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, return_sequences: bool = True, stateful: bool = False,
                 rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = check_positive_int(input_size, f"{name}: input_size")      # D
        self.hidden_size = check_positive_int(hidden_size, f"{name}: hidden_size")   # H
        self.num_layers = check_positive_int(num_layers, f"{name}: num_layers")
        self.bidirectional = _flag(bidirectional, f"{name}: bidirectional")
        self.return_sequences = _flag(return_sequences, f"{name}: return_sequences")
        self.stateful = _flag(stateful, f"{name}: stateful")
        gen, dt = get_rng(rng), resolve_dtype(dtype)
        H, GH = self.hidden_size, self.GATES * self.hidden_size
        bound = 1.0 / math.sqrt(H)                # PyTorch's init: every weight ~ U(-1/sqrt(H), 1/sqrt(H))
        for k in range(self.num_layers):
            D_k = self.input_size if k == 0 else H * self.num_directions
            for sfx in self._suffixes():
                for pname, shape in ((f"weight_ih_l{k}{sfx}", (GH, D_k)), (f"weight_hh_l{k}{sfx}", (GH, H)),
                                     (f"bias_ih_l{k}{sfx}", (GH,)), (f"bias_hh_l{k}{sfx}", (GH,))):
                    setattr(self, pname, Parameter(gen.uniform(-bound, bound, shape).astype(dt)))
        self._carry: tuple | None = None          # stateful: the last batch's final state, detached
        self._cache: tuple | None = None
        for s in self.STATES:                     # h_n (c_n) after forward, dh0 (dc0) after backward
            object.__setattr__(self, f"{s}_n", None)
            object.__setattr__(self, f"d{s}0", None)

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def _weights(self, k: int, d: int) -> tuple[Parameter, Parameter, Parameter, Parameter]:
        """W_ih, W_hh, b_ih, b_hh of layer k, direction d (0 forward, 1 backward)."""
        sfx = self._suffixes()[d]
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        return tuple(getattr(self, f"{n}_l{k}{sfx}") for n in names)

    # -- state ------------------------------------------------------------------
    def _pair(self, value, what: str) -> tuple:
        """``value`` as a tuple with one entry per state: (h,), or the LSTM's (h, c)."""
        if len(self.STATES) == 1:
            return (value,)
        if not (isinstance(value, (tuple, list)) and len(value) == len(self.STATES)):
            names = ", ".join(f"{s}0" for s in self.STATES)
            raise TypeError(f"{self._where()}: {what} must be a pair ({names}), got {type(value).__name__}")
        return tuple(value)

    def _states(self, value, what: str, m: int, dtype) -> tuple[np.ndarray, ...]:
        """``value`` (h, or the pair (h, c); None means zeros) as (num_layers*dirs, m, H) arrays."""
        shape = (self.num_layers * self.num_directions, m, self.hidden_size)
        parts = (None,) * len(self.STATES) if value is None else self._pair(value, what)
        states = []
        for s, v in zip(self.STATES, parts, strict=True):
            v = np.zeros(shape, dtype) if v is None else np.asarray(v)
            if v.shape != shape:
                raise ValueError(f"{self._where()}: {what} {s} must have shape (num_layers*num_directions, "
                                 f"m, hidden_size) = {shape}, got {v.shape}")
            states.append(v.astype(dtype, copy=False))
        return tuple(states)

    def _initial(self, initial_state, m: int, dtype) -> tuple[np.ndarray, ...]:
        """h_0 (and c_0): the one given, else the carried one (stateful), else zeros."""
        if initial_state is not None:
            return self._states(initial_state, "initial_state", m, dtype)
        shape = (self.num_layers * self.num_directions, m, self.hidden_size)
        if self._carry is None:
            return tuple(np.zeros(shape, dtype) for _ in self.STATES)
        if self._carry[0].shape != shape:
            raise ValueError(f"{self._where()}: stateful: the carried state has shape {self._carry[0].shape} "
                             f"but this batch needs {shape} (batch of {m}); call reset_state() between "
                             f"streams of different batch sizes")
        return tuple(s.astype(dtype, copy=False) for s in self._carry)

    def reset_state(self, state=None) -> None:
        """Forget the carried state (a stateful layer starts the next batch from zeros).

        ``state``, if given (h, or (h, c) for the LSTM), becomes the carried state
        instead, detached: a copy, through which no gradient flows.
        """
        if state is None:
            self._carry = None
        else:
            h = np.asarray(self._pair(state, "state")[0])
            if h.ndim != 3:
                raise ValueError(f"{self._where()}: state h must have shape (num_layers*num_directions, m, "
                                 f"hidden_size), got {h.shape}")
            states = self._states(state, "state", h.shape[1], self.weight_hh_l0.dtype)
            self._carry = tuple(s.copy() for s in states)

    @property
    def final_state(self):
        """The last forward's final state in the form ``initial_state`` takes: h_n, or (h_n, c_n)."""
        states = tuple(getattr(self, f"{s}_n") for s in self.STATES)
        return states if len(states) > 1 else states[0]

    @property
    def initial_state_grad(self):
        """dJ/d(initial state) from the last backward: dh0, or (dh0, dc0) (num_layers*dirs, m, H)."""
        grads = tuple(getattr(self, f"d{s}0") for s in self.STATES)
        return grads if len(grads) > 1 else grads[0]

    # -- forward ----------------------------------------------------------------
    def __call__(self, x, initial_state=None):
        return self.forward(x, initial_state)

    def forward(self, x: Array, initial_state=None) -> Array:
        """Run every layer and direction over the sequence; see the class docstring for shapes."""
        D = self.input_size
        x = check_input(self, x, 3, expect=f"(m, T, {D})")
        if x.shape[2] != D or x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"{self._where()}: expected input of shape (m, T, {D}) with m, T >= 1, "
                             f"got {x.shape}")
        m, T, _ = x.shape
        dtype = np.result_type(x.dtype, self.weight_hh_l0.dtype)
        s0 = self._initial(initial_state, m, dtype)
        X = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)    # time-major: x_t = X[t] (m, D)
        finals = tuple(np.empty_like(s) for s in s0)
        caches = []
        for k in range(self.num_layers):
            outs = []
            for d in range(self.num_directions):
                out, cache = self._forward_direction(X, k, d, s0, finals)
                outs.append(out)
                caches.append(cache)
            X = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)   # [h_fwd, h_bwd]: next x_t
        self._cache = (x.shape, caches)
        for s, final in zip(self.STATES, finals, strict=True):
            object.__setattr__(self, f"{s}_n", final)
        if self.stateful:
            self._carry = tuple(f.copy() for f in finals)               # detached: a copy, no gradient path
        if self.return_sequences:
            return np.ascontiguousarray(X.transpose(1, 0, 2))           # (m, T, H*dirs)
        return np.concatenate([finals[0][self._top(d)] for d in range(self.num_directions)], axis=1)

    def _top(self, d: int) -> int:
        """Index in h_n of the last layer's direction d."""
        return (self.num_layers - 1) * self.num_directions + d

    def _blocks(self, a: np.ndarray) -> np.ndarray:
        """Weight (G*H, n) or bias (G*H,) as gate blocks (G, H, n) or (G, 1, H) in the code's order (copy)."""
        G, H = self.GATES, self.hidden_size
        return a.reshape((G, H, a.shape[1]) if a.ndim == 2 else (G, 1, H))[list(self.ORDER)]

    def _forward_direction(self, X, k: int, d: int, s0: tuple, finals: tuple) -> tuple:
        """One cell (layer k, direction d) over the sequence: h_t for every t (T, m, H), and its cache."""
        W_ih, W_hh, b_ih, b_hh = self._weights(k, d)
        T, m, D_k = X.shape
        W_ih3, W_hh3 = self._blocks(W_ih.data), self._blocks(W_hh.data)  # (G, H, D_k), (G, H, H): W_i*, W_h*
        # x_t W_ih^T + b_ih for every t at once, before the loop (one GEMM per gate block)
        XW = np.matmul(X.reshape(T * m, D_k), W_ih3.transpose(0, 2, 1))
        XW += self._blocks(b_ih.data)
        XW = XW.reshape(self.GATES, T, m, self.hidden_size)               # gate-major (G, T, m, H)
        j = k * self.num_directions + d                                   # this cell's row in h_0 and h_n
        start = tuple(s[j] for s in s0)
        out = np.empty((T, m, self.hidden_size), XW.dtype)                # h_t of this direction
        W_hhT = np.ascontiguousarray(W_hh3.transpose(0, 2, 1))            # W_h*^T, laid out for BLAS
        last, cache = self._scan(XW, start, W_hhT, self._blocks(b_hh.data), d == 1, out)
        for f, s in zip(finals, last, strict=True):
            f[j] = s
        return out, (X, out, start, W_ih3, W_hh3, cache)

    # -- backward ---------------------------------------------------------------
    def backward(self, dout: Array | None, input_grad: bool = True, dstate=None) -> Array | None:
        """Backpropagation through time: dJ/dx from dJ/d(output) and, optionally, dJ/d(final state).

        Parameters
        ----------
        dout : (m, T, H*dirs), or (m, H*dirs) when ``return_sequences=False``; or None
            dJ/d(output); None when only the final state feeds the loss (an encoder).
        input_grad : bool
            False: skip dJ/dx of the first layer and return None (Module's contract).
        dstate : optional
            dJ/dh_n (num_layers*dirs, m, H), or (dJ/dh_n, dJ/dc_n) for the LSTM (either may be None),
            e.g. a decoder's ``initial_state_grad`` in a seq2seq model.

        Returns
        -------
        dJ/dx (m, T, D), or None.  dJ/d(initial state) is left in ``dh0`` (and ``dc0``).
        """
        need_forward(self, self._cache)
        (m, T, _), caches = self._cache
        dY, dlast = self._upstream(dout, dstate, m, T, caches[0][1].dtype)
        ds0 = tuple(np.empty_like(s) for s in dlast)
        H = self.hidden_size
        for k in reversed(range(self.num_layers)):
            dX = None
            for d in range(self.num_directions):
                j = k * self.num_directions + d
                dH = np.ascontiguousarray(dY[:, :, d * H:(d + 1) * H])       # dJ/dh_t from above
                dx = self._backward_direction(caches[j], dH, k, d, tuple(s[j] for s in dlast), ds0, j,
                                              k > 0 or input_grad)
                dX = dx if dX is None else dX + dx                      # both directions read x_t
            dY = dX
        for s, g in zip(self.STATES, ds0, strict=True):
            object.__setattr__(self, f"d{s}0", g)
        return np.ascontiguousarray(dY.transpose(1, 0, 2)) if input_grad else None

    def _upstream(self, dout, dstate, m: int, T: int, dtype) -> tuple[np.ndarray, tuple]:
        """dJ/dh_t of the top layer (T, m, H*dirs), and dJ/d(final states), from dout and dstate."""
        width = self.num_directions * self.hidden_size
        shape = (m, T, width) if self.return_sequences else (m, width)
        if dout is not None and np.shape(dout) != shape:
            raise ValueError(f"{self._where()}: backward expected dout of shape {shape}, "
                             f"got {np.shape(dout)}")
        dlast = tuple(s.copy() for s in self._states(dstate, "dstate", m, dtype))   # dJ/dh_n (dJ/dc_n)
        if self.return_sequences:
            dY = np.zeros((T, m, width), dtype) if dout is None else np.transpose(dout, (1, 0, 2))
            return dY, dlast
        if dout is not None:                     # the output was each direction's final h: dout joins dh_n
            for d in range(self.num_directions):
                dlast[0][self._top(d)] += dout[:, d * self.hidden_size:(d + 1) * self.hidden_size]
        return np.zeros((T, m, width), dtype), dlast

    def _backward_direction(self, cache, dH, k: int, d: int, dlast: tuple, ds0: tuple, j: int,
                            want_dx: bool) -> np.ndarray | None:
        """BPTT through one cell: accumulate its weights' gradients, write ds_0, return dJ/dX (T, m, D_k)."""
        X, out, start, W_ih3, W_hh3, step_cache = cache
        W_ih, W_hh, b_ih, b_hh = self._weights(k, d)
        T, m, D_k = X.shape
        G, H, order = self.GATES, self.hidden_size, list(self.ORDER)
        H_prev = previous(out, start[0], d == 1)                              # h_{t-1} for every t
        da_ih, da_hh, first = self._scan_backward(step_cache, dH, dlast, W_hh3, H_prev, d == 1)
        for g, s in zip(ds0, first, strict=True):
            g[j] = s
        da_ih2, da_hh2 = da_ih.reshape(G, T * m, H), da_hh.reshape(G, T * m, H)   # gate by gate, all t
        # dW_ih = sum_t da_t^T x_t,  dW_hh = sum_t da_t^T h_{t-1}  (one GEMM per gate block, no loop over t)
        W_ih.grad.reshape(G, H, D_k)[order] += np.matmul(da_ih2.transpose(0, 2, 1), X.reshape(T * m, D_k))
        W_hh.grad.reshape(G, H, H)[order] += np.matmul(da_hh2.transpose(0, 2, 1), H_prev.reshape(T * m, H))
        b_ih.grad.reshape(G, 1, H)[order] += da_ih2.sum(axis=1, keepdims=True)   # db_ih = sum_t da_t
        b_hh.grad.reshape(G, 1, H)[order] += da_hh2.sum(axis=1, keepdims=True)   # db_hh (GRU: r * da_n for n)
        if not want_dx:
            return None
        return np.tensordot(da_ih, W_ih3, axes=([0, 3], [0, 1]))    # dx_t = da_t W_ih  (summed over gates)

    # -- display and checkpoints ------------------------------------------------
    def extra_repr(self) -> str:
        extra = [f"num_layers={self.num_layers}"] if self.num_layers != 1 else []
        extra += [f"{n}=True" for n in ("bidirectional", "stateful") if getattr(self, n)]
        extra += [] if self.return_sequences else ["return_sequences=False"]
        return ", ".join([f"{self.input_size}, {self.hidden_size}", *extra])

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"input_size": self.input_size, "hidden_size": self.hidden_size,
                "num_layers": self.num_layers, "bidirectional": self.bidirectional,
                "return_sequences": self.return_sequences, "stateful": self.stateful}
