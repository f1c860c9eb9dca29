"""SimpleConvNet speed and memory benchmark: abcdl against PyTorch CPU (issue 8, L38).

The book's SimpleConvNet (conv 30x5x5 - ReLU - maxpool 2 - affine 100 - ReLU -
affine 10), He init, softmax cross-entropy, Adam lr 1e-3, batch 100, MNIST,
float32, 2 threads (``--threads``).  Both models start from the *same* weights.

Speed: both libraries train in this process on the same random mini-batches,
taking turns every block of ``--steps`` steps (who goes first alternates), so
that the load of a shared machine hits both alike; ``--rounds`` blocks each are
timed after a warm-up.  The median block's time per step times 600 steps
(60,000 / 100) is reported as s/epoch (and that of the fastest block); the
headline ratio abcdl/PyTorch is the median of the blocks' ratios.  Only ratios
measured in one run count, and only on a quiet machine: while other processes
keep a core busy, two-thread steps of both libraries become 10-30x slower (a
BLAS/OpenMP thread waits for its descheduled partner) and the ratio means
little; the load average is printed at the end.  abcdl's step is what
``abcdl.train.fit`` does per batch (forward, loss, backward with
``input_grad=False``, Adam); PyTorch's is the usual loop (its autograd skips
the input gradient too).

Memory: each library trains ``--memory-steps`` steps in a child process of its
own.  The child imports its library, loads MNIST and builds the model, then
resets the kernel's peak-RSS counter (``/proc/self/clear_refs``, 5) and trains;
"training peak" = peak RSS during training - RSS before it, i.e. the working
memory of training (activations, caches, gradients, optimizer state), the same
yardstick for both.  For abcdl the exact peak of NumPy's own allocations
(tracemalloc) is shown as well.

Run from the project root:

    ABCDL_DATA=../shared/data python bench/bench_conv.py
    ABCDL_DATA=../shared/data python bench/bench_conv.py --steps 100 --rounds 4 --json out.json

This is a benchmark, not a test: nothing in the test suite times anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time


def _threads_arg(argv: list[str], default: int = 2) -> int:
    """``--threads N`` read before NumPy is imported (BLAS reads its thread count at load time)."""
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return default


THREADS = _threads_arg(sys.argv)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(THREADS)

import numpy as np  # noqa: E402

BATCH = 100
STEPS_PER_EPOCH = 60_000 // BATCH


def load_data() -> tuple[np.ndarray, np.ndarray]:
    import abcdl

    (x, t), _ = abcdl.data.load_mnist(normalize=True, flatten=False, dtype=np.float32)
    return x, t


def batch_indices(n: int, count: int, seed: int) -> np.ndarray:
    """``count`` random mini-batches of row indices (the same for both libraries)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(n, BATCH, replace=False) for _ in range(count)])


# -- abcdl -------------------------------------------------------------------
class AbcdlRunner:
    name = "abcdl"

    def __init__(self, seed: int) -> None:
        import abcdl
        from abcdl.losses import SoftmaxCrossEntropyLoss
        from abcdl.models import convnet
        from abcdl.optim import Adam

        abcdl.seed(seed)
        self.model = convnet((1, 28, 28), 10, filters=30, kernel_size=5, hidden=100, dtype=np.float32)
        self.loss_fn = SoftmaxCrossEntropyLoss()
        self.opt = Adam(self.model.parameters(), lr=1e-3)

    def step(self, xb: np.ndarray, tb: np.ndarray) -> float:
        self.model.zero_grad()
        loss = self.loss_fn.forward(self.model.forward(xb), tb)
        self.model.backward(self.loss_fn.backward(), input_grad=False)
        self.opt.step()
        return loss

    def state(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()


# -- PyTorch: the same network, a plain training loop ---------------------------
class TorchRunner:
    name = "torch"

    def __init__(self, seed: int, state: dict[str, np.ndarray] | None = None) -> None:
        import torch
        from torch import nn

        torch.set_num_threads(THREADS)
        torch.manual_seed(seed)
        self.torch = torch
        self.model = nn.Sequential(
            nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
        if state is not None:        # start from abcdl's weights: layers.i.W/b -> i.weight/bias
            with torch.no_grad():
                for key, value in state.items():
                    _, i, name = key.split(".")
                    param = getattr(self.model[int(i)], {"W": "weight", "b": "bias"}[name])
                    param.copy_(torch.from_numpy(value))
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def step(self, xb: np.ndarray, tb: np.ndarray) -> float:
        torch = self.torch
        loss = torch.nn.functional.cross_entropy(self.model(torch.from_numpy(xb)), torch.from_numpy(tb))
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


def run_steps(runner, x: np.ndarray, t: np.ndarray, batches: np.ndarray) -> float:
    """Seconds taken by one training step per row of ``batches``."""
    t0 = time.perf_counter()
    for idx in batches:
        runner.step(x[idx], t[idx])
    return time.perf_counter() - t0


# -- memory (child processes) ---------------------------------------------------
def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _hwm_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def child(lib: str, steps: int, seed: int) -> None:
    """Train ``steps`` steps in this process alone and print its memory use as JSON."""
    x, t = load_data()
    runner = AbcdlRunner(seed) if lib == "abcdl" else TorchRunner(seed)
    batches = batch_indices(len(x), steps, seed + 1)
    before = _rss_mb()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")                 # reset the peak-RSS counter (Linux >= 4.0)
        reset = True
    except OSError:
        reset = False
    traced = None
    if lib == "abcdl" and os.environ.get("BENCH_TRACEMALLOC"):
        import tracemalloc

        tracemalloc.start()
    run_steps(runner, x, t, batches)
    if lib == "abcdl" and os.environ.get("BENCH_TRACEMALLOC"):
        import tracemalloc

        traced = tracemalloc.get_traced_memory()[1] / 2**20
    peak = _hwm_mb()
    print(json.dumps({"lib": lib, "rss_before_mb": before, "peak_rss_mb": peak,
                      "training_peak_mb": peak - before if reset else None, "hwm_reset": reset,
                      "tracemalloc_peak_mb": traced}))


def memory(steps: int, seed: int) -> dict:
    out = {}
    for lib, env in (("abcdl", {}), ("torch", {}), ("abcdl", {"BENCH_TRACEMALLOC": "1"})):
        r = subprocess.run([sys.executable, __file__, "--child", lib, "--memory-steps", str(steps),
                            "--seed", str(seed), "--threads", str(THREADS)],
                           capture_output=True, text=True, check=True, env={**os.environ, **env})
        res = json.loads(r.stdout.strip().splitlines()[-1])
        if env:
            out["abcdl"]["tracemalloc_peak_mb"] = res["tracemalloc_peak_mb"]
        else:
            out[lib] = res
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=50, help="timed steps per library per block")
    ap.add_argument("--rounds", type=int, default=6, help="blocks")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--memory-steps", type=int, default=30)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--threads", type=int, default=2, help="threads for NumPy's BLAS and for PyTorch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--child", choices=("abcdl", "torch"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.memory_steps, args.seed)
        return

    import threadpoolctl
    import torch

    x, t = load_data()
    abc = AbcdlRunner(args.seed)
    tor = TorchRunner(args.seed, abc.state())
    # Same weights, same batch: the first losses must agree (the two nets are the same function).
    xb, tb = x[:BATCH], t[:BATCH]
    l_abc = abc.loss_fn.forward(abc.model.forward(xb), tb)
    with torch.no_grad():
        l_tor = float(torch.nn.functional.cross_entropy(tor.model(torch.from_numpy(xb)),
                                                         torch.from_numpy(tb)))
    print(f"initial loss  abcdl {l_abc:.6f}  torch {l_tor:.6f}")
    batches = batch_indices(len(x), args.warmup + args.rounds * args.steps, args.seed + 1)
    for r in (abc, tor):
        run_steps(r, x, t, batches[:args.warmup])
    timed = batches[args.warmup:]
    per_step = {"abcdl": [], "torch": []}        # mean seconds per step of each block
    for k in range(args.rounds):
        chunk = timed[k * args.steps:(k + 1) * args.steps]
        for r in (abc, tor) if k % 2 == 0 else (tor, abc):      # alternate who goes first
            per_step[r.name].append(run_steps(r, x, t, chunk) / args.steps)
        block = {n: v[-1] for n, v in per_step.items()}
        print(f"block {k + 1}: " + "  ".join(f"{n} {v * 1e3:.2f} ms/step" for n, v in block.items())
              + f"  ratio {block['abcdl'] / block['torch']:.2f}", flush=True)
    med = {n: statistics.median(v) for n, v in per_step.items()}
    best = {n: min(v) for n, v in per_step.items()}
    # Headline: the median of the blocks' ratios (each block pair ran back to back, so a burst of
    # load that slows one block skews one ratio, not the result).
    ratio = statistics.median(a / b for a, b in zip(per_step["abcdl"], per_step["torch"], strict=True))
    results = {
        "machine": {"python": platform.python_version(), "numpy": np.__version__,
                    "torch": torch.__version__, "cpus": os.cpu_count(), "threads": THREADS,
                    "blas": [i.get("internal_api") for i in threadpoolctl.threadpool_info()],
                    "loadavg_after": os.getloadavg()},
        "steps_per_block": args.steps, "blocks": args.rounds,
        "ms_per_step_median": {n: v * 1e3 for n, v in med.items()},
        "ms_per_step_best": {n: v * 1e3 for n, v in best.items()},
        "s_per_epoch_median": {n: v * STEPS_PER_EPOCH for n, v in med.items()},
        "s_per_epoch_best": {n: v * STEPS_PER_EPOCH for n, v in best.items()},
        "ratio_abcdl_over_torch": ratio,
        "ratio_of_medians": med["abcdl"] / med["torch"],
        "ratio_of_best_blocks": best["abcdl"] / best["torch"],
    }
    for label, d in (("median block", med), ("best block", best)):
        print(f"s/epoch (600 steps, {label}): abcdl {d['abcdl'] * STEPS_PER_EPOCH:.2f}  "
              f"torch {d['torch'] * STEPS_PER_EPOCH:.2f}  ratio {d['abcdl'] / d['torch']:.2f}")
    print(f"ratio abcdl/torch (median of the blocks' ratios): {ratio:.2f}  "
          f"(load average now {os.getloadavg()[0]:.2f})")
    if not args.no_memory:
        mem = memory(args.memory_steps, args.seed)
        results["memory"] = mem
        for lib, m in mem.items():
            extra = (f", NumPy allocations peak {m['tracemalloc_peak_mb']:.1f} MB"
                     if m.get("tracemalloc_peak_mb") else "")
            tp = "n/a" if m["training_peak_mb"] is None else f"{m['training_peak_mb']:.1f} MB"
            print(f"memory {lib}: RSS before training {m['rss_before_mb']:.0f} MB, training peak {tp} "
                  f"(process peak {m['peak_rss_mb']:.0f} MB){extra}")
        if mem["abcdl"]["training_peak_mb"] and mem["torch"]["training_peak_mb"]:
            results["memory_ratio"] = mem["abcdl"]["training_peak_mb"] / mem["torch"]["training_peak_mb"]
            print(f"training-peak memory ratio abcdl/torch {results['memory_ratio']:.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
