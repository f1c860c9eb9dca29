"""Maximum likelihood: the lecture's box of fruit and the Bernoulli likelihood (L14).

The box example: 5 fruits are drawn independently and 2 are apples.  If an
apple comes out with probability w, the probability of what was seen is

    P(t = {a, a, o, o, o}) = C(5, 2) w^2 (1 - w)^3

log is increasing, so P and log P peak at the same w, and log P is easy to
differentiate:

    log P = log C(5, 2) + 2 log w + 3 log(1 - w)
    d log P / dw = 2/w - 3/(1 - w) = 0   =>   w = 2/5

In general, k successes in n draws give the maximum-likelihood estimate w = k/n,
which for 0/1 outcomes t_i is their mean: the Bernoulli MLE.  The Bernoulli
likelihood of a label t in {0, 1} under P(t = 1) = y is y^t (1 - y)^(1 - t); its
negative log, averaged, is the binary cross-entropy (L14).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .._types import Array

__all__ = ["bernoulli_mle", "binomial_log_likelihood", "binomial_log_likelihood_grad",
           "bernoulli_log_likelihood"]


def _check_kn(k, n, who: str) -> tuple[int, int]:
    for name, v in (("k", k), ("n", n)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{who}: {name} must be an integer, got {v!r}")
    if not 0 <= k <= n:
        raise ValueError(f"{who}: need 0 <= k <= n, got k={k}, n={n}")
    return int(k), int(n)


def _check_w(w, who: str) -> np.ndarray:
    w = np.asarray(w, dtype=np.float64)
    if np.any(np.isnan(w)) or np.any((w < 0) | (w > 1)):
        raise ValueError(f"{who}: probabilities w must lie in [0, 1]")
    return w


def _check_outcomes(t, who: str) -> np.ndarray:
    t = np.asarray(t)
    if t.dtype == object or not (np.issubdtype(t.dtype, np.number) or t.dtype == np.bool_):
        raise TypeError(f"{who}: outcomes must be numeric 0/1, got dtype {t.dtype}")
    if t.size == 0:
        raise ValueError(f"{who}: no outcomes given")
    if not np.all((t == 0) | (t == 1)):
        raise ValueError(f"{who}: outcomes must be 0 or 1")
    return t.astype(np.float64)


def bernoulli_mle(t) -> float:
    """Maximum-likelihood P(t = 1) from 0/1 outcomes: w = (number of 1s) / (number of draws) (L14).

    Maximises prod_i w^t_i (1 - w)^(1 - t_i); setting d log P / dw = k/w - (n - k)/(1 - w)
    to zero gives w = k / n, the mean of t.

    >>> bernoulli_mle([1, 1, 0, 0, 0])      # 2 apples of 5
    0.4
    """
    t = _check_outcomes(t, "bernoulli_mle")
    return float(np.mean(t))                                  # w = k / n


def binomial_log_likelihood(w, k: int, n: int) -> Array:
    """log P = log C(n, k) + k log w + (n - k) log(1 - w), elementwise over an array of w (L14).

    Exact at the ends: 0 log 0 is taken as 0 (so w = 0 with k = 0 gives log 1 = 0)
    and a log of 0 with a positive count gives -inf, with no NumPy warning.

    Parameters
    ----------
    w : array_like of probabilities in [0, 1]
    k, n : int, 0 <= k <= n
        Successes (apples) and draws.

    Returns
    -------
    ndarray (float64) of ``w``'s shape (a 0-d array for scalar w).
    """
    k, n = _check_kn(k, n, "binomial_log_likelihood")
    w = _check_w(w, "binomial_log_likelihood")
    log_comb = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)   # log C(n, k)
    with np.errstate(divide="ignore"):
        log_w = np.log(w)
        log_1mw = np.log1p(-w)
    term_w = k * log_w if k else np.zeros_like(w)              # k log w      (0 log 0 = 0)
    term_1mw = (n - k) * log_1mw if n - k else np.zeros_like(w)   # (n-k) log(1-w)
    return log_comb + term_w + term_1mw


def binomial_log_likelihood_grad(w, k: int, n: int) -> Array:
    """d log P / dw = k/w - (n - k)/(1 - w) for w in (0, 1); zero at w = k/n (L14)."""
    k, n = _check_kn(k, n, "binomial_log_likelihood_grad")
    w = _check_w(w, "binomial_log_likelihood_grad")
    if np.any((w <= 0) | (w >= 1)):
        raise ValueError("binomial_log_likelihood_grad: w must lie strictly inside (0, 1)")
    return k / w - (n - k) / (1 - w)                          # d log P/dw = k/w - (n-k)/(1-w)


def bernoulli_log_likelihood(y, t) -> float:
    """log prod_i y_i^t_i (1 - y_i)^(1 - t_i) = sum_i [t_i log y_i + (1 - t_i) log(1 - y_i)] (L14).

    ``y`` are predicted P(t = 1) in [0, 1], ``t`` the 0/1 labels.  Its negative
    mean is the binary cross-entropy.  -inf when a label gets probability 0.
    """
    t = _check_outcomes(t, "bernoulli_log_likelihood")
    y = _check_w(y, "bernoulli_log_likelihood")
    if y.shape != t.shape:
        raise ValueError(f"bernoulli_log_likelihood: y {y.shape} and t {t.shape} differ in shape")
    with np.errstate(divide="ignore", invalid="ignore"):
        ll = np.where(t == 1, np.log(y), np.log1p(-y))        # t log y + (1 - t) log(1 - y)
    return float(np.sum(ll))
