"""Word vectors (L40): counting (co-occurrence, PPMI, SVD) and the queries on any word vectors.

"Deep Learning from Scratch 2" ch. 2 gives a word the company it keeps: count how
often each word appears next to each other word, weigh the counts by PPMI so that
"the" stops dominating, and compress the (V, V) matrix to D dimensions by SVD::

    >>> from abcdl import text, wordvec
    >>> c = text.load_corpus("shakespeare", max_size=3000)
    >>> C = wordvec.co_occurrence(c.train, len(c.vocab), window=2)
    >>> wv = wordvec.WordVectors(wordvec.svd_vectors(wordvec.ppmi(C), 100), c.vocab)
    >>> wv.most_similar("king"), wv.analogy("king", "man", "woman")

:class:`WordVectors` holds vectors of any origin (these, or word2vec's from
:mod:`abcdl.word2vec`) with their :class:`~abcdl.text.Vocabulary`, answers
``most_similar`` and ``analogy`` by cosine similarity, and saves itself as one
safetensors file (the vectors, and the vocabulary in the metadata), written atomically.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ._io import atomic_write
from .text import UNK, Vocabulary

__all__ = ["co_occurrence", "ppmi", "svd_vectors", "cosine_similarity", "WordVectors"]

_FORMAT = "abcdl.wordvectors"


def _check_ids(ids, vocab_size: int) -> np.ndarray:
    ids = np.asarray(ids)
    if ids.ndim != 1 or ids.size < 2 or ids.dtype.kind not in "iu":
        raise ValueError(f"ids must be a 1-D integer array of at least 2 word ids, got shape {ids.shape}, "
                         f"dtype {ids.dtype}")
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"ids must lie in [0, {vocab_size}) for a vocabulary of {vocab_size}, got "
                         f"{ids.min()}..{ids.max()}")
    return ids.astype(np.int64, copy=False)


def co_occurrence(ids, vocab_size: int, window: int = 1) -> np.ndarray:
    """The co-occurrence matrix C (V, V): C[w, v] = times v appears within ``window`` words of w (L40).

    Formula
    -------
    C[w_t, w_{t+d}] += 1 and C[w_{t+d}, w_t] += 1 for d = 1..window    (symmetric)
    """
    ids = _check_ids(ids, vocab_size)
    if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be an integer >= 1, got {window!r}")
    C = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    for d in range(1, min(window, len(ids) - 1) + 1):
        np.add.at(C, (ids[:-d], ids[d:]), 1)            # v = w_{t+d} is right of w = w_t
        np.add.at(C, (ids[d:], ids[:-d]), 1)            # and w_t is left of w_{t+d}
    return C


def ppmi(C, eps: float = 1e-8) -> np.ndarray:
    """Positive pointwise mutual information of a co-occurrence matrix (L40).

    Formula
    -------
    PMI(x, y) = log2( C(x, y) N / (C(x) C(y)) ),  N = sum C,  C(x) = sum_y C(x, y);
    PPMI = max(0, PMI)   (a pair never seen has PMI -inf: it becomes 0)
    """
    C = np.asarray(C, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] != C.shape[1] or np.any(C < 0) or C.sum() <= 0:
        raise ValueError(f"C must be a square matrix of non-negative counts, not all 0, got shape {C.shape}")
    N = C.sum()                                         # N
    S = C.sum(axis=0)                                   # C(x)
    pmi = np.log2(C * N / (np.outer(S, S) + eps) + eps)   # log2(C(x,y) N / (C(x) C(y)))
    return np.maximum(pmi, 0)                           # PPMI = max(0, PMI)


def svd_vectors(M, dim: int, power_iterations: int = 4) -> np.ndarray:
    """The first ``dim`` columns of U S of M = U S V^T: the best rank-``dim`` picture of M's rows (L40).

    A full SVD of a (V, V) matrix costs O(V^3); when ``dim`` is small against V the
    truncated SVD is found by the randomized range finder (Halko, Martinsson and Tropp
    2011, what the book's ``sklearn.utils.extmath.randomized_svd`` does): Q spans M Omega
    for a random Omega of dim + 10 columns, sharpened by ``power_iterations`` products
    with M M^T, and the small matrix Q^T M is decomposed exactly.  The seed is fixed.

    Shapes
    ------
    M: (V, V) -> (V, dim).  Each column's sign is fixed (largest entry positive), so runs agree.
    """
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) \
            or not 1 <= dim <= min(M.shape):
        raise ValueError(f"dim must be an integer in [1, {min(M.shape) if M.ndim == 2 else '?'}] for M of "
                         f"shape {M.shape}, got {dim!r}")
    k = dim + 10                                        # oversampling
    if 2 * k < min(M.shape):
        omega = np.random.default_rng(0).standard_normal((M.shape[1], k))   # Omega (V, dim + 10)
        Q = np.linalg.qr(M @ omega)[0]                  # range of M Omega
        for _ in range(power_iterations):
            Q = np.linalg.qr(M @ np.linalg.qr(M.T @ Q)[0])[0]   # range of (M M^T)^q M Omega
        Ub, S, _ = np.linalg.svd(Q.T @ M, full_matrices=False)   # Q^T M = Ub S V^T
        U = Q @ Ub                                       # M ~ (Q Ub) S V^T
    else:
        U, S, _ = np.linalg.svd(M, full_matrices=False)  # M = U S V^T, S in decreasing order
    X = U[:, :dim] * S[:dim]                            # keep the dim largest singular directions
    sign = np.sign(X[np.argmax(np.abs(X), axis=0), np.arange(dim)])
    return X * np.where(sign == 0, 1, sign)


def cosine_similarity(x, y, eps: float = 1e-8):
    """cos(x, y) = x . y / (||x|| ||y||) along the last axis (rows of a matrix against a vector too)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    nx = np.linalg.norm(x, axis=-1) + eps               # ||x||
    ny = np.linalg.norm(y, axis=-1) + eps               # ||y||
    return np.sum(x * y, axis=-1) / (nx * ny)           # x . y / (||x|| ||y||)


class WordVectors:
    """Word vectors with their vocabulary: ``most_similar``, ``analogy``, ``save`` / ``load`` (L40).

    Parameters
    ----------
    vectors : array (V, D)
        Row i is the vector of ``vocab.tokens[i]``.
    vocab : Vocabulary
        Must hold exactly V tokens (a mismatch is a ValueError).
    """

    def __init__(self, vectors, vocab: Vocabulary) -> None:
        if not isinstance(vocab, Vocabulary):
            raise TypeError(f"vocab must be an abcdl.text.Vocabulary, got {type(vocab).__name__}")
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.dtype.kind != "f" or not np.all(np.isfinite(vectors)):
            raise ValueError(f"vectors must be a finite float matrix (V, D), got shape {vectors.shape}, "
                             f"dtype {vectors.dtype}")
        if len(vectors) != len(vocab):
            raise ValueError(f"vectors and vocabulary do not match: {len(vectors)} vectors for a vocabulary "
                             f"of {len(vocab)} tokens")
        self.vectors, self.vocab = vectors, vocab

    def __repr__(self) -> str:
        return f"WordVectors({self.vectors.shape[0]} words x {self.vectors.shape[1]} dimensions)"

    def id(self, word: str) -> int:
        """The id of ``word``; ValueError when the vocabulary does not hold it (``<unk>`` is no word)."""
        if not isinstance(word, str) or word not in self.vocab or word == UNK:
            raise ValueError(f"unknown word {word!r}: not in the vocabulary of {len(self.vocab)} words")
        return self.vocab.index[word]

    def vector(self, word: str) -> np.ndarray:
        return self.vectors[self.id(word)]

    def _nearest(self, query: np.ndarray, exclude: set[int], top: int) -> list[tuple[str, float]]:
        if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
            raise ValueError(f"top must be an integer >= 1, got {top!r}")
        sim = cosine_similarity(self.vectors, query)    # cos(v_w, query) for every word w
        sim[list(exclude | {0})] = -np.inf              # never the query words, never <unk>
        order = np.argsort(-sim, kind="stable")[:top]
        return [(self.vocab.tokens[i], float(sim[i])) for i in order if np.isfinite(sim[i])]

    def most_similar(self, word: str, top: int = 5) -> list[tuple[str, float]]:
        """The ``top`` words of highest cosine similarity to ``word``, as (word, similarity) pairs."""
        i = self.id(word)
        return self._nearest(self.vectors[i], {i}, top)

    def analogy(self, a: str, b: str, c: str, top: int = 1) -> list[tuple[str, float]]:
        """The words nearest to v_a - v_b + v_c (king - man + woman ~ queen), a, b, c left out."""
        ids = [self.id(w) for w in (a, b, c)]
        query = self.vectors[ids[0]] - self.vectors[ids[1]] + self.vectors[ids[2]]   # v_a - v_b + v_c
        return self._nearest(query, set(ids), top)

    def save(self, path: str | os.PathLike) -> Path:
        """One safetensors file, written atomically: the tensor ``vectors`` and the vocabulary as metadata."""
        import safetensors.numpy
        meta = {"format": _FORMAT, "vocab": json.dumps(self.vocab.to_dict())}
        data = safetensors.numpy.save({"vectors": np.ascontiguousarray(self.vectors)}, metadata=meta)
        return atomic_write(Path(path).expanduser(), data)

    @classmethod
    def load(cls, path: str | os.PathLike) -> WordVectors:
        """The word vectors :meth:`save` wrote; ValueError when the file is not one, or does not match."""
        from safetensors import SafetensorError, safe_open
        path = Path(path).expanduser()
        try:
            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
                if meta.get("format") != _FORMAT or "vectors" not in f.keys():
                    raise ValueError(f"{path}: not an abcdl word-vectors file (no 'vectors' tensor and "
                                     f"{_FORMAT!r} metadata)")
                vectors = f.get_tensor("vectors")
            vocab = Vocabulary.from_dict(json.loads(meta["vocab"]))
        except (OSError, KeyError, json.JSONDecodeError, SafetensorError) as exc:
            raise ValueError(f"{path}: cannot read word vectors ({exc})") from exc
        return cls(vectors, vocab)
