"""The generated date task (L40): formats, answers, encoding and its errors."""

import datetime

import numpy as np
import pytest

from abcdl.date_task import (
    DATE_CHARS,
    DATE_FORMATS,
    QUESTION_LEN,
    date_task,
    decode_ids,
    encode_dates,
    format_date,
)

DAY = datetime.date(1994, 9, 27)          # a Tuesday (DLFS2's example date)
WRITTEN = ["september 27, 1994", "sep 27, 1994", "27 september 1994", "27 sep 1994", "9/27/1994",
           "27.09.1994", "tuesday, september 27, 1994", "27-sep-1994", "september 27 1994", "1994.09.27"]


def test_date_task_formats_write_the_date():
    assert [format_date(DAY, f) for f in DATE_FORMATS] == WRITTEN
    assert format_date(DAY, DATE_FORMATS[3], "upper") == "27 SEP 1994"
    assert format_date(DAY, DATE_FORMATS[0], "title") == "September 27, 1994"


def test_date_task_answers_are_iso_and_repeatable():
    q, a = date_task(300, np.random.default_rng(5))
    assert (q, a) == date_task(300, np.random.default_rng(5))
    for question, answer in zip(q, a, strict=True):
        day = datetime.date.fromisoformat(answer)
        assert 1950 <= day.year <= 2049
        assert str(day.year) in question and len(question) <= QUESTION_LEN
    assert len(set(q)) > 250                                     # many different questions


def test_date_task_encoding_round_trips():
    q, a = date_task(20, np.random.default_rng(1))
    x, y_in, y_out = encode_dates(q, a)
    assert x.shape == (20, QUESTION_LEN) and y_in.shape == y_out.shape == (20, 10)
    assert decode_ids(x) == q and decode_ids(y_out) == a
    assert np.all(y_in[:, 0] == DATE_CHARS.index("^")) and np.all(y_in[:, 1:] == y_out[:, :-1])


@pytest.mark.parametrize("q, a, match", [
    ([], [], "at least one"),
    (["27 sep 1994"], [], "1 questions and 0 answers"),
    (["27 sep 1994 " * 3], ["1994-09-27"], "1..29 characters"),
    (["27 sep 1994"], ["1994-9-27"], "exactly 10"),
    (["27 sep 1994!"], ["1994-09-27"], r"outside the date alphabet: \['!'\]"),
])
def test_date_task_bad_input_is_named(q, a, match):
    with pytest.raises(ValueError, match=match):
        encode_dates(q, a)


def test_date_task_bad_n():
    with pytest.raises(ValueError, match="positive int"):
        date_task(0)


def test_date_task_lives_in_text():
    from abcdl import date_task as module
    from abcdl import text
    assert text.date_task is module.date_task
