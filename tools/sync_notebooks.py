"""Write the shared header of every lesson (title, Binder and Colab badges, setup cell) from one source.

    python tools/sync_notebooks.py          # rewrite the headers in place
    python tools/sync_notebooks.py --check  # exit 1 if any notebook is out of date (used by the tests)

The kit's public address lives here and nowhere else: a fork changes
``KIT_GITHUB`` and runs this script.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
KIT_GITHUB = "microseg-kit/microseg-kit"  # owner/name on GitHub
KIT_BRANCH = "main"

# notebook file -> title; the order is the course order
LESSONS = {
    "00_welcome_and_data.ipynb": "00 · Welcome to the retail world: tables, validation and first plots",
    "01_traditional_segmentation.ipynb": "01 · Traditional segmentation: four classic bases, and how mixed their segments are",
    "02_rfm_and_lifecycle.ipynb": "02 · Behavior: RFM scores, named segments, lifecycle stages and cohorts",
    "03_micro_segments_by_clustering.ipynb": "03 · Micro-segments by clustering, inside macro segments",
    "04_rule_based_and_predictive_micro_segments.ipynb": "04 · Rule-based and predictive micro-segments",
    "05_campaign_design_and_roi.ipynb": "05 · Campaign design and ROI: a plan per micro-segment, reach, money and export",
    "06_experiments_and_uplift.ipynb": "06 · Experiments and uplift: who should get the campaign, proven on the randomized test",
    "07_monitoring_segment_migration.ipynb": "07 · Monitoring segment migration: transitions, the moves that matter, drift alerts",
    "08_responsible_micro_segmentation.ipynb": "08 · Responsible micro-segmentation: limits, privacy, proxies, consent and fatigue",
    "09_template_bring_your_own_data.ipynb": "09 · Template: bring your own data, validated segments and audiences out, headless",
}

SETUP_SOURCE = f'''# Setup: makes the kit's `helpers` importable, locally, in Binder and in Colab.
# In Colab only, and only when the kit is not there yet, it fetches the kit and
# installs just the packages Colab lacks (Colab's pandas, numpy, scikit-learn,
# scipy, seaborn, matplotlib and ipywidgets are kept as they are).
import subprocess, sys
from pathlib import Path

KIT_REPO = "https://github.com/{KIT_GITHUB}.git"
kit_root = next((p for p in (Path.cwd(), *Path.cwd().parents) if (p / "helpers" / "__init__.py").exists()), None)
if kit_root is None and "google.colab" in sys.modules:
    kit_root = Path("/content/microseg-kit")
    if not kit_root.exists():
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", KIT_REPO, str(kit_root)], check=True)
    sys.path.insert(0, str(kit_root))
    from helpers.colab import install_missing
    install_missing()
if kit_root is None:
    raise RuntimeError("helpers/ not found: open this notebook from the kit's notebooks/ folder")
if str(kit_root) not in sys.path:
    sys.path.insert(0, str(kit_root))'''


def badges(filename: str) -> str:
    binder = f"https://mybinder.org/v2/gh/{KIT_GITHUB}/{KIT_BRANCH}?urlpath=lab/tree/notebooks/{filename}"
    colab = f"https://colab.research.google.com/github/{KIT_GITHUB}/blob/{KIT_BRANCH}/notebooks/{filename}"
    return (f"[![Open in Binder](https://mybinder.org/badge_logo.svg)]({binder}) "
            f"[![Open in Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})")


def header_cells(filename: str) -> list[dict]:
    title = LESSONS[filename]
    markdown = f"# {title}\n\n{badges(filename)}"
    return [
        {"cell_type": "markdown", "id": "kit-header", "metadata": {}, "source": _lines(markdown)},
        {"cell_type": "code", "id": "kit-setup", "metadata": {"tags": ["kit-setup"]}, "source": _lines(SETUP_SOURCE),
         "execution_count": None, "outputs": []},
    ]


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def _same_header(cell: dict, wanted: dict) -> bool:
    return cell.get("cell_type") == wanted["cell_type"] and "".join(cell.get("source", [])) == "".join(wanted["source"])


def sync(path: Path, write: bool = True) -> bool:
    """Make the first two cells of a notebook the generated header; return True if it was already current."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    wanted = header_cells(path.name)
    cells = nb["cells"]
    current = len(cells) >= 2 and all(_same_header(c, w) for c, w in zip(cells[:2], wanted))
    if current or not write:
        return current
    has_header = len(cells) >= 2 and cells[0].get("id") == "kit-header" and cells[1].get("id") == "kit-setup"
    if has_header:
        cells[0]["source"] = wanted[0]["source"]
        cells[1]["source"] = wanted[1]["source"]  # keep its execution count and outputs
    else:
        nb["cells"] = wanted + cells
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return False


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for filename in LESSONS:
        path = NOTEBOOKS / filename
        if not sync(path, write=not check):
            stale.append(filename)
    unknown = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb") if p.name not in LESSONS)
    if check and (stale or unknown):
        print("out of date:", stale, "not in LESSONS:", unknown)
        return 1
    if not check and stale:
        print("updated:", stale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
