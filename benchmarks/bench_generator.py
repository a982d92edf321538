"""Time the world generator at several sizes: seconds, peak memory and bytes written.

    python benchmarks/bench_generator.py                 # 10k, 100k and 1M customers
    python benchmarks/bench_generator.py --sizes 10000   # just one size

Each size runs in its own child process, so its peak memory (max RSS) is its
own. Results print as a Markdown table and are saved to
benchmarks/results/generator.json. Machines are noisy: compare figures from
one run, not across days.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_once(n_customers: int, seed: int, out: Path) -> dict:
    command = [sys.executable, "-m", "helpers.world", "--customers", str(n_customers), "--seed", str(seed),
               "--out", str(out), "--quiet"]
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"generator failed at {n_customers}: {child.stderr.read().decode()[-2000:]}")
    meta = json.loads((out / "world.json").read_text())
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"customers": n_customers, "seconds": round(seconds, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024),
            "megabytes_written": round(size / 2**20, 1), "order_lines": meta["rows"]["orders"],
            "events": meta["rows"]["events"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        out = Path(tempfile.mkdtemp(prefix=f"world-{n}-"))
        try:
            results.append(run_once(n, args.seed, out))
        finally:
            shutil.rmtree(out, ignore_errors=True)
        print(f"done {n:,} customers: {results[-1]}", file=sys.stderr)
    print("| customers | seconds | peak memory (MiB) | written (MB, gzip CSV) | order lines | events |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['customers']:,} | {r['seconds']} | {r['peak_rss_mib']:,} | {r['megabytes_written']} | "
              f"{r['order_lines']:,} | {r['events']:,} |")
    target = ROOT / "benchmarks" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "generator.json").write_text(json.dumps({"machine": platform.platform(), "cpus": os.cpu_count(),
                                                       "python": platform.python_version(), "results": results},
                                                      indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
