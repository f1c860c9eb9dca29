"""MLP speed benchmark: abcdl against PyTorch CPU in the same run (issue 7).

MLP-A: 784-100-100-10, ReLU, He init, softmax cross-entropy, Adam lr 1e-3,
batch 100, shuffled epochs, MNIST, float32, 2 threads.  The two libraries train
alternately, one epoch each, so machine noise hits both alike; only the ratio
measured in one run counts.  Each library lives in its own worker process
(see :func:`worker`), which also measures its memory.

Run from the project root (MNIST from ABCDL_DATA or the loader's cache):

    ABCDL_DATA=../shared/data python bench/bench_mlp.py               # MLP-A, 10 epochs
    ABCDL_DATA=../shared/data python bench/bench_mlp.py --variant dropout-bn
    ABCDL_DATA=../shared/data python bench/bench_mlp.py --epochs 3 --json out.json

On a machine that forces an OpenBLAS kernel (``OPENBLAS_CORETYPE``, set on some
CPUs for old OpenBLAS builds), run it once as is and once with NumPy's own choice:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_mlp.py``; the
last line names the kernel that ran.

This is a benchmark, not a test: nothing in the test suite times anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time

THREADS = 2
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402
from _handloop import NumpyRunner  # noqa: E402  (bench/_handloop.py, beside this file)
from _worker import Worker  # noqa: E402  (bench/_worker.py)

VARIANTS = {
    # name: (hidden sizes, dropout p, batch norm)
    "mlp-a": ((100, 100), 0.0, False),
    "dropout-bn": ((100, 100), 0.2, True),
}


def load_data():
    import abcdl

    (x, t), (xt, tt) = abcdl.data.load_mnist(normalize=True, flatten=True)
    return x.astype(np.float32, copy=False), t, xt.astype(np.float32, copy=False), tt


# -- abcdl -------------------------------------------------------------------
class AbcdlRunner:
    name = "abcdl"

    def __init__(self, variant: str, seed: int, data) -> None:
        import abcdl
        from abcdl.losses import SoftmaxCrossEntropyLoss
        from abcdl.models import mlp
        from abcdl.optim import Adam

        hidden, p, bn = VARIANTS[variant]
        abcdl.seed(seed)
        self.model = mlp(784, hidden, 10, activation="relu", dropout=p, batch_norm=bn,
                         init="he", dtype=np.float32)
        self.loss_fn = SoftmaxCrossEntropyLoss()
        self.opt = Adam(self.model.parameters(), lr=1e-3)
        # Shuffle from the library generator, continuing after the initial weights (as a user
        # would after abcdl.seed): a second default_rng(seed) would replay the very random
        # numbers that drew the weights as the first epoch's order.
        self.rng = abcdl.get_rng()
        self.x, self.t, self.xt, self.tt = data

    def epoch(self) -> None:
        from abcdl.train import fit

        fit(self.model, self.loss_fn, self.opt, (self.x, self.t), epochs=1, batch_size=100,
            verbose=0, rng=self.rng)

    def test_accuracy(self) -> float:
        from abcdl.train import evaluate

        return evaluate(self.model, self.loss_fn, (self.xt, self.tt), batch_size=1000)[1]

    def predict(self):
        from abcdl.train import predict

        return predict(self.model, self.xt, batch_size=1000)


# -- PyTorch: a plain training loop ------------------------------------------
class TorchRunner:
    name = "torch"

    def __init__(self, variant: str, seed: int, data) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(THREADS)
        torch.manual_seed(seed)
        hidden, p, bn = VARIANTS[variant]
        layers, n_prev = [], 784
        for n in hidden:
            lin = nn.Linear(n_prev, n, bias=not bn)
            nn.init.kaiming_normal_(lin.weight, nonlinearity="relu")   # He: std = sqrt(2 / n_in)
            if lin.bias is not None:
                nn.init.zeros_(lin.bias)
            layers.append(lin)
            if bn:
                layers.append(nn.BatchNorm1d(n))
            layers.append(nn.ReLU())
            if p:
                layers.append(nn.Dropout(p))
            n_prev = n
        out = nn.Linear(n_prev, 10)
        nn.init.kaiming_normal_(out.weight, nonlinearity="relu")
        nn.init.zeros_(out.bias)
        self.torch = torch
        self.model = nn.Sequential(*layers, out)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        x, t, xt, tt = data
        self.x, self.t = torch.from_numpy(x), torch.from_numpy(t.astype(np.int64))
        self.xt, self.tt = torch.from_numpy(xt), torch.from_numpy(tt.astype(np.int64))

    def epoch(self) -> None:
        torch = self.torch
        self.model.train()
        perm = torch.randperm(len(self.x))
        for i in range(0, len(self.x), 100):
            idx = perm[i:i + 100]
            loss = torch.nn.functional.cross_entropy(self.model(self.x[idx]), self.t[idx])
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()

    def predict(self):
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            return torch.cat([self.model(self.xt[i:i + 1000]) for i in range(0, len(self.xt), 1000)])

    def test_accuracy(self) -> float:
        return float((self.predict().argmax(1) == self.tt).float().mean())


RUNNERS = {"abcdl": AbcdlRunner, "torch": TorchRunner}
EXTRA_RUNNERS = {"numpy": lambda variant, seed, data: NumpyRunner(VARIANTS[variant], variant, seed, data)}


def _status_mb(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> None:
    """Reset the kernel's peak-RSS counter (VmHWM) to the current RSS (Linux: clear_refs 5)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def worker(lib: str, variant: str, seed: int) -> None:
    """One library in its own process, driven over stdin/stdout one JSON line per command.

    Each library runs alone in its process, so neither pays for the other's
    imports, and their thread pools (OpenBLAS's, PyTorch's OpenMP) never share a
    process: in one process, whichever library ran last leaves threads spinning
    that slow the other down by a third.  Loading MNIST (abcdl's loader, the same
    for both) happens before the peak-memory counter is reset.
    """
    import gc

    data = load_data()
    gc.collect()
    reset_peak()
    base = _status_mb("VmRSS")
    runner = {**RUNNERS, **EXTRA_RUNNERS}[lib](variant, seed, data)
    built = _status_mb("VmRSS")
    print(json.dumps({"ready": lib}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "epoch":
            out = {"seconds": timed(runner.epoch)}
        elif cmd == "predict":
            runner.predict()                                       # warm-up
            out = {"seconds": min(timed(runner.predict) for _ in range(5))}
        elif cmd == "accuracy":
            out = {"accuracy": runner.test_accuracy()}
        elif cmd == "memory":
            peak = _status_mb("VmHWM")
            out = {"peak_rss_mb": peak, "data_mb": base, "import_and_model_mb": built - base,
                   "training_mb": peak - built}
        else:
            break
        print(json.dumps(out), flush=True)


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def accuracy_over_seeds(variant: str, epochs: int, n: int) -> None:
    """Test accuracy after ``epochs`` epochs for seeds 0..n-1, both libraries (no timing)."""
    data = load_data()
    acc = {lib: [] for lib in RUNNERS}
    for seed in range(n):
        for lib, cls in RUNNERS.items():
            runner = cls(variant, seed, data)
            for _ in range(epochs):
                runner.epoch()
            acc[lib].append(runner.test_accuracy())
        print(f"seed {seed}: " + "  ".join(f"{k} {v[-1]:.4f}" for k, v in acc.items()), flush=True)
    for lib, v in acc.items():
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        print(f"{lib}: mean {statistics.mean(v):.4f}, sd {sd:.4f} over {n} seeds, {epochs} epochs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="mlp-a")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pause", type=float, default=0.3, metavar="S",
                    help="seconds to wait before each timed epoch (default 0.3): the other worker's "
                         "thread pool spins for a while after its epoch and would slow this one")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--accuracy-seeds", type=int, metavar="N",
                    help="instead of timing: train both libraries for --epochs with seeds 0..N-1 "
                         "and report the test accuracies (mean and sd)")
    ap.add_argument("--with-numpy", action="store_true",
                    help="also time a tight hand-written NumPy loop (MLP-A only): the floor of plain NumPy")
    ap.add_argument("--worker", choices=sorted({**RUNNERS, **EXTRA_RUNNERS}), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.variant, args.seed)
        return
    if args.accuracy_seeds:
        accuracy_over_seeds(args.variant, args.epochs, args.accuracy_seeds)
        return

    import threadpoolctl
    import torch

    libs = [*RUNNERS, *(["numpy"] if args.with_numpy else [])]
    workers = [Worker(__file__, lib, "--variant", args.variant, "--seed", str(args.seed)) for lib in libs]
    times = {w.name: [] for w in workers}
    for epoch in range(args.epochs):
        for w in workers if epoch % 2 == 0 else workers[::-1]:   # alternate who goes first
            time.sleep(args.pause)                                 # let the other's threads go idle
            times[w.name].append(w.ask("epoch")["seconds"])
        print(f"epoch {epoch + 1:2d}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()),
              flush=True)
    acc = {w.name: w.ask("accuracy")["accuracy"] for w in workers}
    infer = {}
    for w in workers:
        time.sleep(args.pause)                                     # as for the epochs
        infer[w.name] = 10_000 / w.ask("predict")["seconds"]
    mem = {w.name: w.ask("memory") for w in workers}
    for w in workers:
        w.close()
    data = (range(60_000), None, range(10_000))

    blas = threadpoolctl.threadpool_info()
    res = {
        "variant": args.variant, "epochs": args.epochs,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "pause_s": args.pause, "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "numpy": np.__version__, "torch": torch.__version__,
        "blas": [f"{b.get('internal_api')} {b.get('version')} ({b.get('architecture')})" for b in blas],
        "libs": {},
    }
    for name, ts in times.items():
        res["libs"][name] = {
            "epoch_s_median": statistics.median(ts), "epoch_s_min": min(ts), "epoch_s_max": max(ts),
            "samples_per_s": len(data[0]) / statistics.median(ts),
            "test_accuracy": acc[name], "predict_samples_per_s": infer[name],
            "peak_rss_mb": mem[name]["peak_rss_mb"],
            "import_and_model_mb": mem[name]["import_and_model_mb"],
            "training_mb": mem[name]["training_mb"],
            "data_mb": mem[name]["data_mb"],
        }
    a, t = res["libs"]["abcdl"], res["libs"]["torch"]
    res["ratio_epoch_time"] = a["epoch_s_median"] / t["epoch_s_median"]
    # The machine's speed can drift within a run; the ratio of each epoch pair is robust to that.
    res["ratio_epoch_time_pairs_median"] = statistics.median(
        ta / tt for ta, tt in zip(times["abcdl"], times["torch"], strict=True))
    res["ratio_peak_rss"] = a["peak_rss_mb"] / t["peak_rss_mb"]
    res["ratio_training_mb"] = a["training_mb"] / max(t["training_mb"], 1e-9)
    print()
    print(f"{args.variant}, {args.epochs} epochs, batch 100, float32, {THREADS} threads")
    print(f"{'':8s} {'median s/epoch':>15s} {'min':>7s} {'max':>7s} {'samples/s':>10s} "
          f"{'test acc':>9s} {'predict/s':>10s} {'peak RSS MB':>12s} {'training MB':>12s}")
    for name, v in res["libs"].items():
        print(f"{name:8s} {v['epoch_s_median']:15.3f} {v['epoch_s_min']:7.3f} {v['epoch_s_max']:7.3f} "
              f"{v['samples_per_s']:10.0f} {v['test_accuracy']:9.4f} {v['predict_samples_per_s']:10.0f} "
              f"{v['peak_rss_mb']:12.0f} {v['training_mb']:12.1f}")
    print(f"ratio abcdl/PyTorch: epoch time {res['ratio_epoch_time']:.2f} "
          f"(median of the {args.epochs} epoch pairs' ratios {res['ratio_epoch_time_pairs_median']:.2f}), "
          f"peak memory {res['ratio_peak_rss']:.2f} (after loading the data), "
          f"training memory {res['ratio_training_mb']:.2f}")
    if "numpy" in res["libs"]:
        h = res["libs"]["numpy"]["epoch_s_median"]
        res["ratio_numpy_to_torch"] = h / t["epoch_s_median"]
        res["ratio_abcdl_to_numpy"] = a["epoch_s_median"] / h
        print(f"hand-written NumPy loop / PyTorch: {res['ratio_numpy_to_torch']:.2f}; "
              f"abcdl / hand-written NumPy loop: {res['ratio_abcdl_to_numpy']:.2f}")
    print(f"BLAS: {res['blas']}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
          f"load average {os.getloadavg()[0]:.2f}")
    if os.environ.get("OPENBLAS_CORETYPE"):
        print(f"note: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} forces that kernel on NumPy's "
              f"OpenBLAS (PyTorch has its own BLAS); for NumPy's own choice run "
              f"env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python {' '.join(sys.argv)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
