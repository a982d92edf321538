"""The customer feature table and a clustering fit on a large world in memory: the kit's pandas helpers beside DuckDB.

    pip install -r benchmarks/requirements.txt
    python -m helpers.world --customers 1100000 --no-compress --out /tmp/world-1100k
    python -m helpers.scale parquet --world /tmp/world-1100k --out /tmp/pq-10m
    python benchmarks/bench_features.py --world /tmp/pq-10m

The feature table is lesson 10's (helpers.scale): per customer recency,
frequency, net value, tenure and order value, the share of spend in each
category, the share of orders by channel, the browsing events of each type
in the last 180 days, survey scores and interests, then R/F/M scores, the
named segment and the macro tier. Both engines start from the same tables
already in memory (read before the clock starts): pandas computes it with
the kit's helpers, DuckDB with the one SQL definition of helpers.scale
scanning those pandas tables. Then a nested clustering (4 macro tiers x
k = 4, MiniBatchKMeans above 50,000 rows) is fitted on the pandas features.
Each engine runs in its own child process; the script checks that both
tables agree row for row and saves benchmarks/results/features.json. For
the same table read from and written to Parquet, and on Spark, see
bench_scale.py.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_rfm import _memory_mib, engines_in_children  # noqa: E402


def run(engine: str, world: Path, repeats: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from helpers import scale
    definition = scale.definition_for(world)
    tables = scale.read_parquet_world(world, scale.input_columns(definition))
    loaded = _memory_mib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        features = scale.customer_features(tables, engine, definition=definition)
        seconds.append(time.perf_counter() - start)
    peak = _memory_mib("VmHWM")
    features.to_pickle(f"/tmp/bench_features_{engine}.pkl")
    result = {"engine": engine, "customers": len(features), "order_lines": len(tables.orders), "events": len(tables.events),
              "best_seconds": round(min(seconds), 2), "rss_after_load_mib": round(loaded),
              "peak_rss_while_computing_mib": round(peak)}
    if engine == "pandas":
        import pandas as pd
        from helpers.clustering import fit_nested
        macro = pd.Series(pd.Categorical(features["macro_tier"], categories=list(definition.tiers)), index=features.index)
        needs = scale.segment_features(features, definition.as_of)
        start = time.perf_counter()
        labels = fit_nested(needs, macro, k=4, random_state=0).labels
        result["clustering_seconds"] = round(time.perf_counter() - start, 1)
        result["clustered_customers"] = int(labels.notna().sum())
        result["peak_rss_with_clustering_mib"] = round(_memory_mib("VmHWM"))
    return result


def agree() -> bool:
    import pandas as pd
    sys.path.insert(0, str(ROOT))
    from helpers.scale import disagreements
    differ = disagreements(pd.read_pickle("/tmp/bench_features_pandas.pkl"), pd.read_pickle("/tmp/bench_features_duckdb.pkl"))
    if len(differ):
        print(differ.to_string(), file=sys.stderr)
    return differ.empty


def main() -> int:
    args, results = engines_in_children(__file__, __doc__.split("\n\n")[0], run, repeats=2)
    if results is None:
        return 0
    same = agree()
    pandas_result, duck = results
    print("| engine | customers | order lines | events | best s (features) | RSS after load (MiB) | peak computing (MiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['engine']} | {r['customers']:,} | {r['order_lines']:,} | {r['events']:,} | {r['best_seconds']} | "
              f"{r['rss_after_load_mib']:,} | {r['peak_rss_while_computing_mib']:,} |")
    print(f"\nfeatures: pandas / DuckDB = {pandas_result['best_seconds'] / duck['best_seconds']:.2f}x; agree: {same}")
    print(f"nested clustering of {pandas_result['clustered_customers']:,} customers: "
          f"{pandas_result['clustering_seconds']} s, peak {pandas_result['peak_rss_with_clustering_mib']:,} MiB")
    target = ROOT / "benchmarks" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "features.json").write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                                      "results": results, "agree": same}, indent=2) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
