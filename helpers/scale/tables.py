"""The customer feature table on one engine (pandas, DuckDB or Spark), and where two engines' tables disagree."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import World
from ..features import FeatureDefinition, build_features
from ..features.sql import BASE_VIEW, feature_queries, feature_sql
from .engines import ENGINES, _quiet_spark_pandas, duckdb_connection, spark_session, spark_views
from .parquet import PARQUET_OPTIONS, definition_for, input_columns, read_parquet_world

def as_reference_types(frame: pd.DataFrame, definition: FeatureDefinition) -> pd.DataFrame:
    """Engine output in the reference's types: float numbers, whole-number counts, nullable scores, flags, names."""
    frame = frame.set_index("customer_id").sort_index()
    frame.index = frame.index.astype("int64")
    numbers = ("recency_days", "tenure_days", "monetary", "aov", "return_share", "days_between_orders",
               "top_category_share", *definition.profile, *definition.survey)
    for column in [c for c in frame if c in numbers or c.startswith(("cat: ", "channel_"))]:
        frame[column] = frame[column].astype("float64")
    for column in ("frequency", *[c for c in frame if c.startswith("browse_")]):
        frame[column] = frame[column].astype("int64")
    for column in [c for c in ("R", "F", "M", "FM") if c in frame]:
        frame[column] = frame[column].astype("Int64")
    for column in [c for c in frame if c.startswith("tag_")]:
        frame[column] = frame[column].astype(bool)
    for column in [c for c in ("rfm_segment", "macro_tier", "top_category", "main_channel") if c in frame]:
        frame[column] = frame[column].astype(object).where(frame[column].notna(), np.nan)
    return frame[definition.columns()]


def customer_features(source: World | str | Path, engine: str = "duckdb", as_of: str | pd.Timestamp | None = None,
                      definition: FeatureDefinition | None = None, spark=None, out: str | Path | None = None,
                      duckdb_settings: Mapping[str, object] | None = None):
    """The customer feature table, R/F/M scores, named segment and macro tier of every customer, on one engine.

    ``source`` is a world folder written by :func:`write_parquet` (or, for
    pandas and DuckDB, a World in memory). The result is the same on every
    engine (the tests prove it on the sample): a DataFrame indexed by
    ``customer_id`` with :meth:`FeatureDefinition.columns`. With ``out``, the
    table is written by the engine itself, without collecting it into memory
    (a Parquet file; on Spark a folder of Parquet files, which pandas and
    DuckDB read as one), and the path is returned. ``spark`` is a
    session to use (default: :func:`spark_session`); ``duckdb_settings``
    e.g. ``{"memory_limit": "8GB", "threads": 2}``.

    Example::

        table = customer_features("output/parquet", engine="spark")
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {ENGINES}")
    definition = definition_for(source, as_of, definition)
    if engine == "pandas":
        world = source if isinstance(source, World) else read_parquet_world(source, input_columns(definition))
        table = build_features(world, definition)
        if out is None:
            return table
        table.reset_index().to_parquet(out, **PARQUET_OPTIONS)
        return Path(out)
    if engine == "duckdb":
        connection = duckdb_connection(source, **(duckdb_settings or {}))
        relation = connection.sql(feature_sql(definition, "duckdb"))
        if out is None:
            return as_reference_types(relation.df(), definition)
        connection.execute(f"COPY ({feature_sql(definition, 'duckdb')}) TO '{Path(out).as_posix()}' (FORMAT parquet)")
        return Path(out)
    if isinstance(source, World):
        raise TypeError("Spark reads files: write the world with write_parquet(world, folder) and pass the folder")
    spark = spark or spark_session()
    spark_views(spark, source)
    base_sql, scored_sql = feature_queries(definition, "spark")
    base = spark.sql(base_sql).persist()  # the scores read it four times; Spark would compute it four times
    base.createOrReplaceTempView(BASE_VIEW)
    try:
        frame = spark.sql(scored_sql)
        if out is None:
            with _quiet_spark_pandas():
                return as_reference_types(frame.toPandas(), definition)
        frame.write.mode("overwrite").parquet(str(out))
        return Path(out)
    finally:
        base.unpersist()


def disagreements(reference: pd.DataFrame, other: pd.DataFrame, tolerance: float = 1e-9) -> pd.DataFrame:
    """Where two feature tables differ: per column, the rows that differ and an example (empty when they agree).

    Numbers agree within ``tolerance`` (relative and absolute: the order of a
    sum differs between engines, so the last digits may too); everything else,
    scores, counts, flags and names, must be equal. Customers in one table
    and not the other count against the column ``customer_id``.

    >>> a = pd.DataFrame({"x": [1.0, 2.0], "name": ["a", "b"]}, index=[1, 2])
    >>> disagreements(a, a.assign(x=[1.0, 2.5])).to_dict("records")
    [{'column': 'x', 'rows': 1, 'example customer': 2, 'reference': 2.0, 'other': 2.5}]
    """
    rows = []
    only = reference.index.symmetric_difference(other.index)
    if len(only):
        rows.append(("customer_id", len(only), only[0], only[0] in reference.index, only[0] in other.index))
    shared = reference.index.intersection(other.index)
    for column in reference.columns:
        if column not in other.columns:
            rows.append((column, len(shared), None, "a column", "missing"))
            continue
        mine, theirs = reference.loc[shared, column], other.loc[shared, column]
        both_missing = (mine.isna() & theirs.isna()).to_numpy()
        if pd.api.types.is_float_dtype(mine.dtype) or pd.api.types.is_float_dtype(theirs.dtype):
            same = np.isclose(mine.astype(float), theirs.astype(float), rtol=tolerance, atol=tolerance, equal_nan=True)
        else:
            same = both_missing | (mine.astype(object) == theirs.astype(object)).fillna(False).to_numpy(bool)
        if not same.all():
            first = shared[~same][0]
            rows.append((column, int((~same).sum()), first, mine[first], theirs[first]))
    return pd.DataFrame(rows, columns=["column", "rows", "example customer", "reference", "other"])
