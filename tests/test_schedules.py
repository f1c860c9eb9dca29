"""Learning-rate schedules (L27) and gradient clipping (L29) against PyTorch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import abcdl
from abcdl.layers import Linear, ReLU
from abcdl.models import Sequential
from abcdl.optim import SGD, Adam, CosineAnnealingLR, ExponentialLR, StepLR, clip_grad_norm

SCHEDULES = [
    pytest.param(StepLR, {"step_size": 3}, torch.optim.lr_scheduler.StepLR, id="step"),
    pytest.param(StepLR, {"step_size": 4, "gamma": 0.5}, torch.optim.lr_scheduler.StepLR, id="step_gamma"),
    pytest.param(ExponentialLR, {"gamma": 0.9}, torch.optim.lr_scheduler.ExponentialLR, id="exponential"),
    pytest.param(CosineAnnealingLR, {"T_max": 10}, torch.optim.lr_scheduler.CosineAnnealingLR, id="cosine"),
    pytest.param(CosineAnnealingLR, {"T_max": 7, "eta_min": 0.01},
                 torch.optim.lr_scheduler.CosineAnnealingLR, id="cosine_eta_min"),
]


def _opt(lr: float = 0.1) -> SGD:
    return SGD([abcdl.Parameter(np.zeros(2))], lr=lr)


@pytest.mark.parametrize(("cls", "kw", "tcls"), SCHEDULES)
def test_schedules_match_torch_lr_sequence(cls, kw, tcls):
    opt = _opt(0.1)
    sched = cls(opt, **kw)
    topt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    tsched = tcls(topt, **kw)
    ours, theirs = [opt.lr], [topt.param_groups[0]["lr"]]
    assert sched.get_last_lr() == [opt.lr]
    for _ in range(30):                                   # several periods of each schedule
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        assert sched.get_last_lr() == [opt.lr]
        ours.append(opt.lr)
        theirs.append(topt.param_groups[0]["lr"])
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert len(set(np.round(ours, 12))) > 2               # the lr really changed


def test_schedules_closed_forms():
    opt = _opt(0.2)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    seen = [opt.lr]
    for _ in range(5):
        sched.step()
        seen.append(opt.lr)
    assert seen == [0.2, 0.2, 0.1, 0.1, 0.05, 0.05]       # alpha_0 gamma^floor(e / 2)
    opt = _opt(1.0)
    sched = CosineAnnealingLR(opt, T_max=4, eta_min=0.0)
    lrs = [opt.lr]
    for _ in range(8):
        sched.step()
        lrs.append(opt.lr)
    # (1 + cos(pi e / 4)) / 2: 1, 0.854, 0.5, 0.146, 0 (at T_max), then back up
    np.testing.assert_allclose(lrs, [(1 + math.cos(math.pi * e / 4)) / 2 for e in range(9)], atol=1e-15)
    assert lrs[4] == pytest.approx(0.0, abs=1e-15) and lrs[8] == pytest.approx(1.0)


@pytest.mark.parametrize(("cls", "kw", "tcls"), SCHEDULES)
def test_schedules_state_dict_resumes(cls, kw, tcls):
    opt = Adam([abcdl.Parameter(np.zeros(2))], lr=0.05)
    sched = cls(opt, **kw)
    for _ in range(5):
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    after = []
    for _ in range(5):
        sched.step()
        after.append(opt.lr)
    opt2 = Adam([abcdl.Parameter(np.zeros(2))], lr=0.9)
    opt2.load_state_dict(saved_opt)
    sched2 = cls(opt2, **{**kw, **({"gamma": 0.3} if "gamma" in kw else {})})
    sched2.load_state_dict(saved_sched)
    assert sched2.last_epoch == 5 and sched2.base_lr == 0.05
    resumed = []
    for _ in range(5):
        sched2.step()
        resumed.append(opt2.lr)
    assert resumed == after


def test_schedules_reject_bad_arguments():
    opt = _opt()
    for make, match in [
        (lambda: StepLR(opt, step_size=0), "step_size"),
        (lambda: StepLR(opt, step_size=2.5), "step_size"),
        (lambda: StepLR(opt, step_size=2, gamma=0.0), "gamma"),
        (lambda: ExponentialLR(opt, gamma=-0.5), "gamma"),
        (lambda: CosineAnnealingLR(opt, T_max=0), "T_max"),
        (lambda: CosineAnnealingLR(opt, T_max=5, eta_min=-1.0), "eta_min"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()
    with pytest.raises(TypeError, match="Optimizer"):
        StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), step_size=1)
    sd = StepLR(_opt(), step_size=2).state_dict()
    with pytest.raises(ValueError, match="from a StepLR"):
        ExponentialLR(_opt(), gamma=0.5).load_state_dict(sd)
    with pytest.raises(ValueError, match="step_size"):
        StepLR(_opt(), step_size=2).load_state_dict({**sd, "step_size": -3})


# -- clipping (L29) -------------------------------------------------------------------------------
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s) for s in [(4, 3), (4,), (2, 4)]]
    params = [abcdl.Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads, strict=True):
        p.grad[...] = g
    tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(tparams, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    total = clip_grad_norm(params, max_norm, norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(float(ttotal), rel=1e-13)
    for p, tp in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-13)
    clipped = total > max_norm
    assert clipped == (max_norm == 0.5)                   # both branches are exercised


def test_clip_grad_norm_keeps_dtype_and_direction():
    model = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1))   # float32 by default
    for i, p in enumerate(model.parameters()):
        p.grad[...] = 10.0 * (i + 1)
    before = [p.grad.copy() for p in model.parameters()]
    total = clip_grad_norm(model, max_norm=1.0)           # a Module means its parameters()
    new_total = math.sqrt(sum(float(np.sum(p.grad.astype(np.float64) ** 2)) for p in model.parameters()))
    assert total > 1.0 and new_total == pytest.approx(1.0, rel=1e-5)
    for p, g in zip(model.parameters(), before, strict=True):
        assert p.grad.dtype == np.float32
        np.testing.assert_allclose(p.grad * (total + 1e-6), g, rtol=1e-5)  # same direction, scaled
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm(model, -1.0)
    with pytest.raises(ValueError, match="norm_type"):
        clip_grad_norm(model, 1.0, norm_type=0)
