"""Run ``abcdl`` command lines, each in a forked child under a memory cap and a time cap.

    python tests/_fuzz_driver.py MEM_BYTES SECONDS WORKERS < cases.json > results.json

``cases.json`` is a list of argv lists.  The driver imports abcdl (and matplotlib) once, then
for every case forks a child that sets ``RLIMIT_AS`` to MEM_BYTES above what the driver
already maps, redirects its output to files, runs ``abcdl.cli.main(argv)`` and exits with
its status.  A child still running after SECONDS is killed (status "timeout").  The result
is a list of ``{"argv", "status", "stdout", "stderr", "seconds"}`` in the order of the cases.
Used by ``tests/test_fuzz_cli.py``; needs ``os.fork`` (Linux, macOS).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time


def _mapped_bytes() -> int:
    """The driver's virtual memory size (Linux: /proc/self/statm), else 0."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _child(argv: list[str], mem: int, out: str, err: str) -> None:
    """In the forked child: the caps, the redirections, the command; never returns."""
    status = 70
    try:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        fd_out, fd_err = os.open(out, os.O_WRONLY | os.O_TRUNC), os.open(err, os.O_WRONLY | os.O_TRUNC)
        os.dup2(fd_out, 1)
        os.dup2(fd_err, 2)
        sys.stdout = open(1, "w", encoding="utf-8", closefd=False)   # noqa: SIM115 (lives until _exit)
        sys.stderr = open(2, "w", encoding="utf-8", closefd=False)   # noqa: SIM115
        from abcdl.cli import main

        try:
            status = main(argv)
        except SystemExit as exc:
            status = exc.code if isinstance(exc.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status if isinstance(status, int) else 1)


def _start(argv: list[str], mem: int, tmp: str, i: int) -> dict:
    out, err = os.path.join(tmp, f"{i}.out"), os.path.join(tmp, f"{i}.err")
    for path in (out, err):
        open(path, "w").close()
    pid = os.fork()
    if pid == 0:
        _child(argv, mem, out, err)
    return {"pid": pid, "i": i, "out": out, "err": err, "t0": time.monotonic()}


def _finish(job: dict, argv: list[str], status) -> dict:
    with open(job["out"], encoding="utf-8", errors="replace") as fh:
        stdout = fh.read()
    with open(job["err"], encoding="utf-8", errors="replace") as fh:
        stderr = fh.read()
    return {"argv": argv, "status": status, "stdout": stdout[-4000:], "stderr": stderr[-4000:],
            "seconds": round(time.monotonic() - job["t0"], 2)}


def run_cases(cases: list[list[str]], mem: int, seconds: float, workers: int) -> list[dict]:
    """Every case in its own forked child, at most ``workers`` at a time."""
    results: list[dict | None] = [None] * len(cases)
    running: list[dict] = []
    todo = list(enumerate(cases))
    with tempfile.TemporaryDirectory() as tmp:
        while todo or running:
            while todo and len(running) < workers:
                i, argv = todo.pop(0)
                running.append(_start(argv, mem, tmp, i))
            time.sleep(0.02)
            for job in list(running):
                pid, raw = os.waitpid(job["pid"], os.WNOHANG)
                if pid:
                    code = os.waitstatus_to_exitcode(raw)
                    status = code if code >= 0 else f"signal {-code}"
                elif time.monotonic() - job["t0"] > seconds:
                    os.kill(job["pid"], signal.SIGKILL)
                    os.waitpid(job["pid"], 0)
                    status = "timeout"
                else:
                    continue
                running.remove(job)
                results[job["i"]] = _finish(job, cases[job["i"]], status)
    return results


if __name__ == "__main__":
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.figure  # noqa: F401  (imported once here, not in every child)

    import abcdl.cli  # noqa: F401

    mem_cap, time_cap, n_workers = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    json.dump(run_cases(json.load(sys.stdin), _mapped_bytes() + mem_cap, time_cap, n_workers), sys.stdout)
