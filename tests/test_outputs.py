"""Outputs a marketer can read: money in its currency, returns-only customers apart, named micro-segments, a run log.

On the kit's sample (templates/mapping.toml) and on the real Online Retail export."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from helpers.owndata import load_own_data
from helpers.pipeline import main, run_pipeline

KIT = Path(__file__).resolve().parent.parent
TEMPLATE = KIT / "templates" / "mapping.toml"


@pytest.fixture(autouse=True)
def one_thread():
    with threadpool_limits(1):  # gradient boosting spins on busy 2-core machines otherwise
        yield


@pytest.fixture(scope="module")
def retail_run(online_retail_mapping, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("retail") / "run"
    with threadpool_limits(1):
        assert main([str(online_retail_mapping), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def retail_world(online_retail_mapping):
    return load_own_data(online_retail_mapping)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "run"
    with threadpool_limits(1):
        assert main([str(TEMPLATE), "--out", str(out), "--quiet"]) == 0
    return out


# --------------------------------------------------------------------------- returns-only customers
def test_customers_whose_only_lines_are_returns_are_reported_not_segmented(retail_run, retail_world):
    lines = retail_world.orders.groupby("customer_id")["status"]
    only_returns = lines.agg(lambda s: (s == "returned").any() and not (s == "completed").any())
    expected = set(only_returns.index[only_returns])
    assert len(expected) == 28  # Online Retail under the default cleaning
    segments = pd.read_csv(retail_run / "segments.csv")
    assert not expected & set(segments["customer_id"])
    assert "no purchase" not in set(segments["rfm_segment"]) and (segments["frequency"] > 0).all()
    assert len(segments) == retail_world.orders["customer_id"].nunique() - 28
    apart = pd.read_csv(retail_run / "returns_only_customers.csv")
    assert set(apart["customer_id"]) == expected
    summary = json.loads((retail_run / "summary.json").read_text())
    assert summary["customers_with_returns_only"] == 28 and summary["customers"] == len(segments)
    assert "customers with returns only: 28" in (retail_run / "validation_report.txt").read_text()


def test_customers_without_any_purchase_still_are_no_purchase_on_the_sample(sample_run):
    segments = pd.read_csv(sample_run / "segments.csv")
    summary = json.loads((sample_run / "summary.json").read_text())
    assert summary["customers_with_returns_only"] == 0
    assert (segments["rfm_segment"] == "no purchase").sum() == summary["segments"]["no purchase"] > 0


# --------------------------------------------------------------------------- currency
def test_every_money_column_carries_the_currency(retail_run, sample_run):
    retail = pd.read_csv(retail_run / "segments.csv")
    assert "monetary_GBP" in retail.columns and "monetary" not in retail.columns
    assert json.loads((retail_run / "summary.json").read_text())["currency"] == "GBP"
    sample = pd.read_csv(sample_run / "segments.csv")
    assert "monetary_USD" in sample.columns and "monetary" not in sample.columns
    effects = pd.read_csv(sample_run / "campaign_effects.csv")
    assert set(effects["outcome"]) == {"converted", "revenue_USD"}   # a rate has no currency; revenue does
    assert set(effects.loc[effects["outcome"] == "revenue_USD", "kind"]) == {"amount"}


def test_without_a_declared_currency_money_says_so(tmp_path):
    days = pd.date_range("2024-01-01", periods=30, freq="D")
    pd.DataFrame({"customer_id": [1 + i % 10 for i in range(90)], "date": [str(d.date()) for d in days for _ in range(3)],
                  "amount": 12.5}).to_csv(tmp_path / "t.csv", index=False)
    (tmp_path / "m.toml").write_text('[orders]\nfile = "t.csv"\nshape = "transactions"\n')
    assert main([str(tmp_path / "m.toml"), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert "monetary_XXX" in pd.read_csv(tmp_path / "run" / "segments.csv").columns
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["currency"] == "XXX"


# --------------------------------------------------------------------------- named micro-segments and their profiles
@pytest.mark.parametrize("which", ["sample", "retail"])
def test_every_micro_segment_has_a_unique_name_and_a_profile(which, sample_run, retail_run):
    run, currency = (sample_run, "USD") if which == "sample" else (retail_run, "GBP")
    segments = pd.read_csv(run / "segments.csv")
    profiles = pd.read_csv(run / "micro_segment_profiles.csv").set_index("micro_segment")
    sizes = segments["micro_segment"].value_counts()
    assert profiles["customers"].sort_index().equals(sizes.sort_index().rename("customers"))
    assert profiles["share"].sum() == pytest.approx(1, abs=1e-3)
    assert profiles["name"].is_unique and profiles["name"].notna().all()
    tiers = segments.groupby("micro_segment")["macro_tier"].first()
    clustered = profiles.index[profiles.index.str.contains(" / ")]
    assert all(profiles.loc[s, "name"].startswith(f"{tiers[s]} · ") for s in clustered)
    value = segments.groupby("micro_segment")[f"monetary_{currency}"].mean().round(2)
    assert profiles[f"mean_monetary_{currency}"].sort_index().equals(value.sort_index().rename(f"mean_monetary_{currency}"))
    named = segments.set_index("micro_segment")["micro_segment_name"]
    assert (named == profiles["name"].reindex(named.index)).all()
    if which == "sample":  # the sample has categories and channels: the profile names the distinctive ones
        assert profiles.loc[clustered, "distinctive_categories"].notna().all()
        assert profiles.loc[clustered, "distinctive_channels"].notna().any()


def test_the_names_are_the_same_on_a_second_run(retail_world, retail_run):
    profiles = run_pipeline(retail_world).micro_segment_profiles
    written = pd.read_csv(retail_run / "micro_segment_profiles.csv").set_index("micro_segment")
    assert profiles["name"].sort_index().equals(written["name"].sort_index())
