"""When one laptop is not enough: the customer feature table and RFM segments as one SQL definition, run by DuckDB or Spark.

The rules of lessons 02 and 03 (:mod:`helpers.rfm`, :mod:`helpers.features`,
:func:`helpers.clustering.browsing_counts`) are written here once more, as
SQL generated from a :class:`FeatureDefinition`: one query, written in the
spelling of DuckDB (one machine, out of core, files in Parquet) or of Spark
SQL (a cluster, or local mode). The two dialects differ in a few spellings
(quoting names, escaping quotes in text, counting days), which
:class:`Dialect` names. pandas stays the reference: the tests prove all three
engines agree row for row on the sample.

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
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .clustering import MIN_SEGMENT_CUSTOMERS, clustering_features, fit_micro_segments
from .data import ValidationReport, World
from .features import FeatureDefinition, build_features, feature_definition
from .features.sql import BASE_VIEW, DIALECTS, DUCKDB, SPARK, Dialect, feature_queries, feature_sql  # noqa: F401
from .vocabulary import TABLES

ENGINES = ("pandas", "duckdb", "spark")
MIN_JAVA = 17  # Spark 4 runs on Java 17 or newer
JAVA_HELP = ("Spark needs a Java runtime, version 17 or newer. On Debian or Ubuntu: "
             "sudo apt-get install -y default-jre-headless (Debian 12 gives Java 17); on macOS: brew install openjdk@17; "
             "on Google Colab: !apt-get install -y openjdk-17-jre-headless. Or set JAVA_HOME to a Java 17+ installation.")
INSTALL_HELP = "pip install -r requirements-scale.txt (DuckDB, PySpark and pyarrow, the versions the kit is tested with)"


# --------------------------------------------------------------------------- what is installed
def _java_major(java: str) -> int | None:
    try:
        text = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    found = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not found:
        return None
    major = int(found.group(1))
    return int(found.group(2)) if major == 1 and found.group(2) else major  # "1.8" is Java 8


def _java_command() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def engines_available() -> pd.DataFrame:
    """Which engines this environment can run, their versions, and what to install when one is missing.

    Example::

        engines_available()      # pandas, parquet (pyarrow), duckdb, spark: available, version, missing
    """
    rows = [("pandas", True, pd.__version__, "")]
    try:
        import pyarrow
        rows.append(("parquet", True, f"pyarrow {pyarrow.__version__}", ""))
    except ImportError:
        rows.append(("parquet", False, "", f"the pyarrow package: {INSTALL_HELP}"))
    try:
        import duckdb
        rows.append(("duckdb", True, duckdb.__version__, ""))
    except ImportError:
        rows.append(("duckdb", False, "", f"the duckdb package: {INSTALL_HELP}"))
    try:
        import pyspark
        version = pyspark.__version__
    except ImportError:
        rows.append(("spark", False, "", f"the pyspark package: {INSTALL_HELP}"))
    else:
        java = _java_command()
        major = _java_major(java) if java else None
        if major is None or major < MIN_JAVA:
            found = "no Java runtime found" if java is None else f"{java} is Java {major or 'of unknown version'}"
            rows.append(("spark", False, version, f"{found}. {JAVA_HELP}"))
        else:
            rows.append(("spark", True, f"{version} (Java {major})", ""))
    return pd.DataFrame(rows, columns=["engine", "available", "version", "missing"]).set_index("engine")


def require_engine(engine: str) -> None:
    """Raise ``RuntimeError`` saying what to install when ``engine`` (or ``"parquet"``) cannot run here."""
    if engine not in (*ENGINES, "parquet"):
        raise ValueError(f"unknown engine {engine!r}; choose from {ENGINES}")
    row = engines_available().loc[engine]
    if not row["available"]:
        raise RuntimeError(f"{engine} cannot run here: {row['missing']}")


# --------------------------------------------------------------------------- Parquet: what the engines read
PARQUET_OPTIONS = {"index": False, "coerce_timestamps": "us", "allow_truncated_timestamps": True}  # Spark reads no ns


def write_parquet(world: World, folder: str | Path, copies: int = 1) -> Path:
    """Write a validated world's tables as ``<folder>/<table>.parquet`` and its metadata as ``world.json``.

    Parquet keeps the types validation gave (dates, numbers, flags), so
    neither engine guesses them again; both read the files where they lie.
    ``copies`` > 1 writes the world that many times over with customer and
    order ids shifted, for scale tests: the same distributions, ``copies``
    times the customers (each copy is written as it is made, so memory does
    not grow with it).

    Example::

        folder = write_parquet(load_world(), "output/parquet")
    """
    require_engine("parquet")
    import pyarrow as pa
    import pyarrow.parquet as pq
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    id_stride = _stride(world.customers["customer_id"])
    order_stride = _stride(world.orders["order_id"])
    for table in TABLES:
        frame = getattr(world, table)
        writer = None
        try:
            for copy in range(copies if table != "products" else 1):
                part = _shifted(frame, copy * id_stride, copy * order_stride)
                arrow = pa.Table.from_pandas(part, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(folder / f"{table}.parquet", arrow.schema,
                                              coerce_timestamps="us", allow_truncated_timestamps=True)
                writer.write_table(arrow)
        finally:
            if writer is not None:
                writer.close()
    rows = {t: len(getattr(world, t)) * (copies if t != "products" else 1) for t in TABLES}
    meta = {**{k: v for k, v in world.meta.items() if k not in ("files", "folder", "rows")},
            "as_of": f"{world.as_of:%Y-%m-%d}", "format": "parquet", "copies": copies, "rows": rows,
            # the codes the feature definition reads from the data, so an engine need not scan for them again
            "feature_codes": {f: list(getattr(feature_definition(world), f)) for f in CODE_FIELDS}}
    (folder / "world.json").write_text(json.dumps(meta, indent=2, default=str) + "\n", encoding="utf-8")
    return folder


def _stride(ids: pd.Series) -> int:
    """A round number above every id, so shifted copies never collide."""
    top = int(ids.max()) if len(ids) else 0
    return 10 ** len(str(top))


def _shifted(frame: pd.DataFrame, id_shift: int, order_shift: int) -> pd.DataFrame:
    if not id_shift and not order_shift:
        return frame
    shifts = {"customer_id": id_shift, "referred_by": id_shift, "order_id": order_shift}
    return frame.assign(**{c: frame[c] + shift for c, shift in shifts.items() if c in frame.columns})


CODE_FIELDS = ("categories", "channels", "event_types", "profile", "survey", "interests")
# the columns the codes are read from, when a folder's world.json does not list them
CODE_INPUT_COLUMNS = {"products": ["category"], "orders": ["channel"], "events": ["event_type"]}


def input_columns(definition: FeatureDefinition) -> dict[str, list[str]]:
    """The columns a definition's feature table reads, so pandas need not load the rest of a large world."""
    return {
        "customers": ["customer_id", "signup_date", *definition.profile, *definition.survey,
                      *(["interests"] if definition.has("interests") else [])],
        "products": ["product_id", "category"],
        "orders": ["order_id", "line_number", "customer_id", "order_ts", "product_id", "quantity", "unit_price",
                   "discount", "channel", "status"],
        "events": ["customer_id", "event_ts", "event_type"],
    }


def read_parquet_world(folder: str | Path, columns: Mapping[str, Sequence[str]] | None = None) -> World:
    """The world :func:`write_parquet` wrote, as a :class:`helpers.data.World` (it was validated before writing).

    ``columns`` reads only those columns of the tables it names (and no rows
    of a table it leaves out), e.g. :func:`input_columns`.
    """
    folder = Path(folder)
    missing = [t for t in TABLES if not (folder / f"{t}.parquet").exists()]
    if missing:
        raise FileNotFoundError(f"{folder} lacks {', '.join(t + '.parquet' for t in missing)}; write it with write_parquet")
    tables = {}
    for table in TABLES:
        if columns is not None and table not in columns:
            import pyarrow.parquet as pq
            tables[table] = pq.ParquetFile(folder / f"{table}.parquet").schema_arrow.empty_table().to_pandas()
        else:
            tables[table] = pd.read_parquet(folder / f"{table}.parquet",
                                            columns=None if columns is None or columns[table] is None else list(columns[table]))
    meta = json.loads((folder / "world.json").read_text(encoding="utf-8")) if (folder / "world.json").exists() else {}
    report = ValidationReport(notes=[f"read from Parquet in {folder}; validated when it was written"])
    return World(**tables, report=report, meta=meta)


def _as_of_of(source: World | str | Path) -> pd.Timestamp:
    if isinstance(source, World):
        return source.as_of
    meta = Path(source) / "world.json"
    if not meta.exists():
        raise FileNotFoundError(f"{meta} not found: pass as_of, or write the folder with write_parquet")
    return pd.Timestamp(json.loads(meta.read_text(encoding="utf-8"))["as_of"])


def definition_for(source: World | str | Path, as_of: str | pd.Timestamp | None = None,
                   definition: FeatureDefinition | None = None) -> FeatureDefinition:
    """The given definition, else lesson 10's for the source's codes (from world.json when it lists them).

    Example::

        definition = definition_for("output/parquet")     # as of the folder's as_of, its own codes
    """
    if definition is not None:
        return definition
    as_of = pd.Timestamp(as_of) if as_of is not None else _as_of_of(source)
    if isinstance(source, World):
        return feature_definition(source, as_of)
    meta_file = Path(source) / "world.json"
    codes = json.loads(meta_file.read_text(encoding="utf-8")).get("feature_codes") if meta_file.exists() else None
    if codes:
        return feature_definition(None, as_of, **{field: tuple(codes[field]) for field in CODE_FIELDS})
    return feature_definition(read_parquet_world(source, {**CODE_INPUT_COLUMNS, "customers": None}), as_of)


# --------------------------------------------------------------------------- the engines
def duckdb_connection(source: World | str | Path, memory_limit: str | None = None, threads: int | None = None):
    """A DuckDB connection with the world's tables as views: over the Parquet files of a folder, or a World in memory.

    Example::

        con = duckdb_connection("output/parquet")
        con.sql("SELECT COUNT(*) FROM orders").fetchone()
    """
    require_engine("duckdb")
    import duckdb
    connection = duckdb.connect()
    if memory_limit:
        connection.execute(f"SET memory_limit = '{memory_limit}'")
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    for table in TABLES:
        if isinstance(source, World):
            connection.register(table, getattr(source, table))
        else:
            path = Path(source) / f"{table}.parquet"
            connection.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path.as_posix()}')")
    return connection


_SPARK_PANDAS_WARNING = "PySpark does not yet fully support pandas >= 3.0.0"


@contextmanager
def _quiet_spark_pandas():
    """PySpark 4.3 warns about pandas 3 at every conversion (and uses a keyword pandas 3 deprecates); the kit's
    tests prove the results agree with pandas, so the warnings would only bury the lesson's output."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=re.escape(_SPARK_PANDAS_WARNING), category=FutureWarning)
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module="pyspark")
        yield


def spark_session(cores: int | None = None, memory: str = "4g", shuffle_partitions: int | None = None,
                  app: str = "micro-segmentation kit"):
    """A local Spark session tuned for one machine (``local[cores]``), quiet, in UTC, with Arrow for pandas.

    ``shuffle_partitions`` defaults to two per core, right for the sample;
    for tens of millions of rows use more (e.g. 64), so each task's share of a
    shuffle fits in memory. The workers get this Python and the kit on their
    path. Spark's own messages (start-up notes and warnings, with
    timestamps) go to :data:`SPARK_LOG`, not into notebook outputs. On a
    cluster, build your own session instead and ship the kit to the workers
    (``spark.sparkContext.addPyFile`` with a zip of ``helpers/``); the
    queries and scorers here only use ``spark.sql``, ``spark.read`` and ``mapInPandas``.

    Example::

        spark = spark_session(cores=2)
    """
    require_engine("spark")
    with _quiet_spark_pandas():
        from pyspark.sql import SparkSession
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: no network interface needed, no warning
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers must run this environment's Python
    # ... and import the kit's helpers (a scorer is a helpers function), wherever the notebook runs from
    kit_root = str(Path(__file__).resolve().parent.parent)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if kit_root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([kit_root, *paths])
    cores = cores or os.cpu_count() or 2
    builder = (SparkSession.builder.master(f"local[{cores}]").appName(app)
               .config("spark.driver.memory", memory)
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions or max(2, 2 * cores)))
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false"))
    spark = _start_quietly(builder)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


SPARK_LOG = Path(tempfile.gettempdir()) / "kit-spark.log"


def _start_quietly(builder):
    """Start the Java process with its error stream in :data:`SPARK_LOG`; it keeps that stream for its lifetime."""
    from pyspark import SparkContext
    if SparkContext._active_spark_context is not None:
        return builder.getOrCreate()
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(SPARK_LOG, "ab") as log:
            os.dup2(log.fileno(), 2)
            with _quiet_spark_pandas():
                return builder.getOrCreate()
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def spark_views(spark, folder: str | Path) -> None:
    """Register the Parquet tables of ``folder`` as Spark SQL views named after the tables."""
    for table in TABLES:
        spark.read.parquet(str(Path(folder) / f"{table}.parquet")).createOrReplaceTempView(table)


def _tidy(frame: pd.DataFrame, definition: FeatureDefinition) -> pd.DataFrame:
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
    for column in [c for c in ("rfm_segment", "macro", "top_category", "main_channel") if c in frame]:
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
            return _tidy(relation.df(), definition)
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
                return _tidy(frame.toPandas(), definition)
        frame.write.mode("overwrite").parquet(str(out))
        return Path(out)
    finally:
        base.unpersist()


# --------------------------------------------------------------------------- scoring a fitted model at scale
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


def fit_segments_on_sample(table: pd.DataFrame, as_of: str | pd.Timestamp, fraction: float = 0.2, seed: int = 0,
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
    sample = table.sample(frac=fraction, random_state=seed).sort_index()
    if min_customers is None:
        min_customers = max(1, round(MIN_SEGMENT_CUSTOMERS * fraction))
    return fit_micro_segments(sample, None, as_of, k=k, min_customers=min_customers, seed=seed,
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


# --------------------------------------------------------------------------- agreement
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


# --------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """``python -m helpers.scale parquet|features ...``: make a Parquet world, or its feature table on an engine."""
    import argparse
    import time
    from .data import load_world
    parser = argparse.ArgumentParser(prog="python -m helpers.scale", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("parquet", help="validate a world folder (CSV) and write it as Parquet")
    make.add_argument("--world", required=True, help="a world folder of CSV files (python -m helpers.world), or one "
                                                     "this command wrote (to make copies of it)")
    make.add_argument("--out", required=True, help="the Parquet folder to write")
    make.add_argument("--copies", type=int, default=1, help="write the world this many times over, ids shifted")
    features = commands.add_parser("features", help="the customer feature table of a Parquet world, on one engine")
    features.add_argument("--data", required=True, help="a Parquet folder written by the parquet command")
    features.add_argument("--engine", choices=ENGINES, default="duckdb")
    features.add_argument("--out", required=True, help="the Parquet file (DuckDB, pandas) or folder (Spark) to write")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.command == "parquet":
        if (Path(args.world) / "orders.parquet").exists():
            world = read_parquet_world(args.world)
        else:
            world = load_world(args.world)
            print(world.report, file=sys.stderr)
        write_parquet(world, args.out, copies=args.copies)
    else:
        customer_features(args.data, args.engine, out=args.out)
    print(f"{args.command}: {time.perf_counter() - start:.1f} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
