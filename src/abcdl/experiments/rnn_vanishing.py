"""Vanishing and exploding gradients through time, and the LSTM's memory cell (L40; DLFS2 6.1).

Backpropagation through time multiplies the gradient by the same matrix at every step
back.  In an RNN, h_t = tanh(x_t W_ih^T + h_{t-1} W_hh^T + b), so

    dL/dh_{t-1} = (dL/dh_t * (1 - h_t^2)) W_hh,

and after k steps the norm of dL/dh_{T-k} has been multiplied k times by W_hh (and by
tanh' <= 1): it shrinks geometrically when W_hh is small and grows geometrically when it
is large ("Deep Learning from Scratch 2", fig. 6-8 and 6-9: the same RNN with its W_h
scaled by 0.5 vanishes, unscaled explodes).  The LSTM's memory cell takes another road
back: c_t = f * c_{t-1} + g * i, so

    dL/dc_{t-1} = dL/dc_t * f            (element-wise: no matrix product, no tanh'),

and while the forget gate f stays near 1 (the gate "remembers"; training puts it there
when memory pays, and a forget-gate bias b_f > 0 starts it there) the gradient holds.

The experiment feeds the same random sequence (m examples, T steps, D inputs) to three
layers with H units: an RNN with small recurrent weights, an RNN with large ones
(W_hh = ``scale`` * N(0, 1/H) for the two ``rnn_scales``) and an LSTM with PyTorch's
initial weights and forget-gate bias ``forget_bias``.  The loss is L = sum(h_T * G) for a
fixed random G.  dL/dh_t (and dL/dc_t for the LSTM) are measured with the layers' own
backward: the layer is run from state h_t (c_t) over x_{t+1..T} and its
``initial_state_grad`` after backward is dL/dh_t.

Run::

    abcdl demo rnn-vanishing [--steps 50] [--rnn-scales 0.5,2.0] [--forget-bias 5.0]
    python -m abcdl.experiments.rnn_vanishing
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "rnn-vanishing"
SPEC = ("L40",)
DESCRIPTION = "norm of dL/dh_t against steps back: an RNN's vanishes or explodes, the LSTM's cell holds"

_TEXT = {
    "en": {"back": "steps back from the loss, T - t", "norm": "$\\|\\partial L/\\partial h_t\\|$ (log scale)",
           "rnn": "RNN, $W_{{hh}}$ x {s:g}", "lstm_h": "LSTM, $\\partial L/\\partial h_t$",
           "lstm_c": "LSTM, $\\partial L/\\partial c_t$ (cell)",
           "title": "the same sequence: m = {m}, T = {T}, D = {D}, H = {H}; LSTM $b_f$ = {bf:g}"},
    "ko": {"back": "손실에서 거슬러 올라간 단계 수, T - t",
           "norm": "$\\|\\partial L/\\partial h_t\\|$ (로그 눈금)",
           "rnn": "RNN, $W_{{hh}}$ x {s:g}", "lstm_h": "LSTM, $\\partial L/\\partial h_t$",
           "lstm_c": "LSTM, $\\partial L/\\partial c_t$ (기억 셀)",
           "title": "같은 시퀀스: m = {m}, T = {T}, D = {D}, H = {H}; LSTM $b_f$ = {bf:g}"},
}


def gradient_norms(layer, x: np.ndarray, G: np.ndarray) -> np.ndarray:
    """||dL/ds_t|| for t = T, T-1, .., 0 (row k: k steps back), L = sum(h_T * G), for each state s.

    Returns (T + 1, number of states): the columns are h (and c for the LSTM).
    """
    m, T, _ = x.shape
    layer.return_sequences = False
    states, norms = [None], []
    for t in range(T):                                   # the state after each step: s_1 .. s_T
        layer.forward(x[:, t:t + 1], initial_state=states[-1])
        states.append(layer.final_state)
    for k in range(T + 1):                               # k steps back: dL/ds_{T-k}
        t = T - k
        if k == 0:
            grads = (G,) + ((np.zeros_like(G),) if isinstance(states[-1], tuple) else ())
        else:
            layer.forward(x[:, t:], initial_state=states[t])
            layer.backward(G)                            # dL/dh_T = G, then BPTT back to the start
            g = layer.initial_state_grad
            grads = g if isinstance(g, tuple) else (g,)
        norms.append([float(np.linalg.norm(a)) for a in grads])
    return np.array(norms)


def compute(*, steps: int = 50, batch: int = 10, inputs: int = 8, hidden: int = 32,
            rnn_scales: tuple = (0.5, 2.0), forget_bias: float = 5.0, seed: int = 0) -> dict:
    """The norms of dL/dh_t (and dL/dc_t) for T + 1 steps back, for RNNs and an LSTM on the same data.

    Parameters
    ----------
    steps, batch, inputs, hidden : int
        T, m, D and H.
    rnn_scales : tuple of float
        The RNNs' recurrent weights are W_hh = scale * N(0, 1/H) (spectral radius about ``scale``).
    forget_bias : float
        Added to the LSTM's forget-gate biases: f = sigma(a_f + b_f) starts near sigma(b_f).
    seed : int
        The sequence x, the upstream gradient G and every weight.

    Returns
    -------
    dict
        ``numbers``: for each layer (``rnn_x<scale>``, ``lstm``) ``norm_at`` {0, 10, 20, .. steps back}
        and ``ratio`` (the norm T steps back over the norm at the loss), plus ``lstm_cell`` for
        dL/dc_t; ``highlights``; ``curves``: name -> (T + 1,) norms.
    """
    check_count(steps, "steps", 1, 500, "run time: T forward/backward passes of up to T steps")
    for v, name in ((batch, "batch"), (inputs, "inputs"), (hidden, "hidden")):
        check_count(v, name, 1, 1000, "memory")
    check_param(isinstance(rnn_scales, tuple) and 1 <= len(rnn_scales) <= 4, "rnn_scales",
                f"must be one to four numbers, got {rnn_scales!r}")
    for s in rnn_scales:
        check_real(s, "rnn_scales", 1e-3, 10, "larger weights overflow")
    check_real(forget_bias, "forget_bias", -20, 20)
    check_seed(seed)
    from ..layers import LSTM, RNN

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, inputs))
    G = rng.standard_normal((batch, hidden))
    curves = {}
    for s in rnn_scales:
        rnn = RNN(inputs, hidden, rng=rng, dtype=np.float64)
        rnn.weight_hh_l0.data[:] = s * rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)
        curves[f"rnn_x{s:g}"] = gradient_norms(rnn, x, G)[:, 0]
    lstm = LSTM(inputs, hidden, rng=rng, dtype=np.float64)
    lstm.bias_hh_l0.data[hidden:2 * hidden] += forget_bias          # PyTorch's blocks i, f, g, o: f second
    both = gradient_norms(lstm, x, G)
    curves["lstm"], curves["lstm_cell"] = both[:, 0], both[:, 1]
    numbers = {"steps": steps, "batch": batch, "inputs": inputs, "hidden": hidden, "forget_bias": forget_bias,
               "rnn_scales": list(rnn_scales)}
    marks = list(range(0, steps + 1, max(1, steps // 5)))
    for name, c in curves.items():
        ref = c[1] if name == "lstm_cell" else c[0]      # the cell's gradient starts one step back
        numbers[name] = {"norm_at": {str(k): float(c[k]) for k in marks},
                         "ratio": float(c[-1] / ref) if ref > 0 else None}
    return {"numbers": numbers, "highlights": _highlights(numbers, curves), "curves": curves}


def _highlights(nb: dict, curves: dict) -> list[str]:
    T = nb["steps"]
    lines = [f"m = {nb['batch']}, T = {T}, D = {nb['inputs']}, H = {nb['hidden']}: "
             f"||dL/dh|| {T} steps back over ||dL/dh_T||"]
    for name in curves:
        lines.append(f"{name}: {nb[name]['ratio']:.3g}")
    return lines


def draw(data: dict, style: FigureStyle) -> Figure:
    """The norms against steps back, one curve per layer, log scale."""
    t = style.labels(_TEXT)
    nb, curves = data["numbers"], data["curves"]
    with style.context():
        fig = style.figure(figsize=(8, 4.6))
        ax = fig.add_subplot()
        k = np.arange(nb["steps"] + 1)
        reds = ("C3", "C1", "C5", "C6")
        for i, s in enumerate(nb["rnn_scales"]):
            ax.plot(k, np.maximum(curves[f"rnn_x{s:g}"], 1e-300), color=reds[i], label=t["rnn"].format(s=s))
        ax.plot(k, curves["lstm"], color="C0", ls="--", label=t["lstm_h"])
        ax.plot(k[1:], curves["lstm_cell"][1:], color="C0", lw=2.2, label=t["lstm_c"])
        ax.set_yscale("log")
        ax.set_xlabel(t["back"])
        ax.set_ylabel(t["norm"])
        ax.set_title(t["title"].format(m=nb["batch"], T=nb["steps"], D=nb["inputs"], H=nb["hidden"],
                                       bf=nb["forget_bias"]))
        ax.legend(loc="best")
    return fig


def run(*, lang: str = "en", steps: int = 50, batch: int = 10, inputs: int = 8, hidden: int = 32,
        rnn_scales: tuple = (0.5, 2.0), forget_bias: float = 5.0, seed: int = 0) -> Result:
    """Norms of dL/dh_t against steps back: RNNs vanish or explode, the LSTM's cell gradient holds.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    """
    params = dict(locals())
    data = compute(steps=steps, batch=batch, inputs=inputs, hidden=hidden, rnn_scales=rnn_scales,
                   forget_bias=forget_bias, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
