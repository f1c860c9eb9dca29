"""SimpleConvNet and DeepConvNet speed and memory: abcdl against PyTorch CPU (issues 8 and 20, L38).

SimpleConvNet is the book's ch. 7 network (conv 30x5x5 - ReLU - maxpool 2 -
affine 100 - ReLU - affine 10); DeepConvNet its ch. 8 network
(``abcdl.models.deep_convnet``: six 3x3 convolutions of 16, 16, 32, 32, 64, 64
filters, three max-pools, affine 50, dropout, affine 10, dropout).  He init,
softmax cross-entropy, Adam lr 1e-3, batch 100, MNIST, float32, 2 threads
(``--threads``).  For each network both libraries start from the *same* weights
(PyTorch's nn.Sequential has abcdl's layer indices).

Speed: both libraries train both networks, each library in a worker process of
its own (a library's idle thread pool slows the other's when they share a
process), on the same random mini-batches, taking turns every block of steps (``--steps`` for
SimpleConvNet, ``--deep-steps`` for DeepConvNet; who goes first alternates, and
the two networks' blocks interleave, with ``--pause`` seconds before each
block), so that the load of a shared machine hits both alike; ``--rounds``
blocks each are timed after a warm-up.  The median
block's time per step times 600 steps (60,000 / 100) is reported as s/epoch
(and that of the fastest block); the headline ratio abcdl/PyTorch is the median
of the blocks' ratios.  Each block is also timed in process CPU time: with
``--threads 1`` that ratio counts the work done and holds even while other
processes share the cores (with two threads it also counts the BLAS/OpenMP
threads' spinning).  Only ratios measured in one run count, and only on a quiet
machine: while other processes keep a core busy, two-thread steps of both
libraries become 10-30x slower (a BLAS/OpenMP thread waits for its descheduled
partner) and the wall-time ratio means little; the load average is printed
before and after.  abcdl's step is what ``abcdl.train.fit`` does per batch
(forward, loss, backward with ``input_grad=False``, Adam); PyTorch's is the
usual loop (its autograd skips the input gradient too).  Both use ``--threads``
cores: PyTorch threads each operation, abcdl splits each batch across
``--workers`` threads (default: ``--threads``), one BLAS thread each
(:class:`abcdl.parallel.DataParallel`, what ``abcdl train --workers`` does);
``--workers 1`` runs abcdl's model on the whole batch with ``--threads`` BLAS
threads, as before 2026-12-01.

Memory: each library trains ``--memory-steps`` steps of each network in a child
process of its own.  The child imports its library, loads MNIST and builds the
model, then resets the kernel's peak-RSS counter (``/proc/self/clear_refs``, 5)
and trains; "training peak" = peak RSS during training - RSS before it, i.e.
the working memory of training (activations, caches, gradients, optimizer
state), the same yardstick for both.  For abcdl the exact peak of NumPy's own
allocations (tracemalloc) is shown as well.

Profile (``--profile``): abcdl's time per layer, forward and backward, with the
FLOPs per epoch, GFLOP/s and the fraction of the BLAS's GEMM rate
(bench/_conv_profile.py); ``--reference`` runs every convolution through the
readable im2col lines (``Conv2d.fast = False``), the code before issue 20.

Run from the project root:

    ABCDL_DATA=../shared/data python bench/bench_conv.py
    ABCDL_DATA=../shared/data python bench/bench_conv.py --threads 1 --no-memory --json out.json
    ABCDL_DATA=../shared/data python bench/bench_conv.py --workers 1     # abcdl without DataParallel
    ABCDL_DATA=../shared/data python bench/bench_conv.py --profile --clock cpu --threads 1 [--reference]

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


MODELS = ("simple", "deep")
NAMES = {"simple": "SimpleConvNet", "deep": "DeepConvNet"}


# -- abcdl -------------------------------------------------------------------
class AbcdlRunner:
    name = "abcdl"

    def __init__(self, model: str, seed: int, workers: int = 1) -> None:
        import abcdl
        from abcdl.losses import SoftmaxCrossEntropyLoss
        from abcdl.models import convnet, deep_convnet
        from abcdl.optim import Adam
        from abcdl.parallel import DataParallel

        abcdl.seed(seed)
        if model == "simple":
            self.model = convnet((1, 28, 28), 10, filters=30, kernel_size=5, hidden=100, dtype=np.float32)
        else:
            self.model = deep_convnet((1, 28, 28), 10, dtype=np.float32)
        if workers > 1:                       # the batch split across the cores (abcdl.parallel)
            self.model = DataParallel(self.model, workers)
        self.loss_fn = SoftmaxCrossEntropyLoss()
        self.opt = Adam(self.model.parameters(), lr=1e-3)

    def step(self, xb: np.ndarray, tb: np.ndarray) -> float:
        self.model.zero_grad()
        loss = self.loss_fn.forward(self.model.forward(xb), tb)
        self.model.backward(self.loss_fn.backward(), input_grad=False)
        self.opt.step()
        return loss

    def eval_loss(self, xb: np.ndarray, tb: np.ndarray) -> float:
        self.model.eval()
        loss = self.loss_fn.forward(self.model.forward(xb), tb)
        self.model.train()
        return loss

    def state(self) -> dict[str, np.ndarray]:
        return self.model.state_dict()


# -- PyTorch: the same networks, a plain training loop ---------------------------
def torch_model(model: str):
    """The network as torch.nn.Sequential, with abcdl's layer indices."""
    from torch import nn

    if model == "simple":
        return nn.Sequential(nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10))
    layers, channels = [], 1
    for k, (f, pad) in enumerate(zip((16, 16, 32, 32, 64, 64), (1, 1, 1, 2, 1, 1), strict=True)):
        layers += [nn.Conv2d(channels, f, 3, padding=pad), nn.ReLU()]
        channels = f
        if k % 2 == 1:
            layers.append(nn.MaxPool2d(2))
    layers += [nn.Flatten(), nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5), nn.Linear(50, 10),
               nn.Dropout(0.5)]
    return nn.Sequential(*layers)


class TorchRunner:
    name = "torch"

    def __init__(self, model: str, seed: int, state: dict[str, np.ndarray] | None = None) -> None:
        import torch

        torch.set_num_threads(THREADS)
        torch.manual_seed(seed)
        self.torch = torch
        self.model = torch_model(model)
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

    def eval_loss(self, xb: np.ndarray, tb: np.ndarray) -> float:
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            loss = float(torch.nn.functional.cross_entropy(self.model(torch.from_numpy(xb)),
                                                           torch.from_numpy(tb)))
        self.model.train()
        return loss


def run_steps(runner, x: np.ndarray, t: np.ndarray, batches: np.ndarray) -> tuple[float, float]:
    """Wall and process-CPU seconds taken by one training step per row of ``batches``."""
    t0, c0 = time.perf_counter(), time.process_time()
    for idx in batches:
        runner.step(x[idx], t[idx])
    return time.perf_counter() - t0, time.process_time() - c0


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


def child(lib: str, model: str, steps: int, seed: int, workers: int) -> None:
    """Train ``steps`` steps in this process alone and print its memory use as JSON."""
    x, t = load_data()
    runner = AbcdlRunner(model, seed, workers) if lib == "abcdl" else TorchRunner(model, seed)
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


def memory(model: str, steps: int, seed: int, reference: bool, workers: int) -> dict:
    out = {}
    for lib, env in (("abcdl", {}), ("torch", {}), ("abcdl", {"BENCH_TRACEMALLOC": "1"})):
        cmd = [sys.executable, __file__, "--child", lib, "--models", model, "--memory-steps", str(steps),
               "--seed", str(seed), "--threads", str(THREADS), "--workers", str(workers)]
        cmd += ["--reference"] if reference else []
        r = subprocess.run(cmd, capture_output=True, text=True, check=True, env={**os.environ, **env})
        res = json.loads(r.stdout.strip().splitlines()[-1])
        if env:
            out["abcdl"]["tracemalloc_peak_mb"] = res["tracemalloc_peak_mb"]
        else:
            out[lib] = res
    return out


def print_memory(model: str, mem: dict) -> float | None:
    for lib, m in mem.items():
        extra = (f", NumPy allocations peak {m['tracemalloc_peak_mb']:.1f} MB"
                 if m.get("tracemalloc_peak_mb") else "")
        tp = "n/a" if m["training_peak_mb"] is None else f"{m['training_peak_mb']:.1f} MB"
        print(f"memory {NAMES[model]} {lib}: RSS before training {m['rss_before_mb']:.0f} MB, training peak "
              f"{tp} (process peak {m['peak_rss_mb']:.0f} MB){extra}")
    if mem["abcdl"]["training_peak_mb"] and mem["torch"]["training_peak_mb"]:
        ratio = mem["abcdl"]["training_peak_mb"] / mem["torch"]["training_peak_mb"]
        print(f"memory {NAMES[model]}: training-peak ratio abcdl/torch {ratio:.2f}")
        return ratio
    return None


# -- speed ---------------------------------------------------------------------
def summarize(times: dict[str, list[tuple[float, float]]]) -> dict:
    """Per-step times of the blocks -> s/epoch (median and best block) and the ratios."""
    wall = {n: [w for w, _ in v] for n, v in times.items()}
    cpu = {n: [c for _, c in v] for n, v in times.items()}
    med = {n: statistics.median(v) for n, v in wall.items()}
    best = {n: min(v) for n, v in wall.items()}
    ratio = lambda d: statistics.median(a / b for a, b in zip(d["abcdl"], d["torch"], strict=True))  # noqa: E731
    return {
        "ms_per_step_median": {n: v * 1e3 for n, v in med.items()},
        "ms_per_step_best": {n: v * 1e3 for n, v in best.items()},
        "s_per_epoch_median": {n: v * STEPS_PER_EPOCH for n, v in med.items()},
        "s_per_epoch_best": {n: v * STEPS_PER_EPOCH for n, v in best.items()},
        "cpu_s_per_epoch_median": {n: statistics.median(v) * STEPS_PER_EPOCH for n, v in cpu.items()},
        # Headline: the median of the blocks' ratios (each block pair ran back to back, so a burst
        # of load that slows one block skews one ratio, not the result).
        "ratio_abcdl_over_torch": ratio(wall),
        "cpu_ratio_abcdl_over_torch": ratio(cpu),
        "ratio_of_best_blocks": best["abcdl"] / best["torch"],
        "block_ratios": [a / b for a, b in zip(wall["abcdl"], wall["torch"], strict=True)],
    }


def _steps(args, model: str) -> int:
    """Steps per block for ``model``."""
    return args.steps if model == "simple" else args.deep_steps


def _block_batches(args, n: int, model: str) -> np.ndarray:
    """Every batch of the race on ``model`` (warm-up, then the blocks): the same in both workers."""
    return batch_indices(n, args.warmup + args.rounds * _steps(args, model), args.seed + 1)


def worker(lib: str, args) -> None:
    """One library in a process of its own, driven over stdin/stdout one JSON line per command.

    The two libraries never share a process (as in bench_mlp.py, whose notes found
    that a library's idle thread pool slows the other's by up to a third in one
    process).  Both workers build abcdl's initial weights from the seed; PyTorch's
    worker copies them.
    """
    x, t = load_data()
    runners, batches = {}, {}
    for model in args.models:
        abc = AbcdlRunner(model, args.seed, args.workers if lib == "abcdl" else 1)
        runners[model] = abc if lib == "abcdl" else TorchRunner(model, args.seed, abc.state())
        batches[model] = _block_batches(args, len(x), model)
    print(json.dumps({"ready": lib}), flush=True)
    for line in sys.stdin:
        cmd, model, k = json.loads(line)
        runner, b = runners[model], batches[model]
        if cmd == "loss":
            out = runner.eval_loss(x[:BATCH], t[:BATCH])      # same weights: the same function (dropout off)
        elif cmd == "warmup":
            out = run_steps(runner, x, t, b[:args.warmup])
        else:                                                  # "block" k
            n = _steps(args, model)
            time.sleep(args.pause)                             # let the other worker's threads go idle
            wall, cpu = run_steps(runner, x, t, b[args.warmup + k * n:args.warmup + (k + 1) * n])
            out = (wall / n, cpu / n)
        print(json.dumps(out), flush=True)


def _worker_args(args) -> list[str]:
    return ["--models", *args.models, "--steps", str(args.steps), "--deep-steps", str(args.deep_steps),
            "--rounds", str(args.rounds), "--warmup", str(args.warmup), "--threads", str(THREADS),
            "--seed", str(args.seed), "--pause", str(args.pause), "--workers", str(args.workers),
            *(["--reference"] if args.reference else [])]


def speed(args) -> dict:
    """Alternating blocks of both libraries (one worker process each) on each network; per-step times."""
    from _worker import Worker  # bench/_worker.py, beside this file

    workers = {lib: Worker(__file__, lib, *_worker_args(args)) for lib in ("abcdl", "torch")}
    try:
        for model in args.models:
            loss = {lib: w.ask(json.dumps(["loss", model, 0])) for lib, w in workers.items()}
            print(f"{NAMES[model]}: initial loss  abcdl {loss['abcdl']:.6f}  torch {loss['torch']:.6f}")
            for w in workers.values():
                w.ask(json.dumps(["warmup", model, 0]))
        times = {m: {"abcdl": [], "torch": []} for m in args.models}
        for k in range(args.rounds):
            for model in args.models:
                for lib in ("abcdl", "torch") if k % 2 == 0 else ("torch", "abcdl"):   # who goes first
                    times[model][lib].append(tuple(workers[lib].ask(json.dumps(["block", model, k]))))
                w = {lib: v[-1][0] for lib, v in times[model].items()}
                print(f"block {k + 1} {NAMES[model]}: abcdl {w['abcdl'] * 1e3:.1f} ms/step  torch "
                      f"{w['torch'] * 1e3:.1f} ms/step  ratio {w['abcdl'] / w['torch']:.2f}  "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)
    finally:
        for w in workers.values():
            w.close()
    return {m: summarize(v) for m, v in times.items()}


def print_speed(model: str, res: dict) -> None:
    med, best, cpu = res["s_per_epoch_median"], res["s_per_epoch_best"], res["cpu_s_per_epoch_median"]
    print(f"{NAMES[model]} s/epoch (600 steps): median block abcdl {med['abcdl']:.2f}  torch "
          f"{med['torch']:.2f};  best block abcdl {best['abcdl']:.2f}  torch {best['torch']:.2f};  "
          f"CPU s/epoch abcdl {cpu['abcdl']:.2f}  torch {cpu['torch']:.2f}")
    print(f"{NAMES[model]} ratio abcdl/torch (median of the blocks' ratios): wall "
          f"{res['ratio_abcdl_over_torch']:.2f}, CPU time {res['cpu_ratio_abcdl_over_torch']:.2f}")


def run_profile(args, x: np.ndarray, t: np.ndarray) -> dict:
    import _conv_profile

    out = {}
    for model in args.models:
        abc = AbcdlRunner(model, args.seed)           # the layers as they run on the whole batch
        n = args.steps if model == "simple" else args.deep_steps
        res = _conv_profile.profile(abc.model, abc.loss_fn, x, t, batch_indices(len(x), n + 1, args.seed),
                                    args.clock)
        _conv_profile.print_profile(NAMES[model], res)
        out[model] = res
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    ap.add_argument("--steps", type=int, default=50, help="SimpleConvNet: timed steps per library per block")
    ap.add_argument("--deep-steps", type=int, default=10, help="DeepConvNet: steps per library per block")
    ap.add_argument("--rounds", type=int, default=6, help="blocks")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--memory-steps", type=int, default=10)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--threads", type=int, default=2, help="threads for NumPy's BLAS and for PyTorch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=None,
                    help="abcdl: threads that each take a part of every batch (abcdl.parallel.DataParallel, "
                         "one BLAS thread each); default --threads; 1 runs the model on the whole batch "
                         "with --threads BLAS threads")
    ap.add_argument("--reference", action="store_true",
                    help="every convolution through the readable im2col lines (Conv2d.fast = False)")
    ap.add_argument("--profile", action="store_true", help="abcdl's per-layer profile instead of the race")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="--profile's clock")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--pause", type=float, default=0.3, metavar="S",
                    help="seconds to wait before each timed block (default 0.3): the other worker's "
                         "thread pool spins for a while after its block")
    ap.add_argument("--child", choices=("abcdl", "torch"), help=argparse.SUPPRESS)
    ap.add_argument("--worker", choices=("abcdl", "torch"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.workers = THREADS if args.workers is None else args.workers
    if args.reference:
        from abcdl.layers import Conv2d

        Conv2d.fast = False
    if args.child:
        child(args.child, args.models[0], args.memory_steps, args.seed, args.workers)
        return
    if args.worker:
        worker(args.worker, args)
        return

    import threadpoolctl
    import torch

    load_before = os.getloadavg()
    results = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
               "machine": {"python": platform.python_version(), "numpy": np.__version__,
                           "torch": torch.__version__, "cpus": os.cpu_count(), "threads": THREADS,
                           "blas": [(i.get("internal_api"), i.get("architecture"))
                                    for i in threadpoolctl.threadpool_info()]},
               "reference": args.reference, "workers": args.workers, "loadavg_before": load_before}
    if args.profile:
        results["profile"] = run_profile(args, *load_data())
    else:
        results.update(steps_per_block={"simple": args.steps, "deep": args.deep_steps}, blocks=args.rounds)
        results["speed"] = speed(args)
        for model, res in results["speed"].items():
            print_speed(model, res)
    if not args.no_memory and not args.profile:
        results["memory"] = {}
        for model in args.models:
            mem = memory(model, args.memory_steps, args.seed, args.reference, args.workers)
            results["memory"][model] = {"libs": mem, "ratio": print_memory(model, mem)}
    results["loadavg_after"] = os.getloadavg()
    print(f"load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}, after "
          f"{results['loadavg_after'][0]:.2f} {results['loadavg_after'][1]:.2f} "
          f"{results['loadavg_after'][2]:.2f} ({os.cpu_count()} CPUs), {results['date']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
