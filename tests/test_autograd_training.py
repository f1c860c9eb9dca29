"""Training equivalence (L39): one MNIST epoch by hand and by the machine ends with the same weights.

From the same initial weights and the same batches, one epoch of the 784-100-100-10 MLP with
Adam (float64, 6,000 MNIST images, batch 100) through the hand-written layers (``abcdl.train.fit``)
and through autograd (a plain loop on ``J = loss(model(X), t)`` built from ops, and ``fit`` driving
``autograd.nn.Graph``) ends with weights equal to within 1e-6 and the same test accuracy.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import abcdl
from abcdl import autograd as ag
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import mlp
from abcdl.optim import Adam
from abcdl.train import evaluate, fit

N_TRAIN, BATCH = 6000, 100


@pytest.fixture(scope="module")
def mnist():
    (x, t), (xt, tt) = abcdl.data.load_mnist(normalize=True, flatten=True)
    return x[:N_TRAIN].astype(np.float64), t[:N_TRAIN], xt.astype(np.float64), tt


def autograd_epoch(model, X, t, perm) -> list[float]:
    """One epoch in the order ``perm``, every step through the graph: J = loss(model(X_B), t_B)."""
    forward, loss = ag.nn.from_layer(model), ag.nn.from_loss(SoftmaxCrossEntropyLoss())
    opt = Adam(model.parameters(), lr=1e-3)
    model.train()
    losses = []
    for start in range(0, len(X), BATCH):
        idx = perm[start:start + BATCH]
        opt.zero_grad()
        J = loss(forward(X[idx]), t[idx])            # the graph from the pixels to the loss
        J.backward()                                 # dJ/dW into every Parameter's grad
        opt.step()
        losses.append(J.item())
    return losses


@pytest.mark.parametrize("variant", ["mlp-a", "bn-dropout"])
def test_autograd_training_one_mnist_epoch_equals_the_hand_written_layers(mnist, variant):
    X, t, Xt, tt = mnist
    bn = variant == "bn-dropout"
    hand = mlp(784, (100, 100), 10, batch_norm=bn, dropout=0.2 if bn else 0.0, dtype=np.float64,
               rng=np.random.default_rng(0))
    machine, through_fit = copy.deepcopy(hand), copy.deepcopy(hand)     # same weights, same dropout streams
    start = [p.data.copy() for p in hand.parameters()]
    loss_fn = SoftmaxCrossEntropyLoss()
    history = fit(hand, loss_fn, Adam(hand.parameters(), lr=1e-3), (X, t), epochs=1, batch_size=BATCH,
                  verbose=0, rng=np.random.default_rng(1))
    losses = autograd_epoch(machine, X, t, np.random.default_rng(1).permutation(len(X)))  # fit's order
    graph = ag.nn.Graph(through_fit)
    fit(graph, loss_fn, Adam(graph.parameters(), lr=1e-3), (X, t), epochs=1, batch_size=BATCH, verbose=0,
        rng=np.random.default_rng(1))
    assert np.mean(losses) == pytest.approx(history.history["loss"][0], rel=1e-9)
    for p0, p, q, r in zip(start, hand.parameters(), machine.parameters(), through_fit.parameters(),
                           strict=True):
        assert np.abs(p.data - p0).max() > 1e-3                         # the epoch moved every weight
        assert np.abs(q.data - p.data).max() <= 1e-6
        assert np.abs(r.data - p.data).max() <= 1e-6
    for (_, b), (_, b2) in zip(hand.named_buffers(), machine.named_buffers(), strict=True):
        assert np.abs(b2 - b).max() <= 1e-6                             # batch norm's running statistics
    acc = [evaluate(m, loss_fn, (Xt, tt))[1] for m in (hand, machine, graph)]
    assert acc[0] > 0.85 and acc[0] == acc[1] == acc[2]


def test_autograd_training_graph_model_saves_as_its_sequential(mnist, tmp_path):
    X, t, Xt, tt = mnist
    graph = ag.nn.Graph(mlp(784, (32,), 10, dtype=np.float64, rng=np.random.default_rng(2)))
    fit(graph, SoftmaxCrossEntropyLoss(), Adam(graph.parameters(), lr=1e-3), (X[:1000], t[:1000]),
        epochs=1, verbose=0, rng=np.random.default_rng(3))
    abcdl.save(graph.model, tmp_path / "m.abcdl")                       # checkpoints: the wrapped Sequential
    loaded = abcdl.load(tmp_path / "m.abcdl")
    assert np.array_equal(loaded.eval().forward(Xt[:50]), graph.eval().forward(Xt[:50]))
