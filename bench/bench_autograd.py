"""Autograd against the hand-written layers: epoch time and a step's peak memory (issue 14, L39).

MLP-A: 784-100-100-10, ReLU, He init, softmax cross-entropy, Adam lr 1e-3, batch 100,
shuffled epochs, MNIST (60,000 images), float32, 2 threads.  The same network from the
same initial weights is trained two ways, each in its own worker process:

* ``hand``:     ``abcdl.train.train_step`` (each layer's hand-written ``backward``);
* ``autograd``: ``J = loss(model(X_B), t_B)`` built from ``abcdl.autograd`` ops with the
  layers' own Parameters (``autograd.nn.from_layer``/``from_loss``), ``J.backward()``,
  the same ``abcdl.optim.Adam``;
* ``graph-fit`` (``--with-fit``): ``abcdl.train.fit`` driving ``autograd.nn.Graph(model)``.

The workers alternate epoch by epoch within one run (who goes first alternates too), so
machine noise hits both alike; only the ratio of the same run counts, and the median of
the per-epoch ratios is the robust one.  Peak memory of one training step is measured
with ``tracemalloc`` (NumPy reports its buffers to it): the largest amount allocated
above what was allocated before the step, over a few steps.

Run from the project root (MNIST from ABCDL_DATA or the copy shipped with abcdl):

    python bench/bench_autograd.py                 # 6 epochs each
    python bench/bench_autograd.py --epochs 10 --with-fit --json out.json

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
from _worker import Worker  # noqa: E402  (bench/_worker.py, beside this file)

BATCH = 100
LIBS = ("hand", "autograd")


class Runner:
    """One way of training MLP-A: ``epoch()`` and ``step(X, t)``, ``test_accuracy()``."""

    def __init__(self, how: str, seed: int) -> None:
        import abcdl
        from abcdl import autograd as ag
        from abcdl.losses import SoftmaxCrossEntropyLoss
        from abcdl.models import mlp
        from abcdl.optim import Adam

        (x, t), (xt, tt) = abcdl.data.load_mnist(normalize=True, flatten=True, dtype=np.float32)
        self.x, self.t, self.xt, self.tt = x, t, xt, tt
        abcdl.seed(seed)
        self.model = mlp(784, (100, 100), 10, init="he", dtype=np.float32)
        self.loss_fn = SoftmaxCrossEntropyLoss()
        self.how = how
        self.graph = ag.nn.Graph(self.model)
        self.opt = Adam(self.model.parameters(), lr=1e-3)
        self.forward, self.loss = ag.nn.from_layer(self.model), ag.nn.from_loss(self.loss_fn)
        self.rng = np.random.default_rng(seed + 1)          # batch order: the same in every worker

    def step(self, X, t) -> None:
        if self.how == "hand":
            from abcdl.train import train_step

            train_step(self.model, self.loss_fn, self.opt, X, t)
        else:
            self.opt.zero_grad()
            J = self.loss(self.forward(X), t)              # the graph from the pixels to the loss
            J.backward()
            self.opt.step()

    def epoch(self) -> None:
        if self.how == "graph-fit":
            from abcdl.train import fit

            fit(self.graph, self.loss_fn, self.opt, (self.x, self.t), epochs=1, batch_size=BATCH, verbose=0,
                rng=self.rng)
            return
        self.model.train()
        perm = self.rng.permutation(len(self.x))
        for s in range(0, len(self.x), BATCH):
            idx = perm[s:s + BATCH]
            self.step(self.x[idx], self.t[idx])

    def step_peak_bytes(self, steps: int = 5) -> int:
        """The largest tracemalloc peak of one training step, above what was allocated before it."""
        import tracemalloc

        X, t = self.x[:BATCH].copy(), self.t[:BATCH].copy()
        self.step(X, t)                                    # warm-up: Adam's state exists before measuring
        peaks = []
        tracemalloc.start()
        for _ in range(steps):
            before = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            self.step(X, t)
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
        tracemalloc.stop()
        return max(peaks)

    def test_accuracy(self) -> float:
        from abcdl.train import evaluate

        return evaluate(self.model, self.loss_fn, (self.xt, self.tt), batch_size=1000)[1]


def worker(how: str, seed: int) -> None:
    """One way of training in its own process, one JSON line per command on stdin."""
    runner = Runner(how, seed)
    print(json.dumps({"ready": how}), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "epoch":
            t0 = time.perf_counter()
            runner.epoch()
            out = {"seconds": time.perf_counter() - t0}
        elif cmd == "memory":
            out = {"step_peak_bytes": runner.step_peak_bytes()}
        elif cmd == "accuracy":
            out = {"accuracy": runner.test_accuracy()}
        else:
            break
        print(json.dumps(out), flush=True)


def measure(libs, epochs: int, seed: int, pause: float) -> dict:
    """Alternate the workers epoch by epoch; then one step's peak memory and the test accuracy."""
    load = [os.getloadavg()[0]]
    workers = [Worker(__file__, lib, "--seed", str(seed)) for lib in libs]
    times = {w.name: [] for w in workers}
    for epoch in range(epochs):
        for w in workers if epoch % 2 == 0 else workers[::-1]:    # alternate who goes first
            time.sleep(pause)                                       # let the other's threads go idle
            times[w.name].append(w.ask("epoch")["seconds"])
        load.append(os.getloadavg()[0])
        print(f"epoch {epoch + 1:2d}: " + "  ".join(f"{k} {v[-1]:.3f}s" for k, v in times.items())
              + f"  (load average {load[-1]:.2f})", flush=True)
    mem = {w.name: w.ask("memory")["step_peak_bytes"] for w in workers}
    acc = {w.name: w.ask("accuracy")["accuracy"] for w in workers}
    for w in workers:
        w.close()
    return {"times": times, "step_peak_bytes": mem, "accuracy": acc, "load_average": load}


def report(res: dict, args) -> dict:
    times, mem, acc = res["times"], res["step_peak_bytes"], res["accuracy"]
    out = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "epochs": args.epochs,
           "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
           "numpy": np.__version__, "load_average": res["load_average"], "libs": {}}
    for name, ts in times.items():
        out["libs"][name] = {"epoch_s_median": statistics.median(ts), "epoch_s_min": min(ts),
                             "epoch_s_max": max(ts), "step_peak_mb": mem[name] / 2**20,
                             "test_accuracy": acc[name]}
    for name in times:
        if name == "hand":
            continue
        out[f"ratio_{name}_epoch_median"] = statistics.median(times[name]) / statistics.median(times["hand"])
        out[f"ratio_{name}_epoch_pairs_median"] = statistics.median(
            a / h for a, h in zip(times[name], times["hand"], strict=True))
        out[f"ratio_{name}_step_peak_memory"] = mem[name] / mem["hand"]
    threads = os.environ.get("OPENBLAS_NUM_THREADS", os.environ["OMP_NUM_THREADS"])
    out["blas_threads"] = threads
    print(f"\nMLP-A, {args.epochs} epochs, batch {BATCH}, float32, {threads} BLAS threads, Adam 1e-3")
    print(f"{'':10s} {'median s/epoch':>15s} {'min':>7s} {'max':>7s} {'step peak MB':>13s} {'test acc':>9s}")
    for name, v in out["libs"].items():
        print(f"{name:10s} {v['epoch_s_median']:15.3f} {v['epoch_s_min']:7.3f} {v['epoch_s_max']:7.3f} "
              f"{v['step_peak_mb']:13.2f} {v['test_accuracy']:9.4f}")
    for name in times:
        if name != "hand":
            print(f"{name} / hand: epoch time {out[f'ratio_{name}_epoch_median']:.2f} (median of the epoch "
                  f"pairs' ratios {out[f'ratio_{name}_epoch_pairs_median']:.2f}; target <= 1.5), step peak "
                  f"memory {out[f'ratio_{name}_step_peak_memory']:.2f}")
    la = res["load_average"]
    print(f"load average (1 min) during the run: {min(la):.2f} to {max(la):.2f}; {os.cpu_count()} cores")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pause", type=float, default=0.3, metavar="S",
                    help="seconds to wait before each timed epoch (default 0.3)")
    ap.add_argument("--with-fit", action="store_true", help="also time fit() driving autograd.nn.Graph")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--worker", choices=(*LIBS, "graph-fit"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.seed)
        return
    libs = [*LIBS, *(["graph-fit"] if args.with_fit else [])]
    out = report(measure(libs, args.epochs, args.seed, args.pause), args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=2)


if __name__ == "__main__":
    main()
