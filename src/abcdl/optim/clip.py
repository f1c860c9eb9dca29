"""Gradient clipping by norm (L29), as ``torch.nn.utils.clip_grad_norm_``."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ..parameter import Parameter
from .base import check_number

__all__ = ["clip_grad_norm"]


def clip_grad_norm(parameters: Iterable[Parameter] | Parameter, max_norm: float,
                   norm_type: float = 2.0) -> float:
    """Scale all gradients together so that their joint norm is at most ``max_norm`` (L29).

    The practical fix for exploding gradients: the direction of the step is
    kept, only its length is capped.  Call it between ``model.backward`` and
    ``optimizer.step()``.  Gradients are scaled in place, in their own dtype.

    Parameters
    ----------
    parameters : iterable of Parameter, one Parameter, or a Module
        Whose ``grad`` to clip (a Module means its ``parameters()``).
    max_norm : float >= 0
    norm_type : float > 0 or ``inf``
        p of the p-norm (default 2).

    Returns
    -------
    float
        The total norm of all gradients *before* clipping (log it to watch for
        explosions).

    Formula
    -------
    ||g|| = ( sum_over_params ||g_i||_p^p )^(1/p)      (max_i |g_i| for p = inf)
    c = min(1, max_norm / (||g|| + 1e-6))
    g_i <- c g_i
    """
    if isinstance(parameters, Parameter):
        parameters = [parameters]
    elif hasattr(parameters, "parameters") and callable(parameters.parameters):
        parameters = parameters.parameters()
    params = list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"clip_grad_norm: parameters[{i}] is a {type(p).__name__}, not a Parameter")
    max_norm = check_number("clip_grad_norm", "max_norm", max_norm)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.integer, np.floating)) \
            or math.isnan(norm_type) or norm_type <= 0:
        raise ValueError(f"clip_grad_norm: norm_type must be > 0 or inf, got {norm_type!r}")
    norm_type = float(norm_type)
    if not params:
        return 0.0
    if norm_type == math.inf:
        total = max(float(np.max(np.abs(p.grad))) if p.grad.size else 0.0 for p in params)
    elif norm_type == 2.0:
        # ||g||_2 = sqrt(sum_i g_i . g_i); a dot product avoids a squared copy
        total = math.sqrt(sum(float(np.dot(g, g)) for g in (p.grad.reshape(-1) for p in params)))
    else:
        total = sum(float(np.sum(np.abs(p.grad) ** norm_type)) for p in params) ** (1.0 / norm_type)
    coef = min(1.0, max_norm / (total + 1e-6))                 # c = min(1, max_norm / (||g|| + 1e-6))
    if coef < 1.0:
        for p in params:
            p.grad *= coef                                      # g <- c g
    return total
