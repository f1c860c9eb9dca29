"""Recurrent layers (L40): bad input names the shapes; checkpoints save and load them like any layer."""

import re

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose
from safetensors.torch import load_file

import abcdl
from _recurrent_helpers import CELLS, make
from abcdl.layers import GRU, LSTM, RNN, Embedding, Linear
from abcdl.models import Sequential

M, T, D, H = 2, 5, 3, 4


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(M, T, 7), (M, D), (M, T, D, 1), (0, T, D), (M, 0, D)])
def test_recurrent_bad_input_shape_names_shapes(cell, shape):
    layer = make(cell, None)
    pattern = r"expected input of shape \(m, T, 3\).*got " + re.escape(str(shape))
    with pytest.raises(ValueError, match=pattern) as exc:
        layer.forward(np.ones(shape))
    assert type(layer).__name__ in str(exc.value)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_bad_initial_state_names_shapes(cell):
    layer = make(cell, None, num_layers=2, bidirectional=True)
    x = np.ones((M, T, D))
    good, bad = np.zeros((4, M, H)), np.zeros((2, M, H))
    state = bad if cell != "lstm" else (bad, good)
    with pytest.raises(ValueError, match=r"initial_state h must have shape .* = \(4, 2, 4\), got \(2, 2, 4"):
        layer.forward(x, state)
    if cell == "lstm":
        with pytest.raises(ValueError, match=r"initial_state c .* = \(4, 2, 4\), got \(4, 3, 4\)"):
            layer.forward(x, (good, np.zeros((4, 3, H))))
        with pytest.raises(TypeError, match=r"a pair \(h0, c0\), got ndarray"):
            layer.forward(x, good)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_stateful_batch_change_raises(cell):
    layer = make(cell, None, stateful=True)
    layer.forward(np.ones((M, T, D)))
    with pytest.raises(ValueError, match=r"carried state has shape \(1, 2, 4\) but this batch needs "
                                         r"\(1, 3, 4\).*reset_state\(\)"):
        layer.forward(np.ones((3, T, D)))
    layer.reset_state()
    assert layer.forward(np.ones((3, T, D))).shape == (3, T, H)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_bad_backward_calls(cell):
    layer = make(cell, None, return_sequences=False)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((M, H)))
    layer.forward(np.ones((M, T, D)))
    with pytest.raises(ValueError, match=r"dout of shape \(2, 4\), got \(2, 5, 4\)"):
        layer.backward(np.ones((M, T, H)))
    dstate = np.ones((2, M, H)) if cell != "lstm" else (None, np.ones((2, M, H)))
    with pytest.raises(ValueError, match=r"dstate . must have shape .* = \(1, 2, 4\), got \(2, 2, 4\)"):
        layer.backward(np.ones((M, H)), dstate=dstate)


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"hidden_size": 0}, ValueError, "hidden_size must be a positive integer, got 0"),
    ({"input_size": 2.0}, ValueError, "input_size must be a positive integer"),
    ({"num_layers": 0}, ValueError, "num_layers must be a positive integer"),
    ({"bidirectional": "yes"}, TypeError, "bidirectional must be True or False"),
    ({"stateful": 1}, TypeError, "stateful must be True or False"),
])
def test_recurrent_bad_arguments(kwargs, error, pattern):
    args = {"input_size": D, "hidden_size": H, **kwargs}
    with pytest.raises(error, match=pattern):
        LSTM(**args)


@pytest.mark.parametrize("cell", CELLS)
def test_recurrent_config_rebuilds_and_repr(cell):
    layer = make(cell, None, num_layers=2, bidirectional=True, return_sequences=False, stateful=True)
    twin = type(layer)(**layer.config())
    assert twin.config() == layer.config()
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in layer.named_parameters()]
    name = type(layer).__name__
    assert repr(layer) == (f"{name}(3, 4, num_layers=2, bidirectional=True, stateful=True, "
                           f"return_sequences=False)")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_recurrent_checkpoint_round_trip(dtype, tmp_path, rng):
    """Embedding -> LSTM (2 layers, both ways) -> GRU -> RNN (last output) -> Linear, saved and loaded."""
    V = 11
    model = Sequential(Embedding(V, D, rng=rng, dtype=dtype),
                       LSTM(D, H, num_layers=2, bidirectional=True, rng=rng, dtype=dtype),
                       GRU(2 * H, H, stateful=True, rng=rng, dtype=dtype),
                       RNN(H, H, return_sequences=False, rng=rng, dtype=dtype),
                       Linear(H, V, rng=rng, dtype=dtype))
    path = tmp_path / "lm.safetensors"
    model.save(path)
    loaded = abcdl.load(path)
    assert repr(loaded) == repr(model)
    assert "layers.1.weight_hh_l1_reverse" in loaded.state_dict()
    for (n, p), (n2, q) in zip(model.named_parameters(), loaded.named_parameters(), strict=True):
        assert n == n2 and q.dtype == dtype
        assert_allclose(p.data, q.data, rtol=0, atol=0, err_msg=n)
    ids = rng.integers(0, V, size=(M, T))
    assert_allclose(loaded.forward(ids), model.forward(ids), rtol=1e-6 if dtype == np.float32 else 1e-14)
    assert loaded[2].stateful and not loaded[3].return_sequences


def test_recurrent_checkpoint_opens_in_torch(tmp_path, rng):
    """The file's tensors load into torch.nn.LSTM by name (after the Sequential prefix)."""
    lstm = LSTM(D, H, num_layers=2, rng=rng, dtype=np.float64)
    abcdl.save(lstm, tmp_path / "lstm.safetensors")
    twin = torch.nn.LSTM(D, H, num_layers=2, batch_first=True).double()
    twin.load_state_dict(load_file(str(tmp_path / "lstm.safetensors")), strict=True)
    x = rng.standard_normal((M, T, D))
    assert_allclose(twin(torch.tensor(x))[0].detach().numpy(), lstm.forward(x), rtol=1e-12)


def test_recurrent_reset_state_checks_the_state():
    layer = LSTM(D, H, stateful=True)
    with pytest.raises(ValueError, match=r"state h must have shape .*, got \(2, 4\)"):
        layer.reset_state((np.zeros((M, H)), np.zeros((M, H))))
    with pytest.raises(ValueError, match=r"state c .* = \(1, 2, 4\), got \(1, 3, 4\)"):
        layer.reset_state((np.zeros((1, M, H)), np.zeros((1, 3, H))))
    layer.reset_state((np.ones((1, M, H)), np.ones((1, M, H))))
    assert layer.forward(np.zeros((M, T, D))).shape == (M, T, H)
