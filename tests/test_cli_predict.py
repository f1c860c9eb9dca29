"""`abcdl evaluate` and `abcdl predict` on models the tests train: images, .npy, JSON, errors (L35)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import abcdl
from _helpers import one_cli_error
from abcdl.checkpoint import read_info
from abcdl.cli import main
from abcdl.cli.predict import load_image, mnist_normalize
from abcdl.data import load_digits, load_fashion_mnist
from abcdl.functions import softmax
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.train import evaluate, predict

QUICK = ["--hidden", "64", "--dropout", "0", "--batch-size", "32", "--lr", "0.003", "--verbose", "0"]


pytestmark = pytest.mark.usefixtures("offline")   # no test here may reach the network (conftest.py)


@pytest.fixture(scope="module")
def confident(mnist_run, mnist_test) -> list[int]:
    """Test images the model gets right with probability > 0.95: a drawn image must keep its label."""
    x, t = mnist_test
    P = softmax(predict(abcdl.load(mnist_run / "model.safetensors"), x[:500]))
    return [i for i in range(500) if P[i].argmax() == t[i] and P[i].max() > 0.95][:5]


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("digits") / "run"
    assert main(["train", "--dataset", "digits", "--epochs", "8", "--out", str(out), *QUICK]) == 0
    return out


def _one_error_line(err: str, command: str) -> str:
    return one_cli_error(err, command)


def _predict_json(capsys, *args) -> dict:
    assert main(["predict", *map(str, args), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


# ----------------------------------------------------------------------------- evaluate

def test_cli_evaluate_matches_train_and_the_library(mnist_run, mnist_test, capsys):
    m = json.loads((mnist_run / "metrics.json").read_text())
    assert main(["evaluate", str(mnist_run / "model.safetensors"), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["dataset"] == "mnist" and r["n"] == 10000
    assert r["accuracy"] == m["test"]["accuracy"] > 0.85
    assert r["loss"] == pytest.approx(m["test"]["loss"], rel=1e-5)
    assert r["confusion_matrix"] == m["test"]["confusion_matrix"]
    loss, acc = evaluate(abcdl.load(mnist_run / "model.safetensors"), SoftmaxCrossEntropyLoss(), mnist_test)
    assert r["accuracy"] == acc and r["loss"] == pytest.approx(loss, rel=1e-6)
    assert set(r["per_class_accuracy"]) == {str(k) for k in range(10)}


def test_cli_evaluate_text_and_run_folder_argument(mnist_run, capsys):
    m = json.loads((mnist_run / "metrics.json").read_text())
    assert main(["evaluate", str(mnist_run)]) == 0                     # the folder finds model.safetensors
    out = capsys.readouterr().out
    assert "MNIST test set, 10,000 images" in out
    assert f"accuracy {m['test']['accuracy']:.2%}" in out and "per class" in out


def test_cli_evaluate_digits_found_by_metrics_and_by_input_size(digits_run, tmp_path, capsys):
    assert main(["evaluate", str(digits_run), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["dataset"] == "digits" and r["n"] == 360
    lone = tmp_path / "lone.safetensors"                                # no metrics.json beside it
    lone.write_bytes((digits_run / "model.safetensors").read_bytes())
    assert main(["evaluate", str(lone), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == r["accuracy"]


def test_cli_evaluate_wrong_dataset_is_one_line(digits_run, capsys):
    assert main(["evaluate", str(digits_run), "--dataset", "mnist", "--no-download"]) == 2
    assert "8x8" in _one_error_line(capsys.readouterr().err, "evaluate")


# ----------------------------------------------------------------------------- predict: images

@pytest.mark.parametrize("inverted", [False, True])
def test_cli_predict_png_drawn_from_the_test_set(mnist_run, mnist_test, confident, tmp_path, capsys,
                                                 inverted):
    x, t = mnist_test
    files = []
    for i in confident:
        pixels = np.round(x[i].reshape(28, 28) * 255).astype(np.uint8)
        path = tmp_path / f"digit{i}.png"
        Image.fromarray(255 - pixels if inverted else pixels, mode="L").save(path)
        files.append(path)
    r = _predict_json(capsys, mnist_run / "model.safetensors", *files)
    assert [res["prediction"] for res in r["results"]] == [int(t[i]) for i in confident]
    logits = predict(abcdl.load(mnist_run / "model.safetensors"), x[confident])
    P = softmax(logits.astype(np.float64))
    for res, p in zip(r["results"], P, strict=True):
        assert np.allclose(res["probabilities"], p, atol=2e-3)         # PNG keeps 8 bits per pixel
        assert sum(res["probabilities"]) == pytest.approx(1)
        assert len(res["top"]) == 10
        assert [e["probability"] for e in res["top"]] == sorted(res["probabilities"], reverse=True)
        assert any("inverted" in note for note in res["notes"]) == inverted


def test_cli_predict_text_output_most_likely_first(mnist_run, mnist_test, confident, tmp_path, capsys):
    x, t = mnist_test
    i = confident[0]
    path = tmp_path / "d.png"
    Image.fromarray(255 - np.round(x[i].reshape(28, 28) * 255).astype(np.uint8)).save(path)
    assert main(["predict", str(mnist_run), str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{path}: {t[i]}") and "inverted" in lines[0]
    assert len(lines) == 11                                             # the file, then all 10 classes
    rows = [line.split() for line in lines[1:]]
    assert rows[0][0] == f"{t[i]}:"
    probs = [float(r[1]) for r in rows]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1, abs=1e-3)
    assert {r[0] for r in rows} == {f"{k}:" for k in range(10)}
    assert main(["predict", str(mnist_run), str(path), "--top", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_cli_predict_large_rgb_image_is_normalised_like_mnist(mnist_run, mnist_test, confident, tmp_path,
                                                              capsys):
    """A 140x100 black-on-white RGB JPEG of a test digit, placed off-centre: still recognised."""
    x, t = mnist_test
    i = confident[1]
    digit = Image.fromarray(np.round(x[i].reshape(28, 28) * 255).astype(np.uint8)).resize((84, 84))
    canvas = Image.new("L", (140, 100), 0)
    canvas.paste(digit, (50, 4))
    rgb = Image.merge("RGB", [Image.eval(canvas, lambda v: 255 - v)] * 3)
    path = tmp_path / "photo.jpg"
    rgb.save(path, quality=95)
    r = _predict_json(capsys, mnist_run, path)["results"][0]
    assert r["prediction"] == t[i]
    assert any("inverted" in n for n in r["notes"]) and any("20x20" in n for n in r["notes"])


def test_mnist_normalize_centres_the_ink_in_a_20x20_box():
    img = np.zeros((60, 90), np.float32)
    img[5:45, 60:70] = 1.0                                              # a 40x10 bar, top right
    out = mnist_normalize(img)
    assert out.shape == (28, 28)
    rows, cols = np.nonzero(out > 0.5)
    assert rows.max() - rows.min() + 1 == 20                            # the long side scaled to 20
    yy, xx = np.indices(out.shape)
    cy, cx = (yy * out).sum() / out.sum(), (xx * out).sum() / out.sum()
    assert abs(cy - 13.5) <= 0.6 and abs(cx - 13.5) <= 0.6              # centre of mass in the middle


def test_load_image_transparent_background(tmp_path):
    """Black strokes on a transparent background: shown on white, then inverted to white on black."""
    rgba = np.zeros((28, 28, 4), np.uint8)
    rgba[6:22, 12:16] = (0, 0, 0, 255)
    path = tmp_path / "t.png"
    Image.fromarray(rgba, mode="RGBA").save(path)
    img, notes = load_image(path, (28, 28))
    assert img[10, 13] == pytest.approx(1) and img[0, 0] == pytest.approx(0)
    assert any("transparent" in n for n in notes) and any("inverted" in n for n in notes)


# ----------------------------------------------------------------------------- predict: .npy, digits, fashion

@pytest.mark.parametrize("shape", [(784,), (28, 28), (1, 28, 28), (3, 784), (3, 28, 28), (3, 1, 28, 28)])
def test_cli_predict_npy_shapes(mnist_run, mnist_test, tmp_path, capsys, shape):
    x, _ = mnist_test
    n = 3 if len(shape) > 1 and shape[0] == 3 else 1
    arr = x[:n].reshape(shape)
    path = tmp_path / "a.npy"
    np.save(path, arr)
    r = _predict_json(capsys, mnist_run / "model.safetensors", path)["results"]
    P = softmax(predict(abcdl.load(mnist_run / "model.safetensors"), x[:n]).astype(np.float64))
    assert len(r) == n
    for res, p in zip(r, P, strict=True):
        assert np.allclose(res["probabilities"], p, atol=1e-6)
    if n == 3:
        assert [res["file"] for res in r] == [f"{path}[{k}]" for k in range(3)]


def test_cli_predict_npy_uint8_is_scaled(mnist_run, mnist_test, tmp_path, capsys):
    x, _ = mnist_test
    path = tmp_path / "u8.npy"
    np.save(path, np.round(x[:2] * 255).astype(np.uint8))
    r = _predict_json(capsys, mnist_run, path)["results"]
    P = softmax(predict(abcdl.load(mnist_run / "model.safetensors"), x[:2]).astype(np.float64))
    assert np.allclose([res["probabilities"] for res in r], P, atol=2e-3)
    assert any("scaled" in n for n in r[0]["notes"])


def test_cli_predict_digits_model_takes_8x8(digits_run, tmp_path, capsys):
    _, (x, t) = load_digits(normalize=False)                            # raw 0..16
    path = tmp_path / "d.npy"
    np.save(path, x[:20])
    r = _predict_json(capsys, digits_run, path)
    assert r["dataset"] == "digits" and len(r["results"]) == 20
    expected = predict(abcdl.load(digits_run / "model.safetensors"), x[:20] / 16).argmax(axis=1)
    assert [res["prediction"] for res in r["results"]] == expected.tolist()
    img = tmp_path / "d.png"                                             # an image is resized to 8x8
    Image.fromarray(np.kron(x[0].reshape(8, 8) * 15, np.ones((4, 4))).astype(np.uint8)).save(img)
    res = _predict_json(capsys, digits_run, img)["results"][0]
    assert any("8x8" in n for n in res["notes"]) and len(res["probabilities"]) == 10


def test_cli_predict_fashion_class_names(fashion, tmp_path, capsys):
    out = tmp_path / "fashion"
    assert main(["train", "--dataset", "fashion-mnist", "--data-root", str(fashion.root), "--no-download",
                 "--subset", "1000", "--epochs", "1", "--out", str(out), *QUICK]) == 0
    capsys.readouterr()
    _, (x, _) = load_fashion_mnist(root=fashion.root, download=False)
    path = tmp_path / "f.npy"
    np.save(path, x[:2])
    r = _predict_json(capsys, out, path)
    assert r["dataset"] == "fashion-mnist" and r["class_names"][0] == "T-shirt/top"
    assert r["class_names"][9] == "Ankle boot"
    assert r["results"][0]["label"] == r["class_names"][r["results"][0]["prediction"]]
    assert main(["predict", str(out), str(path), "--top", "2"]) == 0
    text = capsys.readouterr().out
    assert any(name in text for name in r["class_names"])
    # the checkpoint itself records the dataset: a lone copy, without metrics.json, still knows it
    lone = tmp_path / "lone.safetensors"
    lone.write_bytes((out / "model.safetensors").read_bytes())
    assert read_info(lone)["dataset"] == "fashion-mnist"
    assert read_info(lone)["input_shape"] == [1, 28, 28]
    assert _predict_json(capsys, lone, path)["class_names"][9] == "Ankle boot"


# ----------------------------------------------------------------------------- errors

def test_cli_predict_and_evaluate_missing_model(tmp_path, capsys):
    for cmd in (["predict", str(tmp_path / "none.safetensors"), "x.png"],
                ["evaluate", str(tmp_path / "none")]):
        assert main(cmd) == 2
        assert "not found" in _one_error_line(capsys.readouterr().err, cmd[0])


@pytest.mark.parametrize("content", [b"", b"\x80\x04garbage-pickle", b"PK\x03\x04zip",
                                     b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}.."])
def test_cli_predict_corrupt_model(tmp_path, capsys, content):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(content)
    png = tmp_path / "x.png"
    Image.new("L", (28, 28)).save(png)
    assert main(["predict", str(bad), str(png)]) == 2
    assert str(bad) in _one_error_line(capsys.readouterr().err, "predict")
    assert main(["evaluate", str(bad)]) == 2
    _one_error_line(capsys.readouterr().err, "evaluate")


def test_cli_predict_truncated_model(digits_run, tmp_path, capsys):
    data = (digits_run / "model.safetensors").read_bytes()
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(data[:len(data) // 2])
    assert main(["evaluate", str(bad)]) == 2
    _one_error_line(capsys.readouterr().err, "evaluate")


@pytest.mark.parametrize("name, content, word", [
    ("text.png", b"this is not an image", "not an image"),
    ("cut.png", None, "cannot read"),
    ("missing.png", "absent", "not found"),
    ("pickle.npy", "pickle", "pickle"),
    ("shape.npy", "shape", "shape"),
    ("nan.npy", "nan", "NaN"),
])
def test_cli_predict_unreadable_inputs(digits_run, tmp_path, capsys, name, content, word):
    path = tmp_path / name
    if content is None:                                                  # a PNG cut in the middle
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)).save(path)
        path.write_bytes(path.read_bytes()[:300])
    elif content == "pickle":
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif content == "shape":
        np.save(path, np.zeros((5, 7)))
    elif content == "nan":
        np.save(path, np.full(64, np.nan))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    assert main(["predict", str(digits_run), str(path)]) == 2
    line = _one_error_line(capsys.readouterr().err, "predict")
    assert word in line and str(path) in line


def test_cli_predict_bad_options_are_one_line(digits_run, tmp_path, capsys):
    for args in (["--top", "0"], ["--invert", "maybe"], ["--dataset", "cifar"], ["--tpo", "3"]):
        with pytest.raises(SystemExit) as exc:
            main(["predict", str(digits_run), "x.png", *args])
        assert exc.value.code == 2
        assert args[0] in _one_error_line(capsys.readouterr().err, "predict")


def test_cli_predict_help_and_subprocess(digits_run, tmp_path):
    for cmd in ("predict", "evaluate"):
        res = subprocess.run([sys.executable, "-m", "abcdl", cmd, "--help"], capture_output=True, text=True,
                             timeout=120)
        assert res.returncode == 0 and "MODEL" in res.stdout and "--json" in res.stdout
    _, (x, _) = load_digits()
    path = tmp_path / "one.npy"
    np.save(path, x[0])
    res = subprocess.run([sys.executable, "-m", "abcdl", "predict", str(digits_run), str(path), "--top", "1"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert len(res.stdout.splitlines()) == 2
    res = subprocess.run([sys.executable, "-m", "abcdl", "predict", str(tmp_path / "no.safetensors"),
                          str(path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    _one_error_line(res.stderr, "predict")
