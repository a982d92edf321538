"""Behavioral predictions with an honest time-based split, and predictive micro-segments.

Features are computed as of a **cut-off date**; the outcome is what happens in
the ``horizon_days`` after it. A model is trained at one cut-off and judged at
a **later** cut-off, on a period it never saw, exactly as it would be used:
metrics are never computed on the training window. One caveat of the sample
data: survey scores, interests, age and followers are a single snapshot, used
as if known at every cut-off (in real data, take them as of the cut-off too).

>>> prob = pd.Series([0.9, 0.8, 0.3, 0.1]); outcome = pd.Series([True, False, False, False])
>>> lift_table(outcome, prob, bins=2)["lift"].tolist()
[2.0, 0.0]
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import brier_score_loss, mean_absolute_error, roc_auc_score

from .clv import bgnbd_features
from .estimators import logistic_on_features
from .features import model_features  # noqa: F401  (the one definition of the model's features; lessons import it here)
from .sales import net_line_value

if TYPE_CHECKING:  # annotations only: nothing here needs the loader at run time
    from .data import World


TARGETS = ("buys", "buys_category", "churns", "value")
MODELS = ("boosting", "logistic")


def outcomes(world: World, cutoff: str | pd.Timestamp, horizon_days: int, category: str | None = None) -> pd.DataFrame:
    """What each customer did in the ``horizon_days`` after the cut-off day: bought at all, bought the category, value."""
    start = pd.Timestamp(cutoff).normalize() + pd.Timedelta(days=1)
    end = start + pd.Timedelta(days=horizon_days)
    if end > pd.Timestamp(world.as_of).normalize() + pd.Timedelta(days=1):
        raise ValueError(f"the outcome window ends {end.date()}, after the data ends ({pd.Timestamp(world.as_of).date()}); "
                         "choose an earlier cut-off or a shorter horizon")
    lines = world.orders[(world.orders["order_ts"] >= start) & (world.orders["order_ts"] < end)]
    completed = lines[lines["status"] == "completed"]
    result = pd.DataFrame({"bought": completed.groupby("customer_id").size() > 0,
                           "value": net_line_value(lines).groupby(lines["customer_id"]).sum()})
    if category is not None:
        if world.products is None or "category" not in world.products.columns:
            raise ValueError(f"category {category!r}: this data has no products table with a 'category' column")
        known = set(world.products["category"].astype(str))
        if category not in known:
            raise ValueError(f"unknown category {category!r}; known: {sorted(known)}")
        in_category = completed["product_id"].map(world.products.set_index("product_id")["category"].astype(str)) == category
        result["bought_category"] = in_category.groupby(completed["customer_id"]).any()
    return result


def _target(world: World, features: pd.DataFrame, cutoff, horizon_days: int, target: str, category: str | None) -> pd.Series:
    future = outcomes(world, cutoff, horizon_days, category).reindex(features.index)
    if target == "buys":
        return future["bought"].eq(True)  # customers absent from the window did not buy
    if target == "buys_category":
        if category is None:
            raise ValueError("target 'buys_category' needs a category")
        return future["bought_category"].eq(True)
    if target == "churns":
        return ~future["bought"].eq(True)
    if target == "value":
        return future["value"].fillna(0.0).clip(lower=0)
    raise ValueError(f"unknown target {target!r}; choose from {TARGETS}")


@dataclass(frozen=True)
class Design:
    """A calibration/holdout design: where the model learns, and where it is judged.

    The model learns from features at ``train_cutoff`` and what customers did
    in the ``train_horizon_days`` after it; it is judged on features at
    ``test_cutoff`` and what they did in the ``horizon_days`` after that
    (a window of days: the day after the cut-off up to and including
    :attr:`test_end`). :func:`holdout_design` builds one and refuses designs
    the data cannot support.

    >>> d = Design(pd.Timestamp("1997-03-31"), pd.Timestamp("1997-09-30"), horizon_days=273, train_horizon_days=183)
    >>> d.train_end.date(), d.test_end.date()
    (datetime.date(1997, 9, 30), datetime.date(1998, 6, 30))
    """

    train_cutoff: pd.Timestamp
    test_cutoff: pd.Timestamp
    horizon_days: int
    train_horizon_days: int

    @property
    def train_end(self) -> pd.Timestamp:
        """The last day of the training outcome window."""
        return self.train_cutoff + pd.Timedelta(days=self.train_horizon_days)

    @property
    def test_end(self) -> pd.Timestamp:
        """The last day of the judged outcome window."""
        return self.test_cutoff + pd.Timedelta(days=self.horizon_days)


def holdout_design(world: World, train_cutoff: str | pd.Timestamp, test_cutoff: str | pd.Timestamp,
                   horizon_days: int | None = None, end: str | pd.Timestamp | None = None,
                   train_horizon_days: int | None = None) -> Design:
    """A :class:`Design` for this data, or a ValueError that says what is impossible about it.

    The judged window is ``horizon_days`` after ``test_cutoff`` or,
    equivalently, runs to the ``end`` day (give one, or both if they agree).
    The training window is as long (``train_horizon_days`` shortens it: on a
    short history, e.g. a cohort bought from its first quarter, a window as
    long as the judged one may not fit before ``test_cutoff``). Refused: a
    training cut-off before the first completed order (no customer has a
    history yet), a judging cut-off not after the training cut-off, a
    training window that runs past the judging cut-off (its outcomes would
    be the judged period's), a judged window that ends after the data does.

    Example::

        design = holdout_design(cdnow(), "1997-03-31", "1997-09-30", end="1998-06-30", train_horizon_days=183)
    """
    train, test = pd.Timestamp(train_cutoff).normalize(), pd.Timestamp(test_cutoff).normalize()
    if end is not None:
        to_end = (pd.Timestamp(end).normalize() - test).days
        if horizon_days is not None and horizon_days != to_end:
            raise ValueError(f"horizon_days={horizon_days} and end={pd.Timestamp(end).date()} disagree: the window "
                             f"from {test.date()} to {pd.Timestamp(end).date()} is {to_end} days; give one of them")
        horizon_days = to_end
    if horizon_days is None:
        raise ValueError("the judged window needs a length: give horizon_days or end")
    train_horizon_days = horizon_days if train_horizon_days is None else train_horizon_days
    for name, days in (("horizon_days (the judged window)", horizon_days), ("train_horizon_days", train_horizon_days)):
        if days < 1:
            raise ValueError(f"{name} must be at least 1 day, got {days}")
    if test <= train:
        raise ValueError(f"the judging cut-off ({test.date()}) must come after the training cut-off ({train.date()})")
    completed = world.orders.loc[world.orders["status"] == "completed", "order_ts"]
    if completed.empty:
        raise ValueError("orders: no completed order at all; there is nothing to learn from")
    first, last = completed.min().normalize(), completed.max().normalize()
    if train < first:
        raise ValueError(f"orders: the training cut-off {train.date()} is before the first completed order "
                         f"({first.date()}); no customer has a history to learn from: choose a cut-off on or after it")
    if train + pd.Timedelta(days=train_horizon_days) > test:
        raise ValueError("the training outcome window overlaps the test period: move train_cutoff earlier "
                         f"(train_cutoff + {train_horizon_days} days must not pass test_cutoff), or shorten "
                         "train_horizon_days")
    data_end = pd.Timestamp(world.as_of).normalize()
    if test + pd.Timedelta(days=horizon_days) > data_end:
        raise ValueError(f"the judged window ends {(test + pd.Timedelta(days=horizon_days)).date()}, after the data ends "
                         f"({data_end.date()}; last completed order {last.date()}): choose an earlier judging cut-off "
                         "or a shorter horizon")
    return Design(train, test, int(horizon_days), int(train_horizon_days))


@dataclass
class Evaluation:
    """A model trained at one cut-off and judged at a later one."""

    model: object
    predictions: pd.Series  # on the later period
    actual: pd.Series       # what happened in the later period
    metrics: dict
    features: pd.DataFrame | None = None  # what the model was judged on (the later period's features)
    design: Design | None = None          # the windows it learnt and was judged on


def _classifier(model: str, random_state: int):
    """The classifier a name stands for: calibrated gradient boosting, or a logistic regression on standardized features."""
    if model == "boosting":
        base = HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, random_state=random_state)
        return CalibratedClassifierCV(base, method="isotonic", cv=3)
    if model == "logistic":  # extrapolates beyond the training range (longer tenures, later cut-offs) in a straight line
        return logistic_on_features()
    raise ValueError(f"unknown model {model!r}; choose from {MODELS}")


def _check_period(x: pd.DataFrame, y: pd.Series, which: str, cutoff: pd.Timestamp, min_customers: int,
                  min_outcomes: int | None) -> None:
    """Refuse a period with too few customers, or (``min_outcomes``) too few customers of either outcome to learn from."""
    if len(x) < min_customers:
        raise ValueError(f"the {which} period (cut-off {cutoff.date()}) has {len(x):,} customer(s); at least "
                         f"{min_customers} are needed: choose a later cut-off, or set min_customers")
    if min_outcomes is None:
        return
    if y.nunique() < 2:
        raise ValueError(f"the training outcome has one value only ({y.iloc[0]}) in the {which} period "
                         f"(cut-off {cutoff.date()}, {len(y):,} customers); nothing to learn")
    counts = y.value_counts()
    if counts.min() < min_outcomes:
        raise ValueError(f"the {which} period (cut-off {cutoff.date()}) has {int(counts.min())} customer(s) with outcome "
                         f"{counts.idxmin()} of {len(y):,}; at least {min_outcomes} of each are needed to learn from")


def fit_and_evaluate(world: World, target: str, train_cutoff: str, test_cutoff: str, horizon_days: int | None = None,
                     category: str | None = None, buyers_only: bool = False, active_days: int = 365,
                     random_state: int = 0, features=None, max_train_rows: int | None = None, *,
                     end: str | pd.Timestamp | None = None, train_horizon_days: int | None = None, clv: bool = False,
                     model: str = "boosting", min_customers: int = 20, min_outcomes: int = 5) -> Evaluation:
    """Train on features at ``train_cutoff`` and outcomes after it; evaluate the same way at ``test_cutoff``.

    The windows are :func:`holdout_design`'s (``horizon_days`` or ``end``,
    ``train_horizon_days``), refused there when the data cannot support them.
    Targets: ``buys`` (any completed order in the window), ``buys_category``,
    ``churns`` (no order), ``value`` (net value; its training window must be
    as long as the judged one). ``buyers_only`` keeps active customers: a
    purchase in the ``active_days`` before the cut-off (churn is only
    meaningful for them; long-lapsed customers would make it look easy).
    ``model="boosting"`` is gradient boosting calibrated (isotonic, 3-fold on
    the training period) so that, in the training period, predicted
    probabilities can be read as rates; ``"logistic"`` is a logistic
    regression on standardized features (missing values: the median and a
    flag), which extends to feature values beyond the training period's
    (when the training cut-off is early in a short history, say).
    ``features(world, as_of)`` replaces :func:`model_features` (which builds
    the groups the data has, on any validated world); ``clv=True`` adds
    :func:`helpers.clv.bgnbd_features` for each period's own window, fitted
    on the history up to that period's cut-off only; ``max_train_rows``
    trains on a seeded random sample of that many rows (large customer bases:
    the model is judged on every test row all the same). A period with fewer
    than ``min_customers`` customers, or a training period with fewer than
    ``min_outcomes`` customers of either outcome, is refused. Customers
    signed up after a cut-off are not in that period; no other is left out.

    Example::

        fit_and_evaluate(cdnow(), "buys", "1997-03-31", "1997-09-30", end="1998-06-30",
                         train_horizon_days=183, clv=True, model="logistic").metrics["auc"]
    """
    features = model_features if features is None else features
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose from {TARGETS}")
    if target != "value" and model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {MODELS}")
    design = holdout_design(world, train_cutoff, test_cutoff, horizon_days, end, train_horizon_days)
    if target == "value" and design.train_horizon_days != design.horizon_days:
        raise ValueError(f"target 'value' sums spend over the window, so the training window "
                         f"({design.train_horizon_days} days) must be as long as the judged one ({design.horizon_days})")
    sets = []
    for which, cutoff, days in (("training", design.train_cutoff, design.train_horizon_days),
                                ("judged", design.test_cutoff, design.horizon_days)):
        x = features(world, cutoff)
        if clv:
            x = x.join(bgnbd_features(world.orders, x.index, cutoff, days))
        if buyers_only:
            x = x[x["recency_days"] <= active_days]
        if which == "training" and max_train_rows is not None and len(x) > max_train_rows:
            x = x.sample(n=max_train_rows, random_state=random_state).sort_index()
        y = _target(world, x, cutoff, days, target, category)
        _check_period(x, y, which, cutoff, min_customers,
                      min_outcomes if which == "training" and target != "value" else None)
        sets.append((x, y))
    (x_train, y_train), (x_test, y_test) = sets
    horizon_days = design.horizon_days
    if target == "value":
        fitted = HistGradientBoostingRegressor(loss="poisson", max_iter=200, random_state=random_state).fit(x_train, y_train)
        predicted = pd.Series(fitted.predict(x_test), index=x_test.index, name="predicted_value")
        baseline = x_test["monetary"] * horizon_days / np.maximum(x_test["tenure_days"].fillna(0) + 1, horizon_days)
        metrics = {"mae": round(mean_absolute_error(y_test, predicted), 2),
                   "mae_predict_zero": round(mean_absolute_error(y_test, np.zeros(len(y_test))), 2),
                   "mae_predict_training_mean": round(mean_absolute_error(y_test, np.full(len(y_test), y_train.mean())), 2),
                   "mae_naive_run_rate": round(mean_absolute_error(y_test, baseline.fillna(0)), 2),
                   "actual_total": round(float(y_test.sum()), 0), "predicted_total": round(float(predicted.sum()), 0)}
        return Evaluation(fitted, predicted, y_test, metrics, x_test, design)
    fitted = _classifier(model, random_state).fit(x_train, y_train)
    probability = pd.Series(fitted.predict_proba(x_test)[:, 1], index=x_test.index, name="probability")
    metrics = {"auc": round(roc_auc_score(y_test, probability), 3) if y_test.nunique() > 1 else float("nan"),
               "brier": round(brier_score_loss(y_test, probability), 4),
               "base_rate": round(float(y_test.mean()), 4),
               "mean_prediction": round(float(probability.mean()), 4),
               "training_base_rate": round(float(y_train.mean()), 4),
               "top_decile_lift": float(lift_table(y_test, probability)["lift"].iloc[0])}
    return Evaluation(fitted, probability, y_test, metrics, x_test, design)


def group_importance(model, features: pd.DataFrame, actual: pd.Series, groups: dict[str, list[str]],
                     random_state: int = 0) -> pd.DataFrame:
    """How much a fitted classifier leans on each group of features: AUC with the group's columns shuffled together.

    Shuffling one group's rows (the same permutation for all its columns, so
    the group stays internally consistent) cuts its link to the outcome; the
    drop in AUC on the period the model is judged on is what the model loses
    without it. Groups whose columns the model never saw are refused. Sorted
    by the drop, largest first. Read it with care: two groups that carry the
    same information (orders and order value, say) can each look
    unimportant, since the other stands in.

    Example::

        group_importance(churn.model, churn.features, churn.actual, model_definition(world, "2026-06-30").column_groups())
    """
    unknown = [c for columns in groups.values() for c in columns if c not in features.columns]
    if unknown:
        raise KeyError(f"column(s) {unknown[:5]} are not among the model's features")
    baseline = roc_auc_score(actual, model.predict_proba(features)[:, 1])
    order = np.random.default_rng(random_state).permutation(len(features))
    rows = []
    for group, columns in groups.items():
        shuffled = features.copy()
        shuffled[columns] = features[columns].to_numpy()[order]
        auc = roc_auc_score(actual, model.predict_proba(shuffled)[:, 1])
        rows.append((group, len(columns), round(auc, 3), round(baseline - auc, 3)))
    table = pd.DataFrame(rows, columns=["group", "columns", "auc_shuffled", "auc_drop"]).set_index("group")
    return table.sort_values("auc_drop", ascending=False, kind="stable")


def _tie_broken_rank(score: pd.Series, ascending: bool, random_state: int = 0) -> pd.Series:
    """Ranks 1..n where tied scores are ordered at random (seeded), not by their position in the table."""
    shuffled = score.sample(frac=1, random_state=random_state)
    return shuffled.rank(method="first", ascending=ascending).reindex(score.index)


def shift_to_rate(probability: pd.Series, rate: float) -> pd.Series:
    """Probabilities moved by one constant on the log-odds scale so that their mean is ``rate``.

    The ranking is kept; only the level changes. Use it when a model ranks well
    but its level has drifted (its mean prediction on the latest period is far
    from the rate observed there): shift to the latest observed rate.

    >>> shifted = shift_to_rate(pd.Series([0.1, 0.2, 0.4]), 0.1)
    >>> round(float(shifted.mean()), 4), bool(shifted.is_monotonic_increasing)
    (0.1, True)
    """
    from scipy.optimize import brentq

    if not 0 < rate < 1:
        raise ValueError(f"rate must be strictly between 0 and 1, got {rate}")
    logit = np.log(probability.clip(1e-9, 1 - 1e-9) / (1 - probability.clip(1e-9, 1 - 1e-9))).to_numpy(float)

    def gap(shift: float) -> float:
        return float(np.mean(1 / (1 + np.exp(-(logit + shift))))) - rate

    shift = brentq(gap, -50, 50, xtol=1e-10)
    return pd.Series(1 / (1 + np.exp(-(logit + shift))), index=probability.index, name=probability.name)


def shift_within(probability: pd.Series, groups: pd.Series, rates: pd.Series) -> pd.Series:
    """:func:`shift_to_rate` inside each group, to that group's rate (groups without a rate are left as they are).

    For a model whose ranking *between* groups is off: a measured rate per group
    (for example a campaign's control arm per segment) fixes each group's level,
    and the model still orders customers inside the group.

    >>> p = pd.Series([0.1, 0.3, 0.1, 0.3]); g = pd.Series(["a", "a", "b", "b"])
    >>> shift_within(p, g, pd.Series({"a": 0.05, "b": 0.5})).groupby(g).mean().round(3).tolist()
    [0.05, 0.5]
    """
    out = probability.astype(float).copy()
    for group, rate in rates.dropna().items():
        members = (groups == group).to_numpy()
        if members.any():
            # a measured 0% (or 100%) means "rare", not "impossible": keep it inside (0, 1)
            out[members] = shift_to_rate(probability[members], min(max(float(rate), 1e-4), 1 - 1e-4)).to_numpy()
    return out


def lift_table(actual: pd.Series, score: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Customers ranked by score in equal groups (1 = highest scores): size, outcome rate and lift over average."""
    order = _tie_broken_rank(score, ascending=False)
    group = np.ceil(order / len(order) * bins).astype(int).clip(1, bins)
    rate = actual.astype(float).groupby(group).mean()
    table = pd.DataFrame({"customers": group.value_counts().sort_index(), "rate": rate.round(4)})
    overall = float(actual.astype(float).mean())
    table["lift"] = (table["rate"] / overall).round(2) if overall else np.nan
    table.index.name = "group (1 = highest score)"
    return table


def score_comparison(actual: pd.Series, scores: pd.DataFrame) -> pd.DataFrame:
    """Several scores of the same customers (columns; higher = more likely) judged on one outcome: AUC and top-decile lift.

    Scores need not be probabilities (days since the last order ranks too);
    a score that is one, ``mean_score`` beside ``actual_rate`` says whether
    it can be read as a rate. Rows are sorted by AUC, best first.

    >>> actual = pd.Series([1, 0, 1, 0] * 5)
    >>> scores = pd.DataFrame({"p": [0.9, 0.2, 0.7, 0.1] * 5, "days": [3, 40, 10, 90] * 5})
    >>> score_comparison(actual, scores)["auc"].tolist()
    [1.0, 0.0]
    """
    missing = scores.index.difference(actual.index)
    if len(missing):
        raise KeyError(f"{len(missing)} scored customers have no outcome, e.g. {missing[:3].tolist()}")
    actual = actual.reindex(scores.index).astype(float)
    rows = {}
    for name in scores.columns:
        score = scores[name].astype(float)
        rows[name] = {"auc": round(float(roc_auc_score(actual, score)), 3),
                      "top_decile_lift": float(lift_table(actual, score)["lift"].iloc[0]),
                      "mean_score": round(float(score.mean()), 4) if score.between(0, 1).all() else np.nan,
                      "actual_rate": round(float(actual.mean()), 4)}
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("score")
    return table.sort_values("auc", ascending=False, kind="stable")


def _weighted_auc(positive: np.ndarray, level: np.ndarray, levels: int, weights: np.ndarray) -> np.ndarray:
    """AUC of each row of ``weights`` (how often each customer is drawn): ties count a half, as in roc_auc_score."""
    aucs = np.empty(len(weights))
    for i, w in enumerate(weights):
        pos = np.bincount(level[positive], weights=w[positive], minlength=levels)
        neg = np.bincount(level[~positive], weights=w[~positive], minlength=levels)
        below = np.cumsum(neg) - neg  # negatives with a lower score than each level
        aucs[i] = (pos * (below + 0.5 * neg)).sum() / (pos.sum() * neg.sum())
    return aucs


def auc_difference(actual: pd.Series, first: pd.Series, second: pd.Series, resamples: int = 1000,
                   confidence: float = 0.95, random_state: int = 0) -> pd.Series:
    """AUC of ``first`` minus AUC of ``second`` on the same customers, with a paired bootstrap interval.

    Paired: each resample draws customers with replacement and scores both on
    the same draw, so what the two scores share does not widen the interval.
    The interval is the percentile one, seeded by ``random_state``. Scores are
    aligned by customer id; higher means more likely.

    >>> actual = pd.Series([1, 0, 1, 0, 1, 0] * 20)
    >>> good = pd.Series([0.9, 0.1, 0.8, 0.3, 0.4, 0.6] * 20); weak = pd.Series([0.5, 0.5, 0.9, 0.1, 0.2, 0.8] * 20)
    >>> auc_difference(actual, good, weak, resamples=200).round(3).tolist()
    [0.278, 0.208, 0.361, 200.0]
    """
    actual = actual.reindex(first.index).astype(bool).to_numpy()
    if actual.all() or not actual.any():
        raise ValueError("the outcome must have both outcomes (some customers True, some False) for an AUC")
    scores = [first.astype(float).to_numpy(), second.reindex(first.index).astype(float).to_numpy()]
    rng = np.random.default_rng(random_state)
    n = len(actual)
    weights = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(resamples)]).astype(float)
    full = np.ones((1, n))
    point, boot = [], []
    for score in scores:
        levels, level = np.unique(score, return_inverse=True)
        point.append(_weighted_auc(actual, level, len(levels), full)[0])
        boot.append(_weighted_auc(actual, level, len(levels), weights))
    gap = boot[0] - boot[1]
    tail = (1 - confidence) / 2
    low, high = np.quantile(gap, [tail, 1 - tail])
    return pd.Series({"difference": point[0] - point[1], "low": float(low), "high": float(high),
                      "resamples": float(resamples)}, name="auc difference")


def calibration_table(actual: pd.Series, probability: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability beside the observed rate, in equal-sized groups of predictions."""
    group = pd.qcut(_tie_broken_rank(probability, ascending=True), bins, labels=False) + 1
    table = pd.DataFrame({"predicted": probability.groupby(group).mean(), "observed": actual.astype(float).groupby(group).mean(),
                          "customers": group.value_counts().sort_index()}).round(4)
    table.index.name = "group (1 = lowest predictions)"
    return table


def propensity_bands(probability: pd.Series, high: float = 0.8, medium: float = 0.5) -> pd.Series:
    """'high', 'medium' or 'low' by the quantile of the predicted probability (top 20%, next 30%, rest by default)."""
    if not 0 < medium < high < 1:
        raise ValueError(f"need 0 < medium < high < 1 (quantiles), got medium={medium}, high={high}")
    rank = probability.rank(pct=True, method="average")
    band = np.select([rank > high, rank > medium], ["high", "medium"], default="low")
    return pd.Series(pd.Categorical(band, categories=["high", "medium", "low"]), index=probability.index,
                     name="propensity")


def predictive_segments(probability: pd.Series, table: pd.DataFrame, order_value: pd.Series | None = None,
                        min_customers: int = 100, actual: pd.Series | None = None) -> pd.DataFrame:
    """Groups of propensity band x favourite category x main channel, with size and expected value.

    Expected value = sum over members of probability x their average order
    value across all categories (or ``order_value`` if given); customers
    with no order yet get the median. It is only as good as the
    probabilities' calibration. Groups below ``min_customers`` are kept but
    flagged. With ``actual`` (what happened), each group's observed rate is
    added beside its mean probability.
    """
    unknown = probability.index.difference(table.index)
    if len(unknown):
        raise KeyError(f"{len(unknown)} customers with a probability are not in the table, e.g. {unknown[:3].tolist()}")
    members = table.loc[probability.index]
    value = (order_value if order_value is not None else members["aov"]).reindex(probability.index)
    value = value.fillna(value.median() if value.notna().any() else 0.0)
    frame = pd.DataFrame({"propensity": propensity_bands(probability),
                          "favourite category": members["top_category"].fillna("none yet").astype(str),
                          "main channel": members["main_channel"].fillna("none yet").astype(str),
                          "probability": probability, "expected_value": probability * value})
    if actual is not None:
        frame["observed"] = actual.reindex(probability.index).astype(float)
    aggregations = {"customers": ("probability", "size"), "mean_probability": ("probability", "mean")}
    if actual is not None:
        aggregations["observed_rate"] = ("observed", "mean")
    aggregations["expected_value"] = ("expected_value", "sum")
    groups = frame.groupby(["propensity", "favourite category", "main channel"], observed=True).agg(**aggregations)
    groups["viable"] = groups["customers"] >= min_customers
    return groups.sort_values("expected_value", ascending=False, kind="stable").round(
        {"mean_probability": 3, "observed_rate": 3, "expected_value": 0})


def clv_segments(values: pd.DataFrame, alive_at: float = 0.5, actual_value: pd.Series | None = None) -> pd.DataFrame:
    """Lifetime-value micro-segments: value band (by :func:`propensity_bands` of the CLV) x likely active or likely gone.

    ``values`` is :func:`helpers.clv.lifetime_value`'s table. A customer is
    *likely active* when P(alive) is at least ``alive_at``. Per segment:
    customers, mean P(alive), mean and total CLV and its share of the total;
    with ``actual_value`` (what each customer later spent), the mean actual
    value beside the mean CLV. Returns the table and, as ``.attrs["segment"]``,
    each customer's segment.

    >>> values = pd.DataFrame({"clv": [100.0, 50.0, 10.0, 5.0, 1.0], "probability_alive": [0.9, 0.2, 0.8, 0.9, 0.1]})
    >>> clv_segments(values)["customers"].to_dict()
    {'high value, likely active': 1, 'medium value, likely active': 1, 'medium value, likely gone': 1, 'low value, likely active': 1, 'low value, likely gone': 1}
    """
    band = propensity_bands(values["clv"])
    alive = np.where(values["probability_alive"].to_numpy() >= alive_at, "likely active", "likely gone")
    segment = band.astype(str) + " value, " + alive
    frame = pd.DataFrame({"segment": segment, "clv": values["clv"], "probability_alive": values["probability_alive"]})
    aggregations = {"customers": ("clv", "size"), "mean_probability_alive": ("probability_alive", "mean"),
                    "mean_clv": ("clv", "mean"), "total_clv": ("clv", "sum")}
    if actual_value is not None:
        frame["actual"] = actual_value.reindex(values.index).fillna(0.0).to_numpy()
        aggregations["mean_actual_value"] = ("actual", "mean")
    order = [f"{b} value, {a}" for b in ("high", "medium", "low") for a in ("likely active", "likely gone")]
    table = frame.groupby("segment").agg(**aggregations).reindex([o for o in order if o in set(segment)])
    table.insert(4, "share_of_clv", table["total_clv"] / table["total_clv"].sum())
    table = table.round({"mean_probability_alive": 3, "mean_clv": 2, "total_clv": 0, "share_of_clv": 3,
                         "mean_actual_value": 2})
    table.attrs["segment"] = segment.rename("clv_segment")
    return table
