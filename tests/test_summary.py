"""``summary(model)`` / ``Sequential.summary()``: layers, output shapes, parameter counts."""

from __future__ import annotations

import numpy as np
import pytest

from abcdl import Module, Parameter
from abcdl.layers import BatchNorm1d, Dropout, Linear, ReLU
from abcdl.models import Sequential
from abcdl.summary import summary


def _mnist_mlp():
    return Sequential(Linear(784, 100), ReLU(), Linear(100, 10))


def _row(text, start):
    return next(line for line in text.splitlines() if line.startswith(start)).split()


def test_summary_mnist_network_counts():
    text = _mnist_mlp().summary()
    assert text.splitlines()[0] == "Model: Sequential"
    assert _row(text, "0 ") == ["0", "Linear(784,", "100)", "(None,", "100)", "78,500"]   # 784*100 + 100
    assert _row(text, "1 ") == ["1", "ReLU()", "(None,", "100)", "0"]
    assert _row(text, "2 ") == ["2", "Linear(100,", "10)", "(None,", "10)", "1,010"]      # 100*10 + 10
    total = 784 * 100 + 100 + 100 * 10 + 10
    assert f"Total params: {total:,} ({total * 4 / 1024:.2f} KB)" in text            # float32
    assert f"Trainable params: {total:,}" in text
    assert "Non-trainable params: 0" in text


def test_summary_with_input_shape_traces_shapes_and_restores_mode():
    model = Sequential(Linear(20, 8), BatchNorm1d(8), ReLU(), Dropout(0.5), Linear(8, 3))
    model.train()
    before = model.state_dict()
    text = summary(model, input_shape=(20,))
    assert "Input shape: (None, 20)" in text
    assert _row(text, "1 ")[-3:] == ["(None,", "8)", "32"]          # gamma, beta + 2 running statistics
    assert _row(text, "4 ")[-3:] == ["(None,", "3)", "27"]
    assert "Trainable params: 211" in text                            # 168 + 16 + 27
    assert "Non-trainable params: 16" in text
    assert model.training and model[3].training                       # mode restored
    assert all("forward" not in layer.__dict__ for layer in model)    # no tracing hooks left behind
    for k, v in model.state_dict().items():                           # running statistics untouched
        np.testing.assert_array_equal(before[k], v)
    model.eval()
    summary(model, 20)
    assert not model.training


class Flatten3(Module):
    """A layer summary knows nothing about: its shape appears only when traced."""

    def forward(self, x):
        return x.reshape(len(x), -1)

    def backward(self, dout):
        return dout


def test_summary_unknown_shapes_without_input_shape():
    model = Sequential(Flatten3(), Linear(12, 4), ReLU())
    text = summary(model)
    assert _row(text, "0 ")[-2:] == ["?", "0"]
    assert _row(text, "2 ")[-3:] == ["(None,", "4)", "0"]
    traced = summary(model, input_shape=(3, 4))
    assert _row(traced, "0 ")[-3:] == ["(None,", "12)", "0"]
    assert "Input shape: (None, 3, 4)" in traced


def test_summary_custom_module_names_and_own_parameters():
    class Net(Module):
        def __init__(self):
            super().__init__()
            self.scale = Parameter(np.ones(5, dtype=np.float32))
            self.fc1 = Linear(3, 5)
            self.fc2 = Linear(5, 2)

        def forward(self, x):
            return self.fc2.forward(self.fc1.forward(x) * self.scale.data)

    text = summary(Net(), input_shape=(3,))
    assert _row(text, "fc1")[-3:] == ["(None,", "5)", "20"]
    assert _row(text, "fc2")[-3:] == ["(None,", "2)", "12"]
    assert _row(text, "0 ")[:2] == ["0", "Net"]                      # the model's own Parameter
    assert "Total params: 37" in text


def test_summary_bare_layer_and_errors():
    text = summary(Linear(3, 2))
    assert _row(text, "0 ") == ["0", "Linear(3,", "2)", "(None,", "2)", "8"]
    with pytest.raises(ValueError, match=r"\(2, 5\) batch failed"):
        summary(_mnist_mlp(), input_shape=(5,))
    with pytest.raises(ValueError, match="input_shape"):
        summary(_mnist_mlp(), input_shape=(0,))
    with pytest.raises(TypeError, match="Module"):
        summary("model")
