"""Shared pieces of ``abcdl train``, ``abcdl evaluate`` and ``abcdl predict``.

Loading a model file,
finding the run information (``metrics.json``) written beside it, the shape of
input a model expects, and atomic JSON writes.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

from .._io import atomic_write
from .._read import loads_json, read_regular
from ..callbacks import Callback
from ..checkpoint import CheckpointError, load, read_info
from ..functions import softmax as _softmax
from ..layers import Conv2d, Linear
from ..models import Sequential
from ._datasets import DATASETS
from ._errors import CLIError

METRICS_FILE = "metrics.json"
MAX_METRICS_BYTES = 16 * 2**20     # a metrics.json of 10,000 epochs is about 2 MB
MODEL_FILE = "model.safetensors"


class HelpFormatter(argparse.HelpFormatter):
    """Adds "(default: X)" to an option's help, unless the help already says it or there is none to show."""

    def _get_help_string(self, action) -> str:
        text = action.help or ""
        if ("default" in text or not action.option_strings or action.nargs == 0
                or any(action.default is v for v in (None, False, argparse.SUPPRESS))):
            return text
        return text + " (default: %(default)s)"


def positive_int(text: str) -> int:
    """An argparse ``type``: a positive integer, or a clear one-line error."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def squash(text: str) -> str:
    """One line from a multi-line message: lines joined with spaces, runs of blanks collapsed."""
    return re.sub(r"\s+", " ", " ".join(line.strip() for line in str(text).splitlines())).strip()


def load_model(path):
    """The model saved at ``path`` (``abcdl.load``), in eval mode.

    Raises
    ------
    CLIError
        Missing, unreadable or corrupt file, or not an abcdl checkpoint.
    """

    p = Path(path).expanduser()
    if not p.exists():
        raise CLIError(f"model file not found: {p}")
    if p.is_dir():
        hint = f"; did you mean {p / MODEL_FILE}?" if (p / MODEL_FILE).is_file() else ""
        raise CLIError(f"{p} is a folder, not a model file{hint}")
    try:
        model = load(p)
    except CheckpointError as exc:
        raise CLIError(squash(exc)) from exc
    except OSError as exc:
        raise CLIError(f"cannot read the model file {p}: {exc.strerror or exc}") from exc
    model.eval()
    return model


def model_path_arg(path: str) -> Path:
    """A MODEL argument: a ``.safetensors`` file, or a run folder holding ``model.safetensors``."""
    p = Path(path).expanduser()
    if p.is_dir() and (p / MODEL_FILE).is_file():
        return p / MODEL_FILE
    return p


def run_info(model_path) -> dict | None:
    """What is known of how ``model_path`` was trained: the ``info`` stored in the checkpoint
    (dataset, class names, input shape), else the ``metrics.json`` written beside it, else None.

    A metrics.json is used only when it names this model file (``"model_file"``) and
    parses as a JSON object; otherwise it is ignored.
    """

    p = Path(model_path).expanduser()
    try:
        stored = read_info(p)
    except (CheckpointError, OSError):
        stored = {}
    if info_dataset(stored):
        return stored
    return metrics_beside(p)


def metrics_beside(model_path) -> dict | None:
    """The ``metrics.json`` beside ``model_path``, when it names this model file (``"model_file"``)
    and parses as a JSON object; else None.

    Only a regular file of at most :data:`MAX_METRICS_BYTES`, nested at most 64 deep, is
    read: a FIFO there would block, a link to ``/dev/zero`` never end, deep nesting raise
    RecursionError; such a file is ignored like a malformed one."""
    p = Path(model_path).expanduser()
    try:
        raw = read_regular(p.parent / METRICS_FILE, MAX_METRICS_BYTES, METRICS_FILE)
        info = loads_json(raw.decode("utf-8"), METRICS_FILE)
    except (OSError, ValueError):                 # missing, not a regular file, too large, too deep, not JSON
        return None
    if not isinstance(info, dict) or info.get("model_file") != p.name:
        return None
    return info


def info_dataset(info: dict | None) -> str | None:
    """The dataset name recorded in a run's metrics.json, if it is one the commands know."""
    if not info:
        return None
    ds = info.get("dataset")
    name = ds.get("name") if isinstance(ds, dict) else ds
    return name if name in DATASETS else None


def _first_layer(model):
    layer = model
    while isinstance(layer, Sequential) and len(layer):
        layer = layer[0]
    return layer


def stored_input_shape(info: dict | None) -> tuple[int, int, int] | None:
    """The ``input_shape`` (C, H, W) recorded in a checkpoint's info or a run's metrics.json, if valid."""
    shape = (info or {}).get("input_shape")
    if (isinstance(shape, list) and len(shape) == 3
            and all(isinstance(n, int) and not isinstance(n, bool) and 0 < n <= 4096 for n in shape)):
        return tuple(shape)
    return None


def input_spec(model, dataset: str | None = None, info: dict | None = None
               ) -> tuple[bool, tuple[int, int, int]]:
    """``(flat, (C, H, W))``: whether ``model`` takes flattened rows, and its image shape.

    The shape stored with the model (``info["input_shape"]``, written by ``abcdl train``)
    is used when there is one.  Without it: a model starting with ``Linear(n, ...)`` takes
    rows of n = H*W features (the dataset's shape when given, else square images); a
    model starting with ``Conv2d`` takes (m, C, H, W) images of the dataset's size, or
    of 28x28 or 8x8, whichever a trial forward pass accepts.

    Raises
    ------
    CLIError
        The first layer is neither, or no image size fits.
    """

    first = _first_layer(model)
    stored = stored_input_shape(info)
    if stored is not None and isinstance(first, (Linear, Conv2d)):
        return isinstance(first, Linear), stored
    if isinstance(first, Linear):
        return True, _flat_shape(first.in_features, dataset)
    if isinstance(first, Conv2d):
        return False, _conv_shape(model, first, dataset)
    raise CLIError(f"cannot tell what input the model expects: it starts with {type(first).__name__}")


def _flat_shape(n: int, dataset: str | None) -> tuple[int, int, int]:
    if dataset in DATASETS and math.prod(DATASETS[dataset].image_shape) == n:
        return (1, *DATASETS[dataset].image_shape)
    side = math.isqrt(n)
    if side * side != n:
        raise CLIError(f"the model takes {n} input features, which is not a square grey image")
    return (1, side, side)


def _conv_shape(model, first, dataset: str | None) -> tuple[int, int, int]:
    c = first.in_channels
    candidates = [DATASETS[dataset].image_shape] if dataset in DATASETS else [(28, 28), (8, 8)]
    for hw in candidates:
        try:
            model.forward(np.zeros((1, c, *hw), dtype=first.W.dtype))
        except ValueError:
            continue
        return (c, *hw)
    raise CLIError(f"the model starts with {first!r}, but no image size ({candidates}) fits it")


def guess_dataset(model, info: dict | None, requested: str | None) -> str:
    """The dataset to use for ``model``: ``--dataset``, else its metrics.json, else by input size."""
    if requested:
        return requested
    name = info_dataset(info)
    if name:
        return name
    flat, (_, h, w) = input_spec(model, info=info)
    return "digits" if (h, w) == DATASETS["digits"].image_shape else "mnist"


def num_outputs(model, flat: bool, shape: tuple[int, int, int]) -> int:
    """The number of classes: the width of the model's output for one zero input."""
    x = np.zeros((1, math.prod(shape)) if flat else (1, *shape), dtype=np.float32)
    try:
        out = model.forward(x.astype(model.parameters()[0].dtype) if model.parameters() else x)
    except ValueError as exc:
        raise CLIError(f"the model does not accept {shape} images: {squash(exc)}") from exc
    return int(out.shape[-1])


def softmax(z: np.ndarray) -> np.ndarray:
    """Class probabilities from logits (L35): y_k = exp(z_k) / sum_i exp(z_i), row-wise, stable."""
    return _softmax(np.asarray(z, dtype=np.float64))


def write_json(path, obj) -> None:
    """Write ``obj`` as indented JSON (UTF-8) to ``path`` atomically (temp file, fsync, ``os.replace``)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write(path, text.encode("utf-8"))


def finite(x):
    """``x`` as a float, or None when it is NaN/Inf (JSON has no NaN)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def peak_memory_mb() -> float | None:
    """The process's peak resident memory in MiB (Linux / macOS), or None where unknown."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)   # macOS: bytes; Linux: KiB
    except (ImportError, OSError, ValueError):
        return None


class EpochTable(Callback):
    """What ``abcdl train`` prints while it trains: one row per finished epoch (L36, L37)::

        epoch  train loss  train acc  val loss  val acc        lr     time
         1/15      0.2553     92.22%    0.1234   96.12%   1.0e-03    2.21s

    On a terminal, ``abcdl train`` puts :class:`abcdl.callbacks.ProgressBar` (``leave=False``)
    before it in the callback list, so the running epoch's bar is cleared before its row prints.
    """

    HEADER = "epoch  train loss  train acc  val loss  val acc        lr     time"

    def __init__(self, epochs: int, out=None) -> None:
        self.epochs = epochs
        self.out = out or sys.stdout
        self.width = len(str(epochs))

    def on_train_begin(self, logs=None) -> None:
        print(self.HEADER, file=self.out, flush=True)

    def on_epoch_begin(self, epoch, logs=None) -> None:
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None) -> None:
        logs = logs or {}

        def num(key, fmt):
            v = logs.get(key)
            return format(v, fmt) if v is not None else "-"

        ep = f"{epoch + 1:>{self.width}}/{self.epochs}"
        seconds = time.perf_counter() - self.t0
        print(f"{ep:>5}  {num('loss', '10.4f')}  {num('accuracy', '9.2%')}  {num('val_loss', '8.4f')}  "
              f"{num('val_accuracy', '7.2%')}  {num('lr', '8.1e')}  {seconds:6.2f}s",
              file=self.out, flush=True)
