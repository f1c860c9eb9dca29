"""Linear and the softmax loss on sequences (L40): (m, T, .) inputs, ignore_index for padding.

Gradient checks in float64 with a random upstream gradient, and parity with
torch.nn.Linear / torch.nn.CrossEntropyLoss (mean over the non-ignored positions).
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from abcdl.layers import Linear
from abcdl.numdiff import check_module

M, T, D, K = 4, 5, 3, 6


def test_linear_sequence_gradcheck(rng):
    layer = Linear(D, K, rng=rng, dtype=np.float64)
    results = check_module(layer, rng.standard_normal((M, T, D)), rng=rng)
    for name, r in results.items():
        assert r.passed, f"{name}: {r}"


def test_linear_sequence_is_the_step_by_step_layer_and_torch(rng):
    """The same W at every step: out[:, t] = Linear(x[:, t]), and torch.nn.Linear on (m, T, D)."""
    layer = Linear(D, K, rng=rng, dtype=np.float64)
    x, G = rng.standard_normal((M, T, D)), rng.standard_normal((M, T, K))
    y = layer.forward(x)
    layer.zero_grad()
    dx = layer.backward(G)
    assert y.shape == (M, T, K) and dx.shape == (M, T, D)
    for t in range(T):
        assert_allclose(y[:, t], x[:, t] @ layer.W.data.T + layer.b.data, rtol=1e-13)
    twin = torch.nn.Linear(D, K).double()
    twin.load_state_dict({"weight": torch.tensor(layer.W.data), "bias": torch.tensor(layer.b.data)})
    xt = torch.tensor(x, requires_grad=True)
    yt = twin(xt)
    yt.backward(torch.tensor(G))
    assert_allclose(y, yt.detach().numpy(), rtol=1e-12)
    assert_allclose(dx, xt.grad.numpy(), rtol=1e-12)
    assert_allclose(layer.W.grad, twin.weight.grad.numpy(), rtol=1e-12)
    assert_allclose(layer.b.grad, twin.bias.grad.numpy(), rtol=1e-12)
    layer.forward(x[:, 0])                                       # back to (m, D) rows
    assert layer.backward(G[:, 0]).shape == (M, D)


@pytest.mark.parametrize("shape", [(M, T, D + 1), (M, T)])
def test_linear_sequence_bad_shape(shape):
    layer = Linear(D, K)
    expect = r"\(m, T, 3\)" if len(shape) == 3 else r"\(m, 3\)"
    with pytest.raises(ValueError, match=f"expected input of shape {expect}, got " + r"\(" + str(shape[0])):
        layer.forward(np.ones(shape))
