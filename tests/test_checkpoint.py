"""abcdl.checkpoint: safetensors files with the architecture in their metadata; no pickle, no code."""

from __future__ import annotations

import json
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import abcdl
from abcdl import checkpoint, layers
from abcdl.checkpoint import CheckpointError
from abcdl.layers import BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from abcdl.models import Sequential
from abcdl.module import Module


def trained_mlp(dtype, seed: int = 0) -> tuple[Sequential, np.ndarray]:
    """An MLP with batch norm and dropout whose running statistics have moved; in eval mode."""
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(6, 8, rng=rng, dtype=dtype), BatchNorm1d(8, dtype=dtype), ReLU(),
                       Dropout(0.3, rng=rng), Linear(8, 5, rng=rng, dtype=dtype), Tanh(),
                       Linear(5, 3, bias=False, rng=rng, dtype=dtype))
    for _ in range(3):                                       # train-mode passes update running stats
        model.forward(rng.normal(size=(16, 6)).astype(dtype) * 2 + 1)
    model.layers._modules["1"].gamma.data[:] = rng.uniform(0.5, 1.5, 8)
    model.eval()
    x = rng.normal(size=(10, 6)).astype(dtype)
    return model, x


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# -- round trip -------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_checkpoint_round_trip_is_bit_exact(tmp_path, dtype):
    model, x = trained_mlp(dtype)
    path = tmp_path / "model.safetensors"
    model.save(path)
    abcdl.set_default_dtype(np.float64 if dtype == np.float32 else np.float32)   # loading ignores it
    loaded = abcdl.load(path)
    assert isinstance(loaded, Sequential) and not loaded.training
    assert [type(m) for m in loaded] == [type(m) for m in model]
    assert repr(loaded) == repr(model)
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))       # bit for bit
    assert loaded.forward(x).dtype == dtype
    for (k1, v1), (k2, v2) in zip(model.state_dict().items(), loaded.state_dict().items(), strict=True):
        assert k1 == k2 and v1.dtype == v2.dtype
        np.testing.assert_array_equal(v1, v2)
    assert files_in(tmp_path) == ["model.safetensors"]                      # no temp file left


def test_checkpoint_keeps_training_mode_and_layer_arguments(tmp_path):
    model = Sequential(Linear(3, 4), LeakyReLU(0.2), Dropout(0.25), BatchNorm1d(4, eps=1e-3, momentum=0.2),
                       Sigmoid())
    model.train()
    model.save(tmp_path / "m.abcdl")
    loaded = checkpoint.load(tmp_path / "m.abcdl")
    assert loaded.training and all(m.training for _, m in loaded.named_modules())
    assert loaded[1].negative_slope == 0.2 and loaded[2].p == 0.25
    assert (loaded[3].eps, loaded[3].momentum) == (1e-3, 0.2)


def test_checkpoint_nested_sequential_and_single_layer(tmp_path):
    inner = Sequential(Linear(4, 4), ReLU())
    model = Sequential(Linear(3, 4), inner, Linear(4, 2)).eval()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    model.save(tmp_path / "nested")
    loaded = abcdl.load(tmp_path / "nested")
    assert list(loaded.state_dict()) == ["layers.0.W", "layers.0.b", "layers.1.layers.0.W",
                                         "layers.1.layers.0.b", "layers.2.W", "layers.2.b"]
    np.testing.assert_array_equal(loaded.forward(x), model.forward(x))
    single = Linear(3, 2)
    abcdl.save(single, tmp_path / "single")             # a single layer: the function
    again = abcdl.load(tmp_path / "single")
    assert type(again) is Linear
    np.testing.assert_array_equal(again.W.data, single.W.data)


def test_checkpoint_model_save_is_abcdl_save(tmp_path):
    model, _ = trained_mlp(np.float32)
    model.save(tmp_path / "a")
    abcdl.save(model, tmp_path / "b", info=None)
    assert checkpoint.read_architecture(tmp_path / "a") == checkpoint.read_architecture(tmp_path / "b")
    a, b = safetensors.numpy.load_file(tmp_path / "a"), safetensors.numpy.load_file(tmp_path / "b")
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    assert (abcdl.save, abcdl.load) == (checkpoint.save, checkpoint.load)


def test_checkpoint_load_does_not_consume_library_random_numbers(tmp_path):
    trained_mlp(np.float32)[0].save(tmp_path / "m")
    abcdl.seed(5)
    expected = abcdl.get_rng().random(3)
    abcdl.seed(5)
    abcdl.load(tmp_path / "m")
    np.testing.assert_array_equal(abcdl.get_rng().random(3), expected)


def test_checkpoint_metadata_is_documented_json(tmp_path):
    model, _ = trained_mlp(np.float32)
    model.save(tmp_path / "m")
    arch = checkpoint.read_architecture(tmp_path / "m")
    assert arch["format"] == "abcdl" and arch["version"] == 1
    assert arch["library_version"] == abcdl.__version__
    assert arch["model"]["type"] == "Sequential"
    assert arch["model"]["layers"][0] == {"type": "Linear",
                                          "config": {"in_features": 6, "out_features": 8, "bias": True}}
    assert arch["model"]["layers"][-1]["config"]["bias"] is False


def test_checkpoint_registry_follows_layers_all(tmp_path, monkeypatch):
    """A layer type added to abcdl.layers later (e.g. Conv2d) is saved and loaded with no other change."""

    class Scale(Module):
        def __init__(self, n: int, dtype=None) -> None:
            super().__init__()
            self.n = n
            self.s = abcdl.Parameter(np.full(n, 2.0, dtype=dtype or abcdl.get_default_dtype()))

        def forward(self, x):
            return x * self.s.data

        def config(self) -> dict:
            return {"n": self.n}

    model = Sequential(Linear(2, 3, dtype=np.float64), Scale(3, dtype=np.float64))
    model.layers._modules["1"].s.data[:] = [1.0, -3.0, 0.5]
    with pytest.raises(CheckpointError, match="cannot save Scale at layers.1: .*library's own layer types"):
        model.save(tmp_path / "m")
    monkeypatch.setattr(layers, "Scale", Scale, raising=False)
    monkeypatch.setattr(layers, "__all__", [*layers.__all__, "Scale"])
    model.save(tmp_path / "m")
    loaded = abcdl.load(tmp_path / "m")
    assert type(loaded[1]) is Scale and loaded[1].s.data.dtype == np.float64    # built in the file's dtype
    np.testing.assert_array_equal(loaded[1].s.data, [1.0, -3.0, 0.5])


# -- PyTorch reads the same file ------------------------------------------------------
@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-12), (np.float32, 2e-6)])
def test_checkpoint_opens_in_torch_with_same_logits(tmp_path, dtype, tol):
    model, x = trained_mlp(dtype)
    path = tmp_path / "m.safetensors"
    model.save(path)
    tensors = safetensors.torch.load_file(str(path))
    rename = {"W": "weight", "b": "bias", "gamma": "weight", "beta": "bias",
              "running_mean": "running_mean", "running_var": "running_var"}
    state = {}
    for key, value in tensors.items():
        _, index, name = key.split(".")                         # layers.<i>.<name> -> <i>.<torch name>
        state[f"{index}.{rename[name]}"] = value
    state["1.num_batches_tracked"] = torch.tensor(3)
    net = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                              torch.nn.Dropout(0.3), torch.nn.Linear(8, 5), torch.nn.Tanh(),
                              torch.nn.Linear(5, 3, bias=False)).to(torch.float64 if dtype == np.float64
                                                                      else torch.float32)
    net.load_state_dict(state, strict=True)
    net.eval()
    with torch.no_grad():
        expected = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model.forward(x), expected, rtol=tol, atol=tol)


# -- refusing what is not ours ------------------------------------------------------------
class _Trap:
    """Unpickling this object would create the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_checkpoint_rejects_pickle_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"layers.0.W": _Trap(str(marker))}, protocol=4)
    path = tmp_path / "evil.safetensors"
    path.write_bytes(payload)
    with pytest.raises(CheckpointError, match=r"not a safetensors file: it is a Python pickle .*never unp"):
        abcdl.load(path)
    assert not marker.exists()
    # pickle appended after a valid file is refused too
    abcdl.save(Linear(2, 2), path)
    path.write_bytes(path.read_bytes() + payload)
    with pytest.raises(CheckpointError, match="damaged safetensors data: .*not fully covered"):
        abcdl.load(path)
    assert not marker.exists()


def test_checkpoint_rejects_torch_pt_file(tmp_path):
    path = tmp_path / "model.pt"
    torch.save(torch.nn.Linear(2, 2).state_dict(), path)
    with pytest.raises(CheckpointError, match=r"zip archive, e\.g\. a PyTorch torch\.save \.pt/\.pth file"):
        abcdl.load(path)


def _craft(path, model_spec, tensors=None, arch_overrides=None, metadata=None) -> None:
    """A safetensors file with hand-written abcdl metadata."""
    arch = {"format": "abcdl", "version": 1, "library_version": "0.1.0", "model": model_spec,
            **(arch_overrides or {})}
    meta = {"format": "abcdl", "abcdl": json.dumps(arch)} if metadata is None else metadata
    path.write_bytes(safetensors.numpy.save(tensors or {}, metadata=meta))


def _linear_tensors(dtype=np.float32, out=2, inp=3):
    return {"layers.0.W": np.ones((out, inp), dtype), "layers.0.b": np.zeros(out, dtype)}


def _seq(*layer_specs):
    return {"type": "Sequential", "layers": list(layer_specs)}


LIN = {"type": "Linear", "config": {"in_features": 3, "out_features": 2, "bias": True}}


@pytest.mark.parametrize("case, spec, tensors, message", [
    ("unknown type", _seq({"type": "os.system", "config": {"command": "touch pwned"}}), {},
     r"unknown layer type 'os\.system' at layers\.0; .*Linear"),
    ("dunder type", _seq({"type": "__import__", "config": {"name": "os"}}), {}, "unknown layer type"),
    ("extra argument", _seq({"type": "Linear", "config": {"in_features": 3, "out_features": 2,
                                                           "evil": 1}}),
     _linear_tensors(), r"bad config for Linear at layers\.0: .*evil"),
    ("invalid value", _seq({"type": "Linear", "config": {"in_features": -3, "out_features": 2}}),
     _linear_tensors(), r"bad config for Linear at layers\.0: ValueError: .*in_features"),
    ("config not object", _seq({"type": "ReLU", "config": [1, 2]}), {}, "'config' must be an object"),
    ("no layers list", {"type": "Sequential", "layers": "ReLU"}, {}, "needs a 'layers' list"),
    ("layer not object", _seq("Linear"), {}, "expected an object with a 'type'"),
    ("missing tensor", _seq(LIN), {"layers.0.W": np.ones((2, 3), np.float32)}, "missing tensors: layers.0.b"),
    ("unexpected tensor", _seq(LIN), {**_linear_tensors(), "layers.1.W": np.ones(2, np.float32)},
     "unexpected tensors: layers.1.W"),
    ("wrong shape", _seq(LIN), _linear_tensors(out=2, inp=4),
     r"tensor layers\.0\.W is float32 \(2, 4\), the architecture needs float32 \(2, 3\)"),
    ("wrong dtype", _seq(LIN), {"layers.0.W": np.ones((2, 3), np.int64), "layers.0.b": np.zeros(2, np.int64)},
     r"layers\.0\.W has dtype 'I64'"),
    ("half precision", _seq(LIN), _linear_tensors(np.float16), "dtype 'F16'"),
    ("mixed dtypes", _seq(LIN), {"layers.0.W": np.ones((2, 3), np.float32), "layers.0.b": np.zeros(2)},
     "mix dtypes"),
])
def test_checkpoint_rejects_bad_architecture(tmp_path, case, spec, tensors, message):
    path = tmp_path / "bad.safetensors"
    _craft(path, spec, tensors)
    with pytest.raises(CheckpointError, match=message):
        abcdl.load(path)
    assert not (tmp_path / "pwned").exists(), case


@pytest.mark.parametrize("metadata, message", [
    ({"format": "pt"}, "without abcdl metadata"),
    ({"abcdl": "{not json"}, "invalid abcdl metadata: not JSON"),
    ({"abcdl": json.dumps({"format": "keras", "version": 1, "model": {}})}, "'format' must be 'abcdl'"),
    ({"abcdl": json.dumps({"format": "abcdl", "version": 2, "model": {}})}, "version 2.*upgrade abcdl"),
    ({"abcdl": json.dumps({"format": "abcdl", "version": 1})}, "'model' must be an object"),
])
def test_checkpoint_rejects_bad_metadata(tmp_path, metadata, message):
    path = tmp_path / "bad.safetensors"
    _craft(path, None, _linear_tensors(), metadata=metadata)
    with pytest.raises(CheckpointError, match=message):
        abcdl.load(path)


@pytest.mark.parametrize("case", ["empty", "short", "huge header", "not json", "json list", "cut data",
                                  "numpy", "gzip"])
def test_checkpoint_rejects_bad_header(tmp_path, case):
    path = tmp_path / "bad.safetensors"
    good = tmp_path / "good.safetensors"
    abcdl.save(Linear(30, 20), good)
    data = good.read_bytes()
    n = int.from_bytes(data[:8], "little")
    content = {
        "empty": b"",
        "short": b"\x05\x00",
        "huge header": (10**9).to_bytes(8, "little") + b"{}",
        "not json": (4).to_bytes(8, "little") + b"{abc",
        "json list": (2).to_bytes(8, "little") + b"[]",
        "cut data": data[: 8 + n + 100],
        "numpy": b"\x93NUMPY\x01\x00" + b"x" * 100,
        "gzip": b"\x1f\x8b\x08\x00" + b"x" * 100,
    }[case]
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="safetensors|NumPy|gzip") as info:
        abcdl.load(path)
    assert str(path) in str(info.value)


def test_checkpoint_missing_file_is_clear(tmp_path):
    with pytest.raises(CheckpointError, match="cannot read"):
        abcdl.load(tmp_path / "none.safetensors")


def test_checkpoint_save_rejects_subclass_and_non_json_config(tmp_path):
    class MyLinear(Linear):
        pass

    with pytest.raises(CheckpointError, match="cannot save MyLinear"):
        Sequential(MyLinear(2, 2)).save(tmp_path / "x")
    odd = Dropout(0.5)
    odd.config = lambda: {"p": np.float32(0.5)}                 # numpy scalars are not JSON
    with pytest.raises(CheckpointError, match="not plain JSON"):
        Sequential(odd).save(tmp_path / "x")
    with pytest.raises(TypeError, match="abcdl Module"):
        checkpoint.save({"W": np.ones(2)}, tmp_path / "x")
    assert files_in(tmp_path) == []


# -- atomic writes -------------------------------------------------------------------------
def test_checkpoint_failed_save_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    old, x = trained_mlp(np.float32, seed=0)
    old.save(path)
    new, _ = trained_mlp(np.float32, seed=1)

    def broken(fh, data):
        fh.write(data[: len(data) // 3])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "_write_all", broken)
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    assert files_in(tmp_path) == ["m.safetensors"]             # the temp file was removed
    np.testing.assert_array_equal(abcdl.load(path).forward(x), old.forward(x))


_CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    import abcdl
    from abcdl import checkpoint
    from abcdl.layers import Linear
    from abcdl.models import Sequential

    path, mode = sys.argv[1], sys.argv[2]
    abcdl.seed(1)
    model = Sequential(Linear(1000, 1000), Linear(1000, 10)).eval()
    if mode == "half":
        def slow(fh, data):                     # write half, then stall until killed
            fh.write(memoryview(data)[: len(data) // 2])
            fh.flush()
            print("HALF", flush=True)
            time.sleep(60)
        checkpoint._write_all = slow
        model.save(path)
    else:
        print("READY", flush=True)
        while True:
            model.save(path)
""")


def _spawn(path, mode) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), mode], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()                    # the child prints once it is writing
    if not line:
        proc.kill()
        pytest.fail(f"child did not start: {proc.stderr.read()}")
    return proc


def test_checkpoint_killed_save_leaves_previous_file(tmp_path):
    path = tmp_path / "m.safetensors"
    abcdl.seed(0)
    old = Sequential(Linear(1000, 1000), Linear(1000, 10)).eval()
    old.save(path)
    x = np.random.default_rng(0).normal(size=(4, 1000)).astype(np.float32)
    before = path.read_bytes()
    proc = _spawn(path, "half")
    try:
        os.kill(proc.pid, signal.SIGKILL)                    # killed in the middle of the write
    finally:
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    np.testing.assert_array_equal(abcdl.load(path).forward(x), old.forward(x))
    leftovers = [p for p in tmp_path.iterdir() if p.name != path.name]
    assert len(leftovers) == 1 and leftovers[0].name.startswith(".m.safetensors.")   # the half-written temp
    assert 0 < leftovers[0].stat().st_size < len(before)

    # killed at random moments while saving in a loop: the file is always one whole model
    abcdl.seed(1)
    new = Sequential(Linear(1000, 1000), Linear(1000, 10)).eval()
    whole = {old.forward(x).tobytes(), new.forward(x).tobytes()}
    chance = random.Random(0)
    for _ in range(3):
        proc = _spawn(path, "loop")
        time.sleep(chance.uniform(0.0, 0.3))
        proc.kill()
        proc.wait(10)
        assert abcdl.load(path).forward(x).tobytes() in whole


def test_checkpoint_info_round_trip(tmp_path):
    model, _ = trained_mlp(np.float32, seed=0)
    path = tmp_path / "m.safetensors"
    model.save(path, info={"dataset": "mnist", "class_names": ["0", "1"], "input_shape": [1, 28, 28]})
    assert checkpoint.read_info(path) == {"dataset": "mnist", "class_names": ["0", "1"],
                                          "input_shape": [1, 28, 28]}
    model.save(path)
    assert checkpoint.read_info(path) == {}
    with pytest.raises(checkpoint.CheckpointError, match="plain JSON"):
        model.save(path, info={"bad": object()})
    with pytest.raises(checkpoint.CheckpointError, match="dict"):
        model.save(path, info=["not", "a", "dict"])
