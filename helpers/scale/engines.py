"""Which engines can run here, and connections to them: DuckDB over Parquet or a World in memory, a quiet local Spark."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ..data import World
from ..vocabulary import TABLES

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
    kit_root = str(Path(__file__).resolve().parents[2])  # helpers/scale/engines.py -> the folder holding helpers/
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
