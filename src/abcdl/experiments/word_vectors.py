"""Word vectors from Shakespeare: counting (PPMI + SVD) beside word2vec (L40; DLFS2 ch. 2-4).

Two ways to give a word a vector from the company it keeps, on the same text (the
shipped Tiny Shakespeare, its training part): count the neighbours within a window,
weigh the counts by positive pointwise mutual information and keep the first D
singular directions (:mod:`abcdl.wordvec`), or learn the vectors by predicting a word
from its neighbours with CBOW and negative sampling (:mod:`abcdl.word2vec`).  The
numbers are the nearest neighbours (cosine similarity) of a few frequent words under
each method; the figure puts those words and their neighbours on the plane of their
first two principal components, one panel per method.

Run::

    abcdl demo word-vectors [--vocab 2000] [--dim 50] [--epochs 3]
    python -m abcdl.experiments.word_vectors
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ._base import FigureStyle, Result, check_count, check_param, check_real, check_seed, figure_style, main

if TYPE_CHECKING:
    from matplotlib.figure import Figure

NAME = "word-vectors"
SPEC = ("L40",)
DESCRIPTION = "PPMI + SVD beside word2vec (CBOW) on Shakespeare: nearest neighbours and a 2-D picture"

WORDS = ("king", "lord", "good", "he", "thou", "love", "night", "death")

_TEXT = {
    "en": {"ppmi": "counting: PPMI + SVD", "w2v": "word2vec: CBOW + negative sampling",
           "pc1": "first principal component", "pc2": "second principal component",
           "query": "query word", "neighbour": "its nearest neighbours"},
    "ko": {"ppmi": "세기: PPMI + SVD", "w2v": "word2vec: CBOW + 네거티브 샘플링",
           "pc1": "첫째 주성분", "pc2": "둘째 주성분",
           "query": "질의 단어", "neighbour": "가장 가까운 단어들"},
}


def _check(n_tokens, vocab, window, dim, epochs, lr, top, words, seed) -> None:
    check_count(n_tokens, "n_tokens", 1000, 10_000_000, "run time")
    check_count(vocab, "vocab", 10, 10_000, "memory: the co-occurrence matrix is vocab x vocab")
    check_count(window, "window", 1, 20, "run time")
    check_count(dim, "dim", 2, min(vocab - 1, 1000), "at most vocab - 1 singular directions")
    check_count(epochs, "epochs", 1, 100, "run time")
    check_real(lr, "lr", 1e-6, 1.0, "Adam's steps larger than 1 only diverge")
    check_count(top, "top", 1, 20, "the figure")
    check_param(isinstance(words, tuple) and len(words) >= 1 and all(isinstance(w, str) for w in words),
                "words", f"must be a comma list of words, got {words!r}")
    check_seed(seed)


def _pca2(X: np.ndarray) -> np.ndarray:
    """Rows of X (unit length first: cosine is what matters) on their first two principal axes."""
    X = X / (np.linalg.norm(X, axis=1, keepdims=True) + 1e-12)
    X = X - X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    return X @ Vt[:2].T


def compute(*, n_tokens: int = 300_000, vocab: int = 2000, window: int = 2, dim: int = 50, epochs: int = 3,
            lr: float = 0.001, top: int = 5, words: tuple = WORDS, seed: int = 0) -> dict:
    """PPMI + SVD and CBOW vectors of the same Shakespeare text; nearest neighbours of ``words``.

    Parameters
    ----------
    n_tokens : int
        The first tokens of the corpus to use (the whole corpus has about 286,000); its first 90% trains.
    vocab : int
        Vocabulary size (rarer words are ``<unk>``).
    window, dim : int
        Context window on each side, and the vectors' length D.
    epochs, lr : CBOW's training (Adam, batch 100, 5 negatives).
    top : int
        Neighbours shown per word.
    words : tuple of str
        The query words (each must be in the vocabulary).
    seed : int

    Returns
    -------
    dict
        ``numbers``: ``neighbours`` ({"ppmi": {word: [...]}, "word2vec": {...}}), ``loss`` per epoch,
        ``shared`` (neighbours both methods agree on); ``highlights``; ``points`` (per method: words and
        their 2-D coordinates).
    """
    _check(n_tokens, vocab, window, dim, epochs, lr, top, words, seed)
    from .. import text, word2vec, wordvec

    c = text.load_corpus("shakespeare", max_size=vocab, n_tokens=n_tokens)
    missing = [w for w in words if w not in c.vocab]
    check_param(not missing, "words", f"not in the vocabulary of {len(c.vocab)} words: {missing}")
    C = wordvec.co_occurrence(c.train, len(c.vocab), window=window)
    methods = {"ppmi": wordvec.WordVectors(wordvec.svd_vectors(wordvec.ppmi(C), dim), c.vocab)}
    methods["word2vec"], losses = word2vec.train(c.train, c.vocab, model="cbow", dim=dim, window=window,
                                                 epochs=epochs, lr=lr, rng=seed)
    neighbours, points = {}, {}
    for key, wv in methods.items():
        neighbours[key] = {w: [x for x, _ in wv.most_similar(w, top)] for w in words}
        shown = list(dict.fromkeys([*words, *(x for w in words for x in neighbours[key][w][:2])]))
        points[key] = (shown, _pca2(np.stack([wv.vector(x) for x in shown])))
    shared = sum(len(set(neighbours["ppmi"][w]) & set(neighbours["word2vec"][w])) for w in words)
    numbers = {"neighbours": neighbours, "loss": losses, "shared": shared, "tokens": len(c.train),
               "vocab": len(c.vocab), "dim": dim}
    highlights = [f"{len(c.train):,} training tokens, {len(c.vocab):,} words, D = {dim}, window {window}"]
    highlights += [f"{w}: PPMI {', '.join(neighbours['ppmi'][w][:3])} | word2vec "
                   f"{', '.join(neighbours['word2vec'][w][:3])}" for w in words]
    return {"numbers": numbers, "highlights": highlights, "points": points, "words": list(words)}


def _draw_panel(ax, shown, xy, queries, title, t) -> None:
    is_query = np.array([w in queries for w in shown])
    ax.scatter(xy[~is_query, 0], xy[~is_query, 1], s=12, color="C0", label=t["neighbour"])
    ax.scatter(xy[is_query, 0], xy[is_query, 1], s=30, color="C3", marker="s", label=t["query"])
    for w, (x, y) in zip(shown, xy, strict=True):
        ax.annotate(w, (x, y), fontsize=8, xytext=(3, 2), textcoords="offset points",
                    color="C3" if w in queries else "0.2", family="DejaVu Sans")
    ax.set_title(title)
    ax.set_xlabel(t["pc1"])
    ax.set_ylabel(t["pc2"])
    ax.legend(loc="best", fontsize=7)


def draw(data: dict, style: FigureStyle) -> Figure:
    """The query words and their two nearest neighbours on a plane, PPMI + SVD beside word2vec."""
    t = style.labels(_TEXT)
    with style.context():
        fig = style.figure(figsize=(12, 5.2))
        axes = fig.subplots(1, 2)
        for ax, key, title in ((axes[0], "ppmi", t["ppmi"]), (axes[1], "word2vec", t["w2v"])):
            shown, xy = data["points"][key]
            _draw_panel(ax, shown, np.asarray(xy), set(data["words"]), title, t)
    return fig


def run(*, lang: str = "en", n_tokens: int = 300_000, vocab: int = 2000, window: int = 2, dim: int = 50,
        epochs: int = 3, lr: float = 0.001, top: int = 5, words: tuple = WORDS, seed: int = 0) -> Result:
    """Word vectors from Shakespeare: PPMI + SVD beside word2vec, nearest neighbours and a 2-D picture.

    ``lang`` ("en" or "ko") labels the figure; the other parameters are :func:`compute`'s.
    """
    params = dict(locals())
    data = compute(n_tokens=n_tokens, vocab=vocab, window=window, dim=dim, epochs=epochs, lr=lr, top=top,
                   words=words, seed=seed)
    style = figure_style(lang)
    return Result(NAME, SPEC, data["numbers"], draw(data, style), params=params,
                  highlights=data["highlights"], style=style)


if __name__ == "__main__":
    raise SystemExit(main(NAME))
