"""Callbacks (L27, L37): the hook order, progress, early stopping, checkpoints, learning-rate schedules."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

import abcdl
from abcdl.callbacks import (
    Callback,
    EarlyStopping,
    EpochLogger,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
)
from abcdl.layers import Linear, ReLU
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import Sequential
from abcdl.optim import SGD, CosineAnnealingLR, StepLR
from abcdl.train import fit


def _blobs(m=120, k=3, d=4, seed=0):
    g = np.random.default_rng(seed)
    centers = g.normal(0, 4, (k, d))
    t = g.integers(0, k, m)
    return (centers[t] + g.normal(0, 0.5, (m, d))).astype(np.float32), t


def _mlp(d=4, k=3, hidden=16):
    return Sequential(Linear(d, hidden), ReLU(), Linear(hidden, k))


class Snapshots(Callback):
    """Keeps a copy of the weights at the end of every epoch (runs before the callbacks after it)."""

    def on_train_begin(self, logs=None):
        self.states = []

    def on_epoch_end(self, epoch, logs=None):
        self.states.append(self.model.state_dict())


def _assert_state_equal(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


# -- the protocol ----------------------------------------------------------------
def test_callbacks_hooks_are_called_in_order_with_context():
    events = []

    class Log(Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", self.model is model, self.optimizer is opt))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch))

        def on_batch_end(self, batch, logs=None):
            events.append(("batch_end", batch, logs["size"]))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            events.append(("train_end", self.history.epoch))

    X, t = _blobs(m=25)
    model = _mlp()
    opt = SGD(model.parameters(), lr=0.1)
    fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=2, batch_size=10, callbacks=[Log()], verbose=0)
    keys = ["accuracy", "loss", "lr"]
    epoch = [("batch_end", 0, 10), ("batch_end", 1, 10), ("batch_end", 2, 5)]
    assert events == [("train_begin", True, True),
                      ("epoch_begin", 0), *epoch, ("epoch_end", 0, keys),
                      ("epoch_begin", 1), *epoch, ("epoch_end", 1, keys),
                      ("train_end", [0, 1])]


@pytest.mark.parametrize("where", ["batch", "epoch"])
def test_callbacks_stop_training_flag(where):
    class Stop(Callback):
        def on_batch_end(self, batch, logs=None):
            if where == "batch" and batch == 1:
                self.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            if where == "epoch" and epoch == 1:
                self.stop_training = True

    X, t = _blobs(m=50)
    model = _mlp()
    stop = Stop()
    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=6,
            batch_size=10, callbacks=[stop], verbose=0)
    assert len(h) == (1 if where == "batch" else 2)
    assert not h.interrupted
    # a reused callback starts again with the flag down
    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=1,
            batch_size=10, callbacks=[stop], verbose=0)
    assert len(h) == 1


# -- EarlyStopping -----------------------------------------------------------------
def _feed(cb, values, key="val_loss"):
    """Drive a callback by hand with one logged value per epoch; returns the epoch it stopped at."""
    cb.set_context(Linear(2, 2), None, None)
    cb.on_train_begin()
    for epoch, v in enumerate(values):
        cb.on_epoch_end(epoch, {key: v})
        if cb.stop_training:
            return epoch
    return None


@pytest.mark.parametrize("values, patience, min_delta, stop_at, best_epoch", [
    ([1.0, 0.5, 0.6, 0.7, 0.4], 2, 0.0, 3, 1),       # two epochs without improvement after epoch 1
    ([1.0, 0.5, 0.6, 0.4, 0.45, 0.3], 2, 0.0, None, 5),
    ([1.0, 0.95, 0.91, 0.89], 2, 0.1, 2, 0),           # changes under min_delta do not count
    ([1.0, 1.1], 0, 0.0, 1, 0),
    ([1.0, math.nan, math.nan], 2, 0.0, 2, 0),         # NaN is never an improvement
])
def test_callbacks_early_stopping_patience(values, patience, min_delta, stop_at, best_epoch):
    es = EarlyStopping(patience=patience, min_delta=min_delta)
    assert _feed(es, values) == stop_at
    assert es.stopped_epoch == stop_at and es.best_epoch == best_epoch


def test_callbacks_early_stopping_mode_auto_maximises_accuracy():
    es = EarlyStopping(monitor="val_accuracy", patience=1)
    assert es.mode == "max"
    assert _feed(es, [0.5, 0.7, 0.6], key="val_accuracy") == 2
    assert es.best == 0.7
    es = EarlyStopping(monitor="val_accuracy", patience=1, mode="min")
    assert _feed(es, [0.5, 0.7], key="val_accuracy") == 1


def test_callbacks_early_stopping_needs_its_monitor():
    X, t = _blobs(m=30)
    model = _mlp()
    with pytest.raises(KeyError, match="val_loss.*validation_split"):
        fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=2,
            callbacks=[EarlyStopping()], verbose=0)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="lowest")


def test_callbacks_early_stopping_restores_the_best_weights():
    # The validation labels are noise, so validation loss rises once the model fits
    # the training labels: the best epoch is early and training stops well before 40.
    X, t = _blobs(m=120)
    Xv, _ = _blobs(m=60, seed=1)
    tv = np.random.default_rng(5).integers(0, 3, 60)
    model = _mlp()
    snaps = Snapshots()
    es = EarlyStopping(patience=3)
    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=40,
            batch_size=16, validation=(Xv, tv), callbacks=[snaps, es], verbose=0)
    val = h.history["val_loss"]
    best = int(np.argmin(val))
    assert len(h) < 40 and es.stopped_epoch == len(h) - 1
    assert es.best_epoch == best and es.best == val[best]
    assert len(h) - 1 - best == 3                                  # stopped after `patience` bad epochs
    assert es.restored
    _assert_state_equal(model.state_dict(), snaps.states[best])    # the weights of the best epoch
    with pytest.raises(AssertionError):
        _assert_state_equal(model.state_dict(), snaps.states[-1])


def test_callbacks_early_stopping_without_restore_keeps_the_last_weights():
    X, t = _blobs(m=120)
    Xv, _ = _blobs(m=60, seed=1)
    tv = np.random.default_rng(5).integers(0, 3, 60)
    model = _mlp()
    snaps = Snapshots()
    es = EarlyStopping(patience=2, restore_best_weights=False)
    fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=40,
        batch_size=16, validation=(Xv, tv), callbacks=[snaps, es], verbose=0)
    assert es.stopped_epoch is not None and not es.restored
    _assert_state_equal(model.state_dict(), snaps.states[-1])


# -- ModelCheckpoint ---------------------------------------------------------------
def test_callbacks_model_checkpoint_writes_every_epoch(tmp_path):
    X, t = _blobs(m=40)
    model = _mlp()
    snaps = Snapshots()
    ckpt = ModelCheckpoint(tmp_path / "run" / "model-{epoch:02d}.abcdl")
    fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=3, batch_size=10,
        callbacks=[snaps, ckpt], verbose=0)
    expected = [str(tmp_path / "run" / f"model-{e:02d}.abcdl") for e in (1, 2, 3)]
    assert ckpt.saved == expected
    for path, state in zip(expected, snaps.states, strict=True):
        loaded = abcdl.load(path)
        _assert_state_equal(loaded.state_dict(), state)


def test_callbacks_model_checkpoint_best_only(tmp_path):
    X, t = _blobs(m=40)
    model = _mlp()
    ckpt = ModelCheckpoint(tmp_path / "best-{epoch}-{val_loss:.3f}.abcdl", save_best_only=True)
    assert ckpt.monitor == "val_loss"
    ckpt.set_context(model, None, None)
    ckpt.on_train_begin()
    for epoch, v in enumerate([0.9, 0.7, 0.8, 0.5, 0.6]):
        ckpt.on_epoch_end(epoch, {"loss": 1.0, "val_loss": v})
    names = [p.rsplit("/", 1)[-1] for p in ckpt.saved]
    assert names == ["best-1-0.900.abcdl", "best-2-0.700.abcdl", "best-4-0.500.abcdl"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_callbacks_model_checkpoint_plain_path_is_overwritten_and_bad_fields_are_named(tmp_path):
    model = _mlp()
    ckpt = ModelCheckpoint(tmp_path / "last.abcdl")
    ckpt.set_context(model, None, None)
    ckpt.on_train_begin()
    ckpt.on_epoch_end(0, {"loss": 1.0})
    ckpt.on_epoch_end(1, {"loss": 0.5})
    assert [p.name for p in tmp_path.iterdir()] == ["last.abcdl"] and len(ckpt.saved) == 2
    bad = ModelCheckpoint(tmp_path / "m-{val_acc}.abcdl")
    bad.set_context(model, None, None)
    with pytest.raises(ValueError, match="fields available: epoch, loss"):
        bad.on_epoch_end(0, {"loss": 1.0})


# -- LearningRateScheduler ------------------------------------------------------------
def test_callbacks_lr_scheduler_steps_a_schedule_each_epoch():
    X, t = _blobs(m=40)
    model = _mlp()
    opt = SGD(model.parameters(), lr=0.1)
    h = fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=5, batch_size=10,
            callbacks=[LearningRateScheduler(StepLR(opt, step_size=2, gamma=0.5))], verbose=0)
    np.testing.assert_allclose(h.lr, [0.1, 0.1, 0.05, 0.05, 0.025])   # lr_e = 0.1 * 0.5^floor(e/2)
    assert opt.lr == pytest.approx(0.025)                                # stepped after the last epoch too


def test_callbacks_lr_scheduler_cosine_matches_its_closed_form():
    X, t = _blobs(m=40)
    model = _mlp()
    opt = SGD(model.parameters(), lr=0.2)
    h = fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=4, batch_size=20,
            callbacks=[LearningRateScheduler(CosineAnnealingLR(opt, T_max=4))], verbose=0)
    expected = [0.1 * (1 + math.cos(math.pi * e / 4)) for e in range(4)]   # lr_e = (lr_0/2)(1 + cos(pi e/T))
    np.testing.assert_allclose(h.lr, expected, rtol=1e-12)


def test_callbacks_lr_scheduler_function_sets_lr_for_each_epoch():
    X, t = _blobs(m=40)
    model = _mlp()
    opt = SGD(model.parameters(), lr=0.1)
    seen = []

    class Probe(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(self.optimizer.lr)

    h = fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), epochs=3, batch_size=20,
            callbacks=[LearningRateScheduler(lambda e: 0.3 / (e + 1)), Probe()], verbose=0)
    np.testing.assert_allclose(h.lr, [0.3, 0.15, 0.1])
    np.testing.assert_allclose(seen, [0.3, 0.3, 0.15, 0.15, 0.1, 0.1])   # in force during the epoch


def test_callbacks_lr_scheduler_rejects_mismatches():
    X, t = _blobs(m=20)
    model = _mlp()
    opt = SGD(model.parameters(), lr=0.1)
    other = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), verbose=0,
            callbacks=[LearningRateScheduler(StepLR(other, step_size=1))])
    with pytest.raises(ValueError, match=r"schedule\(0\) returned"):
        fit(model, SoftmaxCrossEntropyLoss(), opt, (X, t), verbose=0,
            callbacks=[LearningRateScheduler(lambda e: float("nan"))])
    with pytest.raises(TypeError, match="schedule"):
        LearningRateScheduler(0.1)


# -- progress ----------------------------------------------------------------------
@pytest.mark.parametrize("leave", [True, False])
def test_callbacks_progress_bar_is_a_callback_of_its_own(leave, capsys):
    X, t = _blobs(m=50)
    model = _mlp()
    out = io.StringIO()
    bar = ProgressBar(leave=leave, file=out, refresh=0.0)
    postfixes = []

    class Watch(Callback):                                            # runs after the bar
        def on_batch_end(self, batch, logs=None):
            postfixes.append(bar.bar.postfix)

    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=2,
            batch_size=10, callbacks=[bar, Watch()], verbose=0)
    text = out.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert len(postfixes) == 10 and all("loss=" in p and "acc=" in p for p in postfixes)
    final = f"loss: {h.history['loss'][-1]:.4f}"                      # a kept bar ends with the epoch logs
    assert (final in text and "5/5" in text) if leave else final not in text
    assert bar.bar is None and capsys.readouterr().err == ""          # closed; nothing on stderr


def test_callbacks_progress_bar_running_loss_is_the_weighted_mean():
    X, t = _blobs(m=50)
    model = _mlp()
    bar = ProgressBar(file=io.StringIO())

    class Check(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.running = (bar.loss_sum / bar.seen, bar.acc_sum / bar.seen)

    check = Check()
    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=1,
            batch_size=16, callbacks=[check, bar], verbose=0)
    assert check.running == pytest.approx((h.history["loss"][0], h.history["accuracy"][0]), rel=1e-12)


def test_callbacks_epoch_logger_prints_one_line_per_epoch():
    X, t = _blobs(m=40)
    model = _mlp()
    out = io.StringIO()
    fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=3,
        batch_size=10, callbacks=[EpochLogger(file=out)], verbose=0)
    lines = out.getvalue().splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert all("accuracy: " in line and line.endswith("s") for line in lines)
