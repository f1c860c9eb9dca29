"""The lecture notebooks as text (notebooks/NN_*.py, jupytext percent format): bilingual prose, one
exercise stub per checker, solutions apart.  CI runs them top to bottom (nbmake, .ci/run); these
checks read the files only, so they need neither jupytext nor a kernel."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from abcdl.exercises import CHECKERS

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
HANGUL = re.compile(r"[\uac00-\ud7a3]")
HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---
"""


def cells(path: Path) -> list[tuple[str, str]]:
    """(kind, text) for each cell: "markdown" (comment marks removed) or "code"."""
    body = path.read_text(encoding="utf-8").split("# ---\n", 2)[2]
    found = []
    for chunk in re.split(r"^# %%", body, flags=re.M)[1:]:
        head, _, text = chunk.partition("\n")
        if "[markdown]" in head:
            found.append(("markdown", "\n".join(line[2:] for line in text.strip().splitlines())))
        else:
            found.append(("code", text.strip()))
    return found


def test_notebooks_one_per_part_of_the_lecture():
    names = [p.stem for p in NOTEBOOKS]
    assert names == ["01_learning", "02_perceptron", "03_activations_losses", "04_backprop", "05_optimizers",
                     "06_init_regularization", "07_mnist", "08_cnn", "09_autograd", "10_sequence_models"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_jupytext_percent_with_a_python3_kernel(path):
    assert path.read_text(encoding="utf-8").startswith(HEADER)
    kinds = [k for k, _ in cells(path)]
    assert kinds[0] == "markdown" and "code" in kinds


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_every_markdown_cell_is_korean_then_english(path):
    for kind, text in cells(path):
        if kind != "markdown":
            continue
        korean, sep, english = text.partition("*English")
        assert sep, f"{path.name}: a markdown cell without its English part:\n{text[:200]}"
        assert HANGUL.search(korean), f"{path.name}: the cell does not start in Korean:\n{text[:200]}"
        assert english.rstrip().endswith("*"), f"{path.name}: English not in italics:\n{text[:200]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_code_cells_parse_and_use_the_lecture_font(path):
    code = [text for kind, text in cells(path) if kind == "code"]
    for text in code:
        ast.parse(text)
    assert 'plt.rcParams["font.family"] = find_hangul_font()' in code[0]
    assert "ABCDL_DATA" not in path.read_text(encoding="utf-8")     # MNIST ships inside abcdl


def test_notebooks_every_checker_has_one_blank_exercise_and_a_solution():
    folder = ROOT / "notebooks" / "solutions"
    solutions = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.py"))
    used = {}
    for path in NOTEBOOKS:
        for _, text in cells(path):
            for name in re.findall(r"^check_(\w+)\((\w+)\)$", text, flags=re.M):
                checker, fn = name
                assert checker == fn, f"{path.name}: check_{checker} is given {fn}"
                assert f"def {fn}(" in text and "raise NotImplementedError" in text, f"{path.name}: {fn}"
                used[checker] = path
    assert set(used) == set(CHECKERS)
    for name, path in used.items():
        solution = ROOT / "notebooks" / "solutions" / path.name
        assert solution.is_file() and f"def {name}(" in solution.read_text(encoding="utf-8")
        assert f"notebooks/solutions/{path.name}" in path.read_text(encoding="utf-8")
    assert all(f"def {name}(" in solutions for name in CHECKERS)
