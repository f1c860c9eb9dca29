"""The training slides' claims, over several seeds on real MNIST: L29 (clipping), L33 (regularization
narrows the gap of an over-fitting network), L34 (batch norm: fewer iterations, bad initial scales),
L37 (search on validation data, the test set used once).  Tolerances come from the seeds' spread,
measured on 2026-11-30 (in the comments); each test fails if its claim stops holding."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from abcdl.experiments import batch_norm, exploding_gradients, hyperparameter_search, regularization


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(1, user_api="blas"):
        yield


# ----------------------------------------------------------------------------- L29 clipping

@pytest.mark.parametrize("seed", range(2))
def test_exploding_gradients_clipping_trains_where_plain_sgd_diverges(data_root, seed):
    nb = exploding_gradients.compute(root=str(data_root), seed=seed)["numbers"]
    # seeds 0-4: the plain run's loss is NaN/Inf at step 4-6; clipped, test accuracy 0.821-0.883
    assert nb["no_clip"]["diverged_at_step"] is not None and nb["no_clip"]["diverged_at_step"] <= 8
    assert nb["no_clip"]["max_grad_norm"] > 1e6 * nb["no_clip"]["first_grad_norm"]
    assert nb["clip"]["diverged_at_step"] is None and nb["clip"]["steps_run"] == 200
    assert 0.79 <= nb["clip"]["test_accuracy"] <= 0.92
    assert nb["clip"]["final_loss"] < 0.5


# ----------------------------------------------------------------------------- L33 regularization

@pytest.fixture(scope="module")
def reg(data_root):
    # the gallery's run (the book's chapter-6 set-up, 3 seeds), measured less often
    return regularization.compute(root=str(data_root), eval_every=50)["numbers"]


def test_regularization_network_over_fits_without_regularization(reg):
    ps = reg["per_seed"]["none"]
    assert min(ps["train_accuracy"]) >= 0.99                   # it memorises its 300 images
    assert min(ps["gap"]) >= 0.15                               # seeds: 0.197-0.217


@pytest.mark.parametrize("method", ["l2", "l1", "dropout"])
def test_regularization_narrows_the_gap_in_every_seed(reg, method):
    assert reg["narrower_gap"][method] == reg["seeds"] == 3
    none, ps = np.array(reg["per_seed"]["none"]["gap"]), np.array(reg["per_seed"][method]["gap"])
    assert np.all(ps < none)
    # mean gap 0.208 without; 0.159 (L2), 0.165 (L1), 0.179 (dropout): at least 2 points narrower
    assert reg["final"][method]["gap"] <= reg["final"]["none"]["gap"] - 0.02


def test_regularization_says_when_it_does_not_help_the_test_accuracy(reg):
    # at these settings no method raises the test accuracy (seeds: 2-6 points lower); the summary says so
    lines = regularization._highlights(reg, 784)
    for m in ("l2", "l1", "dropout"):
        assert reg["higher_test"][m] == 0
        line = next(ln for ln in lines if ln.startswith(regularization._PLAIN[m].format(**reg) + ":"))
        assert "narrows the gap (3 of 3 seeds)" in line and "does not help the test accuracy" in line
    assert reg["final"]["l2"]["sum_w2"] < 0.5 * reg["final"]["none"]["sum_w2"]   # L2 shrinks the weights
    assert reg["final"]["l1"]["zero_fraction"] > 0.3                            # L1 zeros them


# ----------------------------------------------------------------------------- L34 batch norm

@pytest.fixture(scope="module")
def bn(data_root):
    nb = batch_norm.compute(inits=("xavier",), iterations=400, eval_every=20, root=str(data_root))
    return nb["numbers"]


def test_batch_norm_reaches_the_target_in_fewer_iterations_on_mnist(bn):
    r = bn["runs"]["xavier"]
    plain, with_bn = r["plain"]["iterations_to_target"], r["batch_norm"]["iterations_to_target"]
    # seeds (gallery seed 0, measured every 10 iterations): plain 190-260 iterations to 85%, batch norm 40-50
    assert all(b is not None for b in with_bn)
    assert all(p is None or p > 2 * b for p, b in zip(plain, with_bn, strict=True))
    assert r["speedup_iterations"] is None or r["speedup_iterations"] >= 3


def test_batch_norm_tolerates_bad_initial_scales(bn):
    small, large = bn["scales"]["0.01"], bn["scales"]["1"]
    # std 0.01: plain stays at chance (0.116-0.122), BN learns (0.853-0.954)
    assert max(small["plain"]["final_accuracy"]) <= 0.2
    assert min(small["batch_norm"]["final_accuracy"]) >= 0.8
    # std 1: the plain network's loss overflows in every seed; BN learns (0.619-0.683 after 400-600 steps)
    assert large["plain"]["diverged"] == 3 and large["batch_norm"]["diverged"] == 0
    assert min(large["batch_norm"]["final_accuracy"]) >= 0.5


# ----------------------------------------------------------------------------- L37 search

def test_hyperparameter_search_samples_all_four_hyper_parameters():
    cs = hyperparameter_search.sample_configs(np.random.default_rng(0), 3000, (1e-3, 1.0), (1e-3, 100.0),
                                              (0.5, 1.0), (50, 100, 200), (1, 2))
    lr = np.log10([c["lr"] for c in cs])
    assert np.all(np.abs(np.histogram(lr, bins=3, range=(-3, 0))[0] / 3000 - 1 / 3) < 0.04)  # per decade
    keep = np.array([c["keep_prob"] for c in cs])
    assert keep.min() >= 0.5 and keep.max() <= 1 and abs(keep.mean() - 0.75) < 0.02
    assert {c["hidden"] for c in cs} == {(w,) * d for w in (50, 100, 200) for d in (1, 2)}


@pytest.mark.parametrize("seed", range(2))
def test_hyperparameter_search_chooses_on_validation_and_tests_once(data_root, monkeypatch, seed):
    import abcdl.train

    calls = []
    real = abcdl.train.evaluate

    def counting(model, loss_fn, data, *args, **kwargs):
        calls.append(len(data[0]))
        return real(model, loss_fn, data, *args, **kwargs)
    monkeypatch.setattr(abcdl.train, "evaluate", counting)
    nb = hyperparameter_search.compute(trials=6, epochs=5, n_train=2000, n_test=1000, root=str(data_root),
                                       seed=seed)["numbers"]
    assert calls.count(1000) == 1                               # the test images, once
    scores = [t["val_accuracy"] for t in nb["trials"] if t["val_accuracy"] is not None]
    assert nb["best"]["val_accuracy"] == max(scores)
    assert len({t["hidden"] for t in nb["trials"]}) > 1 and len({t["keep_prob"] for t in nb["trials"]}) > 1
    # seeds 0-2: validation 0.838-0.870, test 0.868-0.877: the test score confirms the validation one
    assert nb["best"]["val_accuracy"] >= 0.8
    assert abs(nb["test_accuracy"] - nb["best"]["val_accuracy"]) <= 0.05
