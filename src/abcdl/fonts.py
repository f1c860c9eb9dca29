"""The Hangul font for Korean figure labels: NanumGothic, shipped inside abcdl.

``abcdl demo NAME --lang ko`` labels its figure with the lecture's Korean terms.
That needs a font with Hangul, which many machines lack (a fresh Linux install, a
container, a classroom PC), so abcdl ships one: NanumGothic Regular by NAVER,
unmodified, under the SIL Open Font License 1.1 (``_resources/fonts/OFL.txt``).
:func:`find_hangul_font` adds the file to *this process's* matplotlib font
manager on first use; nothing is installed system-wide and no font cache is
rebuilt.  When the shipped file is missing (a broken install), a Hangul font
installed on the system is used instead, and failing that, English labels.

This module imports matplotlib only inside :func:`find_hangul_font`, so
``abcdl --version`` can say which font will be used without loading it.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path

__all__ = ["SHIPPED_FONT", "SHIPPED_FAMILY", "SYSTEM_FONTS", "find_hangul_font", "font_origin"]

SHIPPED_FONT = Path(__file__).parent / "_resources" / "fonts" / "NanumGothic.ttf"
SHIPPED_FAMILY = "NanumGothic"

# Installed Hangul fonts to fall back on, best first: Debian's fonts-nanum, fonts-noto-cjk,
# then the fonts Windows and macOS ship.
SYSTEM_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic",
                "AppleGothic", "UnDotum")
_SYSTEM_FILE_PREFIXES = ("nanumgothic", "nanumbarungothic", "notosanscjk", "notosanskr", "malgun",
                         "applegothic", "undotum")


def font_origin() -> str:
    """Where the Hangul font comes from, in words, without importing matplotlib."""
    if SHIPPED_FONT.is_file():
        return f"{SHIPPED_FAMILY}, shipped with abcdl ({SHIPPED_FONT})"
    return "the shipped font is missing: a system Hangul font is used if one is installed"


def _installed_family() -> str | None:
    from matplotlib import font_manager as fm

    names = {f.name for f in fm.fontManager.ttflist}
    return next((n for n in SYSTEM_FONTS if n in names), None)


def _system_font() -> str | None:
    """A Hangul font installed on the system, scanning the font folders if matplotlib's list lacks one."""
    from matplotlib import font_manager as fm

    name = _installed_family()
    if name is not None:
        return name
    for path in fm.findSystemFonts(fontext="ttf"):
        if os.path.basename(path).lower().startswith(_SYSTEM_FILE_PREFIXES):
            with contextlib.suppress(Exception):   # an unreadable font file is simply not used
                fm.fontManager.addfont(path)
    return _installed_family()


@functools.lru_cache(maxsize=1)
def find_hangul_font() -> str | None:
    """The family name of a Hangul font that matplotlib can use now, or None.

    The shipped NanumGothic is registered with matplotlib's font manager (once per
    process) and preferred, so Korean figures look the same on every machine.
    """
    if SHIPPED_FONT.is_file():
        from matplotlib import font_manager as fm

        with contextlib.suppress(Exception):       # a damaged file: fall back to the system's fonts
            fm.fontManager.addfont(str(SHIPPED_FONT))
            return fm.FontProperties(fname=str(SHIPPED_FONT)).get_name()
    return _system_font()
