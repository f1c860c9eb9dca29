"""abcdl.cli._common: what a saved model expects as input, read from the checkpoint before any guessing."""

from __future__ import annotations

import numpy as np
import pytest

from abcdl.cli import CLIError
from abcdl.cli._common import input_spec, stored_input_shape
from abcdl.layers import Conv2d, Flatten, Linear, ReLU
from abcdl.models import Sequential


def _conv_model():
    return Sequential(Conv2d(1, 2, 3, rng=np.random.default_rng(0)), ReLU(), Flatten(),
                      Linear(2 * 6 * 6, 10, rng=np.random.default_rng(1)))


def test_cli_input_spec_reads_the_stored_shape_without_a_trial_forward(monkeypatch):
    model = _conv_model()

    def no_forward(x):
        raise AssertionError("input_spec ran the model although the shape was stored")

    monkeypatch.setattr(model, "forward", no_forward)
    assert input_spec(model, info={"input_shape": [1, 8, 8]}) == (False, (1, 8, 8))


def test_cli_input_spec_guesses_only_without_a_stored_shape():
    model = _conv_model()                                    # 8x8 in: (8-3+1)^2 * 2 = 72 features
    assert input_spec(model) == (False, (1, 8, 8))           # 28x28 is tried first and refused
    flat = Sequential(Linear(784, 10))
    assert input_spec(flat) == (True, (1, 28, 28))
    assert input_spec(flat, info={"input_shape": [1, 28, 28]}) == (True, (1, 28, 28))
    with pytest.raises(CLIError, match="700 input features"):
        input_spec(Sequential(Linear(700, 10)))


@pytest.mark.parametrize("bad", [None, {}, {"input_shape": [1, 28]}, {"input_shape": [1, 0, 28]},
                                 {"input_shape": "1x28x28"}, {"input_shape": [True, 28, 28]},
                                 {"input_shape": [1, 28, 10**9]}])
def test_cli_stored_input_shape_ignores_what_is_not_a_shape(bad):
    assert stored_input_shape(bad) is None
