"""MNIST and Fashion-MNIST: 28x28 grey images of 10 classes, 60,000 train / 10,000 test (L35).

Where the files come from, in order (the first folder holding all four wins):

1. the ``root=`` argument (``--data-root`` on the command line): ``root/<dataset>/``,
   or ``root`` itself when it holds the files; when given, nothing else is searched;
2. the ``ABCDL_DATA`` environment variable: a folder holding ``mnist/`` and ``fashion-mnist/``;
3. for MNIST, the copy shipped inside abcdl (``abcdl/_resources/mnist``, CC BY-SA 3.0),
   so ``load_mnist()`` works on a machine without internet;
4. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``);
5. the per-user cache ``$XDG_CACHE_HOME/abcdl/<dataset>`` (default ``~/.cache/abcdl``).

Files missing there are downloaded (see :mod:`abcdl.data.download`) into the cache,
or into ``root/<dataset>`` when ``root`` was given; :func:`find_dataset` says which
of these places the data came from.  Each file may be ``.gz`` or uncompressed;
every file is checked as IDX and against the SHA-256 of its uncompressed content
(:data:`SHA256`), the shipped copy included.  Decoded arrays are kept in memory for
the process, read-only; each call returns new arrays that the caller owns, so
editing one in place never changes what a later call returns.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._config import resolve_dtype
from .._read import read_regular
from . import download as _dl
from .errors import DataError, DataMissingError
from .idx import IMAGES_MAGIC, LABELS_MAGIC, decompress, parse_idx

__all__ = ["load_mnist", "load_fashion_mnist", "find_dataset", "DataSource", "dataset_files", "cache_dir",
           "clear_cache", "SHA256", "SIZES", "FILES", "DEBIAN_FASHION_MNIST", "PACKAGE_DATA", "SHIPPED"]

# part -> (file name without .gz, IDX magic number)
FILES = {
    "train_images": ("train-images-idx3-ubyte", IMAGES_MAGIC),
    "train_labels": ("train-labels-idx1-ubyte", LABELS_MAGIC),
    "test_images": ("t10k-images-idx3-ubyte", IMAGES_MAGIC),
    "test_labels": ("t10k-labels-idx1-ubyte", LABELS_MAGIC),
}
# SHA-256 of the *uncompressed* files (shared/data/README.md); a recompressed copy matches too.
SHA256: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
}
# Uncompressed sizes, the same for both datasets: 16 + 60000*28*28, 8 + 60000, 16 + 10000*28*28, 8 + 10000.
# They cap decompression (a file that inflates past its size is refused at once; see idx.decompress).
SIZES = {"train-images-idx3-ubyte": 47_040_016, "train-labels-idx1-ubyte": 60_008,
         "t10k-images-idx3-ubyte": 7_840_016, "t10k-labels-idx1-ubyte": 10_008}
_GZIP_SLACK = 2**16      # a .gz of a tiny file can be a little larger than the file
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
# The datasets shipped inside the package (package data, with their licence beside them).
PACKAGE_DATA = Path(__file__).resolve().parent.parent / "_resources"
SHIPPED = ("mnist",)
_TITLES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
N_CLASSES = 10
Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

# (path, size, mtime_ns, expected sha256) -> read-only decoded array
_MEMO: dict[tuple[str, int, int, str], np.ndarray] = {}


def cache_dir() -> Path:
    """The per-user cache folder: ``$XDG_CACHE_HOME/abcdl``, else ``~/.cache/abcdl``."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "abcdl"


def clear_cache() -> None:
    """Forget the decoded arrays kept in memory."""
    _MEMO.clear()


def _on_disk(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def _search_folders(dataset: str, root) -> tuple[list[tuple[Path, str]], Path]:
    """([(folder, origin), ...] to search in order, the folder that receives downloads)."""
    if root is not None:
        root = Path(root).expanduser()
        return [(root / dataset, "root"), (root, "root")], root / dataset
    folders = []
    env = os.environ.get("ABCDL_DATA", "").strip()
    if env:
        folders.append((Path(env).expanduser() / dataset, "ABCDL_DATA"))
    if dataset in SHIPPED:
        folders.append((PACKAGE_DATA / dataset, "package"))
    if dataset == "fashion-mnist":
        folders.append((DEBIAN_FASHION_MNIST, "debian"))
    target = cache_dir() / dataset
    return [*folders, (target, "cache")], target


@dataclass(frozen=True)
class DataSource:
    """Where a dataset's files were found: ``paths`` (part -> file), their ``folder`` and ``origin``.

    ``origin`` is one of "root" (the ``root=`` argument), "ABCDL_DATA", "package" (the
    copy shipped with abcdl), "debian", "cache" (the user cache) or "download" (some or
    all files were downloaded just now into ``folder``).
    """

    dataset: str
    folder: Path
    origin: str
    paths: dict[str, Path]

    def describe(self, root_option: str = "root=") -> str:
        """Where the data came from, in words (``abcdl train`` prints it in its first line)."""
        return {
            "root": f"from {self.folder} ({root_option})",
            "ABCDL_DATA": f"from ABCDL_DATA ({self.folder})",
            "package": "from the copy shipped with abcdl",
            "debian": f"from Debian's dataset-fashion-mnist ({self.folder})",
            "cache": f"from the user cache ({self.folder})",
            "download": f"downloaded just now into {self.folder}",
        }[self.origin]


def find_dataset(dataset: str, root=None, download: bool = True) -> DataSource:
    """Find the four files of ``dataset`` ("mnist" or "fashion-mnist"), downloading missing ones.

    Returns
    -------
    DataSource
        The files and where they came from (see the module docstring for the order).

    Raises
    ------
    DataMissingError
        When they are neither found nor downloadable: a short message in English and
        Korean naming the folder and the files, with every download attempt in ``details()``.
    """
    if dataset not in SHA256:
        raise ValueError(f"dataset must be one of {sorted(SHA256)}, got {dataset!r}")
    folders, target = _search_folders(dataset, root)
    for folder, origin in folders:
        found = {part: _on_disk(folder, stem) for part, (stem, _) in FILES.items()}
        if all(found.values()):
            return DataSource(dataset, folder, origin, found)
    found = {part: _on_disk(target, stem) for part, (stem, _) in FILES.items()}
    attempts: list[str] = []
    missing: list[str] = []
    for part, (stem, magic) in FILES.items():
        if found[part] is None and download:
            found[part], errs = _dl.fetch_file(stem + ".gz", target, SHA256[dataset][stem],
                                               _dl.mirrors_for(dataset), magic, max_bytes=SIZES[stem])
            attempts += errs
        if found[part] is None:
            missing.append(stem + ".gz")
    if missing:
        raise _missing_error(dataset, missing, [f for f, _ in folders], target, attempts, download)
    return DataSource(dataset, target, "download", found)


def _missing_error(dataset: str, missing: list[str], searched: list[Path], target: Path,
                   attempts: list[str], download: bool) -> DataMissingError:
    hint = None
    if dataset == "fashion-mnist":
        hint = (f"On Debian/Ubuntu, `apt install dataset-fashion-mnist` puts them in {DEBIAN_FASHION_MNIST}.",
                f"Debian/Ubuntu에서는 `apt install dataset-fashion-mnist`로 {DEBIAN_FASHION_MNIST}에 "
                f"설치됩니다.")
    stems = [stem for stem, _ in FILES.values()]
    return DataMissingError(
        title=_TITLES[dataset], dataset=dataset, missing=missing, files=[s + ".gz" for s in stems],
        target=target, searched=searched, attempts=attempts,
        checksums={s: SHA256[dataset][s] for s in stems}, download=download, extra_hint=hint)


def dataset_files(dataset: str, root=None, download: bool = True) -> dict[str, Path]:
    """Paths of the four files of ``dataset``, downloading missing ones (see :func:`find_dataset`)."""
    return find_dataset(dataset, root, download).paths


def _read_verified(path: Path, dataset: str, stem: str, magic: int) -> np.ndarray:
    """The decoded, read-only array of ``path``, checked against SHA256 (memoised per process)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    expected = SHA256[dataset][stem]
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, expected)
    if key in _MEMO:
        return _MEMO[key]
    try:
        raw = read_regular(path, SIZES[stem] + _GZIP_SLACK, f"{_TITLES[dataset]} {stem}")
    except OSError as exc:                       # also a FIFO or a device, and a file far too large
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    content = decompress(raw, str(path), SIZES[stem])
    arr = parse_idx(content, str(path), magic)
    digest = _dl.sha256_hex(content)
    if digest != expected:
        raise DataError(f"{path}: SHA-256 of the uncompressed content is {digest}, expected {expected} "
                        f"for {_TITLES[dataset]} {stem}; the file is corrupt or another version "
                        f"(delete it to download it again)")
    if arr.flags.writeable:                      # parse_idx views the bytes: read-only already
        arr.flags.writeable = False
    _MEMO[key] = arr
    return arr


def _load(dataset: str, normalize: bool, flatten: bool, one_hot_label: bool, root, dtype,
          download: bool) -> Splits:
    paths = find_dataset(dataset, root, download).paths
    arrays = {part: _read_verified(paths[part], dataset, stem, magic)
              for part, (stem, magic) in FILES.items()}
    dt = resolve_dtype(dtype)
    out = []
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        n = images.shape[0]
        if labels.shape[0] != n:
            raise DataError(f"{_TITLES[dataset]} {split}: {n} images but {labels.shape[0]} labels "
                            f"({paths[f'{split}_images']}, {paths[f'{split}_labels']})")
        if labels.max() >= N_CLASSES:
            raise DataError(f"{paths[f'{split}_labels']}: label {int(labels.max())} outside 0..9")
        x = images.reshape(n, -1) if flatten else images.reshape(n, 1, *images.shape[1:])
        if normalize:
            x = x.astype(dt)
            x /= 255                                 # pixel / 255 in [0, 1]
        else:
            x = x.copy()                             # raw uint8 0..255, the caller's own copy
        t = labels.astype(np.int64)
        if one_hot_label:
            T = np.zeros((n, N_CLASSES), dtype=dt)
            T[np.arange(n), t] = 1                   # T[k, t_k] = 1
            t = T
        out.append((x, t))
    return tuple(out)


_DOC = """Load {title} as ``(x_train, t_train), (x_test, t_test)`` (L35).

    The signature and return value are those of "Deep Learning from Scratch"'s
    ``load_mnist``; see the module docstring for where the files come from.

    Parameters
    ----------
    normalize : bool
        True: pixels as floats in [0, 1] (pixel / 255) of ``dtype``.  False: raw uint8 0..255.
    flatten : bool
        True: images as rows of 784 features.  False: (N, 1, 28, 28), channels first.
    one_hot_label : bool
        True: labels as one-hot rows of ``dtype``, shape (N, 10).  False: int64 class indices (N,).
    root : path, optional
        Folder holding ``{folder}/`` (or the four files themselves); downloads go to
        ``root/{folder}``.  Default: ``ABCDL_DATA``, then {extra}the user cache.
    dtype : float32 | float64, optional
        Float dtype of normalized images and one-hot labels; default
        ``abcdl.get_default_dtype()`` (float32 unless changed).
    download : bool
        Fetch missing files from the public mirrors (default True).

    Returns
    -------
    (x_train, t_train), (x_test, t_test)
        New arrays owned by the caller (60,000 and 10,000 examples).

    Shapes
    ------
    x: (N, 784) or (N, 1, 28, 28);  t: (N,) int64 or (N, 10)

    Raises
    ------
    DataError
        Files missing and not downloadable (a message in English and Korean), or corrupt.
    """


def load_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False, root=None,
               dtype=None, download: bool = True) -> Splits:
    return _load("mnist", normalize, flatten, one_hot_label, root, dtype, download)


def load_fashion_mnist(normalize: bool = True, flatten: bool = True, one_hot_label: bool = False,
                       root=None, dtype=None, download: bool = True) -> Splits:
    return _load("fashion-mnist", normalize, flatten, one_hot_label, root, dtype, download)


load_mnist.__doc__ = _DOC.format(title="MNIST handwritten digits", folder="mnist",
                                 extra="the copy shipped with abcdl, then ")
load_fashion_mnist.__doc__ = _DOC.format(
    title="Fashion-MNIST (Zalando)", folder="fashion-mnist",
    extra=f"Debian's dataset-fashion-mnist ({DEBIAN_FASHION_MNIST}), then ")
