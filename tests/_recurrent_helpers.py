"""Helpers for the recurrent-layer tests (import as ``from _recurrent_helpers import ...``)."""

from __future__ import annotations

import numpy as np

from abcdl.layers import GRU, LSTM, RNN
from abcdl.numdiff import gradcheck

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}

# (num_layers, bidirectional): the four shapes of network every check runs on
STACKS = [(1, False), (1, True), (2, False), (2, True)]


def make(name: str, rng, D: int = 3, H: int = 4, dtype=np.float64, **kw):
    return CELLS[name](D, H, rng=rng, dtype=dtype, **kw)


def random_state(layer, m: int, rng):
    """An initial state of the right shape: h0, or (h0, c0) for the LSTM."""
    shape = (layer.num_layers * layer.num_directions, m, layer.hidden_size)
    states = tuple(rng.standard_normal(shape) for _ in layer.STATES)
    return states if len(states) > 1 else states[0]


def as_tuple(state) -> tuple:
    return state if isinstance(state, tuple) else (state,)


def check_bptt(layer, x, state0, rng, h: float = 1e-6) -> dict:
    """Gradcheck of J = sum(y * G) + sum_s sum(s_n * G_s), random G and G_s, with central differences.

    Checks dJ/dx, dJ/d(every initial state) and dJ/d(every parameter): the analytic
    ones come from ``backward(G, dstate=G_s)``; returns {name: GradcheckResult}.
    """
    y = layer.forward(x, state0)
    G = rng.standard_normal(y.shape)
    Gs = tuple(rng.standard_normal(s.shape) for s in as_tuple(layer.final_state))
    layer.zero_grad()
    dx = layer.backward(G, dstate=Gs if len(Gs) > 1 else Gs[0])
    d_state0 = as_tuple(layer.initial_state_grad)
    analytic = {name: p.grad.copy() for name, p in layer.named_parameters()}

    def J(_) -> float:                       # every array is perturbed in place, J reads them all
        out = layer.forward(x, state0)
        finals = as_tuple(layer.final_state)
        return float(np.sum(out * G) + sum(np.sum(s * g) for s, g in zip(finals, Gs, strict=True)))

    results = {"x": gradcheck(J, x, dx, h=h, name="x")}
    for s, (arr, grad) in zip(layer.STATES, zip(as_tuple(state0), d_state0, strict=True), strict=True):
        results[f"{s}0"] = gradcheck(J, arr, grad, h=h, name=f"{s}0")
    for name, p in layer.named_parameters():
        results[name] = gradcheck(J, p.data, analytic[name], h=h, name=name)
    return results


def assert_passed(results: dict) -> None:
    for name, r in results.items():
        assert r.passed, f"{name}: {r}"
