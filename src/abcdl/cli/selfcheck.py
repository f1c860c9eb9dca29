"""``abcdl selfcheck``: gradient-check every layer and loss of abcdl (L19) and print the result.

Two parts, a few seconds in all:

1. a small network (Linear, BatchNorm1d, ReLU, Tanh, Dropout, Sigmoid, softmax
   cross-entropy) in float64: backprop against central differences (h = 1e-4)
   for every parameter, the lecture's check (L19);
2. every layer of :mod:`abcdl.layers` and every loss of :mod:`abcdl.losses` on its
   own, in float64 with a random upstream gradient G and the objective
   J = sum(f(x) * G) (:func:`abcdl.numdiff.check_module`, h = 1e-6): dJ/dx and
   dJ/dp for each of its parameters.  Inputs stay away from ReLU's kink and
   max-pooling's ties; dropout's mask is re-seeded before every forward pass.

:data:`LAYER_CASES` and :data:`LOSS_CASES` name what is checked;
``tests/test_cli_selfcheck.py`` fails if a layer or loss of the library is missing there.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import layers as L
from ..fonts import font_origin
from ..losses import MSELoss, SigmoidBCELoss, SoftmaxCrossEntropyLoss
from ..models import Sequential
from ..numdiff import GradcheckResult, check_module, compare_gradients, numerical_gradient
from ._datasets import data_report
from ._train_options import seed_int

F64 = np.float64


def register(sub) -> None:
    p = sub.add_parser(
        "selfcheck",
        help="gradient-check every layer and loss against central differences (L19)",
        description="Compare every backward-pass gradient with central differences in float64: a small "
                    "network first, then every layer and loss of abcdl on its own (named in the output); "
                    "then say where MNIST, Fashion-MNIST and the Hangul font are found.",
    )
    p.add_argument("--seed", type=seed_int, default=0, help="random seed, an integer >= 0 (default 0)")
    p.set_defaults(func=run)


def selfcheck(seed: int = 0) -> list[GradcheckResult]:
    """Gradient-check a 5-6-4-3-3 network with Linear, BatchNorm1d, ReLU, Tanh, Dropout, Sigmoid layers."""
    rng = np.random.default_rng(seed)
    model = Sequential(
        L.Linear(5, 6, init="he", bias=False, rng=rng, dtype=F64), L.BatchNorm1d(6, dtype=F64),
        L.ReLU(), L.Linear(6, 4, init="xavier", rng=rng, dtype=F64), L.Tanh(),
        L.Dropout(0.25, rng=np.random.default_rng(seed + 1)),
        L.Linear(4, 3, rng=rng, dtype=F64), L.Sigmoid(), L.Linear(3, 3, rng=rng, dtype=F64),
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


def _away_from_zero(rng: np.random.Generator, shape) -> np.ndarray:
    """Normal values with |x| >= 0.1: far (>> h) from ReLU's and LeakyReLU's kink at 0."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-12) * 0.1 + x, x)


def _distinct(rng: np.random.Generator, shape) -> np.ndarray:
    """A shuffled grid spaced 0.01 apart: no two values within 10h, so max pooling has no ties."""
    n = int(np.prod(shape))
    return rng.permutation(np.arange(n) - n / 2).reshape(shape) * 0.01


def _dropout_case(rng: np.random.Generator):
    layer = L.Dropout(0.3)

    def forward(x):                                  # the same mask for every evaluation
        layer.rng = np.random.default_rng(5)
        return L.Dropout.forward(layer, x)
    return layer, rng.standard_normal((6, 5)), forward


def _embedding_case(rng: np.random.Generator):
    layer = L.Embedding(7, 3, rng=rng, dtype=F64)
    ids = rng.integers(0, 7, size=(4, 5))

    def forward(_x):                                 # the ids stay integers: dJ/d(ids) = 0, checked as such
        return L.Embedding.forward(layer, ids)
    return layer, ids.astype(F64), forward


def _embedding_dot_case(rng: np.random.Generator):
    layer = L.EmbeddingDot(6, 3, init=1.0, rng=rng, dtype=F64)
    layer.set_ids(rng.integers(0, 6, size=(4, 2)))   # h (4, 3) against two words each
    return layer, rng.standard_normal((4, 3)), None


def _negative_sampling_case(rng: np.random.Generator):
    layer = L.NegativeSamplingLoss(6, 3, counts=np.arange(1, 7), sample_size=2, init=1.0, rng=rng, dtype=F64)
    target, negatives = rng.integers(0, 6, size=4), rng.integers(0, 6, size=(4, 2))

    def forward(h):                                  # the same negatives every evaluation
        return np.array(L.NegativeSamplingLoss.forward(layer, h, target, negatives))
    return layer, rng.standard_normal((4, 3)), forward


def _without_key_bias(layer):
    """Drop k_proj.b of each attention in ``layer``: it adds the same number to every score of a query,
    which the softmax ignores, so its gradient is exactly 0 and a relative error against it means nothing."""
    for _, module in layer.named_modules():
        if isinstance(module, L.MultiHeadAttention):
            module.k_proj.b = None
    return layer


def _attention_case(rng: np.random.Generator):
    layer = _without_key_bias(L.MultiHeadAttention(4, 2, rng=rng, dtype=F64))

    def forward(x):                                  # causal self-attention, the last key of row 0 padded
        return L.MultiHeadAttention.forward(layer, x, key_padding_mask=np.array([[0, 0, 1]] + [[0, 0, 0]] * 2,
                                                                                 dtype=bool), causal=True)
    return layer, rng.standard_normal((3, 3, 4)), forward


def _decoder_block_case(rng: np.random.Generator):
    layer = _without_key_bias(L.TransformerDecoderBlock(4, 2, 6, rng=rng, dtype=F64))
    memory = rng.standard_normal((2, 4, 4))

    def forward(x):                                  # the same encoder output every evaluation
        return L.TransformerDecoderBlock.forward(layer, x, memory)
    return layer, rng.standard_normal((2, 3, 4)), forward


# name -> (rng -> (layer, x, forward or None)): every layer of abcdl.layers
LAYER_CASES: dict[str, Callable] = {
    "Linear": lambda r: (L.Linear(4, 3, rng=r, dtype=F64), r.standard_normal((5, 4)), None),
    "ReLU": lambda r: (L.ReLU(), _away_from_zero(r, (5, 4)), None),
    "LeakyReLU": lambda r: (L.LeakyReLU(0.1), _away_from_zero(r, (5, 4)), None),
    "Sigmoid": lambda r: (L.Sigmoid(), r.standard_normal((5, 4)), None),
    "Tanh": lambda r: (L.Tanh(), r.standard_normal((5, 4)), None),
    "Identity": lambda r: (L.Identity(), r.standard_normal((5, 4)), None),
    "Dropout": _dropout_case,
    "BatchNorm1d": lambda r: (L.BatchNorm1d(4, dtype=F64), r.standard_normal((6, 4)), None),
    "Conv2d": lambda r: (L.Conv2d(2, 3, 3, stride=2, padding=1, rng=r, dtype=F64),
                         r.standard_normal((2, 2, 5, 5)), None),
    "MaxPool2d": lambda r: (L.MaxPool2d(2), _distinct(r, (2, 2, 4, 4)), None),
    "AvgPool2d": lambda r: (L.AvgPool2d(2, stride=1, padding=1), r.standard_normal((2, 2, 4, 4)), None),
    "Flatten": lambda r: (L.Flatten(), r.standard_normal((2, 2, 3, 3)), None),
    "BatchNorm2d": lambda r: (L.BatchNorm2d(3, dtype=F64), r.standard_normal((4, 3, 3, 3)), None),
    "RNN": lambda r: (L.RNN(3, 4, rng=r, dtype=F64), r.standard_normal((4, 5, 3)), None),
    "LSTM": lambda r: (L.LSTM(3, 3, rng=r, dtype=F64), r.standard_normal((4, 5, 3)), None),
    "GRU": lambda r: (L.GRU(3, 3, return_sequences=False, rng=r, dtype=F64),
                      r.standard_normal((4, 5, 3)), None),
    "Embedding": _embedding_case,
    "EmbeddingDot": _embedding_dot_case,
    "NegativeSamplingLoss": _negative_sampling_case,
    "LayerNorm": lambda r: (L.LayerNorm(4, dtype=F64), r.standard_normal((2, 3, 4)), None),
    "MultiHeadAttention": _attention_case,
    "TransformerEncoderBlock": lambda r: (_without_key_bias(L.TransformerEncoderBlock(4, 2, 6, rng=r,
                                                                                      dtype=F64)),
                                          r.standard_normal((2, 3, 4)), None),
    "TransformerDecoderBlock": _decoder_block_case,
}

# name -> (loss, rng -> (prediction, target)): every loss of abcdl.losses
LOSS_CASES: dict[str, tuple[Callable, Callable]] = {
    "SoftmaxCrossEntropyLoss": (SoftmaxCrossEntropyLoss, lambda r: (r.standard_normal((6, 4)),
                                                                   r.integers(0, 4, size=6))),
    "SigmoidBCELoss": (SigmoidBCELoss, lambda r: (r.standard_normal((6, 1)),
                                                  r.integers(0, 2, size=(6, 1)).astype(F64))),
    "MSELoss": (MSELoss, lambda r: (r.standard_normal((6, 3)), r.standard_normal((6, 3)))),
}


def check_layers(seed: int = 0) -> dict[str, dict[str, GradcheckResult]]:
    """``{layer name: {"x" | parameter name: GradcheckResult}}`` for every case of :data:`LAYER_CASES`."""
    out = {}
    for i, (name, make) in enumerate(LAYER_CASES.items()):
        rng = np.random.default_rng([seed, i])
        layer, x, forward = make(rng)
        layer.train()
        out[name] = check_module(layer, x, rng=rng, forward=forward)
    return out


def check_losses(seed: int = 0) -> dict[str, dict[str, GradcheckResult]]:
    """``{loss name: {"pred": GradcheckResult}}``: backward() against central differences of forward()."""
    out = {}
    for i, (name, (cls, make)) in enumerate(LOSS_CASES.items()):
        loss = cls()
        pred, t = make(np.random.default_rng([seed, 100 + i]))
        loss.forward(pred, t)
        g = loss.backward()                                  # dJ/dpred, the 1/m included
        g_hat = numerical_gradient(lambda p, loss=loss, t=t: loss.forward(p, t), pred.copy(), 1e-6)
        out[name] = {"pred": compare_gradients(g, g_hat, "pred")}
    return out


def _one_line(name: str, res: dict[str, GradcheckResult]) -> str:
    ok = all(r.passed for r in res.values())
    worst = max(r.max_rel_error for r in res.values())
    return f"  {name:<24} {', '.join(res):<28} {'ok' if ok else 'FAILED'}  max rel error {worst:.2e}"


def run(args) -> int:
    results = selfcheck(args.seed)
    print("abcdl selfcheck: backprop vs central differences (float64, h = 1e-4)")
    print("a network Linear-BatchNorm1d-ReLU-Linear-Tanh-Dropout-Linear-Sigmoid-Linear, "
          "softmax cross-entropy:")
    for r in results:
        print(f"  {r}")
    per = {**check_layers(args.seed), **check_losses(args.seed)}
    print("every layer and loss on its own (h = 1e-6, random upstream gradient): gradients checked")
    for name, res in per.items():
        print(_one_line(name, res))
    every = [*results, *(r for res in per.values() for r in res.values())]
    ok = all(r.passed for r in every)
    worst = max(r.max_rel_error for r in every)
    print(f"{'PASSED' if ok else 'FAILED'}: {len(results)} network parameters, {len(LAYER_CASES)} layers, "
          f"{len(LOSS_CASES)} losses; worst max rel error {worst:.2e}")
    for line in [*data_report(), f"Hangul font: {font_origin()}"]:
        print(line)
    return 0 if ok else 1
