"""EmbeddingDot and NegativeSamplingLoss (L40): gradient checks, PyTorch parity, checkpoints, errors."""

import inspect

import numpy as np
import pytest
import torch

import abcdl
from abcdl import _state_shapes
from abcdl.layers import EmbeddingDot, NegativeSamplingLoss
from abcdl.layers.negative_sampling import unigram_distribution
from abcdl.numdiff import check_module


@pytest.mark.parametrize("ids", [np.array([0, 3, 3, 1]), np.array([[0, 3], [3, 3], [1, 2], [4, 0]])])
def test_word2vec_layers_embedding_dot_gradcheck(ids):
    rng = np.random.default_rng(0)
    layer = EmbeddingDot(5, 3, init=1.0, rng=rng, dtype=np.float64)
    layer.set_ids(ids)
    res = check_module(layer, rng.standard_normal((4, 3)), rng=rng)
    assert all(r.passed for r in res.values()), {k: str(r) for k, r in res.items()}


def test_word2vec_layers_embedding_dot_matches_torch():
    rng = np.random.default_rng(1)
    layer = EmbeddingDot(6, 4, init=1.0, rng=rng, dtype=np.float64)
    h, ids, G = rng.standard_normal((3, 4)), np.array([[1, 5], [0, 1], [5, 5]]), rng.standard_normal((3, 2))
    s = layer(h, ids)
    dh = layer.backward(G)
    W_t, h_t = torch.tensor(layer.W.data, requires_grad=True), torch.tensor(h, requires_grad=True)
    s_t = (torch.nn.functional.embedding(torch.tensor(ids), W_t) * h_t[:, None, :]).sum(-1)
    (s_t * torch.tensor(G)).sum().backward()
    np.testing.assert_allclose(s, s_t.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(dh, h_t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(layer.W.grad, W_t.grad.numpy(), rtol=1e-12)


def _loss(rng, k=3):
    counts = np.array([50, 20, 10, 5, 5, 1, 9])
    return NegativeSamplingLoss(7, 4, counts=counts, sample_size=k, init=0.5, rng=rng, dtype=np.float64)


def test_word2vec_layers_negative_sampling_gradcheck():
    rng = np.random.default_rng(2)
    loss = _loss(rng)
    target, neg = np.array([0, 2, 6, 2, 1]), rng.integers(0, 7, (5, 3))
    res = check_module(loss, rng.standard_normal((5, 4)), rng=rng,
                       forward=lambda h: np.array(loss.forward(h, target, neg)))
    assert all(r.passed for r in res.values()), {k: str(r) for k, r in res.items()}


def test_word2vec_layers_negative_sampling_matches_torch_bce():
    rng = np.random.default_rng(3)
    loss = _loss(rng)
    h, target, neg = rng.standard_normal((5, 4)), np.array([0, 2, 6, 2, 1]), rng.integers(0, 7, (5, 3))
    J = loss.forward(h, target, neg)
    dh = loss.backward()
    W_t, h_t = torch.tensor(loss.embed.W.data, requires_grad=True), torch.tensor(h, requires_grad=True)
    ids = torch.tensor(np.concatenate([target[:, None], neg], 1))
    s = (torch.nn.functional.embedding(ids, W_t) * h_t[:, None, :]).sum(-1)
    y = torch.zeros_like(s)
    y[:, 0] = 1
    J_t = torch.nn.functional.binary_cross_entropy_with_logits(s, y, reduction="sum") / 5
    J_t.backward()
    assert J == pytest.approx(J_t.item(), rel=1e-12)
    np.testing.assert_allclose(dh, h_t.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(loss.embed.W.grad, W_t.grad.numpy(), rtol=1e-10)


def test_word2vec_layers_unigram_power_075():
    p = unigram_distribution([90, 10])
    assert p == pytest.approx(np.array([90, 10]) ** 0.75 / (90 ** 0.75 + 10 ** 0.75))
    assert p[1] > 0.1                                   # rare words gain share
    loss = _loss(np.random.default_rng(4), k=5)
    draws = loss.sample(20000).ravel()
    freq = np.bincount(draws, minlength=7) / draws.size
    np.testing.assert_allclose(freq, loss.p, atol=0.01)


@pytest.mark.parametrize("name", ["EmbeddingDot", "NegativeSamplingLoss"])
def test_word2vec_layers_shape_rules_and_checkpoint(tmp_path, name):
    config = {"num_embeddings": 7, "embedding_dim": 3}
    cls = getattr(abcdl.layers, name)
    bound = inspect.signature(cls).bind(**config)
    bound.apply_defaults()
    layer = cls(**config)
    shapes = {k: v.shape for k, v in layer.state_dict().items()}
    assert _state_shapes.state_shapes(cls, bound.arguments) == shapes
    if name == "NegativeSamplingLoss":
        layer = _loss(np.random.default_rng(5))
    abcdl.save(layer, tmp_path / "l.safetensors")
    back = abcdl.load(tmp_path / "l.safetensors")
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k], v)


def test_word2vec_layers_bad_input_is_a_clear_error():
    layer = EmbeddingDot(5, 3)
    with pytest.raises(ValueError, match=r"word ids must lie in \[0, 5\)"):
        layer(np.zeros((2, 3)), np.array([1, 5]))
    with pytest.raises(ValueError, match="do not match h"):
        layer(np.zeros((2, 3)), np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="integers"):
        layer(np.zeros((2, 3)), np.array([1.5, 2]))
    loss = NegativeSamplingLoss(5, 3)
    with pytest.raises(ValueError, match="m >= 1"):
        loss.forward(np.zeros((0, 3)), np.zeros(0, dtype=int))
    with pytest.raises(ValueError, match=r"counts must have shape \(5,\)"):
        NegativeSamplingLoss(5, 3, counts=[1, 2])
