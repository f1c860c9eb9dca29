"""abcdl._checks: one helper per argument check, one wording per error."""

import re

import numpy as np
import pytest

from abcdl._checks import check_nonnegative_int, check_positive_int


@pytest.mark.parametrize("value", [1, 7, np.int64(3), np.uint8(2)])
def test_checks_positive_int_accepts_integers_from_one(value):
    out = check_positive_int(value, "n")
    assert out == value and type(out) is int


@pytest.mark.parametrize("value", [0, -2, True, 2.0, 2.5, "3", None, np.float64(4)])
def test_checks_positive_int_names_the_argument(value):
    message = f"Linear: in_features must be a positive integer, got {value!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_positive_int(value, "Linear: in_features")


def test_checks_nonnegative_int_accepts_zero_only_as_extra():
    assert check_nonnegative_int(0, "epochs") == 0 and check_nonnegative_int(np.int32(5), "epochs") == 5
    for bad in (-1, False, 1.0):
        with pytest.raises(ValueError, match="epochs must be a non-negative integer"):
            check_nonnegative_int(bad, "epochs")
