"""The experiments word-vectors and seq2seq-addition (L40): render in en and ko at small sizes, claims."""

from __future__ import annotations

import pytest

from _helpers import assert_finite, run_and_render
from abcdl import experiments
from abcdl.experiments._base import ParamError

SMALL = {
    "word-vectors": {"n_tokens": 20_000, "vocab": 300, "dim": 8, "epochs": 1, "top": 3,
                     "words": ("the", "and", "he")},
    "seq2seq-addition": {"n": 300, "digits": 2, "hidden": 8, "embed": 4, "epochs": 2, "batch_size": 32},
}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", list(SMALL))
def test_experiments_word_vectors_seq2seq_run_small_and_render(name, lang):
    res, png = run_and_render(name, lang, **SMALL[name])   # PNG, size, glyphs, summary
    assert res.spec == ("L40",)
    assert_finite({k: v for k, v in res.numbers.items() if k != "neighbours"})


def test_experiments_word_vectors_neighbours_per_method():
    nb = experiments.run("word-vectors", **SMALL["word-vectors"]).numbers
    for method in ("ppmi", "word2vec"):
        assert set(nb["neighbours"][method]) == {"the", "and", "he"}
        assert all(len(v) == 3 and "<unk>" not in v for v in nb["neighbours"][method].values())


def test_experiments_seq2seq_reversed_peeky_beats_base_at_small_size():
    # 2,000 two-digit questions, 10 epochs (full size, 50,000 three-digit ones: bench/RESULTS.md)
    nb = experiments.run("seq2seq-addition", n=2000, digits=2, hidden=48, embed=16, epochs=10,
                         batch_size=32, lr=0.01).numbers
    assert nb["peeky_beats_base"] and nb["accuracy_reversed_peeky"] >= 2 * nb["accuracy_base"]
    assert nb["accuracy_reversed_peeky"] >= 0.2


@pytest.mark.parametrize("name, bad", [("word-vectors", {"words": ("zzzz",)}), ("word-vectors", {"dim": 1}),
                                       ("seq2seq-addition", {"n": 10 ** 6}),
                                       ("seq2seq-addition", {"lr": -1.0})])
def test_experiments_word_vectors_seq2seq_refuse_bad_parameters(name, bad):
    with pytest.raises(ParamError):
        experiments.run(name, **{**SMALL[name], **bad})
