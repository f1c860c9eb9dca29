"""RNN, LSTM, GRU and Embedding against torch.nn in float64 (L40): same weights, same numbers.

The abcdl state dict loads into torch.nn.RNN/LSTM/GRU(batch_first=True) with
``load_state_dict(strict=True)``: the names and shapes are PyTorch's, one to one.
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from _recurrent_helpers import CELLS, STACKS, as_tuple, make, random_state
from abcdl.layers import LSTM, Embedding

TORCH = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
M, T, D, H = 4, 6, 3, 5
RTOL, ATOL = 1e-10, 1e-13


def torch_twin(layer, cell: str) -> torch.nn.Module:
    twin = TORCH[cell](layer.input_size, layer.hidden_size, num_layers=layer.num_layers,
                       bidirectional=layer.bidirectional, batch_first=True).double()
    state = {n: torch.from_numpy(p.data.copy()) for n, p in layer.named_parameters()}
    twin.load_state_dict(state, strict=True)
    return twin


def close(ours, theirs, what: str) -> None:
    assert_allclose(ours, theirs.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=what)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_torch_names_shapes_and_init(cell, rng):
    """The same parameter names, in the same order, with the same shapes; init ~ U(-1/sqrt(H), 1/sqrt(H))."""
    layer = make(cell, rng, D=D, H=50, num_layers=2, bidirectional=True, dtype=np.float32)
    twin = TORCH[cell](D, 50, num_layers=2, bidirectional=True, batch_first=True)
    assert [(n, p.shape) for n, p in layer.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in twin.named_parameters()]
    bound = 1 / np.sqrt(50)
    for name, p in layer.named_parameters():
        assert p.dtype == np.float32
        assert np.abs(p.data).max() <= bound, name
        assert np.abs(p.data).max() > 0.9 * bound, name
    assert abs(layer.weight_hh_l1_reverse.data.std() - bound / np.sqrt(3)) < 0.05 * bound


@pytest.mark.parametrize("stack", STACKS, ids=lambda s: f"L{s[0]}{'-bi' if s[1] else ''}")
@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_torch_parity(cell, stack, rng):
    """Outputs, final states and the gradients of x, the initial state and every parameter."""
    layer = make(cell, rng, D=D, H=H, num_layers=stack[0], bidirectional=stack[1])
    twin = torch_twin(layer, cell)
    x = rng.standard_normal((M, T, D))
    state0 = random_state(layer, M, rng)
    y = layer.forward(x, state0)
    G = rng.standard_normal(y.shape)
    Gs = tuple(rng.standard_normal(s.shape) for s in as_tuple(state0))
    layer.zero_grad()
    dx = layer.backward(G, dstate=Gs if len(Gs) > 1 else Gs[0])

    xt = torch.tensor(x, requires_grad=True)
    st = tuple(torch.tensor(s, requires_grad=True) for s in as_tuple(state0))
    yt, finals = twin(xt, st if len(st) > 1 else st[0])
    finals = finals if isinstance(finals, tuple) else (finals,)
    J = (yt * torch.tensor(G)).sum()
    for f, g in zip(finals, Gs, strict=True):
        J = J + (f * torch.tensor(g)).sum()
    J.backward()

    close(y, yt, "output")
    for s, ours, theirs in zip(layer.STATES, as_tuple(layer.final_state), finals, strict=True):
        close(ours, theirs, f"{s}_n")
    close(dx, xt.grad, "dx")
    for s, ours, theirs in zip(layer.STATES, as_tuple(layer.initial_state_grad), st, strict=True):
        close(ours, theirs.grad, f"d{s}0")
    theirs = dict(twin.named_parameters())
    for name, p in layer.named_parameters():
        close(p.grad, theirs[name].grad, name)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_torch_parity_stateful_batches(cell, rng):
    """Truncated BPTT: abcdl's stateful layer = torch with the detached final state passed on by hand."""
    layer = make(cell, rng, D=D, H=H, num_layers=2, stateful=True)
    twin = torch_twin(layer, cell)
    state = None
    for _ in range(3):
        x = rng.standard_normal((M, T, D))
        G = rng.standard_normal((M, T, H))
        layer.zero_grad()
        y = layer.forward(x)
        dx = layer.backward(G)
        twin.zero_grad()
        xt = torch.tensor(x, requires_grad=True)
        yt, state = twin(xt, state)
        state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        (yt * torch.tensor(G)).sum().backward()
        close(y, yt, "output")
        close(dx, xt.grad, "dx")
        theirs = dict(twin.named_parameters())
        for name, p in layer.named_parameters():
            close(p.grad, theirs[name].grad, name)


def test_recurrent_torch_lstm_last_output_is_h_n(rng):
    """return_sequences=False gives [h_n of the top forward cell, h_n of the top backward cell]."""
    layer = LSTM(D, H, num_layers=2, bidirectional=True, return_sequences=False, rng=rng, dtype=np.float64)
    twin = torch_twin(layer, "lstm")
    x = rng.standard_normal((M, T, D))
    _, (h_n, _) = twin(torch.tensor(x))
    close(layer.forward(x), torch.cat([h_n[-2], h_n[-1]], dim=1), "last output")


def test_embedding_torch_parity(rng):
    """Forward W[ids] and the row-accumulating backward (repeated ids) equal torch.nn.Embedding's."""
    V, E = 9, 4
    emb = Embedding(V, E, rng=rng, dtype=np.float64)
    twin = torch.nn.Embedding(V, E).double()
    twin.load_state_dict({"weight": torch.from_numpy(emb.W.data.copy())})
    ids = rng.integers(0, V, size=(M, T))
    ids[:, 0] = 3                                            # id 3 at least M times
    G = rng.standard_normal((M, T, E))
    y = emb.forward(ids)
    emb.zero_grad()
    assert_allclose(emb.backward(G), np.zeros(ids.shape), rtol=0, atol=0)   # the ids' gradient is 0
    yt = twin(torch.tensor(ids))
    yt.backward(torch.tensor(G))
    assert_allclose(y, yt.detach().numpy(), rtol=0, atol=0)
    assert_allclose(emb.W.grad, twin.weight.grad.numpy(), rtol=1e-13, atol=1e-15)
    assert_allclose(emb.W.grad[3], G[ids == 3].sum(axis=0), rtol=1e-13)


def test_embedding_torch_init_std(rng):
    emb = Embedding(2000, 50, rng=rng, dtype=np.float32)   # N(0, 1) rows, as torch.nn.Embedding
    assert emb.W.dtype == np.float32
    assert abs(emb.W.data.std() - 1.0) < 0.02 and abs(emb.W.data.mean()) < 0.02
