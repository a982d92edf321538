"""Every mapping in templates/examples/ runs from the command line as an analyst would copy it, with its totals pinned.

The examples are the template's promise on real exports (the public Online Retail, CDNOW and Hillstrom files in
datasets/real/, and a Shopify-layout export): each must finish with exit 0, write its report and summary, and
count what the lessons and the README quote.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.pipeline import main

EXAMPLES = Path(__file__).resolve().parent.parent / "templates" / "examples"

# mapping: (rows read, rows excluded, customers in the segments, customers with returns only, RFM scoring)
ORDER_LOGS = {
    "online_retail.toml": (541_909, 142_220, 4_335, 28, "quantiles"),
    "cdnow.toml": (69_659, 80, 23_502, 0, "repeat_quantiles"),
    "shopify.toml": (None, None, 11, 0, None),
}


def test_every_example_mapping_has_its_pinned_run():
    assert sorted(p.name for p in EXAMPLES.glob("*.toml")) == sorted([*ORDER_LOGS, "hillstrom.toml"])


def run(name: str, out: Path) -> dict:
    code = main([str(EXAMPLES / name), "--out", str(out), "--quiet"])
    assert code == 0, (out / "validation_report.txt").read_text(encoding="utf-8")
    assert (out / "run_log.json").exists() and (out / "validation_report.txt").exists()
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(ORDER_LOGS))
def test_an_order_log_example_runs_and_counts_what_the_lessons_quote(name, tmp_path, monkeypatch):
    read, excluded, customers, returns_only, scoring = ORDER_LOGS[name]
    monkeypatch.setenv("KIT_ID_SALT", "a test salt")  # the Shopify export keys customers by email: pseudonyms need one
    summary = run(name, tmp_path)
    orders = summary["rows"]["orders"]
    if read is not None:
        assert (orders["read"], orders["excluded"]) == (read, excluded)
    assert summary["customers"] == customers
    assert summary["customers_with_returns_only"] == returns_only
    assert sum(summary["segments"].values()) == customers
    if scoring is not None:
        assert summary["rfm_scoring"]["method"] == scoring
    assert (tmp_path / "segments.csv").exists() and (tmp_path / "micro_segment_profiles.csv").exists()


def test_the_hillstrom_example_is_a_campaign_alone_and_writes_its_effects_and_balance(tmp_path):
    summary = run("hillstrom.toml", tmp_path)
    assert summary["rows"]["campaign"]["read"] == 64_000
    assert summary["customers"] == 0
    assert (tmp_path / "campaign_effects.csv").exists() and (tmp_path / "campaign_balance.csv").exists()
