"""No silent upcasts: float32 stays float32 through forward, backward and every optimizer (issue 7)."""

import numpy as np
import pytest

import abcdl
from abcdl import optim
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.models import mlp
from abcdl.regularizers import L2
from abcdl.train import fit

OPTIMIZERS = [
    lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4),
    lambda ps: optim.Momentum(ps, lr=0.1), lambda ps: optim.Nesterov(ps, lr=0.1),
    lambda ps: optim.AdaGrad(ps, lr=0.1), lambda ps: optim.RMSProp(ps, lr=0.01, momentum=0.5),
    lambda ps: optim.Adam(ps, lr=1e-3, weight_decay=1e-4), lambda ps: optim.AdamW(ps, lr=1e-3),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_float32_end_to_end(make_opt, rng):
    model = mlp(12, (8, 8), 3, dropout=0.2, batch_norm=True)
    opt = make_opt(model.parameters())
    loss_fn = SoftmaxCrossEntropyLoss()
    x = rng.standard_normal((16, 12)).astype(np.float32)
    t = rng.integers(0, 3, 16)
    for _ in range(3):
        out = model.forward(x)
        assert out.dtype == np.float32
        loss_fn.forward(out, t)
        dout = loss_fn.backward()
        assert dout.dtype == np.float32
        opt.zero_grad()
        dx = model.backward(dout)
        assert dx.dtype == np.float32
        L2(1e-3).backward(model, 16)
        opt.step()
        for name, p in model.named_parameters():
            assert p.data.dtype == np.float32 and p.grad.dtype == np.float32, name
    for name, b in model.named_buffers():
        assert b.dtype == np.float32, name
    for state in opt.state.values():
        for k, v in state.items():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32, k


def test_fit_keeps_float32(rng):
    abcdl.seed(0)
    model = mlp(6, (5,), 2)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    t = rng.integers(0, 2, 40)
    fit(model, SoftmaxCrossEntropyLoss(), optim.Adam(model.parameters()), (x, t), epochs=2,
        batch_size=8, verbose=0)
    assert all(p.data.dtype == np.float32 for p in model.parameters())
