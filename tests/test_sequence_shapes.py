"""Linear and the softmax loss on sequences (L40): (m, T, .) inputs, ignore_index for padding.

Gradient checks in float64 with a random upstream gradient, and parity with
torch.nn.Linear / torch.nn.CrossEntropyLoss (mean over the non-ignored positions).
"""

import numpy as np
import pytest
import torch
from numpy.testing import assert_allclose

from abcdl import functions as F
from abcdl.layers import Linear
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.numdiff import check_module, gradcheck

M, T, D, K = 4, 5, 3, 6


def test_linear_sequence_gradcheck(rng):
    layer = Linear(D, K, rng=rng, dtype=np.float64)
    results = check_module(layer, rng.standard_normal((M, T, D)), rng=rng)
    for name, r in results.items():
        assert r.passed, f"{name}: {r}"


def test_linear_sequence_is_the_step_by_step_layer_and_torch(rng):
    """The same W at every step: out[:, t] = Linear(x[:, t]), and torch.nn.Linear on (m, T, D)."""
    layer = Linear(D, K, rng=rng, dtype=np.float64)
    x, G = rng.standard_normal((M, T, D)), rng.standard_normal((M, T, K))
    y = layer.forward(x)
    layer.zero_grad()
    dx = layer.backward(G)
    assert y.shape == (M, T, K) and dx.shape == (M, T, D)
    for t in range(T):
        assert_allclose(y[:, t], x[:, t] @ layer.W.data.T + layer.b.data, rtol=1e-13)
    twin = torch.nn.Linear(D, K).double()
    twin.load_state_dict({"weight": torch.tensor(layer.W.data), "bias": torch.tensor(layer.b.data)})
    xt = torch.tensor(x, requires_grad=True)
    yt = twin(xt)
    yt.backward(torch.tensor(G))
    assert_allclose(y, yt.detach().numpy(), rtol=1e-12)
    assert_allclose(dx, xt.grad.numpy(), rtol=1e-12)
    assert_allclose(layer.W.grad, twin.weight.grad.numpy(), rtol=1e-12)
    assert_allclose(layer.b.grad, twin.bias.grad.numpy(), rtol=1e-12)
    layer.forward(x[:, 0])                                       # back to (m, D) rows
    assert layer.backward(G[:, 0]).shape == (M, D)


@pytest.mark.parametrize("shape", [(M, T, D + 1), (M, T)])
def test_linear_sequence_bad_shape(shape):
    layer = Linear(D, K)
    expect = r"\(m, T, 3\)" if len(shape) == 3 else r"\(m, 3\)"
    with pytest.raises(ValueError, match=f"expected input of shape {expect}, got " + r"\(" + str(shape[0])):
        layer.forward(np.ones(shape))


def torch_ce(Z, t, ignore_index=None):
    """torch's mean cross-entropy of logits Z (m, T, K) (torch wants K on axis 1) and its dJ/dZ."""
    Zt = torch.tensor(Z, requires_grad=True)
    kw = {} if ignore_index is None else {"ignore_index": ignore_index}
    J = torch.nn.functional.cross_entropy(Zt.permute(0, 2, 1), torch.tensor(t), **kw)
    J.backward()
    return J.item(), Zt.grad.numpy()


@pytest.mark.parametrize("ignore_index", [None, 0, -100])
def test_softmax_loss_sequence_gradcheck_and_torch(ignore_index, rng):
    """(m, T, K) logits, (m, T) targets; padded positions carry ignore_index and count for nothing."""
    Z = rng.standard_normal((M, T, K)) * 2
    t = rng.integers(1, K, size=(M, T))
    if ignore_index is not None:
        t[0, 3:] = t[2, 1:] = ignore_index                       # padding at the ends of two sequences
    loss_fn = SoftmaxCrossEntropyLoss(ignore_index=ignore_index)
    J = loss_fn.forward(Z, t)
    dZ = loss_fn.backward().copy()
    assert dZ.shape == Z.shape
    res = gradcheck(lambda z: loss_fn.forward(z, t), Z, dZ)
    assert res.passed, str(res)
    J_torch, dZ_torch = torch_ce(Z, t, ignore_index)
    assert J == pytest.approx(J_torch, rel=1e-12)
    assert_allclose(dZ, dZ_torch, rtol=1e-12, atol=1e-15)
    if ignore_index is not None:
        assert not dZ[0, 3:].any() and not dZ[2, 1:].any()
        keep = t != ignore_index                                  # the mean over the 13 positions that count
        assert J == pytest.approx(-np.mean(F.log_softmax(Z)[keep, t[keep]]), rel=1e-13)


def test_softmax_loss_sequence_equals_flat_rows(rng):
    """Each of the m*T steps is one more example; one-hot (m, T, K) targets work too."""
    Z, t = rng.standard_normal((M, T, K)), rng.integers(0, K, size=(M, T))
    seq, flat = SoftmaxCrossEntropyLoss(), SoftmaxCrossEntropyLoss()
    assert seq.forward(Z, t) == pytest.approx(flat.forward(Z.reshape(-1, K), t.ravel()), rel=1e-14)
    assert_allclose(seq.backward(), flat.backward().reshape(M, T, K), rtol=1e-14)
    assert seq.forward(Z, np.eye(K)[t]) == pytest.approx(flat.forward(Z.reshape(-1, K), t.ravel()), rel=1e-14)
    padded = SoftmaxCrossEntropyLoss(ignore_index=-1)
    padded.forward(Z.astype(np.float32), np.where(t == 0, -1, t))
    assert padded.backward().dtype == np.float32


def test_softmax_loss_sequence_errors():
    loss_fn = SoftmaxCrossEntropyLoss(ignore_index=0)
    with pytest.raises(ValueError, match=r"targets \(2, 4\) do not match logits \(2, 3, 5\) "
                                         r"\(expected \(2, 3\) class indices\)"):
        loss_fn.forward(np.zeros((2, 3, 5)), np.ones((2, 4), dtype=int))
    with pytest.raises(ValueError, match="every target equals ignore_index=0"):
        loss_fn.forward(np.zeros((2, 3, 5)), np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"\(m, K\) or \(m, T, K\), got \(2, 3, 4, 5\)"):
        loss_fn.forward(np.zeros((2, 3, 4, 5)), np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match=r"\[0, 4\]"):                # a label past K that is not padding
        loss_fn.forward(np.zeros((2, 3, 5)), np.array([[0, 1, 5], [1, 1, 1]]))
    with pytest.raises(TypeError, match="ignore_index must be an int or None"):
        SoftmaxCrossEntropyLoss(ignore_index=1.5)
    assert repr(loss_fn) == "SoftmaxCrossEntropyLoss(ignore_index=0)"
    assert loss_fn.config() == {"ignore_index": 0}
    assert SoftmaxCrossEntropyLoss().config() == {}
