"""Stopping a training run (L36): Ctrl-C keeps what it had, a NaN or Inf loss raises TrainingDiverged."""

from __future__ import annotations

import os
import signal

import numpy as np
import pytest

from _train_helpers import Recorder, _blobs, _frozen, _id_data, _mlp
from abcdl.callbacks import Callback
from abcdl.layers import Linear
from abcdl.losses import MSELoss, SoftmaxCrossEntropyLoss
from abcdl.optim import SGD
from abcdl.train import TrainingDiverged, fit


# -- Ctrl-C --------------------------------------------------------------------
class _InterruptAt(Callback):
    """Interrupts at (epoch, batch) by raising KeyboardInterrupt or by sending SIGINT."""

    def __init__(self, epoch, batch, how="raise", times=1):
        self.at, self.how, self.times = (epoch, batch), how, times
        self.epoch = None
        self.weights = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) != self.at:
            return
        self.weights = self.model.state_dict()
        if self.how == "raise":
            raise KeyboardInterrupt
        for _ in range(self.times):
            os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.parametrize("how", ["raise", "sigint"])
def test_train_ctrl_c_returns_history_so_far_and_keeps_the_model(how):
    X, t = _blobs(m=100)
    model = _mlp()
    stopper = _InterruptAt(1, 2, how)
    handler_before = signal.getsignal(signal.SIGINT)
    h = fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=5,
            batch_size=10, validation_split=0.1, callbacks=[stopper], verbose=0)
    assert h.interrupted and h.stopped_at == (1, 2)
    assert h.epoch == [0] and len(h.history["loss"]) == 1        # the completed epoch only
    after = model.state_dict()
    for k, v in stopper.weights.items():                          # the model as it was, not reverted
        np.testing.assert_array_equal(after[k], v)
    assert model.training
    assert signal.getsignal(signal.SIGINT) is handler_before      # handler restored


def test_train_ctrl_c_at_the_end_of_an_epoch_starts_no_new_batch():
    class SigintAtEpochEnd(Callback):
        def on_epoch_end(self, epoch, logs=None):
            os.kill(os.getpid(), signal.SIGINT)

    X, t = _id_data(30)
    model = Recorder(Linear(2, 3))
    h = fit(model, SoftmaxCrossEntropyLoss(), _frozen(model), (X, t), epochs=3, batch_size=10,
            callbacks=[SigintAtEpochEnd()], verbose=0)
    assert h.interrupted and h.stopped_at == (0, 2) and h.epoch == [0]
    assert len(model.train_batches) == 3


def test_train_second_ctrl_c_aborts_at_once():
    X, t = _blobs(m=100)
    model = _mlp()
    handler_before = signal.getsignal(signal.SIGINT)
    model.eval()
    with pytest.raises(KeyboardInterrupt):
        fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=5,
            batch_size=10, callbacks=[_InterruptAt(0, 3, "sigint", times=2)], verbose=0)
    assert signal.getsignal(signal.SIGINT) is handler_before
    assert not model.training


def test_train_ctrl_c_message_when_verbose(capsys):
    X, t = _blobs(m=40)
    model = _mlp()
    fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), epochs=2, batch_size=10,
        callbacks=[_InterruptAt(0, 1, "sigint")], verbose=2)
    err = capsys.readouterr().err
    assert "stopping after this batch" in err
    assert "interrupted at epoch 1, step 2" in err


# -- divergence ------------------------------------------------------------------
def test_train_nan_guard_names_epoch_and_step():
    X, t = _blobs(m=64)
    model = _mlp()
    opt = SGD(model.parameters(), lr=1e4)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged) as info:
        fit(model, MSELoss(), opt, (X, np.eye(3, dtype=np.float32)[t]), epochs=50, batch_size=8, verbose=0)
    err = info.value
    assert isinstance(err, FloatingPointError)
    msg = str(err)
    assert f"epoch {err.epoch}/50, step {err.step}/8" in msg
    assert "smaller learning rate" in msg and "lr=10000" in msg
    assert err.epoch >= 1 and 1 <= err.step <= 8
    assert len(err.history) == err.epoch - 1
    assert isinstance(err.__cause__, FloatingPointError)


def test_train_nan_guard_catches_a_non_finite_penalty():
    class InfPenalty:
        def penalty(self, model, m):
            return float("inf")

        def backward(self, model, m):
            raise AssertionError("backward must not run after a non-finite loss")

    X, t = _blobs(m=20)
    model = _mlp()
    before = model.state_dict()
    with pytest.raises(TrainingDiverged, match="epoch 1/1, step 1/2"):
        fit(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), (X, t), batch_size=10,
            regularizer=InfPenalty(), verbose=0)
    for k, v in model.state_dict().items():                        # no update with a bad gradient
        np.testing.assert_array_equal(before[k], v)
