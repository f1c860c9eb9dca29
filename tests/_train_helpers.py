"""Small models and data shared by test_train.py and test_train_stopping.py."""

from __future__ import annotations

import numpy as np

from abcdl.layers import Dropout, Linear, ReLU
from abcdl.models import Sequential
from abcdl.module import Module
from abcdl.optim import SGD


def _blobs(m=300, k=3, d=4, seed=0, dtype=np.float32):
    """k well separated Gaussian clusters in d dimensions, labels 0..k-1."""
    g = np.random.default_rng(seed)
    centers = g.normal(0, 4, (k, d))
    t = g.integers(0, k, m)
    X = centers[t] + g.normal(0, 0.5, (m, d))
    return X.astype(dtype), t


def _mlp(d=4, k=3, hidden=16, p=0.0):
    layers = [Linear(d, hidden), ReLU()]
    if p:
        layers.append(Dropout(p))
    return Sequential(*layers, Linear(hidden, k))


class Recorder(Module):
    """Wraps a model; records the id column (column 0) of every input and the mode it saw."""

    def __init__(self, inner: Module) -> None:
        super().__init__()
        self.inner = inner
        self.train_batches: list[np.ndarray] = []
        self.eval_batches: list[np.ndarray] = []
        self.dtypes: list[np.dtype] = []

    def forward(self, x):
        (self.train_batches if self.training else self.eval_batches).append(x[:, 0].copy())
        self.dtypes.append(x.dtype)
        return self.inner.forward(x)

    def backward(self, dout, input_grad=True):
        return self.inner.backward(dout, input_grad)


def _id_data(m, k=3):
    """X whose column 0 is the example's index, so a Recorder can tell which rows it saw."""
    X = np.zeros((m, 2), dtype=np.float32)
    X[:, 0] = np.arange(m)
    return X, np.arange(m) % k


def _frozen(m_model):
    return SGD(m_model.parameters(), lr=0.0)      # lr = 0: the weights never move
