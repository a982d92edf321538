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

import numpy as np
import pandas as pd

from .vocabulary import TABLES
from .schema import FOREIGN_KEYS, PRIMARY_KEYS, SCHEMA, Column

KIT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = KIT_ROOT / "datasets"
TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}
EXAMPLES = 5  # example rows quoted in an error message


class DataContractError(ValueError):
    """Input that breaks the data contract; the message names table, column and rows."""

    def __init__(self, table: str, column: str | None, problem: str, rows: pd.Series | None = None):
        self.table, self.column, self.problem = table, column, problem
        self.rows = [] if rows is None else list(rows.index[:EXAMPLES])
        where = f"table '{table}'" + (f", column '{column}'" if column else "")
        message = f"{where}: {problem}"
        if rows is not None and len(rows):
            shown = ", ".join(f"row {i}: {v!r}" for i, v in rows.head(EXAMPLES).items())
            more = f" (and {len(rows) - EXAMPLES} more)" if len(rows) > EXAMPLES else ""
            message += (f". {len(rows)} row(s) at fault, e.g. {shown}{more}"
                        " (rows count from 0 after the header: row r is line r + 2 of the CSV file)")
        super().__init__(message)


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


# --------------------------------------------------------------------------- report
@dataclass
class ValidationReport:
    """What validation did to every table.

    ``summary()`` gives rows read, kept unchanged, repaired and excluded per
    table (they always add up; the clean table holds the unchanged and the
    repaired rows); ``actions()`` lists each repair and exclusion by reason;
    ``excluded[table]`` holds the excluded rows as read, with a ``reason``
    column, indexed by their row number in the raw table (counted from 0
    after the header) and with ``csv_line``, their line in the CSV file.
    ``notes`` says what was noticed without touching rows (extra columns).
    """

    read: dict[str, int] = field(default_factory=dict)
    repaired_rows: dict[str, int] = field(default_factory=dict)
    excluded: dict[str, pd.DataFrame] = field(default_factory=dict)
    action_log: list[tuple[str, str, str, int]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> pd.DataFrame:
        rows = []
        for table, n in self.read.items():
            excluded = len(self.excluded.get(table, ()))
            repaired = self.repaired_rows.get(table, 0)
            rows.append((table, n, n - excluded - repaired, repaired, excluded))
        return pd.DataFrame(rows, columns=["table", "read", "kept unchanged", "repaired", "excluded"]).set_index("table")

    def actions(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.action_log, columns=["table", "action", "reason", "rows"])
        return frame[frame["rows"] > 0].reset_index(drop=True)

    def __str__(self) -> str:
        lines = ["Validation report"]
        for table, r in self.summary().iterrows():
            lines.append(f"  {table:<10} read {r['read']:>9,}  unchanged {r['kept unchanged']:>9,}  "
                         f"repaired {r['repaired']:>7,}  excluded {r['excluded']:>7,}")
        for a in self.actions().itertuples(index=False):
            lines.append(f"    {a.table}: {a.action} {a.rows:,} row(s): {a.reason}")
        lines.extend(f"    note: {note}" for note in self.notes)
        return "\n".join(lines)


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


# --------------------------------------------------------------------------- parsing
def _bad(values: pd.Series, mask: pd.Series | np.ndarray) -> pd.Series:
    return values[np.asarray(mask, bool)]


def _parse_column(table: str, col: Column, raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Typed column and a boolean mask of rows whose value was tidied (repaired).

    Values are parsed once per distinct value, then spread back to the rows:
    code and date columns repeat a lot, which makes this fast on big tables.
    """
    codes, uniques = pd.factorize(raw)
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    row_of = np.where(codes < 0, len(distinct), codes)  # empty cells point one past the end
    present = pd.Series(codes >= 0, index=raw.index)

    def spread(per_distinct, empty) -> np.ndarray:
        return np.append(np.asarray(per_distinct), empty)[row_of]

    stripped = distinct.str.strip()
    repaired = pd.Series(False, index=raw.index)
    if col.kind in ("int", "float"):
        numbers = pd.to_numeric(stripped, errors="coerce").astype("float64")
        _raise_if(table, col, raw, spread(numbers.isna(), False), f"expected numbers ({col.kind}) but found text")
        values = pd.Series(spread(numbers, np.nan), index=raw.index)
        if col.kind == "int":
            _raise_if(table, col, raw, (values % 1 != 0).to_numpy() & present.to_numpy(), "expected whole numbers")
            values = values.astype("Int64") if col.nullable or values.isna().any() else values.astype("int64")
    elif col.kind == "bool":
        lowered = stripped.str.lower()
        is_true, is_false = lowered.isin(TRUE_WORDS), lowered.isin(FALSE_WORDS)
        _raise_if(table, col, raw, spread(~(is_true | is_false), False), "expected true/false")
        values = pd.Series(spread(is_true, False), index=raw.index)
        if not present.all():
            values = values.astype("boolean").mask(~present)
    elif col.kind in ("date", "datetime"):
        stamps = pd.to_datetime(stripped, errors="coerce", format="ISO8601")
        if getattr(stamps.dt, "tz", None) is not None:
            stamps = stamps.dt.tz_convert(None)
        example = "2026-03-31" + (" 14:05:00" if col.kind == "datetime" else "")
        _raise_if(table, col, raw, spread(stamps.isna(), False),
                  f"dates that cannot be read (expected ISO 8601, e.g. {example})")
        values = pd.Series(pd.DatetimeIndex(stamps).append(pd.DatetimeIndex([pd.NaT]))[row_of],
                           index=raw.index).astype("datetime64[ns]")
    elif col.kind == "category":
        position = {a.strip().lower(): i for i, a in enumerate(col.allowed)}
        code = stripped.str.lower().map(position)
        unknown = spread(code.isna(), False)
        if unknown.any():
            found = sorted(map(str, raw[unknown].unique()))[:EXAMPLES]
            _raise_if(table, col, raw, unknown, f"unknown code(s) {found}; allowed: {list(col.allowed)}")
        canonical = np.asarray(col.allowed, dtype=object)[code.fillna(0).astype(int).to_numpy()]
        repaired = pd.Series(spread(canonical != distinct.to_numpy(), False), index=raw.index)
        values = pd.Series(pd.Categorical.from_codes(spread(code.fillna(-1).astype(int), -1),
                                                     categories=list(col.allowed), ordered=col.ordered),
                           index=raw.index)
    else:  # str
        values = raw
        if col.name == "email":
            tidy = stripped.str.lower()
            repaired = pd.Series(spread(tidy != distinct, False), index=raw.index)
            values = pd.Series(spread(tidy, None), index=raw.index, dtype=raw.dtype)
    _check_range(table, col, values, raw)
    return values, repaired


def _raise_if(table: str, col: Column, raw: pd.Series, wrong: np.ndarray, problem: str) -> None:
    wrong = np.asarray(wrong, bool)
    if wrong.any():
        raise DataContractError(table, col.name, problem, raw[wrong])


def _check_range(table: str, col: Column, values: pd.Series, raw: pd.Series) -> None:
    if col.kind not in ("int", "float"):
        return
    if col.minimum is not None:
        low = (values < col.minimum).fillna(False).astype(bool)
        if low.any():
            what = "negative values" if col.minimum == 0 else f"values below {col.minimum:g}"
            raise DataContractError(table, col.name, what, _bad(raw, low))
    if col.maximum is not None:
        high = (values > col.maximum).fillna(False).astype(bool)
        if high.any():
            raise DataContractError(table, col.name, f"values above {col.maximum:g}", _bad(raw, high))


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

    >>> check_as_of("2026-09-30", pd.Series(pd.to_datetime(["2026-01-05 09:00", "2026-09-30 10:00"])))
    Timestamp('2026-09-30 00:00:00')
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
    not trimmed or lower-cased. Exclusions (reported, rows kept in
    ``report.excluded``): exact duplicate rows, orders and events without a
    customer (guest checkouts, anonymous browsing), rows dated after
    ``as_of``, and, with ``unknown_customers="exclude"``, rows whose customer
    is not in the customers table. Everything else that breaks the contract
    raises :class:`DataContractError`.

    Example::

        world = validate(read_raw(), as_of="2026-09-30", unknown_customers="exclude")
        world.report.excluded["orders"]   # the excluded rows, with a reason column
    """
    if unknown_customers not in ("raise", "exclude"):
        raise ValueError("unknown_customers must be 'raise' or 'exclude'")
    as_of = pd.Timestamp(as_of)
    missing_tables = [t for t in SCHEMA if t not in raw]
    if missing_tables:
        raise DataContractError(missing_tables[0], None, f"table(s) missing from the input: {missing_tables}")
    report = ValidationReport()
    clean: dict[str, pd.DataFrame] = {}
    exclusions: dict[str, list[tuple[str, pd.Series]]] = {}
    repairs: dict[str, list[tuple[str, pd.Series]]] = {}

    for table, columns in SCHEMA.items():
        frame = raw[table]
        _check_columns(table, frame, columns)
        report.read[table] = len(frame)
        typed, repairs[table] = {}, []
        for col in columns:
            typed[col.name], repaired = _parse_column(table, col, frame[col.name])
            if repaired.any():
                repairs[table].append((f"{col.name}: tidied case/spaces", repaired))
            if not col.nullable:
                empty = typed[col.name].isna()
                if empty.any():
                    raise DataContractError(table, col.name, "required values are empty", _bad(frame[col.name], empty))
        extra = [c for c in frame.columns if c not in typed]
        out = pd.DataFrame(typed, index=frame.index)
        for c in extra:  # analysts' extra columns travel along untouched
            out[c] = frame[c]
        if extra:
            report.notes.append(f"{table}: extra column(s) {extra} are not in the contract; kept as text, unchecked")
        # compared after tidying, so " Web" and "web" on otherwise equal rows are duplicates too
        reasons = [("exact duplicate of an earlier row", out[[c.name for c in columns]].duplicated(keep="first"))]
        if table in ("orders", "events"):
            reasons.append(("no customer id (guest checkout or anonymous session)", out["customer_id"].isna()))
        ts = {"orders": "order_ts", "events": "event_ts"}.get(table)
        if ts:
            reasons.append((f"dated after the as-of date {as_of.date()}", out[ts] >= as_of + pd.Timedelta(days=1)))
        exclusions[table] = reasons
        clean[table] = out

    check_as_of(as_of, clean["orders"]["order_ts"])
    _check_keys(clean)
    _check_joins(clean, exclusions, unknown_customers)

    for table, reasons in exclusions.items():
        frame = clean[table]
        taken = pd.Series(False, index=frame.index)
        parts = []
        for reason, mask in reasons:
            mask = mask.fillna(False).astype(bool) & ~taken  # each row is excluded for its first reason
            report.action_log.append((table, "excluded", reason, int(mask.sum())))
            if mask.any():
                parts.append(raw[table][mask].assign(reason=reason, csv_line=lambda d: d.index + 2))
            taken |= mask
        report.excluded[table] = (pd.concat(parts).sort_index() if parts
                                  else raw[table].iloc[:0].assign(reason=pd.Series(dtype="object"),
                                                                  csv_line=pd.Series(dtype="int64")))
        repaired_any = pd.Series(False, index=frame.index)
        for reason, mask in repairs[table]:  # an excluded row counts as excluded, not repaired
            report.action_log.append((table, "repaired", reason, int((mask & ~taken).sum())))
            repaired_any |= mask & ~taken
        report.repaired_rows[table] = int(repaired_any.sum())
        kept = frame[~taken]
        if table in ("orders", "events") and kept["customer_id"].notna().all():
            kept = kept.astype({"customer_id": "int64"})
        clean[table] = kept.reset_index(drop=True)

    meta = {"as_of": as_of.strftime("%Y-%m-%d")}
    return World(**clean, report=report, meta=meta)


def _check_keys(clean: dict[str, pd.DataFrame]) -> None:
    """A key may repeat only on rows that are exact duplicates (which are excluded)."""
    for table, key in PRIMARY_KEYS.items():
        frame = clean[table]
        clash = frame.duplicated(list(key), keep=False) & ~frame.duplicated(keep=False)
        if clash.any():
            shown = frame.loc[clash, list(key)].astype(str).agg("/".join, axis=1)
            raise DataContractError(table, "/".join(key), "the same key appears on rows with different content",
                                    shown)


def _check_joins(clean: dict[str, pd.DataFrame], exclusions: dict, unknown_customers: str) -> None:
    for table, column, target, target_col in FOREIGN_KEYS:
        values = clean[table][column]
        known = values.isin(clean[target][target_col]) | values.isna()
        if known.all():
            continue
        problem = f"{(~known).sum()} row(s) name a {target_col} that is not in the {target} table"
        if column == "customer_id" and target == "customers" and unknown_customers == "exclude" and table != "customers":
            exclusions[table].append(("customer id not in the customers table", ~known))
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
