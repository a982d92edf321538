"""Segment migration and drift: transition matrices, the moves that matter, size shifts and PSI alerts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.monitoring import (NEW, drift_report, migrations, move_summary, psi, size_shift, stayed_share,
                                transition_matrix)

BEFORE = pd.Series(["champions", "champions", "champions", "at risk", "lost", "lost"], index=[1, 2, 3, 4, 5, 6])
AFTER = pd.Series(["champions", "at risk", "at risk", "lost", "lost", "new segment", "champions"],
                  index=[1, 2, 3, 4, 5, 6, 7])
VALUE = pd.Series([100.0, 900.0, 50.0, 20.0, 5.0, 1.0, 30.0], index=[1, 2, 3, 4, 5, 6, 7])


def test_transition_counts_shares_and_segments_that_appear_or_vanish():
    counts = transition_matrix(BEFORE, AFTER)
    assert counts.loc["champions"].to_dict() == {"champions": 1, "at risk": 2, "lost": 0, "new segment": 0}
    assert counts.loc[NEW, "champions"] == 1 and counts.to_numpy().sum() == len(AFTER)
    assert "new segment" in counts.columns  # appears only at the second date
    vanished = transition_matrix(BEFORE, AFTER.replace({"at risk": "lost"}))
    assert "at risk" in vanished.index and vanished.loc["at risk"].sum() == 1  # its row stays, its column too
    assert vanished["at risk"].sum() == 0
    shares = transition_matrix(BEFORE, AFTER, normalize=True)
    assert np.allclose(shares.sum(axis=1), 1.0)
    assert shares.loc["champions", "at risk"] == pytest.approx(2 / 3)
    assert stayed_share(counts) == pytest.approx(2 / 6)  # customers 1 and 5 stayed; 2, 3, 4 and 6 moved


def test_stayed_share_counts_only_existing_customers():
    counts = transition_matrix(pd.Series(["a", "b"], index=[1, 2]), pd.Series(["a", "a", "b"], index=[1, 2, 3]))
    assert stayed_share(counts) == pytest.approx(0.5)  # the new customer 3 does not count


def test_a_customer_lost_between_dates_is_an_error_and_categories_keep_their_order():
    with pytest.raises(ValueError, match=r"none at the second.*\[6\]"):
        transition_matrix(BEFORE, AFTER.drop(index=6))
    with pytest.raises(ValueError, match=r"no segment in 'after', e.g. \[3\]"):
        transition_matrix(BEFORE, AFTER.where(AFTER.index != 3))
    with pytest.raises(ValueError, match=r"no segment in 'before'"):
        transition_matrix(BEFORE.where(BEFORE.index != 2), AFTER)
    order = ["lost", "at risk", "champions"]
    ordered = transition_matrix(pd.Series(pd.Categorical(["champions", "lost"], categories=order), index=[1, 2]),
                                pd.Series(pd.Categorical(["lost", "lost"], categories=order), index=[1, 2]))
    assert list(ordered.index) == order and list(ordered.columns) == order


def test_migrations_and_their_value():
    moved = migrations(BEFORE, AFTER, VALUE)
    assert moved.index.tolist() == [2, 3, 4, 6]  # most valuable first; 7 is new, 1 and 5 stayed
    falling = migrations(BEFORE, AFTER, VALUE, moves=[("champions", "at risk")])
    assert falling.index.tolist() == [2, 3] and falling["value"].sum() == 950
    summary = move_summary(BEFORE, AFTER, VALUE)
    assert summary.iloc[0].name == ("champions", "at risk") and summary.iloc[0]["customers"] == 2
    assert migrations(BEFORE, BEFORE, VALUE).empty  # nobody moved


def test_size_shift_statuses():
    shift = size_shift(BEFORE, AFTER, alert_points=10)
    assert shift.loc["new segment", "status"] == "appeared" and shift.loc["new segment", "before"] == 0
    assert shift.loc["champions", "change_points"] == pytest.approx(100 * (2 / 7 - 3 / 6), abs=0.05)
    assert shift.loc["champions", "status"] == "alert"
    gone = size_shift(BEFORE, AFTER.replace({"lost": "at risk"}))
    assert gone.loc["lost", "status"] == "disappeared"
    assert size_shift(BEFORE, BEFORE)["status"].eq("ok").all()
    # a small segment losing a third of its share alerts even under the points threshold
    big = pd.Series(["big"] * 94 + ["small"] * 6, index=range(100))
    later = pd.Series(["big"] * 96 + ["small"] * 4, index=range(100))
    small = size_shift(big, later).loc["small"]
    assert small["change_points"] == -2.0 and small["relative_change"] == pytest.approx(-1 / 3, abs=0.01)
    assert small["status"] == "alert" and size_shift(big, later, alert_relative=0.5).loc["small", "status"] == "ok"
    unused = pd.Series(pd.Categorical(["a", "a"], categories=["a", "never"]), index=[1, 2])
    assert "never" not in size_shift(unused, unused).index  # held by nobody at either date: not "appeared"


def test_psi_by_hand_and_for_categories_and_missing_values():
    # two bins of equal expected share (0.5, 0.5) against (0.8, 0.2): 0.3 ln(1.6) + (-0.3) ln(0.4)
    expected = pd.Series(["x"] * 50 + ["y"] * 50)
    actual = pd.Series(["x"] * 80 + ["y"] * 20)
    assert psi(expected, actual) == pytest.approx(round(0.3 * np.log(1.6) - 0.3 * np.log(0.4), 4))
    assert psi(expected, expected) == 0.0
    numbers = pd.Series(np.arange(1000.0))
    assert psi(numbers, numbers.sample(frac=1, random_state=0)) == 0.0
    assert psi(numbers, numbers + 300) > 0.25
    with_missing = numbers.where(numbers > 100)  # 10% missing appears as its own bin
    assert psi(numbers, with_missing) > 0.1
    with pytest.raises(ValueError, match="both dates"):
        psi(numbers, numbers.iloc[:0])
    with pytest.raises(ValueError, match="only missing values"):
        psi(pd.Series([np.nan, np.nan], name="channel_app"), numbers)


def test_drift_report_raises_readable_alerts():
    rng = np.random.default_rng(0)
    before = pd.DataFrame({"steady": rng.normal(size=2000), "moved": rng.normal(size=2000),
                           "channel": rng.choice(["web", "app"], 2000, p=[0.7, 0.3])})
    after = pd.DataFrame({"steady": rng.normal(size=2000), "moved": rng.normal(1.0, 1, size=2000),
                          "channel": rng.choice(["web", "app"], 2000, p=[0.5, 0.5]), "only_later": 1})
    report = drift_report(before, after, actions={"moved": "refresh the creative"})
    assert list(report.index) == ["moved", "channel", "steady"]  # largest PSI first, shared columns only
    assert report.loc["moved", "status"] == "alert" and "refresh the creative" in report.loc["moved", "message"]
    assert report.loc["channel", "status"] in ("watch", "alert") and report.loc["steady", "status"] == "stable"
    assert report.loc["steady", "message"] == "no action"
    assert report.loc["moved", "std_change"] == pytest.approx(1.0, abs=0.1) and np.isnan(report.loc["channel", "std_change"])
    # most customers at zero: the quantile bins put 2 and 4 together; the move of the mean still shows
    zeros = pd.DataFrame({"orders": np.r_[np.zeros(1800), np.full(200, 4.0)]})
    fewer = pd.DataFrame({"orders": np.r_[np.zeros(1800), np.full(200, 2.0)]})
    diluted = drift_report(zeros, fewer)
    assert diluted.loc["orders", "psi"] == 0.0 and diluted.loc["orders", "status"] == "watch"  # PSI bins miss it
    assert "mean 0.4 -> 0.2" in diluted.loc["orders", "message"]
    with pytest.raises(ValueError, match="share no columns"):
        drift_report(before[["steady"]], after[["only_later"]])


def test_recent_behaviour_counts_only_the_window(small_world_dir):
    from helpers.data import load_world
    from helpers.monitoring import recent_behaviour
    world = load_world(small_world_dir)
    recent = recent_behaviour(world, "2026-09-30", days=90)
    signed_up = (world.customers["signup_date"] <= "2026-09-30").sum()
    assert len(recent) == signed_up and recent.index.is_unique
    start = pd.Timestamp("2026-07-03")
    window = world.orders[(world.orders["order_ts"] >= start) & (world.orders["status"] == "completed")]
    assert recent["orders_90d"].sum() == window["order_id"].nunique()
    buyers = recent["orders_90d"] > 0
    assert recent.loc[buyers, ["channel_web", "channel_app", "channel_store"]].sum(axis=1).round(6).eq(1).all()
    assert recent.loc[~buyers, "channel_app"].isna().all()
    assert {"browse_view_90d", "browse_search_90d"} <= set(recent.columns)


def test_flow_bars_one_bar_segment_per_cell_and_hatching_beyond_ten_colours():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from helpers.plots import flow_bars
    columns = [f"s{i}" for i in range(12)]
    shares = pd.DataFrame(np.full((2, 12), 1 / 12), index=["a", "b"], columns=columns)
    ax = flow_bars(shares, "Where they went")
    assert len(ax.patches) == 24 and ax.get_title() == "Where they went"
    assert [p.get_hatch() for p in ax.patches[-2:]] == ["//", "//"] and ax.patches[0].get_hatch() is None
    plt.close("all")


def test_empty_periods_nobody_before_and_no_activity_in_the_window(small_world_dir):
    everyone_new = transition_matrix(pd.Series([], dtype=object), pd.Series(["a", "b", "b"], index=[1, 2, 3]))
    assert everyone_new.index.tolist() == [NEW] and everyone_new.loc[NEW].tolist() == [1, 2]
    assert np.isnan(stayed_share(everyone_new))  # nobody existed before: no share to report
    from helpers.data import load_world
    from helpers.monitoring import recent_behaviour
    world = load_world(small_world_dir)
    quiet = recent_behaviour(world, "2024-09-15", days=30)  # before the order history starts: customers, no orders
    assert len(quiet) > 0 and (quiet["orders_30d"] == 0).all() and (quiet["revenue_30d"] == 0).all()
    assert quiet["channel_app"].isna().all()
