"""The attention experiments (L40): attention-dates and transformer-dates.

They render in English and Korean with SMALL parameters (seconds); the year-attention
measure is checked on a hand-made heat map.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from _helpers import assert_finite, run_and_render
from abcdl import experiments
from abcdl.experiments._base import ParamError
from abcdl.experiments.attention_dates import year_attention, year_positions

SMALL = {
    "attention-dates": {"n_train": 200, "n_test": 20, "wordvec": 4, "hidden": 8, "epochs": 1,
                        "batch_size": 64},
    "transformer-dates": {"n_train": 200, "n_test": 20, "d_model": 8, "heads": 2, "d_ff": 8, "layers": 1,
                          "epochs": 1, "batch_size": 64},
}


@pytest.mark.parametrize("lang", ["en", "ko"])
@pytest.mark.parametrize("name", list(SMALL))
def test_experiments_attention_run_small_and_render(name, lang):
    res, png = run_and_render(name, lang, **SMALL[name])   # PNG, size, glyphs, summary
    assert res.spec == ("L40",)
    nb = res.numbers
    assert_finite({k: v for k, v in nb.items() if k not in ("example", "model")})
    assert len(nb["accuracy_per_epoch"]) == 1 and 0 <= nb["test_accuracy"] <= 1


def test_experiments_attention_year_attention_measure():
    q = ["27 sep 1994", "1994.09.27"]
    assert list(year_positions(q[0])) == [7, 8, 9, 10] and list(year_positions(q[1])) == [0, 1, 2, 3]
    W = np.zeros((2, 10, 12))
    W[0, :4, 7:11] = 0.25                       # row 0: every year step looks only at the year
    W[1, :4, 4] = 1.0                           # row 1: the year steps look at a dot
    assert year_attention(W, q) == pytest.approx(0.5)


@pytest.mark.parametrize("name, bad", [("attention-dates", {"n_train": 5}), ("attention-dates", {"lr": 2.0}),
                                       ("transformer-dates", {"heads": 3, "d_model": 8})])
def test_experiments_attention_bad_params(name, bad):
    with pytest.raises(ParamError):
        experiments.get(name).compute(**{**SMALL[name], **bad})


def test_experiments_attention_full_run_finds_the_year():
    # the gallery's full-size run (docs/make_gallery.py attention-dates; 20,000 dates, H = 128,
    # 8 epochs): >= 99% of 2,000 held-out dates right, and the year's output steps look at the year
    path = Path(__file__).resolve().parents[1] / "docs" / "experiments" / "numbers" / "attention-dates.json"
    saved = json.loads(path.read_text(encoding="utf-8"))
    nb = saved["numbers"]
    assert saved["params"]["n_test"] == nb["n_test"] == 2000
    assert nb["test_accuracy"] >= 0.99
    assert nb["year_attention"] >= 0.9
