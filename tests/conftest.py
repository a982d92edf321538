"""Shared fixtures: a small generated world, so tests never depend on the committed files' size."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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
