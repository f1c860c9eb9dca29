"""The ``mlp`` builder and the training-loop shortcut of skipping the input gradient."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from abcdl.layers import BatchNorm1d, Dropout, Linear, ReLU, Tanh
from abcdl.models import Sequential, mlp


def test_mlp_structure():
    m = mlp(784, (100, 50), 10)
    assert [type(layer).__name__ for layer in m] == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert sum(p.size for p in m.parameters()) == 784 * 100 + 100 + 100 * 50 + 50 + 50 * 10 + 10
    m2 = mlp(20, (8,), 3, activation="tanh", dropout=0.5, batch_norm=True)
    assert [type(layer) for layer in m2] == [Linear, BatchNorm1d, Tanh, Dropout, Linear]
    assert m2[0].b is None      # batch norm's beta replaces the bias
    assert isinstance(mlp(4, (), 2)[0], Linear) and len(mlp(4, (), 2)) == 1


def test_mlp_errors():
    with pytest.raises(ValueError, match="activation"):
        mlp(4, (3,), 2, activation="swish")
    with pytest.raises(ValueError, match="dropout"):
        mlp(4, (3,), 2, dropout=1.0)
    with pytest.raises(ValueError, match="hidden"):
        mlp(4, (0,), 2)


def test_backward_without_input_grad_gives_same_parameter_grads(rng):
    a = Sequential(Linear(5, 4, rng=np.random.default_rng(0), dtype=np.float64), ReLU(),
                   Linear(4, 2, rng=np.random.default_rng(1), dtype=np.float64))
    x = rng.standard_normal((6, 5))
    G = rng.standard_normal((6, 2))
    a.forward(x)
    dx = a.backward(G)
    grads = [p.grad.copy() for p in a.parameters()]
    a.zero_grad()
    a.forward(x)
    assert a.backward(G, input_grad=False) is None
    for p, g in zip(a.parameters(), grads, strict=True):
        assert_allclose(p.grad, g, rtol=0, atol=0)
    assert dx.shape == (6, 5)
