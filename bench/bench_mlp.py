"""MLP speed benchmark: abcdl against PyTorch CPU in the same run (issue 7).

MLP-A: 784-100-100-10, ReLU, He init, softmax cross-entropy, Adam lr 1e-3,
batch 100, shuffled epochs, MNIST, float32, 2 threads.  The two libraries train
alternately, one epoch each, so machine noise hits both alike; only the ratio
measured in one run counts.  Peak memory is measured in separate child
processes (one per library, so neither pays for the other's imports).

Run from the project root (MNIST from ABCDL_DATA or the loader's cache):

    ABCDL_DATA=../shared/data python bench/bench_mlp.py               # MLP-A, 10 epochs
    ABCDL_DATA=../shared/data python bench/bench_mlp.py --variant dropout-bn
    ABCDL_DATA=../shared/data python bench/bench_mlp.py --epochs 3 --json out.json

This is a benchmark, not a test: nothing in the test suite times anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

THREADS = 2
os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))

import numpy as np  # noqa: E402

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
        self.rng = np.random.default_rng(seed)
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


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(lib: str, variant: str, epochs: int, seed: int) -> None:
    """Train in this process alone and print its memory use as JSON."""
    data = load_data()
    base = peak_rss_mb()
    runner = RUNNERS[lib](variant, seed, data)
    for _ in range(epochs):
        runner.epoch()
    runner.predict()
    print(json.dumps({"lib": lib, "peak_rss_mb": peak_rss_mb(), "after_data_mb": base}))


def memory(variant: str, epochs: int, seed: int) -> dict:
    out = {}
    for lib in RUNNERS:
        r = subprocess.run([sys.executable, __file__, "--child", lib, "--variant", variant,
                            "--epochs", str(epochs), "--seed", str(seed)],
                           capture_output=True, text=True, check=True)
        out[lib] = json.loads(r.stdout.strip().splitlines()[-1])
    return out


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", choices=sorted(VARIANTS), default="mlp-a")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--memory-epochs", type=int, default=1)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.variant, args.memory_epochs, args.seed)
        return

    import threadpoolctl
    import torch

    data = load_data()
    runners = [RUNNERS[lib](args.variant, args.seed, data) for lib in RUNNERS]
    times = {r.name: [] for r in runners}
    for epoch in range(args.epochs):
        for r in runners if epoch % 2 == 0 else runners[::-1]:   # alternate who goes first
            times[r.name].append(timed(r.epoch))
        print(f"epoch {epoch + 1:2d}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items()),
              flush=True)
    acc = {r.name: r.test_accuracy() for r in runners}
    infer = {}
    for r in runners:
        r.predict()                                              # warm-up
        infer[r.name] = len(data[2]) / min(timed(r.predict) for _ in range(5))
    mem = memory(args.variant, args.memory_epochs, args.seed)

    blas = threadpoolctl.threadpool_info()
    res = {
        "variant": args.variant, "epochs": args.epochs, "date": time.strftime("%Y-%m-%d"),
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
        }
    a, t = res["libs"]["abcdl"], res["libs"]["torch"]
    res["ratio_epoch_time"] = a["epoch_s_median"] / t["epoch_s_median"]
    res["ratio_peak_rss"] = a["peak_rss_mb"] / t["peak_rss_mb"]
    print()
    print(f"{args.variant}, {args.epochs} epochs, batch 100, float32, {THREADS} threads")
    print(f"{'':8s} {'median s/epoch':>15s} {'min':>7s} {'max':>7s} {'samples/s':>10s} "
          f"{'test acc':>9s} {'predict/s':>10s} {'peak RSS MB':>12s}")
    for name, v in res["libs"].items():
        print(f"{name:8s} {v['epoch_s_median']:15.3f} {v['epoch_s_min']:7.3f} {v['epoch_s_max']:7.3f} "
              f"{v['samples_per_s']:10.0f} {v['test_accuracy']:9.4f} {v['predict_samples_per_s']:10.0f} "
              f"{v['peak_rss_mb']:12.0f}")
    print(f"ratio abcdl/PyTorch: epoch time {res['ratio_epoch_time']:.2f}, "
          f"peak memory {res['ratio_peak_rss']:.2f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
