"""The randomized test as a whole: its average effect, arm balance, and the sample it needs."""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from .checks import Column, _inputs, _need_arms


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


def numeric_columns(features: pd.DataFrame) -> pd.DataFrame:
    """Every column as numbers, as a balance check or a model reads them; indexed like ``features``.

    True/False becomes 1/0, dates days since the earliest, and a text or
    category column one 0/1 column per level, named ``"<column> = <level>"``.
    A missing value stays missing (in every level's column: unknown, not "none
    of the levels").

    >>> numeric_columns(pd.DataFrame({"spend": [10, 20], "channel": ["Web", "Phone"]})).columns.tolist()
    ['spend', 'channel = Phone', 'channel = Web']
    """
    parts = []
    for name, column in features.items():  # one pass per column, to expand the text ones
        if pd.api.types.is_datetime64_any_dtype(column):
            column = column - column.min()
        if pd.api.types.is_timedelta64_dtype(column):
            column = column.dt.total_seconds() / 86400
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            parts.append(pd.Series(column.astype("Float64").to_numpy("float64", na_value=np.nan), name=name,
                                   index=features.index))
        else:
            levels = pd.get_dummies(column, prefix=str(name), prefix_sep=" = ", dtype="float64")
            levels[column.isna().to_numpy()] = np.nan
            parts.append(levels)
    return pd.concat(parts, axis=1)


def effect_by_group(outcome: Column, treated: Column, groups: pd.Series, min_arm: int = 30,
                    confidence: float = 0.95) -> pd.DataFrame:
    """:func:`average_effect` within each group (a segment, a channel, a recency band): one row per group.

    A group with fewer than ``min_arm`` customers in an arm keeps its counts
    and means but gets no effect or interval (NaN): too few to measure. Groups
    are in their sorted (or category) order.

    >>> effect_by_group([1, 0, 1, 1, 0, 0], [True, False, True, False, True, False],
    ...                 pd.Series(["a", "a", "a", "b", "b", "b"]), min_arm=1)["effect"].tolist()
    [1.0, -0.5]
    """
    y, t = _inputs(rows=groups, outcome=outcome, treated=treated)
    if groups.isna().any():
        raise ValueError(f"groups has {int(groups.isna().sum())} missing labels, e.g. at "
                         f"{groups.index[groups.isna().to_numpy()][:5].tolist()}: label every customer")
    rows = {}
    labels = groups.reset_index(drop=True)
    for label, positions in pd.Series(np.arange(len(labels))).groupby(labels, observed=True, sort=True):
        yy, tt = y[positions.to_numpy()], t[positions.to_numpy()]
        if min(tt.sum(), (~tt).sum()) >= max(min_arm, 1):
            rows[label] = average_effect(yy, tt, confidence)
        else:
            rows[label] = pd.Series({"n_treated": tt.sum(), "n_control": (~tt).sum(),
                                     "treated_mean": yy[tt].mean() if tt.any() else np.nan,
                                     "control_mean": yy[~tt].mean() if (~tt).any() else np.nan}, dtype="float64")
    out = pd.DataFrame.from_dict(rows, orient="index").reindex(
        columns=["n_treated", "n_control", "treated_mean", "control_mean", "effect", "low", "high", "p_value"])
    out[["n_treated", "n_control"]] = out[["n_treated", "n_control"]].astype("int64")
    return out.rename_axis(groups.name)


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
    expanded = numeric_columns(features).reset_index(drop=True)
    arm, control = expanded[t], expanded[~t]
    spread = np.sqrt((arm.var() + control.var()) / 2)
    std_difference = ((arm.mean() - control.mean()) / spread.where(spread > 0)).where(spread != 0, 0.0)
    return pd.DataFrame({"treated_mean": arm.mean(), "control_mean": control.mean(), "std_difference": std_difference,
                         "imbalanced": std_difference.abs() > 0.1,
                         "missing_share_difference": arm.isna().mean() - control.isna().mean()}).rename_axis("feature")


def sample_size(baseline_rate: float, min_effect: float, alpha: float = 0.05, power: float = 0.8,
                treated_share: float = 0.5, variance: float | None = None) -> dict[str, int]:
    """Customers needed to detect a change of ``min_effect`` in a conversion rate, or in an amount (two-sided,
    normal approximation); the one sample-size rule of the kit (lesson 06 and the template's next-test column).

    total = (z[1 - alpha/2] + z[power])^2 v / (e^2 w (1 - w)), with v the
    outcome's variance (p (1 - p) at the baseline rate p, unless ``variance``
    is given), e the effect and w the treated share; each arm rounded up.
    Equal split: (z + z)^2 2 v / e^2 per arm. Both arms use the baseline
    variance, which is slightly optimistic when the effect raises the rate:
    calculators using each arm's own rate say 3,841, not 3,532, below.

    For an amount (spend per customer), ``baseline_rate`` is the control
    arm's mean and ``variance`` its variance, e.g. from the last test.

    >>> sample_size(0.10, 0.02)
    {'treated': 3532, 'control': 3532, 'total': 7064}
    >>> sample_size(0.65, 0.5, variance=16.0)["treated"]      # spend: mean 0.65, sd 4, detect +0.50
    1005
    """
    checks = (("alpha", alpha), ("power", power), ("treated_share", treated_share))
    for name, value in checks + ((("baseline_rate", baseline_rate),) if variance is None else ()):
        if not 0 < value < 1:
            raise ValueError(f"{name} must be between 0 and 1, got {value}")
    if variance is None and (min_effect == 0 or not 0 <= baseline_rate + min_effect <= 1):
        raise ValueError(f"min_effect must be non-zero and keep the rate within 0-1, got {min_effect}")
    if variance is not None and (min_effect == 0 or not variance > 0):
        raise ValueError(f"min_effect must be non-zero and variance above 0, got {min_effect} and {variance}")
    spread = baseline_rate * (1 - baseline_rate) if variance is None else variance
    z = norm.ppf(1 - alpha / 2) + norm.ppf(power)
    total = z ** 2 * spread / (min_effect ** 2 * treated_share * (1 - treated_share))
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
