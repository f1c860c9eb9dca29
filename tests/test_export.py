"""abcdl.export, `abcdl export`: PyTorch and ONNX Runtime give abcdl's outputs; bad input; atomic writes."""

import functools
import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import abcdl
from abcdl import _io
from abcdl.cli import main
from abcdl.data import load_mnist
from abcdl.export import UnsupportedLayerError, _onnx, to_onnx, to_torch
from abcdl.layers import GRU, LSTM, RNN, AvgPool2d, BatchNorm2d, Conv2d, Embedding, Flatten, Linear, ReLU
from abcdl.models import MLPClassifier, Sequential, convnet, mlp
from abcdl.module import Module


def _warm_bn(model, x, steps=3):
    """A few train-mode passes so the running statistics are not the initial 0 and 1."""
    model.train()
    for _ in range(steps):
        model.forward(x)
    return model.eval()


def _mlp_bn_dropout(dtype, rng):
    model = mlp(20, (16, 12), 5, dropout=0.3, batch_norm=True, rng=rng, dtype=dtype)
    return _warm_bn(model, rng.normal(size=(32, 20)).astype(dtype)), rng.normal(size=(9, 20)).astype(dtype)


def _convnet(dtype, rng):
    model = Sequential(Conv2d(1, 4, 3, padding=1, rng=rng, dtype=dtype), BatchNorm2d(4, dtype=dtype), ReLU(),
                       AvgPool2d(2), Conv2d(4, 6, 3, stride=2, rng=rng, dtype=dtype), ReLU(),
                       Flatten(), Linear(6 * 3 * 3, 10, rng=rng, dtype=dtype))
    return _warm_bn(model, rng.normal(size=(8, 1, 14, 14)).astype(dtype)), \
        rng.normal(size=(5, 1, 14, 14)).astype(dtype)


def _lecture_convnet(dtype, rng):
    model = convnet(rng=rng, dtype=dtype).eval()          # the L38 ConvNet: conv-relu-pool-affine-relu-affine
    return model, rng.normal(size=(3, 1, 28, 28)).astype(dtype)


MODELS = {"mlp_bn_dropout": _mlp_bn_dropout, "convnet_bn": _convnet, "lecture_convnet": _lecture_convnet}


@pytest.mark.parametrize("name", MODELS)
def test_export_torch_outputs_equal_abcdl(name):
    model, x = MODELS[name](np.float64, np.random.default_rng(0))
    net = to_torch(model)
    assert not net.training and next(net.parameters()).dtype == torch.float64
    with torch.no_grad():
        out = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, model.forward(x), rtol=0, atol=1e-6)


def test_export_torch_batchnorm_trains_on_the_same_way():
    # train mode: batch statistics and the running-average update are PyTorch's in abcdl too
    rng = np.random.default_rng(1)
    model = mlp(6, (8,), 3, batch_norm=True, rng=rng, dtype=np.float64).train()
    net = to_torch(model)
    x = rng.normal(size=(16, 6))
    np.testing.assert_allclose(net(torch.from_numpy(x)).detach().numpy(), model.forward(x), atol=1e-12)
    np.testing.assert_allclose(net[1].running_var.numpy(), model.layers[1].running_var, atol=1e-12)


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
@pytest.mark.parametrize("num_layers, bidirectional, return_sequences",
                         [(1, False, True), (2, True, False)])
def test_export_torch_recurrent_outputs_equal_abcdl(cls, num_layers, bidirectional, return_sequences):
    rng = np.random.default_rng(2)
    model = Sequential(Embedding(11, 5, rng=rng, dtype=np.float64),
                       cls(5, 4, num_layers=num_layers, bidirectional=bidirectional,
                           return_sequences=return_sequences, rng=rng, dtype=np.float64),
                       Linear(4 * (2 if bidirectional else 1), 3, rng=rng, dtype=np.float64))
    ids = rng.integers(0, 11, size=(4, 7))
    with torch.no_grad():
        out = to_torch(model)(torch.from_numpy(ids)).numpy()
    np.testing.assert_allclose(out, model.forward(ids), rtol=0, atol=1e-10)


def test_export_torch_from_fitted_estimator():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(60, 4)), rng.integers(0, 3, 60)
    clf = MLPClassifier((8,), max_iter=3, random_state=0).fit(X, y)
    with torch.no_grad():
        logits = to_torch(clf)(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(torch.softmax(torch.from_numpy(logits), 1).numpy(), clf.predict_proba(X),
                               atol=1e-10)
    with pytest.raises(TypeError, match="unfitted estimator"):
        to_torch(MLPClassifier())


def _run_onnx(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name", MODELS)
def test_export_onnx_runtime_outputs_equal_abcdl(name, tmp_path):
    model, x = MODELS[name](np.float32, np.random.default_rng(0))
    path = to_onnx(model, tmp_path / "model.onnx")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version >= 17
    np.testing.assert_allclose(_run_onnx(path, x), model.forward(x), rtol=0, atol=1e-5)
    np.testing.assert_allclose(_run_onnx(path, x[:1]), model.forward(x[:1]), rtol=0, atol=1e-5)   # batch free


def test_export_onnx_embedding_and_leaky_relu(tmp_path):
    rng = np.random.default_rng(4)
    from abcdl.layers import LeakyReLU
    model = Sequential(Embedding(9, 4, rng=rng), Linear(4, 6, rng=rng), LeakyReLU(0.2), Linear(6, 2, rng=rng))
    ids = rng.integers(0, 9, size=(3, 5))
    out = _run_onnx(to_onnx(model, tmp_path / "emb.onnx"), ids.astype(np.int64))
    np.testing.assert_allclose(out, model.forward(ids), atol=1e-5)


class _Custom(Module):
    def forward(self, x):
        return x


@pytest.mark.parametrize("export", ["to_torch", "to_onnx"])
def test_export_unsupported_layer_names_it(export, tmp_path):
    model = Sequential(Linear(3, 4), ReLU(), _Custom())
    call = {"to_torch": lambda: to_torch(model), "to_onnx": lambda: to_onnx(model, tmp_path / "m.onnx")}
    with pytest.raises(UnsupportedLayerError, match=r"layers\.2 \(_Custom\).*not supported"):
        call[export]()
    assert not (tmp_path / "m.onnx").exists()


def test_export_onnx_recurrent_is_refused_by_name(tmp_path):
    model = Sequential(LSTM(3, 4, return_sequences=False), Linear(4, 2))
    with pytest.raises(UnsupportedLayerError, match=r"layers\.0 \(LSTM\)"):
        to_onnx(model, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="opset"):
        to_onnx(mlp(4, (3,), 2), tmp_path / "m.onnx", opset=13)


def test_export_onnx_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    def crash(fh, data):
        fh.write(data[: len(data) // 2])
        raise KeyboardInterrupt                             # Ctrl-C halfway through the bytes

    monkeypatch.setattr(_onnx, "atomic_write", functools.partial(_io.atomic_write, write=crash))
    target = tmp_path / "model.onnx"
    with pytest.raises(KeyboardInterrupt):
        to_onnx(mlp(4, (3,), 2), target)
    assert list(tmp_path.iterdir()) == []                  # neither the file nor a temp file
    target.write_bytes(b"previous")
    with pytest.raises(KeyboardInterrupt):
        to_onnx(mlp(4, (3,), 2), target)
    assert target.read_bytes() == b"previous" and len(list(tmp_path.iterdir())) == 1


@pytest.fixture(scope="module")
def mnist_run(tmp_path_factory, data_root):
    out = tmp_path_factory.mktemp("export") / "run"
    assert main(["train", "--data-root", str(data_root), "--no-download", "--subset", "2000", "--epochs", "1",
                 "--hidden", "64", "--batch-norm", "--dropout", "0.2", "--seed", "0", "--out", str(out),
                 "--verbose", "0"]) == 0
    return out


def test_export_cli_mnist_keeps_test_accuracy(mnist_run, data_root, tmp_path, capsys):
    # the exported MNIST model from `abcdl train` classifies every test image as abcdl does
    assert main(["export", str(mnist_run), "--format", "onnx", "--out", str(tmp_path / "m.onnx")]) == 0
    assert main(["export", str(mnist_run), "--format", "torch", "--out", str(tmp_path / "m.pt2")]) == 0
    assert "wrote" in capsys.readouterr().out
    (_, _), (x, t) = load_mnist(root=data_root, download=False, dtype=np.float32)
    model = abcdl.load(mnist_run / "model.safetensors").eval()
    ours = model.forward(x).argmax(1)
    onnx_pred = _run_onnx(tmp_path / "m.onnx", x).argmax(1)
    with torch.no_grad():
        program = torch.export.load(str(tmp_path / "m.pt2")).module()
        torch_pred = program(torch.from_numpy(x)).numpy().argmax(1)
    np.testing.assert_array_equal(onnx_pred, ours)
    np.testing.assert_array_equal(torch_pred, ours)
    test = json.loads((mnist_run / "metrics.json").read_text())["test"]
    assert int(np.sum(ours == t)) == test["correct"] and test["n"] == len(t) == 10000


@pytest.mark.parametrize("argv, message", [
    (["export", "missing.safetensors"], "not found"),
    (["export", "{run}", "--out", "{tmp}/no/such/folder/m.onnx"], "does not exist"),
    (["export", "{run}", "--opset", "12"], "at least 17"),
])
def test_export_cli_errors(argv, message, mnist_run, tmp_path, capsys):
    argv = [a.format(run=mnist_run, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
