"""Shared fixtures: a small generated world, so tests never depend on the committed files' size.

The tests import the installed kit (``pip install -e .``, which ``./kit.sh test`` does), helpers and
kit_tools alike: no path is added by hand.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from helpers.data import read_raw
from helpers.world import generate_world


@pytest.fixture(scope="session")
def small_world_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world")
    generate_world(600, seed=7, out=out, progress=False)
    return out


@pytest.fixture()
def raw(small_world_dir) -> dict:
    """Fresh raw (text) tables of the small world; each test may spoil its own copy."""
    return read_raw(small_world_dir)
