"""The machinery behind every ``check_<name>``: a result, a failure, and careful comparisons.

A checker calls the learner's function on inputs it chose, compares each answer with the
library (and, for gradients, with central differences, L19), and stops at the first thing
that is wrong.  What is wrong is said in Korean, then in English: the shape, the value at a
given input, or the gradient, with the expected and the received numbers and, where a
common slip explains the difference (a missing 1/m, a transpose, a forgotten bias
correction), a hint.  Nothing the learner's function raises escapes: a ``NotImplementedError``
reads "아직 구현하지 않았습니다 / not implemented yet", so a notebook with blank exercises
still runs top to bottom.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CheckResult", "AnswerError", "checker", "call", "as_array", "unpack", "expect_close", "fmt"]

#: The kinds of verdict, from the first thing that was wrong.
KINDS = ("correct", "todo", "error", "type", "shape", "value", "gradient", "inplace", "stability", "random")


@dataclass(frozen=True)
class CheckResult:
    """What a checker found: ``passed`` (also the truth value), the ``kind`` of verdict and two messages.

    Attributes
    ----------
    name : str
        The exercise, e.g. ``"sigmoid"``.
    passed : bool
    kind : str
        ``"correct"``, or what was wrong first: ``"todo"`` (NotImplementedError), ``"error"``
        (another exception), ``"type"`` (not an array, None, not a tuple), ``"shape"``,
        ``"value"``, ``"gradient"`` (against central differences), ``"inplace"`` (an input was
        changed), ``"stability"`` (inf or NaN at large inputs), ``"random"`` (not drawn from ``rng``).
    message_ko, message_en : str
        The same verdict in Korean and in English.
    checks : int
        How many checks passed (all of them when ``passed``).
    """

    name: str
    passed: bool
    kind: str
    message_ko: str
    message_en: str
    checks: int = 0

    def __bool__(self) -> bool:
        return self.passed

    @property
    def message(self) -> str:
        """Both languages, Korean first, one verdict a line."""
        return f"{self.message_ko}\n{self.message_en}"

    def __str__(self) -> str:
        if self.passed:
            n = self.checks
            return f"[O] {self.name}: 정답입니다 / correct ({n}개 검사 통과 / {n} checks passed)"
        return f"[X] {self.name}: {self.message_ko}\n    {self.name}: {self.message_en}"

    __repr__ = __str__


class AnswerError(Exception):
    """Raised inside a checker at the first thing that is wrong; becomes a failed :class:`CheckResult`."""

    def __init__(self, kind: str, ko: str, en: str) -> None:
        if kind not in KINDS:
            raise ValueError(f"AnswerError: unknown kind {kind!r}")
        super().__init__(en)
        self.kind, self.ko, self.en = kind, ko, en


def checker(name: str) -> Callable[[Callable[[Callable], int]], Callable[[Callable], CheckResult]]:
    """Turn ``cases(fn) -> number of checks`` into ``check(fn) -> CheckResult``.

    ``cases`` raises :class:`AnswerError` at the first wrong answer.  NumPy warnings from the
    learner's code (an overflow in a naive ``exp``) are silenced: the numbers decide.
    """
    def wrap(cases: Callable[[Callable], int]) -> Callable[[Callable], CheckResult]:
        @functools.wraps(cases)
        def check(fn) -> CheckResult:
            if not callable(fn):
                got = type(fn).__name__
                return CheckResult(name, False, "type", f"함수를 넘겨야 합니다 (받음: {got})",
                                   f"pass a function (got a {got})")
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore", RuntimeWarning)
                    n = cases(fn)
            except AnswerError as w:
                return CheckResult(name, False, w.kind, w.ko, w.en)
            return CheckResult(name, True, "correct", f"정답입니다 ({n}개 검사 통과)",
                               f"correct ({n} checks passed)", checks=n)
        return check
    return wrap


def call(fn: Callable, *args):
    """``fn(*args)``; any exception becomes :class:`AnswerError` ("todo" for NotImplementedError)."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise AnswerError("todo", "아직 구현하지 않았습니다 (NotImplementedError): 함수의 빈 곳을 채우세요",
                    "not implemented yet (NotImplementedError): fill in the function") from None
    except Exception as e:   # the learner's bug, reported rather than raised
        raise AnswerError("error", f"함수가 예외를 냈습니다: {type(e).__name__}: {e}",
                    f"your function raised {type(e).__name__}: {e}") from None


def fmt(a) -> str:
    """A short printout of an array or number: six significant digits, long arrays elided."""
    a = np.asarray(a)
    if a.ndim == 0:
        return f"{float(a):.6g}" if np.issubdtype(a.dtype, np.number) else repr(a.item())
    with np.printoptions(precision=6, threshold=12, edgeitems=3, linewidth=100, suppress=False):
        return np.array2string(a, separator=", ").replace("\n", "")


def as_array(out, what: str, shape: tuple[int, ...]) -> np.ndarray:
    """The answer ``out`` as a float64 array of ``shape``, else :class:`AnswerError` ("type" or "shape")."""
    if out is None:
        raise AnswerError("type", f"{what}: None을 반환했습니다 (return 문을 잊었나요?)",
                    f"{what}: got None (a missing return?)")
    try:
        a = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError):
        raise AnswerError("type", f"{what}: 숫자 배열이 아닙니다 ({type(out).__name__})",
                    f"{what}: not an array of numbers ({type(out).__name__})") from None
    if a.shape != tuple(shape):
        raise AnswerError("shape", f"{what}: 모양(shape)이 틀렸습니다: 기대 {tuple(shape)}, 받음 {a.shape}",
                    f"{what}: wrong shape: expected {tuple(shape)}, got {a.shape}")
    return a


def unpack(out, names: tuple[str, ...]) -> tuple:
    """Check that ``out`` is a tuple (or list) of ``len(names)`` values and return it."""
    n = len(names)
    if not isinstance(out, (tuple, list)) or len(out) != n:
        got = type(out).__name__
        if isinstance(out, (tuple, list)):
            got += f" of length {len(out)}"
        listed = ", ".join(names)
        raise AnswerError("type", f"{n}개 값 ({listed})을 튜플로 반환해야 합니다 (받음: {got})",
                    f"return a tuple of {n} values ({listed}) (got: {got})")
    return tuple(out)


def expect_close(got: np.ndarray, expected: np.ndarray, what: str, at: str, *, kind: str = "value",
                 reference: str = "abcdl", hints: tuple[tuple[np.ndarray, str, str], ...] = (),
                 rtol: float = 1e-6, atol: float = 1e-9) -> None:
    """Raise :class:`AnswerError` unless ``got`` matches ``expected`` (both already of the right shape).

    ``at`` says where (the input) in words; ``reference`` what the expected numbers come from.
    ``hints`` are (the answer a common slip gives, Korean hint, English hint): the first that
    ``got`` matches is added to the message.  Non-finite answers are a "stability" failure
    when the expected numbers are finite.
    """
    if np.allclose(got, expected, rtol=rtol, atol=atol):
        return
    if np.all(np.isfinite(expected)) and not np.all(np.isfinite(got)):
        kind = "stability"
    verdict_ko = {"gradient": "기울기가 틀렸습니다", "stability": "inf 또는 NaN이 나옵니다 (수치 안정성)"}
    verdict_en = {"gradient": "wrong gradient", "stability": "inf or NaN (numerical stability)"}
    ko = (f"{what}: {verdict_ko.get(kind, '값이 틀렸습니다')} ({at}): 기대 {fmt(expected)} ({reference}), "
          f"받음 {fmt(got)}")
    en = (f"{what}: {verdict_en.get(kind, 'wrong value')} ({at}): expected {fmt(expected)} ({reference}), "
          f"got {fmt(got)}")
    for slip, hint_ko, hint_en in hints:
        if np.shape(slip) == np.shape(got) and np.allclose(got, slip, rtol=rtol, atol=atol):
            ko, en = f"{ko}. 힌트: {hint_ko}", f"{en}. Hint: {hint_en}"
            break
    raise AnswerError(kind, ko, en)
