"""When one laptop is not enough: the customer feature table and RFM segments as one SQL definition, run by DuckDB or Spark.

The feature definition of :mod:`helpers.features` (one for every engine)
is compiled to SQL by :mod:`helpers.features.sql` and run here: DuckDB (one
machine, out of core, files in Parquet) or Spark (a cluster, or local mode).
pandas stays the reference: the tests prove all three engines agree row for
row on the sample. The package's rooms: :mod:`~helpers.scale.engines` (what
is installed, connections), :mod:`~helpers.scale.parquet` (worlds as
Parquet), :mod:`~helpers.scale.tables` (the feature table on an engine, and
agreement), :mod:`~helpers.scale.scoring` (fitted models at scale) and
``python -m helpers.scale`` (:mod:`~helpers.scale.cli`).

* :func:`write_parquet` / :func:`read_parquet_world`: a validated world as
  Parquet files (what both engines read), and back.
* :func:`customer_features`: the feature table with R, F, M scores, named
  segments and macro tiers, on ``"pandas"``, ``"duckdb"`` or ``"spark"``.
* :func:`score_features`: apply a model fitted on a sample (any function of a
  pandas batch, e.g. :func:`segment_scorer`) to every customer, batch by
  batch in DuckDB or as a pandas UDF (``mapInPandas``) in Spark.

Both engines are optional extras (``pip install -r requirements-scale.txt``);
Spark also needs a Java runtime, 17 or newer (:func:`engines_available`
says what is missing and how to get it).

Example::

    folder = write_parquet(load_world(), "output/parquet")
    table = customer_features(folder, engine="duckdb")      # one row per customer
    table["rfm_segment"].value_counts()
"""
from ..features import FeatureDefinition, feature_definition  # noqa: F401  (lesson 10 builds its definition here)
from ..features.sql import BASE_VIEW, DIALECTS, DUCKDB, SPARK, Dialect, feature_queries, feature_sql  # noqa: F401
from .engines import (ENGINES, INSTALL_HELP, JAVA_HELP, MIN_JAVA, SPARK_LOG, duckdb_connection,  # noqa: F401
                      engines_available, require_engine, spark_session, spark_views)
from .parquet import (CODE_FIELDS, PARQUET_OPTIONS, definition_for, input_columns, read_parquet_world,  # noqa: F401
                      write_parquet)
from .scoring import (SEGMENT_SCHEMA, Scorer, fit_segments_on_sample, score_features, segment_features,  # noqa: F401
                      segment_scorer)
from .tables import as_reference_types, customer_features, disagreements  # noqa: F401
