"""``abcdl selfcheck``: gradient-check a small network (L19) and print the result."""

from __future__ import annotations

import numpy as np

from ..fonts import font_origin
from ..layers import BatchNorm1d, Dropout, Linear, ReLU, Sigmoid, Tanh
from ..losses import SoftmaxCrossEntropyLoss
from ..models import Sequential
from ..numdiff import compare_gradients, numerical_gradient
from ._datasets import data_report


def register(sub) -> None:
    p = sub.add_parser(
        "selfcheck",
        help="gradient-check a small network against central differences (L19)",
        description="Build a small network in float64, compare every backward-pass gradient "
                    "with central differences, and print the relative errors; then say where MNIST, "
                    "Fashion-MNIST and the Hangul font are found.",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=run)


def selfcheck(seed: int = 0):
    """Gradient-check a 5-4-3 network with every layer type; returns the GradcheckResults."""
    rng = np.random.default_rng(seed)
    model = Sequential(
        Linear(5, 6, init="he", bias=False, rng=rng, dtype=np.float64), BatchNorm1d(6, dtype=np.float64),
        ReLU(), Linear(6, 4, init="xavier", rng=rng, dtype=np.float64), Tanh(),
        Dropout(0.25, rng=np.random.default_rng(seed + 1)),
        Linear(4, 3, rng=rng, dtype=np.float64), Sigmoid(), Linear(3, 3, rng=rng, dtype=np.float64),
    )
    dropout = model[5]
    x = rng.standard_normal((8, 5))
    t = rng.integers(0, 3, size=8)
    loss_fn = SoftmaxCrossEntropyLoss()

    def loss(_=None) -> float:
        dropout.rng = np.random.default_rng(seed + 1)     # the same mask every evaluation
        return loss_fn.forward(model.forward(x), t)

    loss()
    model.zero_grad()
    model.backward(loss_fn.backward())
    return [compare_gradients(p.grad.copy(), numerical_gradient(loss, p.data), name)
            for name, p in model.named_parameters()]


def run(args) -> int:
    results = selfcheck(args.seed)
    print("abcdl selfcheck: backprop vs central differences (float64, h = 1e-4)")
    for r in results:
        print(f"  {r}")
    ok = all(r.passed for r in results)
    worst = max(r.max_rel_error for r in results)
    print(f"{'PASSED' if ok else 'FAILED'}: {len(results)} parameters, worst max rel error {worst:.2e}")
    for line in [*data_report(), f"Hangul font: {font_origin()}"]:
        print(line)
    return 0 if ok else 1
