"""Seq2seq with attention (DLFS2 ch. 8) and a small Transformer (Coursera course 5, week 4)  (L40).

Both map a padded sequence of input ids xs (m, T_x) and the decoder's input ids
ys_in (m, T_y) (the start symbol, then the answer shifted right: teacher forcing)
to logits (m, T_y, V), and both generate greedily, one output id at a time.

:class:`AttentionSeq2seq` is the book's ``AttentionSeq2seq``: an LSTM encoder
whose states hs (m, T_x, H) all stay available, an LSTM decoder started from the
encoder's final state, and at every decoder step t a dot-product attention
over hs:

    a_t = softmax_s(hd_t . hs_s)   (padding masked),   c_t = sum_s a_ts hs_s,   y_t = [c_t, hd_t] W^T + b

:class:`TransformerSeq2seq` replaces both LSTMs with pre-norm Transformer
blocks (:class:`~abcdl.layers.TransformerEncoderBlock` and
:class:`~abcdl.layers.TransformerDecoderBlock`), with sinusoidal positions.
Every backward is written by hand; :func:`train_seq2seq` fits either with Adam.
"""

from __future__ import annotations

import numpy as np

from ._types import Array, Rng
from .layers import LSTM, Embedding, LayerNorm, Linear, TransformerDecoderBlock, TransformerEncoderBlock
from .layers.attention import attention_backward, scaled_dot_product_attention
from .layers.transformer import positional_encoding
from .module import Module

__all__ = ["AttentionSeq2seq", "TransformerSeq2seq", "train_seq2seq", "generate", "exact_match"]


def _check_ids(model, xs, ys_in=None) -> tuple[np.ndarray, np.ndarray | None]:
    xs = np.asarray(xs)
    if xs.ndim != 2 or xs.shape[1] == 0 or xs.shape[0] == 0:
        raise ValueError(f"{type(model).__name__}: xs must be ids of shape (m, T_x) with m, T_x >= 1, "
                         f"got {xs.shape}")
    if ys_in is not None:
        ys_in = np.asarray(ys_in)
        if ys_in.ndim != 2 or ys_in.shape[0] != xs.shape[0] or ys_in.shape[1] == 0:
            raise ValueError(f"{type(model).__name__}: ys_in must be ids of shape (m={xs.shape[0]}, "
                             f"T_y >= 1), got {ys_in.shape}")
    for name, ids in (("xs", xs), ("ys_in", ys_in)):
        if ids is not None and ids.size and (ids.min() < 0 or ids.max() >= model.vocab_size):
            raise ValueError(f"{type(model).__name__}: {name} of shape {ids.shape} has ids "
                             f"{ids.min()}..{ids.max()} outside the vocabulary of {model.vocab_size}")
    return xs, ys_in


class AttentionSeq2seq(Module):
    """LSTM encoder, LSTM decoder and dot-product attention over the encoder's states  (L40; DLFS2 ch. 8).

    Parameters
    ----------
    vocab_size : int   V (shared by questions and answers).
    wordvec_size : int   D, the embedding width.
    hidden_size : int   H.
    pad_id : int   Input id whose positions attention ignores (key padding).
    rng, dtype   As in :class:`~abcdl.layers.Linear`.

    Attributes
    ----------
    attn_weights : (m, T_y, T_x)
        a_ts of the last forward (or of :meth:`generate`): where step t looked.

    Formula
    -------
    forward   hs = LSTM_enc(E_x[xs]),  hd = LSTM_dec(E_y[ys_in]; h_0, c_0 = the encoder's h_T, c_T)
              a = softmax(hd hs^T),  c = a hs,  logits = [c, hd] W^T + b
    backward  d[c, hd] = dlogits W;   da = dc hs^T,   dS = a * (da - sum_s(da * a))
              dhd = dhd(from W) + dS hs   (hd is the query),   dhs = dS^T hd + a^T dc   (keys and values)
              the decoder's dh_0, dc_0 become the encoder's dstate
    """

    def __init__(self, vocab_size: int, wordvec_size: int = 16, hidden_size: int = 128, pad_id: int = 0,
                 rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        self.vocab_size, self.pad_id = vocab_size, pad_id
        V, D, H = vocab_size, wordvec_size, hidden_size
        self.enc_embed = Embedding(V, D, init=0.1, rng=rng, dtype=dtype)
        self.encoder = LSTM(D, H, return_sequences=True, rng=rng, dtype=dtype)
        self.dec_embed = Embedding(V, D, init=0.1, rng=rng, dtype=dtype)
        self.decoder = LSTM(D, H, return_sequences=True, rng=rng, dtype=dtype)
        self.out = Linear(2 * H, V, "xavier", rng=rng, dtype=dtype)
        self.attn_weights = None
        self._cache = None

    def encode(self, xs: Array) -> tuple[Array, tuple, Array]:
        hs = self.encoder.forward(self.enc_embed.forward(xs))          # hs = LSTM_enc(E_x[xs])
        return hs, self.encoder.final_state, (xs == self.pad_id)[:, None, :]

    def _attend(self, hd, hs, mask):
        c, a = scaled_dot_product_attention(hd, hs, hs, mask, scale=1.0)   # a = softmax(hd hs^T), c = a hs
        return self.out.forward(np.concatenate([c, hd], axis=-1)), a      # logits = [c, hd] W^T + b

    def forward(self, xs: Array, ys_in: Array) -> Array:
        xs, ys_in = _check_ids(self, xs, ys_in)
        hs, state, mask = self.encode(xs)
        hd = self.decoder.forward(self.dec_embed.forward(ys_in), initial_state=state)
        logits, a = self._attend(hd, hs, mask)
        self.attn_weights = a
        self._cache = (hs, hd, a)
        return logits

    def backward(self, dlogits: Array, input_grad: bool = True) -> None:
        hs, hd, a = self._cache
        H = hd.shape[-1]
        dz = self.out.backward(dlogits)                                    # d[c, hd] = dlogits W
        dc, dhd = dz[..., :H], dz[..., H:]
        dQ, dK, dV = attention_backward(dc, hd, hs, hs, a, scale=1.0)      # c = softmax(hd hs^T) hs
        self.dec_embed.backward(self.decoder.backward(dhd + dQ), input_grad=False)
        dstate = self.decoder.initial_state_grad                          # dJ/dh_0, dJ/dc_0 of the decoder
        self.enc_embed.backward(self.encoder.backward(dK + dV, dstate=dstate), input_grad=False)
        return None

    def generate(self, xs: Array, start_id: int, length: int) -> np.ndarray:
        """Greedy decoding: feed back the argmax id ``length`` times; ``attn_weights`` records each step."""
        xs, _ = _check_ids(self, xs)
        hs, state, mask = self.encode(xs)
        ids = np.full((len(xs), 1), start_id)
        out, weights = [], []
        for _ in range(length):
            hd = self.decoder.forward(self.dec_embed.forward(ids), initial_state=state)
            state = self.decoder.final_state
            logits, a = self._attend(hd, hs, mask)
            ids = logits.argmax(axis=-1)                                   # (m, 1): the likeliest id
            out.append(ids[:, 0])
            weights.append(a[:, 0])
        self.attn_weights = np.stack(weights, axis=1)                      # (m, length, T_x)
        return np.stack(out, axis=1)


class TransformerSeq2seq(Module):
    """Encoder-decoder Transformer: pre-norm blocks, sinusoidal positions, a final LayerNorm each  (L40).

    Parameters
    ----------
    vocab_size : int   V.      d_model : int   E.      num_heads : int   h.      d_ff : int   FFN width.
    num_layers : int   Blocks in the encoder and in the decoder.
    max_len : int   Longest sequence (positions precomputed).
    pad_id : int   Input id the encoder and the cross-attention ignore.

    Formula
    -------
    forward   s = sqrt(E) E_x[xs] + PE,  s = Enc_L(...Enc_1(s)),  mem = LN(s)
              u = sqrt(E) E_y[ys_in] + PE,  u = Dec_L(...Dec_1(u, mem)),  logits = LN(u) W^T + b
    backward  through the output, each decoder block (summing their dmemory), LN, each encoder block
    """

    def __init__(self, vocab_size: int, d_model: int = 64, num_heads: int = 4, d_ff: int = 128,
                 num_layers: int = 2, max_len: int = 64, pad_id: int = 0, rng: Rng | None = None,
                 dtype=None) -> None:
        super().__init__()
        self.vocab_size, self.pad_id, self.num_layers, self.d_model = vocab_size, pad_id, num_layers, d_model
        self.src_embed = Embedding(vocab_size, d_model, init=d_model ** -0.5, rng=rng, dtype=dtype)
        self.tgt_embed = Embedding(vocab_size, d_model, init=d_model ** -0.5, rng=rng, dtype=dtype)
        for k in range(num_layers):
            setattr(self, f"enc{k}", TransformerEncoderBlock(d_model, num_heads, d_ff, rng=rng, dtype=dtype))
        self.enc_norm = LayerNorm(d_model, dtype=dtype)
        for k in range(num_layers):
            setattr(self, f"dec{k}", TransformerDecoderBlock(d_model, num_heads, d_ff, rng=rng, dtype=dtype))
        self.dec_norm = LayerNorm(d_model, dtype=dtype)
        self.out = Linear(d_model, vocab_size, "xavier", rng=rng, dtype=dtype)
        self.register_buffer("pe", positional_encoding(max_len, d_model, dtype=self.out.W.dtype))
        self.attn_weights = None

    def _embed(self, embed: Embedding, ids: Array) -> Array:
        if ids.shape[1] > len(self.pe):
            raise ValueError(f"TransformerSeq2seq: sequences of shape {ids.shape} are longer than "
                             f"max_len={len(self.pe)}")
        return np.sqrt(self.d_model) * embed.forward(ids) + self.pe[:ids.shape[1]]   # sqrt(E) E[ids] + PE

    def encode(self, xs: Array) -> tuple[Array, Array]:
        kpm = xs == self.pad_id
        s = self._embed(self.src_embed, xs)
        for k in range(self.num_layers):
            s = getattr(self, f"enc{k}").forward(s, key_padding_mask=kpm)
        return self.enc_norm.forward(s), kpm                                 # mem = LN(s)

    def decode(self, ys_in: Array, mem: Array, kpm: Array) -> Array:
        u = self._embed(self.tgt_embed, ys_in)
        for k in range(self.num_layers):
            u = getattr(self, f"dec{k}").forward(u, mem, memory_key_padding_mask=kpm)
        self.attn_weights = getattr(self, f"dec{self.num_layers - 1}").cross_attn.attn_weights.mean(axis=1)
        return self.out.forward(self.dec_norm.forward(u))                    # logits = LN(u) W^T + b

    def forward(self, xs: Array, ys_in: Array) -> Array:
        xs, ys_in = _check_ids(self, xs, ys_in)
        mem, kpm = self.encode(xs)
        return self.decode(ys_in, mem, kpm)

    def backward(self, dlogits: Array, input_grad: bool = True) -> None:
        du = self.dec_norm.backward(self.out.backward(dlogits))
        dmem = 0.0
        for k in reversed(range(self.num_layers)):
            block = getattr(self, f"dec{k}")
            du = block.backward(du)
            dmem = dmem + block.dmemory                                      # every decoder block read mem
        self.tgt_embed.backward(np.sqrt(self.d_model) * du, input_grad=False)
        ds = self.enc_norm.backward(dmem)
        for k in reversed(range(self.num_layers)):
            ds = getattr(self, f"enc{k}").backward(ds)
        self.src_embed.backward(np.sqrt(self.d_model) * ds, input_grad=False)
        return None

    def generate(self, xs: Array, start_id: int, length: int) -> np.ndarray:
        """Greedy decoding: the decoder re-reads its whole prefix at each of ``length`` steps."""
        xs, _ = _check_ids(self, xs)
        mem, kpm = self.encode(xs)
        ids = np.full((len(xs), 1), start_id)
        for _ in range(length):
            logits = self.decode(ids, mem, kpm)
            ids = np.concatenate([ids, logits[:, -1].argmax(axis=-1)[:, None]], axis=1)
        return ids[:, 1:]


def generate(model, xs: Array, start_id: int, length: int, batch_size: int = 512) -> np.ndarray:
    """``model.generate`` over batches of ``batch_size`` rows."""
    return np.concatenate([model.generate(xs[i:i + batch_size], start_id, length)
                           for i in range(0, len(xs), batch_size)])


def exact_match(model, xs: Array, ys_out: Array, start_id: int) -> float:
    """The fraction of rows whose whole greedy answer equals ys_out."""
    pred = generate(model, xs, start_id, ys_out.shape[1])
    return float(np.mean(np.all(pred == ys_out, axis=1)))


def train_seq2seq(model, data: tuple, epochs: int, batch_size: int = 128, lr: float = 1e-3,
                  rng: Rng | None = None, max_norm: float = 5.0, on_epoch=None) -> list[float]:
    """Fit ``model`` on (xs, ys_in, ys_out) with Adam and gradient-norm clipping; the mean loss per epoch.

    ``on_epoch(epoch, loss)`` is called after each epoch (for evaluation curves).
    """
    from .losses import SoftmaxCrossEntropyLoss
    from .optim import Adam
    from .optim.clip import clip_grad_norm

    xs, ys_in, ys_out = data
    loss_fn, opt = SoftmaxCrossEntropyLoss(), Adam(model.parameters(), lr=lr)
    gen = np.random.default_rng() if rng is None else rng
    losses = []
    for epoch in range(epochs):
        order, total = gen.permutation(len(xs)), 0.0
        for i in range(0, len(xs), batch_size):
            b = order[i:i + batch_size]
            model.zero_grad()
            total += loss_fn.forward(model.forward(xs[b], ys_in[b]), ys_out[b]) * len(b)
            model.backward(loss_fn.backward())
            clip_grad_norm(model.parameters(), max_norm)
            opt.step()
        losses.append(total / len(xs))
        if on_epoch is not None:
            on_epoch(epoch, losses[-1])
    return losses
