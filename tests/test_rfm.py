"""RFM, lifecycle, cohorts and the RFM explorer: the rules, and the edge cases that break naive code."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.features import category_shares
from helpers.sales import round_cents
from helpers.explorers import rfm_explorer, rfm_explorer_view
from helpers.lifecycle import cohort_retention, lifecycle_stage
from helpers.rfm import (NO_PURCHASE, RFM_SEGMENT_MAP, SegmentRule, check_segment_map, cut_scores, name_segments,
                         quantile_scores, rfm_scores, rfm_table, segment_summary)

AS_OF = "2026-09-30"


def lines(*rows):
    """Order lines from (order_id, customer_id, day, quantity, unit_price, discount, status) tuples."""
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "day", "quantity", "unit_price", "discount", "status"])
    frame["order_ts"] = pd.to_datetime(frame.pop("day"))
    return frame


def test_rules_recency_frequency_monetary_tenure():
    orders = lines((1, 5, "2026-09-01 10:00", 2, 10.0, 0.0, "completed"),
                   (1, 5, "2026-09-01 10:00", 1, 20.0, 0.5, "completed"),   # second line, same order
                   (2, 5, "2026-09-30 23:59", 1, 50.0, 0.0, "cancelled"),   # never shipped: no order, no value
                   (1, 5, "2026-09-10 09:00", -1, 20.0, 0.5, "returned"),   # return netted out, order still counts
                   (3, 5, "2026-08-01 08:00", 1, 100.0, 0.0, "completed"),
                   (4, 5, "2026-10-02 08:00", 1, 999.0, 0.0, "completed"))  # after the as-of day: ignored
    row = rfm_table(orders, as_of=AS_OF).loc[5]
    assert row["recency_days"] == 29 and row["frequency"] == 2
    assert row["monetary"] == pytest.approx(20 + 10 - 10 + 100)
    assert row["tenure_days"] == 60


def test_bought_on_the_as_of_day_has_recency_zero():
    orders = lines((1, 1, "2026-09-30 23:00", 1, 5.0, 0.0, "completed"))
    assert rfm_table(orders, as_of=AS_OF).loc[1, "recency_days"] == 0


def test_one_customer_and_customers_with_only_returns():
    orders = lines((1, 1, "2026-05-01", 1, 10.0, 0.0, "completed"),
                   (9, 2, "2026-06-01", -1, 10.0, 0.0, "returned"))
    rfm = rfm_table(orders, customers=[1, 2, 3], as_of=AS_OF)
    assert rfm.loc[2, "frequency"] == 0 and rfm.loc[2, "monetary"] == -10 and np.isnan(rfm.loc[2, "recency_days"])
    assert rfm.loc[3].tolist()[1:3] == [0, 0.0]
    scores = rfm_scores(rfm)
    assert scores.loc[1, ["R", "F", "M"]].tolist() == [3, 3, 3]  # a lone customer sits in the middle
    assert scores.loc[[2, 3]].isna().all().all()
    assert name_segments(scores).loc[[2, 3]].tolist() == [NO_PURCHASE, NO_PURCHASE]


def test_empty_orders_give_an_empty_or_all_zero_table():
    empty = lines()
    assert rfm_table(empty, as_of=AS_OF).empty
    rfm = rfm_table(empty, customers=[1, 2], as_of=AS_OF)
    assert rfm["frequency"].tolist() == [0, 0] and rfm["recency_days"].isna().all()
    assert (name_segments(rfm_scores(rfm)) == NO_PURCHASE).all()


def test_missing_customer_ids_are_refused_with_rows_named():
    orders = lines((1, 1, "2026-05-01", 1, 10.0, 0.0, "completed"), (2, None, "2026-05-01", 1, 10.0, 0.0, "completed"))
    with pytest.raises(ValueError, match=r"'customer_id' is empty in rows \[1\]"):
        rfm_table(orders, as_of=AS_OF)


def test_missing_columns_are_named():
    with pytest.raises(KeyError, match="discount"):
        rfm_table(lines().drop(columns="discount"), as_of=AS_OF)


def test_quantile_scores_survive_ties_skew_and_tiny_data():
    heavy_ties = pd.Series([1] * 80 + [2] * 15 + [30] * 5)
    scores = quantile_scores(heavy_ties)
    assert scores.notna().all() and scores.between(1, 5).all()
    assert scores.groupby(heavy_ties).nunique().eq(1).all()  # equal values, equal scores
    assert scores[heavy_ties == 30].iloc[0] == 5
    assert quantile_scores(pd.Series([7.0])).tolist() == [3]
    assert quantile_scores(pd.Series([np.nan, 1.0, 2.0])).isna().tolist() == [True, False, False]
    assert quantile_scores(pd.Series([np.nan, np.nan])).isna().all()
    skewed = pd.Series(np.r_[np.zeros(990), np.arange(10) * 1e6])
    assert quantile_scores(skewed).max() == 5
    assert quantile_scores(pd.Series([1, 2, 3, 4, 5]), higher_is_better=False).tolist() == [5, 4, 3, 2, 1]
    with pytest.raises(ValueError, match="at least 2"):
        quantile_scores(pd.Series([1, 2]), bins=1)


def test_cut_points_must_be_numbers_and_one_fewer_than_scores():
    rfm = pd.DataFrame({"recency_days": [5.0, 400.0], "frequency": [3, 1], "monetary": [10.0, 5.0]})
    with pytest.raises(ValueError, match="5 scores need 4 cut points, got 6"):
        rfm_scores(rfm, cuts={"recency_days": [1, 2, 3, 4, 5, 6]})
    with pytest.raises(ValueError, match="need 4 cut points, got 3"):
        rfm_scores(rfm, cuts={"recency_days": [30, 90, 180]})
    with pytest.raises(TypeError, match="numbers"):
        cut_scores(rfm["recency_days"], ["30", "90"])


def test_as_of_is_required_tz_is_dropped_and_mismatched_ids_are_refused():
    orders = lines((1, 1, "2026-09-01", 1, 5.0, 0.0, "completed"))
    with pytest.raises(TypeError, match="as_of is required"):
        rfm_table(orders, as_of=None)
    aware = rfm_table(orders, as_of=pd.Timestamp("2026-09-30 18:00", tz="UTC"))
    assert aware.loc[1, "recency_days"] == 29
    with pytest.raises(ValueError, match="same type"):
        rfm_table(orders, customers=["1", "2"], as_of=AS_OF)
    with pytest.warns(UserWarning, match="before every order"):
        early = rfm_table(orders, customers=[1], as_of="2020-01-01")
    assert early.loc[1, "frequency"] == 0


def test_cut_scores_and_their_validation():
    days = pd.Series([0, 29, 30, 89, 90, 364, 365, 900, np.nan])
    assert cut_scores(days, [30, 90, 180, 365], higher_is_better=False).tolist()[:8] == [5, 5, 4, 4, 3, 2, 1, 1]
    assert pd.isna(cut_scores(days, [30, 90, 180, 365]).iloc[-1])
    with pytest.raises(ValueError, match="strictly increasing"):
        cut_scores(days, [90, 30])
    rfm = pd.DataFrame({"recency_days": [5.0, 400.0], "frequency": [3, 1], "monetary": [10.0, 5.0]})
    assert rfm_scores(rfm, cuts={"recency_days": [30, 90, 180, 365]})["R"].tolist() == [5, 1]
    with pytest.raises(KeyError, match="unknown column"):
        rfm_scores(rfm, cuts={"recency": [1, 2]})


def test_default_map_covers_the_grid_once_and_edits_are_checked():
    check_segment_map()
    names = {rule.name for rule in RFM_SEGMENT_MAP}
    assert {"champions", "loyal", "at risk", "hibernating", "lost"} <= names
    gap = [r for r in RFM_SEGMENT_MAP if r.name != "lost"]
    with pytest.raises(ValueError, match="without a segment"):
        check_segment_map(gap)
    overlap = list(RFM_SEGMENT_MAP) + [SegmentRule("whales", (5, 5), (5, 5), "top cell")]
    with pytest.raises(ValueError, match="more than one"):
        check_segment_map(overlap)


def test_naming_follows_the_map_and_an_edited_map():
    scores = pd.DataFrame({"R": [5, 5, 1, 2], "FM": [5, 1, 5, 4]}, dtype="Int64")
    assert name_segments(scores).tolist() == ["champions", "new customers", "cannot lose them", "at risk"]
    merged = [r for r in RFM_SEGMENT_MAP if r.name not in ("at risk", "cannot lose them")]
    merged.append(SegmentRule("slipping valuables", (1, 2), (4, 5), "merged"))
    assert name_segments(scores, merged).tolist()[2:] == ["slipping valuables", "slipping valuables"]


def test_segment_summary_adds_up():
    rfm = pd.DataFrame({"recency_days": [1.0, 2.0, np.nan], "frequency": [2, 1, 0], "monetary": [30.0, 10.0, 0.0]})
    segments = pd.Series(pd.Categorical(["champions", "lost", NO_PURCHASE]))
    summary = segment_summary(rfm, segments)
    assert summary["customers"].sum() == 3 and summary["revenue_share"].sum() == pytest.approx(1.0)
    assert summary.loc["champions", "revenue_share"] == 0.75


def test_lifecycle_stages_and_thresholds():
    rfm = pd.DataFrame({"recency_days": [5, 100, 200, 400, np.nan, 95], "frequency": [1, 4, 2, 3, 0, 2],
                        "tenure_days": [5, 700, 300, 600, np.nan, 95]})
    assert lifecycle_stage(rfm).tolist() == ["new", "active", "at risk", "lapsed", "no purchase", "active"]
    assert lifecycle_stage(rfm, new_days=100).iloc[5] == "new"
    with pytest.raises(ValueError, match="new_days <= active_days < lapsed_days"):
        lifecycle_stage(rfm, active_days=400)
    with pytest.raises(KeyError, match="tenure_days"):
        lifecycle_stage(rfm.drop(columns="tenure_days"))


def test_cohort_retention_by_hand():
    customers = pd.DataFrame({"customer_id": [1, 2, 3],
                              "signup_date": pd.to_datetime(["2026-01-05", "2026-02-10", "2026-04-01"])})
    orders = lines((1, 1, "2026-01-20", 1, 5.0, 0.0, "completed"), (2, 1, "2026-07-02", 1, 5.0, 0.0, "completed"),
                   (3, 2, "2026-04-15", 1, 5.0, 0.0, "completed"), (4, 3, "2026-04-02", 1, 5.0, 0.0, "cancelled"))
    table, sizes = cohort_retention(orders, customers, as_of="2026-09-30", since="2026-01-01")
    assert sizes.to_dict() == {"2026Q1": 2, "2026Q2": 1}
    assert table.loc["2026Q1"].tolist() == [0.5, 0.5, 0.5]
    assert table.loc["2026Q2", 0] == 0.0 and np.isnan(table.loc["2026Q2", 2])  # cancelled is not activity
    with pytest.raises(ValueError, match="freq"):
        cohort_retention(orders, customers, "2026-09-30", freq="W")


@pytest.fixture(scope="module")
def small(small_world_dir):
    from helpers.data import load_world
    return load_world(small_world_dir)


def test_explorer_view_reacts_to_window_and_cut_points(small):
    full = rfm_explorer_view(small.orders, small.customers, small.as_of)
    assert full["customers"].sum() == len(small.customers)
    short = rfm_explorer_view(small.orders, small.customers, small.as_of, window_days=90)
    # a window changes frequency and value, never who has bought or how recently
    assert short.loc[NO_PURCHASE, "customers"] == full.loc[NO_PURCHASE, "customers"]
    assert short["revenue"].sum() < full["revenue"].sum()
    assert (short["revenue"].drop(NO_PURCHASE) >= 0).all()  # returns of older orders do not count
    tiny = rfm_explorer_view(small.orders, small.customers, small.as_of, window_days=5)
    assert tiny["customers"].sum() == len(small.customers)
    strict = rfm_explorer_view(small.orders, small.customers, small.as_of, recency_cuts=[2, 4, 6, 8])
    loose = rfm_explorer_view(small.orders, small.customers, small.as_of, recency_cuts=[300, 400, 500, 600])
    recent = ["champions", "new customers", "potential loyalists"]
    assert strict.loc[recent, "customers"].sum() < loose.loc[recent, "customers"].sum()
    with pytest.raises(ValueError, match="window_days"):
        rfm_explorer_view(small.orders, small.customers, small.as_of, window_days=0)


def test_explorer_widget_builds_and_redraws_on_change(small):
    box = rfm_explorer(small.orders, small.customers, small.as_of)
    window = box.children[0].children[0]
    window.value = 180  # triggers the callback; it must not raise
    first_cut = box.children[1].children[0]
    first_cut.value = 500  # out of order: the view explains instead of failing
    assert len(box.children) == 4


def test_combined_fm_score_rounds_halves_up_not_to_even():
    rfm = pd.DataFrame({"recency_days": [1.0] * 4, "frequency": [1, 1, 1, 1], "monetary": [1.0, 2.0, 3.0, 4.0]})
    scores = rfm_scores(rfm, cuts={"frequency": [1, 2, 3, 4], "monetary": [2, 3, 4, 5]})
    # F is 2 for everyone; M is 1, 2, 3, 4 -> FM = 1.5, 2, 2.5, 3 -> 2, 2, 3, 3
    assert scores["F"].tolist() == [2, 2, 2, 2]
    assert scores["FM"].tolist() == [2, 2, 3, 3]


def test_reference_scores_reproduce_quantiles_then_freeze_them():
    from helpers.rfm import quantile_scores, reference_scores
    rng = np.random.default_rng(0)
    reference = pd.Series(rng.integers(1, 20, 300).astype(float))
    for better_high in (True, False):
        assert reference_scores(reference, reference, higher_is_better=better_high).equals(
            quantile_scores(reference, higher_is_better=better_high))
    # everyone doubles: quantiles would re-spread the scores, frozen ones move everybody up
    doubled = reference_scores(reference * 2, reference)
    assert (doubled >= reference_scores(reference, reference)).all() and doubled.mean() > 3.5
    with_gap = reference_scores(pd.Series([np.nan, 5.0]), reference)
    assert with_gap.isna().tolist() == [True, False]
    with pytest.raises(ValueError, match="no values"):
        reference_scores(reference, pd.Series([np.nan]))


def test_rfm_scores_against_a_reference_table():
    rfm = pd.DataFrame({"recency_days": [5.0, 50, 500, np.nan], "frequency": [9, 3, 1, 0],
                        "monetary": [900.0, 300, 100, 0]}, index=[1, 2, 3, 4])
    same = rfm_scores(rfm, reference=rfm[rfm["frequency"] > 0])
    assert same[["R", "F", "M"]].equals(rfm_scores(rfm)[["R", "F", "M"]])
    later = rfm.assign(frequency=rfm["frequency"] * 3, monetary=rfm["monetary"] * 3)
    frozen = rfm_scores(later, reference=rfm[rfm["frequency"] > 0])
    assert (frozen["F"].dropna() >= same["F"].dropna()).all() and frozen.loc[4].isna().all()


def test_a_value_window_keeps_long_ago_buyers_scored_as_buyers():
    from helpers.rfm import windowed_rfm
    orders = pd.DataFrame({"order_id": [1, 2, 3], "line_number": [1, 1, 1], "customer_id": [1, 2, 2],
                           "order_ts": pd.to_datetime(["2025-01-05", "2026-09-01", "2026-09-20"]),
                           "quantity": [1, 1, 1], "unit_price": [10.0, 20.0, 30.0], "discount": [0.0, 0.0, 0.0],
                           "status": ["completed"] * 3})
    full = rfm_table(orders, [1, 2, 3], "2026-09-30")
    recent = windowed_rfm(orders, [1, 2, 3], "2026-09-30", window_days=365)
    assert recent.loc[1, ["frequency", "monetary"]].tolist() == [0, 0.0]  # bought, but not in the last year
    assert recent.loc[1, "recency_days"] == full.loc[1, "recency_days"] and recent.loc[2, "frequency"] == 2
    scores = rfm_scores(recent)
    assert scores.loc[1].notna().all() and scores.loc[3].isna().all()  # the long-ago buyer is scored, low
    with pytest.raises(ValueError, match="window_days"):
        windowed_rfm(orders, [1], "2026-09-30", window_days=0)


def test_money_does_not_depend_on_the_order_lines_are_added_up():
    # 0.1 + 0.2 + 0.3 and 0.3 + 0.2 + 0.1 differ in the last bit; rounding a sum that lands on a half cent
    # (lines worth tenths of a cent, e.g. 25.592 and 83.986) must not follow that noise
    assert round_cents(pd.Series([0.1 + 0.2 + 0.3 + 0.005, 0.3 + 0.2 + 0.1 + 0.005])).nunique() == 1
    assert round_cents(pd.Series([27.985, -27.985, 2.675, 1.004999])).tolist() == [27.99, -27.98, 2.68, 1.0]
    orders = pd.DataFrame({"order_id": np.arange(1, 7), "customer_id": [1] * 6,
                           "order_ts": pd.Timestamp("2026-09-01"), "quantity": 1,
                           "unit_price": [25.99, 59.99, 13.99, 31.99, 44.99, 89.99],
                           "discount": [0.2, 0.3, 0.1, 0.2, 0.1, 0.3], "status": "completed"})
    table = rfm_table(orders, as_of="2026-09-30")
    for random_state in range(20):
        shuffled = orders.sample(frac=1, random_state=random_state)
        assert rfm_table(shuffled, as_of="2026-09-30").equals(table)


def test_the_sample_gives_the_same_money_whatever_the_order_of_its_rows():
    from helpers.data import load_world
    world = load_world()
    shuffled = world.orders.sample(frac=1, random_state=1)
    assert rfm_table(shuffled, world.customers, world.as_of).equals(rfm_table(world.orders, world.customers, world.as_of))
    assert category_shares(shuffled, world.products, world.customers["customer_id"], world.as_of).equals(
        category_shares(world.orders, world.products, world.customers["customer_id"], world.as_of))


# --------------------------------------------------------------------------- scoring that fits a long tail of one-time buyers
def long_tail_rfm(one_timers: int = 60, repeaters: int = 40, lapsed_share: float = 0.5) -> pd.DataFrame:
    """An RFM table where most buyers ordered once (as on CDNOW): one-timers first, then repeat buyers."""
    rng = np.random.default_rng(0)
    n = one_timers + repeaters
    frequency = np.r_[np.ones(one_timers, int), rng.integers(2, 12, repeaters)]
    recency = rng.integers(0, 700, n).astype(float)
    recency[: int(one_timers * lapsed_share)] = rng.integers(366, 700, int(one_timers * lapsed_share))
    monetary = np.round(rng.gamma(2.0, 30.0, n) * frequency, 2)
    return pd.DataFrame({"recency_days": recency, "frequency": frequency, "monetary": monetary,
                         "tenure_days": recency + 10}, index=pd.Index(range(1, n + 1), name="customer_id"))


def test_quantile_frequency_never_reaches_1_when_half_bought_once_but_repeat_quantiles_does():
    rfm = long_tail_rfm()
    assert rfm_scores(rfm)["F"].min() == 2                     # the tie of one-timers lifts them all to 2
    scores = rfm_scores(rfm, frequency_scoring="repeat_quantiles")
    once = rfm["frequency"] == 1
    assert (scores.loc[once, "F"] == 1).all()
    assert set(scores.loc[~once, "F"]) <= {2, 3, 4, 5} and scores.loc[~once, "F"].nunique() == 4
    assert scores["R"].equals(rfm_scores(rfm)["R"]) and scores["M"].equals(rfm_scores(rfm)["M"])


def test_repeat_quantiles_against_a_reference_keep_one_timers_at_1():
    rfm = long_tail_rfm()
    frozen = rfm_scores(rfm, frequency_scoring="repeat_quantiles", reference=rfm)
    assert frozen["F"].equals(rfm_scores(rfm, frequency_scoring="repeat_quantiles")["F"])


def test_an_unknown_frequency_scoring_is_refused():
    with pytest.raises(ValueError, match="repeat_quantiles"):
        rfm_scores(long_tail_rfm(), frequency_scoring="deciles")


def test_auto_scoring_switches_to_repeat_buyers_only_when_one_timers_tie_above_f1_and_says_so():
    from helpers.rfm import choose_scoring
    long_tail = choose_scoring(long_tail_rfm(60, 40))                      # 60% bought once
    assert long_tail.method == "repeat_quantiles" and "60% of buyers ordered once" in long_tail.why
    few = choose_scoring(long_tail_rfm(20, 80))                            # 20% bought once: quantiles reach F = 1
    assert few.method == "quantiles" and rfm_scores(long_tail_rfm(20, 80))["F"].min() == 1
    assert "20% of buyers ordered once" in few.why
    assert choose_scoring(long_tail_rfm(60, 40), "quantiles").method == "quantiles"


def test_explicit_frequency_cuts_from_the_mapping():
    from helpers.rfm import choose_scoring, score_with
    rfm = long_tail_rfm()
    scoring = choose_scoring(rfm, frequency_cuts=[2, 3, 5, 8])
    assert scoring.method == "cuts" and scoring.frequency_cuts == (2, 3, 5, 8)
    scores = score_with(rfm, scoring)
    assert scores["F"].equals(cut_scores(rfm["frequency"], [2, 3, 5, 8]))
    assert (scores.loc[rfm["frequency"] == 1, "F"] == 1).all()


@pytest.mark.parametrize("settings, key, words", [
    ({"scoring": "deciles"}, "rfm_scoring", "choose one of 'auto', 'quantiles', 'repeat_quantiles', 'cuts'"),
    ({"scoring": "cuts"}, "frequency_cuts", "rfm_scoring = \"cuts\" needs frequency_cuts"),
    ({"frequency_cuts": [2, 4]}, "frequency_cuts", "4 cut points"),
    ({"frequency_cuts": [4, 2, 8, 16]}, "frequency_cuts", "strictly increasing"),
    ({"frequency_cuts": ["2", 4, 8, 16]}, "frequency_cuts", "numbers"),
    ({"scoring": "quantiles", "frequency_cuts": [2, 4, 8, 16]}, "frequency_cuts", "either"),
    ({"frequency_cuts": "2, 4, 8, 16"}, "frequency_cuts", "must be a list of 4 order counts"),
])
def test_a_wrong_scoring_setting_is_a_mapping_error_naming_the_key_and_the_fix(settings, key, words):
    from helpers.rfm import choose_scoring
    from helpers.validation import MappingError
    with pytest.raises(MappingError, match=f"'{key}'") as caught:
        choose_scoring(long_tail_rfm(), **settings)
    assert words in str(caught.value) and caught.value.section == "segments"


def test_score_ranges_say_which_values_each_score_covers():
    from helpers.rfm import score_ranges
    rfm = long_tail_rfm()
    scores = rfm_scores(rfm, frequency_scoring="repeat_quantiles")
    ranges = score_ranges(rfm, scores)
    f = ranges.loc["F"]
    assert f.loc[1, "from"] == 1 and f.loc[1, "to"] == 1 and f.loc[1, "customers"] == 60
    assert f["customers"].sum() == len(rfm)
    assert f.loc[2, "from"] == rfm.loc[scores["F"] == 2, "frequency"].min()


def test_a_lapsed_one_time_buyer_is_never_loyal_champion_or_cannot_lose_them():
    rfm = pd.DataFrame({"recency_days": [400.0, 400.0, 400.0, 400.0, 10.0, 400.0],
                        "frequency": [1, 1, 1, 1, 1, 3], "monetary": [900.0] * 6, "tenure_days": [400.0] * 6})
    scores = pd.DataFrame({"R": [1, 3, 5, 2, 5, 1], "F": [1] * 6, "M": [5] * 6, "FM": [5, 4, 5, 2, 5, 5]},
                          index=rfm.index).astype("Int64")
    plain = name_segments(scores).tolist()
    assert plain == ["cannot lose them", "loyal", "champions", "hibernating", "champions", "cannot lose them"]
    guarded = name_segments(scores, rfm=rfm).tolist()
    # once, more than 365 days ago: dormant. Hibernating stays; a recent one-timer and a lapsed repeat buyer keep theirs
    assert guarded == ["lost", "lost", "lost", "hibernating", "champions", "cannot lose them"]


def test_empty_segments_are_listed_with_the_reason():
    from helpers.rfm import empty_segments
    rfm = long_tail_rfm()
    scores = rfm_scores(rfm)
    segments = name_segments(scores, rfm=rfm)
    empty = empty_segments(scores, segments, rfm)
    counts = segments.value_counts()
    assert set(empty.index) == {name for name in counts.index if counts[name] == 0 and name != NO_PURCHASE}
    # FM = 1 needs F = 1: every FM-1 segment is out of reach, lost included (lapsed one-timers are hibernating)
    for name in ("new customers", "promising", "about to sleep", "lost"):
        assert empty.loc[name, "why"].startswith("F score 1 never occurs: 60% of buyers ordered once")
    assert (empty["customers"] == 0).all()
    repeat = rfm_scores(rfm, frequency_scoring="repeat_quantiles")
    named = name_segments(repeat, rfm=rfm)
    assert "F score 1 never occurs" not in " ".join(empty_segments(repeat, named, rfm)["why"])


def test_an_empty_segment_whose_customers_the_lapsed_rule_moved_says_so():
    from helpers.rfm import empty_segments
    rfm = pd.DataFrame({"recency_days": [400.0, 10.0], "frequency": [1, 4], "monetary": [900.0, 50.0],
                        "tenure_days": [400.0, 500.0]})
    scores = pd.DataFrame({"R": [1, 5], "F": [1, 5], "M": [5, 1], "FM": [5, 3]}, index=rfm.index).astype("Int64")
    empty = empty_segments(scores, name_segments(scores, rfm=rfm), rfm)
    assert "bought once, more than 365 days ago" in empty.loc["cannot lose them", "why"]


def test_a_customer_unseen_for_over_a_year_is_named_as_lapsed_whatever_the_recency_quantile():
    # where most customers are long gone (CDNOW), R 3-4 can mean 400 days: such a buyer is not "loyal"
    rfm = pd.DataFrame({"recency_days": [400.0, 400.0, 400.0, 200.0], "frequency": [5, 3, 2, 5],
                        "monetary": [900.0] * 4, "tenure_days": [500.0] * 4})
    scores = pd.DataFrame({"R": [4, 3, 5, 4], "F": [5, 3, 2, 5], "M": [5, 3, 1, 5], "FM": [5, 3, 2, 5]},
                          index=rfm.index).astype("Int64")
    assert name_segments(scores).tolist() == ["loyal", "need attention", "potential loyalists", "loyal"]
    assert name_segments(scores, rfm=rfm).tolist() == ["at risk", "hibernating", "hibernating", "loyal"]
