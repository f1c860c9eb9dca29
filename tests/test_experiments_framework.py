"""abcdl.experiments: the framework (registry and conventions, Result, Korean labels).

The convention tests run over every registered experiment; test_experiments_core.py and
the other test_experiments_*.py files run the experiments themselves.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from abcdl import experiments
from abcdl.experiments import _base
from abcdl.experiments._base import PNG_SIGNATURE, ParamError, Result, jsonable

ALLOWED_DEFAULT_TYPES = (bool, int, float, str, tuple)


# ----------------------------------------------------------------------------- registry and conventions

@pytest.mark.parametrize("name", experiments.names())
def test_experiments_module_follows_conventions(name):
    mod = experiments.get(name)
    assert mod.NAME == name
    assert mod.__name__ == f"abcdl.experiments.{name.replace('-', '_')}"
    assert isinstance(mod.SPEC, tuple) and mod.SPEC
    assert all(re.fullmatch(r"L\d+", s) for s in mod.SPEC), mod.SPEC
    assert isinstance(mod.DESCRIPTION, str) and mod.DESCRIPTION and "\n" not in mod.DESCRIPTION
    doc = mod.__doc__ or ""
    assert f"abcdl demo {name}" in doc, "module docstring must say how to run it"
    assert f"python -m {mod.__name__}" in doc
    assert any(s in doc for s in mod.SPEC), "module docstring must name its SPEC ids"
    source = inspect.getsource(mod)
    assert 'if __name__ == "__main__":' in source and "main(NAME)" in source
    assert "pyplot" not in source and "plt.show" not in source
    sig = inspect.signature(mod.run)
    params = list(sig.parameters.values())
    assert params[0].name == "lang" and params[0].default == "en"
    for p in params:
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}.run: {p.name} must be keyword-only"
        assert isinstance(p.default, ALLOWED_DEFAULT_TYPES), f"{name}.run: {p.name} default {p.default!r}"
    texts = getattr(mod, "_TEXT", None)
    if texts is not None:
        assert set(texts) == {"en", "ko"}
        assert set(texts["en"]) == set(texts["ko"]), "English and Korean labels must have the same keys"


def test_experiments_get_unknown_name_lists_the_names():
    with pytest.raises(KeyError, match="mle"):
        experiments.get("no-such-experiment")


def test_experiments_listing_imports_neither_matplotlib_nor_pyplot():
    code = ("import sys, abcdl.experiments as E; E.list_experiments(); "
            "assert 'matplotlib' not in sys.modules, 'listing imported matplotlib'; "
            "r = E.run('mle', grid_points=101); r.render_png(); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'an experiment imported pyplot'; print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode == 0, r.stderr
    assert "ok" in r.stdout


# ----------------------------------------------------------------------------- Result

def test_experiments_jsonable_converts_numpy_and_non_finite():
    out = jsonable({1: np.float32(0.5), "a": np.arange(3), "t": (np.int64(2), np.bool_(True)),
                    "bad": [np.nan, np.inf, -np.inf], "s": "x", "n": None})
    assert out == {"1": 0.5, "a": [0, 1, 2], "t": [2, True], "bad": [None, None, None], "s": "x", "n": None}
    assert type(out["a"][0]) is int and type(out["t"][1]) is bool
    json.dumps(out, allow_nan=False)
    with pytest.raises(TypeError, match="JSON"):
        jsonable({"x": object()})


def _tiny_result(**kw) -> Result:
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [0, 1])
    return Result("tiny", ("L0",), {"x": np.float64(1.5), "v": np.array([1.0, 2.0])}, fig, **kw)


def test_experiments_result_json_and_summary():
    res = _tiny_result(params={"k": (1, 2)}, highlights=["x is 1.5"])
    d = json.loads(res.to_json())
    assert d == {"name": "tiny", "spec": ["L0"], "lang": "en", "params": {"k": [1, 2]},
                 "numbers": {"x": 1.5, "v": [1.0, 2.0]}}
    assert res.summary().splitlines() == ["tiny (L0)", "  x is 1.5"]
    assert "x: 1.5" in _tiny_result().summary()       # without highlights the numbers are listed


def test_experiments_result_save_writes_png_atomically(tmp_path):
    res = _tiny_result()
    path = res.save(tmp_path / "sub" / "tiny.png")      # the folder is created
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 500
    assert os.listdir(path.parent) == ["tiny.png"]      # no temp file left behind
    assert Image.open(path).size[0] > 50


def test_experiments_result_save_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "tiny.png"
    target.write_bytes(b"old")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)   # atomic_write's rename
    with pytest.raises(OSError, match="disk full"):
        _tiny_result().save(target)
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["tiny.png"]         # the temp file was removed


# ----------------------------------------------------------------------------- Korean labels

def test_experiments_hangul_font_is_found():
    # abcdl ships NanumGothic: no system font is needed
    name = _base.find_hangul_font()
    assert name == "NanumGothic"
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=name), fallback_to_default=False)
    assert os.path.isfile(path)
    from matplotlib import ft2font

    assert ft2font.FT2Font(path).get_char_index(ord("가")) != 0, f"{path} has no Hangul"


def test_experiments_korean_style_and_global_rc_untouched():
    before = (list(matplotlib.rcParams["font.sans-serif"]), matplotlib.rcParams["axes.unicode_minus"],
              matplotlib.rcParams["font.family"])
    res = experiments.run("mle", lang="ko", grid_points=101)
    png = res.render_png()
    assert png.startswith(PNG_SIGNATURE)
    assert res.lang == "ko"
    assert res.style.rc["axes.unicode_minus"] is False
    assert res.style.rc["font.sans-serif"][0] == _base.find_hangul_font()
    after = (list(matplotlib.rcParams["font.sans-serif"]), matplotlib.rcParams["axes.unicode_minus"],
             matplotlib.rcParams["font.family"])
    assert after == before
    texts = [t.get_text() for ax in res.figure.axes for t in (ax.title, ax.xaxis.label)]
    assert any(re.search("[가-힣]", s) for s in texts), texts


def test_experiments_korean_falls_back_to_english_without_font(monkeypatch, capsys):
    monkeypatch.setattr(_base, "find_hangul_font", lambda: None)
    res = experiments.run("mle", lang="ko", grid_points=101)
    assert res.lang == "en"
    assert "reinstall abcdl" in capsys.readouterr().err
    assert "likelihood" in res.figure.axes[0].get_title()


def test_experiments_bad_lang_is_a_param_error():
    with pytest.raises(ParamError, match="lang"):
        experiments.run("mle", lang="fr")
