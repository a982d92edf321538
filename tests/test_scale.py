"""Lesson 10's engines: the feature table, scores and segments agree row for row on pandas, DuckDB and Spark.

DuckDB and Spark are optional extras: without them these tests skip, and
say why. CI installs both and sets KIT_REQUIRE_ENGINES=1, so there a missing
engine fails instead of skipping.
"""
from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from helpers import scale
from helpers.data import load_world


def _need(engine: str) -> None:
    row = scale.engines_available().loc[engine]
    if not row["available"]:
        if os.environ.get("KIT_REQUIRE_ENGINES") == "1":
            pytest.fail(f"{engine} is required here (KIT_REQUIRE_ENGINES=1) but cannot run: {row['missing']}")
        pytest.skip(f"{engine} not available: {row['missing']}")


@pytest.fixture(scope="module")
def sample():
    return load_world()


@pytest.fixture(scope="module")
def parquet(sample, tmp_path_factory):
    return scale.write_parquet(sample, tmp_path_factory.mktemp("parquet"))


@pytest.fixture(scope="module")
def reference(sample):
    return scale.customer_features(sample, "pandas")


@pytest.fixture(scope="module")
def spark():
    _need("spark")
    session = scale.spark_session(cores=2, memory="2g")
    yield session
    session.stop()


# --------------------------------------------------------------------------- the definition and the reference
def test_the_reference_is_the_course_table_of_lessons_02_and_03(sample, reference):
    from helpers.features import customer_table
    from helpers.rfm import name_segments, rfm_scores
    table = customer_table(sample)
    assert reference.index.equals(table.index)
    shared = [c for c in reference.columns if c in table.columns]
    assert len(shared) >= 35
    pd.testing.assert_frame_equal(reference[shared], table[shared], check_dtype=False)
    assert reference["rfm_segment"].astype(str).equals(name_segments(rfm_scores(table)).astype(str))
    # every named segment and tier occurs, and only buyers are scored
    assert reference["rfm_segment"].nunique() == 12
    assert set(reference["macro_tier"].dropna()) == {"top customers", "rising", "slipping", "dormant"}
    assert reference.loc[reference["recency_days"].isna(), ["R", "F", "M"]].isna().all().all()


def test_one_query_text_in_two_dialects_differs_only_where_the_dialects_do(sample):
    definition = scale.feature_definition(sample)
    duck, spark_sql = scale.feature_sql(definition, "duckdb"), scale.feature_sql(definition, "spark")
    assert "datediff('day'," in duck and "datediff(DATE" not in duck
    assert '"cat: Men\'s Shirts"' in duck and "`cat: Men's Shirts`" in spark_sql
    assert "'Men''s Shirts'" in duck and "'Men\\'s Shirts'" in spark_sql
    ctes = lambda text: [line.split(" AS (")[0].strip() for line in text.splitlines() if line.endswith(" AS (")]  # noqa: E731
    assert ctes(duck) == ctes(spark_sql) and len(ctes(duck)) >= 12


def test_parquet_keeps_every_row_and_type(sample, parquet):
    back = scale.read_parquet_world(parquet)
    for table in ("customers", "orders", "events", "campaign", "products"):
        mine, theirs = getattr(sample, table), getattr(back, table)
        assert list(mine.columns) == list(theirs.columns) and len(mine) == len(theirs), table
        for column in mine.columns:
            missing = mine[column].isna().to_numpy()
            assert (theirs[column].isna().to_numpy() == missing).all(), (table, column)  # NaN may come back as None
            assert (mine[column][~missing].astype(object).to_numpy()
                    == theirs[column][~missing].astype(object).to_numpy()).all(), (table, column)
    assert back.as_of == sample.as_of
    with pytest.raises(FileNotFoundError, match="orders.parquet"):
        scale.read_parquet_world(parquet / "nowhere")


def test_copies_multiply_the_customers_and_keep_what_each_looks_like(small_world_dir, tmp_path):
    _need("duckdb")
    world = load_world(small_world_dir)
    once = scale.customer_features(scale.write_parquet(world, tmp_path / "once"), "duckdb")
    thrice_folder = scale.write_parquet(world, tmp_path / "thrice", copies=3)
    assert scale.read_parquet_world(thrice_folder).meta["rows"]["orders"] == 3 * len(world.orders)
    thrice = scale.customer_features(thrice_folder, "duckdb")
    assert len(thrice) == 3 * len(once) and thrice.index.is_unique
    stride = 10 ** len(str(world.customers["customer_id"].max()))
    for copy in range(3):
        shifted = thrice.loc[once.index + copy * stride]
        shifted.index = once.index
        # even the quantile scores: every value occurs three times as often, so its mid-rank percentile is unchanged
        assert scale.disagreements(once, shifted).empty, scale.disagreements(once, shifted)
    only_features = scale.read_parquet_world(thrice_folder, scale.input_columns(scale.definition_for(thrice_folder)))
    assert list(only_features.events.columns) == ["customer_id", "event_ts", "event_type"] and only_features.campaign.empty


def test_disagreements_name_the_column_the_rows_and_an_example(reference):
    changed = reference.copy()
    changed.loc[changed.index[:3], "monetary"] += 0.01
    changed.loc[changed.index[5], "rfm_segment"] = "lost"
    found = scale.disagreements(reference, changed.drop(index=changed.index[-1])).set_index("column")
    assert found.loc["monetary", "rows"] == 3 and found.loc["monetary", "example customer"] == reference.index[0]
    assert found.loc["customer_id", "rows"] == 1
    assert scale.disagreements(reference, reference).empty


# --------------------------------------------------------------------------- agreement, engine by engine
def test_duckdb_agrees_row_for_row_from_parquet_and_from_memory(sample, parquet, reference):
    _need("duckdb")
    from_files = scale.customer_features(parquet, "duckdb")
    assert scale.disagreements(reference, from_files).empty, scale.disagreements(reference, from_files)
    in_memory = scale.customer_features(sample, "duckdb")
    assert scale.disagreements(reference, in_memory).empty


def test_spark_agrees_row_for_row(parquet, reference, spark):
    table = scale.customer_features(parquet, "spark", spark=spark)
    assert scale.disagreements(reference, table).empty, scale.disagreements(reference, table)
    assert table.index.is_monotonic_increasing and len(table) == len(reference)


def test_the_engines_agree_at_another_date_and_with_a_shorter_browsing_window(sample, parquet, spark):
    _need("duckdb")
    definition = scale.feature_definition(sample, "2026-03-31", browse_days=(30,))
    expected = scale.customer_features(sample, "pandas", definition=definition)
    assert len(expected) < len(scale.customer_features(sample, "pandas"))  # fewer had signed up by then
    for engine in ("duckdb", "spark"):
        table = scale.customer_features(parquet, engine, definition=definition, spark=spark)
        assert scale.disagreements(expected, table).empty, (engine, scale.disagreements(expected, table))


def test_every_group_and_window_of_the_definition_agrees_on_both_engines(sample, parquet, spark):
    """The model features, the pipeline's habits, top labels and windows compile for both engines, not only lesson 10's table."""
    _need("duckdb")
    from helpers.features import GROUPS
    definition = scale.feature_definition(sample, "2026-08-31", groups=GROUPS, browse_days=(30, 180),
                                          value_window_days=365, channel_window_days=90)
    expected = scale.customer_features(sample, "pandas", definition=definition)
    assert {"return_share", "days_between_orders", "top_category", "main_channel", "age"} <= set(expected.columns)
    for engine in ("duckdb", "spark"):
        table = scale.customer_features(parquet, engine, definition=definition, spark=spark)
        assert scale.disagreements(expected, table).empty, (engine, scale.disagreements(expected, table))


def test_engines_write_the_table_to_parquet_without_collecting_it(parquet, reference, tmp_path, spark):
    _need("duckdb")
    for engine in ("pandas", "duckdb", "spark"):
        path = scale.customer_features(parquet, engine, out=tmp_path / f"{engine}.parquet", spark=spark)
        written = pd.read_parquet(path).set_index("customer_id").sort_index()
        assert scale.disagreements(reference, written[reference.columns]).empty, engine


# --------------------------------------------------------------------------- scoring a fitted model at scale
@pytest.fixture(scope="module")
def fitted(sample, reference):
    """Lesson 03's micro-segments fitted on a fifth of the customers, as one would on far more data."""
    model = scale.fit_segments_on_sample(reference, sample.as_of, fraction=0.2)
    assert len(model.labels) == round(0.2 * len(reference))
    return model


def test_a_model_fitted_on_a_sample_scores_everyone_the_same_in_batches_and_in_spark(
        sample, parquet, reference, fitted, tmp_path, spark):
    _need("duckdb")
    features_file = scale.customer_features(parquet, "duckdb", out=tmp_path / "features.parquet")
    everyone = fitted.assign(reference, None, sample.as_of, features=scale.segment_features(reference, sample.as_of))
    scorer = scale.segment_scorer(fitted, sample.as_of)
    in_batches = scale.score_features(features_file, scorer, scale.SEGMENT_SCHEMA, "duckdb", batch_rows=4096)
    in_spark = scale.score_features(features_file, scorer, scale.SEGMENT_SCHEMA, "spark", spark=spark)
    for scored in (in_batches, in_spark):
        assert scored["customer_id"].tolist() == everyone.index.tolist()
        assert (scored["micro_segment"].to_numpy() == everyone.to_numpy(str)).all()
    assert everyone.nunique() >= 8  # a real segmentation, not one label
    out = scale.score_features(features_file, scorer, scale.SEGMENT_SCHEMA, "duckdb", batch_rows=5000,
                               out=tmp_path / "segments.parquet")
    assert pd.read_parquet(out).sort_values("customer_id", ignore_index=True).equals(in_batches)


def test_any_fitted_model_can_score_for_example_a_prediction(parquet, reference, tmp_path, spark):
    _need("duckdb")
    from sklearn.linear_model import LogisticRegression
    columns = [c for c in reference.columns if c.startswith(("cat: ", "channel_", "browse_"))]
    buyers = reference[reference["frequency"] > 0]
    model = LogisticRegression(solver="liblinear").fit(buyers[columns], buyers["recency_days"] <= 90)

    def probability(batch: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"customer_id": batch["customer_id"].astype("int64"),
                             "p_recent": model.predict_proba(batch[columns].astype(float))[:, 1]})

    schema = {"customer_id": "BIGINT", "p_recent": "DOUBLE"}
    features_file = scale.customer_features(parquet, "duckdb", out=tmp_path / "features.parquet")
    expected = model.predict_proba(reference[columns])[:, 1]
    for engine in ("duckdb", "spark"):
        scored = scale.score_features(features_file, probability, schema, engine, spark=spark, batch_rows=3000)
        np.testing.assert_allclose(scored["p_recent"].to_numpy(), expected, rtol=1e-12)


def test_a_scorer_that_forgets_a_column_is_told_which(parquet, tmp_path):
    _need("duckdb")
    features_file = scale.customer_features(parquet, "duckdb", out=tmp_path / "features.parquet")
    with pytest.raises(KeyError, match="micro_segment"):
        scale.score_features(features_file, lambda batch: batch[["customer_id"]], scale.SEGMENT_SCHEMA, "duckdb")
    with pytest.raises(ValueError, match="'duckdb' or 'spark'"):
        scale.score_features(features_file, lambda batch: batch, scale.SEGMENT_SCHEMA, "pandas")


# --------------------------------------------------------------------------- what is missing, said plainly
def test_a_missing_java_is_reported_with_how_to_install_it(monkeypatch):
    pytest.importorskip("pyspark")
    monkeypatch.setattr(scale.engines, "_java_command", lambda: None)
    row = scale.engines_available().loc["spark"]
    assert not row["available"] and "no Java runtime" in row["missing"] and "default-jre-headless" in row["missing"]
    with pytest.raises(RuntimeError, match="spark cannot run here: no Java runtime"):
        scale.require_engine("spark")


def test_a_missing_pyarrow_is_named_before_anything_is_written(monkeypatch, sample, tmp_path):
    import sys
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # importing it now fails, as where it is not installed
    row = scale.engines_available().loc["parquet"]
    assert not row["available"] and "requirements-scale.txt" in row["missing"]
    with pytest.raises(RuntimeError, match="parquet cannot run here: the pyarrow package"):
        scale.write_parquet(sample, tmp_path / "parquet")
    assert not (tmp_path / "parquet").exists()


def test_java_versions_are_read_old_and_new_style(monkeypatch, tmp_path):
    for text, major in (('openjdk version "17.0.15" 2025-04-15', 17), ('java version "1.8.0_292"', 8),
                        ('openjdk version "21" 2023-09-19', 21)):
        fake = tmp_path / f"java{major}"
        fake.write_text(f"#!/bin/sh\necho '{text}' >&2\n")
        fake.chmod(0o755)
        assert scale.engines._java_major(str(fake)) == major
    assert scale.engines._java_major(str(tmp_path / "missing")) is None


def test_unknown_engines_are_refused(sample):
    with pytest.raises(ValueError, match="unknown engine 'polars'"):
        scale.customer_features(sample, "polars")
    with pytest.raises(TypeError, match="write_parquet"):
        scale.customer_features(sample, "spark", spark=object())


def test_the_benchmark_table_reports_an_engine_that_did_not_fit():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from bench_scale import markdown_table
    sizes = [{"data": "/tmp/pq-100m", "rows_that_differ": {"spark vs duckdb": 0}, "results": [
        {"engine": "pandas", "fits": False, "peak_mib": 22677, "wall_seconds": 55.9, "note": "stopped: past 22.0 GiB"},
        {"engine": "duckdb", "fits": True, "order_lines": 103500630, "customers": 11000000, "seconds": 82.1,
         "startup_seconds": 0.1, "peak_mib": 13933},
        {"engine": "spark", "fits": True, "order_lines": 103500630, "customers": 11000000, "seconds": 757.2,
         "startup_seconds": 6.9, "peak_mib": 5799}]}]
    table = markdown_table(sizes).splitlines()
    assert table[2] == "| 103,500,630 | 11,000,000 | pandas | - | - | 22.1 | stopped: past 22.0 GiB |"
    assert table[4] == "| 103,500,630 | 11,000,000 | spark | 757.2 (+6.9 start) | 9.2 | 5.7 |  |"
    assert table[5] == "| | | rows that differ | spark vs duckdb: 0 | | | |"


def test_spark_workers_find_the_kit_from_any_folder(small_world_dir, tmp_path):
    # a notebook runs in notebooks/, where Spark's Python workers did not find `helpers` to unpickle a scorer
    _need("spark")
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    script = f"""
import sys
sys.path.insert(0, {str(root)!r})
from helpers import scale
from helpers.data import load_world
world = load_world({str(small_world_dir)!r})
table = scale.customer_features(world, "pandas")
model = scale.fit_segments_on_sample(table, world.as_of, fraction=0.5)
features = scale.customer_features(world, "duckdb", out="features.parquet")
spark = scale.spark_session(cores=1, memory="1g")
scored = scale.score_features(features, scale.segment_scorer(model, world.as_of), scale.SEGMENT_SCHEMA, "spark", spark=spark)
print(len(scored), len(table))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    scored, customers = done.stdout.split()[-2:]
    assert scored == customers
    # Spark's start-up chatter (timestamps, log4j notes) goes to its log file, not into a notebook's output
    assert done.stderr == "", done.stderr[-2000:]
