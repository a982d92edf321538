"""Loading and validating the retail tables against the data contract (:mod:`helpers.schema`).

Data flows one way: raw tables -> :func:`validate` -> clean tables plus a
:class:`ValidationReport` of what was kept, repaired and excluded, by reason.
Nothing is dropped without appearing in the report, and every excluded row can
be inspected. Input the kit cannot trust (a missing column, text in a number
column, an unknown code, an id that joins nothing, ...) raises
:class:`DataContractError` naming the table, column and example rows.

Example::

    world = load_world()          # the committed sample, validated
    world.report.summary()        # rows read, kept, repaired, excluded per table
"""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .schema import FOREIGN_KEYS, PRIMARY_KEYS, SCHEMA, Column
from .validation.report import (DUPLICATE, EXAMPLES, NO_CUSTOMER, DataContractError, Ledger,  # noqa: F401
                                ValidationReport, after_as_of, key_clashes, narrow_ids)
from .validation.values import FALSE_WORDS, TRUE_WORDS, ValueParser  # noqa: F401
from .vocabulary import TABLES

KIT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = KIT_ROOT / "datasets"


# --------------------------------------------------------------------------- reading
def read_raw(folder: str | Path | None = None, tables: tuple[str, ...] = TABLES) -> dict[str, pd.DataFrame]:
    """Read the world's CSV files as text, exactly as stored (validation does the typing).

    Example::

        raw = read_raw()          # {'customers': ..., 'products': ..., 'orders': ..., ...}
    """
    folder = Path(folder) if folder is not None else DEFAULT_DATA_DIR
    raw = {}
    for table in tables:
        path = _find_file(folder, table)
        raw[table] = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return raw


def _find_file(folder: Path, table: str) -> Path:
    for suffix in (".csv.gz", ".csv"):
        path = folder / f"{table}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no file for table '{table}' in {folder} (looked for {table}.csv.gz and {table}.csv)")


def world_metadata(folder: str | Path | None = None) -> dict:
    """The generator's record of a world: seed, size, fixed dates, campaign, row counts."""
    folder = Path(folder) if folder is not None else DEFAULT_DATA_DIR
    return json.loads((folder / "world.json").read_text(encoding="utf-8"))


@dataclass
class World:
    """Validated tables of the retail world, with the report and the generator's metadata."""

    customers: pd.DataFrame
    products: pd.DataFrame
    orders: pd.DataFrame
    events: pd.DataFrame
    campaign: pd.DataFrame
    report: ValidationReport
    meta: dict = field(default_factory=dict)

    @property
    def as_of(self) -> pd.Timestamp:
        """The day the data describes (from the metadata its loader wrote); never a default date."""
        if not self.meta.get("as_of"):
            raise ValueError("this world has no as-of date in its metadata: load it with load_world or "
                             "load_own_data, or pass as_of explicitly")
        return pd.Timestamp(self.meta["as_of"])

    def tables(self) -> dict[str, pd.DataFrame]:
        return {t: getattr(self, t) for t in TABLES}


# --------------------------------------------------------------------------- the contract's checks
def parse_column(parser: ValueParser, col: Column) -> pd.Series:
    """One column of the contract read by the one value parser (tidying reported in the parser's ledger).

    >>> from helpers.validation import Ledger
    >>> raw = pd.DataFrame({"channel": [" Web", "app"]})
    >>> parse_column(ValueParser("orders", raw, Ledger("orders", raw)), SCHEMA["orders"][8]).tolist()
    ['web', 'app']
    """
    name = col.name
    if col.kind in ("int", "float"):
        values = parser.numbers(name, kind=col.kind, empty_ok=True, nullable=col.nullable)
    elif col.kind == "bool":
        values = parser.flags(name, empty=pd.NA)
    elif col.kind in ("date", "datetime"):
        values = parser.stamps(name, "ISO8601", empty_ok=True)
    elif col.kind == "category":
        values = parser.codes(name, col.allowed, col.ordered)
    else:
        values = parser.text(name, lower=col.lower, dtype=parser.raw[name].dtype)
    _check_range(parser.table, col, values, parser.raw[name])
    return values


def _check_range(table: str, col: Column, values: pd.Series, raw: pd.Series) -> None:
    if col.kind not in ("int", "float"):
        return
    if col.minimum is not None:
        low = (values < col.minimum).fillna(False).astype(bool)
        if low.any():
            what = "negative values" if col.minimum == 0 else f"values below {col.minimum:g}"
            raise DataContractError(table, col.name, what, raw[low.to_numpy()])
    if col.maximum is not None:
        high = (values > col.maximum).fillna(False).astype(bool)
        if high.any():
            raise DataContractError(table, col.name, f"values above {col.maximum:g}", raw[high.to_numpy()])


def _check_columns(table: str, frame: pd.DataFrame, columns: tuple[Column, ...]) -> None:
    if frame.empty:
        raise DataContractError(table, None, "the table is empty (no data rows)")
    expected = [c.name for c in columns]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        extra = [c for c in frame.columns if c not in expected]
        hints = []
        for m in missing:
            close = difflib.get_close_matches(m, extra, n=1, cutoff=0.6)
            hints.append(f"'{m}'" + (f" (found '{close[0]}': misspelled?)" if close else ""))
        raise DataContractError(table, missing[0], f"required column(s) missing: {', '.join(hints)}; "
                                f"columns found: {list(frame.columns)}")


# --------------------------------------------------------------------------- validation
def check_as_of(as_of: str | pd.Timestamp, order_ts: pd.Series, table: str = "orders",
                column: str = "order_ts") -> pd.Timestamp:
    """The as-of day, refused when it lies after the last order's day or before the first's.

    An as-of day past the data would make every customer look lapsed (and
    leave the churn model nothing to learn); one before it leaves no history.

    >>> check_as_of("2025-06-30", pd.Series(pd.to_datetime(["2025-01-05 09:00", "2025-06-30 10:00"])))
    Timestamp('2025-06-30 00:00:00')
    """
    as_of = pd.Timestamp(as_of).normalize()
    stamps = order_ts.dropna()
    if stamps.empty:
        return as_of
    first, last = stamps.min().normalize(), stamps.max().normalize()
    if as_of > last:
        raise DataContractError(table, column, f"the as-of date {as_of.date()} is {(as_of - last).days} days after the "
                                f"last order ({last.date()}); set as_of to {last.date()} or earlier")
    if as_of < first:
        raise DataContractError(table, column, f"the as-of date {as_of.date()} is before the first order "
                                f"({first.date()}); set as_of between {first.date()} and {last.date()}")
    return as_of


def validate(raw: dict[str, pd.DataFrame], as_of: str | pd.Timestamp, unknown_customers: str = "raise") -> World:
    """Type, tidy and check the raw tables; return a :class:`World` with its report.

    Repairs (reported): codes in the wrong case or with stray spaces, emails
    not trimmed or lower-cased, any value with stray spaces. Exclusions
    (reported, rows kept in ``report.excluded``, each for the first reason in
    the order of :data:`helpers.validation.report.STEPS`): exact duplicate
    rows, orders and events without a customer (guest checkouts, anonymous
    browsing), rows dated after ``as_of``, and, with
    ``unknown_customers="exclude"``, rows whose customer is not in the
    customers table. Everything else that breaks the contract raises
    :class:`DataContractError`. The template's loader
    (:func:`helpers.owndata.load_own_data`) keeps the same books with the
    same parser, so both report the same counts on the same files.

    Example::

        world = validate(read_raw(), as_of=world_metadata(DEFAULT_DATA_DIR)["as_of"], unknown_customers="exclude")
        world.report.excluded["orders"]   # the excluded rows, with a reason column
    """
    if unknown_customers not in ("raise", "exclude"):
        raise ValueError("unknown_customers must be 'raise' or 'exclude'")
    as_of = pd.Timestamp(as_of)
    missing_tables = [t for t in SCHEMA if t not in raw]
    if missing_tables:
        raise DataContractError(missing_tables[0], None, f"table(s) missing from the input: {missing_tables}")
    report = ValidationReport()
    typed: dict[str, pd.DataFrame] = {}
    ledgers: dict[str, Ledger] = {}
    parsers: dict[str, ValueParser] = {}

    for table, columns in SCHEMA.items():
        frame = raw[table]
        _check_columns(table, frame, columns)
        ledgers[table] = Ledger(table, frame)
        parser = parsers[table] = ValueParser(table, frame, ledgers[table])
        out = pd.DataFrame(index=frame.index)
        for col in columns:
            out[col.name] = parse_column(parser, col)
            if not col.nullable:
                empty = out[col.name].isna()
                if empty.any():
                    raise DataContractError(table, col.name, "required values are empty", frame.loc[empty, col.name])
        extra = [c for c in frame.columns if c not in out.columns]
        for c in extra:  # analysts' extra columns travel along untouched
            out[c] = frame[c]
        if extra:
            report.notes.append(f"{table}: extra column(s) {extra} are not in the contract; kept as text, unchecked")
        # compared as read, so " Web" and "web" on otherwise equal rows are duplicates too
        ledgers[table].exclude(DUPLICATE, parser.duplicated(), step="duplicate")
        if table in NO_CUSTOMER:
            ledgers[table].exclude(NO_CUSTOMER[table], out["customer_id"].isna(), step="no customer")
        ts = {"orders": "order_ts", "events": "event_ts"}.get(table)
        if ts:
            ledgers[table].exclude(after_as_of(as_of), out[ts] >= as_of + pd.Timedelta(days=1), step="after as-of")
        typed[table] = out

    check_as_of(as_of, typed["orders"]["order_ts"])
    for table, key in PRIMARY_KEYS.items():
        key_clashes(table, "/".join(key), typed[table][list(key)], parsers[table].duplicated(keep=False))
    _check_joins(typed, ledgers, unknown_customers)
    clean = {table: ledgers[table].close(report, frame) for table, frame in typed.items()}
    for table in ("orders", "events"):
        narrow_ids(clean[table])
    meta = {"as_of": as_of.strftime("%Y-%m-%d")}
    return World(**clean, report=report, meta=meta)


def _check_joins(typed: dict[str, pd.DataFrame], ledgers: dict[str, Ledger], unknown_customers: str) -> None:
    for table, column, target, target_col in FOREIGN_KEYS:
        values = typed[table][column]
        known = values.isin(typed[target][target_col]) | values.isna()
        if known.all():
            continue
        problem = f"{(~known).sum()} row(s) name a {target_col} that is not in the {target} table"
        if column == "customer_id" and target == "customers" and unknown_customers == "exclude" and table != "customers":
            ledgers[table].exclude("customer id not in the customers table", ~known, step="unjoined")
            continue
        hint = "; pass unknown_customers='exclude' to exclude and report them instead" if column == "customer_id" else ""
        raise DataContractError(table, column, problem + hint, values[~known].astype(str))


def load_world(folder: str | Path | None = None, as_of: str | pd.Timestamp | None = None,
               unknown_customers: str = "raise") -> World:
    """Read and validate a world folder (the committed sample by default).

    Example::

        world = load_world()                      # datasets/
        world = load_world("/tmp/world-1m")       # a generated copy
    """
    folder = Path(folder) if folder is not None else DEFAULT_DATA_DIR
    meta = world_metadata(folder) if (folder / "world.json").exists() else {}
    if as_of is None and "as_of" not in meta:
        raise ValueError(f"{folder} has no world.json with an as_of date: pass as_of explicitly")
    as_of = pd.Timestamp(as_of if as_of is not None else meta["as_of"])
    world = validate(read_raw(folder), as_of=as_of, unknown_customers=unknown_customers)
    world.meta = {**meta, "as_of": as_of.strftime("%Y-%m-%d"), "folder": str(folder)}
    return world
