"""Uplift models on the real Hillstrom test and on the sample's hidden truth: the kit's defaults before and after.

    python benchmarks/bench_hillstrom.py            # about 2 minutes on 2 cores
    python benchmarks/bench_hillstrom.py --splits 20

Hillstrom (MineThatData, 2008): Womens E-Mail against No E-Mail, outcome
visit, 42,693 customers. Each split holds out half of every (arm, visit) cell
(``holdout_split(..., outcome=visit)``); the models are fitted on the other
half and judged by uplift@30% and normalized Qini AUC on the held-out half.
"Before" is the kit's earlier default (gradient boosting,
``HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05)``), "after"
is :func:`helpers.uplift.default_estimator`. One more split, scikit-learn's
``train_test_split(test_size=0.5, stratify=arm and visit, random_state=42)``,
is the split behind the outside figures quoted beside it (scikit-uplift's
published pipeline: 0.0661).

The sample world: lesson 06's test and features, the same three splits as the
lesson, each method graded against each customer's true effect (ordering
quality, 1 = ordered by true effect, 0 = random). Results are saved to
benchmarks/results/hillstrom.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from helpers import grading
from helpers.data import load_world
from helpers.features import day_before_campaign
from helpers.predict import model_features
from helpers.real_data import hillstrom
from helpers.uplift import fit_uplift_models, judge_splits, score_all, split_scores, uplift_at_k

ROOT = Path(__file__).resolve().parent.parent
SKLIFT_PUBLISHED = 0.0661  # scikit-uplift's tutorial pipeline on the same question (the measurement)
EARLIER_DEFAULT = "gradient boosting (before)"
DEFAULT = "default_estimator (after)"


def earlier_default(random_state: int):
    return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, random_state=random_state)


def scores_on_splits(name: str, features, treated, outcome, seeds, by_outcome: bool = False) -> dict[int, pd.DataFrame]:
    """split_scores with one estimator; the earlier default seeded by each split, as the models seed one they build."""
    return {seed: split_scores(features, treated, outcome, random_states=(seed,), by_outcome=by_outcome,
                               estimator=earlier_default(seed) if name == EARLIER_DEFAULT else None)[seed]
            for seed in seeds}


def summarize(table: pd.DataFrame, column: str) -> pd.DataFrame:
    return table.groupby(["estimator", "method"], sort=False)[column].agg(["mean", "min", "max"])


def hillstrom_figures(splits: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    test = hillstrom("Womens E-Mail")
    visit = test.outcomes["visit"]
    rows, seed42 = [], []
    for name in (EARLIER_DEFAULT, DEFAULT):
        splits_scored = scores_on_splits(name, test.features, test.treated, visit, range(splits), by_outcome=True)
        rows.append(judge_splits(splits_scored, visit, test.treated).assign(estimator=name))
        estimator = earlier_default(42) if name == EARLIER_DEFAULT else None
        strata = test.treated.astype(str) + visit.astype(str)
        fit, held = train_test_split(np.arange(len(visit)), test_size=0.5, stratify=strata, random_state=42)
        models = fit_uplift_models(test.features.iloc[fit], test.treated.iloc[fit], visit.iloc[fit], estimator=estimator)
        scores = score_all(models, test.features.iloc[held])
        seed42 += [{"estimator": name, "method": method,
                    "uplift_at_30": uplift_at_k(visit.iloc[held], test.treated.iloc[held], scores[method], k=0.3)}
                   for method in scores]
    return pd.concat(rows, ignore_index=True), pd.DataFrame(seed42)


def sample_figures() -> pd.DataFrame:
    world = load_world()
    before = day_before_campaign(world)
    campaign = world.campaign.set_index("customer_id")
    treated, converted = campaign["arm"] == "treatment", campaign["converted"].astype(int)
    features = model_features(world, before).loc[campaign.index]
    rows = []
    for name in (EARLIER_DEFAULT, DEFAULT):
        splits = scores_on_splits(name, features, treated, converted, (0, 1, 2))
        judged = judge_splits(splits, converted, treated).merge(grading.grade_splits(world, splits),
                                                                on=["split", "method"])
        rows.append(judged.assign(estimator=name))
    return pd.concat(rows, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", type=int, default=10, help="Hillstrom splits (seeds 0, 1, ...)")
    args = parser.parse_args()
    start = time.perf_counter()
    judged, seed42 = hillstrom_figures(args.splits)
    pd.set_option("display.width", 140)
    print(f"Hillstrom, Womens E-Mail vs No E-Mail, outcome visit: {args.splits} splits stratified by arm and visit\n")
    print("uplift@30% on the held-out half")
    print(summarize(judged, "uplift_at_k").round(4).to_string(), "\n")
    print("normalized Qini AUC on the held-out half")
    print(summarize(judged, "qini_auc").round(4).to_string(), "\n")
    print(f"the seed-42 split (scikit-learn's train_test_split), beside scikit-uplift's published {SKLIFT_PUBLISHED}")
    print(seed42.set_index(["estimator", "method"])["uplift_at_30"].round(4).to_string(), "\n")
    graded = sample_figures()
    print("the sample world, lesson 06's three splits: ordering quality against the hidden truth")
    print(summarize(graded, "ordering_quality").round(3).to_string())
    print("   split 0 (lesson 06's first table):")
    print(graded[graded["split"] == 0].set_index(["estimator", "method"])["ordering_quality"].round(3).to_string())
    seconds = time.perf_counter() - start
    print(f"\n{seconds:.0f} s in all")
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    record = {"machine": platform.platform(), "python": platform.python_version(), "seconds": seconds,
              "hillstrom_splits": judged.to_dict("records"), "hillstrom_seed42": seed42.to_dict("records"),
              "sample_graded": graded.to_dict("records")}
    (out / "hillstrom.json").write_text(json.dumps(record, indent=1, default=float))


if __name__ == "__main__":
    main()
