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
