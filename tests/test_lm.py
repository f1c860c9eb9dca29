"""abcdl.lm (L40): truncated BPTT windows, fit_lm (state kept, clipping, perplexity), evaluation, sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest

import abcdl
from abcdl import lm
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.optim import SGD, clip_grad_norm
from abcdl.train import TrainingDiverged


def _stream(n: int = 400, V: int = 12, seed: int = 0) -> np.ndarray:
    """A stream with structure to learn: a repeating pattern with some noise."""
    rng = np.random.default_rng(seed)
    ids = np.tile(np.arange(V), n // V + 1)[:n]
    noise = rng.random(n) < 0.1
    ids[noise] = rng.integers(0, V, noise.sum())
    return ids.astype(np.int64)


def test_lm_windows_read_evenly_spaced_rows_in_order():
    wins = lm.lm_windows(np.arange(101), batch_size=4, time_size=5)     # L = 100 // 4 = 25 tokens a row
    assert len(wins) == 5
    x0, t0 = wins[0]
    np.testing.assert_array_equal(x0, [[0, 1, 2, 3, 4], [25, 26, 27, 28, 29], [50, 51, 52, 53, 54],
                                       [75, 76, 77, 78, 79]])          # offsets r * L
    np.testing.assert_array_equal(t0, x0 + 1)                            # targets: the next token
    np.testing.assert_array_equal(wins[1][0][:, 0], [5, 30, 55, 80])     # window 2 continues each row
    assert [x.shape[1] for x, _ in lm.lm_windows(np.arange(101), 4, 7, drop_last=False)] == [7, 7, 7, 4]
    assert len(lm.lm_windows(np.arange(101), 4, 7)) == 3                 # whole windows only (the book)


@pytest.mark.parametrize("ids, kw, match", [
    (np.arange(20), {"batch_size": 4, "time_size": 5}, r"20 tokens.*batch_size=4.*time_size=5"),
    (np.zeros((2, 30), dtype=int), {"batch_size": 1, "time_size": 5}, r"1-D.*\(2, 30\)"),
    (np.linspace(0, 1, 30), {"batch_size": 1, "time_size": 5}, "integer"),
])
def test_lm_windows_refuse_bad_streams(ids, kw, match):
    with pytest.raises(ValueError, match=match):
        lm.lm_windows(ids, **kw)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_lm_evaluate_in_windows_equals_one_pass(cell):
    """The carried state makes windows of 7 steps give the loss of one pass over the whole stream."""
    abcdl.set_default_dtype(np.float64)
    model = lm.language_model(12, 5, 6, cell=cell, rng=np.random.default_rng(1))
    ids = _stream(120)
    loss_fn = SoftmaxCrossEntropyLoss()
    whole, _ = lm.evaluate_lm(model, loss_fn, ids, batch_size=1, time_size=1000)
    by_hand = loss_fn.forward(model.forward(ids[None, :-1]), ids[None, 1:])
    lm.reset_states(model)
    windows, ppl = lm.evaluate_lm(model, loss_fn, ids, batch_size=1, time_size=7)
    assert whole == pytest.approx(by_hand, rel=1e-12)
    assert windows == pytest.approx(whole, rel=1e-12)
    assert ppl == pytest.approx(math.exp(windows))                       # perplexity = exp(mean CE)


def test_lm_fit_is_the_books_loop():
    """fit_lm = for each window in order: train_step with the state carried and the norm clipped."""
    abcdl.set_default_dtype(np.float64)
    ids = _stream(300)
    a = lm.language_model(12, 5, 6, cell="lstm", rng=np.random.default_rng(2))
    b = lm.language_model(12, 5, 6, cell="lstm", rng=np.random.default_rng(2))
    h = lm.fit_lm(a, SoftmaxCrossEntropyLoss(), SGD(a.parameters(), lr=0.5), ids, epochs=2, batch_size=3,
                  time_size=8, max_norm=0.1, verbose=0)
    loss_fn, opt, losses = SoftmaxCrossEntropyLoss(), SGD(b.parameters(), lr=0.5), []
    for _ in range(2):
        lm.reset_states(b)
        for x, t in lm.lm_windows(ids, 3, 8):
            b.zero_grad()
            losses.append(loss_fn.forward(b.forward(x), t))
            b.backward(loss_fn.backward(), input_grad=False)
            clip_grad_norm(b.parameters(), 0.1)
            opt.step()
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-14, err_msg=name)
    n = len(lm.lm_windows(ids, 3, 8))
    assert h.history["loss"][1] == pytest.approx(np.mean(losses[n:]), rel=1e-12)
    assert h.history["perplexity"][1] == pytest.approx(math.exp(np.mean(losses[n:])), rel=1e-12)
    assert h.params["batch_size"] == 3 and h.params["time_size"] == 8 and h.params["steps"] == n


def test_lm_fit_learns_and_reports_validation_perplexity():
    ids, val = _stream(1200), _stream(300, seed=1)
    model = lm.language_model(12, 8, 16, cell="lstm", rng=np.random.default_rng(0))
    h = lm.fit_lm(model, SoftmaxCrossEntropyLoss(), abcdl.optim.Adam(model.parameters(), lr=0.02), ids,
                  epochs=6, batch_size=4, time_size=10, max_norm=1.0, validation=val, verbose=0)
    assert set(h.history) >= {"loss", "perplexity", "val_loss", "val_perplexity", "lr"}
    vp = h.history["val_perplexity"]
    assert vp[0] > vp[-1] and vp[-1] < 4                               # uniform guessing: 12
    assert model.training                                               # mode restored (train on entry)
    assert all(m._carry is None for _, m in model.named_modules() if hasattr(m, "_carry"))


def test_lm_fit_refuses_ids_beyond_the_vocabulary():
    model = lm.language_model(10, 4, 4)
    opt = SGD(model.parameters(), lr=0.1)
    ids = np.arange(100) % 11                                           # id 10 >= V = 10
    with pytest.raises(ValueError, match=r"\[0, 10\).*vocabulary of 10.*0\.\.10"):
        lm.fit_lm(model, SoftmaxCrossEntropyLoss(), opt, ids, batch_size=2, time_size=5, verbose=0)
    with pytest.raises(ValueError, match=r"validation.*\[0, 10\)"):
        lm.fit_lm(model, SoftmaxCrossEntropyLoss(), opt, ids % 10, batch_size=2, time_size=5,
                  validation=ids, verbose=0)
    with pytest.raises(ValueError, match=r"1-D.*\(10, 10\)"):
        lm.fit_lm(model, SoftmaxCrossEntropyLoss(), opt, (ids % 10).reshape(10, 10), verbose=0)


def test_lm_fit_stops_on_a_nan_loss():
    model = lm.language_model(10, 4, 4)
    model[2].W.data[0, 0] = np.nan                                      # every score row turns NaN
    with pytest.raises(TrainingDiverged, match="epoch 1/3, step 1") as info:
        lm.fit_lm(model, SoftmaxCrossEntropyLoss(), SGD(model.parameters(), lr=0.1), np.arange(100) % 10,
                  epochs=3, batch_size=2, time_size=5, verbose=0)
    assert info.value.epoch == 1 and info.value.step == 1


def test_lm_generate_is_seeded_skips_ids_and_restores_the_model():
    model = lm.language_model(12, 5, 6, cell="gru", rng=np.random.default_rng(3))
    model[1].stateful = False
    model.train()
    a = lm.generate(model, [1, 2, 3], 30, skip_ids=(0, 5), rng=7)
    assert a.shape == (30,) and a.dtype == np.int64 and not np.isin(a, [0, 5]).any()
    np.testing.assert_array_equal(a, lm.generate(model, [1, 2, 3], 30, skip_ids=(0, 5), rng=7))
    assert model.training and model[1].stateful is False and model[1]._carry is None
    greedy = lm.generate(model, [4], 3, temperature=0)                 # argmax, fed back one at a time
    x = [4]
    for _ in range(3):
        lm.reset_states(model)
        model.eval()
        x.append(int(model.forward(np.array([x]))[0, -1].argmax()))
    np.testing.assert_array_equal(greedy, x[1:])
    with pytest.raises(ValueError, match="temperature"):
        lm.generate(model, [1], 3, temperature=-1)
    with pytest.raises(ValueError, match=r"\[0, 12\)"):
        lm.generate(model, [12], 3)
