"""Colab and Binder, checked as far as this machine allows, each in a fresh virtual environment.

- Colab: a new environment holding only what Colab preinstalls (``requirements-colab.txt``
  without tqdm, which the kit needs and Colab is made to lack here) runs the lessons' real
  first cell, with the kit's address replaced by a local clone and ``google.colab``
  faked. The cell must fetch the kit, install it (editable, no dependencies) and tqdm and
  nothing else, leave every preinstalled version as it was, and make the helpers
  importable in the same process; run again (a new kernel), it must fetch and install nothing.
- Binder (and ``./kit.sh lab``, which installs the same file): ``requirements.txt`` alone
  installs on a clean Python of ``runtime.txt``'s version, with the kit itself; the helpers
  import from anywhere, the console command is there, and no test tool or lesson 10 engine is.

Both install packages with pip (about a minute each), so they run once, in the pinned
test run (``KIT_ENVIRONMENT_CHECKS=1``, set by ``kit.sh test``), and are skipped elsewhere.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit_tools.sync_notebooks import KIT_GITHUB, SETUP_SOURCE

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(os.environ.get("KIT_ENVIRONMENT_CHECKS") != "1",
                                reason="fresh-environment checks run in the pinned test run (KIT_ENVIRONMENT_CHECKS=1)")
COLAB_PREINSTALLED = ("pandas", "numpy", "scikit-learn", "scipy", "seaborn", "matplotlib", "ipywidgets")
FAKE_COLAB = ("import sys, types\n"
              "sys.modules['google'] = types.ModuleType('google')\n"
              "sys.modules['google.colab'] = types.ModuleType('google.colab')\n")


def _python(version: str) -> str:
    """An interpreter of ``version`` (e.g. "3.13"), from PATH or pyenv; the test is skipped without one."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates += sorted(str(p) for p in pyenv.glob(f"{version}*/bin/python{version}"))
    found = next((c for c in candidates if c and subprocess.run([c, "--version"], capture_output=True).returncode == 0),
                 None)  # a pyenv shim exists even where it cannot run that version
    if found is None:
        pytest.skip(f"no Python {version} on this machine")
    return found


def _fresh_env(folder: Path, python: str, requirements: list[str]) -> Path:
    subprocess.run([python, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + requirements, check=True, timeout=900, cwd=ROOT)  # requirements.txt's "-e ." is the kit
    return folder / "bin" / "python"


def _versions(python: Path) -> dict[str, str]:
    listed = subprocess.run([str(python), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True).stdout
    return {package["name"].lower(): package["version"] for package in json.loads(listed)}


def test_the_colab_first_cell_installs_only_what_colab_lacks_and_moves_nothing(tmp_path):
    preinstalled = [line for line in (ROOT / "requirements-colab.txt").read_text().splitlines()
                    if line and not line.startswith("#")
                    and line.split("==")[0] in (*COLAB_PREINSTALLED, "pyparsing", "ipykernel")]
    python = _fresh_env(tmp_path / "colab", _python("3.13"), preinstalled)
    before = _versions(python)
    assert "tqdm" not in before  # the one package this simulated Colab lacks
    kit = tmp_path / "content" / "microseg-kit"
    source = (SETUP_SOURCE.replace(f"https://github.com/{KIT_GITHUB}.git", f"file://{ROOT}")
              .replace("/content/microseg-kit", str(kit)))
    probe = ("\nimport helpers.data, helpers.pipeline\nprint('installed now' if 'kit_colab' in globals() else 'was there')"
             "\nprint('helpers from', helpers.data.KIT_ROOT)\n")
    # run again (a learner re-running the cell, a new kernel): the kit is found installed, nothing is fetched
    for attempt, how in (("first", "installed now"), ("again", "was there")):
        result = subprocess.run([str(python), "-c", FAKE_COLAB + source + probe], cwd=tmp_path, capture_output=True,
                                text=True, timeout=900)
        assert result.returncode == 0, (attempt, result.stderr[-3000:])
        assert result.stdout.strip().splitlines()[-2:] == [how, f"helpers from {kit}"], (attempt, result.stdout)
        after = _versions(python)
        for name in COLAB_PREINSTALLED:
            assert after.get(name) == before.get(name), f"{name} moved from {before.get(name)} to {after.get(name)}"
        added = sorted(set(after) - set(before))
        assert added == ["microseg-kit", "tqdm"], f"the first cell installed {added}; only the kit and tqdm were missing"


def test_requirements_install_on_a_clean_python_like_binders(tmp_path):
    version = (ROOT / "runtime.txt").read_text().strip().removeprefix("python-")
    python = _fresh_env(tmp_path / "binder", _python(version), ["-r", str(ROOT / "requirements.txt")])
    probe = ("import helpers.data, helpers.explorers, helpers.pipeline, kit_tools.run_lessons, ipywidgets, jupyterlab;"
             "print(helpers.data.DEFAULT_DATA_DIR)")
    result = subprocess.run([str(python), "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stdout.strip() == str(ROOT / "datasets"), result.stderr[-3000:]
    console = subprocess.run([str(python.parent / "kit-pipeline"), "--help"], capture_output=True, text=True)
    assert console.returncode == 0 and "MAPPING" in console.stdout.upper()
    pinned = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().splitlines()
                  if "==" in line and not line.startswith("#"))
    installed = _versions(python)
    for name, version in pinned.items():
        assert installed.get(name.lower()) == version, (name, version, installed.get(name.lower()))
    assert installed["microseg-kit"]
    # pyarrow is the course's own now (a mapping may name a Parquet file, as the Online Retail example does);
    # lesson 10's query engines and the test tools stay out
    test_or_engine = {"pytest", "nbval", "playwright", "pyspark", "duckdb"} & set(installed)
    assert not test_or_engine, f"the course environment holds {sorted(test_or_engine)}"
