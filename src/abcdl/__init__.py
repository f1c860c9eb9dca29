"""abcdl: "ABC to Deep Learning" as a NumPy library that follows the lecture line by line.

See ``shared/lecture/SPEC.md`` for the items L1-L40 that docstrings cite.  Every
submodule below is imported here, so ``import abcdl; abcdl.optim.Adam`` works;
matplotlib (figures) and torch load only when a
function needs them.  The command line, :mod:`abcdl.cli`, is imported by the
``abcdl`` command, not here.
"""

from __future__ import annotations

from . import (
    autograd,
    callbacks,
    checkpoint,
    data,
    exercises,
    experiments,
    export,
    functions,
    history,
    init,
    layers,
    lm,
    losses,
    metrics,
    models,
    numdiff,
    optim,
    regularizers,
    report,
    summary,
    text,
    train,
)
from ._config import get_default_dtype, get_rng, seed, set_default_dtype
from ._version import __version__
from .checkpoint import load, save
from .module import Module
from .parameter import Parameter

__all__ = [
    "__version__", "Parameter", "Module", "seed", "get_rng", "set_default_dtype", "get_default_dtype",
    "save", "load", "autograd", "callbacks", "checkpoint", "data", "exercises", "experiments", "export",
    "functions", "history", "init", "layers", "lm", "losses", "metrics", "models", "numdiff", "optim",
    "regularizers", "report", "summary", "text", "train",
]
