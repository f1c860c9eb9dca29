"""Attention, MultiHeadAttention, LayerNorm, Transformer blocks (L40): gradients, torch parity, errors."""

import numpy as np
import pytest
import torch

import abcdl
from abcdl import layers
from abcdl.layers.attention import attention_backward, causal_mask, scaled_dot_product_attention
from abcdl.layers.transformer import positional_encoding
from abcdl.numdiff import check_module, compare_gradients, numerical_gradient

E, H, T, S, M = 8, 2, 4, 5, 3


def _assert_all(results):
    bad = [str(r) for r in results.values() if not r.passed]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("masked", [False, True])
def test_attention_gradcheck_with_and_without_mask(masked):
    rng = np.random.default_rng(1)
    Q, K, V = rng.standard_normal((M, T, 3)), rng.standard_normal((M, S, 3)), rng.standard_normal((M, S, 2))
    mask = causal_mask(T, S) if masked else None
    out, A = scaled_dot_product_attention(Q, K, V, mask)
    G = rng.standard_normal(out.shape)
    grads = attention_backward(G, Q, K, V, A)
    args = [Q, K, V]
    for i, name in enumerate("QKV"):
        def J(z, i=i):                                       # J = sum(out(Q, K, V) * G), one argument varied
            a = list(args)
            a[i] = z
            return float(np.sum(scaled_dot_product_attention(*a, mask)[0] * G))
        r = compare_gradients(grads[i], numerical_gradient(J, args[i].copy(), 1e-6), name)
        assert r.passed, str(r)
    if masked:
        assert np.all(A[:, causal_mask(T, S)] == 0) and np.allclose(A.sum(-1), 1)


@pytest.mark.parametrize("causal, padded", [(False, False), (True, False), (False, True), (True, True)])
def test_multiheadattention_gradcheck_self(causal, padded):
    rng = np.random.default_rng(2)
    mha = layers.MultiHeadAttention(E, H, rng=rng, dtype=np.float64)
    kpm = np.zeros((M, T), dtype=bool)
    kpm[0, -1] = padded
    _assert_all(check_module(mha, rng.standard_normal((M, T, E)),
                             forward=lambda x: mha.forward(x, key_padding_mask=kpm, causal=causal)))


def test_multiheadattention_gradcheck_memory():
    rng = np.random.default_rng(3)
    mha = layers.MultiHeadAttention(E, H, rng=rng, dtype=np.float64)
    x, mem = rng.standard_normal((M, T, E)), rng.standard_normal((M, S, E))
    _assert_all(check_module(mha, x, forward=lambda z: mha.forward(z, mem)))
    G = rng.standard_normal((M, T, E))
    mha.forward(x, mem)
    mha.backward(G)
    num = numerical_gradient(lambda z: float(np.sum(mha.forward(x, z) * G)), mem.copy(), 1e-6)
    r = compare_gradients(mha.dmemory, num, "memory")
    assert r.passed, str(r)


def test_layernorm_gradcheck():
    rng = np.random.default_rng(4)
    ln = layers.LayerNorm(E, dtype=np.float64)
    ln.gamma.data[:] = rng.standard_normal(E)
    ln.beta.data[:] = rng.standard_normal(E)
    _assert_all(check_module(ln, rng.standard_normal((M, T, E))))


@pytest.mark.parametrize("kind", ["encoder", "decoder"])
def test_transformer_block_gradcheck(kind):
    rng = np.random.default_rng(5)
    x, mem = rng.standard_normal((2, T, E)), rng.standard_normal((2, S, E))
    if kind == "encoder":
        block = layers.TransformerEncoderBlock(E, H, 12, rng=rng, dtype=np.float64)
        _assert_all(check_module(block, x))
        return
    block = layers.TransformerDecoderBlock(E, H, 12, rng=rng, dtype=np.float64)
    _assert_all(check_module(block, x, forward=lambda z: block.forward(z, mem)))
    G = rng.standard_normal(x.shape)
    block.forward(x, mem)
    block.backward(G)
    num = numerical_gradient(lambda z: float(np.sum(block.forward(x, z) * G)), mem.copy(), 1e-6)
    r = compare_gradients(block.dmemory, num, "memory")
    assert r.passed, str(r)


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def test_layernorm_matches_torch():
    rng = np.random.default_rng(6)
    ln = layers.LayerNorm(E, dtype=np.float64)
    ln.gamma.data[:], ln.beta.data[:] = rng.standard_normal(E), rng.standard_normal(E)
    x, G = rng.standard_normal((M, T, E)), rng.standard_normal((M, T, E))
    ref = torch.nn.LayerNorm(E, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(_t(ln.gamma.data))
        ref.bias.copy_(_t(ln.beta.data))
    xt = _t(x, True)
    yt = ref(xt)
    yt.backward(_t(G))
    np.testing.assert_allclose(ln.forward(x), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ln.backward(G), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ln.gamma.grad, ref.weight.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ln.beta.grad, ref.bias.grad.numpy(), rtol=1e-9, atol=1e-11)


def _copy_mha(mha, ref):
    with torch.no_grad():
        ref.in_proj_weight.copy_(_t(np.concatenate([mha.q_proj.W.data, mha.k_proj.W.data,
                                                    mha.v_proj.W.data])))
        ref.in_proj_bias.copy_(_t(np.concatenate([mha.q_proj.b.data, mha.k_proj.b.data, mha.v_proj.b.data])))
        ref.out_proj.weight.copy_(_t(mha.out_proj.W.data))
        ref.out_proj.bias.copy_(_t(mha.out_proj.b.data))


def _mha_grads(mha):
    return (np.concatenate([mha.q_proj.W.grad, mha.k_proj.W.grad, mha.v_proj.W.grad]),
            np.concatenate([mha.q_proj.b.grad, mha.k_proj.b.grad, mha.v_proj.b.grad]), mha.out_proj.W.grad)


def test_multiheadattention_matches_torch_with_padding_and_causal_masks():
    rng = np.random.default_rng(7)
    mha = layers.MultiHeadAttention(E, H, rng=rng, dtype=np.float64)
    for p in mha.parameters():
        p.data[:] = rng.standard_normal(p.data.shape) * 0.5
    ref = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    _copy_mha(mha, ref)
    x, G = rng.standard_normal((M, T, E)), rng.standard_normal((M, T, E))
    kpm = np.zeros((M, T), dtype=bool)
    kpm[1, -2:] = True
    xt = _t(x, True)
    yt, wt = ref(xt, xt, xt, key_padding_mask=torch.tensor(kpm), attn_mask=torch.tensor(causal_mask(T)),
                 average_attn_weights=False)
    yt.backward(_t(G))
    y = mha.forward(x, key_padding_mask=kpm, causal=True)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mha.attn_weights, wt.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mha.backward(G), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    mine = _mha_grads(mha)
    theirs = (ref.in_proj_weight.grad, ref.in_proj_bias.grad, ref.out_proj.weight.grad)
    for a, b in zip(mine, theirs, strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-9, atol=1e-11)


def test_transformer_encoder_block_matches_torch():
    rng = np.random.default_rng(8)
    block = layers.TransformerEncoderBlock(E, H, 16, rng=rng, dtype=np.float64)
    for p in block.parameters():
        p.data[:] = p.data + 0.1 * rng.standard_normal(p.data.shape)
    ref = torch.nn.TransformerEncoderLayer(E, H, 16, dropout=0.0, batch_first=True, norm_first=True,
                                           dtype=torch.float64)
    _copy_mha(block.self_attn, ref.self_attn)
    with torch.no_grad():
        for mine, theirs in ((block.ff.linear1, ref.linear1), (block.ff.linear2, ref.linear2)):
            theirs.weight.copy_(_t(mine.W.data))
            theirs.bias.copy_(_t(mine.b.data))
        for mine, theirs in ((block.norm1, ref.norm1), (block.norm2, ref.norm2)):
            theirs.weight.copy_(_t(mine.gamma.data))
            theirs.bias.copy_(_t(mine.beta.data))
    x, G = rng.standard_normal((M, T, E)), rng.standard_normal((M, T, E))
    kpm = np.zeros((M, T), dtype=bool)
    kpm[2, -1] = True
    xt = _t(x, True)
    yt = ref(xt, src_key_padding_mask=torch.tensor(kpm))
    yt.backward(_t(G))
    y = block.forward(x, key_padding_mask=kpm)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(block.backward(G), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(block.ff.linear1.W.grad, ref.linear1.weight.grad.numpy(),
                               rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(block.norm1.gamma.grad, ref.norm1.weight.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(_mha_grads(block.self_attn)[0], ref.self_attn.in_proj_weight.grad.numpy(),
                               rtol=1e-9, atol=1e-11)


def test_positional_encoding_formula():
    PE = positional_encoding(6, 4)
    t = np.arange(6)
    np.testing.assert_allclose(PE[:, 0], np.sin(t))                     # 2i = 0: sin(t / 1)
    np.testing.assert_allclose(PE[:, 1], np.cos(t))
    np.testing.assert_allclose(PE[:, 2], np.sin(t / 100.0))             # 2i = 2, d = 4: 10000^(1/2) = 100
    np.testing.assert_allclose(PE[:, 3], np.cos(t / 100.0))


@pytest.mark.parametrize("layer", [layers.LayerNorm(6), layers.MultiHeadAttention(6, 3),
                                   layers.TransformerEncoderBlock(6, 2, 10),
                                   layers.TransformerDecoderBlock(6, 2, 10)],
                         ids=lambda m: type(m).__name__)
def test_attention_layers_save_and_load(tmp_path, layer):
    path = tmp_path / "m.safetensors"
    abcdl.save(layer, path)
    back = abcdl.load(path)
    assert type(back) is type(layer)
    for (k, a), (k2, b) in zip(layer.state_dict().items(), back.state_dict().items(), strict=True):
        assert k == k2
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call, match", [
    (lambda m: m.forward(np.zeros((2, 0, 6))), r"\(2, 0, 6\)"),
    (lambda m: m.forward(np.zeros((2, 3, 5))), r"\(2, 3, 5\)"),
    (lambda m: m.forward(np.zeros((2, 3, 6)), key_padding_mask=np.zeros((2, 4), bool)),
     r"\(2, 3\).*\(2, 4\)"),
    (lambda m: m.forward(np.zeros((2, 3, 6)), attn_mask=np.zeros((3, 3))), r"attn_mask.*float64"),
    (lambda m: m.forward(np.zeros((2, 3, 6)), np.zeros((3, 4, 6))), r"memory.*\(3, 4, 6\)"),
    (lambda m: m.forward(np.zeros((2, 3, 6)), key_padding_mask=np.ones((2, 3), bool)), r"every key masked"),
    (lambda m: m.backward(np.zeros((2, 3, 6))), r"before forward"),
])
def test_multiheadattention_bad_input_names_the_shapes(call, match):
    with pytest.raises((ValueError, RuntimeError), match=match):
        call(layers.MultiHeadAttention(6, 3))


def test_layernorm_bad_input_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(\.\.\., 6\).*\(2, 5\)"):
        layers.LayerNorm(6).forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="num_heads=4 must divide embed_dim=6"):
        layers.MultiHeadAttention(6, 4)


def test_transformer_decoder_block_matches_torch():
    rng = np.random.default_rng(9)
    block = layers.TransformerDecoderBlock(E, H, 16, rng=rng, dtype=np.float64)
    for p in block.parameters():
        p.data[:] = p.data + 0.1 * rng.standard_normal(p.data.shape)
    ref = torch.nn.TransformerDecoderLayer(E, H, 16, dropout=0.0, batch_first=True, norm_first=True,
                                           dtype=torch.float64)
    _copy_mha(block.self_attn, ref.self_attn)
    _copy_mha(block.cross_attn, ref.multihead_attn)
    with torch.no_grad():
        for mine, theirs in ((block.ff.linear1, ref.linear1), (block.ff.linear2, ref.linear2)):
            theirs.weight.copy_(_t(mine.W.data))
            theirs.bias.copy_(_t(mine.b.data))
        for mine, theirs in ((block.norm1, ref.norm1), (block.norm2, ref.norm2), (block.norm3, ref.norm3)):
            theirs.weight.copy_(_t(mine.gamma.data))
            theirs.bias.copy_(_t(mine.beta.data))
    x, mem, G = rng.standard_normal((M, T, E)), rng.standard_normal((M, S, E)), rng.standard_normal((M, T, E))
    kpm = np.zeros((M, S), dtype=bool)
    kpm[0, -2:] = True
    xt, mt = _t(x, True), _t(mem, True)
    yt = ref(xt, mt, tgt_mask=torch.tensor(causal_mask(T)), memory_key_padding_mask=torch.tensor(kpm))
    yt.backward(_t(G))
    y = block.forward(x, mem, memory_key_padding_mask=kpm)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(block.backward(G), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(block.dmemory, mt.grad.numpy(), rtol=1e-9, atol=1e-11)
    in_proj = ref.multihead_attn.in_proj_weight.grad.numpy()
    np.testing.assert_allclose(_mha_grads(block.cross_attn)[0], in_proj, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(block.norm3.gamma.grad, ref.norm3.weight.grad.numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("shapes, mask, match", [
    (((2, 0, 3), (2, 4, 3), (2, 4, 3)), None, r"T, S >= 1, got Q \(2, 0, 3\)"),
    (((2, 3, 3), (2, 4, 2), (2, 4, 3)), None, r"same width d.*K \(2, 4, 2\)"),
    (((2, 3, 3), (2, 4, 3), (2, 5, 3)), None, r"same length S.*V \(2, 5, 3\)"),
    (((2, 3, 3), (2, 4, 3), (2, 4, 3)), np.zeros((3, 3), bool),
     r"broadcastable to \(2, 3, 4\), got bool \(3, 3\)"),
])
def test_attention_bad_shapes_are_named(shapes, mask, match):
    Q, K, V = (np.zeros(s) for s in shapes)
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(Q, K, V, mask)
