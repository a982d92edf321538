"""The template pipeline (lesson 09's command line) on a large invoice-line export: seconds and peak memory.

    python -m helpers.world --customers 1000000 --no-compress --out /tmp/world-1m
    python benchmarks/bench_pipeline.py --world /tmp/world-1m --work /tmp/pipeline-1m

The world is first written as an invoice-line export and as a transaction
log (with their mapping files) in ``--work``; that step is not timed and is
skipped when the files are there. Then ``python -m helpers.pipeline`` runs on
each, as a scheduler would run it, in a child process whose wall time and
peak memory (max RSS) are measured. Results print as a Markdown table and are
saved to benchmarks/results/pipeline.json. Machines are noisy: compare
figures from one run, not across days.
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


def prepare(world: Path, work: Path) -> None:
    if (work / "invoice_lines.csv").exists() and (work / "transactions.csv").exists():
        return
    sys.path.insert(0, str(ROOT))
    from helpers.data import load_world
    from helpers.messy_exports import write_example_exports

    start = time.perf_counter()
    write_example_exports(load_world(world, unknown_customers="exclude"), work)
    print(f"wrote the exports in {time.perf_counter() - start:.0f} s", file=sys.stderr)


def lines_in(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b"")) - 1


def run(mapping: Path, out: Path) -> dict:
    """One pipeline run, as a grandchild under a small watcher process that reports the run's own peak memory."""
    command = [sys.executable, "-m", "helpers.pipeline", str(mapping), "--out", str(out), "--quiet"]
    watcher = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(code)")
    start = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", watcher, *command], cwd=ROOT, capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{mapping.name} failed ({child.returncode}):\n{child.stderr[-3000:]}")
    peak_kib = int(child.stderr.strip().splitlines()[-1])
    summary = json.loads((out / "summary.json").read_text())
    steps = json.loads((out / "run_log.json").read_text())["seconds"]
    return {"seconds": round(seconds, 1), "peak_rss_mib": round(peak_kib / 1024), "step_seconds": steps,
            "customers": summary["customers"], "orders_rows": summary["rows"]["orders"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--world", type=Path, required=True, help="a world folder made by python -m helpers.world")
    parser.add_argument("--work", type=Path, required=True, help="folder for the exports and the runs' output")
    parser.add_argument("--shapes", nargs="+", default=["invoices", "transactions"], choices=["invoices", "transactions"])
    args = parser.parse_args()
    prepare(args.world, args.work)
    results = []
    for shape in args.shapes:
        file = "invoice_lines.csv" if shape == "invoices" else "transactions.csv"
        result = {"shape": shape, "file_rows": lines_in(args.work / file),
                  **run(args.work / f"mapping_{shape}.toml", args.work / f"run_{shape}")}
        results.append(result)
        print(json.dumps(result), file=sys.stderr)
    print("| shape | file rows | customers | seconds | peak memory (MiB) | slowest steps (s) |\n|---|---|---|---|---|---|")
    for r in results:
        slowest = sorted(r["step_seconds"].items(), key=lambda item: -item[1])[:3]
        steps = ", ".join(f"{step} {s}" for step, s in slowest)
        print(f"| {r['shape']} | {r['file_rows']:,} | {r['customers']:,} | {r['seconds']} | {r['peak_rss_mib']:,} | {steps} |")
    out = {"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version(),
           "results": results}
    (ROOT / "benchmarks" / "results" / "pipeline.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
