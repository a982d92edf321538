"""A randomized test alone (no orders file): the real Hillstrom email test through the command line."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from helpers.owndata import MappingError, check_mapping, load_own_data
from helpers.pipeline import main, run_pipeline
from helpers.uplift import sample_size

KIT = Path(__file__).resolve().parent.parent
HILLSTROM = KIT / "datasets" / "real" / "hillstrom.csv.gz"
MAPPING = Path(__file__).resolve().parent.parent / "templates" / "examples" / "hillstrom.toml"


@pytest.fixture(scope="module")
def hillstrom() -> pd.DataFrame:
    return pd.read_csv(HILLSTROM)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hillstrom") / "run"
    assert main([str(MAPPING), "--out", str(out), "--quiet"]) == 0
    return out


def test_a_mapping_needs_orders_or_a_campaign_not_always_orders():
    assert set(check_mapping({"campaign": {"file": "t.csv", "outcomes": ["y"]}}, base="/d")) == {"campaign"}
    with pytest.raises(MappingError, match=r"needs an \[orders\] section .* or a \[campaign\] section"):
        check_mapping({"data": {"currency": "USD"}})


def test_every_row_of_the_hillstrom_test_is_accounted_for(run, hillstrom):
    summary = json.loads((run / "summary.json").read_text())
    rows = summary["rows"]["campaign"]
    assert rows["read"] == len(hillstrom) == 64_000
    assert rows["kept unchanged"] + rows["repaired"] + rows["excluded"] == rows["read"]
    assert rows["excluded"] == 0 and set(summary["rows"]) == {"campaign"}


def test_the_email_effects_are_the_plain_group_mean_differences(run, hillstrom):
    effects = pd.read_csv(run / "campaign_effects.csv").set_index(["arm", "outcome"])
    means = hillstrom.groupby("segment")[["visit", "conversion", "spend"]].mean()
    for arm in ("Mens E-Mail", "Womens E-Mail"):
        for outcome, label in (("visit", "visit"), ("conversion", "conversion"), ("spend", "spend_USD")):
            row = effects.loc[(arm, label)]
            assert row["effect"] == pytest.approx(means.loc[arm, outcome] - means.loc["No E-Mail", outcome])
            assert row["low"] < row["effect"] < row["high"]
    # the published figures of the test: visits up about 7.7 points (men's email) and 4.5 points (women's)
    assert effects.loc[("Mens E-Mail", "visit"), "effect"] == pytest.approx(0.077, abs=0.001)
    assert effects.loc[("Womens E-Mail", "visit"), "effect"] == pytest.approx(0.045, abs=0.001)
    assert (effects.xs("visit", level="outcome")["p_value"] < 1e-6).all()


def test_the_arms_balance_is_written_and_randomization_held(run, hillstrom):
    balance = pd.read_csv(run / "campaign_balance.csv")
    assert set(balance["arm"]) == {"Mens E-Mail", "Womens E-Mail"}
    assert {"recency", "history", "newbie", "channel = Web", "zip_code = Rural"} <= set(balance["feature"])
    assert not balance["imbalanced"].any()
    womens = hillstrom[hillstrom["segment"] == "Womens E-Mail"]
    row = balance.set_index(["arm", "feature"]).loc[("Womens E-Mail", "history")]
    assert row["treated_mean"] == pytest.approx(womens["history"].mean())


def test_the_next_test_is_sized_for_the_observed_effect_with_80_percent_power(run, hillstrom):
    effects = pd.read_csv(run / "campaign_effects.csv").set_index(["arm", "outcome"])
    control = hillstrom.loc[hillstrom["segment"] == "No E-Mail", "visit"].mean()
    observed = effects.loc[("Womens E-Mail", "visit"), "effect"]
    row = effects.loc[("Womens E-Mail", "visit")]
    assert row["next_test_sized_for"] == pytest.approx(observed)
    assert row["next_test_per_arm"] == sample_size(control, observed)["treated"]
    spend = hillstrom.loc[hillstrom["segment"] == "No E-Mail", "spend"]
    effect = effects.loc[("Mens E-Mail", "spend_USD"), "effect"]
    assert effects.loc[("Mens E-Mail", "spend_USD"), "next_test_per_arm"] == sample_size(
        spend.mean(), effect, variance=spend.var())["treated"]


def test_a_stated_minimum_effect_sizes_the_next_test_instead(tmp_path, hillstrom):
    text = MAPPING.read_text().replace("# min_effect = { visit = 0.02 }", "min_effect = { visit = 0.02 }")
    mapping = tmp_path / "m.toml"
    mapping.write_text(text.replace("../../datasets", str(KIT / "datasets")))
    result = run_pipeline(load_own_data(mapping))
    control = hillstrom.loc[hillstrom["segment"] == "No E-Mail", "visit"].mean()
    visit = result.campaign_effects.xs("visit", level="outcome")
    assert (visit["next_test_sized_for"] == 0.02).all()
    assert (visit["next_test_per_arm"] == sample_size(control, 0.02)["treated"]).all()


def test_the_customer_parts_are_skipped_because_there_is_no_orders_file(run, capsys):
    summary = json.loads((run / "summary.json").read_text())
    skipped = dict(s.split(": ", 1) for s in summary["skipped"])
    for part in ("RFM scores, named segments, lifecycle stages", "micro-segments nested in macro tiers",
                 "churn risk, validated on a later period", "segment migration and drift alerts",
                 "audience files (consent, do-not-contact, pseudonyms)"):
        assert skipped[part] == "no [orders] file"
    assert "effect of each campaign arm against control" not in skipped
    assert not (run / "segments.csv").exists()
    assert summary["customers"] == 0 and summary["currency"] == "USD"


def test_the_result_tables_say_why_a_customer_table_is_missing():
    result = run_pipeline(load_own_data(MAPPING))
    assert result.table("micro_segment_profiles").iloc[0, 0] == "no [orders] file"
    assert result.table("campaign_balance").equals(result.campaign_balance)
    assert result.headline() == "campaign only: 64,000 rows of the test analysed (no [orders] file)"
