"""Seq2seq with attention and the small Transformer (L40): gradients, generation, errors."""

import numpy as np
import pytest

from abcdl.attention_seq2seq import AttentionSeq2seq, TransformerSeq2seq, exact_match, train_seq2seq
from abcdl.numdiff import compare_gradients, numerical_gradient

V = 7


def _ids(rng, m, T, low=1):
    return rng.integers(low, V, size=(m, T))


def _models(rng):
    return {"attention": AttentionSeq2seq(V, 4, 5, rng=rng, dtype=np.float64),
            "transformer": TransformerSeq2seq(V, 4, 2, 6, num_layers=2, max_len=8, rng=rng,
                                              dtype=np.float64)}


@pytest.mark.parametrize("kind", ["attention", "transformer"])
def test_seq2seq_gradcheck_every_parameter(kind):
    rng = np.random.default_rng(0)
    model = _models(rng)[kind]
    xs, ys = _ids(rng, 2, 5), _ids(rng, 2, 3)
    xs[1, -2:] = 0                                              # padding the attention must ignore
    G = rng.standard_normal((2, 3, V))
    model.zero_grad()
    model.forward(xs, ys)
    model.backward(G)
    for name, p in model.named_parameters():
        W0 = p.data.copy()

        def J(W, p=p):                                          # J(W) = sum(logits(W) * G)
            p.data[...] = W
            return float(np.sum(model.forward(xs, ys) * G))
        num = numerical_gradient(J, W0.copy(), 1e-6)
        p.data[...] = W0
        r = compare_gradients(p.grad, num, name)
        assert r.passed, str(r)


@pytest.mark.parametrize("kind", ["attention", "transformer"])
def test_seq2seq_padding_is_ignored(kind):
    rng = np.random.default_rng(1)
    model = _models(rng)[kind]
    xs, ys = _ids(rng, 1, 4), _ids(rng, 1, 3)
    padded = np.concatenate([xs, [[0, 0]]], axis=1)
    weights = model.forward(padded, ys)
    assert np.all(model.attn_weights[..., -2:] == 0)
    assert weights.shape == (1, 3, V)


def test_seq2seq_learns_to_copy():
    # a few seconds of training: the attention model copies 4 ids (held-out rows)
    rng = np.random.default_rng(2)
    model = AttentionSeq2seq(V, 8, 24, rng=rng, dtype=np.float64)
    xs = _ids(rng, 600, 4, low=2)
    ys_in = np.concatenate([np.ones((600, 1), int), xs[:, :-1]], axis=1)
    losses = train_seq2seq(model, (xs[:500], ys_in[:500], xs[:500]), 8, 32, 0.02, rng)
    assert losses[-1] < 0.3 * losses[0]
    assert exact_match(model, xs[500:], xs[500:], 1) > 0.8


@pytest.mark.parametrize("kind", ["attention", "transformer"])
@pytest.mark.parametrize("xs, ys, match", [
    (np.zeros((2, 0), int), np.ones((2, 3), int), r"xs must be ids of shape \(m, T_x\).*\(2, 0\)"),
    (np.ones((2, 4), int), np.ones((3, 3), int), r"ys_in must be ids of shape \(m=2.*\(3, 3\)"),
    (np.full((2, 4), 9), np.ones((2, 3), int),
     r"xs of shape \(2, 4\) has ids 9..9 outside the vocabulary of 7"),
])
def test_seq2seq_bad_input_names_the_shapes(kind, xs, ys, match):
    model = _models(np.random.default_rng(3))[kind]
    with pytest.raises(ValueError, match=match):
        model.forward(xs, ys)
