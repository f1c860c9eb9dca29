"""Checkpoints from hostile or damaged files (issue 21: items 2, 6, 7, 8, 9, 12).

Each case is one that once failed: a 5.5 KB file whose config names
``Linear(20000, 20000)`` allocated 3.1 GB before failing; a FIFO blocked forever;
deeply nested JSON raised RecursionError; NaN weights loaded; ``"training": "false"``
loaded in training mode; ``save`` replaced whatever was at its path.
"""

from __future__ import annotations

import inspect
import json
import os

import numpy as np
import pytest
import safetensors.numpy

import abcdl
from _hardening_helpers import call_unblocking, run_limited
from abcdl import _state_shapes, checkpoint
from abcdl.checkpoint import CheckpointError
from abcdl.layers import Linear, ReLU
from abcdl.models import Sequential


def craft(path, layers, tensors, **arch_extra) -> int:
    """A checkpoint of a Sequential of ``layers`` (specs) holding ``tensors``; returns its size in bytes."""
    arch = {"format": "abcdl", "version": 1, "library_version": "0.1.0",
            "model": {"type": "Sequential", "layers": layers}, **arch_extra}
    path.write_bytes(safetensors.numpy.save(tensors, metadata={"format": "abcdl", "abcdl": json.dumps(arch)}))
    return path.stat().st_size


def linear_spec(n_in: int, n_out: int) -> dict:
    return {"type": "Linear", "config": {"in_features": n_in, "out_features": n_out, "bias": True}}


def small_linear_tensors(i: int = 0, shape=(32, 40)) -> dict:
    return {f"layers.{i}.W": np.ones(shape, np.float32), f"layers.{i}.b": np.zeros(shape[0], np.float32)}


LOAD_CODE = """
    try:
        abcdl.load({path!r})
        result["error"] = None
    except abcdl.checkpoint.CheckpointError as exc:
        result["error"] = str(exc)
"""


# -- item 2: no layer is built at a size the file cannot hold -----------------------------------------
@pytest.mark.parametrize("case", ["Linear(20000, 20000)", "200 x Linear(3000, 3000)"])
def test_hardening_checkpoint_config_larger_than_file_fails_fast(tmp_path, case):
    path = tmp_path / "bomb.safetensors"
    if case == "Linear(20000, 20000)":
        size = craft(path, [linear_spec(20000, 20000)], small_linear_tensors())
        assert 5000 < size < 6000                                # the 5.5 KB file
        needle = r"tensor layers.0.W is float32 (32, 40), the architecture needs float32 (20000, 20000)"
    else:
        size = craft(path, [linear_spec(3000, 3000) for _ in range(200)],
                     {k: v for i in range(200) for k, v in small_linear_tensors(i, (2, 2)).items()})
        assert size < 60_000                                     # the had 22 KB
        needle = "tensor layers.0.W is float32 (2, 2), the architecture needs float32 (3000, 3000)"
    out = run_limited(LOAD_CODE.format(path=str(path)))
    assert out["error"] is not None and needle in out["error"], out
    assert "MemoryError" not in out["error"] and "nothing was built" in out["error"]
    assert out["peak_mb"] < 20, out                             # was 3.1 GB / 3.9 GB


def test_hardening_checkpoint_declared_shape_beyond_file_bytes(tmp_path):
    path = tmp_path / "short.safetensors"
    craft(path, [linear_spec(40, 32)], small_linear_tensors())
    data = bytearray(path.read_bytes())
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + n])
    header["layers.0.W"]["shape"] = [100_000, 100_000]           # 40 GB claimed, 5 KB present
    raw = json.dumps(header).encode()
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + bytes(data[8 + n:]))
    with pytest.raises(CheckpointError, match=r"tensor layers\.0\.W declares shape \(100000, 100000\) "
                                              r"\(40,000,000,000 bytes\) but the file holds 5,120 bytes"):
        abcdl.load(path)


def test_hardening_checkpoint_too_many_layers(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "MAX_LAYERS", 50)
    path = tmp_path / "many.safetensors"
    craft(path, [{"type": "ReLU", "config": {}}] * 60, {})
    with pytest.raises(CheckpointError, match="more than 50 layers"):
        abcdl.load(path)


def test_hardening_checkpoint_every_layer_type_has_a_shape_rule():
    registry = checkpoint.layer_registry()
    layer_types = [cls for name, cls in registry.items() if name not in checkpoint._CONTAINERS]
    missing = [cls.__name__ for cls in layer_types if cls.__name__ not in _state_shapes.RULES]
    assert not missing, (f"add a rule for {missing} to abcdl._state_shapes.RULES: checkpoints would "
                         f"build these layers before checking their sizes against the file")


SAMPLES = [
    ("Linear", {"in_features": 5, "out_features": 3}), ("Linear", {"in_features": 5, "out_features": 3,
                                                                   "bias": False}),
    ("Conv2d", {"in_channels": 2, "out_channels": 4, "kernel_size": 3}),
    ("Conv2d", {"in_channels": 2, "out_channels": 4, "kernel_size": [3, 2], "bias": False}),
    ("BatchNorm1d", {"num_features": 6}), ("BatchNorm2d", {"num_features": 3}), ("ReLU", {}),
    ("Embedding", {"num_embeddings": 7, "embedding_dim": 3}),
    ("RNN", {"input_size": 3, "hidden_size": 4}),
    ("GRU", {"input_size": 3, "hidden_size": 4, "num_layers": 2}),
    ("LSTM", {"input_size": 3, "hidden_size": 4, "num_layers": 3, "bidirectional": True}),
]


@pytest.mark.parametrize("name, config", [s for s in SAMPLES if s[0] in checkpoint.layer_registry()],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_hardening_checkpoint_shape_rules_match_the_layers(name, config):
    cls = checkpoint.layer_registry()[name]
    bound = inspect.signature(cls).bind(**config)
    bound.apply_defaults()
    implied = _state_shapes.state_shapes(cls, bound.arguments)
    assert implied == {k: v.shape for k, v in cls(**config).state_dict().items()}


# -- item 8: NaN / Inf weights ---------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_hardening_checkpoint_nonfinite_weights_name_the_tensor(tmp_path, bad):
    model = Sequential(Linear(4, 3), ReLU(), Linear(3, 2))
    model[2].b.data[1] = bad
    path = tmp_path / "nan.safetensors"
    abcdl.save(model, path)
    with pytest.raises(CheckpointError, match=r"tensor layers\.2\.b holds 1 NaN or infinite value\(s\) "
                                              r"\(of 2\).*smaller learning rate"):
        abcdl.load(path)


# -- item 12: the training flag ----------------------------------------------------------------------------
@pytest.mark.parametrize("flag", ["false", 0, None, [True]])
def test_hardening_checkpoint_training_flag_must_be_bool(tmp_path, flag):
    path = tmp_path / "flag.safetensors"
    craft(path, [linear_spec(40, 32)], small_linear_tensors(), training=flag)
    with pytest.raises(CheckpointError, match="'training' must be true or false, got "):
        abcdl.load(path)


@pytest.mark.parametrize("flag", [True, False])
def test_hardening_checkpoint_training_flag_bool_is_kept(tmp_path, flag):
    path = tmp_path / "flag.safetensors"
    craft(path, [linear_spec(40, 32)], small_linear_tensors(), training=flag)
    assert abcdl.load(path).training is flag


# -- item 9: crafted JSON ------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["metadata", "header", "config"])
def test_hardening_checkpoint_deep_json_is_a_clear_error(tmp_path, where):
    path = tmp_path / "deep.safetensors"
    deep = "[" * 100_000 + "]" * 100_000
    if where == "header":
        raw = ('{"__metadata__": {"x": "y"}, "deep": ' + deep + "}").encode()
        path.write_bytes(len(raw).to_bytes(8, "little") + raw)
    elif where == "metadata":
        path.write_bytes(safetensors.numpy.save({}, metadata={"format": "abcdl", "abcdl": deep}))
    else:
        craft(path, [{"type": "ReLU", "config": {"x": json.loads("[" * 70 + "]" * 70)}}], {})
    with pytest.raises(CheckpointError, match="nests .* levels deep, more than the 64 allowed"):
        abcdl.load(path)


def test_hardening_checkpoint_huge_integer_in_config(tmp_path):
    path = tmp_path / "digits.safetensors"
    arch = ('{"format": "abcdl", "version": 1, "model": {"type": "Sequential", "layers": [{"type": "Linear", '
            '"config": {"in_features": ' + "9" * 5000 + ', "out_features": 2}}]}}')
    path.write_bytes(safetensors.numpy.save({}, metadata={"format": "abcdl", "abcdl": arch}))
    with pytest.raises(CheckpointError, match="invalid abcdl metadata: not JSON"):
        abcdl.load(path)


# -- item 6: only regular files are read -----------------------------------------------------------------
def test_hardening_checkpoint_fifo_is_refused(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    error = call_unblocking(lambda: abcdl.load(fifo), fifo)
    assert isinstance(error, CheckpointError)
    assert "cannot read (a FIFO (named pipe), not a regular file)" in str(error)


@pytest.mark.parametrize("target", ["/dev/zero", "folder"])
def test_hardening_checkpoint_link_to_device_or_folder_is_refused(tmp_path, target):
    link = tmp_path / "model.safetensors"
    link.symlink_to(target if target.startswith("/") else tmp_path)
    with pytest.raises(CheckpointError, match="a character device, not a regular file|a folder, not a"):
        abcdl.load(link)


# -- item 7: save replaces only a regular file ---------------------------------------------------------------
@pytest.mark.parametrize("kind", ["fifo", "folder", "link to /dev/null"])
def test_hardening_checkpoint_save_refuses_non_regular_target(tmp_path, kind):
    target = tmp_path / "model.safetensors"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target.symlink_to("/dev/null")
    before = os.lstat(target)
    with pytest.raises(OSError, match="is there, and only a regular file is ever replaced"):
        abcdl.save(Linear(3, 2), target)
    after = os.lstat(target)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]          # no temp file left


def test_hardening_checkpoint_save_replaces_regular_file_and_link_to_one(tmp_path):
    real = tmp_path / "real.safetensors"
    abcdl.save(Linear(3, 2), real)
    link = tmp_path / "link.safetensors"
    link.symlink_to(real)
    abcdl.save(Linear(5, 2), link)                          # the link is replaced; its target is kept
    assert not link.is_symlink() and abcdl.load(link).in_features == 5
    assert abcdl.load(real).in_features == 3
