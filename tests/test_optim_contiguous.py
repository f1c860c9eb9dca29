"""The optimizers' contiguous storage: the same numbers as one-by-one updates, and safe fallbacks."""

import numpy as np
import pytest

from abcdl import Parameter, optim
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import mlp

OPTIMIZERS = [
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (optim.Momentum, {"lr": 0.05}), (optim.Nesterov, {"lr": 0.05}),
    (optim.AdaGrad, {"lr": 0.1}), (optim.RMSProp, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (optim.Adam, {"lr": 1e-2, "weight_decay": 1e-3}), (optim.AdamW, {"lr": 1e-2}),
]


def _run(cls, kw, contiguous: bool, steps: int = 6, dtype=np.float64):
    model = mlp(5, (4,), 3, batch_norm=True, rng=np.random.default_rng(0), dtype=dtype)
    opt = cls(model.parameters(), **kw)
    if not contiguous:
        opt._groups = []                        # the one-by-one path
    rng = np.random.default_rng(1)
    loss_fn = SoftmaxCrossEntropyLoss()
    for _ in range(steps):
        x = rng.standard_normal((8, 5)).astype(dtype)
        opt.zero_grad()
        loss_fn.forward(model.forward(x), rng.integers(0, 3, 8))
        model.backward(loss_fn.backward())
        opt.step()
    return model, opt


@pytest.mark.parametrize(("cls", "kw"), OPTIMIZERS)
def test_contiguous_storage_gives_identical_numbers(cls, kw):
    a, opt_a = _run(cls, kw, contiguous=True)
    b, opt_b = _run(cls, kw, contiguous=False)
    assert opt_a._groups and not opt_b._groups
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert np.array_equal(p.data, q.data), name
    sa, sb = opt_a.state_dict(), opt_b.state_dict()
    for i, st in sb["state"].items():
        for k, v in st.items():
            assert np.array_equal(sa["state"][i][k], v)


def test_parameters_become_views_of_one_array():
    model, opt = _run(optim.Adam, {"lr": 1e-3}, contiguous=True, steps=1, dtype=np.float32)
    (flat, _, members), = opt._groups
    assert flat.data.size == sum(p.size for p in model.parameters())
    for p, dv, gv in members:
        assert p.data is dv and np.shares_memory(p.data, flat.data) and p.data.dtype == np.float32
        assert p.grad is gv and np.shares_memory(p.grad, flat.grad)
        assert p.data.flags.c_contiguous


def test_rebinding_a_gradient_falls_back_and_stays_correct():
    model, opt = _run(optim.SGD, {"lr": 0.5}, contiguous=True, steps=1)
    p = model.parameters()[0]
    before = p.data.copy()
    p.grad = np.ones_like(p.data)               # rebound, not written in place
    for q in model.parameters()[1:]:
        q.grad[...] = 0
    opt.step()
    assert opt._groups == []                    # noticed, and now one by one
    np.testing.assert_allclose(p.data, before - 0.5)


def test_a_second_optimizer_takes_over_safely():
    model, first = _run(optim.SGD, {"lr": 0.1}, contiguous=True, steps=1)
    second = optim.SGD(model.parameters(), lr=0.1)
    for p in model.parameters():
        p.grad[...] = 1.0
    second.step()                               # moves the parameters into its own storage
    before = [p.data.copy() for p in model.parameters()]
    for p in model.parameters():
        p.grad[...] = 1.0
    first.step()                                # sees the parameters moved: updates them one by one
    for p, b in zip(model.parameters(), before, strict=True):
        np.testing.assert_allclose(p.data, b - 0.1)


def test_mixed_dtypes_and_single_parameters():
    a = Parameter(np.array([1.0, 2.0]))         # float64
    b = Parameter(np.array([3.0], dtype=np.float32))
    opt = optim.SGD([a, b], lr=0.5)
    a.grad[...] = 1.0
    b.grad[...] = 2.0
    opt.step()
    assert opt._groups == []                    # no dtype group of two or more: nothing to join
    np.testing.assert_allclose(a.data, [0.5, 1.5])
    np.testing.assert_allclose(b.data, [2.0])
    assert b.data.dtype == np.float32
