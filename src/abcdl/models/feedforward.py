"""``mlp``: build a fully connected network (L16, L28, L33, L34)."""

from __future__ import annotations

from collections.abc import Sequence

from .._checks import check_positive_int
from .._config import get_rng
from .._types import Rng
from ..layers import BatchNorm1d, Dropout, LeakyReLU, Linear, ReLU, Sigmoid, Tanh
from .sequential import Sequential

ACTIVATIONS = {"relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh}
# L28: He initialisation for ReLU-like units, Xavier for sigmoid and tanh.
DEFAULT_INIT = {"relu": "he", "leaky_relu": "he", "sigmoid": "xavier", "tanh": "xavier"}


def mlp(input_size: int = 784, hidden: Sequence[int] = (100, 100), num_classes: int = 10,
        activation: str = "relu", dropout: float = 0.0, batch_norm: bool = False,
        init: str | float | None = None, rng: Rng | None = None, dtype=None) -> Sequential:
    """A multi-layer perceptron: [Linear -> (BatchNorm1d) -> activation -> (Dropout)] * L-1 -> Linear.

    Parameters
    ----------
    input_size : int
        n[0], e.g. 784 for flattened MNIST.
    hidden : sequence of int
        n[1], ..., n[L-1]; empty for a linear (softmax-regression) model.
    num_classes : int
        n[L]: the output layer gives logits for a softmax loss.
    activation : "relu" | "leaky_relu" | "sigmoid" | "tanh"
    dropout : float
        Drop probability after each hidden activation (0 = none; keep_prob = 1 - p).
    batch_norm : bool
        BatchNorm1d between each hidden Linear and its activation (L34).
    init : str | float | None
        Weight init; None picks He for ReLU-like units and Xavier otherwise (L28).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    hidden = [check_positive_int(h, f"mlp: hidden[{i}]") for i, h in enumerate(hidden)]
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    rng = get_rng(rng)
    init = DEFAULT_INIT[activation] if init is None else init
    layers = []
    n_prev = input_size
    for n in hidden:
        layers.append(Linear(n_prev, n, init=init, bias=not batch_norm, rng=rng, dtype=dtype))
        if batch_norm:
            layers.append(BatchNorm1d(n, dtype=dtype))   # beta plays the bias's role
        layers.append(ACTIVATIONS[activation]())
        if dropout > 0:
            layers.append(Dropout(dropout, rng=rng))
        n_prev = n
    out_init = "xavier" if activation in ("sigmoid", "tanh") else init
    layers.append(Linear(n_prev, num_classes, init=out_init, rng=rng, dtype=dtype))
    return Sequential(*layers)
