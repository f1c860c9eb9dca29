"""Benchmark of the main job: default `abcdl train` on MNIST and on Fashion-MNIST (issue 4, L35-L37).

Each run is a separate `python -m abcdl train` process with the default
settings (only --dataset, --out and --verbose change), exactly what a learner
types.  The accuracy, the training wall time and the process's peak resident
memory come from the run's own metrics.json; the script prints them and writes
them into the "abcdl train" section of bench/RESULTS.md (other sections of that
file are kept as they are).

    ABCDL_DATA=../shared/data python bench/bench_train.py              # both datasets, updates RESULTS.md
    ABCDL_DATA=../shared/data python bench/bench_train.py --only mnist --no-write

Targets: MNIST test accuracy >= 98.0%, Fashion-MNIST >= 88.5% (scikit-learn's
published MLP baselines are about 87-88%).  This is a benchmark, not a test:
nothing in the test suite times anything.  Wall times depend on what else the
machine runs; the load average before and after each run is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

TARGETS = {"mnist": 0.980, "fashion-mnist": 0.885}
SECTION = "## `abcdl train` (bench/bench_train.py)"
RESULTS = Path(__file__).with_name("RESULTS.md")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 0


def blas() -> str:
    """The BLAS NumPy uses and its thread count, as the child processes see it."""
    code = ("from threadpoolctl import threadpool_info; import numpy; "
            "print('; '.join(f\"{d['internal_api']} {d.get('version')} ({d['num_threads']} threads)\" "
            "for d in threadpool_info()))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return "unknown BLAS"
    return out.stdout.strip() or "unknown BLAS"


def loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def run_one(dataset: str, out: Path, extra: list[str]) -> dict:
    """One `abcdl train` process; returns its metrics.json plus the process's own wall time."""
    cmd = [sys.executable, "-m", "abcdl", "train", "--dataset", dataset, "--out", str(out), "--verbose", "2",
           *extra]
    print("$", " ".join(["abcdl", *cmd[3:]]), flush=True)
    load_before = loadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    print(proc.stdout, end="", flush=True)
    if proc.returncode != 0:
        raise SystemExit(f"abcdl train --dataset {dataset} failed with exit status {proc.returncode}")
    metrics = json.loads((out / "metrics.json").read_text())
    epoch_s = [float(x) for x in re.findall(r"^ *\d+/\d+ .* ([0-9.]+)s$", proc.stdout, re.M)]
    metrics["bench"] = {"process_wall_s": round(wall, 1), "load_before": load_before, "load_after": loadavg(),
                        "epoch_s": epoch_s, "stdout": proc.stdout}
    return metrics


def table(results: dict[str, dict]) -> str:
    rows = ["| dataset | model | epochs | test accuracy | target | training wall time | "
            "fastest epoch x epochs | whole command | peak memory | load avg before / after |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for dataset, m in results.items():
        acc = m["test"]["accuracy"]
        ok = "ok" if acc >= TARGETS[dataset] else "MISSED"
        b = m["bench"]
        target = TARGETS[dataset]
        n_ep = m["epochs_completed"]
        fast = min(b["epoch_s"]) if b["epoch_s"] else None
        fastest = f"{fast:.1f} s x {n_ep} = {fast * n_ep:.0f} s" if fast else "-"
        rows.append(f"| {m['dataset']['title']} | {m['config']['description']} | {m['epochs_completed']} | "
                    f"**{acc:.2%}** ({m['test']['correct']:,}/{m['test']['n']:,}) | >= {target:.1%} {ok} | "
                    f"{m['wall_time_s']['train']:.1f} s | {fastest} | {b['process_wall_s']:.1f} s | "
                    f"{m['peak_memory_mb']:.0f} MiB | {b['load_before']} / {b['load_after']} |")
    return "\n".join(rows)


def section(results: dict[str, dict]) -> str:
    any_m = next(iter(results.values()))
    machine = any_m["machine"]
    date = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    cfg = any_m["config"]
    default = (f"{cfg['description']}, {cfg['optimizer']} lr {cfg['lr']:g} with {cfg['schedule']} schedule, "
               f"batch {cfg['batch_size']}, {cfg['epochs']} epochs, {cfg['val_split']:.0%} validation split, "
               f"seed {cfg['seed']}, {cfg['dtype']}")
    lines = [
        SECTION, "",
        f"Measured {date} on {cpu_model()}, {cores()} cores, Python {machine['python']}, "
        f"NumPy {machine['numpy']} with {blas()}, abcdl {any_m['abcdl_version']}. "
        f"The default run: {default}.", "",
        table(results), "",
        "Test accuracy is measured once, after training, on the 10,000 test images; the validation split "
        "(from the training set) is what the per-epoch lines show. \"Training wall time\" is `fit` alone; "
        "\"fastest epoch x epochs\" is what training takes when every epoch runs as fast as the fastest one "
        "did (an estimate for an otherwise idle machine); "
        "\"whole command\" adds start-up, loading the data, testing and writing the run folder. "
        "Peak memory is the process's maximum resident set size.", "",
        load_sentence(results) + " " + spread(results), "",
        "Per-epoch output of the MNIST run:", "", "```",
    ]
    first = results.get("mnist", any_m)["bench"]["stdout"].rstrip().splitlines()
    lines += first + ["```", ""]
    return "\n".join(lines)


def _busy(results: dict[str, dict]) -> bool:
    """Whether the load average exceeded the number of cores before or after any run."""
    cores = os.cpu_count() or 1
    return any(max(m["bench"]["load_before"], m["bench"]["load_after"]) > cores for m in results.values())


def load_sentence(results: dict[str, dict]) -> str:
    """What the load average says about the wall times."""
    if _busy(results):
        return ("Wall times are pessimistic when the load average is above the number of cores: the "
                "machine was shared with other jobs during these runs.")
    peak = max(max(m["bench"]["load_before"], m["bench"]["load_after"]) for m in results.values())
    return f"The machine was otherwise idle (load average at most {peak}, {os.cpu_count() or 1} cores)."


def spread(results: dict[str, dict]) -> str:
    """A sentence on how much the epoch times varied (contention shows up as a few very slow epochs)."""
    parts = []
    for m in results.values():
        e = m["bench"]["epoch_s"]
        if e:
            parts.append(f"{m['dataset']['title']} epochs took {min(e):.1f} s to {max(e):.1f} s "
                         f"(median {sorted(e)[len(e) // 2]:.1f} s)")
    if not parts:
        return ""
    tail = ": the same work, so the slow epochs measure the other jobs, not abcdl." if _busy(results) else "."
    return "; ".join(parts) + tail


def write_results(text: str) -> None:
    """Replace (or append) this benchmark's section of RESULTS.md, keeping every other section."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\nOne section per benchmark.\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = pattern.sub(lambda _: text + "\n", old) if pattern.search(old) else old.rstrip() + "\n\n" + text
    fd, tmp = tempfile.mkstemp(dir=RESULTS.parent, prefix=".RESULTS.", suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(new)
    os.chmod(tmp, 0o644)
    os.replace(tmp, RESULTS)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=list(TARGETS), help="run one dataset only")
    ap.add_argument("--runs", default=None, help="folder for the run folders (default: a temporary folder)")
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    ap.add_argument("extra", nargs="*", help="extra `abcdl train` options after --, e.g. -- --epochs 5")
    args = ap.parse_args()
    datasets = [args.only] if args.only else list(TARGETS)
    base = Path(args.runs) if args.runs else Path(tempfile.mkdtemp(prefix="abcdl-bench-train-"))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    results = {ds: run_one(ds, base / f"{ds}-{stamp}", args.extra) for ds in datasets}
    print(table(results))
    if not args.no_write and not args.extra:
        write_results(section(results))
        print(f"updated {RESULTS}")
    missed = [ds for ds, m in results.items() if m["test"]["accuracy"] < TARGETS[ds]]
    if missed:
        raise SystemExit(f"below target: {', '.join(missed)}")


if __name__ == "__main__":
    main()
