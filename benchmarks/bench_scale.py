"""The customer feature table from Parquet on pandas, DuckDB and Spark (local mode): seconds and peak memory, by size.

    pip install -r benchmarks/requirements.txt        # DuckDB, PySpark, pyarrow; Spark also needs Java 17+
    python -m helpers.world --customers 1100000 --no-compress --out /tmp/world-1100k          # 10.4M order lines
    python -m helpers.scale parquet --world /tmp/world-1100k --out /tmp/pq-10m                  # validated
    python -m helpers.scale parquet --world /tmp/world-1100k --out /tmp/pq-100m --copies 10     # ten times over
    python benchmarks/bench_scale.py --data /tmp/pq-10m /tmp/pq-100m

Each engine runs in a process of its own: it reads the Parquet folder,
computes the feature table of lesson 10 (RFM, category, channel and
browsing features, R/F/M scores, named segments, macro tiers; see
helpers.scale) and writes it to Parquet. The parent samples the resident
memory of that process and all its descendants (Spark's JVM included) five
times a second, and stops a run that goes past --limit-gib (22 by default,
of the machine's 24): that engine did not fit. Afterwards the parent checks
that the tables the engines wrote agree row for row, and saves
benchmarks/results/scale.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("pandas", "duckdb", "spark")


def child(engine: str, data: Path, out: Path, cores: int, memory_gib: int) -> dict:
    """In the child process: one engine, one size."""
    sys.path.insert(0, str(ROOT))
    from helpers import scale
    spark, started = None, time.perf_counter()
    if engine == "spark":
        spark = scale.spark_session(cores=cores, memory=f"{memory_gib}g", shuffle_partitions=64)
    elif engine == "duckdb":
        import duckdb  # noqa: F401  (imported before the clock starts, like Spark's session)
    startup = time.perf_counter() - started
    start = time.perf_counter()
    scale.customer_features(data, engine, out=out, spark=spark,
                            duckdb_settings={"memory_limit": f"{memory_gib}GB", "threads": cores})
    seconds = time.perf_counter() - start
    rows = json.loads((data / "world.json").read_text())["rows"]
    return {"engine": engine, "order_lines": rows["orders"], "customers": rows["customers"],
            "events": rows["events"], "seconds": round(seconds, 1), "startup_seconds": round(startup, 1)}


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total / 2**20


def run_child(engine: str, data: Path, out: Path, args) -> dict:
    command = [sys.executable, __file__, "--child", engine, "--data", str(data), "--out", str(out),
               "--cores", str(args.cores), "--engine-memory-gib", str(args.engine_memory_gib)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    peak, began, over = 0.0, time.perf_counter(), False
    while process.poll() is None:
        peak = max(peak, tree_rss_mib(process.pid))
        if peak > args.limit_gib * 1024:
            over = True
            os.killpg(process.pid, 9)
            break
        time.sleep(0.2)
    stdout, stderr = process.communicate()
    wall = round(time.perf_counter() - began, 1)
    if over:
        return {"engine": engine, "fits": False, "peak_mib": round(peak), "wall_seconds": wall,
                "note": f"stopped after {wall} s: past {args.limit_gib} GiB"}
    if process.returncode:
        tail = stderr.strip().splitlines()[-1:] or ["(no message)"]
        return {"engine": engine, "fits": False, "peak_mib": round(peak), "wall_seconds": wall,
                "note": f"failed (exit {process.returncode}): {tail[0][:300]}"}
    result = json.loads(stdout.strip().splitlines()[-1])
    return {**result, "fits": True, "peak_mib": round(peak), "wall_seconds": wall}


def agreement(outputs: dict[str, Path]) -> dict[str, int]:
    """Rows that differ in any column, for each engine against the first one that finished (pandas if it did)."""
    sys.path.insert(0, str(ROOT))
    import pandas as pd
    from helpers import scale
    if len(outputs) < 2:
        return {}
    names = list(outputs)
    reference = pd.read_parquet(outputs[names[0]]).set_index("customer_id").sort_index()
    found = {}
    for name in names[1:]:
        other = pd.read_parquet(outputs[name]).set_index("customer_id").sort_index()[reference.columns]
        differ = scale.disagreements(reference, other)
        found[f"{name} vs {names[0]}"] = int(differ["rows"].sum()) if len(differ) else 0
        del other
    return found


def markdown_table(sizes: list[dict]) -> str:
    """The results as a Markdown table: seconds, ratio to DuckDB and peak memory per engine and size."""
    lines = ["| order lines | customers | engine | seconds | x DuckDB | peak memory (GiB) | note |",
             "|---:|---:|---|---:|---:|---:|---|"]
    for size in sizes:
        counts = next((r for r in size["results"] if "order_lines" in r), {})
        duck = next((r["seconds"] for r in size["results"] if r["engine"] == "duckdb" and r["fits"]), None)
        for r in size["results"]:
            seconds = ratio = "-"
            if r["fits"]:
                seconds = f"{r['seconds']}" + (f" (+{r['startup_seconds']} start)" if r["startup_seconds"] >= 1 else "")
                ratio = f"{r['seconds'] / duck:.1f}" if duck else ""
            lines.append(f"| {counts.get('order_lines', 0):,} | {counts.get('customers', 0):,} | {r['engine']} | "
                         f"{seconds} | {ratio} | {r['peak_mib'] / 1024:.1f} | {r.get('note', '')} |")
        differ = ", ".join(f"{pair}: {n:,}" for pair, n in size["rows_that_differ"].items()) or "(one engine only)"
        lines.append(f"| | | rows that differ | {differ} | | | |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, nargs="+", help="Parquet world folders (python -m helpers.scale parquet)")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--limit-gib", type=float, default=22.0, help="stop an engine past this much memory")
    parser.add_argument("--engine-memory-gib", type=int, default=14,
                        help="what DuckDB (memory_limit) and Spark (driver memory) may use")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/bench_scale"))
    parser.add_argument("--results", default="scale.json", help="file name in benchmarks/results/")
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data[0], args.out, args.cores, args.engine_memory_gib)))
        return 0
    args.scratch.mkdir(parents=True, exist_ok=True)
    sizes = []
    for data in args.data:
        results, outputs = [], {}
        for engine in args.engines:
            out = args.scratch / f"{data.name}-{engine}.parquet"
            subprocess.run(["rm", "-rf", str(out)], check=True)
            print(f"{data.name}: {engine} ...", file=sys.stderr, flush=True)
            result = run_child(engine, data, out, args)
            print(f"  {result}", file=sys.stderr, flush=True)
            results.append(result)
            if result["fits"]:
                outputs[engine] = out
        sizes.append({"data": str(data), "results": results, "rows_that_differ": agreement(outputs)})
    target = ROOT / "benchmarks" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / args.results).write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                                   "cores_used": args.cores, "limit_gib": args.limit_gib,
                                                   "sizes": sizes}, indent=2) + "\n")
    print(markdown_table(sizes))
    agreed = all(n == 0 for size in sizes for n in size["rows_that_differ"].values())
    return 0 if agreed else 1


if __name__ == "__main__":
    raise SystemExit(main())
