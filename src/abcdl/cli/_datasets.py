"""The datasets the commands know: names, class names, image sizes, and loading them (L35).

Loading turns the data loaders' errors into :class:`~abcdl.cli.CLIError` from their
fields, never by rewriting their text: a missing dataset becomes a few short lines
(what went wrong, the folder and file names, ``--data-root``, then Korean lines),
with every download attempt added only under ``--verbose``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import (
    DataError,
    DataMissingError,
    DataSource,
    cache_dir,
    find_dataset,
    load_digits,
    load_fashion_mnist,
    load_mnist,
)
from ._errors import CLIError

__all__ = ["Dataset", "DATASETS", "FASHION_CLASSES", "DIGITS", "load_dataset", "to_unit", "data_report"]


@dataclass(frozen=True)
class Dataset:
    """What the commands need to know about a dataset."""

    name: str
    title: str
    class_names: tuple[str, ...]
    image_shape: tuple[int, int]      # (H, W), one grey channel
    download_mb: int = 0              # size of the .gz files, for the "downloading" notice


FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
DIGITS = tuple(str(i) for i in range(10))
DATASETS = {
    "mnist": Dataset("mnist", "MNIST", DIGITS, (28, 28), 12),
    "fashion-mnist": Dataset("fashion-mnist", "Fashion-MNIST", FASHION_CLASSES, (28, 28), 30),
    "digits": Dataset("digits", "8x8 digits (UCI optdigits)", DIGITS, (8, 8)),
}
_LOADERS = {"mnist": load_mnist, "fashion-mnist": load_fashion_mnist}
ROOT_OPTION = "--data-root DIR"


def missing_data_error(exc: DataMissingError, verbose: bool) -> CLIError:
    """The few lines a person reads when a dataset is missing; the download log only when ``verbose``."""
    if verbose:
        lines = [*exc.lines(option=ROOT_OPTION, details_hint=None), *exc.details()]
    else:
        lines = exc.lines(option=ROOT_OPTION,
                          details_hint="run again with --verbose (--dataset digits needs no download)")
    return CLIError("\n".join(lines))


def locate(name: str, root=None, download: bool = True, say=None, verbose: bool = False) -> DataSource:
    """Where dataset ``name`` ("mnist" or "fashion-mnist") is, downloading it when missing.

    ``say(text)``, when given, is told before a download starts (the first run on a new machine).
    """
    try:
        return find_dataset(name, root, download=False)
    except DataMissingError as exc:
        if not download:
            raise missing_data_error(exc, verbose) from exc
    if say is not None:
        target = Path(root).expanduser() / name if root is not None else cache_dir() / name
        say(f"{DATASETS[name].title} is not on this machine yet: downloading it "
            f"(about {DATASETS[name].download_mb} MB) into {target}")
    try:
        return find_dataset(name, root, download=True)
    except DataMissingError as exc:
        raise missing_data_error(exc, verbose) from exc


def load_dataset(name: str, flatten: bool, root=None, download: bool = True, say=None,
                 normalize: bool = True, verbose: bool = False):
    """``((x_train, t_train), (x_test, t_test)), where``: float32 in [0, 1] (or raw uint8 pixels
    with ``normalize=False``, see :func:`to_unit`), and where the data came from, in words.

    Raises
    ------
    CLIError
        The files are missing and cannot be downloaded (a few short lines, see
        :func:`missing_data_error`), or are corrupt (the loader's message naming the file).
    """
    if name not in DATASETS:
        raise CLIError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    if name == "digits":
        splits = load_digits(normalize=normalize, flatten=flatten, dtype=np.float32)
        return splits, "from the copy shipped with abcdl"
    source = locate(name, root, download, say, verbose)
    try:
        splits = _LOADERS[name](normalize=normalize, flatten=flatten, root=source.folder, dtype=np.float32,
                                download=False)
    except DataError as exc:
        raise CLIError(str(exc)) from exc
    except OSError as exc:
        raise CLIError(f"cannot read the {DATASETS[name].title} files in {source.folder}: {exc}") from exc
    return splits, source.describe(ROOT_OPTION)


def to_unit(x: np.ndarray, dataset: str) -> np.ndarray:
    """Raw pixels (uint8) of ``dataset`` as float32 in [0, 1]: x / 255 (x / 16 for the 8x8 digits),
    exactly as the loaders' ``normalize=True`` computes it."""
    out = x.astype(np.float32)
    out /= 16 if dataset == "digits" else 255          # pixel / max
    return out


def data_report() -> list[str]:
    """Where MNIST and Fashion-MNIST would be read from now (no download), for ``--version`` and selfcheck."""
    lines = []
    for name in _LOADERS:
        try:
            where = find_dataset(name, download=False).describe(ROOT_OPTION)
        except DataMissingError as exc:
            where = f"not on this machine (downloaded into {exc.target} on first use)"
        lines.append(f"{DATASETS[name].title}: {where}")
    return lines
