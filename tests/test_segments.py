"""The customer table, rule-based schemes, profiles, the mixing measure and viability."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import load_world
from helpers.features import customer_table
from helpers.segments import (CLASSIC_SCHEMES, assign_segments, category_mix, classic_segments, mixing_table,
                              segment_profiles, segment_uplift, variance_explained, viability)


@pytest.fixture(scope="module")
def table(small_world_dir):
    return customer_table(load_world(small_world_dir))


def test_customer_table_leaves_out_customers_who_had_not_signed_up_yet(small_world_dir):
    world = load_world(small_world_dir)
    early = customer_table(world, as_of="2025-06-30")
    assert (early["signup_date"] <= pd.Timestamp("2025-06-30")).all()
    assert len(early) < len(customer_table(world))


def test_customer_table_has_one_row_per_customer_and_consistent_shares(table):
    assert table.index.is_unique and table.index.name == "customer_id"
    cats = table.filter(like="cat: ")
    buyers = table["frequency"] > 0
    assert np.allclose(cats[buyers & (table["monetary"] > 0)].sum(axis=1), 1.0)
    assert (cats[~buyers].sum(axis=1) == 0).all()
    chans = table[["channel_web", "channel_app", "channel_store"]]
    assert np.allclose(chans[buyers].sum(axis=1), 1.0)
    assert table.loc[~buyers, ["aov", "top_category", "main_channel"]].isna().all().all()
    assert table["tag_fantasy"].dtype == bool
    in_campaign = table["campaign_arm"].notna()
    assert set(table.loc[in_campaign, "campaign_arm"]) == {"treatment", "control"}
    assert table.loc[~in_campaign, "campaign_converted"].isna().all()


def test_first_matching_rule_wins_and_missing_values_fall_through():
    frame = pd.DataFrame({"age": [25, 25, 70], "score": [6.0, np.nan, 6.0]})
    rules = [("keen young", "age < 30 and score >= 5"), ("young", "age < 30"), ("keen", "score >= 5")]
    assert assign_segments(frame, rules, "other").tolist() == ["keen young", "young", "keen"]
    assert list(assign_segments(frame, rules, "other").cat.categories) == ["keen young", "young", "keen", "other"]


def test_bad_rules_are_named():
    frame = pd.DataFrame({"age": [1]})
    with pytest.raises(ValueError, match="rule 'oops'"):
        assign_segments(frame, [("oops", "agee < 3")], "other")
    with pytest.raises(ValueError, match="did you mean 'age'"):
        assign_segments(frame, [("oops", "agee < 3")], "other")
    with pytest.raises(ValueError, match="not a true/false test"):
        assign_segments(pd.DataFrame({"household": ["single"]}), [("singles", "household = 'single'")], "other")
    with pytest.raises(ValueError, match="not a true/false test"):
        assign_segments(frame, [("ages", "age")], "other")
    with pytest.raises(ValueError, match="unique"):
        assign_segments(frame, [("a", "age > 0"), ("a", "age > 1")], "other")
    with pytest.raises(ValueError, match="unique"):
        assign_segments(frame, [("other", "age > 0")], "other")


def test_classic_schemes_are_exclusive_and_exhaustive(table):
    schemes = classic_segments(table)
    assert list(schemes.columns) == list(CLASSIC_SCHEMES)
    assert schemes.notna().all().all()
    assert (schemes["behavioral"] == "no purchase").sum() == (table["frequency"] == 0).sum()


def test_empty_table_gives_empty_segments():
    empty = pd.DataFrame({"age": pd.Series([], dtype=int)})
    assert assign_segments(empty, [("young", "age < 30")], "other").empty


def test_profiles_add_up(table):
    segments = classic_segments(table)["demographic"]
    profile = segment_profiles(table, segments)
    assert profile["customers"].sum() == len(table)
    assert profile["customer_share"].sum() == pytest.approx(1.0, abs=0.01)
    assert profile["revenue_share"].sum() == pytest.approx(1.0, abs=0.01)
    assert {"uplift", "uplift_low", "uplift_high", "top_category", "main_channel", "aov"} <= set(profile.columns)
    mix = category_mix(table, segments)
    assert np.allclose(mix.dropna().sum(axis=1), 1.0, atol=0.01)


def test_uplift_needs_enough_customers_per_arm():
    table = pd.DataFrame({"campaign_arm": ["treatment"] * 40 + ["control"] * 40 + [None] * 5,
                          "campaign_converted": [True] * 10 + [False] * 30 + [True] * 4 + [False] * 36 + [None] * 5})
    segments = pd.Series(pd.Categorical(["a"] * 85))
    out = segment_uplift(table, segments)
    assert out.loc["a", "uplift"] == pytest.approx(0.25 - 0.10)
    assert out.loc["a", "uplift_low"] < 0.15 < out.loc["a", "uplift_high"]
    assert np.isnan(segment_uplift(table, segments, min_arm=50).loc["a", "uplift"])


def test_variance_explained_bounds_and_missing_values():
    values = pd.Series([1.0, 2.0, 3.0, np.nan, 10.0, 11.0])
    labels = pd.Series(["a", "a", "a", "a", "b", "b"])
    eta = variance_explained(values, labels)
    assert 0.9 < eta < 1.0
    assert variance_explained(pd.Series([2.0, 2.0, 2.0]), pd.Series(["a", "b", "b"])) == 0.0
    with pytest.raises(ValueError, match="at least two"):
        variance_explained(pd.Series([1.0]), pd.Series(["a"]))
    table = mixing_table(pd.DataFrame({"v": values}), pd.DataFrame({"s": labels}))
    assert table.loc["s", "v"] == eta


def test_viability_numbers(table):
    segments = classic_segments(table)["psychographic"]
    out = viability(table, segments, inputs=["price_sensitivity"], min_customers=20, min_share=0.01)
    assert out["measurable"].between(0, 1).all() and out["accessible"].between(0, 1).all()
    assert out["differentiable"].dropna().between(0, 1).all()
    assert (out["actionable_lift"].dropna() >= 1).all()
    assert out.loc["value seekers", "measurable"] == 1.0  # its rule needs the score, so members have it
    tiny = viability(table, segments, inputs=[], min_customers=10**6)
    assert not tiny["substantial"].any()


def test_spend_that_nets_to_zero_is_not_a_full_share():
    from helpers.features import category_shares
    products = pd.DataFrame({"product_id": ["P1", "P2", "P3", "P4"], "category": pd.Categorical(["A", "A", "A", "B"])})
    orders = pd.DataFrame({"customer_id": [1, 1, 1, 2], "order_ts": pd.to_datetime(["2026-01-01"] * 4),
                           "product_id": ["P1", "P2", "P3", "P4"], "quantity": [1, 1, -1, 1],
                           "unit_price": [0.1, 0.2, 0.3, 5.0], "discount": [0.0, 0.0, 0.0, 0.0],
                           "status": ["completed", "completed", "returned", "completed"]})
    shares = category_shares(orders, products, pd.Index([1, 2]), "2026-09-30")
    assert shares.loc[1].tolist() == [0.0, 0.0]  # 0.1 + 0.2 - 0.3 is 5.6e-17 in floating point, not spend
    assert shares.loc[2].tolist() == [0.0, 1.0]
