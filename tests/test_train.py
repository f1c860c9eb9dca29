"""The training loop (L36, L37): fit, evaluate, predict and History (Ctrl-C and the NaN guard:
test_train_stopping.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_digits

import abcdl
from _train_helpers import Recorder, _blobs, _frozen, _id_data, _mlp
from abcdl.callbacks import Callback
from abcdl.layers import Dropout, Linear, ReLU
from abcdl.losses import MSELoss, SigmoidBCELoss, SoftmaxCrossEntropyLoss
from abcdl.models import Sequential
from abcdl.optim import SGD, Adam
from abcdl.regularizers import L2
from abcdl.train import History, TrainingDiverged, accuracy, evaluate, fit, predict, train_step


# -- learning ------------------------------------------------------------------
def test_train_fit_learns_blobs():
    X, t = _blobs()
    model = _mlp()
    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=20,
            batch_size=32, validation_split=0.2, verbose=0)
    assert h.history["accuracy"][-1] > 0.97
    assert h.history["val_accuracy"][-1] > 0.97
    assert h.history["loss"][-1] < h.history["loss"][0] / 5


def test_train_fit_learns_digits():
    digits = load_digits()
    X = (digits.data / 16.0).astype(np.float32)
    t = digits.target
    model = Sequential(Linear(64, 64), ReLU(), Linear(64, 10))
    h = fit(model, SoftmaxCrossEntropyLoss(), Adam(model.parameters(), lr=3e-3), (X[:1200], t[:1200]),
            epochs=15, batch_size=32, validation_split=0.1, verbose=0)
    test_loss, test_acc = evaluate(model, SoftmaxCrossEntropyLoss(), (X[1200:], t[1200:]))
    assert h.history["val_accuracy"][-1] > 0.9
    assert test_acc > 0.9, f"digits test accuracy {test_acc:.3f}"
    assert test_loss < 0.4


def test_train_sigmoid_bce_reports_binary_accuracy():
    X, t = _blobs(k=2)
    model = _mlp(k=1)
    h = fit(model, SigmoidBCELoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=10, batch_size=20,
            verbose=0)
    assert h.history["accuracy"][-1] > 0.97
    logits = predict(model, X)
    assert logits.shape == (len(X), 1)
    assert evaluate(model, SigmoidBCELoss(), (X, t))[1] == accuracy(logits, t)


def test_train_mse_has_no_accuracy_and_learns():
    g = np.random.default_rng(0)
    X = g.normal(size=(200, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5]) + 0.3).astype(np.float32)[:, None]
    model = Sequential(Linear(3, 1))
    h = fit(model, MSELoss(), SGD(model.parameters(), lr=0.05), (X, y), epochs=30, batch_size=20,
            validation=(X[:50], y[:50]), verbose=0)
    assert set(h.history) == {"loss", "val_loss", "lr"}
    assert h.history["loss"][-1] < 1e-3
    assert evaluate(model, MSELoss(), (X, y))[1] is None


# -- History -------------------------------------------------------------------
@pytest.mark.parametrize("validate", [False, True])
def test_train_history_keys_and_lengths(validate):
    X, t = _blobs(m=100)
    model = _mlp()
    opt = SGD(model.parameters(), lr=0.05)
    kw = {"validation": _blobs(m=30, seed=1)} if validate else {}
    h = fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=4, batch_size=16, verbose=0, **kw)
    keys = ["loss", "accuracy"] + (["val_loss", "val_accuracy"] if validate else []) + ["lr"]
    assert list(h.history) == keys
    assert all(len(v) == 4 for v in h.history.values())
    assert h.epoch == [0, 1, 2, 3] and len(h) == 4
    assert h.lr == [0.05] * 4
    assert h.params == {"epochs": 4, "batch_size": 16, "steps": 7, "samples": 100}
    assert not h.interrupted and h.stopped_at is None
    assert json.loads(json.dumps(h.to_dict()))["loss"] == h.history["loss"]


def test_train_epoch_loss_is_the_size_weighted_mean_of_batch_losses():
    X, t = _blobs(m=50)
    model = _mlp()
    seen = []

    class Batches(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((logs["loss"], logs["size"]))

    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=1,
            batch_size=16, callbacks=[Batches()], verbose=0)
    assert [s for _, s in seen] == [16, 16, 16, 2]
    expected = sum(loss * s for loss, s in seen) / 50           # sum_B m_B J(B) / m
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_train_zero_epochs_returns_empty_history():
    X, t = _blobs(m=20)
    model = _mlp()
    before = model.state_dict()
    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=0, verbose=0)
    assert isinstance(h, History) and len(h) == 0 and h.history == {}
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


# -- batches and epochs ----------------------------------------------------------
def test_train_epochs_use_each_example_once_and_the_last_partial_batch():
    X, t = _id_data(103)
    model = Recorder(Linear(2, 3))
    fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X, t), epochs=3, batch_size=10, verbose=0)
    batches = model.train_batches
    assert len(batches) == 33                                     # ceil(103 / 10) = 11 per epoch
    assert [len(b) for b in batches[:11]] == [10] * 10 + [3]
    orders = []
    for e in range(3):
        ids = np.concatenate(batches[11 * e:11 * (e + 1)]).astype(int)
        np.testing.assert_array_equal(np.sort(ids), np.arange(103))   # a permutation: each example once
        orders.append(ids)
    assert not np.array_equal(orders[0], orders[1])               # a fresh order each epoch
    assert not np.array_equal(orders[0], np.arange(103))


def test_train_shuffle_false_keeps_order():
    X, t = _id_data(25)
    model = Recorder(Linear(2, 3))
    fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X, t), epochs=1, batch_size=10, shuffle=False,
        verbose=0)
    np.testing.assert_array_equal(np.concatenate(model.train_batches), np.arange(25))


def test_train_validation_split_holds_out_the_last_fraction():
    X, t = _id_data(50)
    model = Recorder(Linear(2, 3))
    h = fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X, t), epochs=2, batch_size=8,
            validation_split=0.2, verbose=0)
    trained = np.concatenate(model.train_batches).astype(int)
    validated = np.concatenate(model.eval_batches).astype(int)
    np.testing.assert_array_equal(np.sort(trained), np.repeat(np.arange(40), 2))    # first 80 %, twice
    np.testing.assert_array_equal(validated, np.tile(np.arange(40, 50), 2))         # last 20 %, each epoch
    assert h.params["samples"] == 40 and h.params["steps"] == 5
    # the recorded validation numbers are those of evaluate on the held-out rows
    loss, acc = evaluate(model.inner, SoftmaxCrossEntropyLoss(), (X[40:], t[40:]))
    assert h.history["val_loss"][-1] == pytest.approx(loss, rel=1e-6)
    assert h.history["val_accuracy"][-1] == acc


@pytest.mark.parametrize("kwargs", [
    {"validation_split": 0.0}, {"validation_split": 1.0}, {"validation_split": 0.001},
    {"validation_split": 0.2, "validation": (np.zeros((2, 2), np.float32), np.zeros(2, int))},
    {"epochs": -1}, {"batch_size": 0}, {"verbose": 3}, {"metrics": "f1"},
])
def test_train_fit_rejects_bad_arguments(kwargs):
    X, t = _id_data(20)
    model = Linear(2, 3)
    with pytest.raises(ValueError):
        fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X, t), **{"verbose": 0, **kwargs})


def test_train_fit_rejects_bad_types():
    X, t = _id_data(20)
    model = Linear(2, 3)
    opt = _frozen(model)
    with pytest.raises(TypeError, match="pair"):
        fit(model, SoftmaxCrossEntropyLoss(), opt, X, verbose=0)
    with pytest.raises(TypeError, match="Callback"):
        fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), callbacks=[print], verbose=0)
    with pytest.raises(TypeError, match="loss_fn"):
        fit(model, opt, SoftmaxCrossEntropyLoss(), (X, t), verbose=0)
    with pytest.raises(ValueError, match="20 examples but t has 19"):
        fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t[:19]), verbose=0)


def test_train_casts_inputs_once_to_the_model_dtype():
    X, t = _id_data(30)
    model = Recorder(Linear(2, 3))                                 # float32 weights
    fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X.astype(np.float64), t), epochs=1,
        batch_size=7, verbose=0)
    assert set(model.dtypes) == {np.dtype(np.float32)}


# -- modes ---------------------------------------------------------------------
@pytest.mark.parametrize("start_training", [True, False])
def test_train_modes_train_for_updates_eval_for_validation_and_restored(start_training):
    X, t = _id_data(30)
    inner = Sequential(Linear(2, 3), Dropout(0.5))
    model = Recorder(inner)
    model.train(start_training)
    fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X, t), epochs=2, batch_size=10,
        validation_split=0.2, verbose=0)
    assert len(model.train_batches) == 6 and len(model.eval_batches) == 2
    assert model.training is start_training and inner[1].training is start_training


def test_train_predict_and_evaluate_are_batched_in_eval_mode():
    X, t = _blobs(m=103)
    model = _mlp(p=0.5)
    model.train()
    full = predict(model, X, batch_size=1000)
    batched = predict(model, X, batch_size=10)
    assert full.shape == (103, 3) and full.dtype == np.float32
    np.testing.assert_allclose(batched, full, rtol=1e-6, atol=1e-6)   # no dropout: eval mode
    assert model.training                                              # restored
    loss, acc = evaluate(model, SoftmaxCrossEntropyLoss(), (X, t), batch_size=10)
    model.eval()
    assert loss == pytest.approx(SoftmaxCrossEntropyLoss().forward(model.forward(X), t), rel=1e-5)
    assert acc == accuracy(full, t)


def test_train_accuracy_forms():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [1.0, 0.0, 5.0], [4.0, 0.0, 1.0]])
    t = np.array([0, 1, 1, 0])
    assert accuracy(logits, t) == 0.75
    assert accuracy(logits, np.eye(3)[t]) == 0.75                   # one-hot targets
    z = np.array([2.0, -1.0, 0.5, -3.0])
    assert accuracy(z, np.array([1, 0, 0, 0])) == 0.75              # binary: z > 0
    assert accuracy(z[:, None], np.array([1.0, 0.0, 1.0, 0.0])) == 1.0
    assert accuracy(z, np.array([1, 0, 0, 0]), threshold=1.0) == 1.0
    with pytest.raises(ValueError, match="4 outputs but 3 targets"):
        accuracy(logits, t[:3])


# -- reproducibility -------------------------------------------------------------
def _seeded_run(seed):
    abcdl.seed(seed)
    X, t = _blobs(m=120)
    model = _mlp(p=0.3)
    h = fit(model, SoftmaxCrossEntropyLoss(), Adam(model.parameters(), lr=1e-2), (X, t), epochs=3,
            batch_size=16, validation_split=0.25, verbose=0)
    return model.state_dict(), h.history


def test_train_seeded_run_is_bit_identical():
    s1, h1 = _seeded_run(0)
    s2, h2 = _seeded_run(0)
    assert h1 == h2
    for k in s1:
        np.testing.assert_array_equal(s1[k], s2[k])
    s3, h3 = _seeded_run(1)
    assert h3 != h1
    assert not np.array_equal(s3["layers.0.W"], s1["layers.0.W"])


def test_train_rng_argument_controls_the_shuffling():
    X, t = _id_data(40)
    orders = []
    for _ in range(2):
        model = Recorder(Linear(2, 3))
        fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X, t), batch_size=40, rng=7, verbose=0)
        orders.append(model.train_batches[0])
    np.testing.assert_array_equal(orders[0], orders[1])
    np.testing.assert_array_equal(orders[0], np.random.default_rng(7).permutation(40))


# -- one step --------------------------------------------------------------------
def test_train_step_is_the_slide_written_out():
    X, t = _blobs(m=24, dtype=np.float64)
    abcdl.seed(3)
    a = Sequential(Linear(4, 8, dtype=np.float64), ReLU(), Linear(8, 3, dtype=np.float64))
    abcdl.seed(3)
    b = Sequential(Linear(4, 8, dtype=np.float64), ReLU(), Linear(8, 3, dtype=np.float64))
    loss_fn, reg = SoftmaxCrossEntropyLoss(), L2(0.3)
    for p in a.parameters():
        p.grad += 1.0                                             # stale gradients: train_step zeroes them
    J, Y = train_step(a, loss_fn, Adam(a.parameters(), lr=0.01), X, t, regularizer=reg)
    opt = Adam(b.parameters(), lr=0.01)
    b.zero_grad()                                                 # the slide, line by line
    Yb = b.forward(X)
    Jb = loss_fn.forward(Yb, t) + reg.penalty(b, 24)
    b.backward(loss_fn.backward())
    reg.backward(b, 24)
    opt.step()
    assert J == Jb
    np.testing.assert_array_equal(Y, Yb)
    for (k, va), vb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        np.testing.assert_array_equal(va, vb, err_msg=k)


def test_train_step_refuses_a_non_finite_loss_before_updating():
    class HugePenalty:
        def penalty(self, model, m):
            return float("inf")

    X, t = _blobs(m=8)
    model = _mlp()
    before = model.state_dict()
    with pytest.raises(TrainingDiverged, match="the loss is inf") as info:
        train_step(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, t, HugePenalty())
    assert info.value.loss == float("inf") and info.value.epoch is None
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


# -- regularizer -----------------------------------------------------------------
def test_train_regularizer_penalty_is_in_the_reported_loss():
    X, t = _blobs(m=40)
    model = _mlp()
    reg = L2(0.5)
    loss_fn = SoftmaxCrossEntropyLoss()
    h = fit(model, loss_fn, _frozen(model), (X, t), batch_size=40, regularizer=reg, verbose=0)
    j0 = loss_fn.forward(model.forward(X), t)
    penalty = reg.penalty(model, 40)                               # (lambda / 2m) sum ||W||^2
    assert penalty > 0.01
    assert h.history["loss"][0] == pytest.approx(j0 + penalty, rel=1e-6)


def test_train_regularizer_gradient_is_applied():
    X, t = _blobs(m=40)
    abcdl.seed(3)
    a = _mlp()
    abcdl.seed(3)
    b = _mlp()
    loss_fn, reg = SoftmaxCrossEntropyLoss(), L2(2.0)
    fit(a, loss_fn, SGD(a.parameters(), lr=0.1), (X, t), batch_size=40, regularizer=reg, shuffle=False,
        verbose=0)
    opt = SGD(b.parameters(), lr=0.1)                              # the same step by hand
    opt.zero_grad()
    loss_fn.forward(b.forward(X), t)
    b.backward(loss_fn.backward())
    reg.backward(b, 40)                                            # dW += (lambda/m) W
    opt.step()
    sa, sb = a.state_dict(), b.state_dict()
    for k in sa:
        np.testing.assert_allclose(sa[k], sb[k], rtol=1e-6, atol=1e-7)


# -- output ----------------------------------------------------------------------
def test_train_verbose_2_prints_one_line_per_epoch(capsys):
    X, t = _blobs(m=50)
    model = _mlp()
    fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=3, batch_size=10,
        validation_split=0.2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines):
        assert line.startswith(f"Epoch {i + 1}/3 - loss: ")
        assert "accuracy: " in line and "val_loss: " in line and "val_accuracy: " in line


def test_train_verbose_1_draws_a_progress_bar_and_0_is_silent(capsys):
    X, t = _blobs(m=50)
    model = _mlp()
    opt = SGD(model.parameters(), lr=0.1)
    fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=2, batch_size=10, verbose=1)
    captured = capsys.readouterr()
    assert "Epoch 1/2" in captured.err and "Epoch 2/2" in captured.err and "5/5" in captured.err
    assert "loss: " in captured.err
    fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=2, batch_size=10, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
