"""The computational graph of a small network, recorded by autograd (L39, after L15-L17).

The lecture draws a network as boxes and arrows and derives backpropagation by
walking them backwards (L15-L17).  A define-by-run engine records that picture
while the forward pass runs: every operation becomes a node that remembers its
inputs.  This experiment builds the lecture's two-layer network

    Z1 = X W1^T + b1,  A1 = ReLU(Z1),  Z2 = A1 W2^T + b2,  J = softmax cross-entropy(Z2, t)

from ``abcdl.autograd`` ops with the Parameters of two ``abcdl.layers.Linear``,
draws the graph it recorded (``abcdl.autograd.graph``: values as rounded boxes,
operations as square ones, the Parameters in green, the loss in red), and
checks that one backward pass through it gives the gradients that the layers'
hand-written ``backward`` gives (L16: dW = dZ^T A_prev, db = sum dZ).

Run::

    abcdl demo autograd-graph [--n-in 3] [--n-hidden 4] [--n-out 2] [--m 5]
    python -m abcdl.experiments.autograd_graph
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_param, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "autograd-graph"
SPEC = ("L39",)
DESCRIPTION = "the graph autograd records for a 2-layer network; its gradients against the hand-written ones"

_TEXT = {
    "en": {"title": "the graph recorded by autograd: "
                    "$J$ = softmax cross-entropy(ReLU($X W_1^T + b_1$) $W_2^T + b_2$, $t$)",
           "legend": "green: Parameters (abcdl.Parameter leaves)   white: data   yellow: intermediate "
                     "values   red: the loss   square: operations",
           "check": "{ops} operations, {values} values; one backward pass: largest relative difference from "
                    "the layers' hand-written backward {err:.1e}"},
    "ko": {"title": "자동 미분이 기록한 계산 그래프: "
                    "$J$ = 소프트맥스 교차 엔트로피(ReLU($X W_1^T + b_1$) $W_2^T + b_2$, $t$)",
           "legend": "초록: 파라미터 (abcdl.Parameter)   흰색: 데이터   노랑: 중간 값   빨강: 손실   "
                     "네모: 연산",
           "check": "연산 {ops} 개, 값 {values} 개; 역전파 한 번의 결과와 손으로 유도한 역전파의 "
                    "최대 상대 차이 {err:.1e}"},
}


def build(n_in: int, n_hidden: int, n_out: int, m: int, seed: int):
    """The network's layers (named Parameters), a batch (X, t) and the loss J recorded from ops."""
    from .. import autograd as ag
    from ..layers import Linear

    rng = np.random.default_rng(seed)
    l1 = Linear(n_in, n_hidden, rng=rng, dtype=np.float64)
    l2 = Linear(n_hidden, n_out, rng=rng, dtype=np.float64)
    for p, name in zip((l1.W, l1.b, l2.W, l2.b), ("W1", "b1", "W2", "b2"), strict=True):
        p.name = name
        p.data[...] = rng.standard_normal(p.shape) * 0.5
    X = ag.tensor(rng.standard_normal((m, n_in)), name="X")
    t = rng.integers(0, n_out, m)
    A1 = ag.relu(X @ ag.param(l1.W).T + ag.param(l1.b))            # A1 = ReLU(X W1^T + b1)
    Z2 = A1 @ ag.param(l2.W).T + ag.param(l2.b)                     # Z2 = A1 W2^T + b2
    J = ag.softmax_cross_entropy(Z2, t)                             # J
    J.name = "J"
    return (l1, l2), X.data, t, J


def hand_gradients(layers, X: np.ndarray, t: np.ndarray) -> list[np.ndarray]:
    """dJ/dW1, dJ/db1, dJ/dW2, dJ/db2 by the hand-written layers' backward (L15-L17)."""
    import copy

    from ..layers import ReLU
    from ..losses import SoftmaxCrossEntropyLoss

    l1, l2 = (copy.deepcopy(layer) for layer in layers)
    l1.zero_grad()
    l2.zero_grad()
    relu, loss = ReLU(), SoftmaxCrossEntropyLoss()
    loss.forward(l2.forward(relu.forward(l1.forward(X))), t)
    l1.backward(relu.backward(l2.backward(loss.backward())))        # dZ = (Y - T)/m, then L16 per layer
    return [p.grad for p in (l1.W, l1.b, l2.W, l2.b)]


def compute(*, n_in: int = 3, n_hidden: int = 4, n_out: int = 2, m: int = 5, seed: int = 0) -> dict:
    """Record the graph of a two-layer network's loss, lay it out, and compare its gradients.

    Parameters
    ----------
    n_in, n_hidden, n_out : int
        Layer widths n[0], n[1], n[2].
    m : int
        Examples in the batch.
    seed : int
        Weights, data and labels.

    Returns
    -------
    dict
        ``numbers``: ``n_ops`` and ``n_values`` (nodes of the graph), ``ops`` (their names),
        ``loss``, ``max_rel_error`` (autograd against the hand-written backward, over W1, b1,
        W2, b2); ``highlights``; for the figure ``layout`` (:func:`abcdl.autograd.graph.layout`)
        and ``dot`` (the graph in Graphviz's DOT language).
    """
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out), ("m", m)):
        check_param(1 <= v <= 100, name, f"must be in 1..100, got {v}")
    check_param(n_out >= 2, "n_out", f"a softmax needs >= 2 classes, got {n_out}")
    from .. import autograd as ag

    layers, X, t, J = build(n_in, n_hidden, n_out, m, seed)
    lay, dot = ag.graph.layout(J), ag.to_dot(J)                     # before backward frees the graph
    ops = [label for _, label, kind in lay["nodes"] if kind == "op"]
    J.backward()                                                    # dJ/dp into every Parameter's grad
    machine = [p.grad for layer in layers for p in (layer.W, layer.b)]
    hand = hand_gradients(layers, X, t)
    err = max(float(np.abs(a - b).max() / np.abs(b).max()) for a, b in zip(machine, hand, strict=True))
    numbers = {"n_ops": len(ops), "n_values": len(lay["nodes"]) - len(ops), "ops": ops, "loss": J.item(),
               "max_rel_error": err}
    highlights = [f"J = {J.item():.6f}; the graph: {len(ops)} operations ({', '.join(ops)}) and "
                  f"{numbers['n_values']} values",
                  f"gradients of W1, b1, W2, b2 by one backward pass against the layers' hand-written "
                  f"backward: largest relative difference {err:.1e}"]
    return {"numbers": numbers, "highlights": highlights, "layout": lay, "dot": dot}


def draw(data: dict, style: FigureStyle) -> Figure:
    """The recorded graph, left to right from the data and Parameters to the loss."""
    from ..autograd.graph import draw_on

    t = style.labels(_TEXT)
    nb, lay = data["numbers"], data["layout"]
    with style.context():
        fig = style.figure(figsize=(min(14.0, 0.9 * lay["width"] + 1), 0.8 * lay["height"] + 2.2))
        ax = fig.add_subplot()
        draw_on(ax, lay, fontsize=7)
        ax.set_title(t["title"], fontsize=10)
        ax.text(0.5, -0.02, t["legend"] + "\n" + t["check"].format(ops=nb["n_ops"], values=nb["n_values"],
                                                                   err=nb["max_rel_error"]),
                transform=ax.transAxes, ha="center", va="top", fontsize=8)
    return fig


def run(*, lang: str = "en", n_in: int = 3, n_hidden: int = 4, n_out: int = 2, m: int = 5,
        seed: int = 0) -> Result:
    """The graph autograd records for a two-layer network, and its gradients by hand and by machine.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(n_in=n_in, n_hidden=n_hidden, n_out=n_out, m=m, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
