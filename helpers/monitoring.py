"""Watching segments move: transitions between two dates, the moves that matter, and drift alerts.

The recipe of lesson 07:

1. segments at two dates with the **same definitions** (fitted once, applied
   twice: ``clustering.fit_micro_segments(...).assign``, ``rfm_scores(reference=...)``);
2. :func:`transition_matrix`: who went from which segment to which;
3. :func:`migrations`: the customers whose move matters most, with their value;
4. :func:`size_shift` and :func:`drift_report`: segment sizes and feature
   distributions compared with the population stability index (PSI), with
   thresholds that raise a readable alert and say what to do.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .features import recent_behaviour  # noqa: F401  (a preset of the one feature definition; lesson 07 imports it here)

NEW = "not a customer yet"
PSI_WATCH, PSI_ALERT = 0.1, 0.25  # the usual rule of thumb: < 0.1 stable, 0.1-0.25 some shift, > 0.25 shifted


def _labels_in_order(*series: pd.Series) -> list:
    order: list = []
    for s in series:
        values = list(s.cat.categories) if isinstance(s.dtype, pd.CategoricalDtype) else sorted(s.dropna().unique(), key=str)
        order += [v for v in values if v not in order]
    return order


def transition_matrix(before: pd.Series, after: pd.Series, normalize: bool = False, new_label: str = NEW) -> pd.DataFrame:
    """Customers by segment at the first date (rows) and at the second (columns).

    Customers present only at the second date (signed up in between) form the
    row ``new_label``; customers missing at the second date are an error,
    because a customer does not stop existing (give every customer a segment,
    e.g. "no purchase"). Segments that disappear keep their row, segments that
    appear keep their column. ``normalize`` gives row shares (each row sums to 1).

    >>> before = pd.Series(["a", "a", "b"], index=[1, 2, 3])
    >>> transition_matrix(before, pd.Series(["a", "b", "b", "c"], index=[1, 2, 3, 4])).to_dict("index")
    {'a': {'a': 1, 'b': 1, 'c': 0}, 'b': {'a': 0, 'b': 1, 'c': 0}, 'not a customer yet': {'a': 0, 'b': 0, 'c': 1}}
    """
    for name, labels in (("before", before), ("after", after)):
        empty = labels.index[labels.isna().to_numpy()]
        if len(empty):
            raise ValueError(f"{len(empty)} customer(s) have no segment in '{name}', e.g. {list(empty[:5])}; "
                             "give them one (e.g. 'no purchase') so nobody drops out of the matrix")
    gone = before.index.difference(after.index)
    if len(gone):
        raise ValueError(f"{len(gone)} customer(s) have a segment at the first date but none at the second, "
                         f"e.g. {list(gone[:5])}; give every customer a segment at both dates")
    rows = _labels_in_order(before)
    columns = _labels_in_order(before, after)
    start = before.astype("object").reindex(after.index)
    has_new = bool(start.isna().any())
    start = start.fillna(new_label)
    counts = pd.crosstab(start, after.astype("object")).reindex(
        index=rows + ([new_label] if has_new else []), columns=columns, fill_value=0)
    counts = counts.fillna(0).astype(int)
    counts.index.name, counts.columns.name = "before", "after"
    if normalize:
        totals = counts.sum(axis=1)
        return counts.div(totals.where(totals > 0), axis=0).fillna(0.0)
    return counts


def stayed_share(matrix: pd.DataFrame) -> float:
    """Share of the first date's customers who are in the same segment at the second date."""
    common = [label for label in matrix.index if label in matrix.columns]
    existing = matrix.drop(index=NEW, errors="ignore")
    total = existing.to_numpy().sum()
    return float(sum(matrix.loc[label, label] for label in common if label != NEW) / total) if total else float("nan")


def migrations(before: pd.Series, after: pd.Series, value: pd.Series,
               moves: Sequence[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Customers who changed segment, with their value, most valuable first.

    ``moves`` keeps only the given (from, to) pairs, e.g.
    ``[("champions", "at risk")]``. Columns: ``before, after, value``.

    >>> before = pd.Series(["a", "a", "b"], index=[1, 2, 3]); after = pd.Series(["b", "a", "a"], index=[1, 2, 3])
    >>> migrations(before, after, pd.Series([10.0, 50.0, 20.0], index=[1, 2, 3]))["value"].tolist()
    [20.0, 10.0]
    """
    common = before.index.intersection(after.index)
    frame = pd.DataFrame({"before": before.loc[common].astype("object"), "after": after.loc[common].astype("object"),
                          "value": value.reindex(common)})
    frame = frame[frame["before"] != frame["after"]]
    if moves is not None:
        wanted = pd.MultiIndex.from_tuples(list(moves))
        frame = frame[pd.MultiIndex.from_arrays([frame["before"], frame["after"]]).isin(wanted)]
    frame.index.name = before.index.name or "customer_id"
    return frame.sort_values(["value"], ascending=False, kind="stable")


def move_summary(before: pd.Series, after: pd.Series, value: pd.Series, top: int = 10) -> pd.DataFrame:
    """The (from, to) moves holding the most value: customers and their total and mean value."""
    moved = migrations(before, after, value)
    out = moved.groupby(["before", "after"], observed=True)["value"].agg(customers="size", value="sum", mean_value="mean")
    return out.sort_values("value", ascending=False, kind="stable").head(top).round(2)


# --------------------------------------------------------------------------- drift
def size_shift(before: pd.Series, after: pd.Series, alert_points: float = 3.0, alert_relative: float = 0.3) -> pd.DataFrame:
    """Segment sizes and shares at both dates, the change in share (points and relative) and a status.

    ``status``: ``"appeared"`` / ``"disappeared"``; ``"alert"`` when the share
    moved by at least ``alert_points`` percentage points, or by at least
    ``alert_relative`` of itself (a small segment losing a third of its share
    matters even if that is under 3 points); else ``"ok"``.
    """
    labels = _labels_in_order(before, after)
    counts = pd.DataFrame({"before": before.astype("object").value_counts(),
                           "after": after.astype("object").value_counts()}).reindex(labels).fillna(0).astype(int)
    counts = counts[(counts["before"] > 0) | (counts["after"] > 0)]  # a category nobody holds at either date
    counts["share_before"] = counts["before"] / max(int(counts["before"].sum()), 1)
    counts["share_after"] = counts["after"] / max(int(counts["after"].sum()), 1)
    counts["change_points"] = 100 * (counts["share_after"] - counts["share_before"])
    counts["relative_change"] = (counts["share_after"] / counts["share_before"].where(counts["share_before"] > 0)) - 1
    moved = (counts["change_points"].abs() >= alert_points) | (counts["relative_change"].abs() >= alert_relative)
    counts["status"] = np.select([counts["before"] == 0, counts["after"] == 0, moved],
                                 ["appeared", "disappeared", "alert"], default="ok")
    counts.index.name = "segment"
    return counts.round({"share_before": 3, "share_after": 3, "change_points": 1, "relative_change": 2})


def psi(expected: pd.Series, actual: pd.Series, bins: int = 10) -> float:
    """Population stability index of ``actual`` against ``expected``: sum of (a - e) * ln(a / e) over bins.

    Numbers are binned at the expected distribution's quantiles (ties merge
    bins); text and True/False values are compared category by category;
    missing values are a bin of their own. Empty bins count as 0.0001 so the
    logarithm stays finite.

    >>> same = pd.Series(range(1000))
    >>> psi(same, same)
    0.0
    >>> round(psi(same, same + 500), 2) > 0.25
    True
    """
    if len(expected) == 0 or len(actual) == 0:
        raise ValueError("psi needs values at both dates")
    numeric = pd.api.types.is_numeric_dtype(expected) and not pd.api.types.is_bool_dtype(expected)
    if numeric and expected.isna().all():
        raise ValueError(f"the reference ({expected.name or 'expected'}) has only missing values: nothing to bin against")
    if numeric:
        edges = np.unique(np.nanquantile(expected.to_numpy(float), np.linspace(0, 1, bins + 1)[1:-1]))
        e_bins = pd.Series(np.where(expected.isna(), -1, np.searchsorted(edges, expected.to_numpy(float), side="right")))
        a_bins = pd.Series(np.where(actual.isna(), -1, np.searchsorted(edges, actual.to_numpy(float), side="right")))
    else:
        e_bins, a_bins = expected.astype("object").fillna("<missing>"), actual.astype("object").fillna("<missing>")
    e = e_bins.value_counts(normalize=True)
    a = a_bins.value_counts(normalize=True)
    shares = pd.DataFrame({"e": e, "a": a}).fillna(0.0).clip(lower=1e-4)
    value = float(((shares["a"] - shares["e"]) * np.log(shares["a"] / shares["e"])).sum())
    return round(value, 4) + 0.0


def drift_report(before: pd.DataFrame, after: pd.DataFrame, watch: float = PSI_WATCH, alert: float = PSI_ALERT,
                 actions: dict[str, str] | None = None, shift_watch: float = 0.1, shift_alert: float = 0.25) -> pd.DataFrame:
    """Drift of every column shared by both tables: PSI, the move of the mean, a status and a sentence to act on.

    Two signals, because each misses something: the PSI compares whole
    distributions (but is diluted when most customers sit at zero), the
    standardized change of the mean (``std_change``, the change in units of
    the first date's standard deviation; numbers only) catches a level shift.
    ``status`` is the worse of the two: ``"alert"`` (PSI >= ``alert`` or
    |std_change| >= ``shift_alert``), ``"watch"`` (>= ``watch`` / ``shift_watch``)
    or ``"stable"``. ``actions`` may give the advice for a column. Worst first.
    """
    shared = [c for c in before.columns if c in after.columns]
    if not shared:
        raise ValueError("the two tables share no columns")
    actions = actions or {}
    rows = []
    for column in shared:
        value = psi(before[column], after[column])
        numeric = pd.api.types.is_numeric_dtype(before[column]) and not pd.api.types.is_bool_dtype(before[column])
        mean_before = float(before[column].mean()) if numeric else np.nan
        mean_after = float(after[column].mean()) if numeric else np.nan
        spread = float(before[column].std()) if numeric else np.nan
        change = (mean_after - mean_before) / spread if numeric and spread > 0 else np.nan
        level = max(2 if value >= alert else 1 if value >= watch else 0,
                    0 if np.isnan(change) else 2 if abs(change) >= shift_alert else 1 if abs(change) >= shift_watch else 0)
        status = ("stable", "watch", "alert")[level]
        if status == "stable":
            message = "no action"
        else:
            moved = f"mean {mean_before:.3g} -> {mean_after:.3g}, " if numeric else ""
            direction = "changed" if not numeric or mean_after == mean_before else (
                "rose" if mean_after > mean_before else "fell")
            advice = actions.get(column, "re-check the segments built on it; refit if the shift persists")
            message = f"{status}: {column} {direction} ({moved}PSI {value:.2f}): {advice}"
        rows.append({"feature": column, "psi": value, "mean_before": mean_before, "mean_after": mean_after,
                     "std_change": change, "status": status, "level": level, "message": message})
    report = pd.DataFrame(rows).set_index("feature")
    report = report.sort_values(["level", "psi"], ascending=False, kind="stable").drop(columns="level")
    return report.round({"mean_before": 3, "mean_after": 3, "std_change": 3})
