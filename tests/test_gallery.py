"""The experiments gallery, docs/experiments.md: every experiment listed, every figure present and small.

These tests read the committed files only; they never run an experiment
(``docs/make_gallery.py`` does that).  Its helpers are exercised on a tiny
synthetic figure.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from abcdl import experiments
from abcdl.experiments._base import PNG_SIGNATURE, Result, figure_style

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GALLERY = DOCS / "experiments.md"
FIGURES = DOCS / "experiments"
MAX_BYTES = 200 * 1024
IMAGE_RE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
HEADING_RE = re.compile(r"^## (\S+) \(([^)]*)\)\s*$", re.MULTILINE)


@pytest.fixture(scope="module")
def gallery() -> str:
    assert GALLERY.is_file(), f"{GALLERY} is missing"
    return GALLERY.read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, tuple[str, str]]:
    """``{name: (spec text of the heading, body up to the next heading)}``."""
    matches = list(HEADING_RE.finditer(text))
    out = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out[m.group(1)] = (m.group(2), text[m.end():end])
    return out


def _images(text: str) -> list[str]:
    return IMAGE_RE.findall(text)


def test_gallery_has_a_section_for_every_experiment_and_no_other(gallery):
    sections = _sections(gallery)
    names = experiments.names()
    missing = [n for n in names if n not in sections]
    assert not missing, f"docs/experiments.md has no '## NAME (SPEC)' section for {missing}"
    unknown = [n for n in sections if n not in names]
    assert not unknown, f"docs/experiments.md has sections for unregistered experiments {unknown}"
    assert list(sections) == names, "sections should follow the registry's (lecture) order"


@pytest.mark.parametrize("name", experiments.names())
def test_gallery_section_names_spec_command_and_figure(gallery, name):
    spec_text, body = _sections(gallery)[name]
    spec = experiments.get(name).SPEC
    assert [s.strip() for s in spec_text.split(",")] == list(spec), \
        f"heading of {name} should list its SPEC ids {spec}, has ({spec_text})"
    assert f"`abcdl demo {name}`" in body, f"section {name} should show the command"
    assert f"experiments/{name}.png" in _images(body), f"section {name} should embed experiments/{name}.png"
    assert f'<a id="{name}"></a>' in gallery, f"anchor for {name} (the table of contents links to it)"
    assert f"](#{name})" in gallery, f"the table of contents should link to {name}"
    assert re.search(r"[\uac00-\ud7a3]", body), f"section {name} should give the lecture's Korean terms"


def test_gallery_shows_a_korean_figure(gallery):
    assert any(p.endswith(".ko.png") for p in _images(gallery)), "no --lang ko figure is shown"


def test_gallery_every_referenced_png_exists_is_valid_and_small(gallery):
    refs = _images(gallery)
    assert refs, "no images in docs/experiments.md"
    for ref in refs:
        assert not ref.startswith(("/", "http")), f"{ref}: use a relative link"
        path = DOCS / ref
        assert path.suffix == ".png", f"{ref}: not a PNG"
        assert path.is_file(), f"{ref} is referenced but missing"
        data = path.read_bytes()
        assert data[:8] == PNG_SIGNATURE, f"{ref}: not a PNG file"
        assert len(data) < MAX_BYTES, f"{ref}: {len(data) / 1024:.0f} KB (limit 200 KB)"
        width, height = struct.unpack(">II", data[16:24])     # IHDR
        assert width >= 400 and height >= 200, f"{ref}: only {width}x{height} pixels"
        with Image.open(path) as im:
            im.verify()                                       # decodes the chunks, checks CRCs
        with Image.open(path) as im:
            low, high = im.convert("L").getextrema()
            assert high - low > 100, f"{ref}: (almost) blank image"


def test_gallery_has_no_orphan_figures(gallery):
    refs = {DOCS / r for r in _images(gallery)}
    orphans = sorted(p.name for p in FIGURES.glob("*.png") if p not in refs)
    assert not orphans, f"docs/experiments/ holds figures the gallery does not show: {orphans}"


def test_gallery_numbers_files_are_runs_of_registered_experiments():
    files = sorted((FIGURES / "numbers").glob("*.json"))
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert data["name"] == path.stem, f"{path.name} holds the numbers of {data['name']!r}"
        assert path.stem in experiments.names(), f"{path.name}: not a registered experiment"
        assert data["spec"] == list(experiments.get(path.stem).SPEC)
        assert data["lang"] == "en" and isinstance(data["numbers"], dict) and data["numbers"]


# ----------------------------------------------------------------------------- docs/make_gallery.py

@pytest.fixture(scope="module")
def make_gallery():
    before = dict(os.environ)
    spec = importlib.util.spec_from_file_location("make_gallery", DOCS / "make_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for key in set(os.environ) - set(before):       # it sets the BLAS thread count for its own runs
        del os.environ[key]
    return module


def _noisy_result() -> Result:
    """A figure whose PNG is large (noise does not compress) and shrinks with dpi."""
    style = figure_style("en")
    with style.context():
        fig = style.figure(figsize=(6, 4))
        ax = fig.add_subplot()
        ax.imshow(np.random.default_rng(0).random((200, 300, 3)), interpolation="nearest")
    return Result("noise", ("L0",), {"x": 1.0}, fig, style=style)


def test_gallery_script_lowers_dpi_until_the_png_fits(make_gallery, tmp_path):
    result = _noisy_result()
    full_kb, lower_kb = (len(result.render_png(dpi=d)) / 1024 for d in (100, 80))
    assert lower_kb < full_kb
    limit_kb = (lower_kb + full_kb) / 2          # too big at dpi 100, fits at dpi 80
    dpi, kb = make_gallery.save_under(result, tmp_path / "noise.png", 100, limit_kb)
    assert dpi < 100 and kb <= limit_kb
    data = (tmp_path / "noise.png").read_bytes()
    assert data[:8] == PNG_SIGNATURE and len(data) / 1024 == pytest.approx(kb)
    with pytest.raises(RuntimeError, match="KB even at dpi"):
        make_gallery.save_under(result, tmp_path / "tiny.png", 100, 1.0)
    assert not (tmp_path / "tiny.png").exists()


def test_gallery_script_skips_large_numbers_and_removes_stale_ones(make_gallery, tmp_path, capsys):
    path = tmp_path / "numbers" / "big.json"
    make_gallery.write_numbers(path, json.dumps({"x": 1}))
    assert json.loads(path.read_text()) == {"x": 1}
    make_gallery.write_numbers(path, json.dumps({"x": "y" * int(make_gallery.MAX_JSON_KB * 1024)}))
    assert not path.exists()
    assert "not written" in capsys.readouterr().out


def test_gallery_script_lists_every_experiment_without_running(make_gallery, capsys):
    assert make_gallery.main(["--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"{n} (en)" for n in experiments.names()] + ["gd-1d (ko)"]
    assert make_gallery.main(["--list", "mle", "--ko", "mle,gd-1d"]) == 0
    assert capsys.readouterr().out.splitlines() == ["mle (en)", "mle (ko)"]
    with pytest.raises(SystemExit):
        make_gallery.main(["--list", "no-such-experiment"])
