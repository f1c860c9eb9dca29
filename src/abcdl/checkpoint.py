"""Checkpoints: a model as one safetensors file, rebuilt without executing any code.

``save(model, path)`` writes the tensors of ``model.state_dict()`` (``layers.0.W``,
``layers.1.running_mean``, ...) in the safetensors format, and puts the
architecture in the file's string metadata, under the key ``"abcdl"``, as JSON::

    {"format": "abcdl", "version": 1, "library_version": "0.1.0", "training": false,
     "model": {"type": "Sequential", "layers": [
         {"type": "Linear", "config": {"in_features": 784, "out_features": 100, "bias": true}},
         {"type": "ReLU", "config": {}}, ...]}}

Each layer's ``config()`` gives its constructor arguments.  ``load(path)`` reads
that JSON and rebuilds the model from a registry of the library's *own* layer
types (every class in ``abcdl.layers.__all__``, plus the containers registered
with :func:`register`: ``Sequential``), builds each layer in the dtype of its
tensors in the file, then copies the tensors in with ``load_state_dict(strict=True)``.
There is no pickle anywhere and nothing in the file names code to run: a type
outside the registry is an error.  Building a layer does not consume the
library's random stream (its state is restored).

The file is the ecosystem's standard, so ``safetensors.torch.load_file(path)``
opens it in PyTorch.  Writes are atomic: the bytes go to a temporary file in the
same folder, which is fsync-ed and then renamed over ``path`` (``os.replace``),
so an interrupted save leaves the previous file intact (a hard kill may leave a
``.<name>.*.tmp`` file behind; it is never read).

``abcdl.save(model, path)`` and ``abcdl.load(path)`` are this module's functions;
``model.save(path)`` on a :class:`~abcdl.models.Sequential` calls :func:`save`.
Sequential registers itself here (``@checkpoint.register``) rather than being
imported, so that ``models/sequential.py`` can import this module without a cycle.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import os
from pathlib import Path

import numpy as np
import safetensors
import safetensors.numpy

from . import _config, layers
from ._io import atomic_write, write_chunks
from ._version import __version__
from .module import Module

__all__ = ["save", "load", "register", "CheckpointError", "layer_registry", "read_architecture",
           "read_info", "FORMAT", "VERSION"]

FORMAT = "abcdl"
VERSION = 1
METADATA_KEY = "abcdl"
MAX_HEADER_BYTES = 100 * 2**20          # safetensors' own limit on the JSON header
_DTYPES = {"F32": np.dtype(np.float32), "F64": np.dtype(np.float64)}
_CHUNK = 4 * 2**20


class CheckpointError(ValueError):
    """A file is not an abcdl checkpoint, is damaged, or describes something the library cannot build."""


_CONTAINERS: dict[str, type] = {}      # filled by @register: {"Sequential": Sequential}


def register(cls: type) -> type:
    """Class decorator: a container of the library (``Sequential``) that checkpoints may name.

    Its spec is ``{"type": name, "layers": [spec, ...]}`` and it is rebuilt as
    ``cls(*children)``.  Layers need no registration: every Module class in
    ``abcdl.layers.__all__`` is included.
    """
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register expects a Module class, got {cls!r}")
    _CONTAINERS[cls.__name__] = cls
    return cls


def layer_registry() -> dict[str, type]:
    """The types a checkpoint may name: each Module class in ``abcdl.layers.__all__``, and the containers.

    Built at call time, so layers added to ``abcdl.layers`` later are included.
    """
    reg: dict[str, type] = {}
    for name in layers.__all__:
        obj = getattr(layers, name, None)
        if isinstance(obj, type) and issubclass(obj, Module):
            reg[name] = obj
    reg.update(_CONTAINERS)
    return reg


# -- saving --------------------------------------------------------------------
def _describe(module: Module, reg: dict[str, type], where: str) -> dict:
    cls = type(module)
    name = cls.__name__
    if _CONTAINERS.get(name) is cls:
        return {"type": name,
                "layers": [_describe(layer, reg, f"{where}layers.{i}.") for i, layer in enumerate(module)]}
    if reg.get(name) is not cls:
        raise CheckpointError(
            f"cannot save {name} at {where.rstrip('.') or 'the top'}: a checkpoint holds only the "
            f"library's own layer types ({', '.join(sorted(reg))}), so that loading never runs code")
    config = getattr(module, "config", None)
    if config is None:
        raise CheckpointError(f"cannot save {name}: it has no config() to describe its arguments")
    cfg = config()
    try:
        json.dumps(cfg, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"cannot save {name}: its config() {cfg!r} is not plain JSON ({exc})") from exc
    return {"type": name, "config": cfg}


def architecture(model: Module) -> dict:
    """The JSON-able description that :func:`save` stores (format, versions, mode and layers)."""
    if not isinstance(model, Module):
        raise TypeError(f"save expects an abcdl Module, got {type(model).__name__}")
    return {"format": FORMAT, "version": VERSION, "library_version": __version__,
            "training": bool(model.training), "model": _describe(model, layer_registry(), "")}


# Looked up at call time so tests can simulate a crash mid-write.
_write_all = write_chunks


def save(model: Module, path: str | os.PathLike, info: dict | None = None) -> None:
    """Write ``model`` to one safetensors file: its tensors and, in the metadata, its architecture.

    Parameters
    ----------
    model : Module
        A Sequential (possibly nested) or a single layer, built only from the
        library's own layer types.
    path : str or PathLike
        Target file (any extension; ``.safetensors`` or ``.abcdl`` are customary).
        Written atomically: readers see the old file or the new one, never a mix.
    info : dict, optional
        JSON-able facts about the model kept with it (``abcdl train`` stores the
        dataset, its class names and the input shape); read back with :func:`read_info`.

    Raises
    ------
    CheckpointError
        A layer type outside the library, a config that is not JSON, or tensors
        that are not float32/float64.
    """
    arch = architecture(model)
    if info is not None:
        if not isinstance(info, dict):
            raise CheckpointError(f"info must be a dict, got {type(info).__name__}")
        try:
            arch["info"] = json.loads(json.dumps(info, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise CheckpointError(f"info is not plain JSON: {exc}") from exc
    tensors = {}
    for key, value in model.state_dict().items():
        if value.dtype not in _DTYPES.values():
            raise CheckpointError(f"cannot save {key}: dtype {value.dtype}, expected float32 or float64")
        tensors[key] = np.ascontiguousarray(value)
    data = safetensors.numpy.save(tensors, metadata={"format": FORMAT, METADATA_KEY: json.dumps(arch)})
    atomic_write(Path(path).expanduser(), data, write=_write_all)


# -- loading -------------------------------------------------------------------
def _sniff(head: bytes) -> str | None:
    """A description of a known non-safetensors payload, from its first bytes."""
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return (f"a Python pickle (protocol {head[1]}), e.g. a legacy torch.save file or a pickled "
                f"object; abcdl never unpickles, because unpickling runs code")
    if head[:4] == b"PK\x03\x04":
        return ("a zip archive, e.g. a PyTorch torch.save .pt/.pth file, which holds a pickle; "
                "abcdl never unpickles")
    if head[:6] == b"\x93NUMPY":
        return "a NumPy .npy file"
    if head[:2] == b"\x1f\x8b":
        return "gzip-compressed data"
    return None


def _read_header(path: Path) -> dict:
    """The JSON header of a safetensors file, checked for shape, without reading the tensors."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(8)
            known = _sniff(head)
            if known:
                raise CheckpointError(f"{path}: not a safetensors file: it is {known}")
            if len(head) < 8:
                raise CheckpointError(f"{path}: not a safetensors file: only {size} bytes")
            n = int.from_bytes(head, "little")          # header length, little-endian u64
            if n < 2 or n > MAX_HEADER_BYTES or n > size - 8:
                raise CheckpointError(f"{path}: not a safetensors file: its first 8 bytes give a "
                                      f"header of {n} bytes for a file of {size} bytes")
            raw = fh.read(n)
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: bad safetensors header: not JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: bad safetensors header: a JSON {type(header).__name__}, "
                              f"not an object")
    return header


def read_architecture(path: str | os.PathLike) -> dict:
    """The architecture JSON stored by :func:`save`, checked, without building anything."""
    path = Path(path).expanduser()
    return _architecture_from_header(path, _read_header(path))


def read_info(path: str | os.PathLike) -> dict:
    """The ``info`` dict given to :func:`save` (empty when none was), without building the model."""
    info = read_architecture(path).get("info", {})
    if not isinstance(info, dict):
        raise CheckpointError(f"{path}: invalid abcdl metadata: 'info' must be an object")
    return info


def _architecture_from_header(path: Path, header: dict) -> dict:
    meta = header.get("__metadata__")
    if not isinstance(meta, dict) or METADATA_KEY not in meta:
        raise CheckpointError(f"{path}: a safetensors file without abcdl metadata (no {METADATA_KEY!r} "
                              f"entry in __metadata__): it holds tensors but no architecture to rebuild; "
                              f"use model.load_state_dict(safetensors.numpy.load_file(path)) on a "
                              f"model you build")
    try:
        arch = json.loads(meta[METADATA_KEY])
    except (TypeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: invalid abcdl metadata: not JSON ({exc})") from exc
    if not isinstance(arch, dict) or arch.get("format") != FORMAT:
        raise CheckpointError(f"{path}: invalid abcdl metadata: 'format' must be {FORMAT!r}")
    version = arch.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and version > VERSION
        raise CheckpointError(f"{path}: checkpoint format version {version!r}, this abcdl reads version "
                              f"{VERSION}" + ("; upgrade abcdl" if newer else ""))
    if not isinstance(arch.get("model"), dict):
        raise CheckpointError(f"{path}: invalid abcdl metadata: 'model' must be an object")
    return arch


@contextlib.contextmanager
def _building(dtype: np.dtype | None):
    """Build layers in ``dtype`` without consuming the library's random numbers."""
    gen = _config.get_rng()
    state = gen.bit_generator.state
    old = _config.get_default_dtype()
    try:
        if dtype is not None:
            _config.set_default_dtype(dtype)
        yield
    finally:
        _config.set_default_dtype(old)
        gen.bit_generator.state = state


def _layer_dtype(path: Path, specs: dict, prefix: str, where: str) -> np.dtype | None:
    """The one dtype of the tensors directly under ``prefix`` (None when the layer has none)."""
    found = {specs[k]["dtype"] for k in specs if k.startswith(prefix) and "." not in k[len(prefix):]}
    if len(found) > 1:
        raise CheckpointError(f"{path}: the tensors of {where} mix dtypes {sorted(found)}")
    return _DTYPES[found.pop()] if found else None


def _build(path: Path, spec, reg: dict[str, type], specs: dict, prefix: str) -> Module:
    where = prefix.rstrip(".") or "the model"
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise CheckpointError(f"{path}: invalid abcdl metadata at {where}: expected an object with a 'type'")
    name = spec["type"]
    if name not in reg:
        raise CheckpointError(f"{path}: unknown layer type {name!r} at {where}; a checkpoint may only "
                              f"name the library's own types: {', '.join(sorted(reg))}")
    if name in _CONTAINERS:
        children = spec.get("layers")
        if not isinstance(children, list):
            raise CheckpointError(f"{path}: invalid abcdl metadata at {where}: {name} needs a "
                                  f"'layers' list")
        built = [_build(path, s, reg, specs, f"{prefix}layers.{i}.") for i, s in enumerate(children)]
        return reg[name](*built)
    config = spec.get("config", {})
    if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
        raise CheckpointError(f"{path}: invalid abcdl metadata at {where}: {name} 'config' must be an object")
    cls = reg[name]
    kwargs = dict(config)
    dtype = _layer_dtype(path, specs, prefix, f"{name} at {where}")
    params = inspect.signature(cls).parameters
    if dtype is not None and "dtype" in params and "dtype" not in kwargs:
        kwargs["dtype"] = dtype.name
    try:
        inspect.signature(cls).bind(**kwargs)
    except TypeError as exc:
        raise CheckpointError(f"{path}: bad config for {name} at {where}: {exc} "
                              f"(got {sorted(config)}, accepts {list(params)})") from exc
    try:
        with _building(dtype):
            return cls(**kwargs)
    except (TypeError, ValueError, MemoryError) as exc:
        raise CheckpointError(f"{path}: bad config for {name} at {where}: "
                              f"{type(exc).__name__}: {exc}") from exc


def load(path: str | os.PathLike) -> Module:
    """Rebuild a model written by :func:`save` (or ``model.save``); no code from the file is run.

    Returns
    -------
    Module
        The model with its parameters and buffers, in the dtype and the train/eval
        mode it was saved in.

    Raises
    ------
    CheckpointError
        Not a safetensors file (a pickle or torch ``.pt`` payload is recognised and
        refused), a bad header, missing or invalid metadata, an unknown layer type,
        bad layer arguments, missing or unexpected tensors, wrong shapes or dtypes.
    """
    path = Path(path).expanduser()
    header = _read_header(path)
    arch = _architecture_from_header(path, header)
    specs = {k: v for k, v in header.items() if k != "__metadata__"}
    for key, spec in specs.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("shape"), list):
            raise CheckpointError(f"{path}: bad safetensors header entry for {key!r}")
        if spec.get("dtype") not in _DTYPES:
            raise CheckpointError(f"{path}: tensor {key} has dtype {spec.get('dtype')!r}; abcdl "
                                  f"checkpoints hold float32 (F32) or float64 (F64) tensors")
    model = _build(path, arch["model"], layer_registry(), specs, "")
    expected = {k: (v.shape, v.dtype) for k, v in model.state_dict().items()}
    missing = [k for k in expected if k not in specs]
    unexpected = [k for k in specs if k not in expected]
    if missing or unexpected:
        parts = ([f"missing tensors: {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected tensors: {', '.join(unexpected)}"] if unexpected else [])
        raise CheckpointError(f"{path}: the tensors do not match the architecture: " + "; ".join(parts))
    for key, (shape, dtype) in expected.items():
        got_shape, got_dtype = tuple(specs[key]["shape"]), _DTYPES[specs[key]["dtype"]]
        if got_shape != shape or got_dtype != dtype:
            raise CheckpointError(f"{path}: tensor {key} is {got_dtype} {got_shape}, the architecture "
                                  f"needs {dtype} {shape}")
    try:
        tensors = safetensors.numpy.load_file(str(path))
    except (safetensors.SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged safetensors data: {exc}") from exc
    model.load_state_dict(tensors, strict=True)
    model.train(bool(arch.get("training", False)))
    return model
