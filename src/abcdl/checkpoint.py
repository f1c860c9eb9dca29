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

Nothing is allocated on the file's word: only a regular file is read (a FIFO or
a device is refused), the header's size and JSON nesting are capped, each
tensor's declared shape must match the bytes really in the file
(:mod:`abcdl._safetensors_header`), and each layer's arguments must imply the
shapes of its tensors in the file *before* the layer is built
(:mod:`abcdl._state_shapes`), so a 5 KB file naming ``Linear(20000, 20000)`` fails
at once instead of allocating gigabytes.  Weights that are NaN or infinite are
refused, naming the tensor; ``safetensors.numpy.load_file(path)`` still reads them
for inspection.

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

import bisect
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
from ._read import loads_json
from ._safetensors_header import DTYPES as _DTYPES
from ._safetensors_header import CheckpointError, json_problem, read_header, tensor_specs
from ._state_shapes import state_shapes
from ._version import __version__
from .module import Module
from .parallel import DataParallel

__all__ = ["save", "load", "register", "CheckpointError", "layer_registry", "read_architecture",
           "read_info", "FORMAT", "VERSION"]

FORMAT = "abcdl"
VERSION = 1
METADATA_KEY = "abcdl"
MAX_LAYERS = 10_000                     # layers in one checkpoint (each costs memory before any check)
_CHUNK = 4 * 2**20


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
        library's own layer types; a :class:`abcdl.parallel.DataParallel` saves
        the module it wraps.
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
    if isinstance(model, DataParallel):
        model = model.module                       # the network, not the threads that train it
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
def read_architecture(path: str | os.PathLike) -> dict:
    """The architecture JSON stored by :func:`save`, checked, without building anything."""
    path = Path(path).expanduser()
    return _architecture_from_header(path, read_header(path)[0])


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
    if not isinstance(meta[METADATA_KEY], str):
        raise CheckpointError(f"{path}: invalid abcdl metadata: not JSON "
                              f"(a {type(meta[METADATA_KEY]).__name__})")
    try:
        arch = loads_json(meta[METADATA_KEY], "the abcdl metadata")
    except ValueError as exc:                          # not JSON, too deep, an int of 5,000 digits
        raise CheckpointError(f"{path}: invalid abcdl metadata: {json_problem(exc)}") from exc
    if not isinstance(arch, dict) or arch.get("format") != FORMAT:
        raise CheckpointError(f"{path}: invalid abcdl metadata: 'format' must be {FORMAT!r}")
    version = arch.get("version")
    if version != VERSION:
        newer = isinstance(version, int) and version > VERSION
        raise CheckpointError(f"{path}: checkpoint format version {version!r}, this abcdl reads version "
                              f"{VERSION}" + ("; upgrade abcdl" if newer else ""))
    if not isinstance(arch.get("model"), dict):
        raise CheckpointError(f"{path}: invalid abcdl metadata: 'model' must be an object")
    if not isinstance(arch.get("training", False), bool):
        raise CheckpointError(f"{path}: invalid abcdl metadata: 'training' must be true or false, "
                              f"got {arch['training']!r}")
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


class _Builder:
    """Builds the model a checkpoint describes, layer by layer, each checked before it allocates anything.

    Each layer's constructor arguments imply its parameter shapes (:mod:`abcdl._state_shapes`);
    they are compared with the tensors the header declares (whose bytes are in the file)
    before the layer is built, so no layer is initialised at a size the file cannot hold.
    """

    def __init__(self, path: Path, specs: dict[str, dict]) -> None:
        self.path, self.reg, self.count = path, layer_registry(), 0
        self.specs, self.keys = specs, sorted(specs)            # sorted: a layer's tensors are one run

    def _under(self, prefix: str) -> dict[str, dict]:
        """The tensors of the layer at ``prefix``, named as in it ("W"; "q_proj.W" for a sub-layer's)."""
        lo = bisect.bisect_left(self.keys, prefix)
        hi = bisect.bisect_left(self.keys, prefix + "\U0010ffff", lo)
        return {key[len(prefix):]: self.specs[key] for key in self.keys[lo:hi]}

    def build(self, spec, prefix: str = "") -> Module:
        where = prefix.rstrip(".") or "the model"
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise CheckpointError(f"{self.path}: invalid abcdl metadata at {where}: expected an object "
                                  f"with a 'type'")
        name = spec["type"]
        if name not in self.reg:
            raise CheckpointError(f"{self.path}: unknown layer type {name!r} at {where}; a checkpoint may "
                                  f"only name the library's own types: {', '.join(sorted(self.reg))}")
        self.count += 1
        if self.count > MAX_LAYERS:
            raise CheckpointError(f"{self.path}: the architecture names more than {MAX_LAYERS:,} layers")
        if name not in _CONTAINERS:
            return self._layer(self.reg[name], spec, prefix, where)
        children = spec.get("layers")
        if not isinstance(children, list):
            raise CheckpointError(f"{self.path}: invalid abcdl metadata at {where}: {name} needs a "
                                  f"'layers' list")
        return self.reg[name](*[self.build(s, f"{prefix}layers.{i}.") for i, s in enumerate(children)])

    def _layer(self, cls: type, spec: dict, prefix: str, where: str) -> Module:
        name, path = cls.__name__, self.path
        config = spec.get("config", {})
        if not isinstance(config, dict) or not all(isinstance(k, str) for k in config):
            raise CheckpointError(f"{path}: invalid abcdl metadata at {where}: {name} 'config' must be "
                                  f"an object")
        tensors = self._under(prefix)
        dtype = self._dtype(tensors, f"{name} at {where}")
        kwargs = dict(config)
        params = inspect.signature(cls).parameters
        if dtype is not None and "dtype" in params and "dtype" not in kwargs:
            kwargs["dtype"] = dtype.name
        try:
            bound = inspect.signature(cls).bind(**kwargs)
        except TypeError as exc:
            raise CheckpointError(f"{path}: bad config for {name} at {where}: {exc} "
                                  f"(got {sorted(config)}, accepts {list(params)})") from exc
        bound.apply_defaults()
        self._check_shapes(state_shapes(cls, bound.arguments), tensors, prefix, f"{name} at {where}")
        try:
            with _building(dtype):
                return cls(**kwargs)
        except (TypeError, ValueError, MemoryError) as exc:
            raise CheckpointError(f"{path}: bad config for {name} at {where}: "
                                  f"{type(exc).__name__}: {exc}") from exc

    def _dtype(self, tensors: dict[str, dict], what: str) -> np.dtype | None:
        """The one dtype of a layer's tensors (None when it has none)."""
        found = {spec["dtype"] for spec in tensors.values()}
        if len(found) > 1:
            raise CheckpointError(f"{self.path}: the tensors of {what} mix dtypes "
                                  f"{sorted(d.name for d in found)}")
        return found.pop() if found else None

    def _check_shapes(self, needed: dict | None, tensors: dict[str, dict], prefix: str, what: str) -> None:
        """The shapes the arguments imply against the file's tensors, before building (None: no rule)."""
        for pname, shape in (needed or {}).items():
            have = tensors.get(pname)
            if have is None:
                raise CheckpointError(f"{self.path}: the tensors do not match the architecture: missing "
                                      f"tensors: {prefix}{pname} ({what} needs {shape}); nothing was built")
            if have["shape"] != shape:
                raise CheckpointError(
                    f"{self.path}: tensor {prefix}{pname} is {have['dtype']} {have['shape']}, the "
                    f"architecture needs {have['dtype']} {shape} ({what}); nothing was built")


def _check_finite(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """Refuse NaN and Inf weights: a model holding them computes NaN for every input."""
    for key, value in tensors.items():
        finite = np.isfinite(value)
        if not finite.all():
            bad = value.size - int(np.count_nonzero(finite))
            raise CheckpointError(
                f"{path}: tensor {key} holds {bad:,} NaN or infinite value(s) (of {value.size:,}); a model "
                f"with them computes NaN. It was probably saved after training diverged: train again "
                f"with a smaller learning rate. safetensors.numpy.load_file(path) reads the raw tensors")


def load(path: str | os.PathLike) -> Module:
    """Rebuild a model written by :func:`save` (or ``model.save``); no code from the file is run.

    Every size is checked before it is allocated: the header's tensors against the
    bytes in the file, and each layer's arguments against those tensors before the
    layer is built.

    Returns
    -------
    Module
        The model with its parameters and buffers, in the dtype and the train/eval
        mode it was saved in.

    Raises
    ------
    CheckpointError
        Not a regular file, or not a safetensors file (a pickle or torch ``.pt``
        payload is recognised and refused), a bad header, missing or invalid
        metadata, an unknown layer type, bad layer arguments, missing or unexpected
        tensors, wrong shapes or dtypes, NaN or infinite weights.
    """
    path = Path(path).expanduser()
    header, data_len = read_header(path)
    arch = _architecture_from_header(path, header)
    specs = tensor_specs(path, header, data_len)
    model = _Builder(path, specs).build(arch["model"])
    expected = {k: (v.shape, v.dtype) for k, v in model.state_dict().items()}
    missing = [k for k in expected if k not in specs]
    unexpected = [k for k in specs if k not in expected]
    if missing or unexpected:
        parts = ([f"missing tensors: {', '.join(missing)}"] if missing else []) + \
                ([f"unexpected tensors: {', '.join(unexpected)}"] if unexpected else [])
        raise CheckpointError(f"{path}: the tensors do not match the architecture: " + "; ".join(parts))
    for key, (shape, dtype) in expected.items():
        got_shape, got_dtype = specs[key]["shape"], specs[key]["dtype"]
        if got_shape != shape or got_dtype != dtype:
            raise CheckpointError(f"{path}: tensor {key} is {got_dtype} {got_shape}, the architecture "
                                  f"needs {dtype} {shape}")
    try:
        tensors = safetensors.numpy.load_file(str(path))
    except (safetensors.SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path}: damaged safetensors data: {exc}") from exc
    _check_finite(path, tensors)
    model.load_state_dict(tensors, strict=True)
    model.train(arch.get("training", False))
    return model
