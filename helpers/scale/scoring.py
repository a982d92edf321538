"""Scoring at scale: a model fitted on a sample applied to every customer, batch by batch in DuckDB or as a Spark pandas UDF."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pandas as pd

from ..clustering import MIN_SEGMENT_CUSTOMERS, clustering_features, fit_micro_segments
from .engines import _quiet_spark_pandas, require_engine, spark_session

Scorer = Callable[[pd.DataFrame], pd.DataFrame]


def score_features(features: str | Path, scorer: Scorer, schema: Mapping[str, str], engine: str = "duckdb",
                   spark=None, batch_rows: int = 100_000, out: str | Path | None = None):
    """Apply ``scorer`` to every row of a feature table in Parquet, batch by batch, on DuckDB or Spark.

    ``scorer`` takes a pandas batch of the feature table (``customer_id`` a
    column) and returns one row per customer with the columns of ``schema``
    (name to SQL type, e.g. ``{"customer_id": "BIGINT", "micro_segment":
    "STRING"}``). It must treat each row on its own (a fitted model does);
    a rule that ranks customers against each other would give each batch its
    own ranks. DuckDB streams record batches of ``batch_rows`` through it;
    Spark runs it on every partition as a pandas UDF (``mapInPandas``).
    Returns a DataFrame sorted by ``customer_id``, or writes ``out``.

    Example::

        labels = score_features("output/features.parquet", segment_scorer(model, world.as_of), SEGMENT_SCHEMA)
    """
    if engine == "duckdb":
        require_engine("duckdb")
        import duckdb
        connection = duckdb.connect()
        relation = connection.sql(f"SELECT * FROM read_parquet('{Path(features).as_posix()}')")
        # DuckDB 2 names it to_arrow_reader; 1.x (as on Colab) fetch_record_batch
        reader = (relation.to_arrow_reader if hasattr(relation, "to_arrow_reader") else relation.fetch_record_batch)(batch_rows)
        batches = (_checked(scorer(batch.to_pandas()), schema) for batch in reader)
        if out is None:
            parts = list(batches)
            frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(schema))
            return frame.sort_values("customer_id", kind="stable", ignore_index=True)
        import pyarrow as pa
        import pyarrow.parquet as pq
        writer = None
        try:
            for part in batches:
                table = pa.Table.from_pandas(part, preserve_index=False)
                writer = writer or pq.ParquetWriter(str(out), table.schema)
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
        return Path(out)
    if engine != "spark":
        raise ValueError(f"score_features runs on 'duckdb' or 'spark', not {engine!r} (in pandas, call the scorer)")
    spark = spark or spark_session()
    ddl = ", ".join(f"`{name}` {kind}" for name, kind in schema.items())

    def score_partition(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        with _quiet_spark_pandas():  # runs in Spark's Python workers
            for batch in batches:
                yield _checked(scorer(batch), schema)

    with _quiet_spark_pandas():
        scored = spark.read.parquet(str(features)).mapInPandas(score_partition, ddl)
        if out is not None:
            scored.write.mode("overwrite").parquet(str(out))
            return Path(out)
        return scored.toPandas().sort_values("customer_id", kind="stable", ignore_index=True)


def _checked(part: pd.DataFrame, schema: Mapping[str, str]) -> pd.DataFrame:
    missing = [c for c in schema if c not in part.columns]
    if missing:
        raise KeyError(f"the scorer returned no column(s) {missing}; it returned {list(part.columns)}")
    return part[list(schema)]


SEGMENT_SCHEMA = {"customer_id": "BIGINT", "micro_segment": "STRING"}


def segment_features(table: pd.DataFrame, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Lesson 03's clustering features (what customers buy, how they shop and browse, survey, interests) from a
    feature table, any engine's: the browsing counts are already in it, so no events are needed."""
    return clustering_features(table, None, as_of, browsing=table.filter(like="browse_"))


def fit_segments_on_sample(table: pd.DataFrame, as_of: str | pd.Timestamp, fraction: float = 0.2, random_state: int = 0,
                           k: int = 4, min_customers: int | None = None):
    """Lesson 03's micro-segments fitted on a random ``fraction`` of the customers of a feature table.

    Fitting needs every row of its input in memory at once; scoring does
    not. So at scale, fit on a sample that fits (a few hundred thousand
    customers are plenty for a handful of centres) and score everyone with
    :func:`segment_scorer`. ``min_customers`` (the viability rule) defaults to
    lesson 03's, scaled to the sample.

    Example::

        model = fit_segments_on_sample(table, world.as_of, fraction=0.2)
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    sample = table.sample(frac=fraction, random_state=random_state).sort_index()
    if min_customers is None:
        min_customers = max(1, round(MIN_SEGMENT_CUSTOMERS * fraction))
    return fit_micro_segments(sample, None, as_of, k=k, min_customers=min_customers, random_state=random_state,
                              features=segment_features(sample, as_of))


def segment_scorer(model, as_of: str | pd.Timestamp) -> Scorer:
    """A scorer giving each customer of a feature-table batch the micro-segment of a fitted lesson-03 model.

    ``model`` is a :class:`helpers.clustering.MicroSegmentation` (from
    :func:`helpers.clustering.fit_micro_segments`, fitted on a sample); its
    frozen RFM quantiles, scalers and centres are applied row by row, so the
    batches need not see each other. Use with :data:`SEGMENT_SCHEMA`.

    Example::

        score_features(path, segment_scorer(model, world.as_of), SEGMENT_SCHEMA, engine="spark")
    """
    def score(batch: pd.DataFrame) -> pd.DataFrame:
        table = batch.set_index("customer_id")
        labels = model.assign(table, None, as_of, features=segment_features(table, as_of))
        return pd.DataFrame({"customer_id": labels.index.to_numpy("int64"), "micro_segment": labels.to_numpy(str)})
    return score
