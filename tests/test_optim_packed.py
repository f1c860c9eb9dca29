"""Parameters packed into one buffer by the model (Module.pack_parameters): the optimizer updates the
buffer with the same formula lines and gives exactly the numbers of the parameter-by-parameter path."""

import numpy as np
import pytest

from abcdl.layers import Linear, ReLU
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import Sequential, mlp
from abcdl.optim.base import _Pack
from test_optim_inplace import OPTIMIZERS


def _pair(seed: int = 0):
    """The same mlp twice: packed (as built) and with every parameter in arrays of its own."""
    packed = mlp(6, (5, 4), 3, batch_norm=True, rng=np.random.default_rng(seed), dtype=np.float64)
    loose = mlp(6, (5, 4), 3, batch_norm=True, rng=np.random.default_rng(seed), dtype=np.float64)
    for p in loose.parameters():
        p.data, p.grad = p.data.copy(), p.grad.copy()
    return packed, loose


def _steps(model, opt, n: int, seed: int) -> None:
    rng, loss_fn = np.random.default_rng(seed), SoftmaxCrossEntropyLoss()
    for _ in range(n):
        X, t = rng.standard_normal((8, 6)), rng.integers(0, 3, 8)
        opt.zero_grad()
        loss_fn.forward(model.forward(X), t)
        model.backward(loss_fn.backward())
        opt.step()


def test_optim_packed_buffer_is_the_models_own_and_visible():
    model = mlp(6, (5,), 3, rng=np.random.default_rng(0))
    params = model.parameters()
    data = params[0].data.base
    assert data is not None and data.size == sum(p.size for p in params)
    assert all(p.data.base is data for p in params) and _Pack.of(params) is not None
    before = [p.data.copy() for p in params]
    [(d, g)] = Sequential(Linear(3, 2), ReLU()).pack_parameters()     # a model of one's own
    assert d.shape == g.shape == (3 * 2 + 2,)
    assert all(np.array_equal(p.data, b) for p, b in zip(params, before, strict=True))


@pytest.mark.parametrize(("cls", "kw", "names"), OPTIMIZERS)
def test_optim_packed_gives_the_per_parameter_numbers_exactly(cls, kw, names):
    packed, loose = _pair()
    assert _Pack.of(packed.parameters()) is not None and _Pack.of(loose.parameters()) is None
    opt_p, opt_l = cls(packed.parameters(), **kw), cls(loose.parameters(), **kw)
    _steps(packed, opt_p, 12, seed=1)
    _steps(loose, opt_l, 12, seed=1)
    for p, q in zip(packed.parameters(), loose.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
        assert set(opt_p.state[p]) == names
        for k in names:
            np.testing.assert_array_equal(opt_p.state[p][k], opt_l.state[q][k])


@pytest.mark.parametrize(("cls", "kw", "names"), OPTIMIZERS)
def test_optim_packed_resume_and_fallback(cls, kw, names):
    packed, loose = _pair()
    opt_p, opt_l = cls(packed.parameters(), **kw), cls(loose.parameters(), **kw)
    _steps(packed, opt_p, 5, seed=2)
    _steps(loose, opt_l, 5, seed=2)
    resumed = cls(packed.parameters(), **kw)          # resume the packed model from its state_dict
    resumed.load_state_dict(opt_p.state_dict())
    _steps(packed, resumed, 4, seed=3)
    _steps(loose, opt_l, 4, seed=3)
    first = packed.parameters()[0]
    first.data = first.data.copy()                    # rebinding one array breaks the pack: one by one
    assert _Pack.of(packed.parameters()) is None
    _steps(packed, resumed, 3, seed=4)
    _steps(loose, opt_l, 3, seed=4)
    for p, q in zip(packed.parameters(), loose.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
