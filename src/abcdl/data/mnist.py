"""MNIST and Fashion-MNIST: 28x28 grey images of 10 classes, 60,000 train / 10,000 test (L35).

Where the files come from, in order (the first folder holding all four wins):

1. the ``root=`` argument: ``root/mnist/`` (or ``root`` itself when it holds the files);
2. the ``ABCDL_DATA`` environment variable: a folder holding ``mnist/`` and ``fashion-mnist/``;
3. for Fashion-MNIST, Debian's ``dataset-fashion-mnist`` package (``/usr/share/datasets/fashion-mnist``);
4. the per-user cache ``$XDG_CACHE_HOME/abcdl/<dataset>`` (default ``~/.cache/abcdl``).

Files missing there are downloaded (see :mod:`abcdl.data.download`) into the cache,
or into ``root/<dataset>`` when ``root`` was given.  Each file may be ``.gz`` or
uncompressed; every file is checked as IDX and against the SHA-256 of its
uncompressed content (:data:`SHA256`).  Decoded arrays are kept in memory for the
process, read-only; each call returns new arrays that the caller owns, so editing
one in place never changes what a later call returns.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._config import resolve_dtype
from . import download as _dl
from .idx import IMAGES_MAGIC, LABELS_MAGIC, DataError, decompress, parse_idx

__all__ = ["load_mnist", "load_fashion_mnist", "dataset_files", "cache_dir", "clear_cache",
           "SHA256", "FILES", "DEBIAN_FASHION_MNIST"]

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
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
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


def _search_folders(dataset: str, root) -> tuple[list[Path], Path]:
    """(folders to search in order, folder that receives downloads)."""
    if root is not None:
        root = Path(root).expanduser()
        return [root / dataset, root], root / dataset
    folders = []
    env = os.environ.get("ABCDL_DATA", "").strip()
    if env:
        folders.append(Path(env).expanduser() / dataset)
    if dataset == "fashion-mnist":
        folders.append(DEBIAN_FASHION_MNIST)
    target = cache_dir() / dataset
    return [*folders, target], target


def _missing_message(dataset: str, names: list[str], searched: list[Path], target: Path,
                     errors: list[str]) -> str:
    title = _TITLES[dataset]
    stems = [stem for stem, _ in FILES.values()]
    table = _dl.checksum_table({s: SHA256[dataset][s] for s in stems})
    wanted = ", ".join(s + ".gz" for s in stems)
    debian_en = debian_ko = ""
    if dataset == "fashion-mnist":
        debian_en = (f" On Debian/Ubuntu, `apt install dataset-fashion-mnist` puts them in "
                     f"{DEBIAN_FASHION_MNIST}.")
        debian_ko = (f" Debian/Ubuntu에서는 `apt install dataset-fashion-mnist`로 "
                     f"{DEBIAN_FASHION_MNIST}에 설치됩니다.")
    tried = "\n".join("  " + e for e in errors) or "  (downloading was turned off)"
    return (
        f"{title}: could not find or download {', '.join(names)}.\n"
        f"Searched: {', '.join(str(f) for f in searched)}\n"
        f"Download attempts:\n{tried}\n"
        f"To fix it, put the four files {wanted} in {target} "
        f"(or set ABCDL_DATA to a folder holding {dataset}/, or pass root=).{debian_en} "
        f"The files may be gzip-compressed or not. SHA-256 of the uncompressed files:\n{table}\n"
        f"{title} 파일을 찾지도 내려받지도 못했습니다: {', '.join(names)}.\n"
        f"해결 방법: 네 파일 {wanted}을(를) {target} 폴더에 넣으세요 "
        f"(또는 ABCDL_DATA 환경 변수를 {dataset}/ 폴더가 들어 있는 폴더로 지정하거나 root= 인자를 넘기세요)."
        f"{debian_ko} 파일은 gzip으로 압축되어 있어도 되고 풀려 있어도 됩니다. "
        f"압축을 푼 파일의 SHA-256은 위 표와 같습니다."
    )


def dataset_files(dataset: str, root=None, download: bool = True) -> dict[str, Path]:
    """Paths of the four files of ``dataset`` ("mnist" or "fashion-mnist"), downloading missing ones.

    Raises
    ------
    DataError
        In English and Korean, naming the files, where to put them and their SHA-256,
        when they are neither found nor downloadable.
    """
    if dataset not in SHA256:
        raise ValueError(f"dataset must be one of {sorted(SHA256)}, got {dataset!r}")
    folders, target = _search_folders(dataset, root)
    for folder in folders:
        found = {part: _on_disk(folder, stem) for part, (stem, _) in FILES.items()}
        if all(found.values()):
            return found
    found = {part: _on_disk(target, stem) for part, (stem, _) in FILES.items()}
    errors: list[str] = []
    missing: list[str] = []
    mirrors = _dl.mirrors_for(dataset)
    for part, (stem, magic) in FILES.items():
        if found[part] is not None:
            continue
        path = None
        if download:
            path, errs = _dl.fetch_file(stem + ".gz", target, SHA256[dataset][stem], mirrors, magic)
            errors += errs
        if path is None:
            missing.append(stem + ".gz")
        found[part] = path
    if missing:
        raise DataError(_missing_message(dataset, missing, folders, target, errors))
    return found


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
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    content = decompress(raw, str(path))
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
    paths = dataset_files(dataset, root, download)
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


load_mnist.__doc__ = _DOC.format(title="MNIST handwritten digits", folder="mnist", extra="")
load_fashion_mnist.__doc__ = _DOC.format(
    title="Fashion-MNIST (Zalando)", folder="fashion-mnist",
    extra=f"Debian's dataset-fashion-mnist ({DEBIAN_FASHION_MNIST}), then ")
