"""word2vec (L40): CBOW and skip-gram with negative sampling, trained on a token stream.

"Deep Learning from Scratch 2" ch. 3-4.  A word's vector is a row of the input
embedding W_in, learnt by predicting a word from its neighbours (CBOW) or the
neighbours from the word (skip-gram); the V-way softmax is replaced by negative
sampling (:class:`~abcdl.layers.NegativeSamplingLoss`)::

    >>> from abcdl import text, word2vec
    >>> c = text.load_corpus("shakespeare", max_size=5000)
    >>> wv, losses = word2vec.train(c.train, c.vocab, model="cbow", dim=100, window=5, epochs=3)
    >>> wv.most_similar("king"), wv.save("shakespeare.wv.safetensors")
"""

from __future__ import annotations

import numpy as np

from ._config import get_rng, resolve_dtype
from ._types import Rng
from .layers import Embedding, NegativeSamplingLoss
from .module import Module
from .optim import Adam
from .text import Vocabulary
from .wordvec import WordVectors, _check_ids

__all__ = ["contexts_target", "CBOW", "SkipGram", "train", "MODELS"]


def contexts_target(ids, window: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Every position t with ``window`` words on each side: contexts (N, 2 window) and target (N,).

    Formula
    -------
    contexts_t = (w_{t-window}, .., w_{t-1}, w_{t+1}, .., w_{t+window}),  target_t = w_t
    """
    ids = np.asarray(ids)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    if ids.ndim != 1 or len(ids) < 2 * window + 1:
        raise ValueError(f"ids must be a 1-D sequence of at least 2 window + 1 = {2 * window + 1} word ids, "
                         f"got shape {ids.shape}")
    N = len(ids) - 2 * window
    offsets = [d for d in range(-window, window + 1) if d != 0]
    contexts = np.stack([ids[window + d:window + d + N] for d in offsets], axis=1)
    return contexts, ids[window:window + N].copy()


class _Word2Vec(Module):
    """W_in (an Embedding) and the negative-sampling loss over W_out: what CBOW and skip-gram share."""

    def __init__(self, vocab_size: int, dim: int, counts=None, sample_size: int = 5,
                 rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        gen, dt = get_rng(rng), resolve_dtype(dtype)
        self.embed = Embedding(vocab_size, dim, init=0.01, rng=gen, dtype=dt)                 # W_in
        self.loss = NegativeSamplingLoss(vocab_size, dim, counts=counts, sample_size=sample_size,
                                         init=0.01, rng=gen, dtype=dt)                        # W_out

    def __call__(self, contexts, target):
        return self.forward(contexts, target)

    @property
    def word_vectors(self) -> np.ndarray:
        """W_in (V, D): the word vectors (the book keeps the input side)."""
        return self.embed.W.data


class CBOW(_Word2Vec):
    """Continuous bag of words: the mean of the context vectors predicts the target  (L40).

    Shapes
    ------
    forward(contexts (m, 2w), target (m,)) -> the loss (float); backward() -> None.

    Formula
    -------
    h = (1/2w) sum_c W_in[context_c];   J = NegativeSampling(h, target)
    dW_in[context_c] += dh / 2w
    """

    def forward(self, contexts, target) -> float:
        ctx = np.asarray(contexts)
        if ctx.ndim != 2 or ctx.shape[1] == 0:
            raise ValueError(f"CBOW: contexts must have shape (m, 2 window), got {ctx.shape}")
        h = self.embed(ctx).mean(axis=1)                 # h = (1/2w) sum_c W_in[context_c]
        return self.loss(h, target)

    def backward(self, dout=1.0, input_grad: bool = False) -> None:
        dh = self.loss.backward(dout)                    # dJ/dh (m, D)
        ctx = self.embed._ids
        dH = np.repeat(dh[:, None, :] / ctx.shape[1], ctx.shape[1], axis=1)   # dJ/dW_in[context_c] = dh / 2w
        self.embed.backward(dH, input_grad=False)


class SkipGram(_Word2Vec):
    """Skip-gram: the target's vector predicts each of its context words  (L40).

    Every (target, context word) pair is one example of the loss, so J is the mean
    over the m * 2w pairs (the book sums over the 2w context words: 2w times this J).

    Formula
    -------
    h = W_in[target];   J = NegativeSampling(h repeated 2w times, every context word)
    dW_in[target] += sum_c dh_c
    """

    def forward(self, contexts, target) -> float:
        ctx = np.asarray(contexts)
        if ctx.ndim != 2 or ctx.shape[1] == 0:
            raise ValueError(f"SkipGram: contexts must have shape (m, 2 window), got {ctx.shape}")
        h = self.embed(target)                           # h = W_in[target]  (m, D)
        self._k = ctx.shape[1]
        return self.loss(np.repeat(h, self._k, axis=0), ctx.reshape(-1))   # one row per (target, context)

    def backward(self, dout=1.0, input_grad: bool = False) -> None:
        dh = self.loss.backward(dout)                    # (m * 2w, D)
        self.embed.backward(dh.reshape(-1, self._k, dh.shape[1]).sum(axis=1), input_grad=False)  # sum_c dh_c


MODELS = {"cbow": CBOW, "skipgram": SkipGram}


def train(ids, vocab: Vocabulary, model: str = "cbow", dim: int = 100, window: int = 5, epochs: int = 3,
          batch_size: int = 100, lr: float = 1e-3, sample_size: int = 5,
          rng: Rng | None = None) -> tuple[WordVectors, list[float]]:
    """Train word2vec on the token stream ``ids`` (ids of ``vocab``) with Adam; the vectors and mean losses.

    Returns
    -------
    (WordVectors of W_in with ``vocab``, the mean loss of every epoch)
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model!r}")
    if not isinstance(vocab, Vocabulary):
        raise TypeError(f"vocab must be an abcdl.text.Vocabulary, got {type(vocab).__name__}")
    ids = _check_ids(ids, len(vocab))
    gen = get_rng(rng)
    contexts, target = contexts_target(ids, window)
    net = MODELS[model](len(vocab), dim, counts=np.bincount(ids, minlength=len(vocab)),
                        sample_size=sample_size, rng=gen, dtype=np.float32)
    opt = Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order, total = gen.permutation(len(target)), 0.0
        for s in range(0, len(order), batch_size):
            batch = order[s:s + batch_size]
            net.zero_grad()
            total += net(contexts[batch], target[batch]) * len(batch)
            net.backward()
            opt.step()
        losses.append(total / len(order))
    return WordVectors(net.word_vectors.astype(np.float64), vocab), losses


