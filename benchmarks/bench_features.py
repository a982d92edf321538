"""The customer feature table and a clustering fit on a large world, beside the same aggregation in DuckDB.

    pip install -r benchmarks/requirements.txt
    python -m helpers.world --customers 1000000 --no-compress --out /tmp/world-1m
    python benchmarks/bench_features.py --world /tmp/world-1m

The feature table is what lesson 03 clusters on, per customer: recency,
frequency and net value, the share of spend in each category, the share of
orders by channel and the browsing events of each type in the last 180 days.
pandas computes it with the kit's helpers; DuckDB with one SQL query on the
same in-memory tables. Then a nested clustering (4 macro tiers x k = 4,
MiniBatchKMeans above 50,000 rows) is fitted on the pandas features. Each
engine runs in its own child process; the script checks that both feature
tables agree and saves benchmarks/results/features.json.
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
from bench_rfm import AS_OF, _memory_mib, engines_in_children, load_orders  # noqa: E402

DUCKDB_FEATURES = """
WITH lines AS (
    SELECT o.*, p.category,
           CASE WHEN o.status <> 'cancelled' THEN o.quantity * o.unit_price * (1 - o.discount) ELSE 0 END AS value
    FROM orders o JOIN products p USING (product_id)
    WHERE o.order_ts < DATE '{as_of}' + INTERVAL 1 DAY),
per_category AS (
    SELECT customer_id, category, GREATEST(ROUND(SUM(value), 2), 0) AS spend FROM lines GROUP BY customer_id, category),
categories AS (
    SELECT customer_id, {category_columns} FROM per_category GROUP BY customer_id),
rfm AS (
    SELECT customer_id,
           date_diff('day', CAST(MAX(order_ts) FILTER (WHERE status = 'completed') AS DATE), DATE '{as_of}') AS recency_days,
           COUNT(DISTINCT order_id) FILTER (WHERE status = 'completed') AS frequency,
           SUM(value) AS monetary
    FROM lines GROUP BY customer_id),
channels AS (
    SELECT customer_id,
           AVG(CASE WHEN channel = 'web' THEN 1.0 ELSE 0 END) AS channel_web,
           AVG(CASE WHEN channel = 'app' THEN 1.0 ELSE 0 END) AS channel_app,
           AVG(CASE WHEN channel = 'store' THEN 1.0 ELSE 0 END) AS channel_store
    FROM (SELECT DISTINCT ON (order_id) order_id, customer_id, channel FROM lines WHERE status = 'completed')
    GROUP BY customer_id),
browsing AS (
    SELECT customer_id, {browse_columns}
    FROM events
    WHERE event_ts >= DATE '{as_of}' + INTERVAL 1 DAY - INTERVAL 180 DAY AND event_ts < DATE '{as_of}' + INTERVAL 1 DAY
    GROUP BY customer_id)
SELECT c.customer_id, rfm.recency_days, COALESCE(rfm.frequency, 0) AS frequency, COALESCE(rfm.monetary, 0) AS monetary,
       {category_select}, COALESCE(channel_web, 0) AS channel_web, COALESCE(channel_app, 0) AS channel_app,
       COALESCE(channel_store, 0) AS channel_store, {browse_select}
FROM customers c
LEFT JOIN rfm USING (customer_id) LEFT JOIN categories USING (customer_id)
LEFT JOIN channels USING (customer_id) LEFT JOIN browsing USING (customer_id)
ORDER BY c.customer_id
"""


def load(world: Path):
    import pandas as pd
    orders = load_orders(world)
    products = pd.read_csv(next(world.glob("products.csv*")))
    customers = pd.read_csv(next(world.glob("customers.csv*")), usecols=["customer_id"]).drop_duplicates()
    events = pd.read_csv(next(world.glob("events.csv*")), usecols=["customer_id", "event_ts", "event_type"],
                         dtype={"customer_id": "float64", "event_type": "category"},
                         parse_dates=["event_ts"], date_format="%Y-%m-%d %H:%M:%S")
    events = events[events["customer_id"].notna()].drop_duplicates().astype({"customer_id": "int64"})
    return orders, products, customers.sort_values("customer_id").reset_index(drop=True), events


def pandas_features(orders, products, customers, events):
    from helpers.clustering import browsing_counts
    from helpers.features import category_shares, channel_shares
    from helpers.rfm import rfm_table
    index = customers.set_index("customer_id").index
    rfm = rfm_table(orders, index, AS_OF)
    return (rfm[["recency_days", "frequency", "monetary"]]
            .join(category_shares(orders, products, index, AS_OF))
            .join(channel_shares(orders, index, AS_OF))
            .join(browsing_counts(events, index, AS_OF)))


def duckdb_features(orders, products, customers, events):
    import duckdb
    from helpers.clustering import BROWSING
    connection = duckdb.connect()
    for name, frame in (("orders", orders), ("products", products), ("customers", customers), ("events", events)):
        connection.register(name, frame)
    categories = sorted(products["category"].unique())
    quote = lambda text: text.replace("'", "''")  # noqa: E731
    query = DUCKDB_FEATURES.format(
        as_of=AS_OF,
        category_columns=", ".join(f"SUM(spend) FILTER (WHERE category = '{quote(c)}') / NULLIF(SUM(spend), 0) "
                                   f"AS \"cat: {c}\"" for c in categories),
        category_select=", ".join(f"COALESCE(\"cat: {c}\", 0) AS \"cat: {c}\"" for c in categories),
        browse_columns=", ".join(f"COUNT(*) FILTER (WHERE event_type = '{e}') AS browse_{e}" for e in BROWSING),
        browse_select=", ".join(f"COALESCE(browse_{e}, 0) AS browse_{e}" for e in BROWSING))
    return connection.sql(query).df().set_index("customer_id")


def run(engine: str, world: Path, repeats: int) -> dict:
    tables = load(world)
    loaded = _memory_mib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    compute = pandas_features if engine == "pandas" else duckdb_features
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        features = compute(*tables)
        seconds.append(time.perf_counter() - start)
    peak = _memory_mib("VmHWM")
    features.to_pickle(f"/tmp/bench_features_{engine}.pkl")
    result = {"engine": engine, "customers": len(features), "order_lines": len(tables[0]), "events": len(tables[3]),
              "best_seconds": round(min(seconds), 2), "rss_after_load_mib": round(loaded),
              "peak_rss_while_computing_mib": round(peak)}
    if engine == "pandas":
        from helpers.clustering import fit_nested, macro_segments
        from helpers.rfm import name_segments, rfm_scores
        macro = macro_segments(name_segments(rfm_scores(features)))
        needs = features.drop(columns=["recency_days", "frequency", "monetary"])
        start = time.perf_counter()
        labels = fit_nested(needs, macro, k=4, seed=0).labels
        result["clustering_seconds"] = round(time.perf_counter() - start, 1)
        result["clustered_customers"] = int(labels.notna().sum())
        result["peak_rss_with_clustering_mib"] = round(_memory_mib("VmHWM"))
    return result


def agree() -> bool:
    import numpy as np
    import pandas as pd
    mine = pd.read_pickle("/tmp/bench_features_pandas.pkl")
    theirs = pd.read_pickle("/tmp/bench_features_duckdb.pkl").reindex(index=mine.index, columns=mine.columns)
    return bool(np.allclose(mine.astype(float), theirs.astype(float), equal_nan=True, atol=0.011))


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
