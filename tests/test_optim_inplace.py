"""Optimizers update the parameters' own arrays: no rebinding, state named by the lecture (L20-L27)."""

import numpy as np
import pytest

from abcdl import Parameter, optim
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import mlp
from abcdl.regularizers import l2_grad
from abcdl.train import fit

# (class, hyper-parameters, the state's names: the lecture's symbols)
OPTIMIZERS = [
    pytest.param(optim.SGD, {"lr": 0.1}, set(), id="sgd"),
    pytest.param(optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}, {"v"},
                 id="sgd_nesterov"),
    pytest.param(optim.Momentum, {"lr": 0.05}, {"v"}, id="momentum"),
    pytest.param(optim.Nesterov, {"lr": 0.05}, {"v"}, id="nesterov"),
    pytest.param(optim.AdaGrad, {"lr": 0.1}, {"h"}, id="adagrad"),
    pytest.param(optim.RMSProp, {"lr": 0.01}, {"h"}, id="rmsprop"),
    pytest.param(optim.RMSProp, {"lr": 0.01, "momentum": 0.5, "centered": True}, {"h", "m", "v"},
                 id="rmsprop_centered"),
    pytest.param(optim.Adam, {"lr": 1e-2, "weight_decay": 1e-3}, {"m", "v"}, id="adam"),
    pytest.param(optim.AdamW, {"lr": 1e-2}, {"m", "v"}, id="adamw"),
]


def _data(rng: np.random.Generator, n: int = 40):
    return rng.standard_normal((n, 5)).astype(np.float32), rng.integers(0, 3, n)


@pytest.mark.parametrize(("cls", "kw", "names"), OPTIMIZERS)
def test_optim_inplace_arrays_taken_before_training_stay_the_weights(cls, kw, names):
    rng = np.random.default_rng(0)
    model = mlp(5, (4,), 3, batch_norm=True, rng=rng)
    layer = model[0]
    w, g = layer.W.data, layer.W.grad                  # taken before training, as a learner would
    arrays = [(p.data, p.grad) for p in model.parameters()]
    w0 = w.copy()
    opt = cls(model.parameters(), **kw)
    fit(model, SoftmaxCrossEntropyLoss(), opt, _data(rng), epochs=2, batch_size=8, verbose=0, rng=rng)
    assert layer.W.data is w and layer.W.grad is g
    assert not np.array_equal(w, w0)                   # and training moved them
    w1 = w.copy()
    loss_fn = SoftmaxCrossEntropyLoss()
    for _ in range(30):                                # many steps by hand
        X, t = _data(rng, 8)
        opt.zero_grad()
        loss_fn.forward(model.forward(X), t)
        model.backward(loss_fn.backward())
        opt.step()
    assert opt.t == 30 + 2 * 5
    for p, (data, grad) in zip(model.parameters(), arrays, strict=True):
        assert p.data is data and p.grad is grad
    assert layer.W.data is w and not np.array_equal(w, w1)
    for st in opt.state.values():                      # the state is the optimizer's own memory
        assert all(not np.shares_memory(s, w) for s in st.values())


@pytest.mark.parametrize(("cls", "kw", "names"), OPTIMIZERS)
def test_optim_inplace_state_named_by_the_lecture_created_on_first_step(cls, kw, names):
    a = Parameter(np.array([[1.0, -2.0], [0.5, 3.0]]))
    b = Parameter(np.array([0.25], dtype=np.float32))
    opt = cls([a, b], **kw)
    assert opt.state == {}                             # nothing before the first step
    a.grad[...] = [[0.5, -1.0], [2.0, 0.1]]
    b.grad[...] = 1.5
    opt.step()
    assert list(opt.state) == [a, b]
    for p in (a, b):
        assert set(opt.state[p]) == names
        for s in opt.state[p].values():
            assert s.shape == p.shape and s.dtype == p.dtype


@pytest.mark.parametrize("cls", [optim.SGD, optim.AdaGrad, optim.RMSProp, optim.Adam])
def test_optim_inplace_weight_decay_is_the_l2_gradient(cls):
    # weight_decay = lambda adds the L2 gradient of L31 with m = 1, (lambda/1) W, to g: the same
    # function abcdl.regularizers.L2 uses, so a step with weight_decay equals a step without it
    # from the gradient g + l2_grad(W, lambda, 1), bit for bit.
    lam, W0 = 0.3, np.array([1.0, -2.0, 0.5])
    grads = [np.array([0.2, -0.4, 1.0]), np.array([-0.3, 0.1, 0.7]), np.array([0.05, 0.9, -0.2])]
    p, q = Parameter(W0), Parameter(W0)
    with_wd, without = cls([p], lr=0.1, weight_decay=lam), cls([q], lr=0.1)
    for g in grads:
        p.grad[...] = g
        q.grad[...] = g + l2_grad(q.data, lam, 1)
        with_wd.step()
        without.step()
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(p.data, W0)
