"""Text for the sequence models (L40): the shipped corpus, tokens, and a :class:`Vocabulary`.

A language model reads a text as one long stream of token ids ("Deep Learning
from Scratch 2" ch. 2 and 5: ``corpus``, ``word_to_id``, ``id_to_word``)::

    >>> from abcdl import text
    >>> c = text.load_corpus("shakespeare", level="word", max_size=10000)
    >>> c.train[:8], c.vocab.decode(c.train[:8])      # ids, and back to words
    >>> len(c.vocab), c.vocab.unk                      # 10000 ids; rarer words are "<unk>"

- **The corpus** ships inside abcdl (``_resources/text/tinyshakespeare.txt``,
  public domain, SHA-256 checked on every load) and is split **by position**, never
  shuffled: the first 90% of the tokens for training, the next 5% for validation,
  the last 5% for testing, so the held-out text is text the model has not read (L37).
- **Words** are lower-case letters (with inner apostrophes: ``we'll``), and every
  other visible character is a token of its own (``,`` ``:`` ``?``); the end of each
  non-empty line is ``<eos>``, as in the book's Penn Treebank.  **Characters** are
  every character, the newline included (Karpathy's char-rnn).
- **The vocabulary** is built from the training part only: id 0 is the unknown token
  ``<unk>`` (what a word outside the vocabulary becomes), then the tokens by count,
  most frequent first; ``min_count`` and ``max_size`` send rare tokens to ``<unk>``.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data.idx import DataError
from .date_task import date_task

__all__ = ["CORPUS_FILE", "SHA256", "LEVELS", "UNK", "EOS", "Vocabulary", "Corpus", "load_shakespeare",
           "tokenize", "split_by_position", "load_corpus", "unigram_perplexity", "addition_task",
           "date_task"]

CORPUS_FILE = Path(__file__).resolve().parent / "_resources" / "text" / "tinyshakespeare.txt"
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
LEVELS = ("word", "char")
UNK = "<unk>"               # id 0 of every vocabulary: a token the vocabulary does not hold
EOS = "<eos>"               # the end of a line, in word-level text
CORPORA = ("shakespeare",)
FRACTIONS = (0.9, 0.05, 0.05)

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[^\sa-z]")   # a word (we'll, know't), or one other visible char
_ATTACH = set(",.;:!?")                               # punctuation written against the word before it
_MEMO: dict[tuple, str] = {}


def load_shakespeare(path: str | Path = CORPUS_FILE) -> str:
    """The shipped Tiny Shakespeare (1,115,394 characters), checked against :data:`SHA256`.

    Raises
    ------
    DataError
        The file is missing, unreadable or not the expected one (its digest differs).
    """
    path = Path(path)
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key in _MEMO:
            return _MEMO[key]
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the shipped Shakespeare corpus ({exc}); "
                        f"reinstall abcdl") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        raise DataError(f"{path}: SHA-256 is {digest}, expected {SHA256}; the file is corrupt or another "
                        f"version (reinstall abcdl)")
    _MEMO[key] = raw.decode("utf-8")
    return _MEMO[key]


def _check_level(level) -> str:
    if level not in LEVELS:
        raise ValueError(f"level must be 'word' or 'char', got {level!r}")
    return level


def tokenize(text: str, level: str = "word") -> list[str]:
    """The tokens of ``text``: words and punctuation with ``<eos>`` at each line's end, or characters."""
    if not isinstance(text, str):
        raise TypeError(f"tokenize: text must be a str, got {type(text).__name__}")
    if _check_level(level) == "char":
        return list(text)
    tokens: list[str] = []
    for line in text.lower().split("\n"):
        words = _WORD.findall(line)
        if words:
            tokens += words
            tokens.append(EOS)
    return tokens


def split_by_position(seq: Sequence, fractions: tuple[float, float, float] = FRACTIONS) -> tuple:
    """``(train, val, test)``: consecutive parts of ``seq`` in the given shares, in order (no shuffling).

    Shapes
    ------
    seq: length N -> parts of lengths round(f_1 N), round((f_1 + f_2) N) - round(f_1 N), the rest.
    """
    f = tuple(float(x) for x in fractions)
    if len(f) != 3 or min(f) <= 0 or abs(sum(f) - 1) > 1e-9:
        raise ValueError(f"fractions must be three shares > 0 summing to 1 (train, validation, test), "
                         f"got {fractions!r}")
    n = len(seq)
    a, b = round(f[0] * n), round((f[0] + f[1]) * n)
    if not 0 < a < b < n:
        raise ValueError(f"a sequence of {n} items is too short to split in shares {fractions}: "
                         f"every part needs at least one item")
    return seq[:a], seq[a:b], seq[b:]


class Vocabulary:
    """Token <-> id, with the unknown token ``<unk>`` at id 0 (L40; DLFS2's word_to_id / id_to_word).

    Parameters
    ----------
    tokens : sequence of str
        The tokens in id order; ``tokens[0]`` must be ``unk``.  Build one from a text with
        :meth:`build`.
    level : "word" or "char"
        How :meth:`encode` cuts a string into tokens and :meth:`decode` joins them.

    Attributes
    ----------
    tokens : list of str (id_to_word);  index : dict str -> int (word_to_id)

    Formula
    -------
    encode: token w -> index[w] if w is in the vocabulary, else 0 (``<unk>``);  decode: id -> tokens[id]
    """

    unk = UNK

    def __init__(self, tokens: Sequence[str], level: str = "word") -> None:
        self.level = _check_level(level)
        tokens = list(tokens)
        if not tokens or tokens[0] != UNK or not all(isinstance(t, str) and t for t in tokens):
            raise ValueError(f"Vocabulary: tokens must be non-empty strings starting with {UNK!r}, "
                             f"got {tokens[:3]!r}...")
        if len(set(tokens)) != len(tokens):
            raise ValueError("Vocabulary: tokens must be distinct")
        self.tokens = tokens                                        # id -> token
        self.index = {t: i for i, t in enumerate(tokens)}           # token -> id

    @classmethod
    def build(cls, source: str | Iterable[str], level: str = "word", min_count: int = 1,
              max_size: int | None = None) -> Vocabulary:
        """The vocabulary of ``source`` (a text, or its tokens): ``<unk>``, then tokens by count.

        Tokens seen fewer than ``min_count`` times, and all but the ``max_size - 1`` most
        frequent (``max_size`` counts ``<unk>``), are left out: they encode as ``<unk>``.
        Ties in count are ordered alphabetically, so the ids are the same on every machine.
        """
        if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, (int, np.integer))
                                     or max_size < 2):
            raise ValueError(f"max_size must be an integer >= 2 (<unk> and one token) or None, "
                             f"got {max_size!r}")
        tokens = tokenize(source, level) if isinstance(source, str) else source
        counts = Counter(tokens)
        counts.pop(UNK, None)
        kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[:max_size - 1]
        return cls([UNK, *kept], level)

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token) -> bool:
        return token in self.index

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} {self.level} tokens)"

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text`` at this vocabulary's level (see :func:`tokenize`)."""
        return tokenize(text, self.level)

    def encode(self, source: str | Iterable[str]) -> np.ndarray:
        """Ids (int64, (N,)) of a text (tokenized at this vocabulary's level) or of a list of tokens."""
        tokens = tokenize(source, self.level) if isinstance(source, str) else source
        get = self.index.get
        return np.fromiter((get(t, 0) for t in tokens), dtype=np.int64)   # unknown -> 0 (<unk>)

    def decode(self, ids) -> str:
        """The text of ``ids``: characters joined; words joined by spaces, ``<eos>`` as a line break."""
        ids = np.asarray(ids)
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError(f"decode: ids must be a 1-D array of integers, got shape {ids.shape}, "
                             f"dtype {ids.dtype}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise ValueError(f"decode: ids must lie in [0, {len(self)}) for a vocabulary of {len(self)}, "
                             f"got {ids.min()}..{ids.max()} among {ids.shape[0]} ids")
        tokens = [self.tokens[i] for i in ids.tolist()]
        if self.level == "char":
            return "".join(tokens)
        out, line_start = [], True
        for tok in tokens:
            if tok == EOS:
                out.append("\n")
                line_start = True
                continue
            out.append(tok if line_start or tok in _ATTACH else " " + tok)
            line_start = False
        return "".join(out)

    def to_dict(self) -> dict:
        """Plain JSON (a checkpoint's ``info``): ``{"level": ..., "tokens": [...]}``."""
        return {"level": self.level, "tokens": list(self.tokens)}

    @classmethod
    def from_dict(cls, d) -> Vocabulary:
        """The vocabulary :meth:`to_dict` wrote; ValueError naming what is missing or wrong."""
        if not isinstance(d, dict) or not isinstance(d.get("tokens"), list) or "level" not in d:
            raise ValueError("a vocabulary must be a dict with 'level' ('word' or 'char') and "
                             "'tokens' (a list)")
        return cls(d["tokens"], d["level"])


@dataclass
class Corpus:
    """A corpus split by position and encoded: ``train``, ``val``, ``test`` (int64 id streams), ``vocab``."""

    name: str
    level: str
    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    vocab: Vocabulary

    def __repr__(self) -> str:
        return (f"Corpus({self.name!r}, {self.level}: {len(self.train):,} / {len(self.val):,} / "
                f"{len(self.test):,} tokens, {len(self.vocab):,} in the vocabulary)")


def load_corpus(name: str = "shakespeare", level: str = "word", fractions=FRACTIONS, min_count: int = 1,
                max_size: int | None = None, n_tokens: int | None = None) -> Corpus:
    """The corpus ``name`` tokenized, split by position, with a vocabulary of its training part.

    Parameters
    ----------
    name : "shakespeare"
    level : "word" or "char"
    fractions : (train, validation, test) shares of the token stream, in that order
    min_count, max_size : see :meth:`Vocabulary.build`
    n_tokens : int, optional
        Use only the first ``n_tokens`` tokens (quick runs); the split is of those.
    """
    if name not in CORPORA:
        raise ValueError(f"unknown corpus {name!r}; choose from {', '.join(CORPORA)}")
    tokens = tokenize(load_shakespeare(), level)
    if n_tokens is not None:
        if isinstance(n_tokens, bool) or not isinstance(n_tokens, (int, np.integer)) or n_tokens < 3:
            raise ValueError(f"n_tokens must be an integer >= 3 or None, got {n_tokens!r}")
        tokens = tokens[:n_tokens]
    train, val, test = split_by_position(tokens, fractions)
    vocab = Vocabulary.build(train, level, min_count=min_count, max_size=max_size)
    return Corpus(name, level, vocab.encode(train), vocab.encode(val), vocab.encode(test), vocab)


def unigram_perplexity(train_ids, eval_ids, vocab_size: int) -> float:
    """Perplexity on ``eval_ids`` of the unigram model of ``train_ids`` (add-one smoothing): the baseline.

    Formula
    -------
    P(w) = (count(w) + 1) / (N + V),   perplexity = exp(-(1/N') sum_{w in eval} log P(w))
    """
    train_ids, eval_ids = np.asarray(train_ids), np.asarray(eval_ids)
    for ids, what in ((train_ids, "train_ids"), (eval_ids, "eval_ids")):
        if ids.ndim != 1 or ids.size == 0 or ids.min() < 0 or ids.max() >= vocab_size:
            raise ValueError(f"{what} must be a non-empty 1-D array of ids in [0, {vocab_size}), got shape "
                             f"{ids.shape}")
    counts = np.bincount(train_ids, minlength=vocab_size)
    log_p = np.log(counts + 1.0) - np.log(len(train_ids) + vocab_size)   # log P(w), add-one smoothed
    return float(np.exp(-log_p[eval_ids].mean()))                         # exp(mean cross-entropy)


def addition_task(n: int = 50000, digits: int = 3, rng=None) -> tuple[list[str], list[str]]:
    """The book's addition task (L40; DLFS2 ch. 7.3): ``n`` distinct questions "16+75" and answers "91".

    Each number has 1..``digits`` digits (the count drawn uniformly, then the number
    uniformly among those with that many digits), so short and long sums are equally
    common; no question repeats.  Generated by code, repeatable with ``rng``.

    Returns
    -------
    (questions, answers): lists of str, ``f"{a}+{b}"`` and ``str(a + b)``
    """
    from ._config import get_rng

    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or not 1 <= digits <= 9:
        raise ValueError(f"digits must be an integer in [1, 9], got {digits!r}")
    low = np.array([0] + [10 ** (d - 1) for d in range(2, digits + 1)])   # smallest number of d digits
    high = 10 ** np.arange(1, digits + 1)                                  # one past the largest
    distinct = int(np.sum(high - low)) ** 2
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= distinct // 2:
        raise ValueError(f"n must be an integer in [1, {distinct // 2}] for {digits}-digit numbers, "
                         f"got {n!r}")
    gen, seen, pairs = get_rng(rng), set(), []
    while len(pairs) < n:
        d = gen.integers(0, digits, size=(2 * n, 2))                         # digit counts - 1
        ab = gen.integers(low[d], high[d])                                  # a, b
        for a, b in ab.tolist():
            if (a, b) not in seen and len(pairs) < n:
                seen.add((a, b))
                pairs.append((a, b))
    return [f"{a}+{b}" for a, b in pairs], [str(a + b) for a, b in pairs]
