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
    with pytest.raises(ValueError, match="share no columns"):
        drift_report(before[["steady"]], after[["only_later"]])
