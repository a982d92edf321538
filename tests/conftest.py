"""Shared fixtures: a small generated world, so tests never depend on the committed files' size.

The tests import the installed kit (``pip install -e .``, which ``./kit.sh test`` does), helpers and
kit_tools alike: no path is added by hand.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

CHECKOUT = Path(__file__).resolve().parent.parent
_installed = importlib.util.find_spec("kit_tools")
if _installed is None or Path(_installed.origin).resolve().parent.parent != CHECKOUT:
    # the lessons' kernels import the installed kit, so testing another checkout would test the wrong code
    where = "no kit" if _installed is None else f"the kit of {Path(_installed.origin).resolve().parent.parent}"
    raise pytest.UsageError(f"{sys.executable} has {where} installed, not this checkout: "
                            f"./kit.sh test installs it, or {sys.executable} -m pip install --no-deps -e {CHECKOUT}")

from helpers.data import read_raw  # noqa: E402
from helpers.world import generate_world  # noqa: E402


@pytest.fixture(scope="session")
def small_world_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(600, seed=7, out=out, progress=False)
    return out


@pytest.fixture()
def raw(small_world_dir) -> dict:
    """Fresh raw (text) tables of the small world; each test may spoil its own copy."""
    return read_raw(small_world_dir)


@pytest.fixture(scope="session")
def online_retail_mapping(tmp_path_factory) -> Path:
    """A mapping of the real UCI Online Retail export (541,909 invoice lines, pounds sterling), as an analyst writes it.

    The file ships as Parquet; until the kit reads Parquet itself this fixture (the one place that does it)
    writes it out as the CSV the shop system exported.
    """
    import pandas as pd

    folder = tmp_path_factory.mktemp("online_retail")
    pd.read_parquet(CHECKOUT / "datasets" / "real" / "online_retail.parquet").to_csv(folder / "online_retail.csv",
                                                                                    index=False)
    mapping = folder / "mapping.toml"
    mapping.write_text('[data]\ncurrency = "GBP"\n\n[orders]\nfile = "online_retail.csv"\nshape = "invoice_lines"\n',
                       encoding="utf-8")
    return mapping
