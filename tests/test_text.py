"""abcdl.text (L40): the shipped corpus, tokens, Vocabulary, the split by position, the unigram baseline."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest

from abcdl import text
from abcdl.data import DataError
from abcdl.text import EOS, UNK, Vocabulary


def test_text_corpus_is_checked_by_sha256(tmp_path):
    s = text.load_shakespeare()
    assert len(s) == 1_115_394 and len(set(s)) == 65
    assert s.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    bad = tmp_path / "tinyshakespeare.txt"
    shutil.copyfile(text.CORPUS_FILE, bad)
    with open(bad, "ab") as f:
        f.write(b"x")
    with pytest.raises(DataError, match="SHA-256"):
        text.load_shakespeare(bad)
    with pytest.raises(DataError, match="cannot read"):
        text.load_shakespeare(tmp_path / "missing.txt")


def test_text_tokenize_words_and_characters():
    s = "We'll know't, Sir!\n\nAll:"
    assert text.tokenize(s) == ["we'll", "know't", ",", "sir", "!", EOS, "all", ":", EOS]
    assert text.tokenize(s, "char") == list(s)
    with pytest.raises(ValueError, match="level"):
        text.tokenize(s, "bytes")
    with pytest.raises(TypeError, match="str"):
        text.tokenize(["a"])


def test_text_vocabulary_orders_by_count_with_unk_first():
    v = Vocabulary.build("b a b c b a\n")                 # counts: b 3, a 2, c 1, <eos> 1
    assert v.tokens == [UNK, "b", "a", EOS, "c"]         # ties (c, <eos>) alphabetically
    assert v.encode("a b zebra").tolist() == [2, 1, 0, 3]   # unknown word -> 0; line end -> <eos>
    assert len(Vocabulary.build("b a b c b a", min_count=2)) == 3
    assert Vocabulary.build("b a b c b a", max_size=2).tokens == [UNK, "b"]
    for bad in ({"min_count": 0}, {"max_size": 1}, {"min_count": 1.5}):
        with pytest.raises(ValueError):
            Vocabulary.build("a", **bad)


def test_text_decode_round_trips():
    s = text.load_shakespeare()[:2000]
    chars = Vocabulary.build(s, "char")
    assert chars.decode(chars.encode(s)) == s
    words = Vocabulary.build(s)
    assert words.decode(words.encode("First Citizen:\nyou are all resolved")) == \
        "first citizen:\nyou are all resolved\n"


@pytest.mark.parametrize("ids, match", [([0, 99], r"\[0, 4\).*0\.\.99"), ([[0, 1]], r"1-D.*\(1, 2\)"),
                                        ([-1], r"-1\.\.-1")])
def test_text_decode_refuses_bad_ids(ids, match):
    v = Vocabulary.build(["a", "b", "c"])
    with pytest.raises(ValueError, match=match):
        v.decode(ids)


def test_text_vocabulary_dict_round_trip_and_errors():
    v = Vocabulary.build("to be or not to be", max_size=3)
    w = Vocabulary.from_dict(v.to_dict())
    assert w.tokens == v.tokens and w.level == v.level
    for bad in ([], {"tokens": ["a"], "level": "word"}, {"tokens": [UNK, "a", "a"], "level": "word"},
                {"tokens": [UNK], "level": "x"}, {"tokens": [UNK]}):
        with pytest.raises(ValueError):
            Vocabulary.from_dict(bad)


def test_text_split_by_position_keeps_order():
    a, b, c = text.split_by_position(list(range(100)))
    assert a == list(range(90)) and b == list(range(90, 95)) and c == list(range(95, 100))
    with pytest.raises(ValueError, match="too short"):
        text.split_by_position([1, 2])
    with pytest.raises(ValueError, match="summing to 1"):
        text.split_by_position(list(range(10)), (0.5, 0.5, 0.5))


def test_text_load_corpus_builds_the_vocabulary_from_train_only():
    c = text.load_corpus(max_size=500, n_tokens=20_000)
    assert (len(c.train), len(c.val), len(c.test)) == (18_000, 1_000, 1_000)
    assert len(c.vocab) == 500 and c.train.dtype == np.int64
    tokens = text.tokenize(text.load_shakespeare())[:20_000]
    only_held_out = set(tokens[18_000:]) - set(tokens[:18_000])
    assert only_held_out and not any(w in c.vocab for w in only_held_out)
    assert c.vocab.decode(c.train[:5]) == "first citizen:\nbefore"
    ch = text.load_corpus(level="char")
    assert len(ch.vocab) == 66 and len(ch.train) + len(ch.val) + len(ch.test) == 1_115_394
    with pytest.raises(ValueError, match="unknown corpus"):
        text.load_corpus("ptb")


def test_text_unigram_perplexity():
    V = 4
    assert text.unigram_perplexity([0, 1, 2, 3], [0, 1, 2, 3], V) == pytest.approx(4.0)   # uniform: V
    # counts (3, 1, 0, 0): P = (4/8, 2/8, 1/8, 1/8); on [0, 1]: exp(-(log 1/2 + log 1/4) / 2) = sqrt(8)
    assert text.unigram_perplexity([0, 0, 0, 1], [0, 1], V) == pytest.approx(math.sqrt(8))
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        text.unigram_perplexity([0, 4], [0], V)
