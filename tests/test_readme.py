"""README.md's short commands print what README.md shows, up to the digits it says may vary.

``abcdl selfcheck``: every line shown (but "...") comes out, the relative errors' digits
and the layer and loss counts aside (README: the digits vary with the BLAS set-up, each
within a factor 10 of the one shown here; the counts grow as layers are added).
``abcdl train --dataset digits --epochs 30``: the three header lines come out exactly,
and the test accuracy lies in the range the README gives for it.  README's other claims
(the reproducibility statement, the speed ratios with their dates, the SPEC path) are
checked for their wording.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SCI = re.compile(r"\d\.\d\de[-+]\d\d")


def _blocks() -> list[list[str]]:
    """README's fenced code blocks, each as its list of lines."""
    blocks, current = [], None
    for line in README.splitlines():
        if line.startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append(current)
                current = None
        elif current is not None:
            current.append(line)
    return blocks


def _block(first: str) -> list[str]:
    """The lines of README's code block whose first line starts with ``first``."""
    for lines in _blocks():
        if lines and lines[0].startswith(first):
            return lines
    raise AssertionError(f"README.md has no code block starting with {first!r}")


def _abcdl(*args: str, cwd: Path) -> str:
    r = subprocess.run([sys.executable, "-m", "abcdl", *args], capture_output=True, text=True, timeout=900,
                       cwd=cwd, env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1", "HOME": str(cwd)})
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_readme_selfcheck_prints_what_the_readme_shows(tmp_path):
    shown = [ln for ln in _block("abcdl selfcheck:") if ln.strip() != "..."]
    out = _abcdl("selfcheck", cwd=tmp_path).splitlines()
    for line in shown:
        mask = SCI.sub("#", line)
        if line.startswith("PASSED: "):                         # README: the counts grow with the library
            mask = re.sub(r"\d+ (layers|losses)", r"# \1", mask)
        got = next((o for o in out if re.sub(r"\d+ (layers|losses)", r"# \1", SCI.sub("#", o)) == mask
                    or SCI.sub("#", o) == mask), None)
        assert got is not None, f"README line not printed by abcdl selfcheck: {line!r}"
        for a, b in zip(SCI.findall(line), SCI.findall(got), strict=True):
            assert 0.1 <= float(b) / float(a) <= 10, (line, got)      # the digits vary, not the size


def test_readme_digits_run_prints_what_the_readme_shows(tmp_path):
    shown = _block("$ abcdl train --dataset digits --epochs 30")
    out = _abcdl("train", "--dataset", "digits", "--epochs", "30", "--out", str(tmp_path / "run"),
                 cwd=tmp_path).splitlines()
    assert out[:3] == shown[1:4]                                # data, model, optimizer: exactly
    got = next(float(m.group(1)) for o in out if (m := re.match(r"test accuracy: (\d+\.\d+)%", o)))
    shown_acc = next(float(m.group(1)) for s in shown if (m := re.match(r"test accuracy: (\d+\.\d+)%", s)))
    lo, hi = (float(v) for v in re.search(r"digits run's test accuracy[^.]*?(\d+\.\d+)[–-](\d+\.\d+)%",
                                          README, re.DOTALL).groups())
    assert lo <= shown_acc <= hi and lo <= got <= hi, (lo, got, hi)


@pytest.mark.parametrize("phrase", [
    "repeats to the last digit on the same machine",
    "another BLAS set-up",
    "1.10x PyTorch's time per step",
    "The host has fast and slow spells",
    "| `abcdl train --model deep-convnet --workers 2` | 31-40 s (12 epochs: 388-418 s, 99.37-99.45%) | 1.42-1.44x",
    "SimpleConvNet's <= 0.8x is not met (0.90-0.93x with two workers)",
    "`../shared/lecture/SPEC.md`",
    "biases included",
])
def test_readme_states_the_measured_truth(phrase):
    assert phrase in README


@pytest.mark.parametrize("stale", [
    "correct to the last digit", "listed in `shared/lecture/SPEC.md`", "1.00-1.04× PyTorch's time",
    "5.4 s/epoch", "biases are not decayed", "scikit-learn's 8x8 digits",
    "checks every hand-written\nbackward pass",
])
def test_readme_no_longer_makes_the_wrong_claims(stale):
    assert stale not in README
