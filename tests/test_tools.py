"""The course tools (kit_tools) and the package: lessons run headless from tools, never from helpers; pyproject.toml
installs the kit with the extras the requirements files pin; the console commands point at real functions."""
from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

import kit_tools.run_lessons as run_lessons
from kit_tools.run_lessons import lesson_file, main, missing_for, with_parameters
from kit_tools.sync_notebooks import LESSONS

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _pins(name: str) -> dict[str, str]:
    """``name==version`` lines of one requirements file (not the files it includes)."""
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return dict(line.split("==") for line in lines if "==" in line and not line.startswith("#"))


def _ranges(*groups: str) -> dict[str, Requirement]:
    project = PYPROJECT["project"]
    found = [Requirement(r) for r in project["dependencies"]] if "core" in groups else []
    found += [Requirement(r) for g in groups if g != "core" for r in project["optional-dependencies"][g]]
    return {r.name: r for r in found if r.name != project["name"]}


@pytest.fixture()
def executed(monkeypatch):
    """Record the lessons main would execute, instead of executing them."""
    ran = []
    monkeypatch.setattr(run_lessons, "run_lesson", lambda name, out, *a, **k: ran.append(name))
    return ran


def test_a_lesson_is_named_by_its_number_or_its_file():
    assert lesson_file("02") == lesson_file("2") == lesson_file("02_rfm_and_lifecycle.ipynb") == "02_rfm_and_lifecycle.ipynb"
    with pytest.raises(ValueError, match="no lesson '42'"):
        lesson_file("42")


def test_every_lesson_runs_in_course_order_and_a_lesson_lacking_its_engines_is_skipped_saying_how_to_get_them(
        executed, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(run_lessons.NEEDS, "10_appendix_scaling_out.ipynb", (("no_such_engine_module",), "./kit.sh scale"))
    assert main(["--out", str(tmp_path)]) == 0
    assert executed == list(LESSONS)[:-1]
    assert "skipping 10_appendix_scaling_out.ipynb: it needs no_such_engine_module (./kit.sh scale)" in capsys.readouterr().err


def test_lesson_10_needs_duckdb_and_pyarrow_and_nothing_else_needs_an_engine():
    assert missing_for("10_appendix_scaling_out.ipynb", importable=lambda m: False) == ["duckdb", "pyarrow"]
    assert all(missing_for(name, importable=lambda m: False) == [] for name in list(LESSONS)[:-1])


def test_a_failing_lesson_fails_the_run_after_the_others_ran(monkeypatch, tmp_path, capsys):
    ran = []

    def run(name, out, *args, **kwargs):
        ran.append(name)
        if name.startswith("01"):
            raise RuntimeError("cell 7 raised")
    monkeypatch.setattr(run_lessons, "run_lesson", run)
    assert main(["00", "01", "02", "--out", str(tmp_path)]) == 1
    assert ran == [lesson_file(n) for n in ("00", "01", "02")]
    assert "FAILED 01_traditional_segmentation.ipynb: cell 7 raised" in capsys.readouterr().err


def test_wrong_lessons_or_a_mapping_for_another_lesson_exit_2(executed, tmp_path, capsys):
    assert main(["42", "--out", str(tmp_path)]) == 2
    assert main(["03", "--mapping", "m.toml", "--out", str(tmp_path)]) == 2
    assert "--mapping runs lesson 09 only" in capsys.readouterr().err
    assert executed == []


def test_parameters_go_after_the_cell_tagged_parameters_as_papermill_puts_them():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("setup"),
                                         nbformat.v4.new_code_cell("MAPPING = None", metadata={"tags": ["parameters"]}),
                                         nbformat.v4.new_code_cell("use(MAPPING)")])
    cells = with_parameters(nb, {"MAPPING": "/data/m.toml"}).cells
    assert [c.source for c in cells] == ["setup", "MAPPING = None", "MAPPING = '/data/m.toml'\n", "use(MAPPING)"]
    assert cells[2].metadata["tags"] == ["injected-parameters"]
    with pytest.raises(ValueError, match="no cell tagged 'parameters'"):
        with_parameters(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), {"X": 2})


def test_the_template_lesson_has_the_parameters_cell_the_runner_needs():
    nb = nbformat.read(ROOT / "notebooks" / run_lessons.TEMPLATE_LESSON, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and {"MAPPING", "OUTPUT", "EXERCISES"} <= set(re.findall(r"^(\w+) =", tagged[0].source, re.M))


def test_helpers_never_import_or_run_notebooks_nor_the_course_tools():
    offenders = {path.name: word for path in (ROOT / "helpers").rglob("*.py")
                 for word in ("nbformat", "nbclient", "papermill", "kit_tools", ".ipynb")
                 if word in path.read_text(encoding="utf-8")}
    assert offenders == {}


def test_the_console_commands_are_installed_and_point_at_the_command_lines():
    import helpers.pipeline

    scripts = {e.name: e for e in importlib.metadata.entry_points(group="console_scripts")
               if e.name in PYPROJECT["project"]["scripts"]}
    assert set(scripts) == {"kit-pipeline", "kit-lessons"}, "install the kit: pip install -e ."
    assert scripts["kit-pipeline"].load() is helpers.pipeline.main
    assert scripts["kit-lessons"].load() is run_lessons.main


def test_pyproject_and_the_pinned_requirements_name_the_same_packages_and_the_pins_meet_the_ranges():
    groups = {"requirements.txt": ("core", "course"), "requirements-scale.txt": ("scale",),
              "requirements-dev.txt": ("test",)}
    for filename, extras in groups.items():
        pins, ranges = _pins(filename), _ranges(*extras)
        assert set(pins) == set(ranges), (filename, set(pins) ^ set(ranges))
        for name, version in pins.items():
            assert ranges[name].specifier.contains(version), (filename, name, version, str(ranges[name]))
    assert "-e ." in (ROOT / "requirements.txt").read_text().splitlines(), "Binder and ./kit.sh lab install the kit"


def test_what_colab_preinstalls_meets_the_kits_ranges_so_installing_it_with_no_deps_is_honest():
    ranges, colab = _ranges("core", "scale"), _pins("requirements-colab.txt")
    for name, requirement in ranges.items():
        if name in colab:
            assert requirement.specifier.contains(colab[name]), (name, colab[name], str(requirement))


def test_the_examples_in_the_tools_docstrings_hold():
    import doctest

    result = doctest.testmod(run_lessons)
    assert result.attempted >= 3 and result.failed == 0


def test_the_worked_example_is_one_tagged_section_of_lesson_09_and_a_run_on_a_mapping_leaves_it_out(tmp_path,
                                                                                                   monkeypatch):
    nb = nbformat.read(ROOT / "notebooks" / run_lessons.TEMPLATE_LESSON, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if run_lessons.WORKED_EXAMPLE_TAG in c.metadata.get("tags", [])]
    assert tagged == list(range(tagged[0], tagged[-1] + 1))      # one section, nothing else
    assert nb.cells[tagged[0]].source.startswith("## A real export")
    assert nb.cells[tagged[-1] + 1].source.startswith("## Exercises")
    ran = {}
    monkeypatch.setattr("nbclient.NotebookClient.execute", lambda self: ran.setdefault("cells", list(self.nb.cells)))
    run_lessons.run_lesson(run_lessons.TEMPLATE_LESSON, tmp_path, leave_out_tag=run_lessons.WORKED_EXAMPLE_TAG)
    assert len(ran["cells"]) == len(nb.cells) - len(tagged)
    assert not any("online_retail" in c.source for c in ran["cells"] if c.cell_type == "code")
