"""XOR: no single perceptron computes it, two layers of gates do (lecture: 퍼셉트론의 한계, 다층신경망, L9).

XOR(x1, x2) is 1 for 01 and 10 and 0 for 00 and 11: no line puts 01 and 10 on
one side and 00 and 11 on the other (Minsky & Papert, 1969), so the PLA never
stops on it and any line gets at most 3 of the 4 points right.  Two layers do
it: XOR = AND(OR, NAND), the hidden layer's OR and NAND lines cut out the band
that holds 01 and 10.  The lecture's table (pre-activations in brackets)::

    x1 x2 | OR      NAND    XOR
    0  0  | 0 (-2)  1 (+4)  0 (-1)
    0  1  | 1 (+1)  1 (+1)  1 (+2)
    1  0  | 1 (+1)  1 (+1)  1 (+2)
    1  1  | 1 (+4)  0 (-2)  0 (-1)

computed by :data:`abcdl.models.XOR` (OR (-2, 3, 3), NAND (4, -3, -3), output
AND (-4, 3, 3)).  Lecture erratum: the slide prints the OR column as -2, +2,
+2, +4.  No weights give that: for any w0 + w1 x1 + w2 x2, z(00) + z(11) =
z(01) + z(10) = 2 w0 + w1 + w2, but -2 + 4 != 2 + 2.  The OR slide's own
arithmetic (3 x 0 + 3 x 1 - 2 = 1) and weights give +1 for 01 and 10, as here;
the outputs and the NAND and XOR columns are the slide's exactly.

The demonstration (:func:`abcdl.models.xor_demo`): the PLA on the four XOR
points (labels 2t - 1) stops at ``max_updates`` without converging, while a
2-input, ``hidden``-unit tanh network trained by full-batch gradient descent on
the binary cross-entropy learns the table; the figure shows the gates' band,
the PLA's lines, the network's learned decision region and its loss.

Run::

    abcdl demo xor [--max-updates 200] [--hidden 4] [--lr 0.5] [--epochs 2000] [--seed 0]
    python -m abcdl.experiments.xor
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "xor"
SPEC = ("L9",)
DESCRIPTION = "XOR = AND(OR, NAND) table; the PLA fails on XOR while a small network learns it"

#: The OR column as the lecture's XOR table prints it (impossible for any weights; see the docstring).
LECTURE_PRINTED_OR = (-2.0, 2.0, 2.0, 4.0)

_LIM = (-0.5, 1.5)          # the panels show [-0.5, 1.5]^2

_TEXT = {
    "en": {"title_gates": "XOR = AND(OR, NAND): two lines",
           "title_pla": "PLA on XOR: {k} updates, no convergence",
           "title_net": "learned network: 2-{h}-1, tanh",
           "title_loss": "training loss (binary cross-entropy)",
           "x1": "$x_1$", "x2": "$x_2$", "one": "XOR = 1", "zero": "XOR = 0",
           "or": "OR line ($-2+3x_1+3x_2=0$)",
           "nand": "NAND line ($4-3x_1-3x_2=0$)", "band": "OR = NAND = 1 $\\Rightarrow$ XOR = 1",
           "last": "final line, accuracy {a:.2f}", "lines": "lines the PLA visited",
           "p": "$\\sigma(z)$ = P(XOR = 1)", "half": "$\\sigma(z) = 1/2$", "epoch": "epoch", "loss": "loss"},
    "ko": {"title_gates": "XOR = AND(OR, NAND): 직선 두 개",
           "title_pla": "XOR 에 PLA: 업데이트 {k}번, 수렴하지 않음",
           "title_net": "학습된 신경망: 2-{h}-1, tanh",
           "title_loss": "학습 손실 (이진 교차 엔트로피)",
           "x1": "$x_1$", "x2": "$x_2$", "one": "XOR = 1", "zero": "XOR = 0",
           "or": "OR 직선 ($-2+3x_1+3x_2=0$)",
           "nand": "NAND 직선 ($4-3x_1-3x_2=0$)", "band": "OR = NAND = 1 $\\Rightarrow$ XOR = 1",
           "last": "마지막 직선, 정확도 {a:.2f}", "lines": "PLA 가 거친 직선들",
           "p": "$\\sigma(z)$ = P(XOR = 1)", "half": "$\\sigma(z) = 1/2$", "epoch": "에폭", "loss": "손실"},
}


def compute(*, max_updates: int = 200, hidden: int = 4, lr: float = 0.5, epochs: int = 2000,
            seed: int = 0) -> dict:
    """The XOR table of the gate network, the PLA failing on XOR, and a small network learning it.

    Parameters
    ----------
    max_updates : int
        The PLA's bound on updates (it cannot converge on XOR).
    hidden, lr, epochs : int, float, int
        Hidden tanh units, gradient-descent learning rate and epochs of the network.
    seed : int
        PLA picks and network initialisation.

    Returns
    -------
    dict
        ``numbers``: ``table`` ({"inputs", "OR", "NAND", "XOR": pre-activations,
        "OR_output", "NAND_output", "XOR_output"}), ``lecture_printed_OR`` and ``lecture_note``
        (the slide's impossible OR column), ``perceptron`` (converged, n_updates, accuracy,
        best_accuracy over every line it visited) and ``network`` (predictions, accuracy,
        probabilities, first and final loss); ``highlights``; for the figure the four inputs
        ``X``, the PLA's ``visited`` weights, the network's ``losses`` per epoch and its
        probability ``p_grid`` on the grid ``gx``, ``gy`` over [-0.5, 1.5]^2.
    """
    check_param(isinstance(max_updates, int) and max_updates >= 1, "max_updates",
                f"must be >= 1, got {max_updates}")
    check_param(isinstance(hidden, int) and 2 <= hidden <= 1000, "hidden",
                f"must be an integer in [2, 1000] (XOR needs two hidden units), got {hidden!r}")
    check_param(lr > 0, "lr", f"must be > 0, got {lr}")
    check_param(isinstance(epochs, int) and epochs >= 1, "epochs", f"must be >= 1, got {epochs}")
    check_seed(seed)
    check_count(max_updates, "max_updates", 1, 100_000,
                "run time: the PLA never converges on XOR, so it always makes all of them")
    check_count(epochs, "epochs", 1, 100_000, "run time: the default 2,000 take under a second")
    check_real(lr, "lr", 1e-12, 10, "larger steps only diverge")
    from ..functions import sigmoid
    from ..models import XOR, xor_demo
    from ..models.logic_gates import GATE_INPUTS

    tb = XOR.layer_table()                                  # z[1] of OR, NAND; z[2] of AND on their outputs
    cols = tb.as_dict()
    demo = xor_demo(max_updates=max_updates, hidden=hidden, lr=lr, epochs=epochs, random_state=seed)
    X = GATE_INPUTS.astype(np.float64)
    y = 2 * np.array([0, 1, 1, 0]) - 1                      # labels y = 2t - 1
    pla = demo.perceptron
    visited = [u.w_after for u in pla.updates_]
    acc_path = [float(np.mean(np.where(X @ w[1:] + w[0] > 0, 1, -1) == y)) for w in visited]
    probs = sigmoid(demo.network.forward(X)[:, 0])          # sigma(z[2])
    numbers = {
        "table": {"inputs": tb.inputs, "OR": cols["OR"], "NAND": cols["NAND"], "XOR": cols["XOR"],
                  "OR_output": tb.hidden_output[:, 0], "NAND_output": tb.hidden_output[:, 1],
                  "XOR_output": tb.output},
        "lecture_printed_OR": list(LECTURE_PRINTED_OR),
        "lecture_note": ("the slide prints OR pre-activations -2, +2, +2, +4, which no weights give "
                         "(z(00) + z(11) = z(01) + z(10) for any line); the OR weights (-2, 3, 3) give "
                         "-2, +1, +1, +4"),
        "perceptron": {"converged": pla.converged_, "n_updates": pla.n_iter_, "max_updates": max_updates,
                       "w": pla.w_, "accuracy": demo.perceptron_accuracy,
                       "best_accuracy": max(acc_path) if acc_path else demo.perceptron_accuracy},
        "network": {"hidden": hidden, "lr": lr, "epochs": epochs, "predictions": demo.network_predictions,
                    "accuracy": demo.network_accuracy, "probabilities": probs,
                    "first_loss": demo.losses[0], "final_loss": demo.losses[-1]},
    }
    gx, gy = np.meshgrid(np.linspace(*_LIM, 201), np.linspace(*_LIM, 201))
    p_grid = sigmoid(demo.network.forward(np.column_stack([gx.ravel(), gy.ravel()]))[:, 0])
    return {"numbers": numbers, "highlights": _highlights(numbers), "X": X, "visited": visited,
            "losses": demo.losses, "gx": gx, "gy": gy, "p_grid": p_grid.reshape(gx.shape)}


def _highlights(numbers: dict) -> list[str]:
    tb, perc, net = numbers["table"], numbers["perceptron"], numbers["network"]
    rows = [f"{a}{b}: OR {o:+g}  NAND {n:+g}  XOR {x:+g} -> {t}" for (a, b), o, n, x, t in
            zip(tb["inputs"].tolist(), tb["OR"], tb["NAND"], tb["XOR"], tb["XOR_output"], strict=True)]
    return ["pre-activations (00, 01, 10, 11): " + "; ".join(rows),
            "lecture prints OR as -2, +2, +2, +4: impossible for any weights; "
            "(-2, 3, 3) gives -2, +1, +1, +4",
            f"PLA: converged {perc['converged']} after {perc['n_updates']} updates "
            f"(max {perc['max_updates']}); "
            f"accuracy {perc['accuracy']:.2f}, "
            f"best line visited {perc['best_accuracy']:.2f}",
            f"network 2-{net['hidden']}-1 (tanh), {net['epochs']} epochs of GD at lr {net['lr']:g}: "
            f"predictions "
            f"{net['predictions'].tolist()}, accuracy {net['accuracy']:.2f}, "
            f"loss {net['first_loss']:.3f} -> {net['final_loss']:.2e}"]


def draw(data: dict, style: FigureStyle) -> Figure:
    """The gates' band, the PLA's lines, the network's decision region (with the four inputs) and its loss."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    with style.context():
        fig = style.figure(figsize=(10, 9))
        (ax1, ax2), (ax3, ax4) = fig.subplots(2, 2)
        _draw_gates(ax1, t)
        _draw_pla(ax2, data["visited"], nb["perceptron"], t)
        gx, gy, p_grid = data["gx"], data["gy"], data["p_grid"]   # the network's decision region
        cf = ax3.contourf(gx, gy, p_grid, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.75)
        ax3.contour(gx, gy, p_grid, levels=[0.5], colors="k", linewidths=1.2)
        ax3.plot([], [], color="k", lw=1.2, label=t["half"])
        fig.colorbar(cf, ax=ax3, label=t["p"], shrink=0.85)
        ax3.set_title(t["title_net"].format(h=nb["network"]["hidden"]))
        X, out = data["X"], nb["table"]["XOR_output"]
        for ax in (ax1, ax2, ax3):
            ax.scatter(*X[out == 1].T, s=90, color="C0", marker="o", label=t["one"], zorder=3, edgecolors="k")
            ax.scatter(*X[out == 0].T, s=90, color="C3", marker="X", label=t["zero"], zorder=3,
                       edgecolors="k")
            ax.set_xlim(*_LIM)
            ax.set_ylim(*_LIM)
            ax.set_aspect("equal")
            ax.set_xlabel(t["x1"])
            ax.set_ylabel(t["x2"])
            ax.legend(loc="lower left", fontsize=7)
        losses = data["losses"]
        ax4.semilogy(np.arange(1, len(losses) + 1), losses, color="C0")
        ax4.set_xlabel(t["epoch"])
        ax4.set_ylabel(t["loss"])
        ax4.set_title(t["title_loss"])
    return fig


def _draw_gates(ax, t: dict) -> None:
    """The OR and NAND lines and the band between them where both are 1."""
    lo, hi = _LIM
    gx, gy = np.meshgrid(np.linspace(lo, hi, 201), np.linspace(lo, hi, 201))
    band = (-2 + 3 * gx + 3 * gy > 0) & (4 - 3 * gx - 3 * gy > 0)    # OR and NAND both positive
    ax.contourf(gx, gy, band.astype(float), levels=[0.5, 1.5], colors=["#d6e4f4"])
    xs = np.array([lo, hi])
    ax.plot(xs, (2 - 3 * xs) / 3, color="C2", lw=1.5, label=t["or"])       # -2 + 3x1 + 3x2 = 0
    ax.plot(xs, (4 - 3 * xs) / 3, color="C4", lw=1.5, label=t["nand"])     # 4 - 3x1 - 3x2 = 0
    ax.fill_between([], [], color="#d6e4f4", label=t["band"])
    ax.set_title(t["title_gates"])


def _draw_pla(ax, visited: list, perc: dict, t: dict) -> None:
    """The last 40 lines the PLA visited and its final line."""
    xs = np.array(_LIM)
    for w in visited[-40:]:
        ax.plot(xs, -(w[0] + w[1] * xs) / w[2] if w[2] else np.full(2, np.nan), color="0.6", lw=0.6,
                alpha=0.5)
    ax.plot([], [], color="0.6", lw=0.6, label=t["lines"])
    w = perc["w"]
    if w[2]:
        ax.plot(xs, -(w[0] + w[1] * xs) / w[2], color="C1", lw=2, label=t["last"].format(a=perc["accuracy"]))
    elif w[1]:
        ax.axvline(-w[0] / w[1], color="C1", lw=2, label=t["last"].format(a=perc["accuracy"]))
    ax.set_title(t["title_pla"].format(k=perc["n_updates"]))


def run(*, lang: str = "en", max_updates: int = 200, hidden: int = 4, lr: float = 0.5, epochs: int = 2000,
        seed: int = 0) -> Result:
    """The XOR table of the gate network, the PLA failing on XOR, and a small network learning it.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    Returns a Result with :func:`compute`'s numbers and :func:`draw`'s figure.
    """
    params = dict(locals())
    data = compute(max_updates=max_updates, hidden=hidden, lr=lr, epochs=epochs, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)

if __name__ == "__main__":
    raise SystemExit(main(NAME))
