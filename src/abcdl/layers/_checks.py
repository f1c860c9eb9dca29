"""Input validation shared by the layers: errors name the layer and both shapes."""

from __future__ import annotations

import numpy as np


def check_input(layer, x, ndim: int | tuple[int, ...], features: int | None = None,
                expect: str = "") -> np.ndarray:
    """Return ``x`` as a floating ndarray or raise ``ValueError`` naming layer, expected and got.

    ``ndim`` is the required number of dimensions (or a tuple of allowed ones);
    ``features`` the required size of axis 1; ``expect`` how to print the shape.
    """
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    if x.dtype.kind != "f":                        # (a fast np.issubdtype(x.dtype, np.floating))
        if x.dtype == object or not np.issubdtype(x.dtype, np.number):
            raise TypeError(f"{layer._where()}: expected a numeric array, got dtype {x.dtype}")
        x = x.astype(np.float64 if x.dtype.itemsize > 4 else np.float32)
    ndims = (ndim,) if isinstance(ndim, int) else ndim
    if x.ndim not in ndims or (features is not None and x.shape[1] != features):
        raise ValueError(f"{layer._where()}: expected input of shape {expect}, got {x.shape}")
    return x


def need_forward(layer, cached) -> None:
    if cached is None:
        raise RuntimeError(f"{layer._where()}: backward called before forward")
