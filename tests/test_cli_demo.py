"""``abcdl demo``: listing, running with parameters, JSON, output folder, languages, errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from abcdl import experiments
from abcdl.cli import CLIError, main
from abcdl.cli.demo import DEFAULT_OUT, parse_params
from abcdl.experiments import _base
from abcdl.experiments._base import PNG_SIGNATURE


def _cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "abcdl", *args], capture_output=True, text=True,
                          timeout=180, cwd=cwd)


def test_cli_demo_list_names_every_experiment_with_spec(capsys):
    assert main(["demo", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    for info in experiments.list_experiments():
        line = next((s for s in lines if s.split()[:1] == [info.name]), None)
        assert line is not None, f"{info.name} missing from `demo list`"
        assert ",".join(info.spec) in line and info.description in line


def test_cli_demo_without_name_lists(capsys):
    assert main(["demo"]) == 0
    assert "mle" in capsys.readouterr().out


def test_cli_demo_json_and_out(tmp_path, capsys):
    out_dir = tmp_path / "figs"
    assert main(["demo", "mle", "--json", "--out", str(out_dir)]) == 0
    captured = capsys.readouterr()
    d = json.loads(captured.out)                          # stdout is pure JSON
    assert d["name"] == "mle" and d["spec"] == ["L14"]
    assert d["numbers"]["argmax_grid"] == pytest.approx(0.4, abs=1e-4)
    png = out_dir / "mle.png"
    assert d["figure"] == str(png)
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert str(png) in captured.err


def test_cli_demo_summary_and_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "mle", "--grid-points", "1001"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("mle (L14)") and "2/5 = 0.4" in out
    assert (tmp_path / DEFAULT_OUT / "mle.png").read_bytes().startswith(PNG_SIGNATURE)


def test_cli_demo_parameters_before_and_after_name(tmp_path, capsys):
    assert main(["demo", "--json", "mle", "--n", "10", "--k=3", "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["params"]["n"] == 10 and d["params"]["k"] == 3
    assert d["numbers"]["closed_form"] == pytest.approx(0.3)


def test_cli_demo_tuple_and_negative_values(tmp_path, capsys):
    args = ["demo", "curse-of-dimensionality", "--dims", "2,5", "--grid-dims", "1,2", "--n-points", "30",
            "--spacings", "0.5,0.25", "--json", "--out", str(tmp_path)]
    assert main(args) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["params"]["dims"] == [2, 5] and d["params"]["spacings"] == [0.5, 0.25]
    assert list(d["numbers"]["distances"]) == ["2", "5"]
    assert main(["demo", "polynomial-overfit", "--ln-lambda", "-5", "--degrees", "1,3", "--json",
                 "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["params"]["ln_lambda"] == -5.0 and list(d["numbers"]["max_abs_w"]) == ["1", "3"]


def test_cli_demo_parse_params_types():
    defaults = {"n": 5, "lr": 0.1, "flag": False, "name": "sin", "dims": (2, 10), "xs": (0.5, 1.0),
                "cfg": ("a:b",)}
    got = parse_params("x", [("n", "7"), ("lr", "1e-3"), ("flag", "yes"), ("name", "z"), ("dims", "1, 2,3"),
                             ("xs", "0.1,2"), ("cfg", "he:relu,xavier:tanh")], defaults)
    assert got == {"n": 7, "lr": 1e-3, "flag": True, "name": "z", "dims": (1, 2, 3), "xs": (0.1, 2.0),
                   "cfg": ("he:relu", "xavier:tanh")}
    assert type(got["xs"][1]) is float and type(got["dims"][0]) is int
    for pair, word in ((("n", "2.5"), "--n"), (("flag", "maybe"), "true or false"),
                       (("dims", "1,x"), "--dims"), (("bogus", "1"), "--bogus")):
        with pytest.raises(CLIError, match=word) as info:
            parse_params("x", [pair], defaults)
        assert "--lr" in str(info.value)                  # the valid parameters are listed


@pytest.mark.parametrize("args, words", [
    (["mle", "--bogus", "1"], ["--bogus", "--grid-points"]),
    (["mle", "--n", "x"], ["--n", "int"]),
    (["mle", "--k", "7"], ["k", "0 < k < n"]),
    (["mle", "--n"], ["--n needs a value"]),
    (["mle", "stray"], ["stray"]),
    (["no-such-demo"], ["unknown experiment", "abcdl demo list"]),
    (["optimisers-2d"], ["unknown experiment", "did you mean optimizers-2d?"]),
    (["mle", "--lang", "fr"], ["--lang"]),
])
def test_cli_demo_user_errors_exit_2_with_one_line(tmp_path, args, words):
    r = _cli("demo", *args, "--out", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("abcdl demo: error:"), r.stderr
    for w in words:
        assert w in lines[0]
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "mle.png").exists()


def test_cli_demo_help_for_one_experiment(capsys):
    assert main(["demo", "hoeffding", "--help"]) == 0
    out = capsys.readouterr().out
    assert "L3" in out and "--n-train" in out and "10,20,50,100,200,500,1000" in out and "--eps" in out


def test_cli_demo_korean(tmp_path, capsys):
    assert _base.find_hangul_font() == "NanumGothic"            # the font shipped with abcdl
    assert main(["demo", "numerical-diff", "--lang", "ko", "--json", "--out", str(tmp_path)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["lang"] == "ko" and d["params"]["lang"] == "ko"
    assert (tmp_path / "numerical-diff.png").read_bytes().startswith(PNG_SIGNATURE)


def test_cli_demo_korean_without_font_falls_back(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(_base, "find_hangul_font", lambda: None)
    assert main(["demo", "mle", "--lang", "ko", "--json", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["lang"] == "en"
    assert "no Hangul font" in captured.err and "reinstall abcdl" in captured.err


def test_cli_demo_python_dash_m_experiment_module(tmp_path):
    r = subprocess.run([sys.executable, "-m", "abcdl.experiments.mle", "--json", "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["numbers"]["closed_form"] == 0.4
    assert os.path.isfile(tmp_path / "mle.png")
