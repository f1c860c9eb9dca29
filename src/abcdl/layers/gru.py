"""Gated recurrent unit, PyTorch's formulation, with backpropagation through time (L40)."""

from __future__ import annotations

import numpy as np

from ._recurrent import Recurrent, sigmoid_, times


class GRU(Recurrent):
    """GRU layer: reset gate r, update gate z, candidate n, h_t = (1 - z) * n + z * h_{t-1}  (L40).

    This is **PyTorch's formulation** (Cho et al. 2014 as cuDNN computes it), so the
    weights load into ``torch.nn.GRU`` unchanged.  It differs from the books in two
    places: the reset gate multiplies W_hn h_{t-1} + b_hn *after* the product
    (Coursera's course 5 writes c~ = tanh(W_c [Γr * c<t-1>, x<t>] + b_c), the gate
    before the product), and z weights the *old* state (Coursera: c<t> = Γu * c~ +
    (1 - Γu) * c<t-1>, so Γu = 1 - z).  PyTorch's blocks are stacked in the order
    **r, z, n** in ``weight_ih_l0``, ``weight_hh_l0`` and both biases.

    Parameters
    ----------
    input_size, hidden_size, num_layers, bidirectional, return_sequences, stateful, rng, dtype
        As in :class:`~abcdl.layers.RNN`.

    Attributes
    ----------
    weight_ih_l{k} (3H, D_k), weight_hh_l{k} (3H, H), bias_ih_l{k}, bias_hh_l{k} (3H,) : Parameter
        ``torch.nn.GRU``'s names and shapes (plus ``_reverse`` ones).
    h_n : (num_layers*dirs, m, H)
        Final state after forward; ``dh0``: dJ/dh_0 after backward.

    Shapes
    ------
    x: (m, T, D), initial_state h_0: (num_layers*dirs, m, H) -> (m, T, H*dirs) or (m, H*dirs)

    Formula
    -------
    forward   r = sigma(x_t W_ir^T + b_ir + h_{t-1} W_hr^T + b_hr)
              z = sigma(x_t W_iz^T + b_iz + h_{t-1} W_hz^T + b_hz)
              n = tanh(x_t W_in^T + b_in + r * (h_{t-1} W_hn^T + b_hn))
              h_t = (1 - z) * n + z * h_{t-1}
    backward  dn = dh_t (1 - z),  dz = dh_t (h_{t-1} - n),  da_n = dn (1 - n^2)
              dr = da_n (h_{t-1} W_hn^T + b_hn),  da_r = dr r(1 - r),  da_z = dz z(1 - z)
              the W_ih side gets (da_r, da_z, da_n); the W_hh side (da_r, da_z, r * da_n)
              dh_{t-1} = (da_r, da_z, r * da_n) W_hh + dh_t z
    """

    GATES = 3
    ORDER = (0, 1, 2)           # r, z, n: PyTorch's order is the code's

    def _scan(self, XW, s0, W_hhT, b_hh, reverse, out):
        """r, z, n and h_t for t = 1..T (T..1 when ``reverse``); h_t goes to out[t]."""
        (h,) = s0
        gates = np.empty_like(XW)                      # r, z, n of every step
        HWn = np.empty_like(out)                       # h_{t-1} W_hn^T + b_hn of every step
        for t in times(len(out), reverse):
            xW, (r, z, n) = XW[:, t], gates[:, t]
            hW = np.matmul(h, W_hhT)                   # h_{t-1} W_h*^T for r, z, n: one batched GEMM
            hW += b_hh                                 #   + b_h*
            sigmoid_(np.add(xW[0], hW[0], out=r))      # r = sigma(x W_ir^T + b_ir + h W_hr^T + b_hr)
            sigmoid_(np.add(xW[1], hW[1], out=z))      # z = sigma(x W_iz^T + b_iz + h W_hz^T + b_hz)
            HWn[t] = hW[2]
            np.add(xW[2], r * hW[2], out=n)            # n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))
            np.tanh(n, out=n)
            h_prev = h
            h = np.multiply(1 - z, n, out=out[t])      # h_t = (1 - z) * n
            h += z * h_prev                            #       + z * h_{t-1}
        return (h.copy(),), (gates, HWn)

    def _scan_backward(self, cache, dH, dlast, W_hh, H_prev, reverse):
        """Back through time from t = T: the W_ih and W_hh sides' da for every t, and dJ/dh_0."""
        gates, HWn = cache
        local = gates * (1 - gates)                    # sigma'(a) = s(1 - s) for r, z ...
        local[2] = 1 - gates[2] * gates[2]             # ... tanh'(a_n) = 1 - n^2
        da_ih = np.empty_like(gates)                   # (da_r, da_z, da_n)
        da_hh = np.empty_like(gates)                   # (da_r, da_z, r * da_n)
        (dh_next,) = dlast                             # dJ/dh_T from beyond the sequence (dh_n)
        for t in times(len(HWn), not reverse):
            r, z, n = gates[:, t]
            da_r, da_z, da_n = da_ih[:, t]
            dh = dH[t] + dh_next                       # dh_t = dJ/dh_t (output) + from step t+1
            np.multiply(dh, 1 - z, out=da_n)           # dn = dh_t (1 - z)
            np.multiply(dh, H_prev[t] - n, out=da_z)   # dz = dh_t (h_{t-1} - n)
            da_n *= local[2, t]                        # da_n = dn (1 - n^2)
            np.multiply(da_n, HWn[t], out=da_r)        # dr = da_n (h_{t-1} W_hn^T + b_hn)
            da_ih[:2, t] *= local[:2, t]               # da_r = dr r(1 - r),  da_z = dz z(1 - z)
            da_hh[:2, t] = da_ih[:2, t]                # r and z: the same da on the W_hh side
            np.multiply(da_n, r, out=da_hh[2, t])      # n: r * da_n on the W_hh side
            dh_next = np.matmul(da_hh[:, t], W_hh).sum(axis=0)   # dh_{t-1} = (da_r, da_z, r da_n) W_hh
            dh_next += dh * z                          #                 + dh_t z
        return da_ih, da_hh, (dh_next,)
