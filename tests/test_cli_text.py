"""`abcdl train --model rnn|lstm|gru` on Shakespeare and `abcdl predict MODEL --prompt` (L40)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from _helpers import one_cli_error
from abcdl import lm
from abcdl.checkpoint import load, read_info
from abcdl.cli import main
from abcdl.losses import SoftmaxCrossEntropyLoss
from abcdl.text import Vocabulary, load_corpus

QUICK = ["--subset", "12000", "--vocab-size", "400", "--hidden", "16", "--embed", "16", "--epochs", "2",
         "--time-steps", "10", "--verbose", "0"]

pytestmark = pytest.mark.usefixtures("offline")


@pytest.fixture(scope="module")
def lstm_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lm") / "run"
    assert main(["train", "--model", "lstm", "--out", str(out), *QUICK]) == 0
    return out


def test_cli_text_train_writes_the_run_folder(lstm_run, capsys):
    assert {p.name for p in lstm_run.iterdir()} == {"model.safetensors", "metrics.json", "curves.png"}
    assert (lstm_run / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    m = json.loads((lstm_run / "metrics.json").read_text())
    assert m["task"] == "language-model" and m["dataset"]["name"] == "shakespeare"
    assert (m["dataset"]["train"], m["dataset"]["vocabulary"]) == (10_800, 400)
    assert len(m["history"]["val_perplexity"]) == 2 and m["epochs_completed"] == 2
    assert m["config"]["batch_size"] == 20 and m["config"]["clip"] == 0.25       # the book's defaults
    assert math.isfinite(m["test"]["perplexity"]) and m["test"]["unigram_perplexity"] > 1


def test_cli_text_checkpoint_holds_the_vocabulary_and_the_reported_perplexity(lstm_run):
    path = lstm_run / "model.safetensors"
    info = read_info(path)
    vocab = Vocabulary.from_dict(info["vocabulary"])
    corpus = load_corpus(max_size=400, n_tokens=12_000)
    assert vocab.tokens == corpus.vocab.tokens
    model = load(path)
    _, ppl = lm.evaluate_lm(model, SoftmaxCrossEntropyLoss(), corpus.test, 20, 10)
    m = json.loads((lstm_run / "metrics.json").read_text())
    assert ppl == pytest.approx(m["test"]["perplexity"], rel=1e-5)


def test_cli_text_predict_continues_a_prompt(lstm_run, capsys):
    args = ["predict", str(lstm_run), "--prompt", "the king", "--length", "12", "--seed", "3", "--json"]
    assert main(args) == 0
    a = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == a                    # seeded
    assert len(a["tokens"]) == 12 and 0 not in a["tokens"]             # <unk> never drawn
    assert main(["predict", str(lstm_run), "--prompt", "the king", "--length", "5"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("the king") and "read as <unk>: king" in err    # "king" is not among 400 words


@pytest.mark.parametrize("args, match", [
    (["--model", "mlp", "--dataset", "shakespeare"], "use --model rnn, lstm or gru"),
    (["--model", "lstm", "--dataset", "digits"], "use --dataset shakespeare"),
    (["--model", "gru", "--dropout", "0.2"], "--dropout applies to the image models"),
    (["--model", "rnn", "--hidden", "8,8"], "one --hidden width"),
])
def test_cli_text_train_refuses_image_options(tmp_path, capsys, args, match):
    assert main(["train", *args, "--out", str(tmp_path / "r"), "--verbose", "0"]) == 2
    assert match in one_cli_error(capsys.readouterr().err, "train")


def test_cli_text_predict_needs_a_prompt(lstm_run, tmp_path, capsys):
    assert main(["predict", str(lstm_run)]) == 2
    assert "--prompt" in capsys.readouterr().err
    assert main(["predict", str(lstm_run), "x.png"]) == 2
    assert "language model" in capsys.readouterr().err


def test_cli_text_train_characters_with_a_gru(tmp_path):
    out = tmp_path / "chars"
    quick = [a for a in QUICK if a not in ("--vocab-size", "400")]
    assert main(["train", "--model", "gru", "--dataset", "shakespeare-chars", "--out", str(out), *quick]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert m["dataset"]["level"] == "char"
    assert m["dataset"]["vocabulary"] == len(load_corpus(level="char", n_tokens=12_000).vocab) == 59
    assert m["test"]["perplexity"] < m["test"]["unigram_perplexity"]
    assert np.isfinite(m["history"]["perplexity"]).all()
