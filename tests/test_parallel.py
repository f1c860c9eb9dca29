"""abcdl.parallel.DataParallel: a batch split across threads gives the whole batch's numbers (L36, L38)."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import threadpoolctl

import abcdl
from _helpers import sigint_after_first_epoch
from abcdl import parallel
from abcdl.cli import main
from abcdl.layers import (
    LSTM,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
)
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import Sequential, convnet, deep_convnet, mlp
from abcdl.module import Module
from abcdl.optim import Adam
from abcdl.parallel import DataParallel
from abcdl.regularizers import L2
from abcdl.train import fit


def _fast_conv_net() -> Sequential:
    """Multi-channel stride-1 convolutions (Conv2d's fast path) and a tiling pool (MaxPool2d's)."""
    return Sequential(Conv2d(1, 3, 3, padding=1, dtype=np.float64), ReLU(),
                      Conv2d(3, 4, 3, padding=1, dtype=np.float64), ReLU(), MaxPool2d(2), Flatten(),
                      Linear(4 * 5 * 5, 10, dtype=np.float64))


BUILDERS = {
    "mlp": (lambda: mlp(20, [16, 12], 10, dtype=np.float64), (20,)),
    "convnet": (lambda: convnet((1, 12, 12), 10, filters=4, kernel_size=3, hidden=8, dtype=np.float64),
                (1, 12, 12)),
    "fast-conv": (_fast_conv_net, (1, 10, 10)),
    "deep-convnet": (lambda: deep_convnet((1, 28, 28), 10, dtype=np.float64), (1, 28, 28)),
}


def _pair(name: str, workers: int = 2):
    """The same network twice from one seed: run as it is, and wrapped in DataParallel."""
    build, shape = BUILDERS[name]
    abcdl.seed(0)
    plain = build()
    abcdl.seed(0)
    return plain, DataParallel(build(), workers), shape


def _forward_backward(model, x, t, input_grad=True):
    loss_fn = SoftmaxCrossEntropyLoss()
    model.zero_grad()
    y = model.forward(x)
    loss = loss_fn.forward(y, t)
    dx = model.backward(loss_fn.backward(), input_grad=input_grad)
    return y, loss, dx, [p.grad.copy() for p in model.parameters()]


SPLITS = [(name, m, workers) for name in ("mlp", "convnet", "fast-conv")
          for m, workers in ((8, 2), (7, 3), (2, 4))] + [("deep-convnet", 8, 2)]   # m < workers: 2 parts


@pytest.mark.parametrize("name, m, workers", SPLITS)
def test_parallel_equals_the_whole_batch(name, m, workers):
    """Y, the loss, dX and every dJ/dW of the split batch are those of the whole batch (float64)."""
    plain, dp, shape = _pair(name, workers)
    plain.eval(), dp.eval()                                    # dropout off: the same function
    rng = np.random.default_rng(1)
    x, t = rng.random((m, *shape)), rng.integers(0, 10, m)
    y0, j0, dx0, g0 = _forward_backward(plain, x, t)
    y1, j1, dx1, g1 = _forward_backward(dp, x, t)
    np.testing.assert_allclose(y1, y0, rtol=1e-12, atol=1e-14)
    assert j1 == pytest.approx(j0, rel=1e-12)
    np.testing.assert_allclose(dx1, dx0, rtol=1e-10, atol=1e-15)
    for a, b in zip(g1, g0, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-15)


def test_parallel_skips_the_input_gradient_like_the_module():
    plain, dp, shape = _pair("fast-conv")
    x, t = np.random.default_rng(2).random((6, *shape)), np.arange(6)
    _, _, dx0, g0 = _forward_backward(plain, x, t, input_grad=False)
    _, _, dx1, g1 = _forward_backward(dp, x, t, input_grad=False)
    assert dx0 is None and dx1 is None
    for a, b in zip(g1, g0, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-15)


def test_parallel_training_follows_the_whole_batch_trajectory():
    """Five Adam steps: the weights (updated in place, read by the replicas) stay those of plain training."""
    plain, dp, shape = _pair("fast-conv")
    rng = np.random.default_rng(3)
    opts = [Adam(plain.parameters(), lr=1e-2), Adam(dp.parameters(), lr=1e-2)]
    for _ in range(5):
        x, t = rng.random((10, *shape)), rng.integers(0, 10, 10)
        for model, opt in zip((plain, dp), opts, strict=True):
            _forward_backward(model, x, t)
            opt.step()
    for p, q in zip(plain.parameters(), dp.parameters(), strict=True):
        np.testing.assert_allclose(q.data, p.data, rtol=1e-9, atol=1e-12)


def test_parallel_fit_matches_plain_fit():
    """abcdl.train.fit drives a DataParallel like any module (an L2 penalty finds its Ws by name): the
    same history and weights."""
    rng = np.random.default_rng(4)
    x, t = rng.random((60, 20)), rng.integers(0, 10, 60)
    results = []
    for wrap in (False, True):
        abcdl.seed(0)
        model = mlp(20, [16], 10, dropout=0.0, dtype=np.float64)
        runner = DataParallel(model, 2) if wrap else model
        hist = fit(runner, SoftmaxCrossEntropyLoss(), Adam(runner.parameters(), lr=1e-2), (x, t), epochs=3,
                   batch_size=16, validation_split=0.2, verbose=0, rng=5, regularizer=L2(0.1))
        results.append((hist.history, model.state_dict()))
    (h0, s0), (h1, s1) = results
    for key in ("loss", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(h1[key], h0[key], rtol=1e-9)
    for key in s0:
        np.testing.assert_allclose(s1[key], s0[key], rtol=1e-9, atol=1e-12)


def test_parallel_is_transparent_for_names_state_and_modes():
    model = mlp(20, [16], 10, dtype=np.float64)
    dp = DataParallel(model, 2)
    assert dp.parameters() == model.parameters()               # the very same Parameter objects
    assert list(dp.state_dict()) == list(model.state_dict())   # no "module." prefix
    dp.eval()
    assert not model.training
    dp.forward(np.zeros((4, 20)))
    assert all(not m.training for r in dp._replicas for _, m in r.named_modules())
    dp.train()
    dp.forward(np.zeros((4, 20)))
    assert all(m.training for r in dp._replicas for _, m in r.named_modules())
    assert "workers=2" in repr(dp) and "Linear(20, 16)" in repr(dp)


def test_parallel_saves_the_module_it_wraps(tmp_path):
    model = mlp(4, [3], 2, dtype=np.float64)
    abcdl.save(DataParallel(model, 2), tmp_path / "m.safetensors")
    loaded = abcdl.load(tmp_path / "m.safetensors")
    assert type(loaded) is type(model)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[key], value)


def test_parallel_replicas_share_weights_but_not_gradients():
    model = mlp(20, [16], 10, dtype=np.float64)
    dp = DataParallel(model, 3)
    for r in dp._replicas[1:]:
        for p, q in zip(model.parameters(), r.parameters(), strict=True):
            assert q.data is p.data
            assert q.grad is not p.grad


def test_parallel_reads_a_weight_the_user_rebinds():
    plain, dp, shape = _pair("mlp")
    for p, q in zip(plain.parameters(), dp.parameters(), strict=True):
        p.data = p.data * 0.5                                  # a new array, not an in-place change
        q.data = q.data * 0.5
    x = np.random.default_rng(5).random((6, *shape))
    np.testing.assert_allclose(dp.forward(x), plain.forward(x), rtol=1e-12)


def test_parallel_dropout_draws_other_masks_per_part_and_repeats_from_the_seed():
    def run():
        abcdl.seed(7)
        dp = DataParallel(Sequential(Dropout(0.5)), 2)
        return dp.forward(np.ones((8, 50)))

    y = run()
    assert not np.array_equal(y[:4] != 0, y[4:] != 0)        # the two parts do not share one mask
    np.testing.assert_array_equal(run(), y)                    # a seeded run repeats


@pytest.mark.parametrize("layer, what", [
    (lambda: BatchNorm1d(4), "BatchNorm1d at layers.1 normalises"),
    (lambda: Sequential(Flatten(), BatchNorm1d(4)), "BatchNorm1d at layers.1.layers.1"),
    (lambda: BatchNorm2d(4), "BatchNorm2d at layers.1"),
    (lambda: LSTM(4, 3, stateful=True), "LSTM at layers.1 is stateful"),
])
def test_parallel_refuses_layers_that_couple_the_examples(layer, what):
    with pytest.raises(ValueError, match=what):
        DataParallel(Sequential(Linear(4, 4), layer()), 2)


def test_parallel_with_one_worker_is_the_module_itself(monkeypatch):
    monkeypatch.setattr(parallel, "_blas_controller", lambda: None)    # threadpoolctl not needed
    model = Sequential(Linear(4, 4), BatchNorm1d(4))                   # nothing is split: allowed
    dp = DataParallel(model, 1)
    x = np.random.default_rng(0).random((5, 4)).astype(np.float32)
    np.testing.assert_array_equal(dp.forward(x), model.forward(x))
    assert dp._replicas == []


def test_parallel_without_threadpoolctl_says_what_to_install(monkeypatch):
    monkeypatch.setattr(parallel, "_blas_controller", lambda: None)
    with pytest.raises(ImportError, match=r'pip install "abcdl\[parallel\]"'):
        DataParallel(mlp(4, [3], 2), 2)


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_parallel_refuses_bad_worker_counts(workers):
    with pytest.raises(ValueError, match="workers must be a positive integer"):
        DataParallel(mlp(4, [3], 2), workers)


def test_parallel_wraps_only_modules():
    with pytest.raises(TypeError, match="wraps a Module, got list"):
        DataParallel([Linear(2, 2)], 2)


def test_parallel_checks_backward_calls():
    dp = DataParallel(mlp(4, [3], 2, dtype=np.float64), 2)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        dp.backward(np.zeros((4, 2)))
    dp.forward(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="dout for 4 examples, got shape"):
        dp.backward(np.zeros((3, 2)))


@pytest.mark.parametrize("x, error, message", [
    ([[0.0] * 4] * 4, TypeError, "splits an array along its first .batch. axis; got a list"),
    (np.float32(1.0), TypeError, "got a float32"),
    (np.array(1.0), ValueError, "needs a batch axis, got shape"),
])
def test_parallel_checks_its_input(x, error, message):
    with pytest.raises(error, match=message):
        DataParallel(mlp(4, [3], 2, dtype=np.float64), 2).forward(x)


def test_parallel_notices_a_module_changed_after_wrapping():
    model = Sequential(Linear(4, 4))
    dp = DataParallel(model, 2)
    model.append(Linear(4, 2))
    with pytest.raises(RuntimeError, match="wrap the finished model"):
        dp.forward(np.zeros((4, 4), dtype=np.float32))


class _FailsOnSmallParts(Module):
    def forward(self, x):
        if len(x) < 3:
            raise ValueError("part too small")
        return x

    def backward(self, dout, input_grad=True):
        return dout


def test_parallel_passes_a_worker_error_on_and_keeps_working():
    dp = DataParallel(_FailsOnSmallParts(), 2)
    with pytest.raises(ValueError, match="part too small"):
        dp.forward(np.zeros((5, 2)))                           # parts of 3 and 2: the worker's fails
    np.testing.assert_array_equal(dp.forward(np.ones((6, 2))), np.ones((6, 2)))


def test_parallel_runs_the_parts_in_threads_with_one_blas_thread_each():
    seen = []

    class Spy(Module):
        def forward(self, x):
            info = threadpoolctl.threadpool_info()
            seen.append((threading.current_thread().name,
                         {i["num_threads"] for i in info if i["user_api"] == "blas"}))
            return x

    before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    interval = sys.getswitchinterval()
    dp = DataParallel(Spy(), 2)
    dp.forward(np.zeros((4, 1)))
    assert sys.getswitchinterval() == interval                 # the GIL's switch interval too
    assert len({name for name, _ in seen}) == 2                # the main thread and one worker
    assert all(threads <= {1} for _, threads in seen)
    assert [i["num_threads"] for i in threadpoolctl.threadpool_info()] == before   # restored
    dp.close()
    dp.forward(np.zeros((4, 1)))                               # a closed pool starts again


def test_parallel_workers_use_the_one_thread_chunk_size():
    from abcdl.layers import _conv_fast

    seen = []

    class Spy(Module):
        def forward(self, x):
            seen.append(_conv_fast._chunk(1, 1, 1, 10**9))     # images per chunk = bytes per chunk here
            return x

    dp = DataParallel(Spy(), 2)
    dp.forward(np.zeros((4, 1)))
    assert seen == [_conv_fast.CHUNK_BYTES_ONE_THREAD] * 2
    assert _conv_fast._chunk(1, 1, 1, 10**9) == _conv_fast.CHUNK_BYTES      # restored in this thread
    with _conv_fast.chunk_size(1000):
        assert _conv_fast._chunk(1, 1, 1, 10**9) == 1000
    assert _conv_fast._chunk(1, 1, 1, 10**9) == _conv_fast.CHUNK_BYTES


def test_parallel_default_workers_are_the_available_cores():
    assert parallel.default_workers() >= 1
    assert DataParallel(mlp(4, [3], 2)).workers == parallel.default_workers()


# -- abcdl train --workers ------------------------------------------------------------------
QUICK = ["--dataset", "digits", "--hidden", "32", "--dropout", "0", "--batch-size", "32", "--lr", "0.01",
         "--verbose", "0", "--epochs", "2"]


def test_cli_train_workers_gives_the_single_worker_result(tmp_path):
    """Without dropout the split batches follow the same trajectory: the same test accuracy."""
    import json

    acc = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        assert main(["train", *QUICK, "--workers", workers, "--out", str(out)]) == 0
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["config"]["workers"] == int(workers)
        acc[workers] = metrics["test"]["accuracy"]
    assert acc["2"] == pytest.approx(acc["1"], abs=1 / 360)   # float32 sums in another order: one image


@pytest.mark.parametrize("extra, message", [
    (["--batch-norm"], "--workers 2 cannot be used with --batch-norm"),
    (["--model", "lstm"], "--workers applies to the image models"),
])
def test_cli_train_workers_refuses_what_cannot_be_split(tmp_path, capsys, extra, message):
    assert main(["train", *QUICK, "--workers", "2", *extra, "--out", str(tmp_path / "r")]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("value, message", [
    ("0", "expected an integer in [1, 64], got '0'"),
    ("65", "expected an integer in [1, 64], got '65'"),
    ("two", "expected a positive integer, got 'two'"),
])
def test_cli_train_workers_must_be_a_small_positive_integer(tmp_path, capsys, value, message):
    with pytest.raises(SystemExit) as exc:
        main(["train", *QUICK, "--workers", value, "--out", str(tmp_path / "r")])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_train_workers_without_threadpoolctl(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)    # import threadpoolctl -> ImportError
    assert main(["train", *QUICK, "--workers", "2", "--out", str(tmp_path / "r")]) == 2
    assert 'pip install "abcdl[parallel]"' in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_cli_train_workers_ctrl_c_still_tests_and_saves(tmp_path):
    """A real SIGINT while two worker threads train: the run folder is complete, exit status 130."""
    import json

    out = tmp_path / "run"
    returncode, stdout, stderr = sigint_after_first_epoch(
        ["train", "--dataset", "digits", "--model", "convnet", "--epochs", "10000", "--workers", "2",
         "--verbose", "2", "--out", str(out)])
    assert returncode == 130, stderr
    assert "Traceback" not in stderr and "test accuracy" in stdout
    m = json.loads((out / "metrics.json").read_text())
    assert m["interrupted"] is True and m["epochs_completed"] >= 1 and m["config"]["workers"] == 2
    assert {p.name for p in out.iterdir()} >= {"model.safetensors", "metrics.json"}
