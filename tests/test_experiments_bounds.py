"""The MNIST training experiments refuse sizes that would run for hours or exhaust memory, and negative
seeds, with a ParamError naming the parameter and the bound, before any data is read (issue 21)."""

import pytest

from abcdl import experiments
from abcdl.experiments._base import ParamError

CASES = [
    ("batch-norm", {"iterations": 10**9}, "iterations"),
    ("batch-norm", {"width": 10**6}, "width"),
    ("batch-norm", {"lr": 1e308}, "lr"),
    ("batch-norm", {"seed": -1}, "seed"),
    ("regularization", {"epochs": 10**9}, "epochs"),
    ("regularization", {"hidden": (100,) * 500}, "hidden"),
    ("regularization", {"l2": float("inf")}, "l2"),
    ("regularization", {"seed": -3}, "seed"),
    ("hyperparameter-search", {"trials": 10**6}, "trials"),
    ("hyperparameter-search", {"lr_range": (1e-3, 1e308)}, "lr_range"),
    ("hyperparameter-search", {"n_train": 10**9}, "n_train"),
    ("hyperparameter-search", {"seed": -1}, "seed"),
]


@pytest.mark.parametrize(("name", "params", "word"), CASES, ids=[f"{n}-{w}" for n, _, w in CASES])
def test_experiments_bounds_refuse_runaway_values(name, params, word):
    with pytest.raises(ParamError, match=word):
        experiments.get(name).compute(**params)


@pytest.mark.parametrize("name", ["batch-norm", "regularization", "hyperparameter-search"])
def test_experiments_bounds_admit_the_defaults_and_the_test_sizes(name):
    check = experiments.get(name)._check                # the compute's parameter checks, no training
    defaults = experiments.parameters(name)
    names = check.__code__.co_varnames[:check.__code__.co_argcount]
    check(**{k: defaults[k] for k in names})
