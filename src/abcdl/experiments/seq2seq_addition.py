"""seq2seq learns addition from text: base, reversed input, reversed + peeky (L40; DLFS2 ch. 7).

The book trains an LSTM encoder-decoder on questions like "16+75" with answers like
"91", one character at a time, and measures two improvements on held-out questions:
reversing the question (the first digits the decoder writes depend on the last
digits it read, now closest to it) and "peeky" decoding (the encoder's summary h fed
to every decoder step, not only as its first state).  The book's curves: the base
model stays near 10% after 25 epochs, reversed reaches about 50%, reversed + peeky
about 99%.  Here the three models train on the same generated questions with the same
seed (:mod:`abcdl.seq2seq`, :func:`abcdl.text.addition_task`), and the figure draws
exact-match accuracy per epoch.  The defaults are a small version that runs in
minutes; the book's size is ``--n 50000 --digits 3 --hidden 128 --epochs 25``
(results in ``bench/RESULTS.md``).

Run::

    abcdl demo seq2seq-addition [--n 5000] [--digits 2] [--epochs 12]
    python -m abcdl.experiments.seq2seq_addition
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "seq2seq-addition"
SPEC = ("L40",)
DESCRIPTION = "an LSTM encoder-decoder learns addition from text; reversed input and peeky decoding help"

VARIANTS = (("base", False, False), ("reversed", True, False), ("reversed_peeky", True, True))

_TEXT = {
    "en": {"epoch": "epoch", "acc": "exact-match accuracy (held-out questions)",
           "base": "base", "reversed": "reversed input", "reversed_peeky": "reversed + peeky",
           "title": "addition as text: {n:,} questions of up to {d} digits, H = {H}",
           "loss": "training loss (cross-entropy per character)"},
    "ko": {"epoch": "에포크", "acc": "정답률 (완전 일치, 시험 문제)",
           "base": "기본", "reversed": "입력 반전", "reversed_peeky": "입력 반전 + 엿보기(peeky)",
           "title": "문자열 덧셈: 문제 {n:,}개, 최대 {d}자리, H = {H}",
           "loss": "학습 손실 (문자당 교차 엔트로피)"},
}


def compute(*, n: int = 5000, digits: int = 2, hidden: int = 64, embed: int = 16, epochs: int = 12,
            batch_size: int = 32, lr: float = 0.01, seed: int = 0) -> dict:
    """Train base, reversed and reversed + peeky seq2seq on the same addition questions.

    Parameters
    ----------
    n : int
        Questions generated (distinct); 90% train, 10% held out.
    digits : int
        Up to this many digits per number (the book: 3).
    hidden, embed : int
        H and D of the LSTMs and embeddings (the book: 128 and 16).
    epochs, batch_size, lr : Adam with gradient clipping at 5 (the book: 25 epochs, batch 128, lr 1e-3).
    seed : int
        Questions, initial weights and batch order (the same for the three models).

    Returns
    -------
    dict
        ``numbers``: the final held-out accuracy of each model, ``peeky_beats_base``;
        ``highlights``; ``accuracy`` and ``loss``: per model, per epoch.
    """
    check_count(digits, "digits", 1, 4, "run time")
    check_count(n, "n", 20, 1_000_000, "run time")
    check_count(hidden, "hidden", 1, 2048, "run time")
    check_count(embed, "embed", 1, 1024, "run time")
    check_count(epochs, "epochs", 1, 1000, "run time")
    check_count(batch_size, "batch_size", 1, 100_000, "memory")
    check_real(lr, "lr", 1e-6, 1.0, "Adam's steps larger than 1 only diverge")
    check_seed(seed)
    from .. import seq2seq, text
    from ._base import check_param

    distinct = (10 ** digits) ** 2 // 2
    check_param(n <= distinct, "n", f"must be at most {distinct:,} (distinct questions of {digits} digits), "
                                    f"got {n:,}")
    q, a = text.addition_task(n, digits=digits, rng=seed)
    acc, loss = {}, {}
    for name, reverse, peeky in VARIANTS:
        train, test = seq2seq.encode_pairs(q, a, reverse=reverse).split(0.9)
        model = seq2seq.Seq2seq(len(train.vocab), embed, hidden, peeky=peeky, rng=seed, dtype=np.float32)
        hist = seq2seq.fit(model, train, test, epochs=epochs, batch_size=batch_size, lr=lr, rng=seed)
        acc[name], loss[name] = hist["accuracy"], hist["loss"]
    final = {name: acc[name][-1] for name, _, _ in VARIANTS}
    numbers = {f"accuracy_{k}": v for k, v in final.items()}
    numbers.update(n=n, digits=digits, hidden=hidden, epochs=epochs,
                   peeky_beats_base=final["reversed_peeky"] > final["base"])
    highlights = [f"{n:,} questions of up to {digits} digits, {epochs} epochs, H = {hidden}",
                  "held-out exact-match accuracy: " + ", ".join(f"{k} {v:.1%}" for k, v in final.items())]
    return {"numbers": numbers, "highlights": highlights, "accuracy": acc, "loss": loss}


def draw(data: dict, style: FigureStyle) -> Figure:
    """Accuracy per epoch of the three models, and their training losses."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    with style.context():
        fig = style.figure(figsize=(11, 4.2))
        ax, ax_loss = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        for k, (name, _, _) in enumerate(VARIANTS):
            acc = np.asarray(data["accuracy"][name])
            ep = np.arange(1, len(acc) + 1)
            ax.plot(ep, acc, "o-", color=f"C{k}", ms=3, label=t[name])
            ax_loss.plot(ep, data["loss"][name], color=f"C{k}", label=t[name])
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(t["epoch"])
        ax.set_ylabel(t["acc"])
        ax.set_title(t["title"].format(n=nb["n"], d=nb["digits"], H=nb["hidden"]))
        ax.legend(loc="upper left")
        ax_loss.set_xlabel(t["epoch"])
        ax_loss.set_ylabel(t["loss"])
    return fig


def run(*, lang: str = "en", n: int = 5000, digits: int = 2, hidden: int = 64, embed: int = 16,
        epochs: int = 12, batch_size: int = 32, lr: float = 0.01, seed: int = 0) -> Result:
    """seq2seq learns addition from text: base, reversed input, reversed + peeky decoding.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    """
    params = dict(locals())
    data = compute(n=n, digits=digits, hidden=hidden, embed=embed, epochs=epochs, batch_size=batch_size,
                   lr=lr, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
