"""Lifetime-value models (helpers.clv): fit times and the published CDNOW results, in one run.

    python benchmarks/bench_clv.py                          # CDNOW: the paper's cohort and the whole log
    python -m helpers.world --customers 1000000 --no-compress --out /tmp/world-1m
    python benchmarks/bench_clv.py --world /tmp/world-1m    # and a million-customer world

Prints, for each data set: customers, the time to build the purchase history,
to fit BG/NBD and Gamma-Gamma, and to score every customer (P(alive),
expected purchases, CLV); for the paper's cohort, the estimates beside the
published ones and the holdout forecast (weeks 40-78). Times are the best of
three runs in this process. Results are saved to benchmarks/results/clv.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from helpers.clv import (fit_bgnbd, fit_gamma_gamma, lifetime_value, purchase_history, purchases_between,
                         repeat_purchase_tracking)
from helpers.real_data import cdnow

ROOT = Path(__file__).resolve().parent.parent
PAPER = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.4}
CALIBRATION_END, HOLDOUT_END = "1997-09-30", "1998-06-30"


def best_of(runs: int, work):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def measure(name: str, orders, as_of: str, unit: str, horizon: float) -> dict:
    history_s, history = best_of(3, lambda: purchase_history(orders, as_of, unit=unit))
    bgnbd_s, model = best_of(3, lambda: fit_bgnbd(history, unit=unit))
    spend_s, spend = best_of(3, lambda: fit_gamma_gamma(history))
    score_s, _ = best_of(3, lambda: lifetime_value(model, spend, history, horizon=horizon, margin=0.3))
    row = {"data": name, "customers": len(history), "history_s": history_s, "bgnbd_fit_s": bgnbd_s,
           "gamma_gamma_fit_s": spend_s, "score_s": score_s,
           "bgnbd": {**model.parameters(), "log_likelihood": model.log_likelihood},
           "gamma_gamma": {"p": spend.p, "q": spend.q, "gamma": spend.gamma}}
    print(f"{name:<34} {len(history):>10,} customers   history {history_s:6.2f} s   BG/NBD fit {bgnbd_s:6.3f} s   "
          f"Gamma-Gamma fit {spend_s:6.3f} s   score (CLV over {horizon:g} {unit}) {score_s:6.2f} s")
    return row | {"_model": model, "_history": history}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, help="a generated world's folder (orders.csv), e.g. a million customers")
    args = parser.parse_args()
    rows = []

    cohort = cdnow(sample=True)
    row = measure("CDNOW 1/10 cohort (weeks)", cohort.orders, CALIBRATION_END, "weeks", 52)
    model, history = row.pop("_model"), row.pop("_history")
    print("\n  BG/NBD on the cohort, weeks 1-39     r       alpha   a       b       log-likelihood")
    print("  Fader, Hardie & Lee (2005)         " + "  ".join(f"{PAPER[k]:<6}" for k in ("r", "alpha", "a", "b"))
          + f"  {PAPER['log_likelihood']}")
    print("  helpers.clv                        " + "  ".join(f"{v:<6.4g}" for v in model.parameters().values())
          + f"  {model.log_likelihood:.1f}")
    tracking = repeat_purchase_tracking(cohort.orders, model, history, CALIBRATION_END, HOLDOUT_END)
    holdout = purchases_between(cohort.orders, history, CALIBRATION_END, HOLDOUT_END)
    expected = model.expected_purchases(history, 39)
    made, forecast = tracking["cumulative_actual"].iloc[-1], tracking["cumulative_expected"].iloc[-1]
    row["holdout"] = {"repeat_purchases_made": int(holdout.sum()), "expected_given_history": float(expected.sum()),
                      "cumulative_made_week_78": int(made), "cumulative_forecast_week_78": float(forecast),
                      "correlation_per_customer": float(np.corrcoef(holdout, expected)[0, 1])}
    print(f"  holdout weeks 40-78: {holdout.sum():,} repeat purchases made, {expected.sum():,.0f} expected from each "
          f"customer's history ({expected.sum() / holdout.sum() - 1:+.1%}); cumulative by week 78 {made:,.0f} made, "
          f"{forecast:,.0f} forecast ({forecast / made - 1:+.1%}); correlation per customer "
          f"{row['holdout']['correlation_per_customer']:.3f}\n")
    rows.append(row)

    master = cdnow(sample=False)
    rows.append(measure("CDNOW whole cohort (weeks)", master.orders, CALIBRATION_END, "weeks", 52))
    if args.world:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from bench_rfm import load_orders  # the same typed read as the RFM benchmark
        start = time.perf_counter()
        orders = load_orders(args.world)
        print(f"(read {len(orders):,} order lines in {time.perf_counter() - start:.0f} s)")
        as_of = json.loads((args.world / "world.json").read_text())["as_of"]
        rows.append(measure(f"generated world {args.world.name} (days)", orders, as_of, "days", 365))
    for row in rows:
        row.pop("_model", None), row.pop("_history", None)
    out = ROOT / "benchmarks" / "results" / "clv.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "processor": platform.processor(), "rows": rows},
                              indent=2), encoding="utf-8")
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
