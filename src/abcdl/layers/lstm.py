"""Long short-term memory with backpropagation through time (L40)."""

from __future__ import annotations

import numpy as np

from ._recurrent import Recurrent, previous, sigmoid_, times


class LSTM(Recurrent):
    """LSTM layer: four gates f, i, o, g, a memory cell c and h_t = o * tanh(c_t)  (L40).

    The formulas are "Deep Learning from Scratch 2" ch. 6 (and Coursera's course 5,
    where f, i, o are Γf, Γu, Γo and g is c~).  The book computes the four gates
    with one affine map A = x_t W_x + h_{t-1} W_h + b of width 4H and slices it
    as f, g, i, o; abcdl does the same with PyTorch's weights, whose blocks are
    stacked in the order **i, f, g, o**: rows [0, H) of ``weight_ih_l0`` are W_ii,
    [H, 2H) W_if, [2H, 3H) W_ig and [3H, 4H) W_io (and the same in ``weight_hh`` and
    the biases), so the weights load into ``torch.nn.LSTM`` unchanged.

    Parameters
    ----------
    input_size, hidden_size, num_layers, bidirectional, return_sequences, stateful, rng, dtype
        As in :class:`~abcdl.layers.RNN`.

    Attributes
    ----------
    weight_ih_l{k} (4H, D_k), weight_hh_l{k} (4H, H), bias_ih_l{k}, bias_hh_l{k} (4H,) : Parameter
        ``torch.nn.LSTM``'s names and shapes (plus ``_reverse`` ones).
    h_n, c_n : (num_layers*dirs, m, H)
        Final states after forward; ``dh0``, ``dc0``: dJ/dh_0 and dJ/dc_0 after backward.
        States travel as pairs: ``initial_state=(h0, c0)``, ``final_state`` is (h_n, c_n),
        ``backward(dout, dstate=(dh_n, dc_n))`` (either may be None).

    Shapes
    ------
    x: (m, T, D), initial_state (h_0, c_0): each (num_layers*dirs, m, H) -> (m, T, H*dirs) or (m, H*dirs)

    Formula
    -------
    forward   A = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh               (m, 4H): one GEMM per step
              f = sigma(A_f),  i = sigma(A_i),  o = sigma(A_o),  g = tanh(A_g)
              c_t = f * c_{t-1} + g * i,   h_t = o * tanh(c_t)
    backward  dc_t = dc_t(from t+1) + dh_t * o * (1 - tanh^2 c_t)
              df = dc_t * c_{t-1},  di = dc_t * g,  do = dh_t * tanh(c_t),  dg = dc_t * i
              dA = (di i(1-i), df f(1-f), dg (1-g^2), do o(1-o))   (PyTorch's block order)
              dc_{t-1} = dc_t * f,   dh_{t-1} = dA W_hh
    """

    GATES = 4
    ORDER = (1, 0, 3, 2)        # PyTorch's blocks i, f, g, o taken as the book's f, i, o, g
    STATES = ("h", "c")

    def _scan(self, XW, s0, W_hhT, b_hh, reverse, out):
        """The gates, c_t and h_t for t = 1..T (T..1 when ``reverse``); h_t goes to out[t]."""
        h, c = s0
        T = len(out)
        XW += b_hh[:, None]                            # x_t W_ih^T + b_ih + b_hh, for every t
        gates = np.empty_like(XW)                      # f, i, o, g of every step (after sigma / tanh)
        C = np.empty_like(out)                         # c_t
        tanh_C = np.empty_like(out)                    # tanh(c_t)
        for t in times(T, reverse):
            A = np.matmul(h, W_hhT, out=gates[:, t])  # h_{t-1} W_h*^T for the four gates: one batched GEMM
            A += XW[:, t]                              # A = x_t W_ih^T + h_{t-1} W_hh^T + b   (4, m, H)
            f = sigmoid_(A[0])                         # f = sigma(A_f)   forget gate
            i = sigmoid_(A[1])                         # i = sigma(A_i)   input gate
            o = sigmoid_(A[2])                         # o = sigma(A_o)   output gate
            g = np.tanh(A[3], out=A[3])                # g = tanh(A_g)    new memory
            c = np.multiply(f, c, out=C[t])            # c_t = f * c_{t-1}
            c += g * i                                 #       + g * i
            h = np.multiply(o, np.tanh(c, out=tanh_C[t]), out=out[t])   # h_t = o * tanh(c_t)
        return (h.copy(), c.copy()), (gates, C, tanh_C, s0[1])

    def _scan_backward(self, cache, dH, dlast, W_hh, H_prev, reverse):
        """Back through time from t = T: dA for every t, and dJ/dh_0, dJ/dc_0."""
        gates, C, tanh_C, c0 = cache
        C_prev = previous(C, c0, reverse)              # c_{t-1} for every t
        local = gates * (1 - gates)                    # sigma'(A) = s(1 - s) for f, i, o ...
        local[3] = 1 - gates[3] * gates[3]             # ... tanh'(A_g) = 1 - g^2
        dtanh_C = 1 - tanh_C * tanh_C                  # 1 - tanh^2(c_t)
        dA = np.empty_like(gates)
        dh_next, dc_next = dlast                       # dJ/dh_T, dJ/dc_T from beyond the sequence
        for t in times(len(C), not reverse):
            f, i, o, g = gates[:, t]
            df, di, do, dg = dA[:, t]
            dh = dH[t] + dh_next                       # dh_t = dJ/dh_t (output) + from step t+1
            dc = dc_next + dh * o * dtanh_C[t]         # dc_t = dc_{t+1} f_{t+1} + dh_t o (1 - tanh^2 c_t)
            np.multiply(dc, C_prev[t], out=df)         # df = dc_t * c_{t-1}
            np.multiply(dc, g, out=di)                 # di = dc_t * g
            np.multiply(dh, tanh_C[t], out=do)         # do = dh_t * tanh(c_t)
            np.multiply(dc, i, out=dg)                 # dg = dc_t * i
            dA[:, t] *= local[:, t]                    # dA = (df, di, do, dg) * each gate's derivative
            dc_next = dc * f                           # dc_{t-1} = dc_t * f
            dh_next = np.matmul(dA[:, t], W_hh).sum(axis=0)   # dh_{t-1} = dA W_hh  (summed over the gates)
        return dA, dA, (dh_next, dc_next)
