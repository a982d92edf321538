"""The Colab setup installs the kit without its dependencies, then only what is missing, pinning what Colab has.

The real first cell in a fresh Colab-like environment is tests/test_environments.py's job (it installs packages).
"""
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

from helpers.colab import (PROTECTED, activate_installed, install_kit, install_missing, missing_packages,
                           protected_constraints)
from kit_tools.sync_notebooks import SETUP_SOURCE


def test_nothing_is_installed_when_everything_imports():
    calls = []
    assert install_missing(run=calls.append, importable=lambda m: True) == []
    assert calls == []


def test_only_missing_packages_are_installed_with_protected_versions_pinned():
    calls = []
    versions = {"pandas": "2.2.3", "numpy": "2.1.3", "scikit-learn": "1.6.1", "ipywidgets": "7.7.1"}
    asked = install_missing(run=calls.append, importable=lambda m: m != "tqdm", version_of=versions.get)
    assert asked == ["tqdm"]
    command = calls[0]
    assert command[-1] == "tqdm" and "--upgrade" not in command and "-U" not in command
    constraints = open(command[command.index("--constraint") + 1]).read().split()
    assert constraints == ["pandas==2.2.3", "numpy==2.1.3", "scikit-learn==1.6.1", "ipywidgets==7.7.1"]


def test_missing_and_constraints_in_this_environment():
    assert missing_packages() == []  # the test environments have everything
    assert all("==" in line for line in protected_constraints())
    assert {line.split("==")[0] for line in protected_constraints()} <= set(PROTECTED)


def test_the_fetched_kit_is_installed_editable_without_dependencies_then_only_what_is_missing():
    calls, activated = [], []
    asked = install_kit("/content/microseg-kit", run=calls.append, importable=lambda m: m != "tqdm",
                        version_of={"pandas": "2.2.3"}.get, activate=activated.append)
    assert asked == ["tqdm"] and activated == ["microseg-kit"]
    kit, missing = calls
    assert kit[-3:] == ["--no-deps", "--editable", "/content/microseg-kit"] and "--upgrade" not in kit
    assert missing[-1] == "tqdm" and open(missing[missing.index("--constraint") + 1]).read().split() == ["pandas==2.2.3"]


def test_a_package_installed_after_start_up_is_importable_without_a_restart(tmp_path, monkeypatch):
    """What pip leaves for an editable install: a .pth file naming the project's folder, listed in RECORD."""
    project, site = tmp_path / "project", tmp_path / "site"
    (project / "late_kit_probe").mkdir(parents=True)
    (project / "late_kit_probe" / "__init__.py").write_text("ANSWER = 42\n")
    info = site / "late_kit_probe-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: late-kit-probe\nVersion: 1.0\n")
    (info / "RECORD").write_text("late_kit_probe.pth,,\nlate_kit_probe-1.0.dist-info/METADATA,,\n")
    (site / "late_kit_probe.pth").write_text(f"{project}\n")
    monkeypatch.syspath_prepend(str(site))     # pip's site-packages, already on the path at start-up
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert importlib.util.find_spec("late_kit_probe") is None
    assert activate_installed("late-kit-probe") == [site / "late_kit_probe.pth"]
    assert importlib.import_module("late_kit_probe").ANSWER == 42
    sys.modules.pop("late_kit_probe")


def test_where_the_kit_is_installed_the_setup_cell_fetches_nothing_and_finds_the_kit(tmp_path):
    """The notebooks' first cell, run with `google.colab` faked: the installed kit is used, nothing is cloned."""
    import helpers

    clone = tmp_path / "content" / "microseg-kit"
    source = SETUP_SOURCE.replace("/content/microseg-kit", str(clone))
    fake_colab = ("import sys, types\n"
                  "sys.modules['google'] = types.ModuleType('google')\n"
                  "sys.modules['google.colab'] = types.ModuleType('google.colab')\n")
    result = subprocess.run([sys.executable, "-c", fake_colab + source + "\nprint(kit_root)"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(Path(helpers.__file__).resolve().parent.parent)
    assert not clone.exists()
