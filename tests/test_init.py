"""Weight initialisation (L28): the std of each scheme, fan-in from (out, in)."""

import math

import numpy as np
import pytest

from abcdl import init
from abcdl.layers import Linear


@pytest.mark.parametrize("fn,std", [
    (init.he_normal, math.sqrt(2 / 400)), (init.xavier_normal, 1 / math.sqrt(400)),
    (init.he_uniform, math.sqrt(2 / 400)), (init.xavier_uniform, 1 / math.sqrt(400)),
    (init.lecun_normal, 1 / math.sqrt(400)),
])
def test_init_std_uses_fan_in(fn, std):
    W = fn((300, 400), rng=np.random.default_rng(0))     # (out, in): fan_in = 400
    assert W.dtype == np.float32
    assert W.std() == pytest.approx(std, rel=0.02)
    assert abs(W.mean()) < 0.05 * std


def test_xavier_fan_avg_is_glorot():
    W = init.xavier_normal((300, 500), rng=np.random.default_rng(0), mode="fan_avg")
    assert W.std() == pytest.approx(math.sqrt(2 / 800), rel=0.02)


def test_uniform_bounds():
    W = init.he_uniform((50, 60), rng=np.random.default_rng(0))
    assert np.abs(W).max() <= math.sqrt(6 / 60)


def test_normal_and_float_std_and_conv_fans():
    W = init.normal((1000, 100), 0.01, rng=np.random.default_rng(1))
    assert W.std() == pytest.approx(0.01, rel=0.02)
    W = Linear(100, 1000, init=1.0, rng=np.random.default_rng(0)).W.data
    assert W.std() == pytest.approx(1.0, rel=0.02)
    assert init.fans((30, 1, 5, 5)) == (25, 750)


def test_init_errors():
    with pytest.raises(ValueError, match="unknown init"):
        init.initializer("glorot?", (2, 2))
    with pytest.raises(TypeError):
        init.initializer(None, (2, 2))
    with pytest.raises(ValueError, match="fan-in"):
        init.he_normal((5,))
    with pytest.raises(ValueError, match="std"):
        init.normal((2, 2), -1.0)


def test_same_rng_same_weights():
    a = Linear(5, 4, rng=np.random.default_rng(9)).W.data
    b = Linear(5, 4, rng=np.random.default_rng(9)).W.data
    assert np.array_equal(a, b)
