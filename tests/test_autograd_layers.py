"""Every hand-written layer and loss against its rebuild from autograd ops (L39): outputs and gradients.

In float64, on random inputs and parameters, with a random upstream gradient, the
hand-written ``forward``/``backward`` and the engine's gradients of
``abcdl.autograd.nn``'s rebuild agree to a relative error of 1e-10 (input, every
parameter, and batch norm's running statistics), for each layer, each loss, and the
whole MLP and ConvNet.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from abcdl import autograd as ag
from abcdl.layers import (
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv2d,
    Dropout,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
    Sigmoid,
    Tanh,
)
from abcdl.losses import MSELoss, SigmoidBCELoss, SoftmaxCrossEntropyLoss
from abcdl.models import convnet, mlp
from abcdl.module import Module

RTOL = 1e-10
F64 = np.float64


def rel_err(a, b) -> float:
    """max |a - b| / max |b|: the error relative to the size of the reference (0 when both are 0)."""
    a, b = np.asarray(a, dtype=F64), np.asarray(b, dtype=F64)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = np.abs(b).max() if b.size else 0.0
    diff = np.abs(a - b).max() if a.size else 0.0
    return 0.0 if diff == 0 else diff / scale


def randomize(module: Module, rng: np.random.Generator) -> Module:
    """Random values in every parameter (biases and gamma too) and positive running variances."""
    for p in module.parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.5 + (1.0 if p.name == "gamma" else 0.0)
    for name, buf in module.named_buffers():
        buf[...] = rng.random(buf.shape) + 0.5 if name.endswith("var") else rng.standard_normal(buf.shape)
    return module


def hand_and_machine(layer: Module, x: np.ndarray, G: np.ndarray):
    """(hand, machine): output, dJ/dx and parameter gradients of J = sum(y * G), by hand and by the engine.

    The machine runs on a deep copy of ``layer`` (same parameters, buffers and generator state).
    """
    twin = copy.deepcopy(layer)
    y = layer.forward(x)
    dx = layer.backward(G)
    xt = ag.tensor(x, requires_grad=True)
    yt = ag.nn.from_layer(twin)(xt)
    yt.backward(G)
    return _results(layer, y, dx), _results(twin, yt.data, xt.grad.data)


def _results(module: Module, y, dx) -> tuple:
    return y, dx, [p.grad for p in module.parameters()], [b for _, b in module.named_buffers()]


def assert_agree(hand, machine) -> None:
    (y, dx, grads, bufs), (y2, dx2, grads2, bufs2) = hand, machine
    assert rel_err(y2, y) <= RTOL, "output"
    assert rel_err(dx2, dx) <= RTOL, "input gradient"
    assert len(grads) == len(grads2) and len(bufs) == len(bufs2)
    for i, (g, g2) in enumerate(zip(grads, grads2, strict=True)):
        assert g.any() and rel_err(g2, g) <= RTOL, f"parameter {i}"
    for i, (b, b2) in enumerate(zip(bufs, bufs2, strict=True)):
        assert rel_err(b2, b) <= RTOL, f"buffer {i}"


FLAT, MAPS = (6, 5), (4, 3, 7, 7)
LAYERS = {
    "linear": (lambda: Linear(5, 4, dtype=F64), FLAT),
    "linear-no-bias": (lambda: Linear(5, 4, bias=False, dtype=F64), FLAT),
    "relu": (ReLU, FLAT),
    "leaky-relu": (lambda: LeakyReLU(0.1), FLAT),
    "sigmoid": (Sigmoid, FLAT),
    "tanh": (Tanh, MAPS),
    "identity": (Identity, FLAT),
    "dropout": (lambda: Dropout(0.3, rng=np.random.default_rng(5)), FLAT),
    "dropout-maps": (lambda: Dropout(0.5, rng=np.random.default_rng(6)), MAPS),
    "dropout-eval": (lambda: Dropout(0.3).eval(), FLAT),
    "batchnorm1d": (lambda: BatchNorm1d(5, dtype=F64), FLAT),
    "batchnorm1d-eval": (lambda: BatchNorm1d(5, dtype=F64).eval(), FLAT),
    "batchnorm2d": (lambda: BatchNorm2d(3, dtype=F64), MAPS),
    "batchnorm2d-eval": (lambda: BatchNorm2d(3, dtype=F64).eval(), MAPS),
    "conv2d": (lambda: Conv2d(3, 4, 3, padding=1, dtype=F64), MAPS),
    "conv2d-strided": (lambda: Conv2d(3, 2, (3, 2), stride=2, padding=(1, 0), dtype=F64), MAPS),
    "maxpool2d": (lambda: MaxPool2d(2), MAPS),
    "maxpool2d-overlap": (lambda: MaxPool2d(3, stride=2, padding=1), MAPS),
    "avgpool2d": (lambda: AvgPool2d(2), MAPS),
    "avgpool2d-overlap": (lambda: AvgPool2d(3, stride=2, padding=1), MAPS),
    "flatten": (Flatten, MAPS),
}


@pytest.mark.parametrize("case", list(LAYERS))
def test_autograd_layers_rebuild_agrees_with_hand_written_backward(case):
    make, shape = LAYERS[case]
    rng = np.random.default_rng(sum(map(ord, case)))
    layer = randomize(make(), rng)
    x = rng.standard_normal(shape)
    G = rng.standard_normal(layer.forward(x).shape)          # (a throw-away forward for the output shape)
    layer = randomize(make(), np.random.default_rng(7))
    hand, machine = hand_and_machine(layer, x, G)
    assert_agree(hand, machine)


def test_autograd_layers_cover_every_layer_of_l39():
    """The thirteen feed-forward layers of abcdl.layers (the recurrent ones are outside L39's list)."""
    rebuilt = {type(make()).__name__ for make, _ in LAYERS.values()}
    assert rebuilt == {"Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "Dropout", "BatchNorm1d",
                       "BatchNorm2d", "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"}


def test_autograd_layers_dropout_with_a_given_mask():
    rng = np.random.default_rng(0)
    layer = Dropout(0.4, rng=np.random.default_rng(11))
    x, G = rng.standard_normal((8, 6)), rng.standard_normal((8, 6))
    keep = copy.deepcopy(layer.rng).random(x.shape, dtype=x.dtype) >= layer.p    # the mask the layer draws
    y, dx = layer.forward(x), layer.backward(G)
    xt = ag.tensor(x, requires_grad=True)
    yt = ag.nn.dropout_layer(layer, xt, mask=keep)
    yt.backward(G)
    assert rel_err(yt.data, y) == 0 and rel_err(xt.grad.data, dx) == 0
    assert 0 < keep.mean() < 1 and np.array_equal(y != 0, keep)


LOSSES = {
    "softmax-ce-labels": (SoftmaxCrossEntropyLoss, (7, 4), lambda rng: rng.integers(0, 4, 7)),
    "softmax-ce-onehot": (SoftmaxCrossEntropyLoss, (7, 4), lambda rng: np.eye(4)[rng.integers(0, 4, 7)]),
    "softmax-ce-sequence": (SoftmaxCrossEntropyLoss, (3, 4, 5), lambda rng: rng.integers(0, 5, (3, 4))),
    "softmax-ce-ignore": (lambda: SoftmaxCrossEntropyLoss(ignore_index=0), (3, 4, 5),
                          lambda rng: rng.integers(0, 5, (3, 4))),
    "sigmoid-bce": (SigmoidBCELoss, (9,), lambda rng: rng.integers(0, 2, 9).astype(F64)),
    "sigmoid-bce-column": (SigmoidBCELoss, (9, 1), lambda rng: rng.integers(0, 2, 9)),
    "mse": (MSELoss, (6, 3), lambda rng: rng.standard_normal((6, 3))),
    "mse-column": (MSELoss, (6, 1), lambda rng: rng.standard_normal(6)),
}


@pytest.mark.parametrize("case", list(LOSSES))
def test_autograd_layers_loss_rebuild_agrees(case):
    make, shape, targets = LOSSES[case]
    rng = np.random.default_rng(len(case))
    pred, t, c = rng.standard_normal(shape) * 3, targets(rng), rng.standard_normal()
    loss_fn = make()
    J = loss_fn.forward(pred, t)
    dpred = c * loss_fn.backward()                            # upstream gradient c = dL/dJ
    pt = ag.tensor(pred, requires_grad=True)
    Jt = ag.nn.from_loss(loss_fn)(pt, t)
    assert Jt.shape == ()
    Jt.backward(c)
    assert rel_err(Jt.item(), J) <= RTOL
    assert rel_err(pt.grad.data, dpred) <= RTOL


MODELS = {
    "mlp-bn-dropout": (lambda: mlp(12, (10, 8), 4, batch_norm=True, dropout=0.25, dtype=F64,
                                   rng=np.random.default_rng(1)), (16, 12)),
    "mlp-tanh-dropout": (lambda: mlp(12, (9,), 3, activation="tanh", dropout=0.5, dtype=F64,
                                     rng=np.random.default_rng(2)), (10, 12)),
    "mlp-leaky-relu": (lambda: mlp(12, (9, 9), 3, activation="leaky_relu", dtype=F64,
                                   rng=np.random.default_rng(3)), (10, 12)),
    "mlp-sigmoid-bn": (lambda: mlp(12, (9,), 3, activation="sigmoid", batch_norm=True, dtype=F64,
                                   rng=np.random.default_rng(4)), (10, 12)),
    "convnet": (lambda: convnet((1, 10, 10), 5, filters=4, kernel_size=3, hidden=12, dtype=F64,
                                rng=np.random.default_rng(5)), (6, 1, 10, 10)),
}


@pytest.mark.parametrize("mode", ["train", "eval"])
@pytest.mark.parametrize("case", list(MODELS))
def test_autograd_layers_whole_models_agree(case, mode):
    make, shape = MODELS[case]
    rng = np.random.default_rng(9)
    model = randomize(make(), rng).train(mode == "train")
    x = rng.standard_normal(shape)
    G = rng.standard_normal((shape[0], model[-1].out_features))
    hand, machine = hand_and_machine(model, x, G)
    assert_agree(hand, machine)


@pytest.mark.parametrize("case", ["mlp-bn-dropout", "convnet"])
def test_autograd_layers_model_and_loss_in_one_graph(case):
    """J = loss(model(X), t) built from ops: its gradients are those of loss.backward + model.backward."""
    make, shape = MODELS[case]
    rng = np.random.default_rng(3)
    model = randomize(make(), rng)
    twin = copy.deepcopy(model)
    X, t = rng.standard_normal(shape), rng.integers(0, model[-1].out_features, shape[0])
    loss_fn = SoftmaxCrossEntropyLoss()
    J = loss_fn.forward(model.forward(X), t)
    model.backward(loss_fn.backward())
    Jt = ag.nn.from_loss(loss_fn)(ag.nn.from_layer(twin)(X), t)
    Jt.backward()
    assert rel_err(Jt.item(), J) <= RTOL
    for p, q in zip(model.parameters(), twin.parameters(), strict=True):
        assert rel_err(q.grad, p.grad) <= RTOL


def test_autograd_layers_graph_module_is_the_model_through_the_engine():
    make, shape = MODELS["mlp-bn-dropout"]
    rng = np.random.default_rng(4)
    model = randomize(make(), rng)
    graph = ag.nn.Graph(copy.deepcopy(model))
    assert isinstance(graph, Module) and len(graph.parameters()) == len(model.parameters())
    x, G = rng.standard_normal(shape), rng.standard_normal((shape[0], 4))
    y, y2 = model.forward(x), graph.forward(x)
    assert isinstance(y2, np.ndarray) and rel_err(y2, y) <= RTOL
    assert isinstance(graph.output, ag.Tensor) and graph.output.creator is not None
    assert rel_err(graph.backward(G), model.backward(G)) <= RTOL
    for p, q in zip(model.parameters(), graph.parameters(), strict=True):
        assert rel_err(q.grad, p.grad) <= RTOL
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        graph.backward(G)
    model.zero_grad()
    graph.zero_grad()
    model.forward(x)                                          # both draw their second dropout mask
    graph.forward(x)
    model.backward(G, input_grad=False)
    assert graph.backward(G, input_grad=False) is None        # the same parameter gradients, no dJ/dx
    for p, q in zip(model.parameters(), graph.parameters(), strict=True):
        assert rel_err(q.grad, p.grad) <= RTOL


def test_autograd_layers_graph_modes_reach_the_layers():
    graph = ag.nn.Graph(mlp(6, (5,), 2, dropout=0.5, dtype=F64))
    x = np.ones((4, 6))
    graph.eval()
    assert not graph.model[2].training and rel_err(graph.forward(x), graph.model.forward(x)) == 0
    with ag.no_grad():
        graph.forward(x)
    assert graph.output.creator is None
    with pytest.raises(RuntimeError, match="Graph: backward called before forward"):
        ag.nn.Graph(Linear(2, 2)).backward(np.ones((1, 2)))


def test_autograd_layers_unknown_layer_or_loss_is_named():
    class Mystery(Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="no autograd rebuild for the layer Mystery"):
        ag.nn.Graph(Mystery())
    with pytest.raises(TypeError, match="no autograd rebuild for the loss object"):
        ag.nn.from_loss(object())
