"""Layers: each a Module with ``forward(x)`` and a hand-written ``backward(dout) -> dx``."""

from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .attention import MultiHeadAttention
from .batchnorm import BatchNorm1d
from .batchnorm2d import BatchNorm2d
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .embedding_dot import EmbeddingDot
from .flatten import Flatten
from .gru import GRU
from .layernorm import LayerNorm
from .linear import Linear
from .lstm import LSTM
from .negative_sampling import NegativeSamplingLoss
from .pool import AvgPool2d, MaxPool2d
from .rnn import RNN
from .transformer import TransformerDecoderBlock, TransformerEncoderBlock

__all__ = ["Linear", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Identity", "Dropout", "BatchNorm1d",
           "Conv2d", "MaxPool2d", "AvgPool2d", "Flatten", "BatchNorm2d", "RNN", "LSTM", "GRU", "Embedding",
           "EmbeddingDot", "NegativeSamplingLoss", "LayerNorm", "MultiHeadAttention",
           "TransformerEncoderBlock", "TransformerDecoderBlock"]
