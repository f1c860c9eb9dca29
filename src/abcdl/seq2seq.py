"""seq2seq (L40): an LSTM encoder-decoder, with the book's reversed input and peeky decoder.

"Deep Learning from Scratch 2" ch. 7.  The encoder reads the question ("16+75")
and hands its last hidden state h to the decoder, which writes the answer one
character at a time from the start symbol "_", each step fed the previous
character (teacher forcing while training, its own greedy choice when generating)::

    >>> from abcdl import seq2seq, text
    >>> q, a = text.addition_task(50000, rng=0)
    >>> data = seq2seq.encode_pairs(q, a, reverse=True)          # ids, padded; questions reversed
    >>> model = seq2seq.Seq2seq(len(data.vocab), peeky=True)
    >>> history = seq2seq.fit(model, data, epochs=25)             # held-out accuracy per epoch

The two improvements the book measures (ch. 7.4): **reversed input** puts the
first answer digits' inputs closer to the decoder (the gradient travels fewer
steps), and **peeky decoding** feeds h to every decoder step, beside the input
character and beside the LSTM's output, not only as its initial state.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._config import get_rng, resolve_dtype
from ._io import atomic_write
from ._types import Rng
from .layers import LSTM, Embedding, Linear
from .losses import SoftmaxCrossEntropyLoss
from .module import Module
from .optim import Adam
from .optim.clip import clip_grad_norm
from .text import UNK, Vocabulary

__all__ = ["START", "PAD", "Pairs", "encode_pairs", "Seq2seq", "fit", "accuracy", "save", "load"]

_FORMAT = "abcdl.seq2seq"

START, PAD = "_", " "          # the decoder's first input; padding to a fixed width (the book's)


@dataclass
class Pairs:
    """Encoded (question, answer) pairs: x (N, Q) question ids, t (N, 1 + A) "_" then answer ids."""

    x: np.ndarray
    t: np.ndarray
    vocab: Vocabulary
    reverse: bool

    def split(self, fraction: float = 0.9) -> tuple[Pairs, Pairs]:
        """The first ``fraction`` for training, the rest held out (the pairs are already random)."""
        k = int(round(fraction * len(self.x)))
        if not 0 < k < len(self.x):
            raise ValueError(f"fraction {fraction} leaves an empty part of {len(self.x)} pairs")
        return (Pairs(self.x[:k], self.t[:k], self.vocab, self.reverse),
                Pairs(self.x[k:], self.t[k:], self.vocab, self.reverse))


def _char_ids(strings, width: int, vocab: Vocabulary, what: str) -> np.ndarray:
    out = np.empty((len(strings), width), dtype=np.int64)
    for k, s in enumerate(strings):
        ids = vocab.encode(s.ljust(width, PAD))
        if np.any(ids == 0):
            bad = sorted({c for c in s if c not in vocab})
            raise ValueError(f"{what}[{k}] = {s!r} holds characters outside the vocabulary: {bad}")
        out[k] = ids
    return out


def encode_pairs(questions, answers, vocab: Vocabulary | None = None, reverse: bool = False) -> Pairs:
    """Questions and answers as padded id arrays (DLFS2's ``sequence.load_data``), reversed if asked.

    Parameters
    ----------
    questions, answers : sequences of non-empty str, of the same length
    vocab : Vocabulary, optional
        Character vocabulary; default: every character seen, plus " " and "_".  A
        character outside a given vocabulary is a ValueError (never a silent ``<unk>``).
    reverse : bool
        Reverse each padded question (DLFS2 ch. 7.4.1).
    """
    questions, answers = list(questions), list(answers)
    if not questions or len(questions) != len(answers):
        raise ValueError(f"questions and answers must be non-empty lists of the same length, got "
                         f"{len(questions)} and {len(answers)}")
    for what, seq in (("questions", questions), ("answers", answers)):
        bad = [k for k, s in enumerate(seq) if not isinstance(s, str) or not s]
        if bad:
            raise ValueError(f"{what}[{bad[0]}] is {seq[bad[0]]!r}: every sequence must be a non-empty str")
    if vocab is None:
        chars = sorted(set("".join(questions)) | set("".join(answers)) | {PAD, START})
        vocab = Vocabulary([UNK, *chars], level="char")
    elif vocab.level != "char" or PAD not in vocab or START not in vocab:
        raise ValueError(f"vocab must be a character vocabulary holding {PAD!r} and {START!r}, got {vocab!r}")
    Q, A = max(map(len, questions)), max(map(len, answers))
    x = _char_ids(questions, Q, vocab, "questions")
    t = _char_ids([START + a for a in answers], A + 1, vocab, "answers")
    return Pairs(x[:, ::-1].copy() if reverse else x, t, vocab, bool(reverse))


class Seq2seq(Module):
    """LSTM encoder-decoder (L40; DLFS2 ch. 7), optionally peeky.

    Parameters
    ----------
    vocab_size : int
        V (characters, ``<unk>`` included).
    embed_dim, hidden_size : int
        D and H (the book: 16 and 128).
    peeky : bool
        Feed the encoder's h to every decoder step and to the output layer (DLFS2 ch. 7.4.2).
    rng, dtype
        Initial weights' source and dtype.

    Shapes
    ------
    forward(x (m, Q) ids, dec_in (m, T) ids) -> logits (m, T, V);  backward(dlogits) -> None
    (accumulates every parameter's gradient).

    Formula
    -------
    encoder   h = LSTM_enc(E_enc[x])_Q                                   (the last hidden state)
    decoder   plain:  s = LSTM_dec(E_dec[y]; h_0 = h),        logits = s W^T + b
              peeky:  s = LSTM_dec([E_dec[y], h]; h_0 = h),   logits = [s, h] W^T + b
    backward  dh = dh_0 (from the decoder's initial state)
                   + peeky: sum_t (the h-part of dx_t) + sum_t (the h-part of d[s_t, h])
    """

    def __init__(self, vocab_size: int, embed_dim: int = 16, hidden_size: int = 128, peeky: bool = False,
                 rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        gen, dt = get_rng(rng), resolve_dtype(dtype)
        if not isinstance(peeky, bool):
            raise TypeError(f"Seq2seq: peeky must be True or False, got {peeky!r}")
        V, D, H = vocab_size, embed_dim, hidden_size
        self.peeky, self.vocab_size, self.hidden_size = peeky, V, H
        self.enc_embed = Embedding(V, D, init=0.01, rng=gen, dtype=dt)
        self.encoder = LSTM(D, H, return_sequences=False, rng=gen, dtype=dt)
        self.dec_embed = Embedding(V, D, init=0.01, rng=gen, dtype=dt)
        self.decoder = LSTM(D + H * peeky, H, rng=gen, dtype=dt)
        self.out = Linear(H + H * peeky, V, init="xavier", rng=gen, dtype=dt)

    def __call__(self, x, dec_in):
        return self.forward(x, dec_in)

    def encode(self, x) -> np.ndarray:
        """h (m, H): the encoder's last hidden state for the question ids x (m, Q)."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] == 0 or len(x) == 0:
            raise ValueError(f"Seq2seq: questions must be ids of shape (m, Q) with m, Q >= 1, got {x.shape}")
        return self.encoder(self.enc_embed(x))                     # h = LSTM_enc(E_enc[x])_Q

    def _decode(self, dec_in, h, state=None) -> np.ndarray:
        e = self.dec_embed(dec_in)                                 # E_dec[y]  (m, T, D)
        T = e.shape[1]
        hT = np.repeat(h[:, None, :], T, axis=1)                   # h at every step (m, T, H)
        if self.peeky:
            e = np.concatenate([e, hT], axis=2)                    # [E_dec[y_t], h]
        state = (h[None], np.zeros_like(h[None])) if state is None else state
        s = self.decoder(e, state)                                 # s_t  (m, T, H), h_0 = h
        if self.peeky:
            s = np.concatenate([s, hT], axis=2)                    # [s_t, h]
        return self.out(s)                                         # logits = [s, h] W^T + b

    def forward(self, x, dec_in) -> np.ndarray:
        dec_in = np.asarray(dec_in)
        if dec_in.ndim != 2 or dec_in.shape[1] == 0 or len(dec_in) != len(np.asarray(x)):
            raise ValueError(f"Seq2seq: decoder inputs must be ids of shape (m, T) with T >= 1 and the "
                             f"questions' m, got {dec_in.shape} for questions {np.shape(x)}")
        return self._decode(dec_in, self.encode(x))

    def backward(self, dlogits, input_grad: bool = False) -> None:
        H = self.hidden_size
        ds = self.out.backward(dlogits)                            # d[s_t, h]  (m, T, H (+H))
        de = self.decoder.backward(ds[..., :H])                    # d[E_dec[y_t], h]; dh_0 kept by the LSTM
        dh = self.decoder.dh0[0].copy()                            # dh = dh_0 ...
        if self.peeky:
            dh += ds[..., H:].sum(axis=1)                          #      + sum_t d(h beside s_t)
            dh += de[..., -H:].sum(axis=1)                         #      + sum_t d(h beside E_dec[y_t])
            de = de[..., :-H]
        self.dec_embed.backward(de, input_grad=False)
        dx = self.encoder.backward(dh)                             # back through the encoder to E_enc[x]
        self.enc_embed.backward(dx, input_grad=False)

    def generate(self, x, start_id: int, length: int) -> np.ndarray:
        """Greedy decoding: (m, length) ids, each step fed the previous step's argmax (from ``start_id``)."""
        h = self.encode(x)
        y = np.full((len(h), 1), start_id, dtype=np.int64)
        state, out = None, []
        for _ in range(length):
            logits = self._decode(y, h, state)                     # one step
            state = self.decoder.final_state                       # (h_t, c_t) carried to the next step
            y = logits[:, -1].argmax(axis=1)[:, None]              # the most likely next character
            out.append(y[:, 0])
        return np.stack(out, axis=1)

    def config(self) -> dict:
        return {"vocab_size": self.vocab_size, "embed_dim": self.enc_embed.embedding_dim,
                "hidden_size": self.hidden_size, "peeky": self.peeky}


def _check_match(model: Seq2seq, data: Pairs, what: str) -> None:
    if not isinstance(data, Pairs):
        raise TypeError(f"{what} must be seq2seq.Pairs (from encode_pairs), got {type(data).__name__}")
    if model.vocab_size != len(data.vocab):
        raise ValueError(f"the model's vocabulary ({model.vocab_size} ids) does not match {what}'s "
                         f"({len(data.vocab)} characters): encode both with the same Vocabulary")


def accuracy(model: Seq2seq, data: Pairs, batch_size: int = 1000) -> float:
    """Exact-match accuracy of greedy answers: the share of questions whose whole answer is right."""
    _check_match(model, data, "data")
    start, right = data.vocab.index[START], 0
    for s in range(0, len(data.x), batch_size):
        guess = model.generate(data.x[s:s + batch_size], start, data.t.shape[1] - 1)
        right += int(np.all(guess == data.t[s:s + batch_size, 1:], axis=1).sum())   # every character right
    return right / len(data.x)


def fit(model: Seq2seq, train: Pairs, test: Pairs | None = None, epochs: int = 25, batch_size: int = 128,
        lr: float = 1e-3, clip: float = 5.0, rng: Rng | None = None, on_epoch=None) -> dict[str, list[float]]:
    """Train with Adam and gradient clipping (the book's), teacher forcing; loss and accuracy per epoch.

    Returns
    -------
    {"loss": mean training loss per epoch, "accuracy": held-out exact-match accuracy per epoch}
    (``accuracy`` only when ``test`` is given).  ``on_epoch(history)``, when given, is called after
    every epoch (progress, or partial results of a long run).
    """
    _check_match(model, train, "train")
    if test is not None:
        _check_match(model, test, "test")
        if test.vocab.tokens != train.vocab.tokens or test.reverse != train.reverse:
            raise ValueError("train and test must be encoded with the same vocabulary and the same "
                             "reverse flag")
    gen, loss_fn, opt = get_rng(rng), SoftmaxCrossEntropyLoss(), Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {"loss": [], "accuracy": []}
    for _ in range(epochs):
        order, total = gen.permutation(len(train.x)), 0.0
        for s in range(0, len(order), batch_size):
            b = order[s:s + batch_size]
            model.zero_grad()
            logits = model(train.x[b], train.t[b, :-1])                    # teacher forcing: y_{t-1} in
            total += loss_fn(logits, train.t[b, 1:]) * len(b)              # y_t out
            model.backward(loss_fn.backward())
            clip_grad_norm(model.parameters(), clip)
            opt.step()
        history["loss"].append(total / len(order))
        if test is not None:
            history["accuracy"].append(accuracy(model, test))
        if on_epoch is not None:
            on_epoch(history)
    return history


def save(model: Seq2seq, vocab: Vocabulary, path: str | os.PathLike, reverse: bool = False) -> Path:
    """One safetensors file, written atomically: the weights, and the config, vocabulary and reverse flag."""
    import safetensors.numpy
    if not isinstance(model, Seq2seq) or len(vocab) != model.vocab_size:
        raise ValueError(f"save needs a Seq2seq and its vocabulary: a vocabulary of {len(vocab)} characters "
                         f"for a model of {getattr(model, 'vocab_size', '?')} ids")
    meta = {"format": _FORMAT, "config": json.dumps(model.config()), "vocab": json.dumps(vocab.to_dict()),
            "reverse": json.dumps(bool(reverse))}
    tensors = {k: np.ascontiguousarray(v) for k, v in model.state_dict().items()}
    return atomic_write(Path(path).expanduser(), safetensors.numpy.save(tensors, metadata=meta))


def load(path: str | os.PathLike) -> tuple[Seq2seq, Vocabulary, bool]:
    """(model, vocabulary, reverse) from a file :func:`save` wrote; ValueError naming what is wrong."""
    from safetensors import SafetensorError, safe_open
    path = Path(path).expanduser()
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            if meta.get("format") != _FORMAT:
                raise ValueError(f"{path}: not an abcdl seq2seq file (no {_FORMAT!r} metadata)")
            state = {k: f.get_tensor(k) for k in f.keys()}
        config, vocab = json.loads(meta["config"]), Vocabulary.from_dict(json.loads(meta["vocab"]))
        reverse = bool(json.loads(meta["reverse"]))
    except (OSError, KeyError, json.JSONDecodeError, SafetensorError) as exc:
        raise ValueError(f"{path}: cannot read a seq2seq model ({exc})") from exc
    if config.get("vocab_size") != len(vocab):
        raise ValueError(f"{path}: the model's {config.get('vocab_size')} ids do not match its vocabulary of "
                         f"{len(vocab)} characters")
    model = Seq2seq(**config, dtype=next(iter(state.values())).dtype)
    model.load_state_dict(state)
    return model, vocab, reverse
