"""A character-level LSTM writes Shakespeare (L40; Karpathy's char-rnn, DLFS2 ch. 7's generation).

The same language model as ``language-model``, one character at a time: the vocabulary
is the corpus' 65 characters (and ``<unk>``), the input at step t is character c_t and
the target c_{t+1}.  Trained with truncated BPTT (:func:`abcdl.lm.fit_lm`) on the start
of the shipped Tiny Shakespeare, it then writes: from a prompt, each next character is
drawn from softmax(z / temperature) and fed back as the next input (the state carried).

The figure shows the validation perplexity per epoch (a uniform guess over the 66
symbols has perplexity 66; the unigram model of the characters is the dashed line) and
the text written at two temperatures: low (safe, repetitive) and 1 (the model's own
distribution).  The numbers also give bits per character, log2(perplexity).

Run::

    abcdl demo char-rnn [--n-chars 500000] [--epochs 3] [--hidden 128]
    python -m abcdl.experiments.char_rnn
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "char-rnn"
SPEC = ("L40",)
DESCRIPTION = "a character-level LSTM trained on Shakespeare writes text at two temperatures"

_TEXT = {
    "en": {"epoch": "epoch", "ppl": "validation perplexity per character", "unigram": "unigram baseline",
           "title": "{n:,} training characters, LSTM H = {H}",
           "samples": "written by the LSTM at temperature T (the prompt first)"},
    "ko": {"epoch": "에포크", "ppl": "문자당 검증 퍼플렉서티", "unigram": "유니그램 기준선",
           "title": "학습 문자 {n:,}개, LSTM H = {H}",
           "samples": "LSTM이 온도 T로 쓴 글 (프롬프트부터)"},
}


def compute(*, n_chars: int = 500_000, embed: int = 32, hidden: int = 128, epochs: int = 3,
            batch_size: int = 32, time_size: int = 50, lr: float = 0.005, max_norm: float = 1.0,
            prompt: str = "ROMEO:", sample_chars: int = 200, temperatures: tuple = (0.5, 1.0),
            seed: int = 0) -> dict:
    """Train a character-level LSTM on the first ``n_chars`` characters of Shakespeare and sample from it.

    Parameters
    ----------
    n_chars : int
        Characters of the corpus used, split 90/5/5 by position.
    embed, hidden : int
        Embedding width and LSTM width.
    epochs, batch_size, time_size, lr, max_norm
        Truncated BPTT with Adam and gradient-norm clipping.
    prompt : str
        The text the samples continue.
    sample_chars : int
        Characters written per temperature.
    temperatures : tuple of float
        Sampling temperatures (0 is greedy).
    seed : int
        Initial weights and sampling.

    Returns
    -------
    dict
        ``numbers``: ``val_perplexity`` per epoch, ``test_perplexity``, ``bits_per_char``,
        ``unigram_test_perplexity``, ``samples`` {temperature: text}, ``seconds``; ``highlights``.
    """
    check_count(n_chars, "n_chars", 1_000, 1_200_000, "the corpus has 1,115,394 characters")
    check_param(isinstance(prompt, str) and 0 < len(prompt) <= 200, "prompt", "must be 1 to 200 characters")
    check_count(sample_chars, "sample_chars", 1, 2_000, "a figure has room for a few lines")
    check_param(isinstance(temperatures, tuple) and 1 <= len(temperatures) <= 3, "temperatures",
                f"must be one to three numbers, got {temperatures!r}")
    for T in temperatures:
        check_real(T, "temperatures", 0, 10)
    check_seed(seed)
    from .. import lm, text
    from .language_model import _check, train_language_model

    _check(embed, hidden, epochs, batch_size, time_size, lr, max_norm, seed)
    corpus = text.load_corpus("shakespeare", "char", n_tokens=n_chars)
    r = train_language_model(corpus, "lstm", embed, hidden, epochs, batch_size, time_size, lr, max_norm, seed)
    rng = np.random.default_rng(seed)
    samples = {}
    for T in temperatures:
        ids = lm.generate(r["model"], corpus.vocab.encode(prompt), sample_chars, temperature=T, skip_ids=(0,),
                          rng=rng)
        samples[f"{T:g}"] = prompt + corpus.vocab.decode(ids)
    uni = text.unigram_perplexity(corpus.train, corpus.test, len(corpus.vocab))
    numbers = {"n_train": len(corpus.train), "hidden": hidden, "val_perplexity": r["val_perplexity"],
               "test_perplexity": r["test_perplexity"], "bits_per_char": math.log2(r["test_perplexity"]),
               "unigram_test_perplexity": uni, "unigram_val_perplexity":
               text.unigram_perplexity(corpus.train, corpus.val, len(corpus.vocab)),
               "samples": samples, "seconds": r["seconds"]}
    first = next(iter(samples.values())).split("\n")
    highlights = [f"{len(corpus.train):,} training characters, LSTM H = {hidden}, {epochs} epochs in "
                  f"{r['seconds']:.0f} s",
                  f"test perplexity {r['test_perplexity']:.2f} per character ({numbers['bits_per_char']:.2f} "
                  f"bits), unigram {uni:.1f}",
                  "sample: " + " / ".join(first[:3])]
    return {"numbers": numbers, "highlights": highlights}


def draw(data: dict, style: FigureStyle) -> Figure:
    """Validation perplexity per epoch, and the text written at each temperature."""
    t = style.labels(_TEXT)
    nb = data["numbers"]
    with style.context():
        fig = style.figure(figsize=(12, 5))
        ax, ax_txt = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
        epochs = np.arange(1, len(nb["val_perplexity"]) + 1)
        ax.plot(epochs, nb["val_perplexity"], "o-", color="C0", label="LSTM")
        ax.axhline(nb["unigram_val_perplexity"], color="0.4", ls="--", label=t["unigram"])
        ax.set_xticks(epochs)
        ax.set_xlabel(t["epoch"])
        ax.set_ylabel(t["ppl"])
        ax.set_title(t["title"].format(n=nb["n_train"], H=nb["hidden"]))
        ax.legend()
        ax_txt.axis("off")
        ax_txt.set_title(t["samples"])
        blocks = [f"T = {float(T):g}:\n" + "\n".join(s.split("\n")[:8])
                  for T, s in nb["samples"].items()]
        ax_txt.text(0, 1, "\n\n".join(blocks), va="top", ha="left", family="monospace", fontsize=7.5,
                    transform=ax_txt.transAxes)
    return fig


def run(*, lang: str = "en", n_chars: int = 500_000, embed: int = 32, hidden: int = 128, epochs: int = 3,
        batch_size: int = 32, time_size: int = 50, lr: float = 0.005, max_norm: float = 1.0,
        prompt: str = "ROMEO:", sample_chars: int = 200, temperatures: tuple = (0.5, 1.0),
        seed: int = 0) -> Result:
    """A character-level LSTM trained on Shakespeare writes text at two temperatures.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    """
    params = dict(locals())
    data = compute(n_chars=n_chars, embed=embed, hidden=hidden, epochs=epochs, batch_size=batch_size,
                   time_size=time_size, lr=lr, max_norm=max_norm, prompt=prompt, sample_chars=sample_chars,
                   temperatures=temperatures, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
