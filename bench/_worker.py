"""A benchmark worker process driven line by line over stdin/stdout (JSON replies).

Each library runs in its own process so that their thread pools and memory do not mix
(bench/RESULTS.md: PyTorch and NumPy in one process slow each other by about a third).
"""

from __future__ import annotations

import json
import subprocess
import sys


class Worker:
    """``python SCRIPT --worker NAME *args``; ``ask(cmd)`` sends one command and returns its JSON reply."""

    def __init__(self, script: str, name: str, *args: str) -> None:
        self.name = name
        self.proc = subprocess.Popen([sys.executable, script, "--worker", name, *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker died (exit status {self.proc.wait()})")
        return json.loads(line)

    def ask(self, cmd: str) -> dict:
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()
