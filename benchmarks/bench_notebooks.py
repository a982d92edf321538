"""Time every lesson and measure its kernel's peak memory (the Binder budget is 1 GB per kernel).

    python benchmarks/bench_notebooks.py        # all lessons, in the current environment

Each notebook runs in a fresh kernel; after the last cell the kernel reports
its own peak resident memory (ru_maxrss). Results print as a Markdown table
and are saved to benchmarks/results/notebooks.json.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from sync_notebooks import LESSONS  # noqa: E402

PEAK = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def measure(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel():
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        probe = nbformat.v4.new_code_cell(PEAK)
        nb.cells.append(probe)  # the client writes results back into its notebook
        client.execute_cell(probe, len(nb.cells) - 1)
    peak_kib = int("".join(o.get("text", "") for o in probe.outputs).strip())
    return {"notebook": path.name, "seconds": round(seconds, 1), "peak_kernel_mib": round(peak_kib / 1024)}


def main() -> int:
    results = [measure(ROOT / "notebooks" / name) for name in LESSONS]
    print("| lesson | seconds | kernel peak memory (MiB) |")
    print("|---|---:|---:|")
    for r in results:
        print(f"| {r['notebook']} | {r['seconds']} | {r['peak_kernel_mib']} |")
    print(f"| all | {sum(r['seconds'] for r in results):.1f} | |")
    target = ROOT / "benchmarks" / "results"
    target.mkdir(parents=True, exist_ok=True)
    (target / "notebooks.json").write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
