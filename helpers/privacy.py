"""Responsible micro-segmentation: pseudonyms, k-anonymity, proxies, fairness screens, granularity and fatigue.

The checks of lesson 08, to run before a segment list or a report leaves the team:

1. :func:`pseudonymize`: keyed pseudonyms instead of customer ids in shared files;
2. :func:`group_sizes`, :func:`k_anonymity`, :func:`singled_out`, :func:`coarsen`
   and :func:`check_report`: could a row of a report be traced to one person
   by its *quasi-identifiers* (age, city, gender...)? Coarsen until every
   combination is shared by at least ``k`` rows;
3. :func:`proxy_leakage` and :func:`selection_rates`: leaving a sensitive
   attribute out of a model does not leave out its information, and a
   targeting rule can still select groups at very different rates;
4. :func:`granularity_economics`, :func:`granularity_curve` and
   :func:`minimum_viable_size`: every segment costs a creative and a test, so
   finer is not always better;
5. :func:`contacts_in_window`: how often each customer was contacted lately.

>>> people = pd.DataFrame({"age": [23, 27, 41, 45], "city": ["Lyon", "Lyon", "Nice", "Nice"]})
>>> k_anonymity(people, ["age", "city"])
1
>>> k_anonymity(coarsen(people, {"age": ("bins", [0, 30, 60], ["<30", "30-59"])}), ["age", "city"])
2
"""
from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

ECONOMICS = ["segments_used", "gross_profit", "fixed_costs", "net_profit"]


def _columns(frame: pd.DataFrame, columns: list[str] | str, name: str = "frame",
             what: str = "quasi-identifier ") -> list[str]:
    columns = [columns] if isinstance(columns, str) else list(columns)
    if not columns:
        raise ValueError(f"name at least one {what}column")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{name} has no {what}column {missing[0]!r} (columns: {list(frame.columns)[:10]})")
    return columns


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a whole number of rows >= 1, got {k!r}")


def _aligned(name: str, values: pd.Series, other_name: str, other: pd.Series | pd.DataFrame) -> None:
    if len(values) != len(other):
        raise ValueError(f"{name} has {len(values)} rows but {other_name} has {len(other)}")
    if not values.index.equals(other.index):
        raise ValueError(f"{name} and {other_name} have different indexes; align them first (e.g. .reindex)")


# --------------------------------------------------------------------------- pseudonyms
def _id_text(value) -> str:
    # an integer id column that gained a missing value turns float: 42.0 must still read "42"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pseudonymize(ids: pd.Series, salt: str) -> pd.Series:
    """Keyed pseudonyms for customer ids: HMAC-SHA256 of the id's text with ``salt`` as the key, 16 hex characters.

    A plain hash of an id is not enough: ids are few and guessable (1 to a
    million, or a known format), so anyone can hash every possible id and
    look the pseudonyms up. With a secret salt they cannot, as long as the
    salt stays out of the shared file, the notebook and the repository. The
    same id and salt always give the same pseudonym (files can still be
    joined); another salt gives unrelated ones (files for different partners
    cannot be joined with each other). Integral floats are written as
    integers, so 42 and 42.0 agree. Missing ids stay missing. Pseudonymized
    data is still personal data: whoever holds the salt can re-identify it.

    >>> pseudonymize(pd.Series([42, 42]), salt="s3cret").nunique()
    1
    >>> len(pseudonymize(pd.Series([42]), salt="s3cret").iloc[0])
    16
    """
    if not isinstance(salt, str) or not salt:
        raise ValueError("salt must be a non-empty string: a pseudonym without a secret salt can be reversed "
                         "by hashing every id")
    key = salt.encode("utf-8")
    return ids.map(lambda value: hmac.new(key, _id_text(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16],
                   na_action="ignore")


# --------------------------------------------------------------------------- k-anonymity
def group_sizes(frame: pd.DataFrame, quasi_identifiers: list[str]) -> pd.Series:
    """For every row, how many rows share its combination of quasi-identifiers (missing counts as a value).

    >>> group_sizes(pd.DataFrame({"city": ["Lyon", "Lyon", None]}), ["city"]).tolist()
    [2, 2, 1]
    """
    columns = _columns(frame, quasi_identifiers)
    if frame.empty:
        return pd.Series(np.zeros(0, dtype="int64"), index=frame.index, name="group_size")
    # codes rather than groupby: missing values stay a group of their own and categoricals need no observed=...
    codes = np.column_stack([pd.factorize(frame[c], use_na_sentinel=False)[0] for c in columns])
    _, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return pd.Series(counts[inverse.reshape(-1)].astype("int64"), index=frame.index, name="group_size")


def k_anonymity(frame: pd.DataFrame, quasi_identifiers: list[str]) -> int:
    """The smallest group size: every row is shared by at least k rows (0 for an empty frame).

    >>> k_anonymity(pd.DataFrame({"city": ["Lyon", "Lyon", "Nice"]}), ["city"])
    1
    """
    sizes = group_sizes(frame, quasi_identifiers)
    return int(sizes.min()) if len(sizes) else 0


def singled_out(frame: pd.DataFrame, quasi_identifiers: list[str], k: int = 5) -> pd.DataFrame:
    """The rows whose combination of quasi-identifiers is shared by fewer than ``k`` rows, with ``group_size``.

    >>> singled_out(pd.DataFrame({"city": ["Lyon", "Lyon", "Nice"]}), ["city"], k=2)
       city  group_size
    2  Nice           1
    """
    _check_k(k)
    sizes = group_sizes(frame, quasi_identifiers)
    below = (sizes < k).to_numpy()
    return frame[below].assign(group_size=sizes.to_numpy()[below])


def coarsen(frame: pd.DataFrame, rules: dict) -> pd.DataFrame:
    """A copy with each named column generalized, so that fewer rows stand alone.

    Rules, per column: ``("bins", edges, labels)`` bands numbers with
    ``pd.cut(right=False)`` (a value outside the edges is refused, not made
    missing: end with ``np.inf`` to catch the tail); ``("top", n)`` keeps the
    ``n`` most frequent values (ties by value) and writes ``"other"`` for the
    rest, missing stays missing; ``("drop",)`` removes the column.

    >>> coarsen(pd.DataFrame({"age": [23, 41, 67]}), {"age": ("bins", [0, 30, 60, np.inf], ["<30", "30-59", "60+"])})
         age
    0    <30
    1  30-59
    2    60+
    """
    unknown = [c for c in rules if c not in frame.columns]
    if unknown:
        raise KeyError(f"rules name column {unknown[0]!r}, which frame lacks (columns: {list(frame.columns)[:10]})")
    shapes = {"bins": 3, "top": 2, "drop": 1}
    out = frame.copy()
    for column, rule in rules.items():
        kind = rule[0] if isinstance(rule, (tuple, list)) and len(rule) else None
        if kind not in shapes:
            raise ValueError(f"unknown rule {rule!r} for column {column!r}; "
                             "use ('bins', edges, labels), ('top', n) or ('drop',)")
        if len(rule) != shapes[kind]:
            raise ValueError(f"rule {rule!r} for column {column!r} should have {shapes[kind]} parts")
        values = out[column]
        if kind == "drop":
            out = out.drop(columns=column)
        elif kind == "bins":
            banded = pd.cut(values, bins=rule[1], labels=rule[2], right=False)
            lost = banded.isna() & values.notna()
            if lost.any():
                raise ValueError(f"column {column!r} has {lost.sum()} values outside the bins "
                                 f"[{rule[1][0]}, {rule[1][-1]}), e.g. {values[lost].head(3).tolist()}; widen the "
                                 "edges (np.inf is allowed)")
            out[column] = banded
        else:
            n = rule[1]
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"('top', n) for column {column!r} needs a whole n >= 1, got {n!r}")
            counts = values.value_counts()
            # sort by value first so that ties in frequency do not depend on row order or the pandas version
            keep = counts.sort_index().sort_values(ascending=False, kind="stable").index[:n]
            values = values.astype(object) if isinstance(values.dtype, pd.CategoricalDtype) else values
            out[column] = values.where(values.isin(keep) | values.isna(), "other")
    return out


def check_report(frame: pd.DataFrame, quasi_identifiers: list[str], k: int = 5) -> None:
    """Refuse (ValueError) a report in which a combination of quasi-identifiers is shared by fewer than ``k`` rows.

    >>> check_report(pd.DataFrame({"city": ["Lyon"] * 5}), ["city"], k=5)
    """
    _check_k(k)
    columns = _columns(frame, quasi_identifiers)
    sizes = group_sizes(frame, columns)
    below = sizes < k
    if below.any():
        example = frame[columns].iloc[[int(np.argmin(sizes.to_numpy()))]].to_dict("records")[0]
        raise ValueError(f"the report could single people out: k={k} needed but the smallest group has "
                         f"{sizes.min()} row(s) and {below.sum()} rows sit in groups below {k}, e.g. {example}; "
                         "coarsen the quasi-identifiers (coarsen) or suppress those rows (singled_out)")


# --------------------------------------------------------------------------- sensitive attributes and proxies
def _model_frame(features: pd.DataFrame) -> pd.DataFrame:
    """Numbers as floats, dates as days, text as categories (integer codes beyond 255 levels, the model's limit)."""
    out = {}
    for name, column in features.items():
        if pd.api.types.is_datetime64_any_dtype(column):
            column = (column - column.min()).dt.days.astype("float64")
        elif pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            column = column.astype("float64")
        elif column.nunique() <= 255:
            column = column.astype("category").cat.remove_unused_categories()
        else:
            codes = pd.factorize(column)[0]
            column = pd.Series(np.where(codes >= 0, codes, np.nan), index=column.index)
        out[name] = column
    return pd.DataFrame(out, index=features.index)


def proxy_leakage(features: pd.DataFrame, sensitive: pd.Series, random_state: int = 0, folds: int = 3) -> dict:
    """How well the other features predict a sensitive attribute the model was not given (cross-validated).

    Leaving a sensitive attribute (age, gender, ethnicity...) out of a
    model does not leave out its information when other features are its
    proxies (postcode, product mix, first name...). A gradient-boosted
    classifier predicts the attribute out-of-fold (``folds`` stratified,
    shuffled folds). ``auc`` near 0.5 means the features say little about
    the attribute, near 1 that they could stand in for it; read
    ``accuracy`` against ``majority_share``, the accuracy of always guessing
    the commonest value. With more than two values ``auc`` is the macro
    one-vs-rest AUC. Rows with a missing attribute are left out and counted
    in ``dropped``; ``n`` is the rows used.
    """
    if sensitive.name is not None and sensitive.name in features.columns:
        raise ValueError(f"features include the sensitive column {sensitive.name!r}; leave the sensitive attribute "
                         "out of the features: that is the point")
    if features.shape[1] == 0:
        raise ValueError("features has no columns")
    _aligned("sensitive", sensitive, "features", features)
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    known = sensitive.notna().to_numpy()
    y, classes = pd.factorize(sensitive[known], sort=True)
    if len(classes) < 2:
        raise ValueError(f"the sensitive attribute has {len(classes)} distinct value(s) "
                         f"({list(classes)}); there is nothing to predict")
    counts = np.bincount(y)
    if counts.min() < folds:
        raise ValueError(f"the sensitive value {classes[counts.argmin()]!r} has {counts.min()} rows; "
                         f"each value needs at least folds={folds}")
    model = HistGradientBoostingClassifier(max_iter=100, random_state=random_state, categorical_features="from_dtype")
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    proba = cross_val_predict(model, _model_frame(features.loc[known]), y, cv=split, method="predict_proba")
    if len(classes) == 2:
        auc = roc_auc_score(y, proba[:, 1])
    else:
        auc = roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=np.arange(len(classes)))
    return {"auc": float(auc), "accuracy": float((proba.argmax(axis=1) == y).mean()),
            "majority_share": float(counts.max() / len(y)), "n": int(len(y)), "dropped": int((~known).sum())}


def selection_rates(selected: pd.Series, group: pd.Series) -> pd.DataFrame:
    """Per group: customers, selected, rate, ``ratio_to_highest`` and ``flag`` (ratio below 0.8).

    The four-fifths rule of disparate-impact checks: a group selected at less
    than 80% of the best-treated group's rate deserves a look. It is a
    screening rule of thumb, not a legal test, and small groups swing it by
    chance. Missing group values form a group ``"missing"`` (last). When
    nobody is selected the ratios are undefined (NaN) and nothing is flagged.

    >>> selection_rates(pd.Series([True, True, True, False]), pd.Series(["a", "a", "b", "b"]))
       customers  selected  rate  ratio_to_highest   flag
    a          2         2   1.0               1.0  False
    b          2         1   0.5               0.5   True
    """
    _aligned("selected", selected, "group", group)
    if selected.isna().any():
        raise ValueError(f"selected has {selected.isna().sum()} missing values, "
                         f"e.g. at {selected.index[selected.isna()][:5].tolist()}")
    if not (pd.api.types.is_bool_dtype(selected) or selected.isin([0, 1]).all()):
        raise ValueError(f"selected must be True/False (or 1/0), got values {selected.unique()[:5].tolist()}")
    chosen = selected.astype(bool).astype("int64")
    present = group.notna()
    grouped = chosen[present].groupby(group[present], observed=True)
    out = pd.DataFrame({"customers": grouped.size(), "selected": grouped.sum()})
    if not present.all():
        out = pd.concat([out, pd.DataFrame({"customers": [int((~present).sum())],
                                            "selected": [int(chosen[~present].sum())]}, index=["missing"])])
    out.index.name = group.name
    out["rate"] = out["selected"] / out["customers"]
    highest = out["rate"].max()
    out["ratio_to_highest"] = out["rate"] / highest if highest > 0 else np.nan
    # rounded so that a ratio of exactly 4/5 is not flagged for a floating-point 0.7999...; NaN is never flagged
    out["flag"] = out["ratio_to_highest"].round(12) < 0.8
    return out


# --------------------------------------------------------------------------- limits of granularity
def granularity_economics(profit_by_segment: pd.Series, fixed_cost_per_segment: float) -> pd.Series:
    """Net profit of a segmentation: a segment is used only when it pays its fixed cost (creative and a test).

    ``profit_by_segment`` is each segment's expected profit before that fixed
    cost. A segment earning less than the fixed cost is left out, since using
    it would lower ``net_profit`` (:func:`minimum_viable_size` says how large a
    segment must be to pay its way).

    >>> granularity_economics(pd.Series([300.0, 50.0, -20.0]), 100.0).tolist()
    [1.0, 300.0, 100.0, 200.0]
    """
    if fixed_cost_per_segment < 0:
        raise ValueError(f"fixed_cost_per_segment must be >= 0, got {fixed_cost_per_segment}")
    missing = profit_by_segment.isna()
    if missing.any():
        raise ValueError(f"profit_by_segment is missing for {missing.sum()} segment(s), "
                         f"e.g. {profit_by_segment.index[missing][:5].tolist()}")
    used = profit_by_segment > fixed_cost_per_segment
    gross = float(profit_by_segment[used].sum())
    fixed = float(used.sum() * fixed_cost_per_segment)
    return pd.Series([used.sum(), gross, fixed, gross - fixed], index=ECONOMICS, dtype="float64")


def granularity_curve(results: dict[int, pd.Series], fixed_cost_per_segment: float) -> pd.DataFrame:
    """:func:`granularity_economics` for each number of segments offered, one row per key, sorted.

    >>> granularity_curve({4: pd.Series([90.0, 90, 90, 90]), 2: pd.Series([200.0, 100])}, 50.0)["net_profit"].tolist()
    [200.0, 160.0]
    """
    rows = {key: granularity_economics(results[key], fixed_cost_per_segment) for key in sorted(results)}
    out = pd.DataFrame.from_dict(rows, orient="index", columns=ECONOMICS).astype({"segments_used": "int64"})
    return out.rename_axis("segments_offered")


def minimum_viable_size(margin_per_incremental: float, uplift: float, cost_per_contact: float,
                        fixed_cost_per_segment: float, subsidy_per_contact: float = 0.0) -> float:
    """The smallest audience whose expected profit covers a segment's fixed cost (inf if contacts never pay).

    Solves n * (uplift * margin - cost_per_contact - subsidy_per_contact) = fixed cost;
    ``subsidy_per_contact`` is the offer given, per contact, to customers who
    would have bought anyway (their rate x the share who see it x the offer's
    cost, as ``campaign.plan_economics`` counts it). A segment smaller than n
    loses money even when targeting it is right.

    >>> minimum_viable_size(margin_per_incremental=50.0, uplift=0.02, cost_per_contact=0.5,
    ...                     fixed_cost_per_segment=500.0)  # 0.02 * 50 - 0.5 = 0.5 per contact
    1000.0
    >>> minimum_viable_size(50.0, 0.02, 0.5, 500.0, subsidy_per_contact=0.25)  # 0.25 left per contact
    2000.0
    """
    if fixed_cost_per_segment < 0:
        raise ValueError(f"fixed_cost_per_segment must be >= 0, got {fixed_cost_per_segment}")
    if subsidy_per_contact < 0:
        raise ValueError(f"subsidy_per_contact must be >= 0, got {subsidy_per_contact}")
    per_contact = uplift * margin_per_incremental - cost_per_contact - subsidy_per_contact
    return float(fixed_cost_per_segment / per_contact) if per_contact > 0 else float("inf")


# --------------------------------------------------------------------------- contact fatigue
def contacts_in_window(history: pd.DataFrame, as_of: str | pd.Timestamp, window_days: int) -> pd.Series:
    """Contacts per customer_id in the window (as_of - window_days, as_of] of ``history``.

    ``history`` has ``customer_id`` and ``contact_date``. Customers without a
    contact in the window are not in the index: reindex with
    ``fill_value=0`` on your customer list.

    >>> log = pd.DataFrame({"customer_id": [1, 1, 2], "contact_date": ["2024-03-01", "2024-03-09", "2024-01-05"]})
    >>> contacts_in_window(log, "2024-03-10", window_days=30).to_dict()
    {1: 2}
    """
    _columns(history, ["customer_id", "contact_date"], name="history", what="")
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    as_of = pd.Timestamp(as_of)
    dates = pd.to_datetime(history["contact_date"])
    inside = (dates > as_of - pd.Timedelta(days=window_days)) & (dates <= as_of)
    return history.loc[inside, "customer_id"].value_counts().sort_index().rename("contacts")
