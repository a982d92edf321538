"""Traditional, rule-based segmentation on the four classic bases, and honest measures of how well it works.

A scheme is a list of ``(segment name, condition)`` rules on the customer
table (:func:`helpers.features.customer_table`); the first rule a customer
meets wins, and customers who meet none get the default. Conditions are
pandas expressions, so a scheme reads like the marketer's definition and can
be edited in place.

>>> table = pd.DataFrame({"age": [22, 45, 70]})
>>> assign_segments(table, [("young", "age < 30"), ("mid-life", "age < 60")], default="senior").tolist()
['young', 'mid-life', 'senior']
"""
from __future__ import annotations

import difflib
import re
from typing import Sequence

import numpy as np
import pandas as pd

Rules = Sequence[tuple[str, str]]

GEOGRAPHIC: Rules = (
    ("urban, cold climate", "urbanicity == 'urban' and climate == 'cold'"),
    ("urban, mild climate", "urbanicity == 'urban' and climate in ['temperate', 'mild-wet']"),
    ("urban, warm climate", "urbanicity == 'urban'"),
    ("suburban/rural, cold climate", "climate == 'cold'"),
    ("suburban/rural, mild climate", "climate in ['temperate', 'mild-wet']"),
)
GEOGRAPHIC_DEFAULT = "suburban/rural, warm climate"

DEMOGRAPHIC: Rules = (
    ("young singles and sharers", "age < 30 and household in ['single', 'shared']"),
    ("young couples and parents", "age < 30"),
    ("families with children", "household == 'family with children' and age < 60"),
    ("affluent mid-life", "age < 60 and income_band in ['100-150k', '150k+']"),
    ("mainstream mid-life", "age < 60"),
)
DEMOGRAPHIC_DEFAULT = "seniors (60+)"

PSYCHOGRAPHIC: Rules = (
    ("value seekers", "price_sensitivity >= 5.5"),
    ("eco-minded", "eco_consciousness >= 5.5 or tag_sustainability"),
    ("tech and gaming", "tech_savviness >= 5.5 or tag_tech or tag_gaming"),
    ("adventurers", "adventurousness >= 5.5 or tag_outdoors or tag_travel"),
    ("homebodies", "tag_home or tag_cooking or tag_parenting"),
    ("style-conscious", "tag_fashion or tag_beauty or tag_fitness"),
    ("storytellers", "tag_fantasy or tag_reading"),
)
PSYCHOGRAPHIC_DEFAULT = "no clear lifestyle"

BEHAVIORAL: Rules = (
    ("no purchase", "frequency == 0"),
    ("one-time buyers", "frequency == 1"),
    ("category loyalists", "frequency >= 3 and top_category_share >= 0.5"),
    ("frequent all-rounders", "frequency >= 8"),
    ("store shoppers", "channel_store >= 0.5"),
    ("app shoppers", "channel_app >= 0.5"),
)
BEHAVIORAL_DEFAULT = "occasional web shoppers"

CLASSIC_SCHEMES: dict[str, tuple[Rules, str]] = {
    "geographic": (GEOGRAPHIC, GEOGRAPHIC_DEFAULT),
    "demographic": (DEMOGRAPHIC, DEMOGRAPHIC_DEFAULT),
    "psychographic": (PSYCHOGRAPHIC, PSYCHOGRAPHIC_DEFAULT),
    "behavioral": (BEHAVIORAL, BEHAVIORAL_DEFAULT),
}


def assign_segments(table: pd.DataFrame, rules: Rules, default: str) -> pd.Series:
    """The segment of every row: the first rule whose condition holds, else ``default``.

    A condition that cannot be evaluated, or that is not a true/false test,
    raises a ValueError naming the rule. A comparison with an empty (missing)
    value is false, so customers without survey answers fall through to later
    rules or the default; beware that a *negated* comparison
    (``not (score >= 5)``) is then true for them.
    """
    names = [name for name, _ in rules]
    if len(set(names)) != len(names) or default in names:
        raise ValueError(f"segment names must be unique (default included): {names + [default]}")
    codes = np.full(len(table), len(rules))
    undecided = np.ones(len(table), dtype=bool)
    for i, (name, condition) in enumerate(rules):
        try:
            met = table.eval(condition, engine="python")
        except Exception as exc:
            hint = ""
            unknown = re.search(r"name '(\w+)' is not defined", str(exc))
            if unknown:
                close = difflib.get_close_matches(unknown.group(1), list(table.columns), n=1)
                hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"rule '{name}': cannot evaluate {condition!r} ({type(exc).__name__}: {exc}){hint}") from None
        is_test = isinstance(met, pd.Series) and (
            pd.api.types.is_bool_dtype(met) or met.isna().all()
            or (met.dtype == object and all(isinstance(v, (bool, np.bool_)) for v in met.dropna().unique())))
        if not is_test:
            raise ValueError(f"rule '{name}': {condition!r} is not a true/false test for each customer "
                             "(use == to compare, not =)")
        met = np.asarray(met.fillna(False), dtype=bool)
        codes[undecided & met] = i
        undecided &= ~met
    return pd.Series(pd.Categorical.from_codes(codes, categories=names + [default]), index=table.index)


def classic_segments(table: pd.DataFrame) -> pd.DataFrame:
    """All four classic schemes at once, one column each."""
    return pd.DataFrame({scheme: assign_segments(table, rules, default)
                         for scheme, (rules, default) in CLASSIC_SCHEMES.items()}, index=table.index)


# --------------------------------------------------------------------------- profiles
def segment_profiles(table: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """One row per segment: size, revenue share, average order value, main category and channel, campaign response.

    Campaign response is the conversion rate in each arm of the randomized
    test and their difference (the segment's average uplift), with a 95%
    interval; segments with fewer than 30 customers in an arm get no uplift.
    """
    frame = table.assign(_segment=segments)
    groups = frame.groupby("_segment", observed=False)
    revenue = groups["monetary"].sum()
    orders = groups["frequency"].sum()
    profile = pd.DataFrame({
        "customers": groups.size(),
        "customer_share": groups.size() / len(frame),
        "revenue_share": revenue.clip(lower=0) / frame["monetary"].clip(lower=0).sum(),
        "buyers_share": frame["frequency"].gt(0).groupby(frame["_segment"], observed=False).mean(),
        "aov": revenue / orders.where(orders > 0),
        "top_category": _top_label(frame, "cat: ", "_segment"),
        "distinctive_category": _distinctive_category(table, segments),
        "main_channel": _top_label(frame, "channel_", "_segment"),
    })
    profile = profile.join(segment_uplift(table, segments))
    profile.index.name = segments.name or "segment"
    return profile.round({"customer_share": 3, "revenue_share": 3, "buyers_share": 3, "aov": 2})


def _top_label(frame: pd.DataFrame, prefix: str, by: str) -> pd.Series:
    """The column (without prefix) with the largest revenue-weighted mean share in each group."""
    columns = [c for c in frame.columns if c.startswith(prefix)]
    weights = frame["monetary"].clip(lower=0)
    weighted = frame[columns].mul(weights, axis=0).groupby(frame[by], observed=False).sum()
    top = weighted.idxmax(axis=1).str.removeprefix(prefix)
    return top.where(weighted.sum(axis=1) > 0)


def _distinctive_category(table: pd.DataFrame, segments: pd.Series) -> pd.Series:
    """The category each segment over-indexes on most (share of its spend over share of everyone's)."""
    mix = category_mix(table, segments)
    overall = category_mix(table, pd.Series(pd.Categorical(["all"] * len(table)), index=table.index)).iloc[0]
    lifts = mix.div(overall.where(overall > 0), axis=1)
    return lifts.fillna(0).idxmax(axis=1).where(mix.notna().all(axis=1))


def category_mix(table: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Share of each segment's net spend by category (rows sum to 1), for a heatmap."""
    columns = [c for c in table.columns if c.startswith("cat: ")]
    spend = table[columns].mul(table["monetary"].clip(lower=0), axis=0).groupby(segments, observed=False).sum()
    mix = spend.div(spend.sum(axis=1).where(lambda s: s > 0), axis=0)
    mix.columns = [c.removeprefix("cat: ") for c in columns]
    return mix.round(3)


def segment_uplift(table: pd.DataFrame, segments: pd.Series, min_arm: int = 30) -> pd.DataFrame:
    """Conversion by arm of the past campaign, per segment, and the difference with a 95% interval."""
    arm = table["campaign_arm"]
    converted = table["campaign_converted"].astype("float64")
    rows = {}
    for name, label in (("treated", "treatment"), ("control", "control")):
        in_arm = arm == label
        grouped = converted[in_arm].groupby(segments[in_arm], observed=False)
        rows[f"n_{name}"] = grouped.size()
        rows[f"conversion_{name}"] = grouped.mean()
    out = pd.DataFrame(rows)
    p1, p0, n1, n0 = out["conversion_treated"], out["conversion_control"], out["n_treated"], out["n_control"]
    enough = (n1 >= min_arm) & (n0 >= min_arm)
    out["uplift"] = (p1 - p0).where(enough)
    half_width = 1.96 * np.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    out["uplift_low"] = (out["uplift"] - half_width).where(enough)
    out["uplift_high"] = (out["uplift"] + half_width).where(enough)
    return out.round({"conversion_treated": 3, "conversion_control": 3, "uplift": 3, "uplift_low": 3, "uplift_high": 3})


# --------------------------------------------------------------------------- how mixed is a segment?
def variance_explained(values: pd.Series, segments: pd.Series) -> float:
    """Share of the variance of ``values`` that lies *between* segments (eta squared, 0 to 1).

    0 means the segments' averages are all the same (segmenting says nothing
    about this measure); 1 means customers within a segment are identical.
    Rows with a missing value are left out.

    >>> variance_explained(pd.Series([1.0, 1.0, 5.0, 5.0]), pd.Series(["a", "a", "b", "b"]))
    1.0
    >>> variance_explained(pd.Series([1.0, 5.0, 1.0, 5.0]), pd.Series(["a", "a", "b", "b"]))
    0.0
    """
    keep = values.notna() & segments.notna()
    x = values[keep].astype("float64")
    if len(x) < 2:
        raise ValueError("need at least two values to measure variance")
    total = ((x - x.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    means = x.groupby(segments[keep], observed=True).transform("mean")
    return round(float(((means - x.mean()) ** 2).sum() / total), 6)


def mixing_table(measures: pd.DataFrame, schemes: pd.DataFrame) -> pd.DataFrame:
    """Variance explained of every measure (columns of ``measures``) by every scheme (columns of ``schemes``)."""
    return pd.DataFrame({measure: {scheme: variance_explained(measures[measure], schemes[scheme])
                                   for scheme in schemes.columns}
                         for measure in measures.columns}).rename_axis("scheme")


# --------------------------------------------------------------------------- viability
def viability(table: pd.DataFrame, segments: pd.Series, inputs: Sequence[str],
              min_customers: int = 500, min_share: float = 0.02) -> pd.DataFrame:
    """The classic viability tests, each as a number per segment.

    * measurable: share of members with every input of the scheme present;
    * substantial: customers and revenue share, and whether the segment
      passes both ``min_customers`` and ``min_share`` of all customers;
    * accessible: share reachable by marketing email (consent, not do-not-contact);
    * differentiable: how far the segment's category mix is from everyone's
      (total variation distance: 0 = identical, 1 = no overlap);
    * actionable: the category the segment over-indexes on most, and the
      lift (its share of the segment's spend over its share of everyone's;
      near 1 = no distinct offer to make).
    """
    frame = table.assign(_segment=segments)
    groups = frame.groupby("_segment", observed=False)
    size = groups.size()
    measurable = frame[list(inputs)].notna().all(axis=1).groupby(frame["_segment"], observed=False).mean()
    reachable = (frame["consent_email"] & ~frame["do_not_contact"]).groupby(frame["_segment"], observed=False).mean()
    mix = category_mix(table, segments)
    overall = category_mix(table, pd.Series(pd.Categorical(["all"] * len(table)), index=table.index)).iloc[0]
    has_spend = mix.notna().all(axis=1)
    distance = 0.5 * (mix - overall).abs().sum(axis=1).where(has_spend)
    lift = mix.div(overall.where(overall > 0), axis=1).max(axis=1).where(has_spend)
    over_indexes_on = _distinctive_category(table, segments)
    revenue_share = groups["monetary"].sum().clip(lower=0) / frame["monetary"].clip(lower=0).sum()
    out = pd.DataFrame({
        "measurable": measurable.round(3),
        "customers": size,
        "revenue_share": revenue_share.round(3),
        "substantial": (size >= min_customers) & (size / len(frame) >= min_share),
        "accessible": reachable.round(3),
        "differentiable": distance.round(3),
        "over_indexes_on": over_indexes_on,
        "actionable_lift": lift.round(2),
    })
    out.index.name = segments.name or "segment"
    return out
