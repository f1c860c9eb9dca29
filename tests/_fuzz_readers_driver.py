"""Feed files to abcdl's readers under a memory cap and a time cap; report how each case ended.

    python tests/_fuzz_readers_driver.py CASES.json MEM_MB SECONDS > results.json

``CASES.json`` is a list of ``[reader, path]`` with reader one of "checkpoint"
(``abcdl.load``), "idx" (``abcdl.data.idx.read_idx``), "npy" and "image" (what
``abcdl predict`` calls: ``load_npy`` and ``load_image``).  The driver caps its own
address space at MEM_MB above what it maps after importing abcdl, and gives every
case SECONDS (SIGALRM).  Each result is ``{"reader", "path", "outcome", "detail"}``:

- "ok": the reader returned, and the result is sane (finite weights; an array; pixels in [0, 1]);
- "clear": the reader raised the library's error type for it (the message is the detail);
- "bad": anything else: another exception (MemoryError, RecursionError, a plain
  ValueError, ...), an insane result, or the time cap ("timeout").

Used by ``tests/test_fuzz_readers.py``; needs ``resource`` and ``signal.alarm`` (Linux, macOS).
"""

from __future__ import annotations

import json
import resource
import signal
import sys
import traceback
from pathlib import Path

import numpy as np

import abcdl
from abcdl.checkpoint import CheckpointError
from abcdl.cli import CLIError
from abcdl.cli._images import load_image, load_npy
from abcdl.data import DataError
from abcdl.data.idx import read_idx

ALLOWED = {"checkpoint": CheckpointError, "idx": DataError, "npy": CLIError, "image": CLIError}


class _Timeout(BaseException):
    """The case ran past its time cap."""


def _alarm(signum, frame):
    raise _Timeout


def _sane_pixels(images: np.ndarray) -> bool:
    return images.dtype == np.float32 and bool(np.isfinite(images).all()) and images.min() >= 0 \
        and images.max() <= 1


def _run(reader: str, path: str) -> str:
    """Read ``path`` with ``reader``; a description of the result, or AssertionError when it is not sane."""
    if reader == "checkpoint":
        model = abcdl.load(path)
        assert all(np.isfinite(p.data).all() for p in model.parameters()), "non-finite weights loaded"
        return f"{type(model).__name__} with {len(model.parameters())} parameters"
    if reader == "idx":
        arr = read_idx(path, max_bytes=64 * 2**20)
        assert isinstance(arr, np.ndarray) and arr.size > 0
        return f"{arr.dtype} {arr.shape}"
    if reader == "npy":
        images, _ = load_npy(Path(path), (28, 28))
        assert images.ndim == 3 and images.shape[1:] == (28, 28) and _sane_pixels(images), "bad pixels"
        return f"{images.shape}"
    img, _ = load_image(Path(path), (28, 28), center=True)
    assert img.shape == (28, 28) and _sane_pixels(img), "bad pixels"
    return "28x28"


def _case(reader: str, path: str, seconds: int) -> dict:
    signal.alarm(seconds)
    try:
        outcome, detail = "ok", _run(reader, path)
    except _Timeout:
        outcome, detail = "bad", f"timeout after {seconds} s"
    except ALLOWED[reader] as exc:
        outcome, detail = "clear", str(exc)
    except BaseException as exc:      # noqa: BLE001 (what the fuzz suite looks for)
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        outcome, detail = "bad", f"{type(exc).__name__}: {exc} (at {frame.filename}:{frame.lineno})"
    finally:
        signal.alarm(0)
    return {"reader": reader, "path": path, "outcome": outcome, "detail": detail[:500]}


def main(argv: list[str]) -> int:
    cases = json.loads(Path(argv[0]).read_text())
    mem_mb, seconds = int(argv[1]), int(argv[2])
    with open("/proc/self/statm") as fh:
        mapped = int(fh.read().split()[0]) * resource.getpagesize()
    cap = mapped + mem_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGALRM, _alarm)
    results = [_case(reader, path, seconds) for reader, path in cases]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
