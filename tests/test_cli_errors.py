"""The command line on a fresh machine: where the data comes from, and errors a person can read.

Every CLI error is a few short lines: the first says what went wrong, the next ones
what to do; Korean on lines of its own; the download log only with ``--verbose``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import abcdl
from abcdl.cli import MAX_LINE, main
from abcdl.data import mnist as mnist_mod

pytestmark = pytest.mark.usefixtures("offline")

QUICK = ["--hidden", "16", "--dropout", "0", "--epochs", "1", "--verbose", "2"]
HANGUL = re.compile("[가-힣]")


def _error_lines(err: str, command: str) -> list[str]:
    lines = err.splitlines()
    assert lines and lines[0].startswith(f"abcdl {command}: error: "), err
    assert "Traceback" not in err
    assert max(map(len, lines)) <= MAX_LINE, err
    return lines


@pytest.mark.parametrize("download", [False, True])
def test_cli_missing_data_is_a_few_short_lines(tmp_path, capsys, download):
    # with downloads on, the only mirror is 127.0.0.1:9 (refused): the real download path fails fast
    folder = tmp_path / "nonexistent"
    args = ["train", "--data-root", str(folder), "--out", str(tmp_path / "run")]
    assert main(args + ([] if download else ["--no-download"])) == 2
    lines = _error_lines(capsys.readouterr().err, "train")
    gone = "could not be downloaded" if download else "downloading was turned off"
    assert lines[0] == f"abcdl train: error: MNIST is not on this machine and {gone}."
    text = "\n".join(lines)
    assert len(lines) <= 12
    assert str(folder / "mnist") in text and "--data-root DIR" in text and "root=" not in text
    for stem in mnist_mod.FILES.values():
        assert stem[0] + ".gz" in text
    assert "--verbose" in text and "127.0.0.1:9" not in text            # the log is behind --verbose
    korean = [line for line in lines if HANGUL.search(line)]
    assert len(korean) >= 2 and all(not re.search("[A-Za-z]{12,}", line) for line in korean)
    assert not (tmp_path / "run").exists()


def test_cli_missing_data_verbose_lists_every_attempt(tmp_path, capsys):
    folder = tmp_path / "nonexistent"
    assert main(["train", "--data-root", str(folder), "--out", str(tmp_path / "run"), "--verbose"]) == 2
    lines = _error_lines(capsys.readouterr().err, "train")
    text = "\n".join(lines)
    for stem, digest in mnist_mod.SHA256["mnist"].items():
        assert f"127.0.0.1:9/{stem}.gz" in text and digest in text
    assert "run again with --verbose" not in text


def test_cli_evaluate_missing_fashion_mnist(tmp_path, capsys):
    """evaluate also explains a missing dataset in a few lines, and --verbose adds the download log."""
    abcdl.seed(0)
    from abcdl.models import mlp

    mlp(784, [8], 10).save(tmp_path / "m.safetensors", info={"dataset": "fashion-mnist",
                                                             "input_shape": [1, 28, 28]})
    args = ["evaluate", str(tmp_path / "m.safetensors"), "--data-root", str(tmp_path / "none")]
    assert main(args) == 2
    lines = _error_lines(capsys.readouterr().err, "evaluate")
    assert "Fashion-MNIST is not on this machine" in lines[0] and len(lines) <= 14
    assert main([*args, "--verbose"]) == 2
    assert "Download attempts:" in capsys.readouterr().err


def test_cli_train_first_line_says_where_mnist_came_from(tmp_path, capsys, data_root):
    out = tmp_path / "run"
    assert main(["train", "--subset", "300", "--out", str(out), "--data-root", str(data_root), *QUICK]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"abcdl train: MNIST from {data_root / 'mnist'} (--data-root DIR): ")


def test_cli_train_uses_the_shipped_mnist(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("ABCDL_DATA", raising=False)
    assert main(["train", "--subset", "300", "--out", str(tmp_path / "run"), *QUICK]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    expect = "abcdl train: MNIST from the copy shipped with abcdl: 270 training / 30 validation / 10,000 test"
    assert first.startswith(expect)


def test_cli_version_and_selfcheck_say_where_data_and_font_are(capsys, monkeypatch):
    monkeypatch.delenv("ABCDL_DATA", raising=False)
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"abcdl {abcdl.__version__}"
    assert "MNIST: from the copy shipped with abcdl" in out
    assert any(line.startswith("Fashion-MNIST: not on this machine") for line in out)
    assert any(line.startswith("Hangul font: NanumGothic, shipped with abcdl") for line in out)
    assert main(["selfcheck"]) == 0
    text = capsys.readouterr().out
    assert "MNIST: from the copy shipped with abcdl" in text and "Hangul font: NanumGothic" in text


def _bad_files(tmp_path):
    (tmp_path / "junk.safetensors").write_bytes(b"\x80\x04garbage" * 10)
    (tmp_path / "img.png").write_bytes(b"not a png")
    np.save(tmp_path / "nan.npy", np.full((28, 28), np.nan))
    return tmp_path


ERRORS = [
    ["train", "--epochs", "0"],
    ["train", "--bogus"],
    ["train", "--dataset", "fashion-mnist", "--no-download", "--data-root", "{tmp}/nowhere"],
    ["train", "--dataset", "fashion-mnist", "--data-root", "{tmp}/" + "very-long-folder-name/" * 12],
    ["evaluate", "{tmp}/missing.safetensors"],
    ["evaluate", "{tmp}/junk.safetensors"],
    ["predict", "{tmp}/junk.safetensors", "{tmp}/img.png"],
    ["demo", "mle", "--n", "-3"],
    ["demo", "no-such-experiment"],
]


@pytest.mark.parametrize("argv", ERRORS, ids=lambda a: " ".join(a)[:40])
def test_cli_no_error_line_is_longer_than_200_characters(argv, tmp_path, capsys):
    folder = _bad_files(tmp_path)
    argv = [a.replace("{tmp}", str(folder)) for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:             # argparse's own errors
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err
    assert max(len(line) for line in err.splitlines()) <= 200, err
