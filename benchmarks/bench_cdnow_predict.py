"""Repeat-purchase prediction on CDNOW (issue 17): a plain RFM logistic regression against the kit's model, in one run.

    python benchmarks/bench_cdnow_predict.py              # the whole log (23,570 customers) and the 1/10 sample

The question: who buys again between 1997-10-01 and 1998-06-30, judged on
features at 1997-09-30. The design (helpers.predict.holdout_design): the
models learn from features at 1997-03-31, the end of the quarter in which
every CDNOW customer made a first purchase, and from who bought in the 183
days after it, up to the judging cut-off. No outcome after 1997-09-30 is seen
in training: a training window as long as the judged one (273 days) would
end on 1997-12-29, inside the judged window, and would be leakage.

Printed per data set, each an AUC on the judged window (4 decimals):

* the issue's figure, recomputed: a logistic regression on log(1 + x) of
  recency, repeat purchases, monetary value, tenure and mean spend per order,
  fitted *on the judged outcomes themselves* and scored in-sample (it peeks:
  a ceiling for a five-feature RFM logistic regression, not a forecast);
* the same-design baseline: a logistic regression on the five RFM features of
  :func:`helpers.features.model_features` (recency, frequency, monetary,
  tenure, aov), through :func:`helpers.predict.fit_and_evaluate`;
* the kit's models through the same design: :func:`model_features` with and
  without BG/NBD's quantities (``clv=True``), logistic and gradient boosting;
  the kit's choice (``KIT_MODEL``) was made on an inner design that never
  sees the judged window (learn at 1997-03-31 to 1997-06-30, judged at
  1997-06-30 to 1997-09-30), whose AUCs are printed too.

Fit times are wall-clock seconds of one fit_and_evaluate call (features,
BG/NBD fits, model). Results are saved to benchmarks/results/cdnow_predict.json.
"""
from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from helpers.clv import purchase_history
from helpers.features import model_features
from helpers.predict import fit_and_evaluate, outcomes
from helpers.real_data import cdnow

ROOT = Path(__file__).resolve().parent.parent
TRAIN_CUTOFF, TEST_CUTOFF, TEST_END, TRAIN_HORIZON_DAYS = "1997-03-31", "1997-09-30", "1998-06-30", 183
INNER = {"train_cutoff": "1997-03-31", "test_cutoff": "1997-06-30", "end": "1997-09-30", "train_horizon_days": 91}
DESIGN = {"train_cutoff": TRAIN_CUTOFF, "test_cutoff": TEST_CUTOFF, "end": TEST_END, "train_horizon_days": TRAIN_HORIZON_DAYS}
RFM5 = ["recency_days", "frequency", "monetary", "tenure_days", "aov"]


def rfm5(world, as_of) -> pd.DataFrame:
    """The five RFM columns of :func:`model_features`: the plain baseline's features."""
    return model_features(world, as_of)[RFM5]


ROUTES = {  # name: fit_and_evaluate's options
    "baseline: RFM5 logistic": {"features": rfm5, "model": "logistic"},
    "RFM5 + BG/NBD logistic": {"features": rfm5, "model": "logistic", "clv": True},
    "model_features logistic": {"model": "logistic"},
    "model_features + BG/NBD logistic": {"model": "logistic", "clv": True},
    "model_features boosting": {"model": "boosting"},
    "model_features + BG/NBD boosting": {"model": "boosting", "clv": True},
}
BASELINE, KIT_MODEL = "baseline: RFM5 logistic", "model_features + BG/NBD logistic"


def auc(evaluation) -> float:
    """The AUC of an evaluation's predictions on its judged window, unrounded."""
    return float(roc_auc_score(evaluation.actual, evaluation.predictions))


def evaluate(world, route: str, design: dict = DESIGN):
    """One route of :data:`ROUTES` on the repeat-purchase question ("buys" in the judged window)."""
    return fit_and_evaluate(world, "buys", **design, **ROUTES[route])


def issue_baseline(world) -> float:
    """The issue's 0.7715, recomputed: five log RFM features, fitted and scored in-sample on the judged outcomes."""
    history = purchase_history(world.orders, TEST_CUTOFF, unit="days")
    table = model_features(world, TEST_CUTOFF)
    x = pd.DataFrame({"recency_days": table["recency_days"], "repeat_purchases": history["repeat_purchases"],
                      "monetary": table["monetary"], "tenure_days": table["tenure_days"], "mean_spend": table["aov"]})
    if x.isna().any().any():
        raise ValueError(f"CDNOW: customers {x.index[x.isna().any(axis=1)][:5].tolist()} have no purchase history")
    bought = outcomes(world, TEST_CUTOFF, (pd.Timestamp(TEST_END) - pd.Timestamp(TEST_CUTOFF)).days)["bought"]
    y = bought.reindex(x.index).eq(True)
    model = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(), LogisticRegression(max_iter=5000))
    return float(roc_auc_score(y, model.fit(x.clip(lower=0), y).predict_proba(x.clip(lower=0))[:, 1]))


def measure(name: str, world) -> dict:
    row = {"data": name, "customers": len(world.customers), "issue_in_sample_baseline": issue_baseline(world),
           "routes": {}}
    print(f"\n{name}: {len(world.customers):,} customers; judged: buys in ({TEST_CUTOFF}, {TEST_END}]; "
          f"learns at {TRAIN_CUTOFF} from ({TRAIN_CUTOFF}, {TRAIN_CUTOFF} + {TRAIN_HORIZON_DAYS} days]")
    print(f"  {'issue baseline (in-sample, peeks)':<36} {'':>12} AUC {row['issue_in_sample_baseline']:.4f}")
    for route in ROUTES:
        start = time.perf_counter()
        evaluation = evaluate(world, route)
        seconds = time.perf_counter() - start
        inner = auc(evaluate(world, route, INNER))
        row["routes"][route] = {"auc": auc(evaluation), "inner_auc": inner, "fit_s": seconds,
                                "base_rate": evaluation.metrics["base_rate"]}
        mark = "  <- the kit's model" if route == KIT_MODEL else ""
        print(f"  {route:<36} inner {inner:.4f}   AUC {auc(evaluation):.4f}   fit {seconds:5.2f} s{mark}")
    return row


def main() -> None:
    rows = [measure("CDNOW master log", cdnow(sample=False)), measure("CDNOW 1/10 sample", cdnow(sample=True))]
    out = ROOT / "benchmarks" / "results" / "cdnow_predict.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"python": sys.version.split()[0], "machine": platform.machine(), "design": DESIGN,
                               "inner_design": INNER, "kit_model": KIT_MODEL, "rows": rows}, indent=2))
    print(f"\nsaved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
