"""Count-based vectors and word2vec (L40): PPMI, SVD, queries, planted analogies, save/load, errors."""

import numpy as np
import pytest

from abcdl import word2vec, wordvec
from abcdl.text import Vocabulary, load_corpus
from abcdl.wordvec import WordVectors

RANKS, FEM = ["king", "lord", "knight", "farmer"], ["queen", "lady", "dame", "farmwife"]


def planted_corpus(n=3000, seed=0):
    """Sentences "<gender word> <noun> <rank word> .": each noun is (gender, rank), so
    noun(r1, m) - noun(r2, m) + noun(r2, f) should be noun(r1, f)."""
    rng = np.random.default_rng(seed)
    gender = (["he", "him", "his"], ["she", "her", "hers"])
    rank = [[f"r{r}a", f"r{r}b", f"r{r}c"] for r in range(4)]
    toks = []
    for _ in range(n):
        g, r = rng.integers(2), rng.integers(4)
        toks += [str(rng.choice(gender[g])), (RANKS, FEM)[g][r], str(rng.choice(rank[r])), "."]
    vocab = Vocabulary.build(toks)
    return vocab.encode(toks), vocab


def analogies_right(wv):
    return sum(wv.analogy(RANKS[i], RANKS[j], FEM[j])[0][0] == FEM[i]
               for i in range(4) for j in range(4) if i != j)


def test_word2vec_co_occurrence_and_ppmi_match_the_book():
    # DLFS2 ch. 2: "you say goodbye and i say hello ." with window 1
    vocab = Vocabulary.build("you say goodbye and i say hello .".split())
    ids = vocab.encode("you say goodbye and i say hello .".split())
    C = wordvec.co_occurrence(ids, len(vocab), window=1)
    say, you, hello = vocab.index["say"], vocab.index["you"], vocab.index["hello"]
    assert C[you].sum() == 1 and C[you, say] == 1 and C[say].sum() == 4 and C[hello, say] == 1
    np.testing.assert_array_equal(C, C.T)
    M = wordvec.ppmi(C)
    N, S = C.sum(), C.sum(axis=0)
    assert M[you, say] == pytest.approx(np.log2(C[you, say] * N / (S[you] * S[say])), rel=1e-6)
    assert M.min() == 0 and M[you, hello] == 0


def test_word2vec_svd_vectors_is_the_best_low_rank_picture():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((8, 8))
    X = wordvec.svd_vectors(M, 8)
    np.testing.assert_allclose(X @ X.T, M @ M.T, atol=1e-10)   # U S (U S)^T = M M^T
    assert wordvec.svd_vectors(M, 3).shape == (8, 3)
    A = rng.standard_normal((60, 60))
    A = A @ np.diag(0.7 ** np.arange(60)) @ A.T                  # fast-decaying spectrum, like PPMI's
    np.testing.assert_allclose(np.abs(wordvec.svd_vectors(A, 5)),             # randomized (5 + 10 < 60 / 2)
                               np.abs(np.linalg.svd(A)[0][:, :5] * np.linalg.svd(A)[1][:5]), atol=1e-6)


@pytest.mark.parametrize("model", ["cbow", "skipgram"])
def test_word2vec_recovers_planted_analogies(model):
    ids, vocab = planted_corpus()
    wv, losses = word2vec.train(ids, vocab, model=model, dim=10, window=1, epochs=4, batch_size=50, lr=0.01,
                                rng=0)
    assert losses[-1] < losses[0]
    assert analogies_right(wv) >= 11                 # of the 12 (a - b + c) questions


def test_word2vec_ppmi_svd_recovers_planted_analogies():
    ids, vocab = planted_corpus()
    wv = WordVectors(wordvec.svd_vectors(wordvec.ppmi(wordvec.co_occurrence(ids, len(vocab))), 5), vocab)
    assert analogies_right(wv) == 12


def test_word2vec_contexts_target():
    ctx, tgt = word2vec.contexts_target(np.arange(6), window=2)
    np.testing.assert_array_equal(tgt, [2, 3])
    np.testing.assert_array_equal(ctx, [[0, 1, 3, 4], [1, 2, 4, 5]])


def test_word2vec_save_load_roundtrip(tmp_path):
    vocab = Vocabulary.build("a b c a b a".split())
    wv = WordVectors(np.random.default_rng(0).standard_normal((len(vocab), 3)), vocab)
    path = wv.save(tmp_path / "v.safetensors")
    back = WordVectors.load(path)
    np.testing.assert_array_equal(back.vectors, wv.vectors)
    assert back.vocab.tokens == vocab.tokens and back.most_similar("a") == wv.most_similar("a")
    (tmp_path / "bad.safetensors").write_bytes(b"not a file")
    with pytest.raises(ValueError, match="cannot read word vectors|not an abcdl word-vectors"):
        WordVectors.load(tmp_path / "bad.safetensors")


def test_word2vec_shakespeare_trains_quickly():
    c = load_corpus("shakespeare", max_size=500, n_tokens=20000)
    wv, losses = word2vec.train(c.train, c.vocab, dim=16, window=2, epochs=2, batch_size=100, lr=0.005, rng=0)
    assert losses[1] < losses[0] and np.all(np.isfinite(wv.vectors))
    assert len(wv.most_similar("the", top=5)) == 5


def test_word2vec_bad_input_is_a_clear_error():
    vocab = Vocabulary.build("a b c".split())
    wv = WordVectors(np.eye(len(vocab)), vocab)
    with pytest.raises(ValueError, match="unknown word 'zebra'"):
        wv.most_similar("zebra")
    with pytest.raises(ValueError, match="unknown word '<unk>'"):
        wv.analogy("a", "<unk>", "b")
    with pytest.raises(ValueError, match="3 vectors for a vocabulary of 4"):
        WordVectors(np.eye(3), vocab)
    with pytest.raises(ValueError, match="at least 2"):
        wordvec.co_occurrence(np.array([], dtype=int), 4)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 4\)"):
        word2vec.train(np.array([0, 1, 7, 2, 3]), vocab, window=1)
    with pytest.raises(ValueError, match="at least 2 window"):
        word2vec.contexts_target(np.array([1, 2]), window=2)
