"""Recency, frequency, monetary value, their scores and the named RFM segments.

The rules, stated once:

* Only order lines dated on or before the as-of day count.
* **Recency**: whole days from the last *completed* order to the as-of day
  (0 = bought on the as-of day). Customers who never completed an order have
  no recency (NaN) and are left out of scoring, never silently dropped: they
  are the "no purchase" group.
* **Frequency**: distinct completed orders (cancelled orders never shipped and
  do not count; a return does not undo an order).
* **Tenure** (a by-product, for lifecycle stages): whole days from the first
  completed order in the data to the as-of day.
* The data starts two years before the as-of date: "no purchase" means no
  completed order *in the data*, which includes old customers whose
  purchases all predate it.
* **Monetary**: net revenue under :func:`helpers.sales.net_line_value`, in
  cents (:func:`helpers.sales.round_cents`):
  discounts applied, returns netted out (when the goods came back),
  cancellations worth zero. It can be zero or negative, e.g. for a customer
  whose only lines in the window are returns of an older purchase.

>>> import pandas as pd
>>> orders = pd.DataFrame({"order_id": [1, 1, 2, 3], "customer_id": [7, 7, 7, 8],
...     "order_ts": pd.to_datetime(["2025-06-01", "2025-06-01", "2025-06-20", "2025-06-25"]),
...     "quantity": [1, 2, 1, -1], "unit_price": [10.0, 5.0, 20.0, 30.0], "discount": [0.0, 0.0, 0.5, 0.0],
...     "status": ["completed", "completed", "completed", "returned"]})
>>> rfm_table(orders, customers=[7, 8, 9], as_of="2025-06-30")
             recency_days  frequency  monetary  tenure_days
customer_id                                                
7                    10.0          2      30.0         29.0
8                     NaN          0     -30.0          NaN
9                     NaN          0       0.0          NaN
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .sales import net_line_value, round_cents

ORDER_COLUMNS = ("order_id", "customer_id", "order_ts", "quantity", "unit_price", "discount", "status")
RFM_COLUMNS = ("recency_days", "frequency", "monetary")
FREQUENCY_SCORINGS = ("quantiles", "repeat_quantiles")


def as_of_day(as_of) -> pd.Timestamp:
    """The as-of day at midnight, without a time zone (orders are stored in local time)."""
    if as_of is None:
        raise TypeError("as_of is required: the date every recency is measured from (e.g. world.as_of)")
    stamp = pd.Timestamp(as_of)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{what} lacks column(s) {missing}; found {list(frame.columns)}")


def rfm_table(orders: pd.DataFrame, customers: pd.DataFrame | Sequence | pd.Index | None = None,
              as_of: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Recency (days), frequency (orders), monetary value (net revenue) and tenure (days) per customer.

    ``customers`` (a customers table, or a list of ids) fixes the rows: every
    customer appears, buyers or not, in that order. Without it, the rows are
    the customers found in ``orders``, sorted by id. Rows with an empty
    customer id are refused: validation excludes them first. ``as_of`` is
    required (it has a default only so that ``customers`` can stay optional):
    there is no default day, since a day that suits one data set is wrong for
    another.
    """
    _require(orders, ORDER_COLUMNS, "orders")
    as_of = as_of_day(as_of)
    if orders["customer_id"].isna().any():
        bad = orders.index[orders["customer_id"].isna()][:5].tolist()
        raise ValueError(f"orders: column 'customer_id' is empty in rows {bad}; validate the orders first "
                         "(helpers.data.validate excludes and reports them)")
    lines = orders[orders["order_ts"] < as_of + pd.Timedelta(days=1)]
    if len(orders) and lines.empty:
        warnings.warn(f"as_of {as_of.date()} is before every order (the first is {orders['order_ts'].min()}): "
                      "every customer has no purchase", stacklevel=2)
    ids = lines["customer_id"].to_numpy()
    codes, uniques = pd.factorize(ids, sort=True)
    n = len(uniques)
    monetary = np.bincount(codes, weights=net_line_value(lines).to_numpy(), minlength=n)

    completed = (lines["status"] == "completed").to_numpy()
    order_ids = lines["order_id"].to_numpy()[completed]
    first_line = ~pd.Series(order_ids).duplicated().to_numpy()  # one row per completed order
    order_codes = codes[completed][first_line]
    frequency = np.bincount(order_codes, minlength=n)
    stamps = lines["order_ts"].to_numpy()[completed][first_line].astype("datetime64[ns]").astype("int64")
    last = np.full(n, np.iinfo("int64").min)
    np.maximum.at(last, order_codes, stamps)  # unbuffered per-group max: fast since numpy 1.25
    first = np.full(n, np.iinfo("int64").max)
    np.minimum.at(first, order_codes, stamps)
    today = np.datetime64(as_of.date(), "D")

    def days_since(ns: np.ndarray) -> np.ndarray:
        day = np.where(frequency > 0, ns, 0).astype("datetime64[ns]").astype("datetime64[D]")
        return np.where(frequency > 0, (today - day).astype(float), np.nan)

    table = pd.DataFrame({"recency_days": days_since(last), "frequency": frequency, "monetary": round_cents(monetary),
                          "tenure_days": days_since(first)},
                         index=pd.Index(uniques, name="customer_id"))
    if customers is not None:
        wanted = customers["customer_id"] if isinstance(customers, pd.DataFrame) else pd.Index(customers)
        wanted = pd.Index(wanted, name="customer_id")
        if len(table) and len(wanted) and not table.index.isin(wanted).any():
            raise ValueError(f"no customer id of the orders is in the customers given (orders: {table.index[:3].tolist()} "
                             f"of type {table.index.dtype}; customers: {wanted[:3].tolist()} of type {wanted.dtype}); "
                             "are the ids of the same type?")
        table = table.reindex(wanted)
        table["frequency"] = table["frequency"].fillna(0).astype("int64")
        table["monetary"] = table["monetary"].fillna(0.0)
    return table


# --------------------------------------------------------------------------- scores
def windowed_rfm(orders: pd.DataFrame, customers, as_of: str | pd.Timestamp, window_days: int) -> pd.DataFrame:
    """:func:`rfm_table` with frequency and value counted over the last ``window_days`` only.

    Recency (and tenure) still come from the whole history, so a customer who
    last bought before the window is a long-ago buyer, not "no purchase".
    Frequency and value count the orders *placed* in the window, with their
    returns; returns of older orders are left out. Use the same window at two
    dates to compare like with like: whole-history totals grow with time.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    full = rfm_table(orders, customers, as_of)
    start = as_of_day(as_of) - pd.Timedelta(days=window_days - 1)
    placed = orders.loc[(orders["status"] != "returned") & (orders["order_ts"] >= start), "order_id"]
    windowed = rfm_table(orders[orders["order_id"].isin(placed)], customers, as_of)
    return full.assign(frequency=windowed["frequency"], monetary=windowed["monetary"])


def quantile_scores(values: pd.Series, bins: int = 5, higher_is_better: bool = True) -> pd.Series:
    """Scores 1..bins by rank, robust to ties, skew and tiny inputs (never "bin edges must be unique").

    Each value gets the mid-point of its rank range as a percentile, so tied
    values share one score and a column where everyone is equal scores in
    the middle. Missing values stay missing.

    >>> quantile_scores(pd.Series([1, 1, 1, 1, 9])).tolist()
    [2, 2, 2, 2, 5]
    >>> quantile_scores(pd.Series([3.0, 3.0, 3.0])).tolist()
    [3, 3, 3]
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    present = values.notna()
    if not present.any():
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    ranks = (values if higher_is_better else -values)[present].rank(method="average")
    mid_percentile = (ranks - 0.5) / present.sum()
    scores = np.clip(np.ceil(mid_percentile * bins), 1, bins).astype("int64")
    return scores.reindex(values.index).astype("Int64")


def reference_scores(values: pd.Series, reference: pd.Series, bins: int = 5, higher_is_better: bool = True) -> pd.Series:
    """Scores 1..bins by where each value falls in a *reference* distribution (frozen quantiles).

    Applied to the reference itself this equals :func:`quantile_scores`; applied
    to later values it keeps the reference's definitions, so a score means the
    same at both dates (a customer who buys as often as before keeps the score
    even if everyone else buys more). Missing values stay missing.

    >>> reference = pd.Series([1, 2, 3, 4, 5])
    >>> reference_scores(reference, reference).tolist() == quantile_scores(reference).tolist()
    True
    >>> reference_scores(pd.Series([0, 10]), reference).tolist()
    [1, 5]
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    sign = 1.0 if higher_is_better else -1.0
    ref = np.sort(sign * reference.dropna().to_numpy(float))
    if len(ref) == 0:
        raise ValueError("the reference has no values to score against")
    present = values.notna()
    v = sign * values[present].to_numpy(float)
    below = np.searchsorted(ref, v, side="left")
    equal = np.searchsorted(ref, v, side="right") - below
    mid_percentile = (below + equal / 2) / len(ref)
    scores = np.clip(np.ceil(mid_percentile * bins), 1, bins).astype("int64")
    return pd.Series(scores, index=values.index[present]).reindex(values.index).astype("Int64")


def cut_scores(values: pd.Series, cuts: Sequence[float], higher_is_better: bool = True) -> pd.Series:
    """Scores 1..len(cuts)+1 from explicit cut points (a value equal to a cut goes to the upper score).

    >>> cut_scores(pd.Series([5, 40, 400]), cuts=[30, 90, 180, 365], higher_is_better=False).tolist()
    [5, 4, 1]
    """
    cuts = list(cuts)
    if not all(isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, bool) for c in cuts):
        raise TypeError(f"cut points must be numbers, got {cuts}")
    if sorted(cuts) != cuts or len(set(cuts)) != len(cuts):
        raise ValueError(f"cut points must be strictly increasing, got {cuts}")
    score = np.digitize(values.to_numpy(float), cuts) + 1
    if not higher_is_better:
        score = len(cuts) + 2 - score
    return pd.Series(score, index=values.index).astype("Int64").where(values.notna())


def _repeat_buyer_scores(frequency: pd.Series, bins: int, reference: pd.Series | None) -> pd.Series:
    """F = 1 for at most one order; repeat buyers 2..bins by their quantiles (or the reference's repeat buyers')."""
    repeat = frequency > 1
    if reference is None:
        among = quantile_scores(frequency.where(repeat), bins - 1)
    else:
        ref = reference[reference > 1]
        among = (reference_scores(frequency.where(repeat), ref, bins - 1) if len(ref)
                 else pd.Series(pd.NA, index=frequency.index, dtype="Int64"))
    return (among + 1).where(repeat, 1).where(frequency.notna()).astype("Int64")


def rfm_scores(rfm: pd.DataFrame, bins: int = 5, cuts: Mapping[str, Sequence[float]] | None = None,
               scored: pd.Series | None = None, reference: pd.DataFrame | None = None,
               frequency_scoring: str = "quantiles") -> pd.DataFrame:
    """R, F and M scores (higher = better) for customers with a purchase, by quantiles or by given cut points.

    ``cuts`` may give explicit cut points per column, e.g.
    ``{"recency_days": [30, 90, 180, 365]}``; the other columns use
    quantiles; each list needs ``bins - 1`` cut points. Customers with no
    purchase ever (no recency) get no scores (missing); ``scored`` (a True/False
    Series) may name the customers to score instead. ``reference`` (an RFM table of the
    scored customers at an earlier date) freezes the quantiles: scores then
    mean the same as at that date (:func:`reference_scores`).

    ``frequency_scoring="repeat_quantiles"`` gives one-time buyers (and
    buyers with no order in a value window) F = 1 and scores the repeat buyers
    2..bins by quantiles among themselves: where half the buyers ordered once,
    plain quantiles tie them all on F = 2 and F = 1 never occurs
    (:func:`choose_scoring` picks between the two).
    """
    _require(rfm, RFM_COLUMNS, "rfm table")
    if frequency_scoring not in FREQUENCY_SCORINGS:
        raise ValueError(f"frequency_scoring must be one of {FREQUENCY_SCORINGS}, got {frequency_scoring!r}")
    cuts = dict(cuts or {})
    unknown = set(cuts) - set(RFM_COLUMNS)
    if unknown:
        raise KeyError(f"cut points given for unknown column(s) {sorted(unknown)}; use {list(RFM_COLUMNS)}")
    for column, points in cuts.items():
        if len(points) != bins - 1:
            raise ValueError(f"{column}: {bins} scores need {bins - 1} cut points, got {len(points)}: {list(points)}")
    # a customer who ever bought has a recency; with a value window their frequency there can be 0 (scored, low)
    buyers = rfm["recency_days"].notna() if scored is None else scored.reindex(rfm.index).fillna(False).astype(bool)
    out = pd.DataFrame(index=rfm.index)
    for column, letter, better_high in (("recency_days", "R", False), ("frequency", "F", True), ("monetary", "M", True)):
        values = rfm[column].where(buyers)
        if column in cuts:
            out[letter] = cut_scores(values, cuts[column], better_high)
        elif column == "frequency" and frequency_scoring == "repeat_quantiles":
            out[letter] = _repeat_buyer_scores(values, bins, None if reference is None else reference[column])
        elif reference is not None:
            out[letter] = reference_scores(values, reference[column], bins, better_high)
        else:
            out[letter] = quantile_scores(values, bins, better_high)
    # frequency and value move together; halves round up (Python's round() would send 2.5 to 2 and 3.5 to 4,
    # leaving FM = 3 nearly empty)
    out["FM"] = np.floor((out["F"] + out["M"]).astype("float64") / 2 + 0.5).astype("Int64")
    return out


# --------------------------------------------------------------------------- which scoring fits the data
SCORINGS = ("auto", "quantiles", "repeat_quantiles", "cuts")


@dataclass(frozen=True)
class Scoring:
    """How the F score is made (``method``), the cut points when given, and why this method ran."""

    method: str
    why: str
    frequency_cuts: tuple[float, ...] | None = None


def choose_scoring(rfm: pd.DataFrame, scoring: str = "auto", frequency_cuts: Sequence[float] | None = None,
                   bins: int = 5) -> Scoring:
    """The frequency scoring for these customers, from the ``[segments]`` keys ``rfm_scoring`` and ``frequency_cuts``.

    ``"quantiles"`` ranks every buyer (the lessons' scoring);
    ``"repeat_quantiles"`` gives one-time buyers F = 1 and ranks repeat buyers
    among themselves; ``"cuts"`` (or ``frequency_cuts`` alone) uses explicit cut
    points, an order count equal to a cut going to the upper score
    (``[2, 3, 5, 8]``: 1 order F = 1, 2 orders F = 2, 3-4 F = 3, 5-7 F = 4, 8+ F = 5).

    ``"auto"`` (the default) uses quantiles unless the one-time buyers are
    more than ``2 / bins`` of the buyers (40% with 5 scores). Why that line:
    tied buyers share the mid-point of their ranks, so one-time buyers (the
    lowest frequency) sit at percentile share / 2 and get F = 1 only while
    that is at most 1 / bins; above it F = 1 never occurs and one-time
    buyers lapsed for years land in "need attention" or "loyal" (CDNOW: 50%
    once). Below it quantiles already work, so data like the kit's sample
    (20% once) keeps the lessons' scores.

    >>> rfm = pd.DataFrame({"recency_days": [5.0, 50, 500, 90], "frequency": [1, 1, 1, 6], "monetary": [1.0, 2, 3, 4]})
    >>> choose_scoring(rfm).method
    'repeat_quantiles'
    """
    from .validation.report import MappingError  # the mapping's words; imported here to keep rfm free of a cycle
    if scoring not in SCORINGS:
        raise MappingError("segments", "rfm_scoring", f"unknown scoring {scoring!r}; choose one of "
                           + ", ".join(repr(name) for name in SCORINGS)
                           + ' (e.g. rfm_scoring = "repeat_quantiles" when many customers bought once)')
    if frequency_cuts is not None:
        if scoring in ("quantiles", "repeat_quantiles"):
            raise MappingError("segments", "frequency_cuts", f'rfm_scoring = "{scoring}" and frequency_cuts both given; '
                               'set either (frequency_cuts alone, or rfm_scoring = "cuts", scores by the cut points)')
        if not isinstance(frequency_cuts, (list, tuple)):
            raise MappingError("segments", "frequency_cuts", f"must be a list of {bins - 1} order counts, got "
                               f"{frequency_cuts!r} (e.g. frequency_cuts = [2, 3, 5, 8])")
        cuts = list(frequency_cuts)
        if len(cuts) != bins - 1:
            raise MappingError("segments", "frequency_cuts", f"{bins} F scores need {bins - 1} cut points, got "
                               f"{len(cuts)}: {cuts} (e.g. frequency_cuts = [2, 3, 5, 8])")
        try:
            cut_scores(pd.Series([1.0]), cuts)
        except (TypeError, ValueError) as error:
            raise MappingError("segments", "frequency_cuts", f"{error} (e.g. frequency_cuts = [2, 3, 5, 8])") from None
        return Scoring("cuts", f"frequency_cuts = {cuts} from the mapping", tuple(cuts))
    if scoring == "cuts":
        raise MappingError("segments", "frequency_cuts", 'rfm_scoring = "cuts" needs frequency_cuts, '
                           f"{bins - 1} order counts (e.g. frequency_cuts = [2, 3, 5, 8])")
    buyers = rfm["frequency"][rfm["recency_days"].notna()]
    once = float((buyers <= 1).mean()) if len(buyers) else 0.0
    seen = f"{once:.0%} of buyers ordered once"
    if scoring != "auto":
        return Scoring(scoring, f'rfm_scoring = "{scoring}" from the mapping ({seen})')
    if once > 2 / bins:
        return Scoring("repeat_quantiles", f"auto: {seen}, more than {2 / bins:.0%}, so quantiles would tie them "
                       "all above F = 1; one-time buyers get F = 1 and repeat buyers are ranked among themselves")
    return Scoring("quantiles", f"auto: {seen}, at most {2 / bins:.0%}, so quantiles over all buyers reach F = 1")


def score_with(rfm: pd.DataFrame, scoring: Scoring, bins: int = 5, **options) -> pd.DataFrame:
    """:func:`rfm_scores` by a :func:`choose_scoring` result (``options``: ``scored``, ``reference``).

    >>> rfm = pd.DataFrame({"recency_days": [5.0, 50, 500, 90], "frequency": [1, 1, 1, 6], "monetary": [1.0, 2, 3, 4]})
    >>> score_with(rfm, choose_scoring(rfm))["F"].tolist()
    [1, 1, 1, 3]
    """
    if scoring.method == "cuts":
        return rfm_scores(rfm, bins, cuts={"frequency": scoring.frequency_cuts}, **options)
    return rfm_scores(rfm, bins, frequency_scoring=scoring.method, **options)


def score_ranges(rfm: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    """The cut-offs that ran: per score letter (R, F, M) and score, the lowest and highest value and the customers.

    >>> rfm = pd.DataFrame({"recency_days": [5.0, 50, 500], "frequency": [1, 1, 4], "monetary": [1.0, 2, 3]})
    >>> score_ranges(rfm, rfm_scores(rfm, bins=2)).loc["F"].to_dict("index")
    {1: {'from': 1.0, 'to': 1.0, 'customers': 2}, 2: {'from': 4.0, 'to': 4.0, 'customers': 1}}
    """
    parts = {}
    for column, letter in (("recency_days", "R"), ("frequency", "F"), ("monetary", "M")):
        frame = pd.DataFrame({"value": rfm[column], "score": scores[letter]}).dropna()
        grouped = frame.groupby(frame["score"].astype(int))["value"]
        parts[letter] = pd.DataFrame({"from": grouped.min().astype(float), "to": grouped.max().astype(float),
                                      "customers": grouped.size()})
    table = pd.concat(parts, names=["score of", "score"])
    return table


# --------------------------------------------------------------------------- named segments
@dataclass(frozen=True)
class SegmentRule:
    """A named RFM segment: recency scores and combined frequency-monetary scores it covers (inclusive)."""

    name: str
    recency: tuple[int, int]
    fm: tuple[int, int]
    meaning: str


# The usual named segments on a 5 x 5 grid of R (rows) and FM (columns).
# Edit freely: check_segment_map says whether every cell is covered exactly once.
RFM_SEGMENT_MAP: tuple[SegmentRule, ...] = (
    SegmentRule("champions", (5, 5), (4, 5), "bought recently, buy often and spend the most"),
    SegmentRule("loyal", (3, 4), (4, 5), "buy often and spend a lot; not in the last few weeks"),
    SegmentRule("potential loyalists", (4, 5), (2, 3), "recent customers with average frequency and value"),
    SegmentRule("new customers", (5, 5), (1, 1), "bought very recently, once or for little"),
    SegmentRule("promising", (4, 4), (1, 1), "recent, but bought little so far"),
    SegmentRule("need attention", (3, 3), (2, 3), "average on every count; slipping"),
    SegmentRule("about to sleep", (3, 3), (1, 1), "below average and fading"),
    SegmentRule("at risk", (2, 2), (4, 5), "were valuable and frequent, have not bought for a while"),
    SegmentRule("cannot lose them", (1, 1), (4, 5), "used to be among the best, gone quiet for long"),
    SegmentRule("hibernating", (1, 2), (2, 3), "long ago, modest frequency and value"),
    SegmentRule("lost", (1, 2), (1, 1), "long ago, once or for little"),
)
NO_PURCHASE = "no purchase"
LAPSED_DAYS = 365  # one order, longer ago than this: dormant (see name_segments)
LAPSED_SEGMENT = "lost"
LAPSED_MAX_R = 2  # the highest R a lapsed customer is named with
DORMANT_SEGMENTS = ("hibernating", "lost")


def lapsed_one_timers(rfm: pd.DataFrame, lapsed_days: int = LAPSED_DAYS) -> pd.Series:
    """True for buyers with at most one order whose last order is more than ``lapsed_days`` before the as-of day."""
    _require(rfm, ("recency_days", "frequency"), "rfm table")
    return (rfm["recency_days"] > lapsed_days) & (rfm["frequency"] <= 1)
# the broad tiers of lesson 03, each a group of named segments ("no purchase" has no tier)
MACRO_TIERS = {
    "top customers": ("champions", "loyal"),
    "rising": ("potential loyalists", "new customers", "promising"),
    "slipping": ("need attention", "about to sleep", "at risk", "cannot lose them"),
    "dormant": ("hibernating", "lost"),
}


def segment_grid(segment_map: Sequence[SegmentRule] = RFM_SEGMENT_MAP, bins: int = 5) -> pd.DataFrame:
    """The map as a grid: rows R = bins..1, columns FM = 1..bins, cells the segment name."""
    grid = pd.DataFrame("", index=pd.Index(range(bins, 0, -1), name="R"), columns=pd.Index(range(1, bins + 1), name="FM"))
    for rule in segment_map:
        for r in range(rule.recency[0], rule.recency[1] + 1):
            for fm in range(rule.fm[0], rule.fm[1] + 1):
                grid.loc[r, fm] = rule.name if not grid.loc[r, fm] else grid.loc[r, fm] + " / " + rule.name
    return grid


def check_segment_map(segment_map: Sequence[SegmentRule] = RFM_SEGMENT_MAP, bins: int = 5) -> None:
    """Raise if a cell of the R x FM grid has no segment or more than one."""
    grid = segment_grid(segment_map, bins)
    empty = [(r, fm) for r in grid.index for fm in grid.columns if not grid.loc[r, fm]]
    double = [(r, fm, grid.loc[r, fm]) for r in grid.index for fm in grid.columns if " / " in grid.loc[r, fm]]
    if empty or double:
        raise ValueError(f"segment map: cells (R, FM) without a segment {empty[:5]}; "
                         f"cells with more than one {double[:5]}")


def name_segments(scores: pd.DataFrame, segment_map: Sequence[SegmentRule] = RFM_SEGMENT_MAP,
                  bins: int = 5, rfm: pd.DataFrame | None = None, lapsed_days: int = LAPSED_DAYS) -> pd.Series:
    """The named segment of every customer; customers without scores are ``"no purchase"``.

    With ``rfm`` (the table the scores came from) the map gets two rules that
    relative scores cannot express, whatever the scoring:

    * a customer whose last order is more than ``lapsed_days`` ago is named
      with R at most 2 ("at risk", "cannot lose them", "hibernating",
      "lost"): where most customers are long gone, as in a closed cohort,
      quantiles give 400 days R = 4 and call the customer "loyal";
    * a customer who ordered once, more than ``lapsed_days`` ago, is dormant:
      "hibernating" where the grid says so, else "lost" (a big single basket
      gives FM = 4, which would say "cannot lose them" or "at risk").

    Scores stay as computed; only the names follow the rules. On the kit's
    sample every such customer already has R = 1 and a dormant name.

    >>> scores = pd.DataFrame({"R": [1], "F": [1], "M": [5], "FM": [5]})
    >>> rfm = pd.DataFrame({"recency_days": [400.0], "frequency": [1], "monetary": [900.0]})
    >>> name_segments(scores).tolist(), name_segments(scores, rfm=rfm).tolist()
    (['cannot lose them'], ['lost'])
    """
    _require(scores, ("R", "FM"), "scores")
    check_segment_map(segment_map, bins)
    names = [rule.name for rule in segment_map]
    lookup = np.zeros((bins + 1, bins + 1), dtype=int)
    for i, rule in enumerate(segment_map):
        lookup[rule.recency[0]:rule.recency[1] + 1, rule.fm[0]:rule.fm[1] + 1] = i
    scored = scores["R"].notna() & scores["FM"].notna()
    r = scores["R"].fillna(1).astype(int).to_numpy()
    fm = scores["FM"].fillna(1).astype(int).to_numpy()
    if rfm is not None:
        lapsed = (rfm["recency_days"].reindex(scores.index) > lapsed_days).to_numpy()
        r = np.where(lapsed, np.minimum(r, LAPSED_MAX_R), r)
    codes = np.where(scored.to_numpy(), lookup[r, fm], len(names))
    if rfm is not None:
        if LAPSED_SEGMENT not in names:
            raise ValueError(f"the lapsed one-time buyer rule needs a segment named {LAPSED_SEGMENT!r} in the map")
        dormant = [names.index(name) for name in DORMANT_SEGMENTS if name in names]
        codes = np.where(lapsed_one_timers(rfm, lapsed_days).reindex(scores.index, fill_value=False).to_numpy()
                         & scored.to_numpy() & ~np.isin(codes, dormant), names.index(LAPSED_SEGMENT), codes)
    return pd.Series(pd.Categorical.from_codes(codes, categories=names + [NO_PURCHASE]), index=scores.index,
                     name="rfm_segment")


def empty_segments(scores: pd.DataFrame, segments: pd.Series, rfm: pd.DataFrame | None = None,
                   segment_map: Sequence[SegmentRule] = RFM_SEGMENT_MAP, bins: int = 5,
                   lapsed_days: int = LAPSED_DAYS) -> pd.DataFrame:
    """The named segments with no customer, and why (a score that never occurs, a combination no one has, the lapsed rule).

    >>> rfm = pd.DataFrame({"recency_days": [5.0, 50, 500, 90], "frequency": [1, 1, 1, 6], "monetary": [1.0, 2, 3, 4]})
    >>> scores = rfm_scores(rfm)
    >>> empty_segments(scores, name_segments(scores, rfm=rfm), rfm).loc["lost", "why"][:41]
    'F score 1 never occurs: 75% of buyers ord'
    """
    counts = segments.astype(str).value_counts()
    scored = scores["R"].notna() & scores["FM"].notna()
    r_seen, fm_seen = set(scores.loc[scored, "R"].astype(int)), set(scores.loc[scored, "FM"].astype(int))
    f_low = int(scores.loc[scored, "F"].min()) if "F" in scores and scored.any() else None
    plain = name_segments(scores, segment_map, bins).astype(str) if rfm is not None else None

    def span(low: int, high: int) -> str:
        return str(low) if low == high else f"{low} to {high}"

    rows = []
    for rule in segment_map:
        if counts.get(rule.name, 0):
            continue
        r_range, fm_range = set(range(rule.recency[0], rule.recency[1] + 1)), set(range(rule.fm[0], rule.fm[1] + 1))
        if plain is not None and (moved := int((plain == rule.name).sum())):
            once = bool((rfm["frequency"].reindex(plain.index)[plain == rule.name] <= 1).all())
            why = (f"its {moved:,} customer(s) by score all bought once, more than {lapsed_days} days ago: "
                   f"they are in '{LAPSED_SEGMENT}' (a lapsed one-time buyer is dormant)" if once else
                   f"its {moved:,} customer(s) by score all last ordered more than {lapsed_days} days ago: they are "
                   f"named as lapsed (R at most {LAPSED_MAX_R}; one order: '{LAPSED_SEGMENT}')")
        elif not r_range & r_seen:
            why = f"R score {span(*rule.recency)} never occurs (R scores that occur: {sorted(r_seen)}; ties in recency)"
        elif not fm_range & fm_seen:
            why = f"FM score {span(*rule.fm)} never occurs (FM scores that occur: {sorted(fm_seen)})"
            if f_low is not None and f_low > 1 and rfm is not None and min(fm_range) < min(fm_seen, default=1):
                buyers = rfm["frequency"][rfm["recency_days"].notna()]
                once = float((buyers <= 1).mean()) if len(buyers) else 0.0
                why = (f"F score 1 never occurs: {once:.0%} of buyers ordered once and, tied, share F = {f_low}; "
                       f'so FM {span(*rule.fm)} is out of reach (rfm_scoring = "repeat_quantiles" or frequency_cuts fixes it)')
        else:
            in_r = scores.loc[scored & scores["R"].isin(r_range), "FM"].astype(int)
            in_fm = scores.loc[scored & scores["FM"].isin(fm_range), "R"].astype(int)
            why = (f"no customer has both R {span(*rule.recency)} and FM {span(*rule.fm)}: the {len(in_r):,} with "
                   f"R {span(*rule.recency)} have FM {span(in_r.min(), in_r.max())}, the {len(in_fm):,} with "
                   f"FM {span(*rule.fm)} have R {span(in_fm.min(), in_fm.max())}")
        rows.append((rule.name, 0, why))
    return pd.DataFrame(rows, columns=["segment", "customers", "why"]).set_index("segment")


@dataclass(frozen=True)
class Segmentation:
    """Scores, named segments, the scoring that ran with its cut-offs, and the empty segments with their reason."""

    scores: pd.DataFrame
    segments: pd.Series
    scoring: Scoring
    cut_offs: pd.DataFrame
    empty: pd.DataFrame

    def summary(self) -> dict:
        """What a report says about the scoring: method, why, F score ranges (orders) and empty segments."""
        f = self.cut_offs.loc["F"]
        ranges = {str(score): (f"{row['from']:g}" if row["from"] == row["to"] else f"{row['from']:g} to {row['to']:g}")
                  + (" order" if row["to"] == 1 else " orders") + f" ({int(row['customers']):,} customers)"
                  for score, row in f.iterrows()}
        return {"method": self.scoring.method, "why": self.scoring.why, "frequency_cuts": self.scoring.frequency_cuts,
                "F_scores": ranges, "empty_segments": self.empty["why"].to_dict()}


def segment_rfm(rfm: pd.DataFrame, scoring: str | Scoring = "auto", frequency_cuts: Sequence[float] | None = None,
                bins: int = 5, lapsed_days: int = LAPSED_DAYS) -> Segmentation:
    """Score an RFM table by the chosen scoring (:func:`choose_scoring`, or a :class:`Scoring` already chosen) and name
    the segments with the lapsed one-time buyer rule; the template pipeline's one RFM step, at every date it scores.

    >>> rfm = pd.DataFrame({"recency_days": [5.0, 50, 500, 90], "frequency": [1, 1, 1, 6], "monetary": [1.0, 2, 3, 4]})
    >>> run = segment_rfm(rfm)
    >>> run.scoring.method, run.segments.tolist()
    ('repeat_quantiles', ['new customers', 'potential loyalists', 'hibernating', 'at risk'])
    """
    chosen = scoring if isinstance(scoring, Scoring) else choose_scoring(rfm, scoring, frequency_cuts, bins)
    scores = score_with(rfm, chosen, bins)
    segments = name_segments(scores, bins=bins, rfm=rfm, lapsed_days=lapsed_days)
    return Segmentation(scores, segments, chosen, score_ranges(rfm, scores),
                        empty_segments(scores, segments, rfm, bins=bins, lapsed_days=lapsed_days))


def macro_segments(rfm_segments: pd.Series, tiers: Mapping[str, Sequence[str]] = MACRO_TIERS) -> pd.Series:
    """Broad tiers from the named RFM segments; customers with no purchase get no tier (missing).

    >>> macro_segments(pd.Series(["loyal", "lost", "no purchase"])).tolist()
    ['top customers', 'dormant', nan]
    """
    mapping = {segment: tier for tier, segments in tiers.items() for segment in segments}
    return pd.Series(pd.Categorical(rfm_segments.astype(str).map(mapping), categories=list(tiers)),
                     index=rfm_segments.index, name="macro_tier")


def segment_summary(rfm: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Size, share, revenue share and typical R, F, M of each named segment (the map's order)."""
    frame = rfm.assign(segment=segments)
    total_customers = len(frame)
    total_revenue = frame["monetary"].clip(lower=0).sum()
    summary = frame.groupby("segment", observed=False).agg(
        customers=("frequency", "size"), median_recency_days=("recency_days", "median"),
        mean_frequency=("frequency", "mean"), mean_monetary=("monetary", "mean"),
        revenue=("monetary", "sum"))
    summary["customer_share"] = summary["customers"] / total_customers if total_customers else 0.0
    summary["revenue_share"] = summary["revenue"].clip(lower=0) / total_revenue if total_revenue else 0.0
    return summary[["customers", "customer_share", "revenue", "revenue_share", "median_recency_days",
                    "mean_frequency", "mean_monetary"]].round({"customer_share": 3, "revenue_share": 3,
                                                               "mean_frequency": 2, "mean_monetary": 2,
                                                               "revenue": 2})
