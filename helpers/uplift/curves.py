"""Curves and areas that judge a ranking on the test's outcomes: uplift, Qini, their perfect orders, uplift@k.

Curves are read where a block of tied scores ends, so row order cannot change them.

>>> qini_curve([1, 0, 1, 0, 1, 0], [True, True, True, False, False, False], [6, 5, 4, 3, 2, 1])["qini"].tolist()
[0.0, 1.0, 1.0, 2.0, 2.0, 0.5, 1.0]
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .checks import Column, _count, _inputs


def _blocks(score: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Customers counted and running sums of ``values``, highest scores first, at the end of each block of ties.

    No order within tied scores is better than another, so curves are only read
    where a block ends (as in scikit-uplift): the row order cannot change them.
    """
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    ends = np.r_[np.flatnonzero(ranked[1:] != ranked[:-1]), len(ranked) - 1]
    return np.r_[0, ends + 1], [np.r_[0.0, np.cumsum(v[order])[ends]] for v in values]


def _rate(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)  # an arm with nobody yet: rate 0


def _curve(targeted: np.ndarray, name: str, value: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"targeted": targeted, "share": targeted / targeted[-1], name: value})


def _arm_curve(kind: str, outcome: Column, treated: Column, score: Column | None, perfect: bool = False) -> pd.DataFrame:
    """The Qini or uplift curve of ``score``, or of the best order the data allow (``perfect``)."""
    y, t, *given = _inputs(outcome=outcome, treated=treated, **({} if perfect else {"score": score}))
    targeted, (n_t, y_t, y_c) = _blocks(np.where(t, y, -y) if perfect else given[0], t.astype(float), y * t, y * ~t)
    n_c = targeted - n_t
    if kind == "qini":
        return _curve(targeted, kind, y_t - y_c * _rate(n_t, n_c))
    return _curve(targeted, kind, (_rate(y_t, n_t) - _rate(y_c, n_c)) * targeted)


def uplift_curve(outcome: Column, treated: Column, score: Column) -> pd.DataFrame:
    """(Y_t(k) / N_t(k) - Y_c(k) / N_c(k)) x k: the rate difference among the top k by score, times k.

    Y and N are each arm's outcome sum and count in the top k; an arm with
    nobody there yet counts as rate 0.

    >>> uplift_curve([1, 0, 0, 1], [True, False, True, False], [4, 3, 2, 1])["uplift"].tolist()
    [0.0, 1.0, 2.0, 1.5, 0.0]
    """
    return _arm_curve("uplift", outcome, treated, score)


def qini_curve(outcome: Column, treated: Column, score: Column) -> pd.DataFrame:
    """Y_t(k) - Y_c(k) x N_t(k) / N_c(k): extra outcomes among the treated in the top k (second term 0 if N_c(k) = 0).

    >>> qini_curve([1, 0, 0, 1], [True, False, True, False], [4, 3, 2, 1])["qini"].tolist()
    [0.0, 1.0, 1.0, 1.0, 0.0]
    """
    return _arm_curve("qini", outcome, treated, score)


def perfect_qini_curve(outcome: Column, treated: Column) -> pd.DataFrame:
    """The Qini curve of the best order the data allow (scikit-uplift's, negative effects allowed).

    Its score is the outcome for treated and minus the outcome for control
    customers: treated buyers first, control buyers last.

    >>> perfect_qini_curve([1, 0, 0, 1], [True, False, True, False])["qini"].tolist()
    [0.0, 1.0, 1.0, 0.0]
    """
    return _arm_curve("qini", outcome, treated, None, perfect=True)


def perfect_uplift_curve(outcome: Column, treated: Column) -> pd.DataFrame:
    """The uplift curve of the order of :func:`perfect_qini_curve`.

    >>> perfect_uplift_curve([1, 0, 0, 1], [True, False, True, False])["uplift"].tolist()
    [0.0, 1.0, 1.5, 0.0]
    """
    return _arm_curve("uplift", outcome, treated, None, perfect=True)


def _area(curve: pd.DataFrame, value: str) -> float:
    return float(np.trapezoid(curve[value].to_numpy(), curve["share"].to_numpy()))


def _normalized(model: float, perfect: float, final: float) -> float:
    random = final / 2  # under the straight line from (0, 0) to (1, final value)
    if abs(perfect - random) <= 1e-12 * max(1.0, abs(perfect)):
        return float("nan")
    return float((model - random) / (perfect - random))


def _auc(kind: str, outcome: Column, treated: Column, score: Column, normalize: bool) -> float:
    model = _arm_curve(kind, outcome, treated, score)
    (t,) = _inputs(treated=treated)
    if t.all() or not t.any():
        return float("nan")  # one arm only: no uplift can be measured
    if not normalize:
        return _area(model, kind)
    perfect = _arm_curve(kind, outcome, treated, None, perfect=True)
    return _normalized(_area(model, kind), _area(perfect, kind), model[kind].iloc[-1])


def qini_auc(outcome: Column, treated: Column, score: Column, normalize: bool = True) -> float:
    """Area under the Qini curve (trapezoids over ``share``, 0 to 1).

    Normalized: (model - random) / (perfect - random), random being the straight
    line to the curve's end and perfect :func:`perfect_qini_curve`: 1 = perfect,
    0 = random, below 0 = worse. NaN (not an error) when perfect equals random,
    or when an arm is empty (no uplift can be measured). In small samples it
    can pass 1: the perfect order is the best by the observed outcomes, read
    at the ends of its (large) blocks of ties, not a bound on every curve.

    >>> qini_auc([1, 0, 0, 1], [True, False, True, False], [1, 1, 1, 1])
    0.0
    """
    return _auc("qini", outcome, treated, score, normalize)


def uplift_auc(outcome: Column, treated: Column, score: Column, normalize: bool = True) -> float:
    """Area under the uplift curve, normalized and NaN as :func:`qini_auc` (against :func:`perfect_uplift_curve`).

    >>> uplift_auc([1, 0, 0, 1], [True, False, True, False], [1, 0, 0, -1])
    1.0
    """
    return _auc("uplift", outcome, treated, score, normalize)


def _top(score: np.ndarray, m: int, random_state: int = 0) -> np.ndarray:
    """True for the ``m`` highest scores; ties at the cut are settled by a seeded shuffle, not by row position."""
    shuffled = np.random.default_rng(random_state).permutation(len(score))
    top = np.zeros(len(score), dtype=bool)
    top[shuffled[np.argsort(-score[shuffled], kind="stable")][:m]] = True
    return top


def _uplift_in(y: np.ndarray, t: np.ndarray, group: np.ndarray) -> float:
    treated, control = group & t, group & ~t
    return float(y[treated].mean() - y[control].mean()) if treated.any() and control.any() else float("nan")


def uplift_at_k(outcome: Column, treated: Column, score: Column, k: float = 0.3) -> float:
    """Treated mean minus control mean among the top ceil(k x n) by score; NaN if an arm has nobody there.

    Ties at the cut are settled by a shuffle with random_state 0, so the row order of
    the table does not decide who gets in.

    >>> uplift_at_k([1, 0, 0, 1], [True, False, True, False], [4, 3, 2, 1], k=0.5)
    1.0
    """
    y, t, s = _inputs(outcome=outcome, treated=treated, score=score)
    return _uplift_in(y, t, _top(s, _count(k, len(s))))
