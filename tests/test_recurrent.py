"""RNN, LSTM and GRU (L40): backprop through time against central differences in float64.

Every check uses a random upstream gradient, T >= 5 steps and a batch of 4.  The
parity with torch.nn.RNN/LSTM/GRU is in test_recurrent_torch.py; the books'
formulas, one step worked by hand, are in test_recurrent_formulas.py.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from _recurrent_helpers import CELLS, STACKS, as_tuple, assert_passed, check_bptt, make, random_state
from abcdl.layers import GRU, LSTM, RNN, Embedding, Linear
from abcdl.models import Sequential
from abcdl.numdiff import check_module, gradcheck

M, T, D, H = 4, 5, 3, 4


@pytest.mark.parametrize("stack", [STACKS[0], STACKS[3]], ids=lambda s: f"L{s[0]}{'-bi' if s[1] else ''}")
@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_gradcheck(cell, stack, rng):
    """dJ/dx and dJ/d(every weight) through the whole sequence, from zeros (check_module)."""
    layer = make(cell, rng, num_layers=stack[0], bidirectional=stack[1])
    assert_passed(check_module(layer, rng.standard_normal((M, T, D)), rng=rng))


@pytest.mark.parametrize("stack", STACKS, ids=lambda s: f"L{s[0]}{'-bi' if s[1] else ''}")
@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_gradcheck_initial_and_final_state(cell, stack, rng):
    """With an initial state (h0, and c0) and an upstream gradient for the final state as well."""
    layer = make(cell, rng, num_layers=stack[0], bidirectional=stack[1])
    x = rng.standard_normal((M, T, D))
    assert_passed(check_bptt(layer, x, random_state(layer, M, rng), rng))


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_gradcheck_last_output(cell, bidirectional, rng):
    """return_sequences=False: only the final h (of each direction) feeds the loss."""
    layer = make(cell, rng, bidirectional=bidirectional, return_sequences=False)
    x = rng.standard_normal((M, 6, D))
    assert layer.forward(x).shape == (M, H * layer.num_directions)
    assert_passed(check_bptt(layer, x, random_state(layer, M, rng), rng))


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_last_output_is_each_directions_final_state(cell, rng):
    x = rng.standard_normal((M, T, D))
    uni = make(cell, rng, return_sequences=False)
    seq = make(cell, rng)
    seq.load_state_dict(uni.state_dict())
    assert_allclose(uni.forward(x), seq.forward(x)[:, -1])          # = out[:, -1] one way
    bi = make(cell, rng, num_layers=2, bidirectional=True, return_sequences=False)
    out = bi.forward(x)
    assert_allclose(out, np.concatenate([bi.h_n[2], bi.h_n[3]], axis=1))   # fwd at t=T, bwd at t=1
    assert out.shape == (M, 2 * H)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_stateful_carries_state_detached(cell, rng):
    """Two consecutive batches: the second starts where the first ended; no gradient crosses."""
    layer = make(cell, rng, num_layers=2, stateful=True)
    plain = make(cell, rng, num_layers=2)
    plain.load_state_dict(layer.state_dict())
    x1, x2 = rng.standard_normal((2, M, 6, D))
    layer.forward(x1)
    carried = tuple(s.copy() for s in as_tuple(layer.final_state))
    y2 = layer.forward(x2)                                   # starts from batch 1's final state
    assert_allclose(y2, plain.forward(x2, carried if len(carried) > 1 else carried[0]))
    G = rng.standard_normal(y2.shape)

    def forward(x):                                          # batch 2, from the same carried state each time
        layer.reset_state(carried if len(carried) > 1 else carried[0])
        return type(layer).forward(layer, x)

    assert_passed(check_module(layer, x2, upstream=G, forward=forward))
    # the same gradients as a fresh layer given the carried state as a constant
    grads = {n: p.grad.copy() for n, p in layer.named_parameters()}
    plain.zero_grad()
    plain.forward(x2, carried if len(carried) > 1 else carried[0])
    plain.backward(G)
    for n, p in plain.named_parameters():
        assert_allclose(grads[n], p.grad, rtol=1e-12, atol=1e-15, err_msg=n)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_stateful_reset_state(cell, rng):
    layer = make(cell, rng, stateful=True)
    plain = make(cell, rng)
    plain.load_state_dict(layer.state_dict())
    x = rng.standard_normal((M, T, D))
    first = layer.forward(x)
    assert not np.allclose(layer.forward(x), first)         # the second call started from the carry
    layer.reset_state()
    assert_allclose(layer.forward(x), first)                 # reset_state(): back to zeros
    snapshot = tuple(s.copy() for s in as_tuple(layer.final_state))
    layer.h_n[...] = 7.0                                     # the carry is a copy, not the exposed h_n
    state = snapshot if len(snapshot) > 1 else snapshot[0]
    assert_allclose(layer.forward(x), plain.forward(x, state))
    layer.reset_state(state)                                 # reset_state(state): start from a given state
    assert_allclose(layer.forward(x), plain.forward(x, state))


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_stateful_gradcheck_initial_state(cell, rng):
    """dJ/dh0 (and dc0) of a stateful layer's carried state, by central differences."""
    layer = make(cell, rng, stateful=True, bidirectional=True)
    layer.forward(rng.standard_normal((M, T, D)))            # batch 1: sets the carry
    carried = tuple(s.copy() for s in as_tuple(layer.final_state))
    x2 = rng.standard_normal((M, T, D))
    G = rng.standard_normal((M, T, 2 * H))
    layer.forward(x2)
    layer.zero_grad()
    layer.backward(G)
    grads = as_tuple(layer.initial_state_grad)
    for s, start, grad in zip(layer.STATES, carried, grads, strict=True):
        def J(_):
            layer.reset_state(carried if len(carried) > 1 else carried[0])
            return float(np.sum(layer.forward(x2) * G))
        res = gradcheck(J, start, grad, h=1e-6, name=f"{s}0")
        assert res.passed, str(res)


def test_recurrent_stacked_in_sequential_gradcheck(rng):
    """Separate recurrent layers stack through Sequential: RNN -> GRU -> LSTM (last output) -> Linear."""
    model = Sequential(RNN(D, 4, rng=rng, dtype=np.float64),
                       GRU(4, 5, bidirectional=True, rng=rng, dtype=np.float64),
                       LSTM(10, 4, return_sequences=False, rng=rng, dtype=np.float64),
                       Linear(4, 2, init="xavier", rng=rng, dtype=np.float64))
    x = rng.standard_normal((M, 6, D))
    assert model.forward(x).shape == (M, 2)
    assert_passed(check_module(model, x, rng=rng))
    model.zero_grad()
    model.forward(x)
    assert model.backward(rng.standard_normal((M, 2)), input_grad=False) is None


def test_recurrent_language_model_stack_gradcheck(rng):
    """Embedding -> LSTM (2 layers) -> per-step Linear on (m*T, H): the language model's shape."""
    V, E = 7, 3
    emb = Embedding(V, E, rng=rng, dtype=np.float64)
    lstm = LSTM(E, H, num_layers=2, rng=rng, dtype=np.float64)
    head = Linear(H, V, init="xavier", rng=rng, dtype=np.float64)
    ids = rng.integers(0, V, size=(M, 6))
    ids[0, :3] = 2                                           # repeated ids: their rows accumulate
    G = rng.standard_normal((M * 6, V))

    def J(_=None) -> float:
        return float(np.sum(head.forward(lstm.forward(emb.forward(ids)).reshape(-1, H)) * G))

    J()
    for layer in (emb, lstm, head):
        layer.zero_grad()
    assert not emb.backward(lstm.backward(head.backward(G).reshape(M, 6, H))).any()   # d(ids) = 0
    for layer in (emb, lstm, head):
        for name, p in layer.named_parameters():
            res = gradcheck(J, p.data, p.grad.copy(), name=f"{type(layer).__name__}.{name}")
            assert res.passed, str(res)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_input_grad_false_skips_dx_only(cell, rng):
    layer = make(cell, rng, num_layers=2, bidirectional=True)
    x = rng.standard_normal((M, T, D))
    G = rng.standard_normal((M, T, 2 * H))
    layer.forward(x)
    layer.backward(G)
    full = {n: p.grad.copy() for n, p in layer.named_parameters()}
    layer.zero_grad()
    layer.forward(x)
    assert layer.backward(G, input_grad=False) is None
    for n, p in layer.named_parameters():
        assert_allclose(p.grad, full[n], rtol=1e-13, err_msg=n)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_backward_accumulates_and_takes_no_dout(cell, rng):
    """Gradients add up over calls (p.grad +=); dout=None means only the final state feeds the loss."""
    layer = make(cell, rng)
    x = rng.standard_normal((M, T, D))
    layer.forward(x)
    dh_n = rng.standard_normal((1, M, H))
    dstate = dh_n if cell != "lstm" else (dh_n, None)
    layer.backward(None, dstate=dstate)
    once = {n: p.grad.copy() for n, p in layer.named_parameters()}
    layer.backward(np.zeros((M, T, H)), dstate=dstate)
    for n, p in layer.named_parameters():
        assert_allclose(p.grad, 2 * once[n], rtol=1e-13, err_msg=n)
    assert np.abs(once["weight_hh_l0"]).sum() > 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_keeps_dtype(cell, dtype, rng):
    layer = make(cell, rng, dtype=dtype, num_layers=2, bidirectional=True)
    y = layer.forward(rng.standard_normal((M, T, D)).astype(dtype))
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == layer.h_n.dtype == dtype
    assert all(p.dtype == dtype and p.grad.dtype == dtype for p in layer.parameters())
