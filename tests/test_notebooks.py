"""Every lesson is stored executed, in order, without errors, with its shared header, goals, exercises and recap.

nbval (run by ./kit.sh test) re-executes the notebooks and compares outputs;
these checks catch what nbval does not: a notebook saved half-run or with a
stale header, a lesson without exercises.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kit_tools.sync_notebooks import INDEX_LINK, LESSONS, sync

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS = [ROOT / "notebooks" / name for name in LESSONS]


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_headers_are_in_sync_with_their_single_source():
    result = subprocess.run([sys.executable, "-m", "kit_tools.sync_notebooks", "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_executed_top_to_bottom_without_errors(path):
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-run the notebook top to bottom and save it"
    assert "widgets" not in nb["metadata"], "store with tools/store_notebooks.py (widget ids are random)"
    for cell in code:
        assert "execution" not in cell["metadata"], "store with tools/store_notebooks.py (no timestamps)"
        assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in cell["outputs"])
        for out in cell["outputs"]:
            assert out["output_type"] != "error", "".join(cell["source"])[:80]
            text = "".join(out.get("text", "")) + json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"0x[0-9a-f]{8,}", text), "a memory address in an output is not reproducible"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_lesson_shape_goals_exercises_recap(path):
    nb = _load(path)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert "## Learning goals" in markdown and "## Recap" in markdown
    checks = set(re.findall(r"ex\.(q\d+)\.check\(answer_\d+\)", code))
    assert len(checks) >= 3, "a lesson needs at least three self-checking exercises"
    assert "today()" not in code and ".now()" not in code, "lessons use the fixed as-of date"


def test_every_lesson_links_to_its_neighbours_and_the_index_at_top_and_bottom():
    names = list(LESSONS)
    for position, name in enumerate(names):
        nb = _load(ROOT / "notebooks" / name)
        top, bottom = "".join(nb["cells"][0]["source"]), "".join(nb["cells"][-1]["source"])
        for bar in (top, bottom):
            assert f"[course index]({INDEX_LINK})" in bar
            neighbours = [n for n in names if f"({n})" in bar]
            expected = names[max(position - 1, 0):position] + names[position + 1:position + 2]
            assert neighbours == expected, (name, neighbours)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "#the-lessons" in INDEX_LINK and "\n## The lessons\n" in readme
    for name in names:
        assert f"(notebooks/{name})" in readme


def test_the_sync_check_notices_a_stale_footer(tmp_path):
    nb = _load(NOTEBOOKS[3])
    nb["cells"][-1]["source"] = ["---\n", "an old bar"]
    copy = tmp_path / NOTEBOOKS[3].name
    copy.write_text(json.dumps(nb), encoding="utf-8")
    assert not sync(copy, write=False)
    assert not sync(copy) and sync(copy, write=False)        # rewriting it makes it current
    assert len(_load(copy)["cells"]) == len(nb["cells"])      # the footer is replaced, not added again


def test_the_teachers_guide_and_the_bug_template_cover_every_lesson():
    guide = (ROOT / "docs" / "TEACHERS_GUIDE.md").read_text(encoding="utf-8")
    for name in LESSONS:
        assert f"(../notebooks/{name})" in guide, name      # the generated syllabus links every lesson
    assert "## Resetting the data and the lessons" in guide and "sha256sum -c CHECKSUMS.sha256" in guide
    yaml = pytest.importorskip("yaml")
    template = yaml.safe_load((ROOT / ".github" / "ISSUE_TEMPLATE" / "bug_report.yml").read_text(encoding="utf-8"))
    fields = {item["id"]: item for item in template["body"]}
    assert {"lesson", "cell", "environment", "versions", "error"} <= set(fields)
    assert list(LESSONS.values()) == fields["lesson"]["attributes"]["options"][:len(LESSONS)]
    assert {"Google Colab", "Binder"} <= set(fields["environment"]["attributes"]["options"])
