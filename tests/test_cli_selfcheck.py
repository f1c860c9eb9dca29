"""``abcdl selfcheck`` checks every layer and loss abcdl has, says which, and catches a wrong backward."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from abcdl import layers, losses
from abcdl.cli import main
from abcdl.cli import selfcheck as sc
from abcdl.module import Module


def _public_classes(mod, base=None) -> set[str]:
    return {n for n in mod.__all__ if inspect.isclass(getattr(mod, n))
            and (base is None or issubclass(getattr(mod, n), base))}


def test_selfcheck_covers_every_layer_and_loss():
    assert _public_classes(layers, Module) == set(sc.LAYER_CASES)
    assert _public_classes(losses) == set(sc.LOSS_CASES)


def test_selfcheck_names_each_layer_and_loss_and_passes(capsys):
    assert main(["selfcheck"]) == 0
    out = capsys.readouterr().out
    for name in [*sc.LAYER_CASES, *sc.LOSS_CASES]:
        line = next(ln for ln in out.splitlines() if ln.split()[:1] == [name])
        assert " ok " in line, line
    assert f"PASSED: 9 network parameters, {len(sc.LAYER_CASES)} layers, {len(sc.LOSS_CASES)} losses" in out


@pytest.mark.parametrize("name", ["Conv2d", "MaxPool2d", "BatchNorm2d", "LeakyReLU"])
def test_selfcheck_catches_a_wrong_layer_backward(monkeypatch, capsys, name):
    cls = getattr(layers, name)
    right = cls.backward

    def wrong(self, dout, *args, **kwargs):
        dx = right(self, dout, *args, **kwargs)
        return dx * 1.01                                    # 1% off: far above the tolerance
    monkeypatch.setattr(cls, "backward", wrong)
    assert main(["selfcheck"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "FAILED" in next(ln for ln in lines if ln.split()[:1] == [name])
    assert any(ln.startswith("FAILED: ") for ln in lines)


@pytest.mark.parametrize("name", ["MSELoss", "SigmoidBCELoss"])
def test_selfcheck_catches_a_wrong_loss_backward(monkeypatch, name):
    cls = getattr(losses, name)
    right = cls.backward
    monkeypatch.setattr(cls, "backward", lambda self: 2 * right(self))
    res = sc.check_losses()[name]["pred"]
    assert not res.passed and res.max_rel_error > 0.1


def test_selfcheck_per_layer_checks_every_parameter():
    res = sc.check_layers(seed=3)
    assert set(res["Conv2d"]) == {"x", "W", "b"}
    assert set(res["BatchNorm2d"]) == {"x", "gamma", "beta"}
    assert all(r.passed for rs in res.values() for r in rs.values())
    assert max(r.max_rel_error for rs in res.values() for r in rs.values()) < 1e-4
    assert np.isfinite([r.rel_diff for r in res["MaxPool2d"].values()]).all()
