"""Experiments exploding-gradients (L29), regularization (L31-L33), batch-norm (L34),
hyperparameter-search (L37) and conv (L38): small runs on real MNIST subsets (``ABCDL_DATA``)
or scikit-learn's 8x8 digits, their numbers, and their figures in English and Korean."""

from __future__ import annotations

import io
import json
import logging
import math
import warnings

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image
from threadpoolctl import threadpool_limits

from _helpers import LogCollector, assert_finite
from abcdl import experiments
from abcdl.experiments import (
    _training,
    batch_norm,
    conv,
    exploding_gradients,
    hyperparameter_search,
    regularization,
)
from abcdl.experiments._base import PNG_SIGNATURE, ParamError, Result, find_hangul_font

# Small, fast parameters; "root" is filled in from the data_root fixture for MNIST runs.
SMALL = {
    "exploding-gradients": {"depth": 8, "width": 32, "init_gain": 1.6, "steps": 25, "n_train": 300,
                            "n_test": 100},
    "regularization": {"hidden": (32,), "epochs": 6, "eval_every": 2, "n_train": 200, "n_test": 100,
                       "l2": 50.0, "l1": 5.0, "lr": 0.1, "seeds": 1},
    "batch-norm": {"inits": ("xavier", "he"), "depth": 2, "width": 16, "iterations": 30, "eval_every": 10,
                   "seeds": 2, "n_train": 300, "n_test": 100, "target": 0.3},
    "hyperparameter-search": {"trials": 5, "epochs": 2, "widths": (16,), "depths": (1,), "n_train": 300,
                              "n_test": 100},
    "conv": {"filters": 6, "epochs": 1, "n_train": 200, "n_test": 50},
}


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """Small GEMMs: one BLAS thread.  On a busy 2-core machine OpenBLAS's second thread
    spins against other processes and makes these tests ~10x slower."""
    with threadpool_limits(1, user_api="blas"):
        yield


def _small(name: str, data_root) -> dict:
    return {**SMALL[name], "root": str(data_root)}






# ----------------------------------------------------------------------------- every experiment

@pytest.mark.parametrize("name", list(SMALL))
def test_experiments_training_registered(name):
    assert name in experiments.names()
    assert experiments.get(name).NAME == name


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", list(SMALL))
def test_experiments_training_small_run_renders(name, lang, data_root):
    handler = LogCollector()
    logging.getLogger("matplotlib").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = experiments.run(name, lang=lang, **_small(name, data_root))
            png = res.render_png(dpi=60)
    finally:
        logging.getLogger("matplotlib").removeHandler(handler)
    assert isinstance(res, Result) and res.name == name
    assert res.lang == (lang if find_hangul_font() else "en")
    assert isinstance(res.figure, Figure)
    assert png.startswith(PNG_SIGNATURE) and len(png) < 200_000
    img = Image.open(io.BytesIO(png))
    assert img.size[0] > 300 and img.size[1] > 150
    assert np.asarray(img.convert("L")).std() > 5              # not a blank canvas
    missing = [m for m in handler.messages if "glyph" in m.lower()]
    missing += [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not missing, missing
    d = json.loads(res.to_json())                              # strict JSON: no NaN / Infinity
    assert d["params"]["lang"] == lang
    assert res.summary().startswith(f"{name} (")
    assert_finite(res.numbers)


@pytest.mark.parametrize("name, bad", [
    ("exploding-gradients", {"max_norm": 0.0}),
    ("exploding-gradients", {"depth": 0}),
    ("regularization", {"dropout": 1.0}),
    ("regularization", {"l2": -1.0}),
    ("batch-norm", {"inits": ("orthogonal",)}),
    ("batch-norm", {"batch_size": 1}),
    ("batch-norm", {"data": "cifar"}),
    ("hyperparameter-search", {"lr_range": (1.0, 0.1)}),
    ("hyperparameter-search", {"val_fraction": 1.0}),
    ("conv", {"init": "orthogonal"}),
    ("conv", {"init": "-0.1"}),
    ("conv", {"digit_index": 5000}),
    ("conv", {"kernel_size": 9, "data": "digits"}),
])
def test_experiments_training_bad_params_are_param_errors(name, bad):
    with pytest.raises(ParamError, match=next(iter(bad))):
        experiments.run(name, **bad)


# ----------------------------------------------------------------------------- shared helpers

def test_experiments_training_first_reach():
    assert _training.first_reach([0, 10, 20, 30], [0.1, 0.5, 0.9, 0.95], 0.9) == 20
    assert _training.first_reach([0, 10, 20], [0.1, 0.5, 0.8], 0.9) is None
    assert _training.first_reach([5], [1.0], 1.0) == 5


def test_experiments_training_load_subset_digits_sizes_and_shapes():
    ds = _training.load_subset("digits", "", 100, 5000, np.random.default_rng(0))
    assert ds.x_train.shape == (100, 64) and ds.t_train.shape == (100,)
    assert ds.x_test.shape == (360, 64)                        # capped at the digits' 360 test images
    assert ds.image_shape == (1, 8, 8) and ds.n_features == 64
    assert ds.x_train.dtype == np.float32 and 0 <= ds.x_train.min() and ds.x_train.max() <= 1
    img = _training.load_subset("digits", "", 10, 0, np.random.default_rng(0), flatten=False)
    assert img.x_train.shape == (10, 1, 8, 8) and len(img.x_test) == 0
    again = _training.load_subset("digits", "", 100, 5000, np.random.default_rng(0))
    np.testing.assert_array_equal(again.x_train, ds.x_train)


def test_experiments_training_load_subset_mnist(data_root):
    ds = _training.load_subset("mnist", str(data_root), 50, 20, np.random.default_rng(1), flatten=False)
    assert ds.x_train.shape == (50, 1, 28, 28) and ds.x_test.shape == (20, 1, 28, 28)
    assert set(np.unique(ds.t_train)) <= set(range(10))


def test_experiments_training_curve_recorder_counts_and_times():
    from abcdl.losses import SoftmaxCrossEntropyLoss
    from abcdl.models import mlp
    from abcdl.optim import SGD
    from abcdl.train import evaluate, fit

    ds = _training.load_subset("digits", "", 200, 50, np.random.default_rng(0))
    model = mlp(64, (16,), 10, rng=np.random.default_rng(0))
    loss_fn = SoftmaxCrossEntropyLoss()
    rec = _training.curve_recorder({"test": (ds.x_test, ds.t_test)}, loss_fn, every=3, per="step")
    fit(model, loss_fn, SGD(model.parameters(), lr=0.1), (ds.x_train, ds.t_train), epochs=2, batch_size=50,
        callbacks=[rec], verbose=0, rng=np.random.default_rng(0))
    assert rec.curves["x"] == [3, 6]                           # 8 steps, measured every 3
    assert np.all(np.diff(rec.curves["seconds"]) >= 0) and rec.curves["seconds"][0] > 0
    # the last measurement is the model as it was after step 6; two more steps changed it
    assert len(rec.curves["test"]["accuracy"]) == 2
    final_loss = evaluate(model, loss_fn, (ds.x_test, ds.t_test))[0]
    assert final_loss != rec.curves["test"]["loss"][-1]


# ----------------------------------------------------------------------------- L29 exploding gradients

def test_exploding_gradients_without_clipping_diverges_and_clipping_trains(data_root):
    res = exploding_gradients.run(**_small("exploding-gradients", data_root))
    nc, c = res.numbers["no_clip"], res.numbers["clip"]
    assert nc["diverged_at_step"] is not None and nc["diverged_at_step"] <= 25
    assert nc["final_loss"] is None and nc["test_accuracy"] is None
    assert nc["max_grad_norm"] > 1e3 * nc["first_grad_norm"]     # orders of magnitude of growth
    assert res.numbers["norm_growth_no_clip"] > 1e3
    assert c["diverged_at_step"] is None and c["steps_run"] == 25
    assert math.isfinite(c["final_loss"]) and 0 <= c["test_accuracy"] <= 1
    assert len(c["max_layer_grad_norm"]) == len(nc["max_layer_grad_norm"]) == 8 + 1
    # the two runs start from the same weights and batch: the same first gradient
    assert c["first_grad_norm"] == pytest.approx(nc["first_grad_norm"], rel=1e-6)


def test_exploding_gradients_layer_norms_match_a_direct_backward_pass():
    from abcdl.losses import SoftmaxCrossEntropyLoss

    rng = np.random.default_rng(0)
    x = rng.random((40, 12), dtype=np.float32)
    t = rng.integers(0, 10, 40)
    model = exploding_gradients.deep_relu_net(12, 3, 8, 10, 1.0, np.random.default_rng(1))
    order = np.random.default_rng(2).permutation(40)[:10]      # the batch the recorder draws first
    loss_fn = SoftmaxCrossEntropyLoss()
    model.zero_grad()
    loss_fn.forward(model.forward(x[order]), t[order])
    model.backward(loss_fn.backward())
    expected = [np.linalg.norm(model[i].W.grad) for i in (0, 2, 4, 6)]
    rec = exploding_gradients.train_recording_norms(model, x, t, 1, 10, 0.0, None, np.random.default_rng(2))
    np.testing.assert_allclose(rec["layer_norms"][0], expected, rtol=1e-5)
    assert rec["diverged_at"] is None and rec["layer_norms"].shape == (1, 4)


def test_exploding_gradients_clipping_caps_every_update():
    rng = np.random.default_rng(0)
    x = rng.random((60, 12), dtype=np.float32)
    t = rng.integers(0, 10, 60)
    model = exploding_gradients.deep_relu_net(12, 4, 16, 10, 2.0, np.random.default_rng(1))
    lr, max_norm = 0.5, 1e-2
    for _ in range(3):
        before = [p.data.copy() for p in model.parameters()]
        rec = exploding_gradients.train_recording_norms(model, x, t, 1, 20, lr, max_norm, rng)
        step = math.sqrt(sum(float(np.sum((p.data.astype(np.float64) - b) ** 2))
                             for p, b in zip(model.parameters(), before, strict=True)))
        assert rec["total_norm"][0] > max_norm                 # the raw gradient was larger...
        assert step <= lr * max_norm * (1 + 1e-3)              # ...but the update is lr * max_norm at most


def test_exploding_gradients_is_repeatable(data_root):
    kw = _small("exploding-gradients", data_root)
    assert exploding_gradients.run(**kw).numbers == exploding_gradients.run(**kw).numbers


# ----------------------------------------------------------------------------- L31-L33 regularization

def test_regularization_numbers_and_effects(data_root):
    res = regularization.run(**_small("regularization", data_root))
    final = res.numbers["final"]
    assert list(final) == list(regularization.METHODS)
    assert res.numbers["epochs_measured"] == [0, 2, 4, 6]
    for f in final.values():
        assert 0 <= f["train_accuracy"] <= 1 and 0 <= f["test_accuracy"] <= 1
        assert f["gap"] == pytest.approx(f["train_accuracy"] - f["test_accuracy"])
        assert f["test_loss_min"] <= f["test_loss"]
    assert final["l2"]["sum_w2"] < 0.7 * final["none"]["sum_w2"]            # L2 shrinks the weights
    assert final["l1"]["zero_fraction"] > final["none"]["zero_fraction"]    # L1 zeros them
    assert final["dropout"]["sum_w2"] != final["none"]["sum_w2"]


def test_regularization_same_start_for_every_method(data_root):
    # with no strength at all, L2 and L1 runs are the unregularized run, step for step
    res = regularization.run(**{**_small("regularization", data_root), "l2": 0.0, "l1": 0.0})
    f = res.numbers["final"]
    for m in ("l2", "l1"):
        assert f[m]["test_loss"] == f["none"]["test_loss"]
        assert f[m]["sum_w2"] == f["none"]["sum_w2"]


def test_experiments_training_divergence_is_a_param_error_naming_lr():
    with pytest.raises(ParamError, match="lr: training diverged with lr = 0.5") as info:
        with _training.diverged_as_param_error(0.5):
            raise FloatingPointError("the loss is nan")
    assert isinstance(info.value.__cause__, FloatingPointError)
    with _training.diverged_as_param_error(0.5):               # nothing to convert: nothing raised
        pass


def test_regularization_weight_decay_step_that_overshoots_is_refused():
    # W <- (1 - lr lambda/m) W with lr lambda/m = 0.1 * 1e4 / 100 = 10: |1 - 10| > 1 grows without bound
    with pytest.raises(ParamError, match="l2: lr \\* l2 / batch_size = 10"):
        regularization.run(data="digits", l2=1e4, lr=0.1)


def test_regularization_digits_overfits_the_training_set():
    res = regularization.run(data="digits", hidden=(64,), epochs=60, eval_every=20, n_train=150,
                             batch_size=25, n_test=300, l2=1.0, l1=0.1, lr=0.1, seeds=1)
    none = res.numbers["final"]["none"]
    assert none["train_accuracy"] >= 0.99 and none["gap"] > 0.02


# ----------------------------------------------------------------------------- L34 batch norm

def test_batch_norm_numbers_have_the_expected_shape(data_root):
    res = batch_norm.run(**_small("batch-norm", data_root))
    runs = res.numbers["runs"]
    assert list(runs) == ["xavier", "he"]
    for init in runs.values():
        for key in ("plain", "batch_norm"):
            r = init[key]
            assert len(r["iterations_to_target"]) == len(r["seconds_to_target"]) == 2
            assert all(n is None or n in (0, 10, 20, 30) for n in r["iterations_to_target"])
            assert all(0 <= a <= 1 for a in r["final_accuracy"])
            assert r["seconds_per_iteration"] > 0
            if r["mean_iterations"] is not None:
                assert r["mean_iterations"] == pytest.approx(np.mean(r["iterations_to_target"]))


def test_batch_norm_converges_faster_from_xavier_weights():
    res = batch_norm.run(data="digits", inits=("xavier",), depth=5, width=32, iterations=150, eval_every=10,
                         seeds=2, n_train=1000, n_test=300, target=0.6, lr=0.05)
    r = res.numbers["runs"]["xavier"]
    bn, plain = r["batch_norm"]["iterations_to_target"], r["plain"]["iterations_to_target"]
    assert all(n is not None for n in bn)
    assert all(p is None or p > b for p, b in zip(plain, bn, strict=True))


# ----------------------------------------------------------------------------- L37 hyper-parameter search

def test_hyperparameter_search_log_uniform_draws():
    v = hyperparameter_search.sample_log_uniform(np.random.default_rng(0), 1e-3, 1e2, 20_000)
    assert v.min() >= 1e-3 and v.max() <= 1e2
    counts = np.histogram(np.log10(v), bins=5, range=(-3, 2))[0]      # one bin per decade
    assert np.all(np.abs(counts / len(v) - 0.2) < 0.02)               # every decade equally likely
    assert np.all(hyperparameter_search.sample_log_uniform(np.random.default_rng(0), 0.5, 0.5, 3) == 0.5)
    with pytest.raises(ValueError, match="low"):
        hyperparameter_search.sample_log_uniform(np.random.default_rng(0), 0.0, 1.0, 3)


def test_hyperparameter_search_picks_the_best_validation_score(data_root):
    res = hyperparameter_search.run(**_small("hyperparameter-search", data_root))
    n = res.numbers
    assert len(n["trials"]) == 5 and n["n_diverged"] == 0
    assert n["n_val"] == math.ceil(0.2 * 300) and n["n_train"] == 300 - n["n_val"] and n["n_test"] == 100
    for tr in n["trials"]:
        assert 1e-3 <= tr["lr"] <= 1.0 and 1e-3 <= tr["l2"] <= 100.0
        assert 0 <= tr["val_accuracy"] <= 1
    scores = [tr["val_accuracy"] for tr in n["trials"]]
    assert n["best"]["trial"] == int(np.argmax(scores))
    assert n["best"]["val_accuracy"] == max(scores)
    assert n["best"]["lr"] == n["trials"][n["best"]["trial"]]["lr"]
    assert 0 <= n["test_accuracy"] <= 1


def test_hyperparameter_search_test_set_does_not_influence_the_choice():
    # a different test set changes only the final test number, never the trials or the choice
    small = {"trials": 4, "epochs": 2, "widths": (16,), "n_train": 300, "data": "digits"}
    a = hyperparameter_search.run(**small, n_test=40).numbers
    b = hyperparameter_search.run(**small, n_test=200).numbers
    assert a["trials"] == b["trials"] and a["best"] == b["best"]
    assert a["n_test"] == 40 and b["n_test"] == 200


def test_hyperparameter_search_diverged_trials_are_recorded_not_chosen():
    # lr = 1 and lambda up to 1e3 with m = 10: lr lambda/m > 2 makes the decay step overshoot
    res = hyperparameter_search.run(trials=6, epochs=2, widths=(16,), n_train=300, n_test=50, data="digits",
                                    lr_range=(1.0, 1.0), l2_range=(1e-3, 1e3), batch_size=10)
    n = res.numbers
    failed = [tr for tr in n["trials"] if tr["val_accuracy"] is None]
    assert n["n_diverged"] == len(failed) >= 1
    assert all(tr["l2"] * 1.0 / 10 > 2 for tr in failed)
    assert n["trials"][n["best"]["trial"]]["val_accuracy"] is not None


def test_hyperparameter_search_all_diverged_is_a_param_error():
    with pytest.raises(ParamError, match="lr_range"):
        hyperparameter_search.run(trials=2, epochs=2, widths=(16,), n_train=300, n_test=50, data="digits",
                                  lr_range=(1.0, 1.0), l2_range=(1e3, 1e3), batch_size=10)


# ----------------------------------------------------------------------------- L38 conv

def test_conv_neighbour_correlation_of_noise_blobs_and_checkerboards():
    noise = np.random.default_rng(0).standard_normal((2000, 1, 5, 5))
    # centring makes distinct entries of white noise correlate by -1/(n-1) = -1/24, not 0
    assert abs(conv.neighbour_correlation(noise) + 1 / 24) < 0.015
    u = np.arange(5) - 2.0
    blob = np.exp(-(u[:, None] ** 2 + u[None, :] ** 2) / 4.0)[None, None]   # smooth: neighbours alike
    assert conv.neighbour_correlation(blob) > 0.5
    checker = np.where((u[:, None] + u[None, :]) % 2 == 0, 1.0, -1.0)[None, None]
    assert conv.neighbour_correlation(checker) < -0.9                       # neighbours opposite


def test_conv_init_parsing():
    assert conv._parse_init("he") == "he"
    assert conv._parse_init("0.01") == 0.01
    with pytest.raises(ParamError, match="init"):
        conv._parse_init("0")


def test_conv_filters_become_smooth_and_maps_have_the_conv_shape(data_root):
    res = conv.run(filters=8, epochs=2, n_train=1000, n_test=100, root=str(data_root))
    n = res.numbers
    assert n["filter_shape"] == [8, 1, 5, 5]
    assert n["feature_map_shape"] == [8, 24, 24]                 # 28 - 5 + 1
    assert n["neighbour_correlation_after"] > n["neighbour_correlation_before"] + 0.15
    assert n["filter_relative_change"] > 0.5                      # from N(0, 0.01^2): mostly learned
    assert n["test_accuracy"] > n["test_accuracy_before"] + 0.2
    assert 0 < n["active_fraction"] < 1
    assert 0 <= n["digit_label"] <= 9 and 0 <= n["digit_prediction"] <= 9


def test_conv_digits_with_a_small_kernel():
    res = conv.run(data="digits", kernel_size=3, filters=4, epochs=1, n_train=200, n_test=50)
    assert res.numbers["filter_shape"] == [4, 1, 3, 3]
    assert res.numbers["feature_map_shape"] == [4, 6, 6]          # 8 - 3 + 1
