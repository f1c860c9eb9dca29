"""Module and Sequential: registration order, modes, state dicts, Parameter."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

import abcdl
from abcdl import Parameter
from abcdl.layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Tanh,
)
from abcdl.models import Sequential


def make():
    return Sequential(Linear(4, 5), BatchNorm1d(5), ReLU(), Dropout(0.2), Linear(5, 3))


def test_named_parameters_in_definition_order():
    names = [n for n, _ in make().named_parameters()]
    assert names == ["layers.0.W", "layers.0.b", "layers.1.gamma", "layers.1.beta",
                     "layers.4.W", "layers.4.b"]
    assert [p.shape for p in make().parameters()] == [(5, 4), (5,), (5,), (5,), (3, 5), (3,)]


def test_state_dict_includes_buffers_and_round_trips():
    a, b = make(), make()
    a.forward(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32))
    state = a.state_dict()
    assert list(state) == ["layers.0.W", "layers.0.b", "layers.1.gamma", "layers.1.beta",
                           "layers.4.W", "layers.4.b", "layers.1.running_mean", "layers.1.running_var"]
    b.load_state_dict(state)
    for k, v in b.state_dict().items():
        assert np.array_equal(v, state[k]), k
    state["layers.0.W"][:] = 99          # the state dict is a copy
    assert not np.any(a[0].W.data == 99)


def test_strict_loading_names_missing_and_unexpected_keys():
    m = make()
    state = m.state_dict()
    del state["layers.0.b"]
    state["layers.9.W"] = np.zeros(1)
    before = m[0].W.data.copy()
    with pytest.raises(KeyError) as exc:
        m.load_state_dict(state)
    assert "missing keys: layers.0.b" in str(exc.value)
    assert "unexpected keys: layers.9.W" in str(exc.value)
    assert np.array_equal(m[0].W.data, before)          # nothing was loaded
    del state["layers.9.W"]
    m.load_state_dict(state, strict=False)              # partial load allowed when asked


def test_load_state_dict_shape_mismatch():
    m = make()
    state = m.state_dict()
    state["layers.4.W"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"layers.4.W has shape \(2, 2\), expected \(3, 5\)"):
        m.load_state_dict(state)


def test_train_eval_switch_recursively():
    m = make()
    assert all(mod.training for _, mod in m.named_modules())
    assert m.eval() is m
    assert not any(mod.training for _, mod in m.named_modules())
    x = np.random.default_rng(1).standard_normal((6, 4)).astype(np.float32)
    assert np.array_equal(m.forward(x), m.forward(x))     # deterministic in eval mode
    m.train()
    assert all(mod.training for _, mod in m.named_modules())


def test_zero_grad_keeps_arrays():
    m = make()
    grads = [p.grad for p in m.parameters()]
    for g in grads:
        g += 1
    m.zero_grad()
    assert all(p.grad is g and not p.grad.any() for p, g in zip(m.parameters(), grads, strict=True))


def test_parameter_basics():
    p = Parameter(np.array([-7.0, 2.0]))
    assert p.dtype == np.float64 and p.grad.shape == (2,) and not p.grad.any()
    q = Parameter([1, 2, 3])
    assert q.dtype == np.float32                          # the default dtype
    src = np.ones(3)
    r = Parameter(src)
    src[0] = 5
    assert r.data[0] == 1                                 # never aliases the caller's array
    with pytest.raises(ValueError, match="NaN"):
        Parameter([np.nan])


def test_default_dtype_and_seed():
    abcdl.set_default_dtype(np.float64)
    assert Linear(2, 2).W.dtype == np.float64
    abcdl.set_default_dtype("float32")
    assert Linear(2, 2).W.dtype == np.float32
    with pytest.raises(ValueError):
        abcdl.set_default_dtype(np.int32)
    abcdl.seed(5)
    w1 = Linear(3, 3).W.data.copy()
    abcdl.seed(5)
    assert np.array_equal(Linear(3, 3).W.data, w1)
    with pytest.raises(ValueError):
        abcdl.seed(-1)


def test_sequential_backward_returns_dx_and_repr():
    m = Sequential(Linear(3, 2, dtype=np.float64), ReLU())
    x = np.random.default_rng(0).standard_normal((4, 3))
    m.forward(x)
    dx = m.backward(np.ones((4, 2)))
    assert dx.shape == (4, 3)
    assert "Linear(3, 2)" in repr(m) and len(m) == 2 and isinstance(m[1], ReLU)
    with pytest.raises(TypeError):
        Sequential(lambda x: x)


def test_module_subclass_must_call_super_init():
    class Bad(abcdl.Module):
        def __init__(self):
            self.W = Parameter([1.0])

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_custom_module_registers_children():
    class Net(abcdl.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = Linear(2, 3)
            self.act = ReLU()
            self.fc2 = Linear(3, 1)

        def forward(self, x):
            return self.fc2(self.act(self.fc1(x)))

    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["fc1.W", "fc1.b", "fc2.W", "fc2.b"]
    assert_allclose(net(np.zeros((1, 2), dtype=np.float32)), 0)


def test_sequential_layers_is_indexable_iterable_and_sized():
    model = make()
    assert len(model.layers) == len(model) == 5
    assert list(model.layers) == list(model) and model.layers[-1] is model[4]
    assert isinstance(model.layers[1], BatchNorm1d)
    assert [n for n, _ in model.named_parameters()][:2] == ["layers.0.W", "layers.0.b"]
    model.append(ReLU())
    assert len(model.layers) == 6 and model.layers[5] is model[-1]


F64 = np.float64
# input shape, and the module under test (every layer type, and a nested Sequential)
INPUT_GRAD_CASES = {
    "Linear": ((6, 5), lambda: Linear(5, 3, dtype=F64)),
    "ReLU": ((6, 5), ReLU), "LeakyReLU": ((6, 5), LeakyReLU), "Sigmoid": ((6, 5), Sigmoid),
    "Tanh": ((6, 5), Tanh), "Identity": ((6, 5), Identity),
    "Dropout": ((6, 5), lambda: Dropout(0.5, rng=np.random.default_rng(0))),
    "BatchNorm1d": ((6, 5), lambda: BatchNorm1d(5, dtype=F64)),
    "BatchNorm2d": ((4, 2, 3, 3), lambda: BatchNorm2d(2, dtype=F64)),
    "Conv2d": ((4, 2, 5, 5), lambda: Conv2d(2, 3, 3, padding=1, dtype=F64)),
    "MaxPool2d": ((4, 2, 4, 4), lambda: MaxPool2d(2)),
    "AvgPool2d": ((4, 2, 4, 4), lambda: AvgPool2d(2)),
    "Flatten": ((4, 2, 3, 3), Flatten),
    "Sequential": ((6, 5), lambda: Sequential(Sequential(Linear(5, 4, dtype=F64), Tanh()),
                                              Linear(4, 2, dtype=F64))),
}


@pytest.mark.parametrize("name", INPUT_GRAD_CASES)
def test_module_backward_input_grad_false_returns_none_with_the_same_parameter_grads(name):
    """The contract of Module.backward: input_grad=False skips dJ/dX only."""
    shape, make_module = INPUT_GRAD_CASES[name]
    rng = np.random.default_rng(1)
    module = make_module()
    x = rng.standard_normal(shape)
    G = rng.standard_normal(module.forward(x).shape)
    dx = module.backward(G.copy())
    grads = {k: p.grad.copy() for k, p in module.named_parameters()}
    module.zero_grad()
    module.forward(x)
    assert module.backward(G.copy(), input_grad=False) is None
    assert dx.shape == x.shape
    for k, p in module.named_parameters():
        np.testing.assert_array_equal(p.grad, grads[k])
