"""Pre-norm Transformer blocks and sinusoidal positional encoding (L40)."""

from __future__ import annotations

import numpy as np

from .._checks import check_positive_int
from .._types import Array, Rng
from ..module import Module
from ._checks import need_forward
from .activations import ReLU
from .attention import MultiHeadAttention
from .layernorm import LayerNorm
from .linear import Linear


def positional_encoding(T: int, d_model: int, dtype=np.float64) -> np.ndarray:
    """Sinusoidal positions (Vaswani et al. 2017; Coursera course 5, week 4), shape (T, d_model).

    Formula
    -------
    PE[t, 2i] = sin(t / 10000^(2i/d)),   PE[t, 2i+1] = cos(t / 10000^(2i/d))
    """
    T = check_positive_int(T, "positional_encoding: T")
    d = check_positive_int(d_model, "positional_encoding: d_model")
    t = np.arange(T)[:, None]                              # positions t = 0..T-1
    two_i = np.arange(0, d, 2)[None, :]                    # 2i = 0, 2, 4, ...
    angle = t / np.power(10000.0, two_i / d)               # t / 10000^(2i/d)
    PE = np.zeros((T, d), dtype=dtype)
    PE[:, 0::2] = np.sin(angle)                            # even columns: sin
    PE[:, 1::2] = np.cos(angle[:, : d // 2])               # odd columns: cos
    return PE


class _FeedForward(Module):
    """FFN(x) = ReLU(x W_1^T + b_1) W_2^T + b_2, applied at every position."""

    def __init__(self, d_model: int, d_ff: int, rng: Rng | None, dtype) -> None:
        super().__init__()
        self.linear1 = Linear(d_model, d_ff, "he", True, rng, dtype)
        self.relu = ReLU()
        self.linear2 = Linear(d_ff, d_model, "xavier", True, rng, dtype)

    def forward(self, x: Array) -> Array:
        return self.linear2.forward(self.relu.forward(self.linear1.forward(x)))

    def backward(self, dy: Array, input_grad: bool = True) -> Array | None:
        return self.linear1.backward(self.relu.backward(self.linear2.backward(dy)), input_grad)


class TransformerEncoderBlock(Module):
    """Pre-norm encoder block: self-attention then a feed-forward net, each around a residual  (L40).

    ``torch.nn.TransformerEncoderLayer(norm_first=True, dropout=0, batch_first=True)``
    computes the same function (its ``self_attn``, ``linear1``, ``linear2``, ``norm1``, ``norm2``).

    Parameters
    ----------
    d_model : int   E.     num_heads : int   h.     d_ff : int   width of the feed-forward net.
    rng, dtype      As in :class:`Linear`.

    Shapes
    ------
    x: (m, T, E), key_padding_mask (m, T) bool -> (m, T, E)

    Formula
    -------
    forward   x1 = x + MHA(LN1(x)),            y = x1 + FFN(LN2(x1))
    backward  dx1 = dy + LN2'(FFN'(dy)),       dx = dx1 + LN1'(MHA'(dx1))
              (a residual passes its gradient on unchanged and adds the branch's)
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        self.d_model, self.d_ff = d_model, check_positive_int(d_ff, "TransformerEncoderBlock: d_ff")
        self.norm1 = LayerNorm(d_model, dtype=dtype)
        self.self_attn = MultiHeadAttention(d_model, num_heads, rng=rng, dtype=dtype)
        self.norm2 = LayerNorm(d_model, dtype=dtype)
        self.ff = _FeedForward(d_model, d_ff, rng, dtype)
        self._ran = None

    def forward(self, x: Array, key_padding_mask=None, causal: bool = False) -> Array:
        x1 = x + self.self_attn.forward(self.norm1.forward(x), key_padding_mask=key_padding_mask,
                                        causal=causal)          # x1 = x + MHA(LN1(x))
        self._ran = True
        return x1 + self.ff.forward(self.norm2.forward(x1))     # y = x1 + FFN(LN2(x1))

    def backward(self, dy: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._ran)
        dx1 = dy + self.norm2.backward(self.ff.backward(dy))              # dx1 = dy + LN2'(FFN'(dy))
        return dx1 + self.norm1.backward(self.self_attn.backward(dx1))    # dx = dx1 + LN1'(MHA'(dx1))

    def extra_repr(self) -> str:
        return f"{self.d_model}, num_heads={self.self_attn.num_heads}, d_ff={self.d_ff}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"d_model": self.d_model, "num_heads": self.self_attn.num_heads, "d_ff": self.d_ff}


class TransformerDecoderBlock(Module):
    """Pre-norm decoder block: causal self-attention, cross-attention on the encoder, feed-forward  (L40).

    Parameters
    ----------
    As :class:`TransformerEncoderBlock`.

    Attributes
    ----------
    dmemory : (m, S, E)
        dJ/d(memory) after backward.

    Shapes
    ------
    x: (m, T, E), memory: (m, S, E), memory_key_padding_mask (m, S) bool -> (m, T, E)

    Formula
    -------
    forward   x1 = x + MHA_self(LN1(x), causal),   x2 = x1 + MHA_cross(LN2(x1), memory),
              y = x2 + FFN(LN3(x2))
    backward  dx2 = dy + LN3'(FFN'(dy)),   dx1 = dx2 + LN2'(MHA_cross'(dx2)),
              dmemory = MHA_cross.dmemory,  dx = dx1 + LN1'(MHA_self'(dx1))
    """

    def __init__(self, d_model: int, num_heads: int, d_ff: int, rng: Rng | None = None, dtype=None) -> None:
        super().__init__()
        self.d_model, self.d_ff = d_model, check_positive_int(d_ff, "TransformerDecoderBlock: d_ff")
        self.norm1 = LayerNorm(d_model, dtype=dtype)
        self.self_attn = MultiHeadAttention(d_model, num_heads, rng=rng, dtype=dtype)
        self.norm2 = LayerNorm(d_model, dtype=dtype)
        self.cross_attn = MultiHeadAttention(d_model, num_heads, rng=rng, dtype=dtype)
        self.norm3 = LayerNorm(d_model, dtype=dtype)
        self.ff = _FeedForward(d_model, d_ff, rng, dtype)
        self.dmemory = None
        self._ran = None

    def forward(self, x: Array, memory: Array, memory_key_padding_mask=None) -> Array:
        x1 = x + self.self_attn.forward(self.norm1.forward(x), causal=True)    # x1 = x + MHA(LN1(x), causal)
        x2 = x1 + self.cross_attn.forward(self.norm2.forward(x1), memory,
                                          key_padding_mask=memory_key_padding_mask)  # + MHA(LN2(x1), mem)
        self._ran = True
        return x2 + self.ff.forward(self.norm3.forward(x2))                     # y = x2 + FFN(LN3(x2))

    def backward(self, dy: Array, input_grad: bool = True) -> Array | None:
        need_forward(self, self._ran)
        dx2 = dy + self.norm3.backward(self.ff.backward(dy))                  # dx2 = dy + LN3'(FFN'(dy))
        dx1 = dx2 + self.norm2.backward(self.cross_attn.backward(dx2))        # dx1 = dx2 + LN2'(MHA'(dx2))
        self.dmemory = self.cross_attn.dmemory                                # dJ/dmemory
        return dx1 + self.norm1.backward(self.self_attn.backward(dx1))        # dx = dx1 + LN1'(MHA'(dx1))

    def extra_repr(self) -> str:
        return f"{self.d_model}, num_heads={self.self_attn.num_heads}, d_ff={self.d_ff}"

    def config(self) -> dict:
        """Constructor arguments that rebuild this layer (used by checkpoints)."""
        return {"d_model": self.d_model, "num_heads": self.self_attn.num_heads, "d_ff": self.d_ff}
