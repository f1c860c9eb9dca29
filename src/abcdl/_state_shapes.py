"""The tensors a layer's constructor arguments imply, known before the layer is built.

``abcdl.load`` builds each layer from the ``config`` in a checkpoint's metadata,
and building allocates the layer's parameters.  A 5.5 KB file whose config says
``Linear(20000, 20000)`` would make the constructor allocate 400 million floats
before the tensors in the file could be compared with them.  So, before a layer
is built, :func:`state_shapes` gives the name and shape of every parameter and
buffer its arguments imply (``Linear(n_in, n_out)``: W is (n_out, n_in), b is
(n_out,)), and the checkpoint loader compares them with the tensors the file's
header declares, whose bytes it has already found in the file.

One rule per layer class of the library; a layer type registered for
checkpoints without a rule here is built unchecked, and
``tests/test_hardening_checkpoint.py`` fails until its rule is added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["state_shapes", "RULES"]

Shapes = dict[str, tuple[int, ...]]


def _size(value) -> int | None:
    """``value`` as an int when it is a positive integer (not a bool), else None."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
    return int(value) if ok else None


def _kernel(value) -> tuple[int, int] | None:
    """(kh, kw) from an int or a pair of ints, else None."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        pair = (_size(value[0]), _size(value[1]))
        return None if None in pair else pair
    k = _size(value)
    return None if k is None else (k, k)


def _linear(args: Mapping) -> Shapes | None:
    n_in, n_out = _size(args["in_features"]), _size(args["out_features"])
    if n_in is None or n_out is None or not isinstance(args["bias"], bool):
        return None
    shapes = {"W": (n_out, n_in)}                          # W[l]: (n[l], n[l-1])
    if args["bias"]:
        shapes["b"] = (n_out,)                             # b[l]: (n[l],)
    return shapes


def _conv(args: Mapping) -> Shapes | None:
    c, f, k = _size(args["in_channels"]), _size(args["out_channels"]), _kernel(args["kernel_size"])
    if c is None or f is None or k is None or not isinstance(args["bias"], bool):
        return None
    shapes = {"W": (f, c, *k)}                             # W: (F, C, kh, kw)
    if args["bias"]:
        shapes["b"] = (f,)                                 # b: (F,)
    return shapes


def _batchnorm(args: Mapping) -> Shapes | None:
    n = _size(args["num_features"])
    if n is None:
        return None
    return {name: (n,) for name in ("gamma", "beta", "running_mean", "running_var")}


def _embedding(args: Mapping) -> Shapes | None:
    v, d = _size(args["num_embeddings"]), _size(args["embedding_dim"])
    return None if v is None or d is None else {"W": (v, d)}     # W: (V, D), one row per token


def _negative_sampling(args: Mapping) -> Shapes | None:
    shapes = _embedding(args)                                     # W_out: (V, D)
    return None if shapes is None else {"W": shapes["W"], "p": (shapes["W"][0],)}   # p: (V,)


def _recurrent(gates: int) -> Callable[[Mapping], Shapes | None]:
    """RNN (1 gate), GRU (3), LSTM (4): per layer k and direction, PyTorch's four tensors."""
    def rule(args: Mapping) -> Shapes | None:
        d, h, n = _size(args["input_size"]), _size(args["hidden_size"]), _size(args["num_layers"])
        if d is None or h is None or n is None or not isinstance(args["bidirectional"], bool):
            return None
        suffixes = ("", "_reverse") if args["bidirectional"] else ("",)
        shapes: Shapes = {}
        for k in range(n):
            d_k = d if k == 0 else h * len(suffixes)          # layer k > 0 reads the states below
            for sfx in suffixes:
                shapes[f"weight_ih_l{k}{sfx}"] = (gates * h, d_k)
                shapes[f"weight_hh_l{k}{sfx}"] = (gates * h, h)
                shapes[f"bias_ih_l{k}{sfx}"] = (gates * h,)
                shapes[f"bias_hh_l{k}{sfx}"] = (gates * h,)
        return shapes
    return rule


def _layernorm(args: Mapping) -> Shapes | None:
    d = _size(args["normalized_shape"])
    return None if d is None else {"gamma": (d,), "beta": (d,)}        # gamma, beta: (D,)


def _mha(args: Mapping, prefix: str = "") -> Shapes | None:
    e, h = _size(args["embed_dim"]), _size(args["num_heads"])
    if e is None or h is None or e % h or not isinstance(args.get("bias", True), bool):
        return None
    shapes: Shapes = {}
    for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):               # four Linear(E, E)
        shapes[f"{prefix}{proj}.W"] = (e, e)
        if args.get("bias", True):
            shapes[f"{prefix}{proj}.b"] = (e,)
    return shapes


def _block(attentions: tuple[str, ...]) -> Callable[[Mapping], Shapes | None]:
    """Transformer blocks: one LayerNorm per sublayer, the attentions, the feed-forward net."""
    def rule(args: Mapping) -> Shapes | None:
        e, f = _size(args["d_model"]), _size(args["d_ff"])
        if e is None or f is None:
            return None
        shapes: Shapes = {}
        for k, name in enumerate(attentions, start=1):
            shapes.update({f"norm{k}.gamma": (e,), f"norm{k}.beta": (e,)})
            mha = _mha({"embed_dim": e, "num_heads": args["num_heads"]}, f"{name}.")
            if mha is None:
                return None
            shapes.update(mha)
        n = len(attentions) + 1
        shapes.update({f"norm{n}.gamma": (e,), f"norm{n}.beta": (e,)})
        shapes.update({"ff.linear1.W": (f, e), "ff.linear1.b": (f,),             # FFN: Linear(E, F) ...
                       "ff.linear2.W": (e, f), "ff.linear2.b": (e,)})            # ... and Linear(F, E)
        return shapes
    return rule


def _nothing(args: Mapping) -> Shapes:
    return {}


# Keyed by class name, as checkpoints name the layers (abcdl.checkpoint.layer_registry).
RULES: dict[str, Callable[[Mapping], Shapes | None]] = {
    "Linear": _linear, "Conv2d": _conv, "BatchNorm1d": _batchnorm, "BatchNorm2d": _batchnorm,
    "Embedding": _embedding, "EmbeddingDot": _embedding, "NegativeSamplingLoss": _negative_sampling,
    "RNN": _recurrent(1), "GRU": _recurrent(3), "LSTM": _recurrent(4),
    "LayerNorm": _layernorm, "MultiHeadAttention": _mha, "TransformerEncoderBlock": _block(("self_attn",)),
    "TransformerDecoderBlock": _block(("self_attn", "cross_attn")),
    **{name: _nothing for name in ("Identity", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Dropout", "Flatten",
                                   "MaxPool2d", "AvgPool2d")},
}


def state_shapes(cls: type, args: Mapping) -> Shapes | None:
    """The parameter and buffer shapes of ``cls(**args)``, by name, without building it.

    ``args``: every constructor argument, defaults filled in.  Returns None when
    ``cls`` has no rule, or when the arguments are invalid (the constructor then
    says why, allocating nothing).
    """
    rule = RULES.get(cls.__name__)
    return None if rule is None else rule(args)
