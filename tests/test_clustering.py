"""Micro-segments by clustering: features, k, nested fits, profiles, rules, stability, merging."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.clustering import (MACRO_TIERS, NEEDS, choose_k, cluster_profiles, clustering_features, describe_clusters,
                                explain_with_rules, feature_pipeline, fit_nested, macro_segments, merge_small,
                                stability)
from helpers.data import load_world
from helpers.features import customer_table
from helpers.rfm import name_segments, rfm_scores


@pytest.fixture(scope="module")
def world(small_world_dir):
    return load_world(small_world_dir)


@pytest.fixture(scope="module")
def table(world):
    return customer_table(world)


@pytest.fixture(scope="module")
def features(world, table):
    return clustering_features(table, world.events, world.as_of)


def blobs(n_per=40, centres=((0, 0), (6, 6), (0, 6)), random_state=0):
    rng = np.random.default_rng(random_state)
    points = np.vstack([rng.normal(c, 0.5, (n_per, 2)) for c in centres])
    return pd.DataFrame(points, columns=["x", "y"])


def test_feature_groups(world, table, features):
    assert features.index.equals(table.index)
    assert not any(c in features for c in ("log_orders", "recency_days"))  # needs leave value out
    assert features.filter(like="browse_").min().min() >= 0
    assert features["price_sensitivity"].isna().any()  # left for the pipeline to impute
    with_value = clustering_features(table, world.events, world.as_of, groups=("value",))
    assert list(with_value.columns) == ["log_orders", "log_revenue", "log_order_value", "recency_days"]
    with pytest.raises(ValueError, match="unknown feature group"):
        clustering_features(table, world.events, world.as_of, groups=("wallet",))
    assert set(NEEDS) < {"value", *NEEDS}


def test_pipeline_imputes_scales_and_keeps_names(features):
    scaled = feature_pipeline(features.columns).fit_transform(features)
    assert list(scaled.columns) == list(features.columns) and not scaled.isna().any().any()
    assert np.allclose(scaled.mean(), 0, atol=1e-9)


def test_macro_tiers_leave_non_buyers_out(table):
    macro = macro_segments(name_segments(rfm_scores(table)))
    assert macro[table["frequency"] == 0].isna().all()
    assert macro[table["frequency"] > 0].notna().all()


def test_choose_k_reports_every_criterion_and_finds_obvious_clusters():
    table = choose_k(blobs(), ks=range(2, 6))
    assert list(table.columns) == ["inertia", "silhouette", "bic"]
    assert table["silhouette"].idxmax() == 3
    assert table["inertia"].is_monotonic_decreasing
    with pytest.raises(ValueError, match="at least 3 rows"):
        choose_k(blobs(n_per=1, centres=((0, 0),)), ks=[2])


def test_nested_fit_labels_sizes_and_degenerate_cases():
    data = blobs()
    macro = pd.Series(pd.Categorical(["a"] * 80 + ["b"] * 40, categories=["a", "b", "c"]))
    fitted = fit_nested(data, macro, k={"a": 2, "b": 3}, random_state=1)
    assert set(fitted.labels) == {"a / 1", "a / 2", "b / 1", "b / 2", "b / 3"}  # k per tier; empty tier c skipped
    assert sorted(fitted.labels.iloc[:80].value_counts().tolist()) == [40, 40]  # the two blobs of tier a
    tiny = fit_nested(data.iloc[:10], pd.Series(pd.Categorical(["a"] * 10)), k=4)
    assert set(tiny.labels) == {"a / 1"}  # too few rows: one micro-segment
    constant = fit_nested(pd.DataFrame({"x": np.ones(50)}), pd.Series(pd.Categorical(["a"] * 50)), k=3)
    assert set(constant.labels) == {"a / 1"}  # nothing to split on
    missing = data.copy()
    missing.iloc[::7, 0] = np.nan
    assert fit_nested(missing, macro, k=2).labels.notna().all()
    with pytest.raises(ValueError, match="unknown macro segments"):
        fit_nested(data, macro, k={"A": 2})
    outside = pd.Series(pd.Categorical([None] * 60 + ["a"] * 60, categories=["a"]))
    assert fit_nested(data, outside, k=2).labels.iloc[:60].isna().all()


def test_same_seed_same_segments(features, table):
    macro = macro_segments(name_segments(rfm_scores(table)))
    first = fit_nested(features, macro, k=3, random_state=5).labels
    again = fit_nested(features, macro, k=3, random_state=5).labels
    assert first.equals(again)
    sizes = first.value_counts()
    for tier in macro.cat.categories:  # numbered by size within each tier
        tier_sizes = sizes[sizes.index.str.startswith(f"{tier} / ")]
        assert list(tier_sizes.sort_index().values) == sorted(tier_sizes.values, reverse=True)


def test_profiles_descriptions_and_rules():
    data = blobs()
    labels = pd.Series(["p"] * 40 + ["q"] * 40 + ["r"] * 40)
    means, z = cluster_profiles(data, labels)
    assert means.loc["q", "x"] > 5 and z.loc["q", "x"] > 0 > z.loc["p", "x"]
    assert describe_clusters(z, top=1).loc["q"] in ("+x", "+y")
    rules, fidelity = explain_with_rules(data, labels, max_depth=2)
    assert fidelity == 1.0 and "class: q" in rules


def test_stability_is_high_for_clear_clusters_and_checks_input():
    scaled = feature_pipeline(["x", "y"]).fit_transform(blobs())
    scores = stability(scaled, 3, rounds=4)
    assert len(scores) == 4 and scores.min() > 0.9
    with pytest.raises(ValueError, match="more rows than clusters"):
        stability(scaled.iloc[:3], 3)


def test_small_segments_merge_into_the_nearest_of_their_tier():
    data = pd.DataFrame({"x": [0.0] * 20 + [10.0] * 20 + [9.0] * 3 + [50.0] * 2})
    labels = pd.Series(["a / 1"] * 20 + ["a / 2"] * 20 + ["a / 3"] * 3 + ["b / 1"] * 2)
    merged, moves = merge_small(labels, data, min_customers=5)
    assert (merged.iloc[40:43] == "a / 2").all()
    assert (merged.iloc[43:] == "b / 1").all()  # nowhere to go in its own tier: kept, not hidden
    assert moves.iloc[0].tolist() == ["a / 3", 3, "a / 2"]
    assert moves.iloc[1][["segment", "customers"]].tolist() == ["b / 1", 2] and pd.isna(moves.iloc[1]["merged into"])


def test_segment_explorer_view_and_widget(features, table):
    from helpers.explorers import segment_explorer, segment_explorer_view
    macro = macro_segments(name_segments(rfm_scores(table)))
    view = segment_explorer_view(features, macro, "top customers", k=3)
    assert view["sizes"]["customers"].sum() == (macro == "top customers").sum()
    assert len(view["sizes"]) == 3 and 0 < view["fidelity"] <= 1 and "class:" in view["rules"]
    assert len(segment_explorer_view(features, macro, "top customers", k=2)["sizes"]) == 2
    with pytest.raises(ValueError, match="unknown macro segment"):
        segment_explorer_view(features, macro, "whales", k=3)
    box = segment_explorer(features, macro)
    box.children[0].children[1].value = 2  # moving k redraws without error
    box.children[0].children[0].value = "dormant"


def test_micro_segments_fit_once_and_apply_later_without_refitting(world):
    from helpers.clustering import NOT_CLUSTERED, fit_micro_segments
    before = customer_table(world, "2026-03-31")
    fitted = fit_micro_segments(before, world.events, "2026-03-31", k=3, min_customers=20)
    assert fitted.labels.index.equals(before.index) and fitted.labels.notna().all()
    assert (fitted.labels == NOT_CLUSTERED).sum() == (before["frequency"] == 0).sum()
    assert set(fitted.merges) <= set(fit_nested(clustering_features(before, world.events, "2026-03-31"),
                                                macro_segments(name_segments(rfm_scores(before))), k=3).labels.dropna())
    assert not set(fitted.labels) & set(fitted.merges), "merged segments must not survive as labels"
    # applied to the same date, the frozen model gives the same segments
    same = fitted.assign(before, world.events, "2026-03-31")
    assert same.equals(fitted.labels.rename("micro_segment"))
    # at a later date every customer (also new ones) gets a known segment, and the fit is not redone
    later = customer_table(world)
    moved = fitted.assign(later, world.events, world.as_of)
    assert moved.index.equals(later.index) and moved.notna().all()
    tiers = {label.rsplit(" / ", 1)[0] for label in moved if label != NOT_CLUSTERED}
    assert tiers <= set(MACRO_TIERS)
    assert set(moved) - {NOT_CLUSTERED} <= set(fitted.labels) | {f"{t} / 1" for t in MACRO_TIERS}
