"""Elman RNN with tanh and backpropagation through time (L40)."""

from __future__ import annotations

import numpy as np

from ._recurrent import Recurrent, times


class RNN(Recurrent):
    """Vanilla (Elman) recurrent layer, h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)  (L40).

    "Deep Learning from Scratch 2" ch. 5 writes h_t = tanh(h_{t-1} W_h + x_t W_x + b)
    with W_x (D, H), W_h (H, H); Coursera's course 5 writes a<t> = tanh(W_aa a<t-1> +
    W_ax x<t> + b_a) with examples as columns.  abcdl keeps examples as rows and
    PyTorch's weights: W_ih = W_x^T = W_ax (H, D), W_hh = W_h^T = W_aa (H, H), and
    two biases b_ih + b_hh where the books have one b (their sum is what counts).

    Parameters
    ----------
    input_size, hidden_size : int
        D and H.
    num_layers : int
        Stacked layers inside this one (layer k+1 reads layer k's h_t), as PyTorch's.
    bidirectional : bool
        Add a second cell that reads t = T..1; outputs are [h_fwd, h_bwd] (H*2 wide).
    return_sequences : bool
        True: every h_t of the top layer, (m, T, H*dirs).  False: each direction's
        final h only, (m, H*dirs) (= ``out[:, -1]`` when unidirectional; for the
        backward direction its final h is the one at t = 1, as Keras' Bidirectional).
    stateful : bool
        Truncated BPTT (DLFS2 5.2): each forward starts from the previous batch's
        final state (detached: no gradient crosses batches); :meth:`reset_state` clears it.
    rng : np.random.Generator, optional
        Source of the initial weights, all ~ U(-1/sqrt(H), 1/sqrt(H)) as PyTorch's
        (default: the generator of ``abcdl.seed``).
    dtype : float32 | float64, optional
        Default: ``abcdl.get_default_dtype()``.

    Attributes
    ----------
    weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} : Parameter
        (H, D_k), (H, H), (H,), (H,), plus ``_reverse`` ones; ``torch.nn.RNN``'s names and shapes.
    h_n : (num_layers*dirs, m, H)
        Final state after forward; ``dh0``: dJ/dh_0 after backward.

    Shapes
    ------
    x: (m, T, D), initial_state h_0: (num_layers*dirs, m, H) -> (m, T, H*dirs) or (m, H*dirs)

    Use
    ---
    ``y = rnn.forward(x, initial_state=h0)`` (h0 None: zeros, or the carried state when
    stateful); ``rnn.final_state`` (= ``h_n``) after it.  ``dx = rnn.backward(dy,
    dstate=dh_n)``: ``dy`` may be None and ``dstate`` (dJ/dh_n, e.g. a decoder's
    ``initial_state_grad``) may be left out; dJ/dh_0 is then in ``rnn.initial_state_grad``
    (= ``dh0``).  ``rnn.reset_state()`` forgets the carried state.

    Formula
    -------
    forward   a_t = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh,   h_t = tanh(a_t)
    backward  dh_t = dout_t + dh_t(from t+1),  da_t = dh_t * (1 - h_t^2),  dh_{t-1} = da_t W_hh
              dW_ih = sum_t da_t^T x_t,  dW_hh = sum_t da_t^T h_{t-1},  db = sum_t da_t,  dx_t = da_t W_ih
    """

    GATES = 1

    def _scan(self, XW, s0, W_hhT, b_hh, reverse, out):
        """h_t = tanh(a_t) for t = 1..T (T..1 when ``reverse``); h_t goes to out[t]."""
        (h,) = s0
        XW = XW[0] + b_hh[0]                               # x_t W_ih^T + b_ih + b_hh, for every t
        for t in times(len(XW), reverse):
            a = h @ W_hhT[0]                               # a_t = h_{t-1} W_hh^T
            a += XW[t]                                     #       + x_t W_ih^T + b_ih + b_hh
            h = np.tanh(a, out=out[t])                     # h_t = tanh(a_t)
        return (h.copy(),), out

    def _scan_backward(self, cache, dH, dlast, W_hh, H_prev, reverse):
        """Back through time from t = T: da_t for every t, and dJ/dh_0."""
        Hs = cache                                          # h_t, (T, m, H)
        (dh_next,) = dlast                                  # dJ/dh_T from beyond the sequence (dh_n)
        dtanh = 1 - Hs * Hs                                 # tanh'(a_t) = 1 - h_t^2, for every t at once
        da = np.empty_like(dtanh)
        for t in times(len(Hs), not reverse):
            dh = dH[t] + dh_next                            # dh_t = dJ/dh_t (output) + from step t+1
            np.multiply(dh, dtanh[t], out=da[t])            # da_t = dh_t * (1 - h_t^2)
            dh_next = da[t] @ W_hh[0]                       # dh_{t-1} = da_t W_hh
        return da[None], da[None], (dh_next,)
