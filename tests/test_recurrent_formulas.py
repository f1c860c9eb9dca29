"""The books' formulas (L40): one step worked by hand, and DLFS2's layout of the same weights.

"Deep Learning from Scratch 2" keeps W_x (D, G*H) and W_h (H, G*H) and slices the
LSTM's affine output as f, g, i, o; abcdl keeps PyTorch's (G*H, D) blocks i, f, g, o.
These tests write the book's code literally on the converted weights.
"""

import numpy as np
from numpy.testing import assert_allclose

from abcdl.layers import GRU, LSTM, RNN


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def set_weights(layer, **values):
    for name, value in values.items():
        getattr(layer, name).data[...] = value


def test_lstm_one_step_worked_by_hand():
    """D = H = 1, W_hh = 0, b = 0: x = 1, h0 = 0, c0 = 0.5."""
    lstm = LSTM(1, 1, dtype=np.float64)
    set_weights(lstm, weight_ih_l0=[[1.0], [2.0], [0.5], [-1.0]],   # PyTorch's blocks: W_ii, W_if, W_ig, W_io
                weight_hh_l0=0.0, bias_ih_l0=0.0, bias_hh_l0=0.0)
    y = lstm.forward(np.ones((1, 1, 1)), (np.zeros((1, 1, 1)), np.full((1, 1, 1), 0.5)))
    # f = sigma(2) = 0.8807970780,  i = sigma(1) = 0.7310585786
    # o = sigma(-1) = 0.2689414214, g = tanh(0.5) = 0.4621171573
    # c = f c0 + g i = 0.4403985390 + 0.3378347121 = 0.7782332511
    # h = o tanh(c) = 0.2689414214 * 0.6516914684 = 0.1752668298
    assert_allclose(lstm.c_n.ravel(), [0.7782332511], atol=1e-10)
    assert_allclose(y.ravel(), [0.1752668298], atol=1e-10)
    assert_allclose(lstm.h_n.ravel(), [0.1752668298], atol=1e-10)


def test_gru_one_step_worked_by_hand():
    """PyTorch's GRU, D = H = 1: x = 1, h0 = 0.5; W_hr = W_hz = 0, W_hn = 1, b_hn = 0.5, other biases 0."""
    gru = GRU(1, 1, dtype=np.float64)
    set_weights(gru, weight_ih_l0=[[1.0], [-1.0], [2.0]], weight_hh_l0=[[0.0], [0.0], [1.0]],
                bias_ih_l0=0.0, bias_hh_l0=[0.0, 0.0, 0.5])
    y = gru.forward(np.ones((1, 1, 1)), np.full((1, 1, 1), 0.5))
    # r = sigma(1) = 0.7310585786, z = sigma(-1) = 0.2689414214
    # n = tanh(2 + r (1 * 0.5 + 0.5)) = tanh(2.7310585786) = 0.9915467606
    # h = (1 - z) n + z h0 = 0.7310585786 * 0.9915467606 + 0.1344707107 = 0.8593494762
    assert_allclose(y.ravel(), [0.8593494762], atol=1e-10)


def test_rnn_equals_dlfs2_layout(rng):
    """DLFS2's RNN: h_t = tanh(h_{t-1} W_h + x_t W_x + b); W_x = W_ih^T, W_h = W_hh^T, b = b_ih + b_hh."""
    D, H, T = 3, 4, 6
    rnn = RNN(D, H, rng=rng, dtype=np.float64)
    x, h = rng.standard_normal((2, T, D)), rng.standard_normal((2, H))
    Wx, Wh, b = rnn.weight_ih_l0.data.T, rnn.weight_hh_l0.data.T, rnn.bias_ih_l0.data + rnn.bias_hh_l0.data
    y = rnn.forward(x, h[None])
    for t in range(T):
        h = np.tanh(h @ Wh + x[:, t] @ Wx + b)
        assert_allclose(y[:, t], h, rtol=1e-13)


def test_lstm_equals_dlfs2_layout(rng):
    """DLFS2's LSTM.forward: A = x Wx + h Wh + b sliced f, g, i, o; c = f c + g i, h = o tanh(c)."""
    D, H, T = 3, 4, 6
    lstm = LSTM(D, H, rng=rng, dtype=np.float64)
    blocks = lambda W: np.split(W, 4)                              # noqa: E731  PyTorch's i, f, g, o
    book = lambda W: np.concatenate([W[1], W[2], W[0], W[3]])      # noqa: E731  the book's f, g, i, o
    Wx = book(blocks(lstm.weight_ih_l0.data)).T                    # (D, 4H)
    Wh = book(blocks(lstm.weight_hh_l0.data)).T                    # (H, 4H)
    b = book(blocks(lstm.bias_ih_l0.data + lstm.bias_hh_l0.data))
    x, h, c = rng.standard_normal((2, T, D)), rng.standard_normal((2, H)), rng.standard_normal((2, H))
    y = lstm.forward(x, (h[None], c[None]))
    for t in range(T):
        A = x[:, t] @ Wx + h @ Wh + b
        f, g, i, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
        f, g, i, o = sigmoid(f), np.tanh(g), sigmoid(i), sigmoid(o)
        c = f * c + g * i
        h = o * np.tanh(c)
        assert_allclose(y[:, t], h, rtol=1e-13)
    assert_allclose(lstm.c_n[0], c, rtol=1e-13)


def test_gru_differs_from_courseras_reset_placement(rng):
    """Coursera applies r before the product (W_c [r * h, x]); PyTorch's (and abcdl's) after it.

    With b_hn = 0 and a full-rank W_hn the two agree only when r = 1: the docstring's warning holds.
    """
    D, H = 2, 3
    gru = GRU(D, H, rng=rng, dtype=np.float64)
    gru.bias_hh_l0.data[2 * H:] = 0
    x, h = rng.standard_normal((1, 1, D)), rng.standard_normal((1, H))
    W_ir, W_iz, W_in = np.split(gru.weight_ih_l0.data, 3)
    W_hr, W_hz, W_hn = np.split(gru.weight_hh_l0.data, 3)
    b_r, b_z, b_n = np.split(gru.bias_ih_l0.data + gru.bias_hh_l0.data, 3)
    r = sigmoid(x[0] @ W_ir.T + h @ W_hr.T + b_r)
    z = sigmoid(x[0] @ W_iz.T + h @ W_hz.T + b_z)
    torch_n = np.tanh(x[0] @ W_in.T + r * (h @ W_hn.T) + b_n)
    coursera_n = np.tanh(x[0] @ W_in.T + (r * h) @ W_hn.T + b_n)
    y = gru.forward(x, h[None])[0]
    assert_allclose(y, (1 - z) * torch_n + z * h, rtol=1e-13)
    assert not np.allclose(y, (1 - z) * coursera_n + z * h)
