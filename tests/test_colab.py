"""The Colab setup installs only what is missing and pins what Colab already has."""
from helpers.colab import PROTECTED, install_missing, missing_packages, protected_constraints


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


def test_setup_cell_fetches_the_kit_in_a_simulated_colab_and_can_run_twice(tmp_path):
    """The notebooks' first cell, run where `google.colab` is importable and no kit is around."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    sys.path.insert(0, str(root / "tools"))
    from sync_notebooks import KIT_GITHUB, SETUP_SOURCE

    if not (root / ".git").exists():
        import pytest
        pytest.skip("needs the kit as a git repository to clone from")
    kit = tmp_path / "kit"
    source = (SETUP_SOURCE.replace(f"https://github.com/{KIT_GITHUB}.git", f"file://{root}")
              .replace("/content/microseg-kit", str(kit)))
    fake_colab = ("import sys, types\n"
                  "sys.modules['google'] = types.ModuleType('google')\n"
                  "sys.modules['google.colab'] = types.ModuleType('google.colab')\n")
    probe = "\nimport helpers.data\nprint(helpers.data.DEFAULT_DATA_DIR)\n"
    content = tmp_path / "content"
    content.mkdir()
    for _ in range(2):  # a learner re-running the cell must not clone again or fail
        result = subprocess.run([sys.executable, "-c", fake_colab + source + probe], cwd=content,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(kit / "datasets")
    assert (kit / "helpers" / "__init__.py").exists()
