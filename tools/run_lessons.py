"""Execute lessons headless, each saved with its outputs into a folder (the course tool behind ``./kit.sh run``
and lesson 09 on a schedule). The stored lessons in notebooks/ are left as they are.

    kit-lessons --out output/notebooks                        # every lesson, in course order
    kit-lessons 02 05 --out output/notebooks                  # some, by number or file name
    kit-lessons 09 --mapping my_mapping.toml --out output/run # lesson 09 on your data, exercises off

Parameters follow papermill's convention: they go into a cell inserted after the one tagged ``parameters``,
so ``papermill notebooks/09_template_bring_your_own_data.ipynb out.ipynb -p MAPPING m.toml`` does the same.
A lesson whose optional packages are missing (lesson 10 without DuckDB or pyarrow) is skipped with a message
naming what to install, not failed: ``./kit.sh lab`` and ``./kit.sh run`` install the course only.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

from kit_tools.sync_notebooks import LESSONS, NOTEBOOKS

TEMPLATE_LESSON = "09_template_bring_your_own_data.ipynb"
# cells of lesson 09 a run on your mapping leaves out: the worked example on the public Online Retail export
WORKED_EXAMPLE_TAG = "worked-example"
# lesson -> (modules it cannot run without, how to get them)
NEEDS = {"10_appendix_scaling_out.ipynb": (("duckdb", "pyarrow"),
                                          "./kit.sh scale, or pip install -r requirements-scale.txt")}


def lesson_file(name: str) -> str:
    """The lesson's file name, from its number ("09") or its file name.

    >>> lesson_file("9")
    '09_template_bring_your_own_data.ipynb'
    """
    matches = [f for f in LESSONS if f == name or f.split("_", 1)[0] == name.zfill(2)]
    if len(matches) != 1:
        raise ValueError(f"no lesson {name!r}: give a number 00-{len(LESSONS) - 1:02d} or one of {list(LESSONS)}")
    return matches[0]


def missing_for(filename: str, importable=lambda module: importlib.util.find_spec(module) is not None) -> list[str]:
    """The modules a lesson needs that this environment lacks (most lessons need nothing beyond the course).

    >>> missing_for("10_appendix_scaling_out.ipynb", importable=lambda m: m != "pyarrow")
    ['pyarrow']
    >>> missing_for("02_rfm_and_lifecycle.ipynb", importable=lambda m: False)
    []
    """
    modules, _ = NEEDS.get(filename, ((), ""))
    return [m for m in modules if not importable(m)]


def with_parameters(notebook, parameters: dict):
    """The notebook with a cell setting ``parameters`` inserted after its cell tagged ``parameters``
    (papermill's convention), tagged ``injected-parameters``; the notebook is changed in place and returned.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("X = 1", metadata={"tags": ["parameters"]})])
    >>> with_parameters(nb, {"X": 2, "ON": False}).cells[1].source
    'X = 2\\nON = False\\n'
    """
    import nbformat

    position = next((i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])), None)
    if position is None:
        raise ValueError("the notebook has no cell tagged 'parameters' to put the parameters after")
    source = "".join(f"{name} = {value!r}\n" for name, value in parameters.items())
    injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    injected.id = "injected-parameters"
    notebook.cells.insert(position + 1, injected)
    return notebook


def run_lesson(filename: str, out: str | Path, parameters: dict | None = None, timeout: int = 1800,
               leave_out_tag: str | None = None) -> Path:
    """Execute one lesson top to bottom (from notebooks/, so its relative paths hold) and save it in ``out``.

    Cells tagged ``leave_out_tag`` are left out of the run (and of the saved notebook).

    Example::

        run_lesson("02_rfm_and_lifecycle.ipynb", "output/notebooks")   # output/notebooks/02_rfm_and_lifecycle.ipynb
    """
    import nbformat
    from nbclient import NotebookClient

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.read(NOTEBOOKS / filename, as_version=4)
    if leave_out_tag:
        notebook.cells = [c for c in notebook.cells if leave_out_tag not in c.metadata.get("tags", [])]
    if parameters:
        with_parameters(notebook, parameters)
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    target = out / filename
    nbformat.write(notebook, target)
    return target


def run_template(mapping: str | Path, out: str | Path, timeout: int = 1800) -> Path:
    """Lesson 09 on a mapping, headless; the lesson writes its results into ``out`` beside the executed notebook,
    and this tool adds ``run_log.json`` (mapping, as-of day, seconds per section of the lesson, package versions).
    The exercises are switched off (``EXERCISES = False``): a scheduled run has nobody to answer them; and the
    worked example on the public Online Retail export (cells tagged ``worked-example``) is left out: it is about
    the course's data, not yours.

    Example::

        run_template("my_mapping.toml", "output/run")    # output/run/09_template_bring_your_own_data.ipynb
    """
    import nbformat

    from helpers.pipeline import write_run_log  # the one run log, the pipeline's (imported late: it loads scikit-learn)

    out = Path(out).resolve()
    parameters = {"MAPPING": str(Path(mapping).resolve()), "OUTPUT": str(out), "EXERCISES": False}
    started = time.perf_counter()
    executed = run_lesson(TEMPLATE_LESSON, out, parameters, timeout, leave_out_tag=WORKED_EXAMPLE_TAG)
    seconds = section_seconds(nbformat.read(executed, as_version=4))
    seconds["saving the notebook"] = max(0.0, round(time.perf_counter() - started - sum(seconds.values()), 1))
    summary = out / "summary.json"  # the lesson's write_outputs wrote the day it measured from
    as_of = json.loads(summary.read_text(encoding="utf-8")).get("as_of") if summary.exists() else None
    write_run_log(out, mapping, as_of, seconds, runner="kit-lessons 09 --mapping")
    return executed


def section_seconds(notebook) -> dict[str, float]:
    """Seconds per section of an executed notebook (its ``#`` headings), from the timing nbclient records per cell.

    >>> import nbformat
    >>> cell = nbformat.v4.new_code_cell("x = 1")
    >>> cell.metadata["execution"] = {"iopub.execute_input": "2026-01-01T00:00:00.000Z",
    ...                               "shell.execute_reply": "2026-01-01T00:00:02.500Z"}
    >>> section_seconds(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## Read"), cell]))
    {'Read': 2.5}
    """
    from datetime import datetime

    seconds, section = {}, "start"
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = next((line.lstrip("#").strip() for line in cell.source.splitlines() if line.startswith("#")), None)
            section = heading or section
            continue
        timing = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and {"iopub.execute_input", "shell.execute_reply"} <= set(timing):
            begin, end = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                          for k in ("iopub.execute_input", "shell.execute_reply"))
            seconds[section] = round(seconds.get(section, 0.0) + (end - begin).total_seconds(), 1)
    return seconds


def main(argv: list[str] | None = None) -> int:
    """The command line (``kit-lessons``, ``python -m kit_tools.run_lessons``): exit 0 when every lesson asked
    for ran or was skipped for a missing optional package, 1 when one failed, 2 on a wrong argument."""
    parser = argparse.ArgumentParser(prog="kit-lessons", description=__doc__.split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", help="lesson numbers or file names (default: every lesson)")
    parser.add_argument("--out", required=True, help="folder for the executed lessons")
    parser.add_argument("--mapping", help="run lesson 09 on this mapping (TOML); its results go to --out too")
    args = parser.parse_args(argv)
    try:
        names = [lesson_file(n) for n in args.lessons] or list(LESSONS)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.mapping:
        if args.lessons and names != [TEMPLATE_LESSON]:
            print("error: --mapping runs lesson 09 only", file=sys.stderr)
            return 2
        print(f"executed notebook: {run_template(args.mapping, args.out)}")
        return 0
    failed = []
    for name in names:
        missing = missing_for(name)
        if missing:
            print(f"skipping {name}: it needs {', '.join(missing)} ({NEEDS[name][1]})", file=sys.stderr)
            continue
        print(f"executing {name}", file=sys.stderr)
        try:
            run_lesson(name, args.out)
        except Exception as error:  # noqa: BLE001 - report every failing lesson, then fail
            print(f"FAILED {name}: {error}", file=sys.stderr)
            failed.append(name)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"executed lessons are in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
