"""`abcdl train`: the run folder, metrics.json, figures, Ctrl-C, option and data errors (L35-L37)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import abcdl
from _helpers import one_cli_error, sigint_after_first_epoch
from abcdl.cli import main
from abcdl.data import load_digits
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.train import evaluate, predict

RUN_FILES = {"model.safetensors", "metrics.json", "curves.png", "confusion.png", "mistakes.png"}
# a small, fast network for the smoke runs
QUICK = ["--hidden", "32", "--dropout", "0", "--batch-size", "32", "--lr", "0.01", "--verbose", "0"]


pytestmark = pytest.mark.usefixtures("offline")   # no test here may reach the network (conftest.py)


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("digits") / "run"
    assert main(["train", "--dataset", "digits", "--epochs", "6", "--out", str(out), *QUICK]) == 0
    return out


def _one_error_line(err: str, command: str = "train") -> str:
    return one_cli_error(err, command)


def _png(path: Path) -> tuple[int, int]:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        return im.size


def test_cli_train_digits_writes_the_run_folder(digits_run):
    assert {p.name for p in digits_run.iterdir()} == RUN_FILES        # no temp files left behind
    for name in ("curves.png", "confusion.png", "mistakes.png"):
        w, h = _png(digits_run / name)
        assert w > 300 and h > 150


def test_cli_train_digits_metrics_json(digits_run):
    m = json.loads((digits_run / "metrics.json").read_text())
    assert m["abcdl_version"] == abcdl.__version__
    assert m["model_file"] == "model.safetensors"
    assert m["dataset"]["name"] == "digits" and m["dataset"]["image_shape"] == [8, 8]
    assert m["dataset"]["train"] + m["dataset"]["val"] == 1437 and m["dataset"]["test"] == 360
    assert m["dataset"]["val"] == 144                                  # ceil(0.1 * 1437)
    cfg = m["config"]
    assert cfg["model"] == "mlp" and cfg["hidden"] == [32] and cfg["optimizer"] == "adam"
    assert cfg["epochs"] == 6 and cfg["seed"] == 0 and cfg["schedule"] == "cosine"
    assert cfg["parameters"] == 64 * 32 + 32 + 32 * 10 + 10
    hist = m["history"]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert len(hist[key]) == 6, key
    assert hist["lr"][0] == pytest.approx(0.01) and hist["lr"][-1] < hist["lr"][0]     # cosine decay
    assert hist["loss"][-1] < hist["loss"][0]
    assert m["epochs_completed"] == 6 and m["interrupted"] is False
    test = m["test"]
    assert test["n"] == 360 and 0.85 < test["accuracy"] <= 1
    assert test["correct"] == round(test["accuracy"] * 360)
    C = np.array(test["confusion_matrix"])
    assert C.shape == (10, 10) and C.sum() == 360 and np.trace(C) == test["correct"]
    assert m["wall_time_s"]["train"] > 0 and m["wall_time_s"]["total"] >= m["wall_time_s"]["train"]
    assert set(m["files"]) == RUN_FILES


def test_cli_train_digits_model_reproduces_the_test_metrics(digits_run):
    m = json.loads((digits_run / "metrics.json").read_text())
    model = abcdl.load(digits_run / "model.safetensors")
    assert not model.training                                           # saved in eval mode
    _, (x_test, t_test) = load_digits()
    loss, acc = evaluate(model, SoftmaxCrossEntropyLoss(), (x_test, t_test))
    assert acc == m["test"]["accuracy"]
    assert loss == pytest.approx(m["test"]["loss"], rel=1e-5)


def test_cli_train_same_seed_same_run(digits_run, tmp_path):
    out = tmp_path / "again"
    assert main(["train", "--dataset", "digits", "--epochs", "6", "--out", str(out), *QUICK]) == 0
    a = json.loads((digits_run / "metrics.json").read_text())
    b = json.loads((out / "metrics.json").read_text())
    assert a["history"] == b["history"] and a["test"] == b["test"]


def test_cli_train_prints_progress_and_test_accuracy(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--dataset", "digits", "--epochs", "2", "--hidden", "16", "--verbose", "2",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "1,293 training / 144 validation / 360 test images" in text
    lines = text.splitlines()
    header = lines.index("epoch  train loss  train acc  val loss  val acc        lr     time")
    rows = [line.split() for line in lines[header + 1:header + 3]]
    assert [r[0] for r in rows] == ["1/2", "2/2"]
    m = json.loads((out / "metrics.json").read_text())
    assert rows[1][1] == f"{m['history']['loss'][1]:.4f}"
    assert rows[1][4] == f"{m['history']['val_accuracy'][1]:.2%}"
    assert "test accuracy: " in text and str(out) in text


def test_cli_train_mnist_subset(data_root, tmp_path):
    out = tmp_path / "mnist"
    assert main(["train", "--data-root", str(data_root), "--no-download", "--subset", "2000", "--epochs", "3",
                 "--out", str(out), *QUICK]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["dataset"]["name"] == "mnist" and m["dataset"]["subset"] == 2000
    assert m["dataset"]["train"] == 1800 and m["dataset"]["val"] == 200 and m["dataset"]["test"] == 10000
    assert m["config"]["parameters"] == 784 * 32 + 32 + 32 * 10 + 10
    assert m["test"]["accuracy"] > 0.8                                  # 1,800 images, 3 epochs
    assert {p.name for p in out.iterdir()} == RUN_FILES


@pytest.mark.parametrize("extra, expect, lrs", [
    (["--optimizer", "sgd", "--momentum", "0.9", "--schedule", "step", "--hidden", "none"],
     {"optimizer": "sgd", "momentum": 0.9, "hidden": [], "parameters": 650, "schedule": "step"}, [0.1, 0.01]),
    (["--optimizer", "adamw", "--weight-decay", "0.01", "--activation", "tanh", "--dropout", "0.3",
      "--lr", "0.003", "--schedule", "none"],
     {"weight_decay_kind": "decoupled", "activation": "tanh", "dropout": 0.3, "lr": 0.003}, [0.003, 0.003]),
    (["--optimizer", "rmsprop", "--weight-decay", "1e-4", "--batch-norm"],
     {"weight_decay_kind": "L2", "batch_norm": True, "parameters": 64 * 16 + 2 * 16 + 16 * 10 + 10}, None),
])
def test_cli_train_options(tmp_path, extra, expect, lrs):
    out = tmp_path / "run"
    args = ["train", "--dataset", "digits", "--epochs", "2", "--out", str(out), "--verbose", "0"]
    if "--hidden" not in extra:
        args += ["--hidden", "16"]
    assert main(args + extra) == 0
    m = json.loads((out / "metrics.json").read_text())
    for key, value in expect.items():
        assert m["config"][key] == value, key
    if lrs is not None:
        assert m["history"]["lr"] == pytest.approx(lrs)


def test_cli_train_refuses_a_non_empty_folder(digits_run, tmp_path, capsys):
    before = (digits_run / "model.safetensors").read_bytes()
    assert main(["train", "--dataset", "digits", "--out", str(digits_run), *QUICK]) == 2
    assert "not empty" in _one_error_line(capsys.readouterr().err)
    assert (digits_run / "model.safetensors").read_bytes() == before
    out = tmp_path / "forced"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["train", "--dataset", "digits", "--epochs", "1", "--out", str(out), "--force", *QUICK]) == 0
    assert {p.name for p in out.iterdir()} == RUN_FILES | {"notes.txt"}


def test_cli_train_default_folder_under_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--dataset", "digits", "--epochs", "1", *QUICK]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("digits-mlp-") and {p.name for p in run.iterdir()} == RUN_FILES


@pytest.mark.parametrize("bad, word", [
    (["--epochs", "0"], "--epochs"),
    (["--epochs", "many"], "--epochs"),
    (["--dataset", "cifar"], "--dataset"),
    (["--lr", "-1"], "--lr"),
    (["--val-split", "1.5"], "--val-split"),
    (["--hidden", "256,x"], "--hidden"),
    (["--dropout", "1"], "--dropout"),
    (["--verbose", "7"], "--verbose"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_cli_train_bad_option_value_is_one_line(tmp_path, capsys, bad, word):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--dataset", "digits", "--out", str(tmp_path / "x"), *bad])
    assert exc.value.code == 2
    assert word in _one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("bad, word", [
    (["--optimizer", "adam", "--momentum", "0.9"], "--momentum"),
    (["--model", "convnet", "--batch-norm"], "--batch-norm"),
    (["--subset", "1"], "val-split"),
    (["--model", "convnet", "--hidden", "10,10"], "--hidden"),
    (["--schedule", "cosine", "--step-size", "3"], "--step-size"),
])
def test_cli_train_inconsistent_options_are_one_line(tmp_path, capsys, bad, word):
    assert main(["train", "--dataset", "digits", "--out", str(tmp_path / "x"), "--verbose", "0", *bad]) == 2
    assert word in _one_error_line(capsys.readouterr().err)


def test_cli_train_ctrl_c_still_tests_and_saves(tmp_path, monkeypatch, capsys):
    """A KeyboardInterrupt inside fit (as from Ctrl-C) in epoch 3: two epochs are kept, tested and saved."""
    from abcdl.optim import Adam

    calls = {"n": 0}
    real_step = Adam.step

    def step(self):
        calls["n"] += 1
        if calls["n"] == 2 * 41 + 5:                    # ceil(1,293 examples / batch 32) = 41 steps per epoch
            raise KeyboardInterrupt
        return real_step(self)

    monkeypatch.setattr(Adam, "step", step)
    out = tmp_path / "run"
    assert main(["train", "--dataset", "digits", "--epochs", "50", "--out", str(out), *QUICK]) == 130
    m = json.loads((out / "metrics.json").read_text())
    assert m["interrupted"] is True and m["epochs_completed"] == 2 and len(m["history"]["loss"]) == 2
    assert m["test"]["n"] == 360
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert "interrupted" in capsys.readouterr().out


def test_cli_train_subprocess_sigint_and_errors(tmp_path):
    """`python -m abcdl`: a real SIGINT mid-training leaves a complete run folder; errors are one line."""
    env = {**os.environ, "ABCDL_MNIST_MIRRORS": "http://127.0.0.1:9/", "PYTHONUNBUFFERED": "1"}
    out = tmp_path / "run"
    returncode, stdout, stderr = sigint_after_first_epoch(
        ["train", "--dataset", "digits", "--epochs", "10000", "--hidden", "16", "--verbose", "2",
         "--out", str(out)], env)
    assert returncode == 130, stderr
    assert "Traceback" not in stderr and "test accuracy" in stdout
    m = json.loads((out / "metrics.json").read_text())
    assert m["interrupted"] is True and m["epochs_completed"] >= 1
    assert {p.name for p in out.iterdir()} == RUN_FILES

    bad = subprocess.run([sys.executable, "-m", "abcdl", "train", "--data-root", str(tmp_path / "none"),
                          "--no-download", "--out", str(tmp_path / "r2")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2
    first = bad.stderr.splitlines()[0]                  # a few short lines: what went wrong, then what to do
    assert first == "abcdl train: error: MNIST is not on this machine and downloading was turned off."
    assert "Traceback" not in bad.stderr and max(map(len, bad.stderr.splitlines())) <= 200


def test_cli_train_help_lists_options_and_defaults(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["train", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--dataset", "--model", "--hidden", "--activation", "--dropout", "--batch-norm",
                   "--optimizer", "--lr", "--momentum", "--weight-decay", "--schedule", "--epochs",
                   "--batch-size", "--val-split", "--seed", "--out", "--force", "--data-root", "--subset",
                   "--verbose"):
        assert option in text, option
    flat = " ".join(text.split())                                         # undo argparse's line wrapping
    assert "(default: mnist)" in flat and "(default: 0)" in flat and "(default: 15)" in flat


@pytest.mark.parametrize("model, prefix", [("convnet", "convnet conv5x5x30-pool-100-10"),
                                           ("deep-convnet", "deep-convnet conv3x3x16-conv3x3x16-pool")])
def test_cli_train_conv_models_on_digits(tmp_path, capsys, model, prefix):
    """The CNNs of L38 take (N, 1, H, W) images: train, evaluate and predict all use that shape."""
    out = tmp_path / model
    assert main(["train", "--dataset", "digits", "--model", model, "--epochs", "1", "--out", str(out),
                 "--verbose", "0"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["config"]["model"] == model and m["config"]["description"].startswith(prefix)
    net = abcdl.load(out / "model.safetensors")
    assert type(net[0]).__name__ == "Conv2d"
    capsys.readouterr()
    assert main(["evaluate", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == m["test"]["accuracy"]
    _, (x, _) = load_digits(flatten=False)
    np.save(tmp_path / "x.npy", x[:2])                                   # (2, 1, 8, 8)
    assert main(["predict", str(out), str(tmp_path / "x.npy"), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)["results"]
    assert [r["prediction"] for r in res] == predict(net, x[:2]).argmax(axis=1).tolist()
