"""The ``abcdl`` command's core: --version, selfcheck, python -m abcdl."""

import subprocess
import sys

import abcdl
from abcdl.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert abcdl.__version__ in capsys.readouterr().out


def test_selfcheck_passes(capsys):
    assert main(["selfcheck"]) == 0
    out = capsys.readouterr().out
    assert "PASSED" in out and "layers.0.W" in out


def test_python_dash_m_runs_the_cli():
    r = subprocess.run([sys.executable, "-m", "abcdl", "selfcheck"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "PASSED" in r.stdout


def test_unknown_command_exits_2():
    r = subprocess.run([sys.executable, "-m", "abcdl", "bogus"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "invalid choice" in r.stderr
