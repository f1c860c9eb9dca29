"""Models: ``Sequential`` and builders, plus the lecture's classic models (L1-L9, L14-L18).

Names load lazily from their own modules, so ``from abcdl.models import KMeans``
does not import the rest.  A module is never named like a function it defines
(``mlp`` lives in ``feedforward.py``, ``convnet`` in ``convnets.py``): importing a submodule binds its name on
the package and would hide the function.
"""

from __future__ import annotations

import importlib

from .sequential import Sequential

# public name -> module (inside abcdl.models) that defines it
_LAZY = {
    "mlp": "feedforward",
    "convnet": "convnets",
    "deep_convnet": "convnets",
    "MLPClassifier": "mlp_classifier",
    "Perceptron": "perceptron",
    "pla_update": "perceptron",
    "PLAUpdate": "perceptron",
    "TwoLayerGateNetwork": "logic_gates",
    "xor_demo": "logic_gates",
    "geometric_margin": "svm",
    "kmeans_plusplus": "kmeans",
    "binomial_log_likelihood_grad": "mle",
    "bernoulli_log_likelihood": "mle",
    "ConvergenceWarning": "_estimator",
    "NotFittedError": "_estimator",
    "LogicGate": "logic_gates",
    "AND": "logic_gates",
    "OR": "logic_gates",
    "NAND": "logic_gates",
    "XOR": "logic_gates",
    "LinearRegression": "linear_regression",
    "LogisticRegression": "logistic_regression",
    "SoftmaxRegression": "logistic_regression",
    "LinearSVM": "svm",
    "KMeans": "kmeans",
    "PCA": "pca",
    "bernoulli_mle": "mle",
    "binomial_log_likelihood": "mle",
}

__all__ = ["Sequential", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        module = importlib.import_module(f".{_LAZY[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'abcdl.models' has no attribute {name!r}")
