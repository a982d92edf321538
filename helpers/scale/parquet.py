"""Parquet, what the engines read: a validated world written as one file per table with its metadata, and read back."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from ..data import ValidationReport, World
from ..features import FeatureDefinition, feature_definition
from ..vocabulary import TABLES
from .engines import require_engine

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
