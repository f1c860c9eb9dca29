"""A small Transformer learns the date task; its decoder's attention (L40; Coursera course 5, week 4).

The same generated date task as ``attention-dates`` ("september 27, 1994" ->
"1994-09-27"), learned by :class:`abcdl.attention_seq2seq.TransformerSeq2seq`: no
recurrence at all, only pre-norm encoder and decoder blocks (multi-head
self-attention, causal in the decoder, cross-attention on the encoder, a feed-forward
net, LayerNorm and residuals) and sinusoidal positions, each backward written by hand.
Coursera's claim: attention alone, with positions added to the embeddings, learns
such a sequence-to-sequence map.  The numbers are the held-out exact-match accuracy
and, as in ``attention-dates``, the share of the last decoder block's cross-attention
(mean over heads) that the four year steps put on the question's year.

Run::

    abcdl demo transformer-dates [--n-train 20000] [--epochs 8] [--d-model 64]
    python -m abcdl.experiments.transformer_dates
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "transformer-dates"
SPEC = ("L40",)
DESCRIPTION = "a small pre-norm Transformer learns dates -> ISO; the heat map of its cross-attention"

_TEXT = {
    "en": {"epoch": "epoch", "acc": "exact-match accuracy (held-out dates)", "loss": "training loss",
           "title": "{model}: {acc:.2%} of {n} held-out dates right",
           "heat": "cross-attention (last block, mean of heads); year steps on the year: {year:.0%}",
           "input": "input characters $s$", "output": "output step $t$"},
    "ko": {"epoch": "에포크", "acc": "완전 일치 정확도 (처음 보는 날짜)", "loss": "학습 손실",
           "title": "{model}: 처음 보는 날짜 {n}개 중 {acc:.2%} 정답",
           "heat": "교차 어텐션 (마지막 블록, 헤드 평균); 연도 단계가 연도에 둔 비중: {year:.0%}",
           "input": "입력 문자 $s$", "output": "출력 단계 $t$"},
}


def compute(*, n_train: int = 20000, n_test: int = 2000, d_model: int = 64, heads: int = 4,
            d_ff: int = 128, layers: int = 2, epochs: int = 8, batch_size: int = 128, lr: float = 0.001,
            seed: int = 0) -> dict:
    """Train the Transformer on generated dates and measure it on held-out ones.

    Parameters
    ----------
    n_train, n_test : int
        Generated training and held-out pairs.
    d_model, heads, d_ff, layers : int
        E, h (must divide E), the feed-forward width and the blocks in encoder and decoder.
    epochs, batch_size, lr : int, int, float
        Adam with gradient-norm clipping at 5.
    seed : int
        Data, initial weights and batch order.

    Returns
    -------
    dict
        As ``attention-dates``: ``numbers`` (``test_accuracy``, ``accuracy_per_epoch``,
        ``loss_per_epoch``, ``year_attention``, ``example``), ``highlights``, ``weights``.
    """
    from .attention_dates import _check, _result, train_and_measure

    _check(n_train, n_test, epochs, batch_size, lr, seed)
    check_count(d_model, "d_model", 1, 1024, "run time")
    check_count(heads, "heads", 1, d_model, "each head needs a column")
    check_count(d_ff, "d_ff", 1, 4096, "run time")
    check_count(layers, "layers", 1, 12, "run time")
    from ..attention_seq2seq import TransformerSeq2seq
    from ..date_task import DATE_CHARS, QUESTION_LEN
    from ._base import check_param

    check_param(d_model % heads == 0, "heads", f"must divide d_model={d_model}, got {heads}")
    rng = np.random.default_rng(seed)
    model = TransformerSeq2seq(len(DATE_CHARS), d_model, heads, d_ff, layers, max_len=QUESTION_LEN,
                               rng=rng, dtype=np.float32)
    out = train_and_measure(model, n_train, n_test, epochs, batch_size, lr, rng)
    return _result(out, "Transformer", {"d_model": d_model, "heads": heads, "layers": layers})


def draw(data: dict, style: FigureStyle) -> Figure:
    """Accuracy per epoch, and the cross-attention heat map of one held-out date."""
    from .attention_dates import draw_panels

    return draw_panels(data, style, style.labels(_TEXT))


def run(*, lang: str = "en", n_train: int = 20000, n_test: int = 2000, d_model: int = 64, heads: int = 4,
        d_ff: int = 128, layers: int = 2, epochs: int = 8, batch_size: int = 128, lr: float = 0.001,
        seed: int = 0) -> Result:
    """A small pre-norm Transformer learns to convert dates to ISO; the heat map of its cross-attention.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    """
    params = dict(locals())
    data = compute(n_train=n_train, n_test=n_test, d_model=d_model, heads=heads, d_ff=d_ff, layers=layers,
                   epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
