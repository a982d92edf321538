"""Who should get the campaign? Uplift, the effect of contact on each customer, learned from a randomized test.

Works on any randomized campaign: ``features`` (a DataFrame), ``treated``
(True = contacted) and ``outcome`` (0/1 conversion, or an amount such as
revenue), aligned on one index. A *score* ranks customers for targeting; the
curves judge a ranking on the test's outcomes and, when each customer's true
effect is known (synthetic data), against the truth. Judge models on
customers they were not fitted on: on their own training rows, having
memorised who bought looks like a large uplift.

>>> outcome = pd.Series([1, 0, 1, 0, 1, 0]); treated = pd.Series([True, True, True, False, False, False])
>>> float(average_effect(outcome, treated)["effect"].round(3))
0.333
>>> qini_curve(outcome, treated, score=pd.Series([6, 5, 4, 3, 2, 1]))["qini"].tolist()
[0.0, 1.0, 1.0, 2.0, 2.0, 0.5, 1.0]
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.utils.validation import check_is_fitted

Column = pd.Series | np.ndarray | Sequence[float]


def _inputs(rows=None, **named) -> list[np.ndarray]:
    """The named inputs as float arrays (``treated`` as bool), checked for length, shared index and missing values.

    Rows are paired by position, so pandas inputs with different indexes are
    refused rather than silently mismatched; ``rows`` (the features) only takes
    part in the length and index checks.
    """
    given = ({"features": rows} if rows is not None else {}) | named
    first, reference = next(iter(given.items()))
    for name, values in given.items():
        if len(values) != len(reference):
            raise ValueError(f"{name} has {len(values)} rows but {first} has {len(reference)}")
        if isinstance(values, (pd.Series, pd.DataFrame)) and isinstance(reference, (pd.Series, pd.DataFrame)) \
                and not values.index.equals(reference.index):
            raise ValueError(f"{name} and {first} have different indexes; align them first (e.g. .reindex)")
    if len(reference) == 0:
        raise ValueError(f"{first} has no rows")
    arrays = []
    for name, values in named.items():
        series = (values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))).infer_objects()
        missing = series.isna().to_numpy()
        if missing.any():
            raise ValueError(f"{name} has {missing.sum()} missing values, e.g. at {series.index[missing][:5].tolist()}")
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            hint = " (e.g. table['arm'] == 'treatment')" if name == "treated" else ""
            raise ValueError(f"{name} must be numbers or True/False{hint}, got dtype {series.dtype}")
        arrays.append(series.to_numpy(dtype="float64"))
        if name == "treated":
            if not np.isin(arrays[-1], [0, 1]).all():
                raise ValueError(f"treated must be True/False (1/0), got values {np.unique(arrays[-1])[:5].tolist()}")
            arrays[-1] = arrays[-1] == 1
    return arrays


def _need_arms(treated: np.ndarray, arms: Sequence[str] = ("treated", "control"), why: str = "") -> None:
    for arm in arms:
        if not (treated if arm == "treated" else ~treated).any():
            raise ValueError(f"the {arm} arm is empty{why}")


def _count(share: float, n: int, name: str = "k") -> int:
    if not 0 < share <= 1:
        raise ValueError(f"{name} must be a share of customers in (0, 1], e.g. 0.3 for the top 30%, got {share}")
    return int(np.ceil(round(share * n, 9)))  # round first: 0.7 * 10 is 7.000000000000001 in floating point


# --------------------------------------------------------------------------- the test as a whole
def average_effect(outcome: Column, treated: Column, confidence: float = 0.95) -> pd.Series:
    """Treated mean minus control mean, with a normal-approximation interval and two-sided p-value.

    Each arm keeps its own variance (Welch, unpooled, n - 1), so conversions and
    amounts both work. If neither arm varies (e.g. no conversions at all) the
    interval has width 0 and the p-value is 1 when the means are equal, else 0.

    >>> average_effect([1, 0, 0, 0], [True, True, False, False])[["effect", "p_value"]].round(3).tolist()
    [0.5, 0.317]
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    y, t = _inputs(outcome=outcome, treated=treated)
    _need_arms(t)
    y1, y0 = y[t], y[~t]
    variances = [((a - a.mean()) ** 2).sum() / (len(a) - 1) if len(a) > 1 else np.nan for a in (y1, y0)]
    se = np.sqrt(variances[0] / len(y1) + variances[1] / len(y0))  # NaN when an arm has a single customer
    effect, half = y1.mean() - y0.mean(), norm.ppf(0.5 + confidence / 2) * se
    with np.errstate(divide="ignore", invalid="ignore"):
        p_value = 1.0 if effect == 0 and se == 0 else 2 * norm.sf(abs(effect) / se)
    return pd.Series({"n_treated": len(y1), "n_control": len(y0), "treated_mean": y1.mean(), "control_mean": y0.mean(),
                      "effect": effect, "low": effect - half, "high": effect + half, "p_value": p_value}, dtype="float64")


def arm_balance(features: pd.DataFrame, treated: Column) -> pd.DataFrame:
    """Did randomization work? Each feature's mean per arm and standardized difference (``imbalanced`` above 0.1).

    std_difference = difference / sqrt((var_treated + var_control) / 2), 0 when
    neither arm varies. True/False counts as 1/0, dates as days since the
    earliest; text and category columns become one 0/1 column per level,
    ``"<column> = <level>"``. Missing values are left out of the means;
    ``missing_share_difference`` compares their shares.

    >>> arm_balance(pd.DataFrame({"age": [20, 40, 30, 30]}), [True, True, False, False])["std_difference"].tolist()
    [0.0]
    """
    features = features if isinstance(features, pd.DataFrame) else pd.DataFrame(features)
    (t,) = _inputs(rows=features, treated=treated)
    _need_arms(t)
    parts = []
    for name, column in features.items():  # one pass per column, to expand the text ones
        if pd.api.types.is_datetime64_any_dtype(column):
            column = column - column.min()
        if pd.api.types.is_timedelta64_dtype(column):
            column = column.dt.total_seconds() / 86400
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            parts.append(pd.Series(column.astype("Float64").to_numpy("float64", na_value=np.nan), name=name))
        else:
            levels = pd.get_dummies(column.reset_index(drop=True), prefix=str(name), prefix_sep=" = ", dtype="float64")
            levels[column.isna().to_numpy()] = np.nan  # unknown, not "none of the levels"
            parts.append(levels)
    expanded = pd.concat(parts, axis=1)
    arm, control = expanded[t], expanded[~t]
    spread = np.sqrt((arm.var() + control.var()) / 2)
    std_difference = ((arm.mean() - control.mean()) / spread.where(spread > 0)).where(spread != 0, 0.0)
    return pd.DataFrame({"treated_mean": arm.mean(), "control_mean": control.mean(), "std_difference": std_difference,
                         "imbalanced": std_difference.abs() > 0.1,
                         "missing_share_difference": arm.isna().mean() - control.isna().mean()}).rename_axis("feature")


def sample_size(baseline_rate: float, min_effect: float, alpha: float = 0.05, power: float = 0.8,
                treated_share: float = 0.5) -> dict[str, int]:
    """Customers needed to detect a change of ``min_effect`` in a conversion rate (two-sided, normal approximation).

    total = (z[1 - alpha/2] + z[power])^2 p (1 - p) / (e^2 w (1 - w)), with p the
    baseline rate, e the effect and w the treated share; each arm rounded up.
    Equal split: (z + z)^2 2 p (1 - p) / e^2 per arm. Both arms use the variance
    at the baseline rate, which is slightly optimistic when the effect raises
    the rate: calculators using each arm's own rate say 3,841, not 3,532, below.

    >>> sample_size(0.10, 0.02)
    {'treated': 3532, 'control': 3532, 'total': 7064}
    """
    for name, value in (("baseline_rate", baseline_rate), ("alpha", alpha), ("power", power),
                        ("treated_share", treated_share)):
        if not 0 < value < 1:
            raise ValueError(f"{name} must be between 0 and 1, got {value}")
    if min_effect == 0 or not 0 <= baseline_rate + min_effect <= 1:
        raise ValueError(f"min_effect must be non-zero and keep the rate within 0-1, got {min_effect}")
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    total = z ** 2 * baseline_rate * (1 - baseline_rate) / (min_effect ** 2 * treated_share * (1 - treated_share))
    arms = {arm: int(np.ceil(round(total * w, 6))) for arm, w in (("treated", treated_share),
                                                                   ("control", 1 - treated_share))}
    return arms | {"total": arms["treated"] + arms["control"]}


def minimum_detectable_effect(n_treated: int, n_control: int, baseline_rate: float, alpha: float = 0.05,
                              power: float = 0.8) -> float:
    """Smallest absolute change in rate detected with the given power; the inverse of :func:`sample_size`.

    Like :func:`sample_size`, it uses the variance at the baseline rate for both arms.

    >>> round(minimum_detectable_effect(3532, 3532, 0.10), 4)
    0.02
    """
    if min(n_treated, n_control) < 1 or not 0 < baseline_rate < 1:
        raise ValueError(f"need a customer per arm and a baseline_rate in (0, 1), got n_treated={n_treated}, "
                         f"n_control={n_control}, baseline_rate={baseline_rate}")
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    return float(z * np.sqrt(baseline_rate * (1 - baseline_rate) * (1 / n_treated + 1 / n_control)))


# --------------------------------------------------------------------------- curves on the test's outcomes
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


def _top(score: np.ndarray, m: int, seed: int = 0) -> np.ndarray:
    """True for the ``m`` highest scores; ties at the cut are settled by a seeded shuffle, not by row position."""
    shuffled = np.random.default_rng(seed).permutation(len(score))
    top = np.zeros(len(score), dtype=bool)
    top[shuffled[np.argsort(-score[shuffled], kind="stable")][:m]] = True
    return top


def _uplift_in(y: np.ndarray, t: np.ndarray, group: np.ndarray) -> float:
    treated, control = group & t, group & ~t
    return float(y[treated].mean() - y[control].mean()) if treated.any() and control.any() else float("nan")


def uplift_at_k(outcome: Column, treated: Column, score: Column, k: float = 0.3) -> float:
    """Treated mean minus control mean among the top ceil(k x n) by score; NaN if an arm has nobody there.

    Ties at the cut are settled by a shuffle with seed 0, so the row order of
    the table does not decide who gets in.

    >>> uplift_at_k([1, 0, 0, 1], [True, False, True, False], [4, 3, 2, 1], k=0.5)
    1.0
    """
    y, t, s = _inputs(outcome=outcome, treated=treated, score=score)
    return _uplift_in(y, t, _top(s, _count(k, len(s))))


# --------------------------------------------------------------------------- grading against the true effect
def true_gain_curve(true_effect: Column, score: Column) -> pd.DataFrame:
    """Sum of the true effects of the top ``targeted`` by score (read at the ends of blocks of ties).

    >>> true_gain_curve([0.3, -0.1, 0.2], [3, 2, 1])["gain"].round(2).tolist()
    [0.0, 0.3, 0.2, 0.4]
    """
    effect, s = _inputs(true_effect=true_effect, score=score)
    targeted, (gain,) = _blocks(s, effect)
    return _curve(targeted, "gain", gain)


def ordering_quality(true_effect: Column, score: Column) -> float:
    """(area - random) / (perfect - random) under :func:`true_gain_curve`: 1 = the true order, 0 = random.

    Perfect sorts by the true effect; NaN when every customer has the same effect.

    >>> ordering_quality([0.3, -0.1, 0.2], [0.9, 0.1, 0.5])
    1.0
    """
    model, perfect = true_gain_curve(true_effect, score), true_gain_curve(true_effect, true_effect)
    return _normalized(_area(model, "gain"), _area(perfect, "gain"), model["gain"].iloc[-1])


def _share_of_perfect(effect: np.ndarray, top: np.ndarray) -> float:
    best = np.sort(effect)[::-1][:top.sum()].sum()
    return float(effect[top].sum() / best) if best > 0 else float("nan")


def share_of_perfect_at_k(true_effect: Column, score: Column, k: float = 0.3) -> float:
    """True effects summed over the top ceil(k x n) by score, over the same for the top by true effect.

    Ties at the cut are settled as in :func:`uplift_at_k`; NaN when the best
    possible sum is not positive.

    >>> share_of_perfect_at_k([0.4, -0.1, 0.2, 0.0], [4, 3, 2, 1], k=0.5)
    0.5
    """
    effect, s = _inputs(true_effect=true_effect, score=score)
    return _share_of_perfect(effect, _top(s, _count(k, len(s))))


# --------------------------------------------------------------------------- models
def _expected(model, features) -> np.ndarray:
    """P(outcome = 1) from a classifier, the predicted value from a regressor."""
    return model.predict_proba(features)[:, 1] if is_classifier(model) else model.predict(features)


class _UpliftModel(BaseEstimator):
    arms: tuple[str, ...] = ("treated", "control")  # the arms fit() learns from

    def __init__(self, estimator=None, seed: int = 0):
        self.estimator = estimator
        self.seed = seed

    def _data(self, features, treated, outcome, binary_only: bool = False):
        """Checked arrays and a fresh estimator; refuses, naming the arm, what the estimator cannot learn from."""
        y, t = _inputs(rows=features, outcome=outcome, treated=treated)
        _need_arms(t, self.arms, why=f": {type(self).__name__} learns from it")
        binary = bool(np.isin(y, [0, 1]).all())
        if self.estimator is not None:
            model = clone(self.estimator)
        else:  # gradient boosting: a classifier for 0/1 outcomes, a regressor for amounts
            kind = HistGradientBoostingClassifier if binary else HistGradientBoostingRegressor
            model = kind(max_iter=100, learning_rate=0.05, random_state=self.seed)
        if (binary_only or is_classifier(model)) and not binary:
            raise ValueError(f"{type(self).__name__} with {type(model).__name__} needs a 0/1 outcome"
                             + ("" if binary_only else "; pass a regressor for amounts such as revenue"))
        for arm in self.arms if is_classifier(model) else ():
            values = np.unique(y[t if arm == "treated" else ~t])
            if len(values) < 2:
                raise ValueError(f"the outcome has one value only ({values[0]:g}) in the {arm} arm; "
                                 "a classifier cannot learn from it")
        return y, t, model


class TwoModelUplift(_UpliftModel):
    """T-learner: a model of the outcome per arm; uplift = treated prediction - control prediction.

    Uses P(outcome = 1) from a classifier and the prediction of a regressor (for
    amounts such as revenue). Default: gradient boosting (see ``fit_uplift_models``).

    >>> from sklearn.dummy import DummyClassifier  # predicts each arm's rate
    >>> x = pd.DataFrame({"a": range(8)}); treated = [True] * 4 + [False] * 4
    >>> TwoModelUplift(DummyClassifier()).fit(x, treated, [1, 1, 1, 0, 1, 0, 0, 0]).predict(x[:2]).tolist()
    [0.5, 0.5]
    """

    def fit(self, features, treated, outcome) -> TwoModelUplift:
        y, t, model = self._data(features, treated, outcome)
        self.treated_model_ = model.fit(features[t], y[t])
        self.control_model_ = clone(model).fit(features[~t], y[~t])
        return self

    def predict(self, features) -> np.ndarray:
        check_is_fitted(self)
        return _expected(self.treated_model_, features) - _expected(self.control_model_, features)


class ClassTransformationUplift(_UpliftModel):
    """One model of z = 1 if (treated and converted) or (control and not); uplift = 2 P(z = 1 | x) - 1.

    Jaskowski & Jaroszewicz (2012); 0/1 outcomes only. The identity assumes half
    the customers were treated: with a treated share p other than 0.5 the model
    is fitted with sample weights 0.5 / p (treated) and 0.5 / (1 - p) (control),
    so both arms weigh the same (the estimator must accept ``sample_weight``).

    >>> from sklearn.dummy import DummyClassifier
    >>> x = pd.DataFrame({"a": range(8)}); treated = [True] * 4 + [False] * 4
    >>> ClassTransformationUplift(DummyClassifier()).fit(x, treated, [1, 1, 1, 0, 1, 0, 0, 0]).predict(x[:2]).tolist()
    [0.5, 0.5]
    """

    def fit(self, features, treated, outcome) -> ClassTransformationUplift:
        y, t, model = self._data(features, treated, outcome, binary_only=True)
        p = t.mean()
        weights = {} if np.isclose(p, 0.5) else {"sample_weight": np.where(t, 0.5 / p, 0.5 / (1 - p))}
        self.model_ = model.fit(features, (t == (y == 1)).astype(int), **weights)
        return self

    def predict(self, features) -> np.ndarray:
        check_is_fitted(self)
        return 2 * _expected(self.model_, features) - 1


class ResponseModel(_UpliftModel):
    """The classic "likely buyers" model: P(outcome | x) among the treated (expected amount with a regressor).

    A score, not an uplift: it also ranks high those who would buy anyway; it
    is here to be compared with the uplift models.

    >>> from sklearn.dummy import DummyClassifier
    >>> x = pd.DataFrame({"a": range(8)}); treated = [True] * 4 + [False] * 4
    >>> ResponseModel(DummyClassifier()).fit(x, treated, [1, 1, 1, 0, 1, 0, 0, 0]).predict(x[:2]).tolist()
    [0.75, 0.75]
    """

    arms = ("treated",)

    def fit(self, features, treated, outcome) -> ResponseModel:
        y, t, model = self._data(features, treated, outcome)
        self.model_ = model.fit(features[t], y[t])
        return self

    def predict(self, features) -> np.ndarray:
        check_is_fitted(self)
        return _expected(self.model_, features)


def holdout_split(treated: pd.Series, test_share: float = 0.5, seed: int = 0) -> pd.Series:
    """True for customers held out to judge the models: a seeded random ``test_share`` of *each* arm.

    Splitting each arm separately keeps the treated share the same on both sides.

    >>> split = holdout_split(pd.Series([True] * 4 + [False] * 6), test_share=0.5)
    >>> int(split.sum()), int(split[:4].sum())
    (5, 2)
    """
    if not 0 < test_share < 1:
        raise ValueError(f"test_share must be strictly between 0 and 1, got {test_share}")
    t = _inputs(treated=treated)[0].astype(bool)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(t), dtype=bool)
    for arm in (t, ~t):
        rows = np.flatnonzero(arm)
        test[rng.permutation(rows)[:int(round(test_share * len(rows)))]] = True
    index = treated.index if isinstance(treated, pd.Series) else pd.RangeIndex(len(t))
    return pd.Series(test, index=index, name="held_out")


def segment_effect_score(segments: pd.Series, outcome: Column, treated: Column, fit_rows: pd.Series,
                         min_arm: int = 30) -> pd.Series:
    """Each customer's score = the effect measured in their segment on the ``fit_rows`` only.

    Targeting by segment is an uplift model too, with one number per segment.
    A segment with fewer than ``min_arm`` fitting customers in an arm gets the
    effect over all fitting customers.

    >>> segments = pd.Series(["a", "a", "b", "b", "a", "b"])
    >>> score = segment_effect_score(segments, [1, 0, 0, 1, 1, 0], [True, False, True, False, True, False],
    ...                              fit_rows=pd.Series([True] * 4 + [False] * 2), min_arm=1)
    >>> score.tolist()
    [1.0, 1.0, -1.0, -1.0, 1.0, -1.0]
    """
    y, t, fit = _inputs(rows=segments, outcome=outcome, treated=treated, fit_rows=fit_rows)
    fit, t = fit.astype(bool), t.astype(bool)
    frame = pd.DataFrame({"segment": segments.to_numpy(), "y": y, "t": t})[fit]
    _need_arms(frame["t"].to_numpy(), why=" among the fitting rows")
    overall = frame.loc[frame["t"], "y"].mean() - frame.loc[~frame["t"], "y"].mean()
    arms = frame.groupby(["segment", "t"])["y"].agg(["mean", "size"]).unstack("t")
    enough = (arms["size"].fillna(0) >= min_arm).all(axis=1)
    effect = (arms["mean"][True] - arms["mean"][False]).where(enough, overall)
    per_customer = segments.astype("object").map(effect).astype("float64")  # categorical labels map to categories
    return pd.Series(per_customer.fillna(overall).to_numpy(float), index=segments.index, name="segment_effect")


def fit_uplift_models(features: pd.DataFrame, treated: Column, outcome: Column, seed: int = 0) -> dict[str, object]:
    """The three models with their default gradient boosting, fitted.

    The default is ``HistGradientBoostingClassifier(max_iter=100,
    learning_rate=0.05)`` for a 0/1 outcome, the same regressor otherwise; class
    transformation is left out when the outcome is not 0/1.
    """
    binary = bool(np.isin(_inputs(outcome=outcome)[0], [0, 1]).all())
    models = {"two-model uplift": TwoModelUplift(seed=seed), "class transformation": ClassTransformationUplift(seed=seed),
              "response model": ResponseModel(seed=seed)}
    return {name: model.fit(features, treated, outcome) for name, model in models.items()
            if binary or name != "class transformation"}


def score_all(models: dict[str, object], features: pd.DataFrame) -> pd.DataFrame:
    """Every model's score of every customer: one column per model, indexed like ``features``."""
    index = features.index if isinstance(features, pd.DataFrame) else pd.RangeIndex(len(features))
    return pd.DataFrame({name: model.predict(features) for name, model in models.items()}, index=index)


# --------------------------------------------------------------------------- decisions
def targeting_comparison(scores: pd.DataFrame, outcome: Column, treated: Column, share: float = 0.3,
                         value_per_conversion: float = 0.0, cost_per_contact: float = 0.0,
                         true_effect: Column | None = None, random_seed: int | None = None,
                         offer_cost_per_buyer: float = 0.0, true_baseline: Column | None = None) -> pd.DataFrame:
    """What contacting the top ``share`` by each score (column) would bring, one row per method.

    ``targeted`` = ceil(share x n); ``uplift_at_k`` among them;
    ``incremental_conversions`` = uplift_at_k x targeted (in the outcome's units);
    ``incremental_profit`` = that x value_per_conversion - targeted x cost_per_contact
    - the offer given to targeted customers who would have converted anyway:
    ``offer_cost_per_buyer`` x the control arm's conversion rate among the
    targeted x targeted. Targeting likely buyers pays that subsidy most.
    With ``true_effect``: ``true_incremental``, ``true_profit`` (the subsidy
    from ``true_baseline``, each customer's true chance of converting without
    contact, when given) and ``share_of_perfect``. With ``random_seed``: a
    "random" row (seeded random score) for reference.

    >>> scores = pd.DataFrame({"model": [4, 3, 2, 1]})
    >>> targeting_comparison(scores, [1, 0, 0, 1], [True, False, True, False], share=0.5)["uplift_at_k"].tolist()
    [1.0]
    """
    scores = scores if isinstance(scores, pd.DataFrame) else pd.DataFrame(scores)
    named = {"outcome": outcome, "treated": treated}
    named |= {} if true_effect is None else {"true_effect": true_effect}
    named |= {} if true_baseline is None else {"true_baseline": true_baseline}
    arrays = dict(zip(named, _inputs(rows=scores, **named)))
    y, t = arrays["outcome"], arrays["treated"].astype(bool)
    methods = dict(scores.items())
    if random_seed is not None:
        if "random" in methods:
            raise ValueError("scores already has a column 'random'; rename it or leave out random_seed")
        methods["random"] = np.random.default_rng(random_seed).random(len(scores))
    targeted = _count(share, len(scores), name="share")
    rows = {}
    for name, score in methods.items():  # one pass per method, not per customer
        top = _top(_inputs(**{f"score {name!r}": score})[0], targeted)
        effect = _uplift_in(y, t, top)
        anyway = float(y[top & ~t].mean()) if (top & ~t).any() else float("nan")
        subsidy = offer_cost_per_buyer * (anyway if offer_cost_per_buyer else 0.0) * targeted
        rows[name] = {"targeted": targeted, "uplift_at_k": effect, "incremental_conversions": effect * targeted,
                      "incremental_profit": effect * targeted * value_per_conversion - targeted * cost_per_contact
                      - subsidy}
        if "true_effect" in arrays:
            gained = float(arrays["true_effect"][top].sum())
            true_subsidy = (offer_cost_per_buyer * float(arrays["true_baseline"][top].sum())
                            if "true_baseline" in arrays else subsidy)
            rows[name] |= {"true_incremental": gained,
                           "true_profit": gained * value_per_conversion - targeted * cost_per_contact - true_subsidy,
                           "share_of_perfect": _share_of_perfect(arrays["true_effect"], top)}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("method")


def evaluate_on_splits(features: pd.DataFrame, treated: pd.Series, outcome: pd.Series, seeds: Sequence[int] = (0, 1, 2),
                       segments: dict[str, pd.Series] | None = None, true_effect: pd.Series | None = None,
                       test_share: float = 0.5, k: float = 0.3) -> pd.DataFrame:
    """Fit and judge every method on several random splits: one row per (split, method).

    One split's ranking of methods can be luck; the spread across splits shows
    how much. Methods: the three models of :func:`fit_uplift_models` and, for
    each named labelling in ``segments``, :func:`segment_effect_score`.
    Columns: ``qini_auc`` (normalized), ``uplift_at_k`` and, with
    ``true_effect``, ``ordering_quality``.
    """
    rows = []
    for seed in seeds:
        held_out = holdout_split(treated, test_share=test_share, seed=seed)
        fitting = ~held_out
        models = fit_uplift_models(features[fitting], treated[fitting], outcome[fitting], seed=seed)
        scores = score_all(models, features[held_out])
        for name, labels in (segments or {}).items():
            scores[name] = segment_effect_score(labels, outcome, treated, fitting)[held_out].to_numpy()
        y, t = outcome[held_out], treated[held_out]
        for name, score in scores.items():
            row = {"split": seed, "method": name, "qini_auc": qini_auc(y, t, score),
                   "uplift_at_k": uplift_at_k(y, t, score, k=k)}
            if true_effect is not None:
                row["ordering_quality"] = ordering_quality(true_effect[held_out], score)
            rows.append(row)
    return pd.DataFrame(rows)


def sleeping_dogs(score: Column, threshold: float = 0.0) -> pd.Series:
    """True where the estimated effect of contact is below ``threshold`` (by default: negative).

    Contact is expected to *lower* their outcome (they are annoyed, unsubscribe,
    or are reminded to cancel), so leave them out even if they look like buyers.

    >>> sleeping_dogs(pd.Series([0.02, -0.01, 0.0])).tolist()
    [False, True, False]
    """
    score = score if isinstance(score, pd.Series) else pd.Series(np.asarray(score))
    return (score < threshold).rename("sleeping_dog")
