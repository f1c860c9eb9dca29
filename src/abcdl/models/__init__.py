"""Models: ``Sequential`` and builders, plus the lecture's classic models (L1-L9, L14-L18)."""

from __future__ import annotations

from ._estimator import ConvergenceWarning, NotFittedError
from .convnets import convnet, deep_convnet
from .feedforward import mlp
from .kmeans import KMeans, kmeans_plusplus
from .linear_regression import LinearRegression
from .logic_gates import AND, NAND, OR, XOR, LogicGate, TwoLayerGateNetwork, xor_demo
from .logistic_regression import LogisticRegression, SoftmaxRegression
from .mle import (
    bernoulli_log_likelihood,
    bernoulli_mle,
    binomial_log_likelihood,
    binomial_log_likelihood_grad,
)
from .mlp_classifier import MLPClassifier
from .mlp_regressor import MLPRegressor
from .pca import PCA
from .perceptron import Perceptron, PLAUpdate, pla_update
from .sequential import Sequential
from .svm import LinearSVM, geometric_margin

__all__ = [
    "Sequential", "mlp", "convnet", "deep_convnet", "MLPClassifier", "MLPRegressor",
    "Perceptron", "pla_update", "PLAUpdate", "LogicGate", "AND", "OR", "NAND", "XOR",
    "TwoLayerGateNetwork", "xor_demo", "LinearRegression", "LogisticRegression", "SoftmaxRegression",
    "LinearSVM", "geometric_margin", "KMeans", "kmeans_plusplus", "PCA",
    "bernoulli_mle", "binomial_log_likelihood", "binomial_log_likelihood_grad", "bernoulli_log_likelihood",
    "ConvergenceWarning", "NotFittedError",
]
