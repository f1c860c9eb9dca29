"""Every number quoted in docs/experiments.md equals a number of its experiment's JSON.

Each section's prose (headings, the command line and images left out) is split into
quoted numbers: decimals (``0.246``), integers (``1,000``), percentages (``9.8%``),
``2.9 × 10¹⁹`` and ``10⁻⁴``.  A number matches when some value of
``docs/experiments/numbers/NAME.json`` (its numbers and its parameters), written with
the same number of digits, reads the same (a percentage also matches 100 x a
fraction).  optimizers-2d keeps no JSON (its trajectories are too large), so its numbers
are computed here with the defaults.  The lecture's own printed numbers and the words'
numbers (formulas, "3 of the 4") that no run produces are listed in ``LECTURE_TEXT``
with the reason; nothing else may be quoted.  After ``python docs/make_gallery.py``
changes a number, this test says which sentence to update.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from abcdl import experiments

DOCS = Path(__file__).resolve().parents[1] / "docs"
GALLERY = DOCS / "experiments.md"
NUMBERS = DOCS / "experiments" / "numbers"
SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
_SUP = "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"
NUMBER_RE = re.compile(
    rf"(?<![\w.])10(?P<exp2>[{_SUP}]+)"
    rf"|(?<![\w.^/])(?P<num>[−-]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)(?:\s*×\s*10(?P<exp>[{_SUP}]+))?"
    rf"(?P<pct>%)?")
SECTION_RE = re.compile(r'<a id="([\w-]+)"></a>\n')

# Numbers that are the lecture's text or the prose's own words, not results of a run (section -> tokens).
LECTURE_TEXT = {
    "hoeffding": {"−2": "the bound's exponent −2ε²N"},
    "pca-mnist": {"3": "3-D shells", "7": "the digits 4, 7 and 9", "9": "the digits 4, 7 and 9"},
    "logic-gates": {"10": "the inputs 00, 01, 10, 11", "11": "the inputs 00, 01, 10, 11"},
    "xor": {"10": "the inputs 01 and 10", "3": "3 of the 4 points", "11": "the inputs"},
    "relu-approximation": {"2": "x = 2 in the lecture's table"},
    "optimizers-2d": {"10⁶": "the divergence threshold ||X|| > 10⁶ (optimizers_2d.DIVERGED)"},
    "mle": {"3": "3 oranges", "1": "the factor (1 − w)", "5,2": "C(5,2)"},
    "numerical-diff": {"7": "the slide's f(x) = 4x³ − 2x² − 7x + 1"},
    "gd-1d": {"7": "f' = 2(x − 2)((2x + 7)x + 1)", "0.0799999999999996": "the slide's misprint",
              "1.944722079042557": "the slide's misprint"},
    "polynomial-overfit": {"0.31": "the slide's column", "7.99": "the slide's column",
                           "−25.43": "the slide's column", "17.37": "the slide's column"},
    "regularization": {"784": "the input layer", "10": "the output layer", "0.1": "the book's lambda",
                       "6": "the book's chapter 6",
                       "10⁻³": "the sparsity threshold |w| < 10⁻³ (regularization.ZERO_TOL)"},
    "batch-norm": {"27": "the slide's 27 s", "9": "the slide's 9 s"},
    "conv": {"0.01": "the book's weight std"},
    "autograd-functions": {"3": "the book's title", "50,000": "the book's step count"},
    "autograd-newton": {"4": "x⁴ and 4x³", "12": "12x² − 4"},
    "autograd-tanh": {"3": "1 − 3y²"},
    "autograd-mnist": {"784": "the input layer", "10": "the output layer"},
}


def _sections(text: str) -> dict[str, str]:
    parts = SECTION_RE.split(text)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _prose(body: str) -> str:
    lines = [ln for ln in body.splitlines() if not ln.startswith(("#", "![", "`abcdl demo"))]
    return re.sub(r"`[^`]*`", " ", "\n".join(lines))           # inline code: names, not results


def quoted_numbers(text: str) -> list[tuple[str, str | None, int | None, bool]]:
    """``(token, number, exponent of 10 or None, percent?)`` for every number in ``text``."""
    out = []
    for m in NUMBER_RE.finditer(text):
        if m.group("exp2"):
            out.append((m.group(0), None, int(m.group("exp2").translate(SUPERSCRIPT)), False))
        else:
            exp = m.group("exp")
            out.append((m.group("num"), m.group("num").replace("−", "-").replace(",", ""),
                        int(exp.translate(SUPERSCRIPT)) if exp else None, bool(m.group("pct"))))
    return out


def json_values(obj) -> list[float]:
    """Every int and float inside ``obj`` (booleans and strings aside)."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return []
    if isinstance(obj, (int, float)):
        return [float(obj)]
    items = obj.values() if isinstance(obj, dict) else obj
    return [v for x in items for v in json_values(x)]


def matches(num: str | None, exp: int | None, pct: bool, values: list[float]) -> bool:
    """Does some value, written with the quoted number's digits, read the same?"""
    if num is None:                                             # "10⁻⁴" alone
        return any(v != 0 and math.isclose(v, 10.0**exp, rel_tol=1e-9) for v in values)
    dec = len(num.split(".")[1]) if "." in num else 0
    for v in values:
        if exp is not None:
            mant, e = f"{v:.{dec}e}".split("e")
            if float(mant) == float(num) and int(e) == exp:
                return True
        elif any(f"{c:.{dec}f}" == f"{float(num):.{dec}f}" for c in ([v, 100 * v] if pct else [v])):
            return True
    return False


def _values(name: str) -> list[float]:
    path = NUMBERS / f"{name}.json"
    if path.is_file():
        return json_values(json.loads(path.read_text(encoding="utf-8")))
    assert name == "optimizers-2d", f"{path} is missing: run python docs/make_gallery.py {name}"
    mod = experiments.get(name)
    return json_values(mod.compute()["numbers"]) + json_values(experiments.parameters(name))


@pytest.fixture(scope="module")
def sections() -> dict[str, str]:
    return _sections(GALLERY.read_text(encoding="utf-8"))


def test_docs_gallery_number_matcher():
    assert matches("0.246", None, False, [0.24612])
    assert not matches("0.246", None, False, [0.2466])
    assert matches("9.8", None, True, [0.0981]) and matches("91.2", None, True, [91.21])
    assert matches("2.9", 19, False, [2.914e19]) and not matches("2.9", 18, False, [2.914e19])
    assert matches(None, -4, False, [1e-4]) and matches("1000", None, False, [1000])
    assert [t for t, *_ in quoted_numbers("x = 1,000, C(5,2), 2.9 × 10¹⁹ and 10⁻⁴ at 9.8%; L2")] == \
        ["1,000", "5", "2", "2.9", "10⁻⁴", "9.8"]


def test_docs_gallery_every_section_is_checked(sections):
    # tests/test_gallery.py checks that every registered experiment has its section
    assert set(sections) <= set(experiments.names()) and set(LECTURE_TEXT) <= set(sections)


@pytest.mark.parametrize("name", list(_sections(GALLERY.read_text(encoding="utf-8"))))
def test_docs_gallery_quoted_numbers_equal_the_json(sections, name):
    values = _values(name)
    allowed = LECTURE_TEXT.get(name, {})
    wrong = [tok for tok, num, exp, pct in quoted_numbers(_prose(sections[name]))
             if tok not in allowed and not matches(num, exp, pct, values)]
    assert not wrong, (f"docs/experiments.md, section {name}: {wrong} are not in "
                       f"docs/experiments/numbers/{name}.json (regenerated? then update the prose)")
