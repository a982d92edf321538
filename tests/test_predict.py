"""Predictions with a time-based split: no leakage, honest windows, metrics on the later period only."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import load_world
from helpers.features import customer_table
from helpers.predict import (auc_difference, calibration_table, fit_and_evaluate, lift_table, model_features, outcomes,
                             predictive_segments, propensity_bands)


@pytest.fixture(scope="module")
def world(small_world_dir):
    return load_world(small_world_dir)


def test_features_use_nothing_after_the_cutoff(world):
    import dataclasses
    cutoff = "2026-03-31"
    end = pd.Timestamp(cutoff) + pd.Timedelta(days=1)
    orders, events = world.orders.copy(), world.events.copy()
    orders.loc[orders["order_ts"] >= end, "unit_price"] *= 10  # change the future...
    events.loc[events["event_ts"] >= end, "event_type"] = "view"
    changed = dataclasses.replace(world, orders=orders, events=events)
    pd.testing.assert_frame_equal(model_features(world, cutoff), model_features(changed, cutoff))  # ...no effect


def test_outcome_windows_must_lie_inside_the_data(world):
    with pytest.raises(ValueError, match="after the data ends"):
        outcomes(world, "2026-09-15", 30)
    with pytest.raises(ValueError, match="unknown category"):
        outcomes(world, "2026-06-30", 30, category="Spaceships")
    future = outcomes(world, "2026-06-30", 30, category="Candles")
    assert set(future.columns) == {"bought", "value", "bought_category"}


def test_training_window_may_not_overlap_the_test_period(world):
    with pytest.raises(ValueError, match="overlaps the test period"):
        fit_and_evaluate(world, "churns", train_cutoff="2026-05-31", test_cutoff="2026-06-30", horizon_days=90)
    with pytest.raises(ValueError, match="unknown target"):
        fit_and_evaluate(world, "happiness", train_cutoff="2026-01-31", test_cutoff="2026-06-30", horizon_days=90)


def test_churn_and_value_models_report_metrics_on_the_later_period(world):
    churn = fit_and_evaluate(world, "churns", train_cutoff="2026-03-31", test_cutoff="2026-06-30",
                             horizon_days=90, buyers_only=True)
    assert 0.5 < churn.metrics["auc"] <= 1 and churn.predictions.between(0, 1).all()
    assert churn.actual.index.equals(churn.predictions.index)
    assert set(churn.metrics) == {"auc", "brier", "base_rate", "mean_prediction", "training_base_rate", "top_decile_lift"}
    value = fit_and_evaluate(world, "value", train_cutoff="2026-03-31", test_cutoff="2026-06-30", horizon_days=90)
    assert (value.predictions >= 0).all() and value.metrics["mae"] > 0
    assert {"mae_predict_zero", "mae_predict_training_mean", "mae_naive_run_rate"} <= set(value.metrics)


def test_tied_scores_are_not_ordered_by_their_row_position():
    actual = pd.Series([True] * 50 + [False] * 50)
    tied = pd.Series(np.full(100, 0.3))
    assert lift_table(actual, tied, bins=2)["rate"].tolist() != [1.0, 0.0]  # row order would put all buyers first


def test_lift_and_calibration_tables():
    score = pd.Series(np.linspace(1, 0, 100))
    actual = pd.Series([True] * 20 + [False] * 80)
    lift = lift_table(actual, score)
    assert lift["customers"].sum() == 100 and lift.loc[1, "lift"] == 5.0 and lift.loc[10, "rate"] == 0
    calibration = calibration_table(actual, score, bins=5)
    assert calibration.loc[5, "observed"] == 1.0 and calibration["customers"].sum() == 100


def test_propensity_bands_and_predictive_segments(world):
    table = customer_table(world, as_of="2026-06-30")
    probability = pd.Series(np.linspace(0, 1, len(table)), index=table.index)
    bands = propensity_bands(probability)
    assert (bands == "high").mean() == pytest.approx(0.2, abs=0.01)
    with pytest.raises(ValueError, match="0 < medium < high < 1"):
        propensity_bands(probability, high=0.4, medium=0.6)
    with pytest.raises(KeyError, match="not in the table"):
        predictive_segments(pd.Series([0.5], index=[10**9]), table)
    groups = predictive_segments(probability, table, min_customers=20,
                                 actual=pd.Series(True, index=table.index))
    assert (groups["observed_rate"] == 1.0).all()
    assert groups["customers"].sum() == len(table)  # every customer is in one group, viable or not
    assert {"viable", "expected_value", "mean_probability"} <= set(groups.columns)


def test_shift_to_rate_matches_the_rate_and_keeps_the_ranking():
    from helpers.predict import shift_to_rate
    probability = pd.Series([0.9, 0.5, 0.05, 0.5, 0.99], index=list("abcde"))
    for rate in (0.01, 0.3, 0.95):
        shifted = shift_to_rate(probability, rate)
        assert shifted.mean() == pytest.approx(rate, abs=1e-8) and shifted.index.equals(probability.index)
        assert (shifted.rank() == probability.rank()).all()
    assert shift_to_rate(pd.Series([0.0, 1.0]), 0.5).between(0, 1).all()  # certain predictions do not break it
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        shift_to_rate(probability, 1.0)


def test_group_importance_finds_the_group_a_model_leans_on():
    from helpers.predict import group_importance
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"signal": rng.normal(size=2000), "noise_a": rng.normal(size=2000), "noise_b": rng.normal(size=2000)})
    y = pd.Series(x["signal"] + 0.3 * rng.normal(size=2000) > 0)

    class Model:  # scores by the signal column alone, like a model that learnt only it
        def predict_proba(self, frame):
            p = 1 / (1 + np.exp(-frame["signal"].to_numpy()))
            return np.column_stack([1 - p, p])

    table = group_importance(Model(), x, y, {"signal": ["signal"], "noise": ["noise_a", "noise_b"]})
    assert list(table.index) == ["signal", "noise"]           # sorted by what shuffling costs
    assert table.loc["signal", "auc_drop"] > 0.3 and table.loc["noise", "auc_drop"] == 0
    assert table.loc["signal", "auc_shuffled"] == pytest.approx(0.5, abs=0.05)
    with pytest.raises(KeyError, match="not among the model's features"):
        group_importance(Model(), x, y, {"ghost": ["missing_column"]})


def test_the_churn_model_keeps_what_it_judged_so_its_features_can_be_read(world):
    churn = fit_and_evaluate(world, "churns", "2026-03-31", "2026-06-30", 90, buyers_only=True)
    assert churn.features is not None and churn.features.index.equals(churn.actual.index)
    assert list(churn.features.columns) == list(churn.model.feature_names_in_)


def test_auc_difference_is_the_difference_of_the_aucs_with_a_seeded_paired_interval():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(1)
    actual = pd.Series(rng.random(2000) < 0.4)
    better = pd.Series(actual * 1.0 + rng.normal(0, 1, 2000)).round(1)   # rounded: ties are counted as halves
    worse = pd.Series(actual * 0.5 + rng.normal(0, 1, 2000))
    result = auc_difference(actual, better, worse, resamples=400)
    assert result["difference"] == pytest.approx(roc_auc_score(actual, better) - roc_auc_score(actual, worse))
    assert result["low"] < result["difference"] < result["high"] and result["low"] > 0
    assert auc_difference(actual, better, worse, resamples=400).equals(result)          # seeded
    same = auc_difference(actual, better, better, resamples=50)
    assert same[["difference", "low", "high"]].tolist() == [0.0, 0.0, 0.0]
    flipped = auc_difference(actual, worse, better, resamples=400)
    assert flipped["difference"] == pytest.approx(-result["difference"]) and flipped["high"] < 0
    with pytest.raises(ValueError, match="both outcomes"):
        auc_difference(pd.Series([True] * 3), better[:3], worse[:3])
