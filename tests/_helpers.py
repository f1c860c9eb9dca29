"""Small helpers shared by test files (import as ``from _helpers import ...``)."""

from __future__ import annotations

import logging
import math
import os
import signal
import subprocess
import sys
import time


def assert_finite(obj, where: str = "numbers") -> None:
    """Every float inside nested dicts and lists of ``obj`` is finite (the path names the culprit)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            assert_finite(v, f"{where}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            assert_finite(v, f"{where}[{i}]")
    elif isinstance(obj, float):
        assert math.isfinite(obj), where


class LogCollector(logging.Handler):
    """Collects log messages (attach to matplotlib's logger to catch missing-glyph reports)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record) -> None:
        self.messages.append(record.getMessage())


def one_cli_error(err: str, command: str) -> str:
    """The one message of a CLI error on stderr: ``abcdl COMMAND: error: ...``, with no traceback.

    A message longer than 200 characters is wrapped by the CLI onto continuation lines
    indented by four spaces; they are joined back here.  Every line is at most 200 long."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines and lines[0].startswith(f"abcdl {command}: error: "), err
    assert all(line.startswith("    ") for line in lines[1:]), err
    assert "Traceback" not in err and max(map(len, lines)) <= 200, err
    return " ".join(line.strip() for line in lines)


def run_and_render(name: str, lang: str, **params):
    """Run experiment ``name`` and render its PNG, checking what every experiment's figure must satisfy:
    a PNG of at least 300x200 under 200 KB, no missing glyph reported by matplotlib (as a log message
    or a warning), and a summary that starts with the name.  Returns ``(result, png)``."""
    import io
    import logging
    import warnings

    from PIL import Image

    from abcdl import experiments
    from abcdl.experiments._base import PNG_SIGNATURE

    handler = LogCollector()
    logging.getLogger("matplotlib").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = experiments.run(name, lang=lang, **params)
            png = res.render_png()
    finally:
        logging.getLogger("matplotlib").removeHandler(handler)
    assert res.name == name and png.startswith(PNG_SIGNATURE)
    w, h = Image.open(io.BytesIO(png)).size
    assert w > 300 and h > 200 and len(png) < 200_000
    missing = [m for m in handler.messages if "glyph" in m.lower()]
    missing += [str(w.message) for w in caught if "glyph" in str(w.message).lower()]
    assert not missing, missing
    assert res.summary().startswith(f"{name} (")
    return res, png


def sigint_after_first_epoch(args: list[str], env: dict | None = None, timeout: float = 120):
    """Run ``python -m abcdl *args`` (with ``--verbose 2``), send SIGINT once the first epoch's row is
    printed, and return ``(returncode, stdout, stderr)``; the process is killed if anything fails."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "abcdl", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + timeout
        line = ""
        while not line.strip().startswith("1/"):         # wait for the first epoch's row
            line = proc.stdout.readline()
            assert line or proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stdout, stderr
