"""Parity with torch.autograd (L39): random compositions with broadcasting, and small networks, in float64."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from numpy.testing import assert_allclose

from abcdl import autograd as ag

# (arity, ours, torch's): each works on (3, 4)-broadcastable operands and keeps values moderate
UNARY = [
    (ag.tanh, torch.tanh), (ag.sin, torch.sin), (ag.cos, torch.cos), (ag.sigmoid, torch.sigmoid),
    (lambda x: ag.exp(ag.tanh(x)), lambda x: torch.exp(torch.tanh(x))),
    (lambda x: ag.log(1 + x * x), lambda x: torch.log(1 + x * x)),
    (lambda x: ag.sqrt(x * x + 0.5), lambda x: torch.sqrt(x * x + 0.5)),
    (lambda x: -x, lambda x: -x), (lambda x: x ** 2, lambda x: x ** 2),
    (lambda x: ag.softmax(x), lambda x: torch.softmax(x, -1)),
    (lambda x: ag.log_softmax(x), lambda x: torch.log_softmax(x, -1)),
    (lambda x: x.sum(axis=0, keepdims=True), lambda x: x.sum(0, keepdim=True)),
    (lambda x: x.mean(axis=-1, keepdims=True), lambda x: x.mean(-1, keepdim=True)),
    (lambda x: x.max(axis=-1, keepdims=True), lambda x: x.amax(-1, keepdim=True)),
    (lambda x: 0.5 * x + 1.0, lambda x: 0.5 * x + 1.0),
]
BINARY = [
    (lambda a, b: a + b, lambda a, b: a + b), (lambda a, b: a - b, lambda a, b: a - b),
    (lambda a, b: a * b, lambda a, b: a * b),
    (lambda a, b: a / (1 + b * b), lambda a, b: a / (1 + b * b)),
    (lambda a, b: ag.tanh(a) * ag.exp(-b * b), lambda a, b: torch.tanh(a) * torch.exp(-b * b)),
]
SHAPES = [(3, 4), (4,), (3, 1), (1, 4), (), (3, 4)]


def _compose(seed: int, lib_ops, inputs, G):
    """Apply 10 ops chosen by ``seed`` to a growing pool of values; J = sum_k sum(node_k * G_k)."""
    rng = np.random.default_rng(seed)
    pool = list(inputs)
    J = 0.0
    for step in range(10):
        if rng.random() < 0.5:
            k = rng.integers(len(UNARY))
            arrays = [v for v in pool if v.ndim > 0]     # torch reduces a 0-d tensor over axis 0, NumPy not
            node = UNARY[k][lib_ops](arrays[rng.integers(len(arrays))])
        else:
            k = rng.integers(len(BINARY))
            a, b = rng.choice(len(pool), 2)
            node = BINARY[k][lib_ops](pool[a], pool[b])
        pool.append(node)
        J = J + (node * G[step][tuple(slice(0, n) for n in node.shape)]).sum()
    return J


@pytest.mark.parametrize("seed", range(25))
def test_autograd_torch_random_compositions_with_broadcasting(seed):
    rng = np.random.default_rng(1000 + seed)
    arrays = [rng.standard_normal(s) for s in SHAPES]
    G = [rng.standard_normal((3, 4)) for _ in range(10)]
    xs = [ag.tensor(a, requires_grad=True) for a in arrays]
    J = _compose(seed, 0, xs, G)
    J.backward()
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    tJ = _compose(seed, 1, ts, [torch.from_numpy(g) for g in G])
    tJ.backward()
    assert_allclose(J.item(), tJ.item(), rtol=1e-11)
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        if t.grad is None:                               # an input no op picked
            assert x.grad is None
            continue
        assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=f"input {i}")


def _convnet(x, p, lib, labels):
    """conv(3x3, pad 1) - relu - maxpool 2 - flatten - linear - relu - linear - softmax CE."""
    if lib is ag:
        h = ag.max_pool2d(ag.relu(ag.conv2d(x, p[0], p[1], padding=1)), 2)
        h = ag.relu(ag.linear(h.reshape(h.shape[0], -1), p[2], p[3]))
        return ag.softmax_cross_entropy(ag.linear(h, p[4], p[5]), labels)
    h = TF.max_pool2d(torch.relu(TF.conv2d(x, p[0], p[1], padding=1)), 2)
    h = torch.relu(TF.linear(h.reshape(h.shape[0], -1), p[2], p[3]))
    return TF.cross_entropy(TF.linear(h, p[4], p[5]), torch.from_numpy(labels))


def _bn_mlp(x, p, lib, labels, mask):
    """linear - batch norm - relu - dropout (given mask) - linear - softmax CE."""
    if lib is ag:
        h = ag.relu(ag.batch_norm(ag.linear(x, p[0], p[1]), p[2], p[3]))
        return ag.softmax_cross_entropy(ag.linear(ag.dropout(h, mask, 0.25), p[4], p[5]), labels)
    h = torch.relu(TF.batch_norm(TF.linear(x, p[0], p[1]), None, None, p[2], p[3], training=True))
    h = h * torch.from_numpy(mask) / 0.75
    return TF.cross_entropy(TF.linear(h, p[4], p[5]), torch.from_numpy(labels))


NETS = {
    "convnet": (_convnet, (4, 2, 6, 6), [(3, 2, 3, 3), (3,), (5, 27), (5,), (4, 5), (4,)]),
    "bn_dropout_mlp": (_bn_mlp, (8, 5), [(6, 5), (6,), (6,), (6,), (3, 6), (3,)]),
}


@pytest.mark.parametrize("name", NETS)
def test_autograd_torch_small_networks(name):
    net, x_shape, shapes = NETS[name]
    rng = np.random.default_rng(5)
    X = rng.standard_normal(x_shape)
    params = [rng.standard_normal(s) * 0.5 for s in shapes]
    labels = rng.integers(0, shapes[-1][0], x_shape[0])
    extra = (rng.random((x_shape[0], 6)) >= 0.25,) if name == "bn_dropout_mlp" else ()
    x = ag.tensor(X, requires_grad=True)
    ps = [ag.tensor(a, requires_grad=True) for a in params]
    J = net(x, ps, ag, labels, *extra)
    J.backward()
    tx = torch.tensor(X, requires_grad=True)
    tps = [torch.tensor(a, requires_grad=True) for a in params]
    tJ = net(tx, tps, torch, labels, *extra)
    tJ.backward()
    assert_allclose(J.item(), tJ.item(), rtol=1e-12)
    assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-9, atol=1e-13)
    for k, (p, tp) in enumerate(zip(ps, tps, strict=True)):
        assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-9, atol=1e-13, err_msg=f"parameter {k}")
