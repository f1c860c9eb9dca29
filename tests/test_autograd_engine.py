"""The autograd engine (L39): topological order, accumulation, freeing, PyTorch's backward rules, errors."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from numpy.testing import assert_allclose

from abcdl import autograd as ag


def leaf(values, dtype=np.float64):
    return ag.tensor(np.array(values, dtype=dtype), requires_grad=True)


def test_autograd_engine_chain_of_10000_ops_needs_no_recursion():
    x = leaf([1.0, 2.0])
    y = x
    for _ in range(10_000):
        y = y * 1.0001                                  # 10,000 Mul nodes in a row
    y.sum().backward()
    assert_allclose(x.grad.data, [1.0001 ** 10_000] * 2, rtol=1e-10)


def test_autograd_engine_deep_graph_topological_order_is_complete():
    x = leaf([0.5])
    y = x
    for _ in range(3000):
        y = ag.tanh(y) + y * 0.5                        # every level uses y twice
    order = ag.topological_order([y.creator])
    assert len(order) == 3 * 3000
    position = {fn: i for i, fn in enumerate(order)}
    for fn in order:                                    # each op after the ops that made its inputs
        assert all(x.creator is None or position[x.creator] < position[fn] for x in fn.inputs)


def test_autograd_engine_node_used_twice_accumulates():
    x = leaf([3.0])
    (x * x).backward()                                  # d(x^2)/dx = x + x
    assert_allclose(x.grad.data, [6.0])
    a = leaf([0.7])
    b = ag.exp(a)                                       # diamond: c = b*b + b, dc/da = (2b + 1) b
    c = b * b + b
    c.backward()
    assert_allclose(a.grad.data, (2 * np.exp(0.7) + 1) * np.exp(0.7))


def test_autograd_engine_leaf_grads_accumulate_across_calls():
    x = leaf([1.0, -2.0])
    for _ in range(3):
        (x * x).sum().backward()
    assert_allclose(x.grad.data, 3 * 2 * np.array([1.0, -2.0]))   # PyTorch's rule: backward adds
    x.grad = None
    (x * x).sum().backward()
    assert_allclose(x.grad.data, [2.0, -4.0])


def test_autograd_engine_retain_graph_allows_a_second_backward():
    x = leaf([2.0])
    y = x ** 3
    y.backward(retain_graph=True)
    y.backward()
    assert_allclose(x.grad.data, [2 * 3 * 4.0])


def test_autograd_engine_second_backward_through_freed_graph_raises():
    x = leaf([2.0])
    y = ag.exp(x * 3).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"backward through the graph a second time.*retain_graph=True"):
        y.backward()
    z = ag.tanh(x).sum()                                # a freed graph shared by a new one: same error
    with pytest.raises(RuntimeError, match="second time"):
        (z + y).backward()


def test_autograd_engine_frees_intermediate_values():
    x = leaf(np.ones(1000))
    h = x * 2.0
    ref = weakref.ref(h)
    y = (ag.tanh(h) * 3.0).sum()
    del h
    gc.collect()
    assert ref() is not None                            # the graph holds h until backward
    y.backward()
    assert ref() is None                                # ... and lets it go afterwards (y is still alive)
    assert y.creator.inputs is None


def test_autograd_engine_create_graph_keeps_graph():
    x = leaf([1.5])
    y = x ** 3
    y.backward(create_graph=True)
    assert x.grad.creator is not None                   # dy/dx = 3x^2 is itself a graph
    g = x.grad
    x.grad = None
    g.backward()
    assert_allclose(x.grad.data, [6 * 1.5])


def test_autograd_engine_non_leaf_grad_is_not_kept():
    x = leaf([1.0, 2.0])
    h = x * 2
    (h * h).sum().backward()
    assert h.grad is None and not h.is_leaf
    assert x.grad is not None


def test_autograd_engine_grad_returns_without_touching_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, -1.0])
    h = x * w
    y = (h * h).sum()
    gx, gh = ag.grad(y, [x, h], retain_graph=True)
    assert_allclose(gx.data, 2 * x.data * w.data ** 2)   # d(sum (xw)^2)/dx = 2 x w^2
    assert_allclose(gh.data, 2 * h.data)                # intermediate tensors can be asked for
    assert x.grad is None and w.grad is None
    unused = leaf([0.0])
    with pytest.raises(RuntimeError, match="not used"):
        ag.grad(y, [unused], retain_graph=True)
    assert ag.grad(y, [x, unused], allow_unused=True)[1] is None


def test_autograd_engine_no_grad_records_nothing():
    x = leaf([1.0])
    with ag.no_grad():
        y = ag.exp(x) * 2
        with ag.enable_grad():
            z = x * 2
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()
    assert not y.requires_grad and y.creator is None
    assert z.requires_grad and z.creator is not None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_autograd_engine_no_grad_restores_after_exception():
    with pytest.raises(ZeroDivisionError), ag.no_grad():
        _ = 1 / 0
    assert ag.is_grad_enabled()


def test_autograd_engine_detach_cuts_the_graph_and_shares_memory():
    x = leaf([1.0, 2.0])
    d = (x * 3).detach()
    assert not d.requires_grad and d.is_leaf
    y = (x * d).sum()                                   # d is a constant here
    y.backward()
    assert_allclose(x.grad.data, [3.0, 6.0])
    v = x.detach()
    assert np.shares_memory(v.data, x.data)


def test_autograd_engine_backward_on_non_scalar_needs_gradient():
    x = leaf(np.ones((3, 4)))
    y = x * 2
    with pytest.raises(ValueError, match=r"scalar.*shape \(3, 4\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(3, 4\)"):
        y.backward(np.ones((4, 3)))
    y.backward(np.full((3, 4), 0.5))
    assert_allclose(x.grad.data, np.ones((3, 4)))


@pytest.mark.parametrize("op, pattern", [
    (lambda a, b: a @ b, r"matmul.*\(2, 3\).*\(4, 5\)"),
    (lambda a, b: a + b, r"add.*\(2, 3\).*\(4, 5\)"),
    (lambda a, b: a * b, r"mul.*\(2, 3\).*\(4, 5\)"),
    (lambda a, b: a - b, r"sub.*\(2, 3\).*\(4, 5\)"),
    (lambda a, b: a / b, r"div.*\(2, 3\).*\(4, 5\)"),
])
def test_autograd_engine_mismatched_shapes_name_op_and_shapes(op, pattern):
    with pytest.raises(ValueError, match=pattern):
        op(leaf(np.ones((2, 3))), leaf(np.ones((4, 5))))


def test_autograd_engine_requires_grad_on_integers_is_refused():
    with pytest.raises(TypeError, match=r"only floating tensors can require gradients.*int64"):
        ag.tensor(np.array([1, 2, 3], dtype=np.int64), requires_grad=True)
    t = ag.tensor([1, 2])
    with pytest.raises(TypeError, match="floating"):
        t.requires_grad_()


def test_autograd_engine_keeps_dtype_and_shows_it():
    for dtype in (np.float32, np.float64):
        x = leaf(np.ones((2, 3)), dtype)
        y = (ag.sigmoid(x @ x.T) * 2.0 + 1).mean()
        y.backward()
        assert y.dtype == dtype and x.grad.dtype == dtype
    r = repr(leaf(np.ones((2, 3)), np.float32) * 2)
    assert "shape=(2, 3)" in r and "float32" in r and "grad_fn=Mul" in r


def test_autograd_engine_numpy_operands_and_results():
    x = leaf([1.0, 2.0])
    y = np.array([2.0, 3.0]) * x + np.array([1.0, 1.0])  # ndarray on the left defers to Tensor
    assert isinstance(y, ag.Tensor)
    y.sum().backward()
    assert_allclose(x.grad.data, [2.0, 3.0])
    assert y.numpy() is y.data and np.asarray(y).shape == (2,)
    assert (x * 2).sum().item() == 6.0


def test_autograd_engine_custom_function_joins_the_graph():
    class Cube(ag.Function):
        """y = x^3 with dy/dx = 3x^2, written with Tensor ops so it can be differentiated again."""

        def forward(self, x):
            return x ** 3

        def backward(self, gy):
            x = self.inputs[0]
            return gy * 3 * x * x

    x = leaf([2.0])
    (g,) = ag.grad(Cube()(x), [x], create_graph=True)
    (h,) = ag.grad(g, [x])
    assert_allclose([g.item(), h.item()], [12.0, 12.0])
