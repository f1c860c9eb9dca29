"""Layers: each a Module with ``forward(x)`` and a hand-written ``backward(dout) -> dx``."""

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .batchnorm import BatchNorm1d
from .dropout import Dropout
from .linear import Linear

__all__ = ["Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "Dropout", "BatchNorm1d"]
