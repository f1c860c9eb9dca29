"""Helpers for the hardening tests (issue 21): memory-capped subprocesses, FIFO rescue, gzip bombs.

Import as ``from _hardening_helpers import ...``.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import textwrap
import threading

import pytest

_PRELUDE = """
import json, resource, sys, tracemalloc
import abcdl
vm = int(next(l.split()[1] for l in open("/proc/self/status") if l.startswith("VmSize"))) * 1024
cap = vm + {limit} * 2**20
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
tracemalloc.start()
result = {{}}
"""
_EPILOGUE = """
result["peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
print(json.dumps(result))
"""


def run_limited(code: str, limit_mb: int = 1024, timeout: float = 120) -> dict:
    """Run ``code`` in a fresh Python whose address space may grow by ``limit_mb`` at most.

    ``code`` fills the dict ``result``; the return value is that dict plus "peak_mb",
    the peak of Python's traced allocations (NumPy's arrays and zlib's output included).
    """
    script = _PRELUDE.format(limit=limit_mb) + textwrap.dedent(code) + _EPILOGUE
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def call_unblocking(fn, fifo, timeout: float = 10.0):
    """``fn()``'s exception (None if it returns); if it blocks on ``fifo``, a writer comes and goes
    to free it, and the test fails."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:    # noqa: BLE001 (handed to the test)
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))     # a writer arrives and leaves: EOF
        thread.join(5)
        pytest.fail(f"blocked on the FIFO {fifo}")
    return box.get("error")


def idx_header(dims, type_code: int = 0x08) -> bytes:
    """An IDX header: 0x0000, the type code, the number of dimensions, each as a big-endian uint32."""
    return struct.pack(">BBBB", 0, 0, type_code, len(dims)) + struct.pack(f">{len(dims)}I", *dims)


def gzip_bomb(head: bytes, gib: float = 1.0) -> bytes:
    """A gzip file of about 1 MB per GiB that inflates to ``head`` followed by ``gib`` GiB of zeros.

    Gzip members may follow one another (``gzip.decompress`` reads them all), so one member of
    16 MiB of zeros (16 KB compressed) is repeated."""
    zeros = gzip.compress(bytes(16 * 2**20), compresslevel=9, mtime=0)
    return gzip.compress(head, mtime=0) + zeros * int(gib * 64)
