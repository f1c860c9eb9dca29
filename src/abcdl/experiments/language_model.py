"""An RNN language model against an LSTM language model on Shakespeare (L40; DLFS2 ch. 5-6).

A language model gives each next word a probability, P(w_{t+1} | w_1 .. w_t), and is
measured by its **perplexity** on text it has not read: exp of the mean cross-entropy
per word, the number of words it is "choosing between" on average.  The unigram model
(each word by its frequency, ignoring the context) is the baseline to beat.

The experiment trains two models of the same size on the same windows of the shipped
Tiny Shakespeare (split by position: train, validation, test), with truncated BPTT
(:func:`abcdl.lm.fit_lm`: rows at evenly spaced offsets, windows in order, the state
carried over, the gradient norm clipped), the same optimizer and epochs:

    Embedding -> RNN (tanh)  -> Linear -> softmax      DLFS2 ch. 5's RNNLM
    Embedding -> LSTM        -> Linear -> softmax      DLFS2 ch. 6's Rnnlm

It draws the validation perplexity per epoch of both against the unigram baseline and
reports the test perplexity once at the end, with a few sentences sampled from the
LSTM (a prompt, then words drawn one at a time from its softmax, ``<unk>`` skipped).

Run::

    abcdl demo language-model [--n-tokens 80000] [--epochs 5] [--hidden 100]
    python -m abcdl.experiments.language_model
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "language-model"
SPEC = ("L40",)
DESCRIPTION = "perplexity per epoch of an RNN and an LSTM language model on Shakespeare, the unigram baseline"

_TEXT = {
    "en": {"epoch": "epoch", "ppl": "validation perplexity (log scale)", "unigram": "unigram baseline",
           "title": "{n:,} training words, vocabulary {v:,}, batch {b} x {t} steps",
           "samples": "sampled from the LSTM", "test": "test perplexity: RNN {r:.1f}, LSTM {l:.1f}, "
           "unigram {u:.1f}"},
    "ko": {"epoch": "에포크", "ppl": "검증 퍼플렉서티 (로그 눈금)", "unigram": "유니그램 기준선",
           "title": "학습 단어 {n:,}개, 어휘 {v:,}개, 배치 {b} x {t} 단계",
           "samples": "LSTM이 생성한 문장", "test": "시험 퍼플렉서티: RNN {r:.1f}, LSTM {l:.1f}, "
           "유니그램 {u:.1f}"},
}
PROMPTS = ("the king", "i will", "what is")


def train_language_model(corpus, cell: str, embed: int, hidden: int, epochs: int, batch_size: int,
                         time_size: int, lr: float, max_norm: float, seed: int) -> dict:
    """Train one LM (Adam, clipped) on ``corpus.train``; its history, test perplexity, time and model."""
    from .. import lm
    from ..losses import SoftmaxCrossEntropyLoss
    from ..optim import Adam

    model = lm.language_model(len(corpus.vocab), embed, hidden, cell=cell, rng=np.random.default_rng(seed),
                              dtype=np.float32)
    loss_fn = SoftmaxCrossEntropyLoss()
    start = time.perf_counter()
    try:
        hist = lm.fit_lm(model, loss_fn, Adam(model.parameters(), lr=lr), corpus.train, epochs=epochs,
                         batch_size=batch_size, time_size=time_size, max_norm=max_norm,
                         validation=corpus.val, verbose=0)
    except FloatingPointError as exc:
        check_param(False, "lr", f"the {cell} model diverged with lr={lr:g} ({exc}); try a smaller one")
    seconds = time.perf_counter() - start
    _, test_ppl = lm.evaluate_lm(model, loss_fn, corpus.test, batch_size, time_size)
    return {"val_perplexity": hist.history["val_perplexity"], "train_perplexity": hist.history["perplexity"],
            "test_perplexity": test_ppl, "seconds": seconds, "model": model}


def _check(embed, hidden, epochs, batch_size, time_size, lr, max_norm, seed) -> None:
    """The model's and the training's settings (shared with char-rnn)."""
    check_count(embed, "embed", 1, 1_000, "run time")
    check_count(hidden, "hidden", 1, 1_000, "run time")
    check_count(epochs, "epochs", 1, 100, "run time: the default 5 take about a minute")
    check_count(batch_size, "batch_size", 1, 1_000, "memory")
    check_count(time_size, "time_size", 1, 1_000, "memory")
    check_real(lr, "lr", 1e-6, 1.0, "Adam's steps larger than 1 only diverge")
    check_real(max_norm, "max_norm", 1e-6, 1e6)
    check_seed(seed)


def compute(*, n_tokens: int = 80_000, vocab: int = 3_000, embed: int = 64, hidden: int = 100,
            epochs: int = 5, batch_size: int = 20, time_size: int = 35, lr: float = 0.005,
            max_norm: float = 1.0, n_samples: int = 3, sample_words: int = 25, seed: int = 0) -> dict:
    """Train an RNN LM and an LSTM LM on the first ``n_tokens`` words of Shakespeare; compare perplexities.

    Parameters
    ----------
    n_tokens : int
        Words (tokens) of the corpus used, split 90/5/5 by position.
    vocab : int
        Vocabulary size (with ``<unk>``), built from the training part.
    embed, hidden : int
        Embedding width D and hidden width H of both models.
    epochs, batch_size, time_size : int
        Passes, rows per mini-batch and steps per window of truncated BPTT.
    lr, max_norm : float
        Adam's learning rate and the gradient-norm clip, the same for both.
    n_samples, sample_words : int
        Sentences sampled from the LSTM (prompts "the king", "i will", ...) and words in each.
    seed : int
        Initial weights (the same draw for both models' embeddings and heads) and the sampling.

    Returns
    -------
    dict
        ``numbers``: ``rnn`` and ``lstm`` ({"val_perplexity" per epoch, "train_perplexity",
        "test_perplexity", "seconds"}), ``unigram`` ({"val_perplexity", "test_perplexity"}),
        ``lstm_beats_rnn``, ``lstm_beats_unigram`` (on the test text), ``samples`` (the sentences),
        ``n_train``, ``vocab``; ``highlights``.
    """
    check_count(n_tokens, "n_tokens", 2_000, 300_000, "the corpus has about 286,000 words")
    check_count(vocab, "vocab", 10, 20_000, "the corpus has about 12,400 distinct tokens")
    _check(embed, hidden, epochs, batch_size, time_size, lr, max_norm, seed)
    check_count(n_samples, "n_samples", 0, 10, "a figure has room for a few")
    check_count(sample_words, "sample_words", 1, 200, "a figure has room for a few lines")
    from .. import lm, text

    corpus = text.load_corpus("shakespeare", "word", max_size=vocab, n_tokens=n_tokens)
    V = len(corpus.vocab)
    runs = {cell: train_language_model(corpus, cell, embed, hidden, epochs, batch_size, time_size, lr,
                                       max_norm, seed) for cell in ("rnn", "lstm")}
    uni = {"val_perplexity": text.unigram_perplexity(corpus.train, corpus.val, V),
           "test_perplexity": text.unigram_perplexity(corpus.train, corpus.test, V)}
    rng = np.random.default_rng(seed)
    samples = []
    for prompt in (PROMPTS * 4)[:n_samples]:
        ids = lm.generate(runs["lstm"]["model"], corpus.vocab.encode(prompt.split()), sample_words,
                          skip_ids=(0,), rng=rng)
        samples.append(prompt + " " + corpus.vocab.decode(ids).replace("\n", " / ").strip())
    numbers = {"n_train": len(corpus.train), "vocab": V, "epochs": epochs, "batch_size": batch_size,
               "time_size": time_size, "hidden": hidden, "unigram": uni, "samples": samples,
               **{cell: {k: v for k, v in r.items() if k != "model"} for cell, r in runs.items()}}
    numbers["lstm_beats_rnn"] = runs["lstm"]["test_perplexity"] < runs["rnn"]["test_perplexity"]
    numbers["lstm_beats_unigram"] = runs["lstm"]["test_perplexity"] < uni["test_perplexity"]
    return {"numbers": numbers, "highlights": _highlights(numbers)}


def _highlights(nb: dict) -> list[str]:
    return [f"{nb['n_train']:,} training words, vocabulary {nb['vocab']:,}, H = {nb['hidden']}, "
            f"{nb['epochs']} epochs of {nb['batch_size']} x {nb['time_size']} windows",
            f"test perplexity: RNN {nb['rnn']['test_perplexity']:.1f}, "
            f"LSTM {nb['lstm']['test_perplexity']:.1f}, "
            f"unigram {nb['unigram']['test_perplexity']:.1f}",
            f"training time: RNN {nb['rnn']['seconds']:.1f} s, LSTM {nb['lstm']['seconds']:.1f} s",
            *(f"LSTM: {s}" for s in nb["samples"][:2])]


def draw(data: dict, style: FigureStyle) -> Figure:
    """Validation perplexity per epoch (RNN, LSTM, unigram) and the sampled sentences."""
    import textwrap

    t = style.labels(_TEXT)
    nb = data["numbers"]
    with style.context():
        fig = style.figure(figsize=(12, 4.4))
        ax, ax_txt = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.1, 1]})
        epochs = np.arange(1, nb["epochs"] + 1)
        for cell, color in (("rnn", "C3"), ("lstm", "C0")):
            ax.plot(epochs, nb[cell]["val_perplexity"], "o-", color=color, label=cell.upper())
        ax.axhline(nb["unigram"]["val_perplexity"], color="0.4", ls="--", label=t["unigram"])
        ax.set_yscale("log")
        ax.set_xlabel(t["epoch"])
        ax.set_ylabel(t["ppl"])
        ax.set_xticks(epochs)
        ax.set_title(t["title"].format(n=nb["n_train"], v=nb["vocab"], b=nb["batch_size"], t=nb["time_size"]))
        ax.legend()
        ax_txt.axis("off")
        ax_txt.set_title(t["samples"])
        lines = [textwrap.fill(s, 60) for s in nb["samples"]]
        ax_txt.text(0, 0.95, "\n\n".join(lines), va="top", ha="left", family="monospace", fontsize=8,
                    transform=ax_txt.transAxes)
        ax_txt.text(0, 0.02, t["test"].format(r=nb["rnn"]["test_perplexity"], l=nb["lstm"]["test_perplexity"],
                                              u=nb["unigram"]["test_perplexity"]),
                    transform=ax_txt.transAxes, fontsize=9)
    return fig


def run(*, lang: str = "en", n_tokens: int = 80_000, vocab: int = 3_000, embed: int = 64, hidden: int = 100,
        epochs: int = 5, batch_size: int = 20, time_size: int = 35, lr: float = 0.005, max_norm: float = 1.0,
        n_samples: int = 3, sample_words: int = 25, seed: int = 0) -> Result:
    """Train an RNN LM and an LSTM LM on Shakespeare and compare their perplexities with a unigram model.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    """
    params = dict(locals())
    data = compute(n_tokens=n_tokens, vocab=vocab, embed=embed, hidden=hidden, epochs=epochs,
                   batch_size=batch_size, time_size=time_size, lr=lr, max_norm=max_norm, n_samples=n_samples,
                   sample_words=sample_words, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
