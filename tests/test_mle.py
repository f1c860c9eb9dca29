"""Maximum likelihood: the lecture's box of 2 apples and 3 oranges (L14)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import binom

from abcdl import functions as F
from abcdl.models import bernoulli_mle, binomial_log_likelihood
from abcdl.models.mle import bernoulli_log_likelihood, binomial_log_likelihood_grad

APPLES = [1, 1, 0, 0, 0]          # t = {a, a, o, o, o}: 1 = apple


def test_mle_box_example_w_is_two_fifths():
    assert bernoulli_mle(APPLES) == pytest.approx(0.4)
    assert bernoulli_mle(np.array(APPLES, dtype=bool)) == pytest.approx(0.4)
    # d log P / dw = 2/w - 3/(1 - w) = 5 - 5 = 0 at w = 2/5
    assert binomial_log_likelihood_grad(0.4, 2, 5) == pytest.approx(0.0, abs=1e-12)
    assert binomial_log_likelihood_grad(0.3, 2, 5) > 0 > binomial_log_likelihood_grad(0.5, 2, 5)


def test_mle_box_curve_peaks_at_two_fifths():
    w = np.linspace(0.0, 1.0, 100001)
    ll = binomial_log_likelihood(w, 2, 5)
    assert w[np.argmax(ll)] == pytest.approx(0.4, abs=1e-12)
    # P(w = 2/5) = C(5,2) (2/5)^2 (3/5)^3 = 10 * 0.16 * 0.216 = 0.3456
    assert float(binomial_log_likelihood(0.4, 2, 5)) == pytest.approx(math.log(0.3456))


def test_mle_log_likelihood_matches_scipy():
    w = np.linspace(0.01, 0.99, 50)
    for k, n in [(2, 5), (0, 4), (7, 7), (13, 40)]:
        np.testing.assert_allclose(binomial_log_likelihood(w, k, n), binom.logpmf(k, n, w), rtol=1e-12)


def test_mle_log_likelihood_ends_without_warnings():
    with np.errstate(all="raise"):
        ends = binomial_log_likelihood(np.array([0.0, 1.0]), 2, 5)
        assert np.all(ends == -np.inf)                     # an apple and an orange were both seen
        np.testing.assert_array_equal(binomial_log_likelihood([0.0, 1.0], 0, 3), [0.0, -np.inf])
        np.testing.assert_array_equal(binomial_log_likelihood([0.0, 1.0], 3, 3), [-np.inf, 0.0])
        assert bernoulli_log_likelihood([0.0, 1.0], [1, 1]) == -np.inf


def test_mle_bernoulli_negative_log_likelihood_is_cross_entropy():
    rng = np.random.default_rng(0)
    y = rng.uniform(0.05, 0.95, 20)
    t = (rng.random(20) < 0.5).astype(int)
    # log prod y^t (1 - y)^(1 - t), and -(1/m) of it is the binary cross-entropy
    assert bernoulli_log_likelihood(y, t) == pytest.approx(np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)))
    assert -bernoulli_log_likelihood(y, t) / 20 == pytest.approx(F.binary_cross_entropy(y, t))


def test_mle_bernoulli_mle_maximises_likelihood():
    t = np.array([1, 0, 1, 1, 0, 1, 1, 0])
    w_hat = bernoulli_mle(t)
    grid = np.linspace(0.01, 0.99, 99)
    lls = [bernoulli_log_likelihood(np.full(t.shape, w), t) for w in grid]
    assert grid[int(np.argmax(lls))] == pytest.approx(w_hat, abs=0.01)
    assert w_hat == pytest.approx(5 / 8)


@pytest.mark.parametrize("call, err, match", [
    (lambda: bernoulli_mle([]), ValueError, "no outcomes"),
    (lambda: bernoulli_mle([0, 2]), ValueError, "0 or 1"),
    (lambda: binomial_log_likelihood(0.5, 6, 5), ValueError, "0 <= k <= n"),
    (lambda: binomial_log_likelihood(0.5, 2.0, 5), TypeError, "integer"),
    (lambda: binomial_log_likelihood([0.5, 1.2], 2, 5), ValueError, r"\[0, 1\]"),
    (lambda: binomial_log_likelihood(np.nan, 2, 5), ValueError, r"\[0, 1\]"),
    (lambda: binomial_log_likelihood_grad(0.0, 2, 5), ValueError, r"\(0, 1\)"),
    (lambda: bernoulli_log_likelihood([0.5], [1, 0]), ValueError, "shape"),
])
def test_mle_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()
