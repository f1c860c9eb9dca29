"""The run folder of ``abcdl train``: claimed before training, never shared, never left empty (L35-L37).

A run claims its folder before it loads any data:

- the default folder ``runs/<dataset>-<model>-<date>-<time>`` is created with an exclusive
  ``mkdir``; a run started in the same second as another gets ``...-2``, ``...-3``;
- every run then holds a lock file in its folder (``fcntl.flock``, released by the
  system if the process dies), so two runs given the same ``--out`` cannot both write:
  the second one stops before training, naming the folder;
- creating the lock file checks that the folder can be written (read-only disk, no
  permission, no space left).

A run that ends without a saved model (bad data, a diverged loss, a second Ctrl-C)
removes the folder it created.  When the model cannot be written in its folder (disk
full, read-only), :func:`rescue_folder` gives a fresh folder in the user cache
(``$XDG_CACHE_HOME/abcdl/rescued``) where it is saved instead.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

from ..data import cache_dir
from ._errors import CLIError

try:
    import fcntl
except ImportError:                       # Windows: the lock is an exclusive create instead
    fcntl = None

__all__ = ["LOCK_FILE", "RunFolder", "claim", "rescue_folder"]

LOCK_FILE = ".abcdl-train.lock"
_MAX_TRIES = 1000


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


class RunFolder:
    """A claimed run folder: its path, whether this run created it, and the lock held in it.

    Use it as a context manager around the run: leaving it releases the lock; leaving it
    by an exception before :attr:`saved` is set also removes the folder if this run created it.
    """

    def __init__(self, path: Path, created: bool) -> None:
        self.path = path
        self.created = created
        self.saved = False
        self._fd: int | None = None

    def lock(self) -> None:
        """Create and lock ``LOCK_FILE`` here; CLIError if another run holds it or it cannot be written."""
        lock = self.path / LOCK_FILE
        flags = os.O_RDWR | os.O_CREAT | (os.O_EXCL if fcntl is None else 0)
        try:
            fd = os.open(lock, flags, 0o644)
        except FileExistsError:
            raise _busy(self.path, lock) from None
        except OSError as exc:
            raise CLIError(f"cannot write to the run folder {self.path}: {_reason(exc)}\n"
                           f"choose a writable folder with --out DIR") from exc
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _busy(self.path, lock) from None
        self._fd = fd
        try:                                 # a few bytes: a full disk shows here, before training
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            os.fsync(fd)
        except OSError as exc:
            self.discard()
            raise CLIError(f"cannot write to the run folder {self.path}: {_reason(exc)}\n"
                           f"choose a folder on a disk with space with --out DIR") from exc

    def release(self) -> None:
        """Remove the lock file and unlock (the folder stays)."""
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path / LOCK_FILE)
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    def discard(self) -> None:
        """Release, and remove the folder if this run created it and nothing is left in it."""
        self.release()
        if self.created:
            with contextlib.suppress(OSError):
                self.path.rmdir()

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and not self.saved:
            self.discard()
        else:
            self.release()


def _busy(folder: Path, lock: Path) -> CLIError:
    return CLIError(f"another abcdl train is writing to {folder} (it holds {lock.name}); "
                    f"wait for it to finish or choose another --out")


def _entries(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name != LOCK_FILE]


def _default(dataset: str, model: str) -> RunFolder:
    """``runs/<dataset>-<model>-<stamp>``, or ``-2``, ``-3``... when that exists: an exclusive mkdir."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path("runs") / f"{dataset}-{model}-{stamp}"
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"cannot create the folder {base.parent}: {_reason(exc)}\n"
                       f"choose a writable run folder with --out DIR") from exc
    for k in range(1, _MAX_TRIES + 1):
        folder = base if k == 1 else base.with_name(f"{base.name}-{k}")
        try:
            folder.mkdir()                    # exclusive: two runs never get the same folder
        except FileExistsError:
            continue
        except OSError as exc:
            raise CLIError(f"cannot create the run folder {folder}: {_reason(exc)}\n"
                           f"choose a writable run folder with --out DIR") from exc
        return RunFolder(folder, created=True)
    raise CLIError(f"{_MAX_TRIES} run folders named {base}-N already exist; choose one with --out DIR")


def _explicit(out: str, force: bool) -> RunFolder:
    folder = Path(out).expanduser()
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"--out {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True)
        created = True
    except FileExistsError:
        created = False
    except OSError as exc:
        raise CLIError(f"cannot create the run folder {folder}: {_reason(exc)}") from exc
    if not folder.is_dir():
        raise CLIError(f"--out {folder} is a file, not a folder")
    return RunFolder(folder, created)


def claim(out: str | None, force: bool, dataset: str, model: str) -> RunFolder:
    """Create (or take) the run folder and lock it, before any data is loaded.

    Raises
    ------
    CLIError
        The folder cannot be created or written, another run holds it, or ``--out`` is
        not empty (without ``force``).
    """
    rf = _default(dataset, model) if out is None else _explicit(out, force)
    try:
        rf.lock()
    except CLIError:
        rf.discard()
        raise
    try:
        leftover = _entries(rf.path)
    except OSError as exc:
        rf.discard()
        raise CLIError(f"cannot list the run folder {rf.path}: {_reason(exc)}") from exc
    if leftover and not force:
        rf.discard()
        raise CLIError(f"the run folder {rf.path} is not empty; choose another --out or pass --force "
                       f"to replace its files")
    return rf


def rescue_folder(name: str) -> Path:
    """A new folder ``<user cache>/rescued/<name>[-N]`` for a model its run folder could not hold."""
    base = cache_dir() / "rescued" / name
    base.parent.mkdir(parents=True, exist_ok=True)
    for k in range(1, _MAX_TRIES + 1):
        folder = base if k == 1 else base.with_name(f"{name}-{k}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"{_MAX_TRIES} folders named {base}-N already exist")
