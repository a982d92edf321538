"""The exclusion bookkeeping of both loading paths, and the report it writes.

A :class:`Ledger` collects, for one table, the reasons to leave rows out and
the repairs made to values. :meth:`Ledger.close` applies them the one way the
kit knows: each excluded row is excluded for its *first* reason, in the order
of :data:`STEPS` (so both loaders give the same count per reason on the same
file, whatever order they find the reasons in); a row counts as repaired only
if it is kept; the excluded rows are kept, as read, with ``reason`` and
``csv_line`` (their line in the file); read = unchanged + repaired + excluded.

Example::

    ledger = Ledger("orders", raw)
    ledger.exclude(DUPLICATE, raw.duplicated(), step="duplicate")
    clean = ledger.close(report, typed)     # typed rows kept; report.summary() adds up
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

EXAMPLES = 5  # example rows quoted in an error message

# The order in which exclusion reasons are applied (a row is excluded for the first that applies):
# values that cannot be read, then exact duplicates, then rules of the file's shape (non-product lines, zero
# quantities, ...), then rows without a customer, rows after the as-of date, and rows that join nothing.
STEPS = ("unreadable", "duplicate", "shape", "no customer", "after as-of", "unjoined")
DUPLICATE = "exact duplicate of an earlier row"
NO_CUSTOMER = {"orders": "no customer id (guest checkout)", "events": "no customer id (anonymous session)"}


def after_as_of(as_of: pd.Timestamp) -> str:
    """The reason text for rows dated after the as-of day.

    >>> after_as_of(pd.Timestamp("2026-09-30"))
    'dated after the as-of date 2026-09-30'
    """
    return f"dated after the as-of date {pd.Timestamp(as_of).date()}"


def tidied(column: str) -> str:
    """The repair reason of a column whose values were tidied (case, spaces, aliases).

    >>> tidied("channel")
    'channel: tidied case/spaces'
    """
    return f"{column}: tidied case/spaces"


class DataContractError(ValueError):
    """Input that breaks the data contract; the message names table, column and rows."""

    def __init__(self, table: str, column: str | None, problem: str, rows: pd.Series | None = None):
        self.table, self.column, self.problem = table, column, problem
        self.rows = [] if rows is None else list(rows.index[:EXAMPLES])
        self.examples = rows  # every row at fault (index: row in the file), written to rejected_rows.csv
        self.report: ValidationReport | None = None  # the books as far as they got, when loading stopped
        where = f"table '{table}'" + (f", column '{column}'" if column else "")
        message = f"{where}: {problem}"
        if rows is not None and len(rows):
            shown = ", ".join(f"row {i}: {v!r}" for i, v in rows.head(EXAMPLES).items())
            more = f" (and {len(rows) - EXAMPLES} more)" if len(rows) > EXAMPLES else ""
            message += (f". {len(rows)} row(s) at fault, e.g. {shown}{more}"
                        " (rows count from 0 after the header: row r is line r + 2 of the CSV file)")
        super().__init__(message)


class MappingError(DataContractError):
    """The mapping does not say enough (or says something wrong) to read a file; names the section and key."""

    def __init__(self, section: str, key: str | None, problem: str):
        super().__init__(section, key, problem)
        self.section, self.key = section, key


@dataclass
class ValidationReport:
    """What validation did to every table.

    ``stopped`` holds what stopped a run (table, column, problem) when loading failed: the books then hold
    what was read before it.

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
    stopped: tuple[str, str | None, str] | None = None

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
        if self.stopped:
            table, column, problem = self.stopped
            lines += ["  THE RUN STOPPED: the files could not be read as the mapping says; nothing else was computed.",
                      f"    table:   {table}", f"    column:  {column or '-'}", f"    problem: {problem}",
                      "    the rows at fault are in rejected_rows.csv (if the problem is in rows); the books below "
                      "hold what was read before the run stopped", ""]
        for table, r in self.summary().iterrows():
            lines.append(f"  {table:<10} read {r['read']:>9,}  unchanged {r['kept unchanged']:>9,}  "
                         f"repaired {r['repaired']:>7,}  excluded {r['excluded']:>7,}")
        for a in self.actions().itertuples(index=False):
            lines.append(f"    {a.table}: {a.action} {a.rows:,} row(s): {a.reason}")
        lines.extend(f"    note: {note}" for note in self.notes)
        return "\n".join(lines)


class Ledger:
    """The bookkeeping of one table: reasons to exclude rows and repairs made, applied once by :meth:`close`.

    >>> raw = pd.DataFrame({"id": ["1", "1", "2", ""]})
    >>> ledger = Ledger("t", raw)
    >>> ledger.exclude("no id", raw["id"].eq(""), step="no customer")
    >>> ledger.exclude(DUPLICATE, raw.duplicated(), step="duplicate")
    >>> report = ValidationReport()
    >>> ledger.close(report, raw)["id"].tolist()
    ['1', '2']
    >>> report.excluded["t"][["reason", "csv_line"]].values.tolist()
    [['exact duplicate of an earlier row', 3], ['no id', 5]]
    """

    def __init__(self, table: str, raw: pd.DataFrame):
        self.table, self.raw = table, raw
        self.reasons: list[tuple[int, str, np.ndarray]] = []
        self.repairs: dict[str, np.ndarray] = {}

    def _mask(self, mask) -> np.ndarray:
        if isinstance(mask, pd.Series):
            mask = mask.fillna(False)
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != (len(self.raw),):
            raise ValueError(f"a mask for table '{self.table}' needs {len(self.raw)} rows, got {mask.shape}")
        return mask

    def exclude(self, reason: str, mask, step: str) -> None:
        """Rows to leave out for ``reason``; ``step`` (one of :data:`STEPS`) says when the reason applies."""
        if step not in STEPS:
            raise ValueError(f"step must be one of {STEPS}, got {step!r}")
        self.reasons.append((STEPS.index(step), reason, self._mask(mask)))

    def repair(self, reason: str, mask) -> None:
        """Rows whose value was tidied for ``reason`` (reported when the row is kept)."""
        mask = self._mask(mask)
        if reason in self.repairs:
            mask = mask | self.repairs[reason]
        self.repairs[reason] = mask

    def excluded_so_far(self) -> np.ndarray:
        """Rows some reason already leaves out."""
        taken = np.zeros(len(self.raw), bool)
        for _, _, mask in self.reasons:
            taken |= mask
        return taken

    def close(self, report: ValidationReport, frame: pd.DataFrame) -> pd.DataFrame:
        """Write this table into ``report`` and return the rows of ``frame`` (aligned with the raw rows) kept."""
        table, raw = self.table, self.raw
        report.read[table] = len(raw)
        taken = np.zeros(len(raw), bool)
        parts = []
        for _, reason, mask in sorted(self.reasons, key=lambda r: r[0]):  # stable: registration order within a step
            mask = mask & ~taken
            report.action_log.append((table, "excluded", reason, int(mask.sum())))
            if mask.any():
                parts.append(raw[mask].assign(reason=reason, csv_line=lambda d: d.index + 2))
            taken |= mask
        report.excluded[table] = (pd.concat(parts).sort_index() if parts
                                  else raw.iloc[:0].assign(reason=pd.Series(dtype="object"),
                                                           csv_line=pd.Series(dtype="int64")))
        repaired = np.zeros(len(raw), bool)
        for reason, mask in self.repairs.items():  # an excluded row counts as excluded, not repaired
            report.action_log.append((table, "repaired", reason, int((mask & ~taken).sum())))
            repaired |= mask & ~taken
        report.repaired_rows[table] = int(repaired.sum())
        return frame[~taken].reset_index(drop=True)


def narrow_ids(frame: pd.DataFrame, columns=("customer_id",)) -> pd.DataFrame:
    """Nullable whole-number columns with no gap left (after exclusions) become plain int64, in place.

    >>> narrow_ids(pd.DataFrame({"customer_id": pd.array([1, 2], dtype="Int64")}))["customer_id"].dtype
    dtype('int64')
    """
    for column in columns:
        if column in frame.columns and str(frame[column].dtype) == "Int64" and frame[column].notna().all():
            frame[column] = frame[column].astype("int64")
    return frame


def key_clashes(table: str, column: str, keys: pd.DataFrame, duplicate_rows: np.ndarray, what: str = "key") -> None:
    """A key may repeat only on rows that are exact duplicates (which are excluded); otherwise an error.

    ``keys`` holds the key column(s) (``column`` names them in the message, ``what`` says what they are),
    ``duplicate_rows`` marks rows equal to another row in every column.

    >>> key_clashes("t", "id", pd.DataFrame({"id": [1, 1]}), np.array([True, True]))   # duplicates: fine
    """
    present = keys.notna().all(axis=1).to_numpy()
    clash = keys.duplicated(keep=False).to_numpy() & present & ~np.asarray(duplicate_rows, bool)
    if clash.any():
        shown = keys[clash].astype(str).agg("/".join, axis=1)
        raise DataContractError(table, column, f"the same {what} appears on rows with different content", shown)
