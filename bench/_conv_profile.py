"""Per-layer profile of abcdl's ConvNets: bench_conv.py's ``--profile`` (issue 20).

Times each layer's forward and backward over whole training steps (forward,
loss, backward with ``input_grad=False`` for the first layer, as ``fit`` does),
counts the multiply-adds of the GEMM layers, and sets the achieved rate beside
the BLAS's own: a float32 1024^3 GEMM timed in the same process with the same
threads and the same clock ("peak").  With ``--clock cpu`` every time is the
process's CPU time (``time.process_time``): with one thread it measures the work
done even while other processes share the cores.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

STEPS_PER_EPOCH = 600


def clock(kind: str):
    return time.process_time if kind == "cpu" else time.perf_counter


def gemm_peak(kind: str, n: int = 1024, repeats: int = 7) -> float:
    """GFLOP/s of the fastest of ``repeats`` float32 (n x n) @ (n x n) products."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    out = np.empty_like(a)
    tick, best = clock(kind), float("inf")
    for _ in range(repeats):
        t0 = tick()
        np.matmul(a, b, out=out)
        best = min(best, tick() - t0)
    return 2 * n**3 / best / 1e9


def layer_flops(model, input_shape: tuple[int, ...]) -> list[tuple[float, float]]:
    """(forward, backward) FLOPs of one step per layer: 2 per multiply-add of the GEMMs.

    Conv2d: forward 2 F C kh kw OH OW m; backward the same for dW and again for
    dX (not for the first layer).  Linear: 2 m in out, likewise.  Other layers: 0.
    """
    from abcdl.layers import Conv2d, Linear

    shape, out = tuple(input_shape), []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Conv2d):
            m, F, OH, OW = layer.output_shape(shape)
            fwd = 2.0 * F * layer.in_channels * layer.kernel_size[0] * layer.kernel_size[1] * OH * OW * m
        elif isinstance(layer, Linear):
            fwd = 2.0 * shape[0] * layer.in_features * layer.out_features
        else:
            fwd = 0.0
        out.append((fwd, fwd * (1 if i == 0 else 2)))
        shape = layer.forward(np.zeros(shape, dtype=np.float32)).shape
    return out


def time_layers(model, loss_fn, x: np.ndarray, t: np.ndarray, batches: np.ndarray, kind: str):
    """Median forward and backward seconds per layer over the steps (the first step left out)."""
    layers, tick = model.layers, clock(kind)
    fwd = [[] for _ in layers]
    bwd = [[] for _ in layers]
    total = []
    for idx in batches:
        start = tick()
        a = x[idx]
        for i, layer in enumerate(layers):
            t0 = tick()
            a = layer.forward(a)
            fwd[i].append(tick() - t0)
        loss_fn.forward(a, t[idx])
        d = loss_fn.backward()
        for i in range(len(layers) - 1, -1, -1):
            t0 = tick()
            d = layers[i].backward(d, input_grad=i > 0)
            bwd[i].append(tick() - t0)
        total.append(tick() - start)
    med = lambda v: statistics.median(v[1:])  # noqa: E731
    return [med(v) for v in fwd], [med(v) for v in bwd], med(total)


def profile(model, loss_fn, x, t, batches, kind: str) -> dict:
    """Per-layer rows (name, ms, GFLOP per epoch, GFLOP/s, fraction of peak) and totals."""
    peak = gemm_peak(kind)
    flops = layer_flops(model, (len(batches[0]), *x.shape[1:]))
    fwd, bwd, step = time_layers(model, loss_fn, x, t, batches, kind)
    rows = []
    for i, layer in enumerate(model.layers):
        (ff, fb), tf, tb = flops[i], fwd[i], bwd[i]
        rate = (ff + fb) / (tf + tb) / 1e9 if ff else None
        rows.append({"layer": f"{i} {layer!r}", "fwd_ms": tf * 1e3, "bwd_ms": tb * 1e3,
                     "s_per_epoch": (tf + tb) * STEPS_PER_EPOCH,
                     "gflop_per_epoch": (ff + fb) * STEPS_PER_EPOCH / 1e9,
                     "gflops": rate, "fraction_of_peak": rate / peak if rate else None})
    return {"clock": kind, "gemm_peak_gflops": peak, "step_ms": step * 1e3, "layers": rows,
            "layers_ms": sum(fwd + bwd) * 1e3}


def print_profile(name: str, res: dict) -> None:
    print(f"\nper-layer profile of {name} ({res['clock']} time; float32 1024^3 GEMM "
          f"{res['gemm_peak_gflops']:.1f} GFLOP/s; step {res['step_ms']:.1f} ms, layers "
          f"{res['layers_ms']:.1f} ms)")
    print("| layer | forward ms | backward ms | s/epoch | GFLOP/epoch | GFLOP/s | of GEMM peak |")
    print("|---|---|---|---|---|---|---|")
    for r in res["layers"]:
        if r["fwd_ms"] + r["bwd_ms"] < 0.05:
            continue
        rate = "" if r["gflops"] is None else f"{r['gflops']:.1f}"
        frac = "" if r["fraction_of_peak"] is None else f"{r['fraction_of_peak']:.0%}"
        gf = f"{r['gflop_per_epoch']:.0f}" if r["gflop_per_epoch"] else ""
        print(f"| {r['layer']} | {r['fwd_ms']:.2f} | {r['bwd_ms']:.2f} | {r['s_per_epoch']:.2f} | {gf} | "
              f"{rate} | {frac} |")
