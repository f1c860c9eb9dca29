"""Numerical differentiation and gradient checking (L19).

The lecture's three finite differences, with its default step h = 1e-4:

    forward   f'(x) ~ (f(x + h) - f(x)) / h          error O(h)
    backward  f'(x) ~ (f(x) - f(x - h)) / h          error O(h)
    central   f'(x) ~ (f(x + h) - f(x - h)) / (2h)   error O(h^2)

``numerical_gradient`` applies the central difference to every element of an
array of any shape; ``gradcheck`` compares it with a hand-derived (backprop)
gradient, which is how every backward pass in abcdl is verified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ._types import Array

__all__ = [
    "forward_difference", "backward_difference", "central_difference",
    "numerical_gradient", "gradcheck", "GradcheckResult", "check_module",
]

H_LECTURE = 1e-4


def forward_difference(f: Callable, x, h: float = H_LECTURE):
    """(f(x + h) - f(x)) / h, elementwise for array x; truncation error O(h)."""
    return (f(x + h) - f(x)) / h


def backward_difference(f: Callable, x, h: float = H_LECTURE):
    """(f(x) - f(x - h)) / h, elementwise for array x; truncation error O(h)."""
    return (f(x) - f(x - h)) / h


def central_difference(f: Callable, x, h: float = H_LECTURE):
    """(f(x + h) - f(x - h)) / (2h), elementwise for array x; truncation error O(h^2)."""
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       h: float = H_LECTURE) -> Array:
    """Central-difference gradient of a scalar function ``f`` at ``x`` (any shape).

    ``x`` is perturbed in place one element at a time (so ``f`` may read it
    through a closure, as a model reads its weights) and every element is put
    back exactly, even if ``f`` raises: ``x`` is unchanged afterwards.

    Returns
    -------
    ndarray of ``x``'s shape: dJ/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h).
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError("numerical_gradient needs a floating ndarray to perturb in place")
    if x.dtype != np.float64:
        # float32 cannot resolve h = 1e-4 steps well: say so rather than return noise.
        raise TypeError(f"numerical_gradient needs float64 (got {x.dtype}); cast with x.astype(np.float64)")
    grad = np.zeros_like(x)
    flat = x.reshape(-1)  # a view: writes go to x
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient needs a contiguous array (x.reshape(-1) copied it)")
    g = grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        try:
            flat[i] = orig + h
            f_plus = float(f(x))
            flat[i] = orig - h
            f_minus = float(f(x))
        finally:
            flat[i] = orig
        g[i] = (f_plus - f_minus) / (2 * h)
    return grad


@dataclass
class GradcheckResult:
    """Outcome of comparing an analytic gradient g with a numerical one g_hat.

    Attributes
    ----------
    max_rel_error : float
        max_i |g_i - g_hat_i| / max(|g_i| + |g_hat_i|, 1e-8).
    rel_diff : float
        ||g - g_hat|| / max(||g|| + ||g_hat||, 1e-8).
    max_abs_error : float
    passed : bool
        ``np.allclose(g, g_hat, rtol, atol)``.
    name : str
    """

    max_rel_error: float
    rel_diff: float
    max_abs_error: float
    passed: bool
    name: str = ""
    rtol: float = field(default=1e-5, repr=False)
    atol: float = field(default=1e-8, repr=False)

    def __str__(self) -> str:
        verdict = "ok" if self.passed else "FAILED"
        label = f"{self.name}: " if self.name else ""
        return (f"{label}{verdict}  max rel error {self.max_rel_error:.2e}, "
                f"||g-g^||/(||g||+||g^||) = {self.rel_diff:.2e}")


def compare_gradients(g: np.ndarray, g_hat: np.ndarray, name: str = "",
                      rtol: float = 1e-5, atol: float = 1e-8) -> GradcheckResult:
    """Compare analytic ``g`` with numerical ``g_hat``; see :class:`GradcheckResult`."""
    g = np.asarray(g, dtype=np.float64)
    g_hat = np.asarray(g_hat, dtype=np.float64)
    if g.shape != g_hat.shape:
        raise ValueError(f"gradcheck {name}: analytic gradient shape {g.shape} != {g_hat.shape}")
    diff = np.abs(g - g_hat)
    denom = np.maximum(np.abs(g) + np.abs(g_hat), 1e-8)
    norm_sum = max(float(np.linalg.norm(g) + np.linalg.norm(g_hat)), 1e-8)
    rel_diff = float(np.linalg.norm(g - g_hat)) / norm_sum
    return GradcheckResult(
        max_rel_error=float(np.max(diff / denom)) if diff.size else 0.0,
        rel_diff=rel_diff,
        max_abs_error=float(diff.max()) if diff.size else 0.0,
        passed=bool(np.allclose(g, g_hat, rtol=rtol, atol=atol)),
        name=name, rtol=rtol, atol=atol,
    )


def gradcheck(f: Callable[[np.ndarray], float], x: np.ndarray, grad, h: float = 1e-6,
              rtol: float = 1e-5, atol: float = 1e-8, name: str = "") -> GradcheckResult:
    """Check an analytic gradient ``grad`` of scalar ``f`` at ``x`` against central differences.

    Example (L15: logistic regression's dz = y - t)::

        res = gradcheck(lambda w: loss(w), w, dw)
        print(res)          # "ok  max rel error 3.1e-10, ..."
        assert res.passed
    """
    return compare_gradients(grad, numerical_gradient(f, x, h), name=name, rtol=rtol, atol=atol)


def check_module(module, x: np.ndarray, upstream: np.ndarray | None = None,
                 rng: np.random.Generator | None = None, h: float = 1e-6,
                 rtol: float = 1e-5, atol: float = 1e-8,
                 forward: Callable | None = None) -> dict[str, GradcheckResult]:
    """Gradient-check a module's backward pass for its input and every parameter.

    The objective is J = sum(f(x) * G) with a random upstream gradient G (ones
    would hide transposition bugs), so dJ/dout = G is fed to ``backward``.  Use
    float64 throughout.  ``forward`` replaces ``module.forward`` for layers whose
    forward needs fixing between calls (e.g. dropout with a re-seeded mask).

    Returns
    -------
    dict mapping ``"x"`` and each parameter's dotted name to a GradcheckResult.
    """
    fwd = forward or module.forward
    x = np.array(x, dtype=np.float64, order="C")   # numerical_gradient perturbs it through a flat view
    out = fwd(x)
    if upstream is None:
        rng = rng if rng is not None else np.random.default_rng(0)
        upstream = rng.standard_normal(np.shape(out))
    G = np.asarray(upstream, dtype=np.float64)
    module.zero_grad()
    dx = module.backward(G.copy())
    analytic = {name: p.grad.copy() for name, p in module.named_parameters()}

    def J(x_: np.ndarray) -> float:                 # J(x) = sum(f(x) * G)
        return float(np.sum(fwd(x_) * G))

    results = {"x": compare_gradients(dx, numerical_gradient(J, x, h), "x", rtol, atol)}
    for name, p in module.named_parameters():
        results[name] = compare_gradients(analytic[name], _numerical_param_grad(J, x, p, h), name, rtol, atol)
    return results


def _numerical_param_grad(J: Callable, x: np.ndarray, p, h: float) -> Array:
    """dJ/dW for the parameter ``p`` by central differences; ``p.data`` is left exactly as it was."""
    W0 = p.data.copy()

    def J_of_W(W: np.ndarray) -> float:             # J(W) = sum(f(x; W) * G): load W, run forward
        p.data[...] = W
        return J(x)

    try:
        return numerical_gradient(J_of_W, W0.copy(), h)
    finally:
        p.data[...] = W0
