"""Type aliases used in public signatures (shapes go in docstrings)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.floating]
IntArray = npt.NDArray[np.integer]
Rng = np.random.Generator

__all__ = ["Array", "IntArray", "Rng"]
