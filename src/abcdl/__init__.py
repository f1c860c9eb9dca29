"""abcdl: "ABC to Deep Learning" as a NumPy library that follows the lecture line by line.

See ``shared/lecture/SPEC.md`` for the items L1-L40 that docstrings cite.
"""

from __future__ import annotations

import importlib

from ._config import get_default_dtype, get_rng, seed, set_default_dtype
from .module import Module
from .parameter import Parameter

__version__ = "0.1.0"

_SUBMODULES = {
    "functions", "numdiff", "init", "layers", "losses", "models", "optim", "regularizers",
    "data", "train", "history", "metrics", "callbacks", "summary", "experiments", "checkpoint",
    "report", "cli",
}

__all__ = [
    "__version__", "Parameter", "Module", "seed", "get_rng", "set_default_dtype",
    "get_default_dtype", "load", *sorted(_SUBMODULES),
]


def load(path):
    """Rebuild a model saved with ``model.save(path)`` (safetensors; no code is executed)."""
    from .checkpoint import load as _load

    return _load(path)


def __getattr__(name: str):
    # Submodules load on first use: `import abcdl; abcdl.optim.Adam` works, and
    # `import abcdl` stays light (no matplotlib until an experiment needs it).
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'abcdl' has no attribute {name!r}")
