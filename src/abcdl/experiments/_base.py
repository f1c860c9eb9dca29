"""What every experiment shares: :class:`Result`, figure style and language, parameter checks.

matplotlib is imported inside the functions here, never at module level, so
``import abcdl.experiments`` and ``abcdl demo list`` stay light.  Figures are
``matplotlib.figure.Figure`` objects drawn on an Agg canvas: no pyplot, no
global figure state, no ``plt.show()``, and no display is needed.
"""

from __future__ import annotations

import contextlib
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import fonts
from .._io import atomic_write
from ..fonts import SYSTEM_FONTS

__all__ = [
    "Result", "FigureStyle", "ParamError", "LANGS", "HANGUL_FONTS", "find_hangul_font",
    "figure_style", "check_param", "check_seed", "check_count", "check_real", "jsonable", "fmt", "main",
]

LANGS = ("en", "ko")

# Installed Hangul fonts abcdl falls back on when its shipped NanumGothic is missing.
HANGUL_FONTS = SYSTEM_FONTS

# rc settings of every experiment figure (on top of matplotlib's defaults).
_BASE_RC = {
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.fontsize": 8.0,
    "legend.framealpha": 0.8,
    "savefig.bbox": "tight",
}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ParamError(ValueError):
    """An experiment parameter is out of range or of the wrong kind (the CLI prints it as one line)."""


def check_param(ok: bool, name: str, message: str) -> None:
    """Raise :class:`ParamError` ``"name: message"`` unless ``ok``."""
    if not ok:
        raise ParamError(f"{name}: {message}")


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_seed(seed: Any, name: str = "seed") -> None:
    """A seed is an integer >= 0: ``np.random.default_rng`` takes no negative seed."""
    check_param(_is_int(seed) and seed >= 0, name,
                f"must be an integer >= 0 (NumPy's generators take no negative seed), got {seed!r}")


def check_count(value: Any, name: str, low: int, high: int, why: str) -> None:
    """An integer in [low, high]; ``why`` says what the upper bound protects (memory, run time)."""
    check_param(_is_int(value) and low <= value <= high, name,
                f"must be an integer in [{low:,}, {high:,}] ({why}), got {value!r}")


def check_real(value: Any, name: str, low: float, high: float, why: str = "") -> None:
    """A finite number in [low, high] (``why``: what a larger value would do)."""
    number = isinstance(value, (int, float, np.integer, np.floating))
    ok = number and math.isfinite(value) and low <= value <= high
    check_param(ok, name, f"must be a finite number in [{low:g}, {high:g}]{f' ({why})' if why else ''}, "
                          f"got {value!r}")


def jsonable(obj: Any) -> Any:
    """``obj`` with NumPy scalars/arrays, tuples and non-string keys turned into JSON types.

    Non-finite floats (NaN, +-inf) become ``None``, so the result passes
    ``json.dumps(..., allow_nan=False)``.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if obj is None or isinstance(obj, str):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in an experiment's numbers (JSON types only)")


# ----------------------------------------------------------------------------- fonts and language

def find_hangul_font() -> str | None:
    """The family name of the Hangul font for Korean labels, or None (see :mod:`abcdl.fonts`)."""
    return fonts.find_hangul_font()


@dataclass(frozen=True)
class FigureStyle:
    """The language a figure is labelled in and the matplotlib rc settings it is drawn under.

    Build it with :func:`figure_style`.  ``rc`` holds Korean figures' Hangul font
    and ``axes.unicode_minus = False`` (Hangul fonts lack U+2212, the typographic
    minus); they are applied with ``matplotlib.rc_context`` while the figure is
    built and again while it is saved, so the global rcParams never change.
    Tick labels keep ``tick_font`` (DejaVu Sans): log axes write them as mathtext
    ``10^{-3}``, whose minus is always U+2212, and mathtext does not fall back to
    a second font for a missing glyph.
    """

    lang: str
    rc: dict = field(default_factory=dict)
    tick_font: str | None = None

    @contextlib.contextmanager
    def context(self):
        """``with style.context():`` build the figure under this style's rc settings."""
        import matplotlib

        with matplotlib.rc_context(self.rc):
            yield self

    def figure(self, figsize: tuple[float, float], **kwargs):
        """A new ``matplotlib.figure.Figure`` on an Agg canvas (no pyplot); call inside ``context()``."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=figsize, layout="constrained", **kwargs)
        FigureCanvasAgg(fig)
        return fig

    def labels(self, texts: dict[str, dict[str, str]]) -> dict[str, str]:
        """``texts[lang]``: the experiment's figure labels in this style's language."""
        return texts[self.lang]


def figure_style(lang: str = "en") -> FigureStyle:
    """Resolve ``lang`` ("en" or "ko") into a :class:`FigureStyle`.

    For "ko" without an installed Hangul font (see :func:`find_hangul_font`),
    prints a notice to stderr and falls back to English labels.
    """
    if lang not in LANGS:
        raise ParamError(f"lang: must be one of {', '.join(LANGS)}, got {lang!r}")
    rc = dict(_BASE_RC)
    if lang == "ko":
        font = find_hangul_font()
        if font is None:
            print(f"abcdl: note: no Hangul font found ({fonts.SHIPPED_FONT} is missing: reinstall abcdl); "
                  "labelling the figure in English", file=sys.stderr)
            return FigureStyle("en", rc)
        rc.update({"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"],
                   "axes.unicode_minus": False})
        return FigureStyle(lang, rc, tick_font="DejaVu Sans")
    return FigureStyle(lang, rc)


# ----------------------------------------------------------------------------- the result

@dataclass
class Result:
    """What an experiment's ``run`` returns: its numbers, its figure and how to show them.

    Attributes
    ----------
    name : str
        The experiment's CLI name ("mle").
    spec : tuple of str
        Lecture items it reproduces (("L14",)).
    numbers : dict
        Key results, converted to JSON types on construction (see :func:`jsonable`).
    figure : matplotlib.figure.Figure
    params : dict
        The arguments ``run`` was called with.
    highlights : list of str
        Lines :meth:`summary` prints (the key numbers in words); empty: numbers are listed.
    style : FigureStyle
        Language and rc settings the figure is drawn and saved under.
    """

    name: str
    spec: tuple[str, ...]
    numbers: dict
    figure: Any
    params: dict = field(default_factory=dict)
    highlights: list[str] = field(default_factory=list)
    style: FigureStyle = field(default_factory=lambda: FigureStyle("en", dict(_BASE_RC)))

    def __post_init__(self) -> None:
        self.spec = tuple(self.spec)
        self.numbers = jsonable(self.numbers)
        self.params = jsonable(self.params)
        json.dumps(self.numbers, allow_nan=False)   # fail here, not in the CLI

    @property
    def lang(self) -> str:
        """The language the figure is labelled in (English when "ko" fell back)."""
        return self.style.lang

    def to_dict(self) -> dict:
        """``{"name", "spec", "lang", "params", "numbers"}`` as plain JSON types (lang: the figure's)."""
        return {"name": self.name, "spec": list(self.spec), "lang": self.lang, "params": self.params,
                "numbers": self.numbers}

    def to_json(self, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string (strict: no NaN or Infinity)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False, ensure_ascii=False)

    def summary(self) -> str:
        """A few lines of text: the title and the key numbers."""
        lines = [f"{self.name} ({', '.join(self.spec)})"]
        if self.highlights:
            lines += [f"  {h}" for h in self.highlights]
        else:
            lines += [f"  {k}: {_short(v)}" for k, v in self.numbers.items()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def render_png(self, dpi: float = 100, palette: bool = True) -> bytes:
        """The figure as PNG bytes, drawn under the result's rc settings.

        ``palette=True`` stores it with 256 colours (Pillow's median-cut
        quantiser): about a third of the size, and no visible change for line
        plots, histograms and scatter plots.
        """
        import io

        import matplotlib

        buf = io.BytesIO()
        with matplotlib.rc_context(self.style.rc):
            if self.style.tick_font:
                for ax in self.figure.axes:
                    ax.tick_params(which="both", labelfontfamily=self.style.tick_font)
            self.figure.savefig(buf, format="png", dpi=dpi, facecolor="white")
        if not palette:
            return buf.getvalue()
        from PIL import Image

        buf.seek(0)
        with Image.open(buf) as im:
            quantized = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        out = io.BytesIO()
        quantized.save(out, format="png", optimize=True)
        return out.getvalue()

    def save(self, path, dpi: float = 100, palette: bool = True) -> Path:
        """Write the figure to ``path`` as PNG, atomically (temp file in the same folder, then rename).

        The folder is created if needed.  On any error the temp file is removed
        and an existing file at ``path`` is left as it was.  ``dpi`` and ``palette``
        as in :meth:`render_png`.  Returns the path.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.render_png(dpi, palette)
        atomic_write(path, data)
        return path


def _short(v: Any, width: int = 100) -> str:
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def fmt(x: float, digits: int = 4) -> str:
    """A number in ``digits`` significant digits (``g`` format), for highlights."""
    return f"{x:.{digits}g}"


def main(name: str, argv: list[str] | None = None) -> int:
    """``python -m abcdl.experiments.<module>``: the same as ``abcdl demo <name> ...``."""
    from ..cli import main as cli_main

    return cli_main(["demo", name, *(sys.argv[1:] if argv is None else argv)])
