"""The RFM table on a large world: the kit's pandas helper beside the same aggregation in DuckDB, in one run.

    pip install -r benchmarks/requirements.txt            # DuckDB is a benchmark-only dependency
    python -m helpers.world --customers 1000000 --no-compress --out /tmp/world-1m
    python benchmarks/bench_rfm.py --world /tmp/world-1m

Each engine runs in its own child process on the same order lines (read
once per process, typed, guest and duplicate rows dropped as validation
would), three times; the table reports the best and the median time, the
process's memory after loading and its peak while aggregating, and whether DuckDB's result
agrees with pandas' row for row. Results are saved to
benchmarks/results/rfm.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2026-09-30"

DUCKDB_RFM = """
SELECT customer_id,
       date_diff('day', CAST(MAX(order_ts) FILTER (WHERE status = 'completed') AS DATE), DATE '{as_of}') AS recency_days,
       COUNT(DISTINCT order_id) FILTER (WHERE status = 'completed') AS frequency,
       ROUND(SUM(CASE WHEN status <> 'cancelled' THEN quantity * unit_price * (1 - discount) ELSE 0 END), 2) AS monetary,
       date_diff('day', CAST(MIN(order_ts) FILTER (WHERE status = 'completed') AS DATE), DATE '{as_of}') AS tenure_days
FROM orders
WHERE order_ts < DATE '{as_of}' + INTERVAL 1 DAY
GROUP BY customer_id
ORDER BY customer_id
"""


def _memory_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_orders(world: Path):
    import pandas as pd
    path = next(p for p in (world / "orders.csv", world / "orders.csv.gz") if p.exists())
    orders = pd.read_csv(path, dtype={"order_id": "int64", "line_number": "int64", "customer_id": "float64",
                                      "product_id": "str", "quantity": "int64", "unit_price": "float64",
                                      "discount": "float64", "channel": "str", "status": "category"},
                         parse_dates=["order_ts"], date_format="%Y-%m-%d %H:%M:%S")
    orders["channel"] = orders["channel"].str.strip().str.lower()  # the repair validation makes
    orders = orders[orders["customer_id"].notna()].drop_duplicates()
    return orders.astype({"customer_id": "int64", "channel": "category"}).reset_index(drop=True)


def run_engine(engine: str, world: Path, repeats: int) -> dict:
    orders = load_orders(world)
    loaded = _memory_mib("VmRSS")
    try:  # reset the peak (Linux), so that it measures the aggregation rather than reading the CSV
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    if engine == "pandas":
        from helpers.rfm import rfm_table

        def once():
            return rfm_table(orders, as_of=AS_OF)
    else:
        import duckdb
        connection = duckdb.connect()
        connection.register("orders", orders)
        query = DUCKDB_RFM.format(as_of=AS_OF)

        def once():
            return connection.sql(query).df().set_index("customer_id")
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = once()
        seconds.append(time.perf_counter() - start)
    result.to_pickle(f"/tmp/bench_rfm_{engine}.pkl")
    return {"engine": engine, "order_lines": len(orders), "customers": len(result),
            "best_seconds": round(min(seconds), 3), "median_seconds": round(statistics.median(seconds), 3),
            "rss_after_load_mib": round(loaded), "peak_rss_while_aggregating_mib": round(_memory_mib("VmHWM"))}


def agree() -> bool:
    import numpy as np
    import pandas as pd
    mine = pd.read_pickle("/tmp/bench_rfm_pandas.pkl")
    theirs = pd.read_pickle("/tmp/bench_rfm_duckdb.pkl").reindex(mine.index)
    return all(np.allclose(mine[c].astype(float), theirs[c].astype(float), equal_nan=True, atol=0.011)
               for c in ("recency_days", "frequency", "monetary", "tenure_days"))


def engines_in_children(script: str, description: str, run, repeats: int) -> tuple[argparse.Namespace, list | None]:
    """Parse the command line; in a child (``--engine``), run one engine and print its JSON.

    In the parent, run every engine as a child process of ``script`` (each
    with its own memory) and return their results; in a child, return None.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--world", type=Path, required=True, help="a world folder (CSV from python -m helpers.world; bench_features: Parquet from python -m helpers.scale)")
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--engine", choices=["pandas", "duckdb"], help=argparse.SUPPRESS)  # the child's role
    args = parser.parse_args()
    if args.engine:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(run(args.engine, args.world, args.repeats)))
        return args, None
    results = []
    for engine in ("pandas", "duckdb"):
        out = subprocess.run([sys.executable, script, "--world", str(args.world), "--repeats", str(args.repeats),
                              "--engine", engine], capture_output=True, text=True)
        if out.returncode:
            raise SystemExit(f"the {engine} run failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return args, results


def main() -> int:
    args, results = engines_in_children(__file__, __doc__.split("\n\n")[0], run_engine, repeats=3)
    if results is None:
        return 0
    same = agree()
    ratio = results[0]["best_seconds"] / results[1]["best_seconds"]
    print("| engine | order lines | customers | best s | median s | RSS after load (MiB) | peak RSS aggregating (MiB) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['engine']} | {r['order_lines']:,} | {r['customers']:,} | {r['best_seconds']} | "
              f"{r['median_seconds']} | {r['rss_after_load_mib']:,} | {r['peak_rss_while_aggregating_mib']:,} |")
    print(f"\npandas / DuckDB time (best of {args.repeats}): {ratio:.2f}x; results agree row for row: {same}; "
          f"{os.cpu_count()} cores")
    target = ROOT / "benchmarks" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "rfm.json").write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                                 "results": results, "ratio": round(ratio, 2), "agree": same},
                                                indent=2) + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
