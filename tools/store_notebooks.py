"""Execute lessons top to bottom in the current (pinned) environment and store them with their outputs.

    python -m kit_tools.store_notebooks                        # every lesson
    python -m kit_tools.store_notebooks notebooks/02_*.ipynb   # some
    (python tools/store_notebooks.py ... does the same where the kit is installed: pip install -e .)

Use this rather than "Run all + Save" so the stored file is the same on every
run: no execution timestamps in cell metadata, and no widget state or widget
views (their model ids are random; the stored cell says where an explorer
appears), only the outputs nbval compares.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from kit_tools.sync_notebooks import LESSONS, NOTEBOOKS, sync

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_PLACEHOLDER = "[An interactive explorer appears here when you run the notebook.]"


def store(path: Path) -> None:
    sync(path)  # the shared header first, so the stored run includes it
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if data.pop(WIDGET_VIEW, None) is not None:  # its model id is random and GitHub cannot show it
                data["text/plain"] = WIDGET_PLACEHOLDER
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or [NOTEBOOKS / name for name in LESSONS]
    for path in paths:
        print(f"executing {path.name}", file=sys.stderr)
        store(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
