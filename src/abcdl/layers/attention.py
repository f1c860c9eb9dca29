"""Scaled dot-product attention and multi-head attention, with hand-written backward (L40)."""

from __future__ import annotations

import numpy as np

from .._checks import check_positive_int
from .._types import Array, Rng
from ..module import Module
from ._checks import check_input, need_forward
from .linear import Linear


def causal_mask(T: int, S: int | None = None) -> np.ndarray:
    """(T, S) bool mask, True where query t may NOT look: the keys s > t (the future)."""
    S = T if S is None else S
    return np.triu(np.ones((T, S), dtype=bool), k=1)


def _softmax(S: np.ndarray) -> np.ndarray:
    e = np.exp(S - S.max(axis=-1, keepdims=True))        # exp(s - max s): no overflow; exp(-inf) = 0
    return e / e.sum(axis=-1, keepdims=True)


def _check_qkv(Q, K, V, mask) -> None:
    """ValueError naming the shapes unless Q (..., T, d), K (..., S, d), V (..., S, d_v), T, S >= 1."""
    shapes = f"Q {np.shape(Q)}, K {np.shape(K)}, V {np.shape(V)}"
    if min(np.ndim(Q), np.ndim(K), np.ndim(V)) < 2 or 0 in (np.shape(Q)[-2], np.shape(K)[-2]):
        raise ValueError(f"attention: expected Q (..., T, d), K (..., S, d), V (..., S, d_v) with T, S >= 1, "
                         f"got {shapes}")
    if np.shape(Q)[-1] != np.shape(K)[-1] or np.shape(K)[-2] != np.shape(V)[-2]:
        raise ValueError(f"attention: Q and K need the same width d and K and V the same length S, "
                         f"got {shapes}")
    if mask is not None:
        want = (*np.broadcast_shapes(np.shape(Q)[:-2], np.shape(K)[:-2]), np.shape(Q)[-2], np.shape(K)[-2])
        try:
            ok = np.broadcast_shapes(np.shape(mask), want) == want
        except ValueError:
            ok = False
        if not ok or np.asarray(mask).dtype != bool:
            raise ValueError(f"attention: mask must be a bool array broadcastable to {want}, got "
                             f"{np.asarray(mask).dtype} {np.shape(mask)}")


def scaled_dot_product_attention(Q: Array, K: Array, V: Array, mask: Array | None = None,
                                 scale: float | None = None) -> tuple[Array, Array]:
    """Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V, with masked scores set to -inf  (L40).

    Parameters
    ----------
    Q : (..., T, d_k)   queries.      K : (..., S, d_k)   keys.      V : (..., S, d_v)   values.
    mask : bool array broadcastable to (..., T, S), optional
        True where a query may not look (PyTorch's boolean ``attn_mask`` convention is the
        opposite for ``scaled_dot_product_attention`` but the same for ``MultiheadAttention``).
    scale : float, optional
        Multiplies the scores; default 1/sqrt(d_k) (the book's ch. 8 attention uses 1).

    Returns
    -------
    out : (..., T, d_v), weights A : (..., T, S) (rows sum to 1).

    Formula
    -------
    S = scale Q K^T,  S[mask] = -inf,  A = softmax_s(S),  out = A V
    """
    _check_qkv(Q, K, V, mask)
    scale = 1.0 / np.sqrt(Q.shape[-1]) if scale is None else scale
    S = (Q @ np.swapaxes(K, -1, -2)) * scale             # S = Q K^T / sqrt(d_k)        (..., T, S)
    if mask is not None:
        S = np.where(mask, -np.inf, S)                   # a masked score is -inf: its weight exp(-inf) = 0
        if np.any(np.all(mask, axis=-1)):
            raise ValueError(f"attention: a query of shape {Q.shape} has every key masked "
                             f"(mask of shape {np.shape(mask)}): its weights would be 0/0")
    A = _softmax(S)                                      # A = softmax over the keys s
    return A @ V, A                                      # out = A V


def attention_backward(dout: Array, Q: Array, K: Array, V: Array, A: Array,
                       scale: float | None = None) -> tuple[Array, Array, Array]:
    """dQ, dK, dV of :func:`scaled_dot_product_attention` from dout = dJ/d(out).

    Formula
    -------
    dV = A^T dout,   dA = dout V^T
    dS = A * (dA - sum_s(dA * A))          (the softmax's Jacobian; masked entries have A = 0, so dS = 0)
    dQ = scale dS K,   dK = scale dS^T Q
    """
    scale = 1.0 / np.sqrt(Q.shape[-1]) if scale is None else scale
    At = np.swapaxes(A, -1, -2)
    dV = At @ dout                                       # dV = A^T dout
    dA = dout @ np.swapaxes(V, -1, -2)                   # dA = dout V^T
    dS = A * (dA - np.sum(dA * A, axis=-1, keepdims=True))   # dS = A * (dA - sum_s dA A)
    dQ = (dS @ K) * scale                                # dQ = scale dS K
    dK = (np.swapaxes(dS, -1, -2) @ Q) * scale           # dK = scale dS^T Q
    return dQ, dK, dV


class MultiHeadAttention(Module):
    """Multi-head attention  MHA(x, m) = concat_h(Attention(x W_q^h, m W_k^h, m W_v^h)) W_o^T + b_o  (L40).

    Coursera course 5, week 4 ("Attention is all you need"): h heads, each of width
    d_k = E / h, attend in parallel and their outputs are concatenated and mixed by
    W_o.  Self-attention reads keys and values from x itself; cross-attention (a
    decoder reading the encoder) from ``memory``.  The projections are four
    :class:`Linear` layers; copy ``concat(q_proj.W, k_proj.W, v_proj.W)`` into
    ``torch.nn.MultiheadAttention.in_proj_weight`` and ``out_proj.W`` into its ``out_proj.weight``.

    Parameters
    ----------
    embed_dim : int
        E, the width of x (and of memory).
    num_heads : int
        h; must divide E.
    bias : bool
        Whether the projections have biases.
    rng, dtype
        As in :class:`Linear` (weights Xavier-uniform, as PyTorch's ``in_proj_weight``).

    Attributes
    ----------
    attn_weights : (m, h, T, S)
        The attention weights of the last forward (for heat maps).
    dmemory : (m, S, E)
        dJ/d(memory) after a backward of a cross-attention forward.

    Shapes
    ------
    x: (m, T, E), memory: (m, S, E) (default x) -> (m, T, E)
    key_padding_mask: (m, S) bool, True = a padding key to ignore;
    attn_mask: (T, S) bool, True = a pair not allowed;  causal=True adds ``causal_mask(T, S)``.

    Formula
    -------
    forward   Q = x W_q^T + b_q,  K = m W_k^T + b_k,  V = m W_v^T + b_v      each split into h heads
              O^h = softmax(Q^h K^h^T / sqrt(d_k) + mask) V^h,   y = concat_h(O^h) W_o^T + b_o
    backward  dconcat = dy W_o  (Linear),   dQ^h, dK^h, dV^h = attention_backward(dO^h)
              dx = dQ W_q (+ dK W_k + dV W_v in self-attention),   dmemory = dK W_k + dV W_v
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True, rng: Rng | None = None,
                 dtype=None) -> None:
        super().__init__()
        self.embed_dim = check_positive_int(embed_dim, "MultiHeadAttention: embed_dim")     # E
        self.num_heads = check_positive_int(num_heads, "MultiHeadAttention: num_heads")     # h
        if self.embed_dim % self.num_heads:
            raise ValueError(f"MultiHeadAttention: num_heads={num_heads} must divide embed_dim={embed_dim}")
        self.head_dim = self.embed_dim // self.num_heads                                     # d_k = E / h
        E = self.embed_dim
        self.q_proj = Linear(E, E, "xavier_uniform", bias, rng, dtype)
        self.k_proj = Linear(E, E, "xavier_uniform", bias, rng, dtype)
        self.v_proj = Linear(E, E, "xavier_uniform", bias, rng, dtype)
        self.out_proj = Linear(E, E, "xavier_uniform", bias, rng, dtype)
        self.attn_weights = None
        self.dmemory = None
        self._cache = None

    def _split(self, X: Array) -> Array:
        """(m, T, E) -> (m, h, T, d_k): head j reads columns [j d_k, (j+1) d_k)."""
        m, T, _ = X.shape
        return X.reshape(m, T, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    @staticmethod
    def _merge(X: Array) -> Array:
        """(m, h, T, d_k) -> (m, T, h d_k): the heads side by side (concat)."""
        m, h, T, d = X.shape
        return X.transpose(0, 2, 1, 3).reshape(m, T, h * d)

    def _check(self, x, memory, key_padding_mask, attn_mask, causal):
        E = self.embed_dim
        x = check_input(self, x, 3, expect=f"(m, T, {E})")
        cross = memory is not None
        memory = check_input(self, memory, 3, expect=f"(m, S, {E})") if cross else x
        for name, a in (("x", x), ("memory", memory)):
            if a.shape[2] != E or a.shape[1] == 0 or a.shape[0] != x.shape[0]:
                raise ValueError(f"{self._where()}: {name} must have shape (m={x.shape[0]}, T >= 1, {E}), "
                                 f"got {a.shape} (x: {x.shape})")
        (m, T, _), S = x.shape, memory.shape[1]
        blocked = np.zeros((1, 1, T, S), dtype=bool)
        if key_padding_mask is not None:
            kpm = np.asarray(key_padding_mask)
            if kpm.dtype != bool or kpm.shape != (m, S):
                raise ValueError(f"{self._where()}: key_padding_mask must be a bool array of shape "
                                 f"(m, S) = {(m, S)}, got {kpm.dtype} {kpm.shape}")
            blocked = blocked | kpm[:, None, None, :]                  # (m, 1, 1, S): padded keys
        if attn_mask is not None:
            am = np.asarray(attn_mask)
            if am.dtype != bool or am.shape != (T, S):
                raise ValueError(f"{self._where()}: attn_mask must be a bool array of shape (T, S) = "
                                 f"{(T, S)}, got {am.dtype} {am.shape}")
            blocked = blocked | am
        if causal:
            blocked = blocked | causal_mask(T, S)                       # no look at the future
        return x, memory, cross, (blocked if blocked.any() else None)

    def forward(self, x: Array, memory: Array | None = None, key_padding_mask=None, attn_mask=None,
                causal: bool = False) -> Array:
        x, memory, cross, mask = self._check(x, memory, key_padding_mask, attn_mask, causal)
        Q = self._split(self.q_proj.forward(x))              # Q = x W_q^T + b_q       (m, h, T, d_k)
        K = self._split(self.k_proj.forward(memory))         # K = m W_k^T + b_k       (m, h, S, d_k)
        V = self._split(self.v_proj.forward(memory))         # V = m W_v^T + b_v       (m, h, S, d_k)
        O, A = scaled_dot_product_attention(Q, K, V, mask)   # O^h = softmax(Q K^T / sqrt(d_k)) V
        self.attn_weights = A
        self._cache = (Q, K, V, A, cross)
        return self.out_proj.forward(self._merge(O))        # y = concat_h(O^h) W_o^T + b_o

    def backward(self, dy: Array, input_grad: bool = True) -> Array | None:
        """Accumulate every projection's gradients; return dJ/dx (``dmemory`` is set for cross-attention)."""
        need_forward(self, self._cache)
        Q, K, V, A, cross = self._cache
        dO = self._split(self.out_proj.backward(dy))        # dconcat = dy W_o, split into heads
        dQ, dK, dV = attention_backward(dO, Q, K, V, A)     # through softmax(Q K^T / sqrt(d_k)) V
        dx = self.q_proj.backward(self._merge(dQ))          # dQ W_q
        dmem = self.k_proj.backward(self._merge(dK))        # dK W_k
        dmem = dmem + self.v_proj.backward(self._merge(dV))  # + dV W_v
        if cross:
            self.dmemory = dmem                             # dmemory = dK W_k + dV W_v
            return dx if input_grad else None
        return dx + dmem if input_grad else None            # self-attention: x fed Q, K and V

    def extra_repr(self) -> str:
        return f"{self.embed_dim}, num_heads={self.num_heads}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"embed_dim": self.embed_dim, "num_heads": self.num_heads, "bias": self.q_proj.b is not None}
