"""Self-checking exercises: a learner writes an answer, calls ``check``, and gets a precise message.

Every exercise has a check, hints in steps and a worked solution::

    ex.q1.check(answer)   # correct, or what is wrong
    ex.q1.hint()          # the first nudge; call again for the next step
    ex.q1.solution()      # the code of a worked answer

Hints come in steps (``hint_text`` may be a tuple of steps): the first is a
pointer, the last comes closest to the answer, and the solution is shown only
when asked for. An exercise also carries ``wrong_answers``, plausible mistakes
computed from the same world (a rounded figure, a wrong denominator, a wrong
sign), which the tests require to fail; ``judgment=True`` marks a question that
asks the learner to choose and justify, whose every wrong option is explained.

An answer still left as ``...`` gets "not answered yet", so a notebook runs
top to bottom before the learner has written anything.

>>> q = Exercise("q1", "How many?", expect_number(42), hint_text="Count them.", solution_code="answer = 42")
>>> q.check(41).correct
False
>>> q.check(42).correct
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

Checker = Callable[[Any], "Feedback"]


@dataclass(frozen=True)
class Feedback:
    """The outcome of a check: right or not, and a message that says why."""

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:
        mark = "Correct" if self.correct else "Not yet"
        return f"[{mark}] {self.message}"


NOT_ANSWERED = Feedback(False, "not answered yet: replace the ... with your answer and run the cell again.")


@dataclass(frozen=True)
class Exercise:
    """One question: its check, its hints (a text, or a tuple of steps), a worked solution and known wrong answers.

    >>> q = Exercise("q2", "?", expect_number(3), hint_text=("Count the rows.", "Drop the cancelled ones."))
    >>> q.hint()
    Hint 1 of 2 for q2: Count the rows.
    (call hint() again for the next step)
    >>> q.hint()
    Hint 2 of 2 for q2: Drop the cancelled ones.
    (that was the last step; solution() shows a worked answer)
    """

    key: str
    prompt: str
    checker: Checker
    hint_text: str | Sequence[str] = ""
    solution_code: str = ""
    wrong_answers: Sequence[Any] = ()  # plausible mistakes from the same world; each must fail its check
    judgment: bool = False  # choose among options and justify: every wrong option gets its own explanation
    _hints_shown: list = field(default_factory=lambda: [0], compare=False, repr=False)

    @property
    def hint_steps(self) -> tuple[str, ...]:
        """The hints in the order they are shown, the first a pointer, the last closest to the answer."""
        if isinstance(self.hint_text, str):
            return (self.hint_text,) if self.hint_text else ()
        return tuple(self.hint_text)

    def check(self, answer: Any) -> Feedback:
        if answer is Ellipsis:
            return NOT_ANSWERED
        try:
            return self.checker(answer)
        except Exception as exc:  # a learner's odd answer must never crash the check itself
            return Feedback(False, f"could not check this answer ({type(exc).__name__}: {exc}).")

    def hint(self, step: int | None = None) -> None:
        """Print the next hint step (or step ``step``, counted from 1); the solution stays hidden."""
        steps = self.hint_steps
        if not steps:
            print(f"No hint for {self.key}: solution() shows a worked answer.")
            return
        if len(steps) == 1 and step is None:
            print(f"Hint for {self.key}: {steps[0]}")
            return
        if step is None:
            step = min(self._hints_shown[0] + 1, len(steps))
        if not 1 <= step <= len(steps):
            raise ValueError(f"{self.key} has hint steps 1 to {len(steps)}, not {step}")
        self._hints_shown[0] = max(self._hints_shown[0], step)
        print(f"Hint {step} of {len(steps)} for {self.key}: {steps[step - 1]}")
        print("(call hint() again for the next step)" if step < len(steps)
              else "(that was the last step; solution() shows a worked answer)")

    def solution(self) -> None:
        print(f"A worked solution for {self.key}:\n\n{self.solution_code}")


class ExerciseSet:
    """The exercises of one lesson, reachable as attributes (``ex.q1``)."""

    def __init__(self, exercises: Iterable[Exercise]):
        self._by_key = {e.key: e for e in exercises}

    def __getattr__(self, key: str) -> Exercise:
        try:
            return self._by_key[key]
        except KeyError:
            raise AttributeError(f"no exercise '{key}'; there are {sorted(self._by_key)}") from None

    def __iter__(self):
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)


# --------------------------------------------------------------------------- checkers
def _fmt(x: Any) -> str:
    if isinstance(x, (float, np.floating)):
        return f"{x:,.4g}" if abs(x) < 1 else f"{x:,.2f}"
    if isinstance(x, (int, np.integer)):
        return f"{x:,}"
    return repr(x)


def checked_when_asked(make_checker: Callable[[], Checker]) -> Checker:
    """A checker built the first time an answer is checked: an expected answer that is costly to compute
    (a second pipeline run, say) costs a lesson run nothing until a learner answers.

    >>> built = []
    >>> check = checked_when_asked(lambda: built.append(1) or expect_number(4))
    >>> len(built)
    0
    >>> check(4).correct, check(5).correct, len(built)
    (True, False, 1)
    """
    made: list[Checker] = []

    def check(answer: Any) -> Feedback:
        if not made:
            made.append(make_checker())
        return made[0](answer)
    return check


def expect_number(expected: float, rel_tol: float = 1e-6, abs_tol: float = 1e-9,
                  mistakes: Mapping[float, str] | None = None) -> Checker:
    """Accept a number close to ``expected``; name known mistakes when the answer matches one.

    >>> expect_number(0.25, abs_tol=0.005)(0.251).correct
    True
    >>> expect_number(10, mistakes={12: "you counted the duplicates"})(12).message
    '12 is what you get when you counted the duplicates.'
    """
    def check(answer: Any) -> Feedback:
        if isinstance(answer, (pd.Series, pd.DataFrame, list, tuple, dict, np.ndarray)):
            return Feedback(False, f"expected a single number, got a {type(answer).__name__}.")
        if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
            return Feedback(False, f"expected a number, got {type(answer).__name__} {answer!r}.")
        if math.isnan(float(answer)):
            return Feedback(False, "the answer is NaN: a missing value crept into the calculation.")
        if math.isclose(float(answer), float(expected), rel_tol=rel_tol, abs_tol=abs_tol):
            return Feedback(True, f"{_fmt(answer)} is right.")
        for value, why in (mistakes or {}).items():
            if math.isclose(float(answer), float(value), rel_tol=rel_tol, abs_tol=abs_tol):
                return Feedback(False, f"{_fmt(answer)} is what you get when {why}.")
        if 0 < abs(expected) <= 1 and abs(answer) > 1 and math.isclose(float(answer) / 100, float(expected), rel_tol=0.02):
            return Feedback(False, f"{_fmt(answer)} looks like a percentage; give a share between 0 and 1.")
        if abs(expected) >= 2 and 0 < abs(answer) < 1:
            return Feedback(False, f"{_fmt(answer)} looks like a share; the question asks for a count or an amount.")
        direction = "high" if answer > expected else "low"
        off = abs(answer - expected) / abs(expected) if expected else float("inf")
        if off < 0.01:
            return Feedback(False, f"{_fmt(answer)} is close but slightly too {direction} (by {off:.2%}): "
                                   "check which rows you kept, or rounding along the way.")
        return Feedback(False, f"{_fmt(answer)} is too {direction}" + (f" by {off:.0%}." if off < 10 else "."))
    check.expected = expected  # read by the tests that keep an answer out of the stored outputs
    return check


def expect_choice(expected: Any, options: Iterable[Any], explanations: Mapping[Any, str] | None = None) -> Checker:
    """Accept one of a fixed set of options; explain why a wrong option is wrong.

    >>> expect_choice("b", ["a", "b"])("a").correct
    False
    """
    options = list(options)
    by_text = {str(o).strip().lower(): o for o in options}

    def check(answer: Any) -> Feedback:
        if isinstance(answer, (pd.Series, pd.DataFrame, pd.Index, list, tuple, set, dict, np.ndarray)):
            return Feedback(False, f"expected a single value, got a {type(answer).__name__}: pick one of its labels.")
        if isinstance(answer, str):
            answer = by_text.get(answer.strip().lower(), answer.strip())
        elif isinstance(answer, (int, float, np.number)) and all(isinstance(o, str) for o in options):
            return Feedback(False, f"{answer!r} is a number; give the name, one of {options}.")
        if answer not in options:
            return Feedback(False, f"{answer!r} is not one of the options: {options}.")
        if answer == expected:
            return Feedback(True, f"{answer!r} is right.")
        why = (explanations or {}).get(answer, "look again at the numbers")
        return Feedback(False, f"{answer!r} is not it: {why}.")
    check.expected, check.options, check.explanations = expected, options, dict(explanations or {})
    return check


def largest_choice(values: pd.Series, what: str, fmt: str = "{:,.2f}",
                   traps: Mapping[Any, str] | None = None) -> Checker:
    """A choice among the labels of ``values`` whose answer is the label of the largest value.

    A wrong label is told its own value beside the largest; ``traps`` adds
    explanations for labels that win under a tempting wrong method.

    >>> largest_choice(pd.Series({"a": 1.0, "b": 3.0}), "score")("a").message
    "'a' is not it: its score is 1.00, below 3.00."
    """
    values = values.dropna()
    best = values.idxmax()
    explanations = {label: f"its {what} is {fmt.format(v)}, below {fmt.format(values[best])}"
                    for label, v in values.items()}
    explanations.update({label: why for label, why in (traps or {}).items() if label != best})
    return expect_choice(str(best), [str(label) for label in values.index], explanations)


def expect_series(expected: pd.Series, rel_tol: float = 1e-6, check_order: bool = False) -> Checker:
    """Accept a Series with the same labels and values (order optional); say which labels differ.

    >>> expect_series(pd.Series({"a": 1, "b": 2}))(pd.Series({"b": 2, "a": 1})).correct
    True
    """
    def check(answer: Any) -> Feedback:
        if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
            answer = answer.iloc[:, 0]
        if not isinstance(answer, pd.Series):
            return Feedback(False, f"expected a pandas Series, got {type(answer).__name__}.")
        got_labels, want_labels = set(map(str, answer.index)), set(map(str, expected.index))
        if got_labels != want_labels:
            missing, extra = sorted(want_labels - got_labels), sorted(got_labels - want_labels)
            parts = ([f"missing labels {missing[:5]}"] if missing else []) + ([f"unexpected labels {extra[:5]}"] if extra else [])
            return Feedback(False, "the index is not right: " + "; ".join(parts) + ".")
        got = pd.Series(answer.to_numpy(), index=answer.index.map(str))
        want = pd.Series(expected.to_numpy(), index=expected.index.map(str))
        if check_order and list(got.index) != list(want.index):
            return Feedback(False, f"right values, wrong order: expected {list(want.index)[:5]}...")
        got = got.reindex(want.index)
        wrong = [k for k in want.index if not np.isclose(float(got[k]), float(want[k]), rtol=rel_tol)]
        total = float(want.sum())
        if wrong and total and np.allclose(got.astype(float), want.astype(float) / total, rtol=rel_tol):
            return Feedback(False, "you give shares (they add up to 1); the question asks for counts.")
        got_total = float(got.sum())
        if wrong and got_total and np.isclose(total, 1.0) and np.allclose(got.astype(float) / got_total, want.astype(float),
                                                                          rtol=rel_tol):
            return Feedback(False, "you give counts; the question asks for shares that add up to 1.")
        if wrong:
            k = wrong[0]
            return Feedback(False, f"{len(wrong)} value(s) differ, e.g. {k!r}: you have {_fmt(got[k])}, expected {_fmt(want[k])}.")
        return Feedback(True, f"all {len(want)} values are right.")
    return check
