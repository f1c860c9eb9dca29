"""seq2seq on the addition task (L40): the task, the model's gradients, reversed + peeky beating the base."""

import numpy as np
import pytest
import torch

from abcdl import seq2seq, text
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.numdiff import gradcheck


def test_seq2seq_addition_task_is_distinct_and_correct():
    q, a = text.addition_task(2000, rng=0)
    assert len(set(q)) == 2000 and len(a) == 2000
    for qi, ai in zip(q, a, strict=True):
        x, y = qi.split("+")
        assert int(x) + int(y) == int(ai) and len(x) <= 3 and len(y) <= 3
    assert text.addition_task(5, rng=1) == text.addition_task(5, rng=1)
    with pytest.raises(ValueError, match="n must be an integer"):
        text.addition_task(0)
    with pytest.raises(ValueError, match="digits must be"):
        text.addition_task(10, digits=0)
    assert np.mean([len(x) for x in q]) > 4


@pytest.mark.parametrize("peeky", [False, True])
def test_seq2seq_gradcheck_every_parameter(peeky):
    rng = np.random.default_rng(0)
    q, a = text.addition_task(4, digits=2, rng=0)
    d = seq2seq.encode_pairs(q, a, reverse=True)
    model = seq2seq.Seq2seq(len(d.vocab), 3, 4, peeky=peeky, rng=rng, dtype=np.float64)
    for p in model.parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.5
    G = rng.standard_normal((4, d.t.shape[1] - 1, len(d.vocab)))          # random upstream gradient

    def J(_=None):
        return float(np.sum(model(d.x, d.t[:, :-1]) * G))

    model.zero_grad()
    model(d.x, d.t[:, :-1])
    model.backward(G)
    for name, p in model.named_parameters():
        analytic = p.grad.copy()
        W0 = p.data.copy()

        def f(W, p=p):
            p.data[...] = W
            return J()

        res = gradcheck(f, W0.copy(), analytic, name=name)
        p.data[...] = W0
        assert res.passed, str(res)


def test_seq2seq_matches_torch_lstm_encoder_decoder():
    rng = np.random.default_rng(1)
    q, a = text.addition_task(3, digits=2, rng=1)
    d = seq2seq.encode_pairs(q, a)
    model = seq2seq.Seq2seq(len(d.vocab), 3, 5, rng=rng, dtype=np.float64)
    enc = torch.nn.LSTM(3, 5, batch_first=True).double()
    dec = torch.nn.LSTM(3, 5, batch_first=True).double()
    for tl, ml in ((enc, model.encoder), (dec, model.decoder)):
        for name, p in tl.named_parameters():
            p.data = torch.tensor(getattr(ml, name).data)
    x, y = torch.tensor(d.x), torch.tensor(d.t[:, :-1])
    _, (h, c) = enc(torch.tensor(model.enc_embed.W.data)[x])
    s, _ = dec(torch.tensor(model.dec_embed.W.data)[y], (h, torch.zeros_like(c)))
    logits = s @ torch.tensor(model.out.W.data).T + torch.tensor(model.out.b.data)
    np.testing.assert_allclose(model(d.x, d.t[:, :-1]), logits.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_seq2seq_generate_is_the_teacher_forced_argmax_chain():
    rng = np.random.default_rng(2)
    q, a = text.addition_task(6, digits=2, rng=2)
    d = seq2seq.encode_pairs(q, a)
    model = seq2seq.Seq2seq(len(d.vocab), 4, 6, peeky=True, rng=rng, dtype=np.float64)
    start = d.vocab.index[seq2seq.START]
    out = model.generate(d.x, start, 3)
    fed = np.concatenate([np.full((6, 1), start), out[:, :-1]], axis=1)   # its own answers, teacher-forced
    np.testing.assert_array_equal(model(d.x, fed).argmax(axis=2), out)


def test_seq2seq_encode_pairs_pads_and_reverses():
    d = seq2seq.encode_pairs(["1+2", "10+20"], ["3", "30"], reverse=True)
    v = d.vocab
    assert v.decode(d.x[0]) == "  2+1" and v.decode(d.t[1]) == "_30"
    assert v.decode(d.t[0]) == "_3 "


def test_seq2seq_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="non-empty"):
        seq2seq.encode_pairs([], [])
    with pytest.raises(ValueError, match=r"questions\[1\] is ''"):
        seq2seq.encode_pairs(["1+1", ""], ["2", "0"])
    d = seq2seq.encode_pairs(["1+1"], ["2"])
    with pytest.raises(ValueError, match=r"outside the vocabulary: \['x'\]"):
        seq2seq.encode_pairs(["1+x"], ["2"], vocab=d.vocab)
    other = seq2seq.encode_pairs(["12+34"], ["46"])
    model = seq2seq.Seq2seq(len(d.vocab), 2, 3)
    with pytest.raises(ValueError, match="does not match"):
        seq2seq.accuracy(model, other)
    with pytest.raises(ValueError, match=r"shape \(m, Q\)"):
        model.encode(np.zeros((2, 0), dtype=int))


def test_seq2seq_loss_pipeline_runs():
    d = seq2seq.encode_pairs(["1+1", "2+3"], ["2", "5"])
    model = seq2seq.Seq2seq(len(d.vocab), 2, 3, rng=0)
    loss = SoftmaxCrossEntropyLoss()
    assert np.isfinite(loss(model(d.x, d.t[:, :-1]), d.t[:, 1:]))


def test_seq2seq_save_load_roundtrip(tmp_path):
    d = seq2seq.encode_pairs(["1+1", "12+30"], ["2", "42"], reverse=True)
    model = seq2seq.Seq2seq(len(d.vocab), 3, 4, peeky=True, rng=0, dtype=np.float64)
    seq2seq.save(model, d.vocab, tmp_path / "m.safetensors", reverse=True)
    back, vocab, reverse = seq2seq.load(tmp_path / "m.safetensors")
    assert reverse and back.peeky and vocab.tokens == d.vocab.tokens
    np.testing.assert_array_equal(back(d.x, d.t[:, :-1]), model(d.x, d.t[:, :-1]))
    with pytest.raises(ValueError, match="vocabulary of 3 characters"):
        seq2seq.save(model, text.Vocabulary(["<unk>", "a", "b"], "char"), tmp_path / "x.safetensors")
    (tmp_path / "bad.safetensors").write_bytes(b"junk")
    with pytest.raises(ValueError, match="cannot read a seq2seq model"):
        seq2seq.load(tmp_path / "bad.safetensors")
