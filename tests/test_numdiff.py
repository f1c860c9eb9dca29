"""abcdl.numdiff: finite differences and gradient checking (L19)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from abcdl.layers import Linear
from abcdl.numdiff import (
    backward_difference,
    central_difference,
    check_module,
    compare_gradients,
    forward_difference,
    gradcheck,
    numerical_gradient,
)


def f(x):          # the lecture's cubic (L19)
    return 4 * x**3 - 2 * x**2 - 7 * x + 1


def fprime(x):
    return 12 * x**2 - 4 * x - 7


def _slope(diff, hs, x=1.5):
    errs = [abs(diff(f, x, h) - fprime(x)) for h in hs]
    return np.polyfit(np.log(hs), np.log(errs), 1)[0]


def test_default_step_is_the_lectures():
    assert forward_difference.__defaults__ == (1e-4,)
    assert central_difference.__defaults__ == (1e-4,)
    assert backward_difference.__defaults__ == (1e-4,)


def test_error_orders_l19():
    hs = np.logspace(-4, -1, 7)   # large enough that rounding error does not dominate
    assert _slope(forward_difference, hs) == pytest.approx(1.0, abs=0.1)
    assert _slope(backward_difference, hs) == pytest.approx(1.0, abs=0.1)
    assert _slope(central_difference, hs) == pytest.approx(2.0, abs=0.1)
    # at the lecture's h = 1e-4 the central difference is far more accurate
    x = 1.5
    assert abs(central_difference(f, x) - fprime(x)) < 1e-6
    assert abs(forward_difference(f, x) - fprime(x)) > 1e-4


def test_numerical_gradient_any_shape_leaves_x_unchanged():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4))
    before = x.copy()
    A = rng.standard_normal((2, 3, 4))
    g = numerical_gradient(lambda v: float(np.sum(A * v**2)), x)
    assert_allclose(g, 2 * A * before, rtol=1e-7, atol=1e-9)
    assert np.array_equal(x, before)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])

    def bad(v):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        numerical_gradient(bad, x)
    assert np.array_equal(x, [1.0, 2.0])


def test_numerical_gradient_needs_float64():
    with pytest.raises(TypeError, match="float64"):
        numerical_gradient(lambda v: float(v.sum()), np.ones(3, dtype=np.float32))


def test_gradcheck_reports_errors():
    x = np.array([0.5, -1.0, 2.0])
    good = gradcheck(lambda v: float(np.sum(f(v))), x, fprime(x))
    assert good.passed and good.max_rel_error < 1e-7 and good.rel_diff < 1e-8
    bad = gradcheck(lambda v: float(np.sum(f(v))), x, fprime(x) * 1.01)
    assert not bad.passed
    assert bad.rel_diff == pytest.approx(0.01 / 2.01, rel=1e-3)
    assert "FAILED" in str(bad) and "ok" in str(good)


def test_compare_gradients_shape_mismatch():
    with pytest.raises(ValueError, match="shape"):
        compare_gradients(np.ones(3), np.ones(4))


def test_check_module_passes_linear_and_leaves_its_weights_exactly():
    rng = np.random.default_rng(3)
    layer = Linear(4, 3, dtype=np.float64, rng=rng)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    results = check_module(layer, rng.standard_normal((5, 4)))
    assert set(results) == {"x", "W", "b"} and all(r.passed for r in results.values())
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_check_module_finds_a_wrong_parameter_gradient():
    class HalfWrong(Linear):
        def backward(self, dZ, input_grad=True):
            dA_prev = super().backward(dZ, input_grad)
            self.b.grad *= 1.5                          # db is wrong, dW and dX are right
            return dA_prev

    rng = np.random.default_rng(4)
    results = check_module(HalfWrong(3, 2, dtype=np.float64, rng=rng), rng.standard_normal((4, 3)))
    assert results["x"].passed and results["W"].passed and not results["b"].passed
