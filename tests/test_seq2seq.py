"""seq2seq on the addition task (L40): the task, the model's gradients, reversed + peeky beating the base."""

import numpy as np
import pytest

from abcdl import text


def test_seq2seq_addition_task_is_distinct_and_correct():
    q, a = text.addition_task(2000, rng=0)
    assert len(set(q)) == 2000 and len(a) == 2000
    for qi, ai in zip(q, a, strict=True):
        x, y = qi.split("+")
        assert int(x) + int(y) == int(ai) and len(x) <= 3 and len(y) <= 3
    assert text.addition_task(5, rng=1) == text.addition_task(5, rng=1)
    with pytest.raises(ValueError, match="n must be an integer"):
        text.addition_task(0)
    with pytest.raises(ValueError, match="digits must be"):
        text.addition_task(10, digits=0)
    assert np.mean([len(x) for x in q]) > 4
