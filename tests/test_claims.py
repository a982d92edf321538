"""Lessons' central conclusions, computed from the helpers and held against the sentences that state them."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from helpers.data import load_world
from helpers.features import model_definition, model_features
from helpers.predict import fit_and_evaluate, group_importance

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"


def pinned_environment() -> bool:
    """Whether this is the environment the lessons were stored in (requirements.txt's versions).

    The stored outputs, and so the digits the prose quotes, come from it; another scikit-learn (Colab's)
    fits slightly different trees, so elsewhere only the conclusions are checked, not the last digits.
    """
    import importlib.metadata
    pins = dict(line.strip().split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    return all(importlib.metadata.version(name) == pins[name] for name in ("scikit-learn", "pandas", "numpy"))


def prose(lesson: str) -> str:
    """All markdown of a stored lesson, as one text."""
    path = next(NOTEBOOKS.glob(f"{lesson}_*.ipynb"))
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def with_days_since_signup(world, cutoff):
    features = model_features(world, cutoff)
    signup = world.customers.set_index("customer_id")["signup_date"].reindex(features.index)
    return features.assign(days_since_signup=(pd.Timestamp(cutoff) - signup).dt.days)


@pytest.fixture(scope="module")
def churn():
    world = load_world()
    with threadpool_limits(1):
        kept = fit_and_evaluate(world, "churns", "2026-03-31", "2026-06-30", 90, buyers_only=True)
        calendar = fit_and_evaluate(world, "churns", "2026-03-31", "2026-06-30", 90, buyers_only=True,
                                    features=with_days_since_signup)
    return world, kept, calendar


def test_lesson_04_the_churn_model_is_carried_by_rfm_and_browsing_and_a_calendar_feature_costs_it(churn):
    world, kept, calendar = churn
    auc, worse = kept.metrics["auc"], calendar.metrics["auc"]
    assert auc > 0.7 and worse < auc - 0.05                      # the conclusion, whatever the exact digits
    text = prose("04")
    if pinned_environment():  # the quoted digits are those of the stored outputs
        assert f"falls from {auc:.3f} to {worse:.3f}" in text and f"(AUC {auc:.3f} to {worse:.3f})" in text
    importance = group_importance(kept.model, kept.features, kept.actual,
                                  model_definition(world, "2026-06-30").column_groups())
    assert list(importance.index[:2]) == ["rfm", "browsing"]
    assert (importance["auc_drop"].iloc[2:] < 0.02).all()          # "add a little ... almost nothing"
    assert "Two groups carry the model: **RFM**" in text and "**recent browsing**" in text


def test_lesson_09_quotes_lesson_04s_churn_model_as_it_is(churn):
    _, kept, _ = churn
    if not pinned_environment():
        pytest.skip("the digits quoted are the pinned environment's (the stored outputs')")
    assert (f"lesson 04's {kept.metrics['auc']:.3f} and {kept.metrics['top_decile_lift']:.2f}") in prose("09")
