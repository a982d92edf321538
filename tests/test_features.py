"""One definition of every customer measure: every preset is the full build's columns, and no helper keeps its own copy."""
from __future__ import annotations

import ast
import inspect
import pkgutil
from pathlib import Path

import pandas as pd
import pytest

import helpers
from helpers.clustering import NEEDS, clustering_features
from helpers.data import load_world
from helpers.features import (GROUPS, FeatureDefinition, build_features, customer_table, feature_definition,
                              model_definition, model_features, ordered_codes, recent_behaviour)
from helpers.features.presets import LESSON_GROUPS
from helpers.features.sql import feature_sql
from helpers.pipeline import segment_feature_groups

ROOT = Path(__file__).resolve().parent.parent
DATES = ("2026-03-31", "2026-09-30")


@pytest.fixture(scope="module")
def sample():
    return load_world()


def full(world, as_of, **changes):
    """Every group the definition knows, with both browsing windows the presets use."""
    return build_features(world, feature_definition(world, as_of, groups=GROUPS, browse_days=(30, 180), **changes))


@pytest.mark.parametrize("as_of", DATES)
def test_every_preset_is_the_full_builds_columns(sample, as_of):
    everything = full(sample, as_of)
    lesson = customer_table(sample, as_of)
    shared = feature_definition(sample, as_of, groups=LESSON_GROUPS).columns()
    assert len(shared) == 37 and set(shared) <= set(lesson.columns)  # 4 rfm, aov, 12 + 2 category, 3 + 1 channel, 14 tags
    pd.testing.assert_frame_equal(lesson[shared], everything[shared])
    model = model_features(sample, as_of)
    pd.testing.assert_frame_equal(model, everything[model.columns].astype(float))
    assert list(model.columns) == model_definition(sample, as_of).columns()


@pytest.mark.parametrize("as_of", DATES)
def test_the_drift_window_is_the_windowed_build(sample, as_of):
    recent = recent_behaviour(sample, as_of, days=180)
    windowed = full(sample, as_of, value_window_days=180, channel_window_days=180)
    assert (recent["orders_180d"] == windowed["frequency"]).all()
    assert (recent["revenue_180d"] == windowed["monetary"]).all()
    channels = [c for c in recent.columns if c.startswith("channel_")]
    bought = windowed["frequency"] > 0
    pd.testing.assert_frame_equal(recent.loc[bought, channels], windowed.loc[bought, channels])
    assert recent.loc[~bought, channels].isna().all().all()
    browse = [c for c in recent.columns if c.startswith("browse_")]
    assert browse and all(c.endswith("_180d") for c in browse)
    pd.testing.assert_frame_equal(recent[browse], windowed[browse])


def test_the_template_groups_micro_segments_on_lesson_03s_features(sample):
    """On the sample the pipeline's table gives lesson 03's clustering features exactly (same groups, same numbers)."""
    as_of = sample.as_of
    table = model_features(sample, as_of)
    assert segment_feature_groups(table) == list(NEEDS)
    template = clustering_features(table, None, as_of, groups=segment_feature_groups(table))
    lesson = clustering_features(customer_table(sample, as_of), sample.events, as_of)
    pd.testing.assert_frame_equal(template, lesson.astype(float))


def test_a_transaction_log_without_needs_groups_falls_back_to_habits(sample):
    table = model_features(sample, sample.as_of)[["recency_days", "frequency", "monetary", "tenure_days", "aov",
                                                  "return_share", "days_between_orders"]]
    assert segment_feature_groups(table) == ["habits"]
    one_channel = table.assign(channel_web=1.0)  # a column that never varies says nothing about anyone
    assert segment_feature_groups(one_channel) == ["habits"]
    assert list(clustering_features(table, None, sample.as_of, groups=["habits"]).columns) == [
        "log_order_value", "return_share", "days_between_orders"]


@pytest.mark.parametrize("as_of", DATES)
def test_duckdb_compiles_every_group_and_window_as_pandas_builds_it(sample, as_of):
    duckdb = pytest.importorskip("duckdb")  # noqa: F841
    from helpers.scale import as_reference_types, disagreements, duckdb_connection
    definition = feature_definition(sample, as_of, groups=GROUPS, browse_days=(30, 180), value_window_days=365,
                                    channel_window_days=90)
    connection = duckdb_connection(sample)  # kept open: DuckDB 1.x closes a connection nothing refers to
    engine = as_reference_types(connection.sql(feature_sql(definition, "duckdb")).df(), definition)
    assert disagreements(build_features(sample, definition), engine).empty


def test_codes_come_from_the_data_in_the_kits_order():
    assert ordered_codes(pd.Series(["store", "web", "kiosk", None]), ("web", "app", "store")) == ("web", "store", "kiosk")
    assert ordered_codes(pd.Series(pd.Categorical(["b"], categories=["a", "b"])), ()) == ("a", "b")  # a typed column keeps its codes
    definition = FeatureDefinition(pd.Timestamp("2026-09-30"), groups=("rfm", "channels"))
    assert definition.columns() == ["recency_days", "frequency", "monetary", "tenure_days"]  # no channels found: no columns
    with pytest.raises(ValueError, match="unknown feature group"):
        FeatureDefinition(pd.Timestamp("2026-09-30"), groups=("rfm", "vibes"))
    with pytest.raises(ValueError, match="starts from the 'rfm' group"):
        FeatureDefinition(pd.Timestamp("2026-09-30"), groups=("channels",))


def _helper_modules():
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        if not info.name.endswith(".__main__"):  # importing a command line's __main__ runs it
            yield info.name, Path(__import__(info.name, fromlist=["_"]).__file__)


# the generator, and the one place that writes the sample's messy exports beside it, may use it
GENERATOR_USERS = {"helpers.world", "helpers.messy_exports", "helpers.vocabulary"}


def test_no_analysis_module_imports_the_generator():
    offenders = []
    for name, path in _helper_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            module = (node.module or "") if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, (ast.Import, ast.ImportFrom)) else []
            if (module is not None and (module.endswith("world") and node.level > 0 or module == "helpers.world"
                                        or (node.level == 1 and module == "" and "world" in names))) \
                    or (isinstance(node, ast.Import) and "helpers.world" in names):
                offenders.append(name)
    assert not [o for o in offenders if o not in GENERATOR_USERS], offenders


def test_no_helper_defaults_to_a_date():
    """As-of days, cut-offs and send dates are explicit or read from the data's metadata, never a default."""
    dated = []
    for name, _ in _helper_modules():
        module = __import__(name, fromlist=["_"])
        for fname, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != name:
                continue
            for parameter in inspect.signature(function).parameters.values():
                default = parameter.default
                looks_dated = isinstance(default, pd.Timestamp) or (
                    isinstance(default, str) and default[:2] in ("19", "20") and "-" in default)
                if looks_dated:
                    dated.append(f"{name}.{fname}({parameter.name}={default!r})")
    assert not dated, dated


def test_the_package_ships_every_sub_package_of_helpers():
    """pyproject lists packages by hand; a sub-package missing from the list would be missing from a wheel."""
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {"helpers", *(name for name, ispkg in ((i.name, i.ispkg) for i in pkgutil.walk_packages(helpers.__path__, "helpers."))
                          if ispkg)}
    assert found <= listed, sorted(found - listed)
