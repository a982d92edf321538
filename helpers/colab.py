"""Setting the kit up inside Google Colab without disturbing what Colab already has.

Colab preinstalls pandas, numpy, scikit-learn, seaborn, matplotlib and
ipywidgets. Upgrading them would restart the runtime and can break Colab
itself, so :func:`install_missing` installs only the packages that are not
importable at all, with the protected ones pinned to the versions already
installed (a pip constraints file), so that pip can never move them.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import tempfile
from typing import Callable, Sequence

# distribution name -> module name, for everything the lessons import
RUNTIME_PACKAGES = {"pandas": "pandas", "numpy": "numpy", "scikit-learn": "sklearn", "scipy": "scipy",
                    "seaborn": "seaborn", "matplotlib": "matplotlib", "ipywidgets": "ipywidgets", "tqdm": "tqdm"}
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
