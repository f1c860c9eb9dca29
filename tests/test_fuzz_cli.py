"""Fuzz the command line (issue 21): random values into every `abcdl train` option and every demo
parameter, each case in a forked child under a memory cap and a time cap (``tests/_fuzz_driver.py``).

Every case must end with exit status 0 or 2, print no traceback, and keep its error lines short.
The generator is seeded (``ABCDL_FUZZ_SEED``, default 0), so a failure is repeatable; the cases
that succeed are kept small (digits, one epoch, the experiments' small sizes) so the suite stays
at about a minute on 2 cores.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from abcdl import experiments

pytestmark = pytest.mark.usefixtures("offline")   # no case may reach the network (conftest.py)

DRIVER = Path(__file__).with_name("_fuzz_driver.py")
MEMORY_CAP = 1_500_000_000      # bytes a case may map above the driver's own (RLIMIT_AS)
TIME_CAP = 30                   # seconds a case may run (the slowest legitimate case takes a few)
SEED = int(os.environ.get("ABCDL_FUZZ_SEED", "0"))

# The experiments fuzzed here, with the small values their other parameters keep, so that a case
# whose fuzzed value is accepted runs in a second or two.  (batch-norm, regularization and
# hyperparameter-search are left out while their parameters change; add them back with theirs.)
FAST = {
    "curse-of-dimensionality": {"dims": "2,50", "grid-dims": "1,2", "n-points": "60"},
    "hoeffding": {"n-train": "20,100", "repeats": "300"},
    "pca-mnist": {"data": "digits", "n-samples": "300", "n-per-class": "100"},
    "perceptron": {"n-test": "100"},
    "logic-gates": {},
    "xor": {"epochs": "200"},
    "relu-approximation": {"steps": "300", "hidden": "10", "n-points": "60"},
    "mle": {"grid-points": "1001"},
    "numerical-diff": {"n-steps": "25"},
    "gd-1d": {},
    "optimizers-2d": {"steps-small-lr": "100"},
    "weight-init": {"n-layers": "3", "n-units": "50", "n-examples": "200"},
    "exploding-gradients": {"data": "digits", "steps": "20", "n-train": "200", "n-test": "100", "depth": "4",
                            "width": "20"},
    "polynomial-overfit": {},
    "conv": {"data": "digits", "epochs": "1", "n-train": "100", "n-test": "50", "filters": "4",
             "kernel-size": "3", "hidden": "10"},
}

# Values by the type of a parameter's default: the edges (negative, zero, huge, overflowing,
# NaN, Inf, garbage) and a random number drawn for each case.
POOLS = {
    int: ["-1", "0", "1", "1000000000", str(2**63), "1e9", "abc", ""],
    float: ["-1", "0", "1e308", "-1e308", "nan", "inf", "-inf", "1e-320", "x"],
    bool: ["true", "false", "maybe", ""],
    str: ["", "x" * 300, "../../etc", "mnist", "digits", "\u00e9"],
    tuple: ["", ",", "-1,-1", "1e308,1e308", "nan,nan", "0", ",".join(["1"] * 2000), "1000000000", "a,b"],
}

# the values the issue names, each a case of its own
ISSUE_DEMO_CASES = [
    ("numerical-diff", "x0", "1e308"), ("optimizers-2d", "lr-adam", "1e308"), ("curse-of-dimensionality",
                                                                                 "n-points", "1000000000"),
    ("hoeffding", "repeats", "1000000000"), ("xor", "max-updates", "1000000000"),
    ("exploding-gradients", "steps", "1000000000"), ("perceptron", "seed", "-1"), ("xor", "seed", "-1"),
]


def _random_value(rng: np.random.Generator, default) -> str:
    pool = POOLS[type(default)]
    if rng.random() < 0.7:
        return str(rng.choice(pool))
    if isinstance(default, bool):
        return "true"
    if isinstance(default, int):
        return str(int(rng.integers(-10, 10**6)))
    if isinstance(default, float):
        return f"{float(rng.normal() * 10.0 ** rng.integers(-5, 6)):g}"
    if isinstance(default, tuple):
        return ",".join(str(int(v)) for v in rng.integers(-3, 100, size=rng.integers(1, 4)))
    return "".join(rng.choice(list("abc-_/.")) for _ in range(int(rng.integers(1, 8))))


def _demo_argv(name: str, out: Path, params: dict[str, str]) -> list[str]:
    return ["demo", name, "--json", "--out", str(out), *(f"--{k}={v}" for k, v in params.items())]


def demo_cases(rng: np.random.Generator, out: Path) -> list[list[str]]:
    """One random value for every parameter of every fuzzed experiment, and the issue's own values."""
    cases = []
    for name in FAST:
        for param, default in experiments.parameters(name).items():
            key = param.replace("_", "-")
            cases.append(_demo_argv(name, out, {**FAST[name], key: _random_value(rng, default)}))
    for name, key, value in ISSUE_DEMO_CASES:
        cases.append(_demo_argv(name, out, {**FAST[name], key: value}))
    return cases


TRAIN_BASE = ["--dataset", "digits", "--epochs", "1", "--hidden", "16", "--verbose", "0"]
TRAIN_POOLS = {
    "--epochs": ["-1", "0", "2", "1e9", "abc", str(10**30)],
    "--batch-size": ["-1", "0", "1", "64", "1e9", str(10**30), "x"],
    "--subset": ["-1", "0", "5", "300", str(10**30), "x"],
    "--val-split": ["-1", "0", "0.5", "1", "1e308", "nan", "0.999999"],
    "--hidden": ["0", "-5", "none", "16,16", "a,b", "100000000", "20000,20000", ",", "9" * 5000],
    "--dropout": ["-0.1", "0", "0.5", "1", "nan", "inf"],
    "--lr": ["-1", "0", "1e-320", "0.5", "10", "1e308", "nan", "inf"],
    "--momentum": ["-1", "0.5", "1", "nan"],
    "--weight-decay": ["-1", "0", "1e-4", "999", "1e307", "nan", "inf"],
    "--step-size": ["-1", "0", "1", "1e9"],
    "--gamma": ["-1", "0", "0.5", "1", "nan"],
    "--seed": ["-1", "0", str(2**64), str(10**100), "x", "1.5"],
    "--optimizer": ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "bogus"],
    "--schedule": ["none", "step", "cosine", "bogus"],
    "--model": ["mlp", "convnet", "bogus"],
    "--activation": ["relu", "leaky_relu", "sigmoid", "tanh", "bogus"],
    "--dataset": ["digits", "bogus"],
    "--verbose": ["0", "3", "4", "-1"],
    "--data-root": ["", "/nonexistent", "/dev/null"],
}


def train_cases(rng: np.random.Generator, tmp: Path, n: int) -> list[list[str]]:
    """``n`` command lines, each with two or three options set to random values from their pools."""
    cases = []
    options = sorted(TRAIN_POOLS)
    for i in range(n):
        chosen = rng.choice(options, size=int(rng.integers(1, 4)), replace=False)
        argv = ["train", *TRAIN_BASE, "--out", str(tmp / f"run{i}")]
        for opt in chosen:
            argv += [f"{opt}={rng.choice(TRAIN_POOLS[opt])}"]
        cases.append(argv)
    for opt in options:                                       # every option at its most hostile value
        argv = ["train", *TRAIN_BASE, "--out", str(tmp / f"edge{opt}")]
        cases.append(argv + [f"{opt}={TRAIN_POOLS[opt][-1]}"])
    return cases


def run_cases(cases: list[list[str]], cwd: Path) -> list[dict]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, str(DRIVER), str(MEMORY_CAP), str(TIME_CAP), "2"],
                          input=json.dumps(cases), capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _failures(results: list[dict]) -> list[str]:
    """The cases that did not end in a clear way: status other than 0/2, a traceback, long lines."""
    bad = []
    for r in results:
        err = r["stderr"]
        lines = [line for line in err.splitlines() if line.strip() and "RuntimeWarning" not in line]
        ok = r["status"] in (0, 2) and "Traceback" not in err and all(len(line) <= 200 for line in lines)
        if r["status"] == 2:
            ok = ok and any(line.startswith("abcdl ") and ": error: " in line for line in lines)
        if not ok:
            bad.append(f"{r['status']} after {r['seconds']}s: abcdl {' '.join(r['argv'])}\n{err[-600:]}")
    return bad


def test_fuzz_cli_demo_parameters(tmp_path):
    rng = np.random.default_rng([SEED, 1])
    cases = demo_cases(rng, tmp_path / "figs")
    results = run_cases(cases, tmp_path)
    assert len(results) == len(cases) >= 100
    assert not _failures(results), "\n\n".join(_failures(results))
    statuses = {r["status"] for r in results}
    assert statuses == {0, 2}                     # some values accepted, some refused


def test_fuzz_cli_train_options(tmp_path):
    rng = np.random.default_rng([SEED, 2])
    cases = train_cases(rng, tmp_path, 40)
    results = run_cases(cases, tmp_path)
    assert not _failures(results), "\n\n".join(_failures(results))
    assert {r["status"] for r in results} == {0, 2}
    for r in results:                             # a refused run leaves no folder; an accepted one a full one
        out = Path(r["argv"][r["argv"].index("--out") + 1])
        if r["status"] == 2:
            assert not out.exists() or not any(out.iterdir()), r["argv"]
        else:
            assert (out / "model.safetensors").is_file() and (out / "metrics.json").is_file(), r["argv"]


def test_fuzz_cli_issue_values_are_refused_by_name(tmp_path):
    """The issue's own values: refused, and the message names the parameter."""
    cases = [_demo_argv(n, tmp_path, {**FAST[n], k: v}) for n, k, v in ISSUE_DEMO_CASES]
    for r, (_, key, _) in zip(run_cases(cases, tmp_path), ISSUE_DEMO_CASES, strict=True):
        assert r["status"] == 2 and key.replace("-", "_") in r["stderr"], r
