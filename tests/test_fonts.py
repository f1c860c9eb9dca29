"""abcdl.fonts: the Hangul font shipped with abcdl (NanumGothic, OFL 1.1), used with no system font."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import warnings

import pytest

from abcdl import experiments, fonts
from abcdl.experiments import _base

# SHA-256 of the unmodified NanumGothic.ttf of Debian's fonts-nanum 20200506-1 (see its README.md)
NANUM_SHA256 = "48a28e97b34fc8e5b157657633670cd1b7de126cfc414da65ce9c3d5bc8be733"


def test_fonts_shipped_file_is_the_unmodified_font_with_its_licence():
    assert hashlib.sha256(fonts.SHIPPED_FONT.read_bytes()).hexdigest() == NANUM_SHA256
    folder = fonts.SHIPPED_FONT.parent
    ofl = (folder / "OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE" in ofl and "Version 1.1" in ofl and "NAVER" in ofl
    assert NANUM_SHA256 in (folder / "README.md").read_text()


def test_fonts_shipped_font_is_registered_and_has_hangul():
    from matplotlib import font_manager, ft2font

    assert fonts.find_hangul_font() == "NanumGothic"
    path = font_manager.findfont(font_manager.FontProperties(family="NanumGothic"), fallback_to_default=False)
    assert font_manager.FontProperties(fname=path).get_name() == "NanumGothic"
    font = ft2font.FT2Font(str(fonts.SHIPPED_FONT))
    for ch in "가힣학습률기울기":
        assert font.get_char_index(ord(ch)) != 0, ch


def test_fonts_korean_figure_draws_without_missing_glyph_warnings():
    """Every Korean label of a real experiment renders with no 'Glyph ... missing' warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing")
        res = experiments.run("optimizers-2d", lang="ko")
        png = res.render_png()
    assert res.lang == "ko" and png.startswith(_base.PNG_SIGNATURE)
    assert res.style.rc["axes.unicode_minus"] is False
    assert res.style.rc["font.sans-serif"][0] == "NanumGothic"


def test_fonts_missing_file_falls_back_to_system_or_english(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "SHIPPED_FONT", tmp_path / "gone.ttf")
    fonts.find_hangul_font.cache_clear()
    try:
        assert "missing" in fonts.font_origin()
        found = fonts.find_hangul_font()
        assert found is None or found in fonts.SYSTEM_FONTS
    finally:
        fonts.find_hangul_font.cache_clear()


def test_fonts_import_abcdl_fonts_does_not_load_matplotlib():
    code = "import abcdl.fonts as f, sys; f.font_origin(); print('matplotlib' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


@pytest.mark.parametrize("name", ["mle", "numerical-diff"])
def test_fonts_demo_lang_ko_in_a_fresh_process_has_no_warnings(name, tmp_path):
    """`abcdl demo NAME --lang ko` as a user runs it: Korean figure, nothing on stderr but the file."""
    argv = ["-m", "abcdl", "demo", name, "--lang", "ko", "--json", "--out", str(tmp_path)]
    r = subprocess.run([sys.executable, "-W", "error::UserWarning", *argv], capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, r.stderr
    assert '"lang": "ko"' in r.stdout
    assert r.stderr.strip().splitlines() == [f"wrote {tmp_path / (name + '.png')}"], r.stderr
