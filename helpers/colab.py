"""Setting the kit up inside Google Colab without disturbing what Colab already has.

Colab preinstalls pandas, numpy, scikit-learn, seaborn, matplotlib and
ipywidgets. Upgrading them would restart the runtime and can break Colab
itself, so :func:`install_kit` installs the fetched kit with ``--no-deps``
(pip resolves none of its dependencies) and :func:`install_missing` then
installs only the packages that are not importable at all, with the
protected ones pinned to the versions already installed (a pip constraints
file), so that pip can never move them.

The lessons' first cell loads this module from the fetched clone by its file
(the kit is not importable yet), so it uses the standard library only.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Sequence

# distribution name -> module name, for everything the lessons import
RUNTIME_PACKAGES = {"pandas": "pandas", "numpy": "numpy", "scikit-learn": "sklearn", "scipy": "scipy",
                    "seaborn": "seaborn", "matplotlib": "matplotlib", "ipywidgets": "ipywidgets", "tqdm": "tqdm"}
DISTRIBUTION = "microseg-kit"  # the kit's name in pyproject.toml
PROTECTED = ("pandas", "numpy", "scikit-learn", "scipy", "seaborn", "matplotlib", "ipywidgets")


def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def missing_packages(importable: Callable[[str], bool] = _importable) -> list[str]:
    """Distributions the lessons need that cannot be imported here."""
    return [dist for dist, module in RUNTIME_PACKAGES.items() if not importable(module)]


def protected_constraints(version_of: Callable[[str], str | None] = _installed_version) -> list[str]:
    """``name==version`` lines that freeze every protected package already installed."""
    return [f"{d}=={v}" for d in PROTECTED if (v := version_of(d))]


def install_missing(run: Callable[[Sequence[str]], object] | None = None,
                    importable: Callable[[str], bool] = _importable,
                    version_of: Callable[[str], str | None] = _installed_version) -> list[str]:
    """Install only what is missing, never upgrading a protected package; return what was asked for.

    >>> install_missing(run=print, importable=lambda m: True)
    []
    """
    missing = missing_packages(importable)
    if not missing:
        return []
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(protected_constraints(version_of)) + "\n")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--constraint", fh.name, *missing]
    (run or (lambda c: subprocess.run(c, check=True)))(command)
    return missing


def _pip(command: Sequence[str]) -> None:
    subprocess.run(list(command), check=True)


def install_kit(kit_root: str | Path, run: Callable[[Sequence[str]], object] = _pip,
                importable: Callable[[str], bool] = _importable,
                version_of: Callable[[str], str | None] = _installed_version,
                activate: Callable[[str], object] | None = None) -> list[str]:
    """Install the fetched kit (editable, ``--no-deps``) and then only what is missing; return what was missing.

    After the install the kit is importable in this very process (:func:`activate_installed`), so the
    learner needs no restart.

    >>> calls = []
    >>> install_kit("/content/microseg-kit", run=calls.append, importable=lambda m: True, activate=lambda d: None)
    []
    >>> calls[0][-4:]
    ['--quiet', '--no-deps', '--editable', '/content/microseg-kit']
    """
    run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--editable", str(kit_root)])
    (activate or activate_installed)(DISTRIBUTION)
    return install_missing(run=run, importable=importable, version_of=version_of)


def activate_installed(distribution: str = DISTRIBUTION) -> list[Path]:
    """Make a distribution that pip installed after this interpreter started importable now, without a restart:
    apply its path configuration (``.pth``) files as Python's ``site`` module does at start-up (a line naming a
    folder joins ``sys.path``; a line starting with ``import`` runs). Return the files applied.

    >>> activate_installed("pip")   # pip installs no .pth file
    []
    """
    importlib.invalidate_caches()
    dist = importlib.metadata.distribution(distribution)
    applied = []
    for file in dist.files or []:
        if file.suffix != ".pth":
            continue
        path = Path(dist.locate_file(file))
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import ", "import\t")):
                exec(line)  # noqa: S102 - what site.py does with the same line at start-up
            elif line.strip() and not line.startswith("#") and line.strip() not in sys.path:
                sys.path.append(line.strip())
        applied.append(path)
    importlib.invalidate_caches()
    return applied
