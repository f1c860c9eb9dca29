"""Logic gates as perceptrons with the lecture's weights, and XOR as a 2-layer network (L6, L9).

A gate is a perceptron on inputs x1, x2 in {0, 1} with fixed weights
(w0, w1, w2) and a 0/1 output:

    z = w0 + w1 x1 + w2 x2,     output = 1 if z > 0 else 0        (step, L10)

The lecture's weights: OR (-2, 3, 3), AND (-4, 3, 3), NAND (4, -3, -3) ("NOT AND";
its pre-activations +4, +1, +1, -2 in the XOR table fix these weights).

XOR is not linearly separable, so no single perceptron computes it (Minsky &
Papert, 1969).  Two layers do:  XOR(x1, x2) = AND(OR(x1, x2), NAND(x1, x2)).
The lecture's table (pre-activations in brackets)::

    x1 x2 | OR      NAND    XOR
    0  0  | 0 (-2)  1 (+4)  0 (-1)
    0  1  | 1 (+2)  1 (+1)  1 (+2)
    1  0  | 1 (+2)  1 (+1)  1 (+2)
    1  1  | 1 (+4)  0 (-2)  0 (-1)

Lecture erratum: the OR column's "+2" for 01 and 10 cannot come from any
weights.  A pre-activation w0 + w1 x1 + w2 x2 always has
z(00) + z(11) = z(01) + z(10) (both are 2 w0 + w1 + w2), but -2 + 4 != 2 + 2.
The OR slide itself computes 3 x 0 + 3 x 1 - 2 = 1, so the library gives
OR -2, +1, +1, +4 with the lecture's OR weights (-2, 3, 3); the outputs 0, 1, 1, 1,
the NAND column (+4, +1, +1, -2) and the XOR column (-1, +2, +2, -1, from AND's
weights (-4, 3, 3) on the hidden outputs) are exactly the lecture's.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .. import functions as F
from .._types import Array, Rng
from ..layers import Linear, Tanh
from ..losses import SigmoidBCELoss
from ..optim import SGD
from ._estimator import ConvergenceWarning, resolve_random_state
from .perceptron import Perceptron
from .sequential import Sequential

__all__ = ["LogicGate", "TwoLayerGateNetwork", "TruthTable", "XORTable", "XORDemo",
           "OR", "AND", "NAND", "XOR", "GATE_INPUTS", "xor_demo"]

#: The four inputs in the lecture's order 00, 01, 10, 11; shape (4, 2).
GATE_INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int64)


def _check_bits(X, who: str) -> np.ndarray:
    X = np.asarray(X)
    if X.dtype == object or not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
        raise TypeError(f"{who}: inputs must be numeric 0/1, got dtype {X.dtype}")
    if X.ndim == 1 and X.shape == (2,):
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"{who}: inputs must have shape (m, 2) (pairs x1, x2), got {X.shape}")
    if not np.all((X == 0) | (X == 1)):
        raise ValueError(f"{who}: gate inputs must be 0 or 1")
    return X.astype(np.int64)


def _fmt(z: float) -> str:
    return f"{z:+g}" if z else "0"


class TruthTable(NamedTuple):
    """A gate's truth table: ``inputs`` (4, 2), pre-activations ``z`` (4,), 0/1 ``output`` (4,)."""

    inputs: np.ndarray
    z: np.ndarray
    output: np.ndarray
    name: str = ""

    def __str__(self) -> str:
        rows = [f"x1 x2 | {self.name or 'y'}"]
        rows += [f"{a}  {b}  | {o} ({_fmt(z)})"
                 for (a, b), z, o in zip(self.inputs, self.z, self.output, strict=True)]
        return "\n".join(rows)


class XORTable(NamedTuple):
    """The lecture's XOR table: per input, each hidden gate's and the output gate's z and output.

    ``hidden_z`` and ``hidden_output`` have shape (4, 2) (columns OR, NAND);
    ``z`` and ``output`` are the output layer's, shape (4,).
    """

    inputs: np.ndarray
    hidden_names: tuple[str, ...]
    hidden_z: np.ndarray
    hidden_output: np.ndarray
    z: np.ndarray
    output: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        """Pre-activation columns by name, e.g. {"OR": [-2, 1, 1, 4], "NAND": ..., "XOR": ...}."""
        cols = {name: self.hidden_z[:, j] for j, name in enumerate(self.hidden_names)}
        cols["XOR"] = self.z
        return cols

    def __str__(self) -> str:
        head = ("x1 x2 | " + "  ".join(f"{n:<7}" for n in (*self.hidden_names, "XOR"))).rstrip()
        rows = [head]
        for i, (a, b) in enumerate(self.inputs):
            cells = [f"{o} ({_fmt(z)})" for z, o in zip(self.hidden_z[i], self.hidden_output[i], strict=True)]
            cells.append(f"{self.output[i]} ({_fmt(self.z[i])})")
            rows.append((f"{a}  {b}  | " + "  ".join(f"{c:<7}" for c in cells)).rstrip())
        return "\n".join(rows)


class _GateOutputs:
    """What a single gate and a network of gates share: calling on bits, and the truth table.

    Subclasses define ``pre_activation(X)`` (m,), ``predict(X)`` in {0, 1} and ``name``.
    """

    def __call__(self, x1, x2):
        """Output for x1, x2 (0/1 scalars or equal-shape arrays)."""
        a, b = np.broadcast_arrays(np.asarray(x1), np.asarray(x2))
        out = self.predict(np.stack([a.ravel(), b.ravel()], axis=1)).reshape(a.shape)
        return int(out) if out.ndim == 0 else out

    def truth_table(self) -> TruthTable:
        """Inputs 00, 01, 10, 11 with the (output) pre-activations z and outputs step(z)."""
        z = self.pre_activation(GATE_INPUTS)
        return TruthTable(GATE_INPUTS.copy(), z, F.step(z).astype(np.int64), self.name)


class LogicGate(_GateOutputs):
    """A perceptron with fixed weights (w0, w1, w2) on 0/1 inputs (L6).

    Parameters
    ----------
    w : array_like, shape (3,)
        (w0, w1, w2): bias first, as on the slide.
    name : str, optional
        Used in tables and repr.

    Attributes
    ----------
    w : ndarray (3,);  coef_ = w[1:];  intercept_ = w[0]

    Formula
    -------
    z = w0 + w1 x1 + w2 x2,   output = step(z) = 1 if z > 0 else 0

    Examples
    --------
    >>> OR(0, 1), AND(0, 1), NAND(1, 1)
    (1, 0, 0)
    """

    def __init__(self, w, name: str = "") -> None:
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (3,) or not np.all(np.isfinite(w)):
            raise ValueError(f"LogicGate: w must be three finite numbers (w0, w1, w2), got {w!r}")
        self.w = w
        self.name = name

    @property
    def coef_(self) -> Array:
        return self.w[1:]

    @property
    def intercept_(self) -> float:
        return float(self.w[0])

    def pre_activation(self, X) -> Array:
        """z = w0 + w1 x1 + w2 x2 for each row (x1, x2) of X (m, 2); shape (m,)."""
        X = _check_bits(X, self._who())
        return self.w[0] + X @ self.w[1:]              # z = w0 + w1 x1 + w2 x2

    def predict(self, X) -> np.ndarray:
        """0/1 outputs step(z) for each row of X (m, 2); shape (m,)."""
        return F.step(self.pre_activation(X)).astype(np.int64)   # 1 if z > 0 else 0

    def _who(self) -> str:
        return f"LogicGate {self.name}" if self.name else "LogicGate"

    def __repr__(self) -> str:
        w = ", ".join(f"{v:g}" for v in self.w)
        label = f", name={self.name!r}" if self.name else ""
        return f"LogicGate(({w}){label})"


class TwoLayerGateNetwork(_GateOutputs):
    """A 2-layer network of gates: output_gate(hidden_1(x), hidden_2(x)) (L9).

    ``XOR = TwoLayerGateNetwork((OR, NAND), AND)``: the hidden layer computes
    OR and NAND of the inputs, the output layer ANDs them.
    """

    def __init__(self, hidden: tuple[LogicGate, LogicGate], output: LogicGate, name: str = "") -> None:
        if len(hidden) != 2 or not all(isinstance(g, LogicGate) for g in (*hidden, output)):
            raise TypeError("TwoLayerGateNetwork: needs two hidden LogicGates and one output LogicGate")
        self.hidden = tuple(hidden)
        self.output = output
        self.name = name

    def hidden_pre_activations(self, X) -> Array:
        """Layer 1: z[1] of each hidden gate; shape (m, 2)."""
        return np.stack([g.pre_activation(X) for g in self.hidden], axis=1)

    def hidden_outputs(self, X) -> np.ndarray:
        """Layer 1 outputs a[1] = step(z[1]) in {0, 1}; shape (m, 2)."""
        return F.step(self.hidden_pre_activations(X)).astype(np.int64)

    def pre_activation(self, X) -> Array:
        """Layer 2: z[2] = w0 + w1 a1[1] + w2 a2[1]; shape (m,)."""
        return self.output.pre_activation(self.hidden_outputs(X))

    def predict(self, X) -> np.ndarray:
        """Network output step(z[2]) in {0, 1}; shape (m,)."""
        return F.step(self.pre_activation(X)).astype(np.int64)

    def layer_table(self) -> XORTable:
        """The lecture's table: every gate's pre-activation and output for 00, 01, 10, 11."""
        hz = self.hidden_pre_activations(GATE_INPUTS)
        z = self.pre_activation(GATE_INPUTS)
        return XORTable(GATE_INPUTS.copy(), tuple(g.name for g in self.hidden), hz,
                        F.step(hz).astype(np.int64), z, F.step(z).astype(np.int64))

    def __repr__(self) -> str:
        return f"TwoLayerGateNetwork(hidden={self.hidden!r}, output={self.output!r})"


OR = LogicGate((-2, 3, 3), "OR")
AND = LogicGate((-4, 3, 3), "AND")
NAND = LogicGate((4, -3, -3), "NAND")
XOR = TwoLayerGateNetwork((OR, NAND), AND, "XOR")


# -- demonstration: one perceptron fails, a small network learns XOR (L9) ---------
@dataclass
class XORDemo:
    """Result of :func:`xor_demo`.

    Attributes
    ----------
    perceptron : Perceptron      PLA run on XOR (labels -1/+1); ``converged_`` is False.
    perceptron_accuracy : float  Its training accuracy (at most 3/4 for any line).
    network : Sequential         Linear(2, h) - Tanh - Linear(h, 1), trained by gradient descent.
    losses : list[float]         Binary cross-entropy per epoch.
    network_predictions : ndarray (4,)  0/1 predictions for 00, 01, 10, 11.
    network_accuracy : float
    """

    perceptron: object
    perceptron_accuracy: float
    network: object
    losses: list[float] = field(default_factory=list)
    network_predictions: np.ndarray = field(default_factory=lambda: np.zeros(4, dtype=np.int64))
    network_accuracy: float = 0.0


def xor_demo(max_updates: int = 200, hidden: int = 4, lr: float = 0.5, epochs: int = 2000,
             random_state: int | Rng | None = 0) -> XORDemo:
    """Show L9: the PLA cannot fit XOR, a 2-layer network trained by gradient descent can.

    The perceptron stops after ``max_updates`` with ``converged_ = False`` (its
    ConvergenceWarning is caught and recorded on the result's perceptron).  The
    network is ``Sequential(Linear(2, hidden), Tanh(), Linear(hidden, 1))`` with
    ``SigmoidBCELoss``, trained in float64 by full-batch gradient descent
    W <- W - lr dW (:class:`abcdl.optim.SGD` with its defaults) for ``epochs`` epochs.

    Returns
    -------
    XORDemo
    """
    rng = resolve_random_state(random_state)
    X = GATE_INPUTS.astype(np.float64)
    t = np.array([0, 1, 1, 0], dtype=np.float64)          # XOR truth values

    pla = Perceptron(max_updates=max_updates, random_state=rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pla.fit(X, 2 * t - 1)                               # labels y = 2t - 1 in {-1, +1}

    net = Sequential(Linear(2, hidden, init="xavier", rng=rng, dtype=np.float64), Tanh(),
                     Linear(hidden, 1, init="xavier", rng=rng, dtype=np.float64))
    loss_fn = SigmoidBCELoss()
    opt = SGD(net.parameters(), lr=lr)                      # plain gradient descent
    losses = []
    for _ in range(epochs):
        z = net.forward(X)                                  # z[2]: logits, (4, 1)
        losses.append(loss_fn.forward(z, t))                # J = BCE(sigma(z), t)
        opt.zero_grad()
        net.backward(loss_fn.backward())                    # dz = (y - t) / m, then backprop
        opt.step()                                          # W <- W - alpha dW
    pred = (net.forward(X)[:, 0] > 0).astype(np.int64)      # sigma(z) > 1/2  <=>  z > 0
    return XORDemo(pla, pla.score(X, 2 * t - 1), net, losses, pred, float(np.mean(pred == t)))
