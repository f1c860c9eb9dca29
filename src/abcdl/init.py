"""Weight initialisation (L28).

Weights have the lecture's shape W[l] = (n[l], n[l-1]) = (out, in), so the
fan-in n[l-1] is ``W.shape[1]`` (times the kernel area for a conv weight
(out, in, kh, kw)), as in ``torch.nn.init``.

| name     | formula (lecture, L28)                     | pairs with          |
|----------|--------------------------------------------|---------------------|
| normal   | W ~ N(0, std^2), e.g. randn * 1, randn * 0.01 | (shows the problem) |
| xavier   | std = 1 / sqrt(n_in)                       | sigmoid, tanh       |
| he       | std = sqrt(2 / n_in)                       | ReLU                |

The lecture's (and "Deep Learning from Scratch"'s) Xavier uses n_in only;
Glorot & Bengio's paper averages in and out: pass ``mode="fan_avg"`` for
std = sqrt(2 / (n_in + n_out)) (PyTorch's ``xavier_normal_``).  The uniform
variants draw from U(-a, a) with a = sqrt(3) * std, which has the same variance.
"""

from __future__ import annotations

import math

import numpy as np

from ._config import get_rng, resolve_dtype
from ._types import Array, Rng

__all__ = ["fans", "zeros", "normal", "xavier_normal", "xavier_uniform", "he_normal",
           "he_uniform", "lecun_normal", "xavier", "he", "initializer"]


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in) or (out, in, *kernel)."""
    if len(shape) < 2:
        raise ValueError(f"fan-in needs a weight of shape (out, in, ...), got {shape}")
    receptive = math.prod(shape[2:]) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def zeros(shape, dtype=None) -> Array:
    return np.zeros(shape, dtype=resolve_dtype(dtype))


def normal(shape, std: float = 0.01, rng: Rng | None = None, dtype=None) -> Array:
    """W ~ N(0, std^2): ``randn(*shape) * std`` (the lecture's randn * 1 and randn * 0.01)."""
    if not std >= 0:
        raise ValueError(f"std must be >= 0, got {std}")
    dt = resolve_dtype(dtype)
    return (get_rng(rng).standard_normal(shape) * std).astype(dt, copy=False)


def _std(shape, gain: float, mode: str) -> float:
    fan_in, fan_out = fans(tuple(shape))
    if mode == "fan_in":
        return gain / math.sqrt(fan_in)
    if mode == "fan_avg":
        return gain * math.sqrt(2.0 / (fan_in + fan_out))
    raise ValueError(f"mode must be 'fan_in' or 'fan_avg', got {mode!r}")


def xavier_normal(shape, rng: Rng | None = None, dtype=None, mode: str = "fan_in") -> Array:
    """Xavier: std = 1/sqrt(n_in) (lecture), or sqrt(2/(n_in+n_out)) with mode="fan_avg"."""
    return normal(shape, _std(shape, 1.0, mode), rng, dtype)


def xavier_uniform(shape, rng: Rng | None = None, dtype=None, mode: str = "fan_in") -> Array:
    """Xavier from U(-a, a), a = sqrt(3) * std (same variance as :func:`xavier_normal`)."""
    a = math.sqrt(3.0) * _std(shape, 1.0, mode)
    return get_rng(rng).uniform(-a, a, size=shape).astype(resolve_dtype(dtype), copy=False)


def he_normal(shape, rng: Rng | None = None, dtype=None) -> Array:
    """He (Kaiming): std = sqrt(2 / n_in), for ReLU layers (L28)."""
    return normal(shape, _std(shape, math.sqrt(2.0), "fan_in"), rng, dtype)


def he_uniform(shape, rng: Rng | None = None, dtype=None) -> Array:
    """He from U(-a, a), a = sqrt(6 / n_in)."""
    a = math.sqrt(3.0) * _std(shape, math.sqrt(2.0), "fan_in")
    return get_rng(rng).uniform(-a, a, size=shape).astype(resolve_dtype(dtype), copy=False)


def lecun_normal(shape, rng: Rng | None = None, dtype=None) -> Array:
    """LeCun: std = 1/sqrt(n_in) (the same numbers as the lecture's Xavier)."""
    return normal(shape, _std(shape, 1.0, "fan_in"), rng, dtype)


xavier = xavier_normal
he = he_normal

_NAMED = {
    "he": he_normal, "he_normal": he_normal, "he_uniform": he_uniform,
    "xavier": xavier_normal, "xavier_normal": xavier_normal, "xavier_uniform": xavier_uniform,
    "lecun": lecun_normal, "lecun_normal": lecun_normal,
}


def initializer(init, shape, rng: Rng | None = None, dtype=None) -> Array:
    """Draw a weight of ``shape`` by name ("he", "xavier", ...) or as N(0, init^2) for a float."""
    if isinstance(init, str):
        try:
            fn = _NAMED[init]
        except KeyError:
            raise ValueError(
                f"unknown init {init!r}; use one of {sorted(_NAMED)} or a float std"
            ) from None
        return fn(shape, rng=rng, dtype=dtype)
    if isinstance(init, (int, float)) and not isinstance(init, bool):
        return normal(shape, float(init), rng, dtype)
    raise TypeError(f"init must be a name or a float std, got {type(init).__name__}")
