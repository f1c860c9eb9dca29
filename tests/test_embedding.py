"""Embedding (L40): the lookup, its row-accumulating backward, and what it refuses."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from abcdl.layers import Embedding
from abcdl.numdiff import gradcheck


def test_embedding_forward_is_onehot_times_W(rng):
    """DLFS2 ch. 4: W[id] is the one-hot row times W, without building the one-hot rows."""
    emb = Embedding(6, 3, rng=rng, dtype=np.float64)
    ids = np.array([[0, 5, 2], [2, 2, 1]])
    onehot = np.eye(6)[ids]                                    # (2, 3, 6)
    assert_allclose(emb.forward(ids), onehot @ emb.W.data, rtol=1e-15)
    assert emb.forward(np.array([4, 1])).shape == (2, 3)


def test_embedding_gradcheck_with_repeated_ids(rng):
    emb = Embedding(5, 3, rng=rng, dtype=np.float64)
    ids = np.array([[1, 1, 4, 0], [1, 4, 4, 2], [3, 1, 0, 0]])
    G = rng.standard_normal((3, 4, 3))
    emb.forward(ids)
    emb.zero_grad()
    emb.backward(G)
    res = gradcheck(lambda W: float(np.sum(emb.forward(ids) * G)), emb.W.data, emb.W.grad.copy())
    assert res.passed, str(res)
    assert_allclose(emb.W.grad[1], G[0, 0] + G[0, 1] + G[1, 0] + G[2, 1], rtol=1e-14)   # 4 times id 1
    assert not emb.W.grad[np.setdiff1d(np.arange(5), ids)].any()                         # unused rows: 0


def test_embedding_backward_accumulates(rng):
    emb = Embedding(4, 2, rng=rng, dtype=np.float64)
    ids = np.array([[3, 3]])
    G = rng.standard_normal((1, 2, 2))
    emb.forward(ids)
    d_ids = emb.backward(G)
    assert d_ids.shape == ids.shape and not d_ids.any()       # the lookup is flat between ids
    assert emb.backward(G, input_grad=False) is None
    assert_allclose(emb.W.grad[3], 2 * G[0].sum(axis=0), rtol=1e-14)


def test_embedding_accepts_whole_floats(rng):
    """fit casts the data to the model's dtype: float ids holding whole numbers look up the same rows."""
    emb = Embedding(10, 4, rng=rng)
    ids = np.array([[1, 9, 0]])
    assert_allclose(emb.forward(ids.astype(np.float32)), emb.forward(ids))
    assert emb.forward(ids).dtype == np.float32


@pytest.mark.parametrize("ids, pattern", [
    (np.array([[1, 10]]), r"\[0, 10\) for a vocabulary of 10, got 10\.\.10 among ids of shape \(1, 2\)"),
    (np.array([[-1, 3]]), r"\[0, 10\).*got -1\.\.-1 among ids of shape \(1, 2\)"),
    (np.array([[0.5, 2.0]]), r"shape \(1, 2\) must be whole numbers.*float64"),
    (np.array([[np.nan]]), r"whole numbers"),
    (np.array([["a"]]), r"integers, got dtype <U1 \(shape \(1, 1\)\)"),
    (np.array([[True]]), r"integers, got dtype bool"),
    (np.int64(3), r"got a scalar"),
])
def test_embedding_bad_ids_raise_value_error(ids, pattern):
    emb = Embedding(10, 4)
    with pytest.raises(ValueError, match=pattern) as exc:
        emb.forward(ids)
    assert "Embedding(10, 4)" in str(exc.value)


def test_embedding_bad_dout_and_order_of_calls(rng):
    emb = Embedding(10, 4)
    with pytest.raises(RuntimeError, match="before forward"):
        emb.backward(np.ones((2, 3, 4)))
    emb.forward(np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"dout of shape \(2, 3, 4\), got \(2, 3\)"):
        emb.backward(np.ones((2, 3)))


@pytest.mark.parametrize("args", [(0, 3), (3, 0), (2.5, 3)])
def test_embedding_bad_sizes(args):
    with pytest.raises(ValueError, match="positive integer"):
        Embedding(*args)
