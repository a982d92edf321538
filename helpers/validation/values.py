"""The one value parser of both loading paths: text in a file -> typed values, every tidying reported.

A :class:`ValueParser` reads the columns of one table. Each column is
factorized once and each *distinct* value is tidied and parsed once, then
spread back to the rows: files repeat their values a lot (dates, prices,
codes), which keeps this fast on ten million lines.

What counts as a **repair** (reported in the table's :class:`~helpers.validation.report.Ledger`,
reason ``"<column>: tidied case/spaces"``): any value the clean table holds
in another spelling than the file wrote it, that is stray spaces around any
value, a code in another case than the contract's, text lower-cased (emails,
free-text channels). Reading a format is not a repair: ``"1,234.50"`` as
1234.5, ``"True"`` as true, ``"17850.0"`` as the id 17850, a date in the
mapping's ``date_format``, a status translated by the mapping's
``status_values``.

A value that cannot be read is **unreadable**: with ``bad_row_limit=0`` (the
kit's own contract) the run stops with a :class:`DataContractError` naming
the rows; otherwise up to that share of rows is excluded and reported, and
more stops the run.

>>> from .report import Ledger
>>> raw = pd.DataFrame({"channel": ["web", " Web", "APP"], "n": ["1", "2", "x"]})
>>> ledger = Ledger("orders", raw)
>>> parser = ValueParser("orders", raw, ledger, bad_row_limit=0.5)
>>> parser.codes("channel", ("web", "app")).tolist()
['web', 'web', 'app']
>>> parser.numbers("n").tolist()
[1.0, 2.0, nan]
>>> sorted(ledger.repairs), [reason for _, reason, _ in ledger.reasons]
(['channel: tidied case/spaces'], ["empty or unreadable numbers in column 'n'"])
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .report import EXAMPLES, DataContractError, Ledger, MappingError, tidied

TRUE_WORDS = {"true", "1", "yes", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "f"}
# Placeholders that mean "no customer id" in real exports (compared lower-case); set missing_ids to change them.
MISSING_IDS = ("guest", "anonymous", "unknown", "null", "none", "n/a", "na", "-")
ISO = "ISO8601"
# The symbol of each currency code a [data] currency may name; a number written with it ("£2.55") is read
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "JPY": "¥",
                    "CNY": "¥", "INR": "₹", "CHF": "CHF", "SEK": "kr", "NOK": "kr", "DKK": "kr"}
SYMBOL_PATTERN = r"[£€$¥₹]|CHF|kr"
DATE_FORMATS = (ISO, "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")


class ValueParser:
    """Reads one table's columns into typed values; repairs and unreadable rows go to ``ledger``.

    ``hints`` adds what to set in a column mapping to the messages (the
    template's loader); ``notes`` collects what was noticed without touching
    rows (a detected date format, empty flags read one way).
    """

    def __init__(self, table: str, raw: pd.DataFrame, ledger: Ledger, bad_row_limit: float = 0.0,
                 hints: bool = False, currency: str | None = None, skip=None):
        self.table, self.raw, self.ledger, self.limit, self.hints = table, raw, ledger, bad_row_limit, hints
        self.currency = currency  # the declared currency: its symbol on numbers ("£2.55") is removed, reported
        # rows already excluded before any value is read (repeated header lines): never "unreadable"
        self.skip = np.zeros(len(raw), bool) if skip is None else np.asarray(skip, bool)
        self.notes: list[str] = []
        self._distinct: dict[str, tuple[np.ndarray, pd.Series, pd.Series]] = {}
        self._keys: dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ distinct values
    def _column(self, column: str) -> tuple[np.ndarray, pd.Series, pd.Series]:
        if column not in self._distinct:
            codes, uniques = pd.factorize(self.raw[column])
            written = pd.Series(np.append(np.asarray(uniques, dtype=object), np.nan), dtype=object)
            row_of = np.where(codes < 0, len(uniques), codes)  # empty cells point at the last (NaN) value
            self._distinct[column] = (row_of, written, written.str.strip().replace("", np.nan))
        return self._distinct[column]

    def distinct(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """Row -> position of its value, and the distinct values stripped (empty -> NaN; the last one is NaN)."""
        row_of, _, stripped = self._column(column)
        return row_of, stripped

    def spread(self, column: str, per_value) -> np.ndarray:
        """A result computed per distinct value (in the order of ``distinct``), one per row."""
        return np.asarray(per_value)[self._column(column)[0]]

    def _settle(self, column: str, per_value, final_text: pd.Series | None = None) -> None:
        """Remember the value as read (for duplicates) and report rows whose spelling was tidied."""
        self._keys[column] = pd.factorize(np.asarray(per_value))[0]
        _, written, stripped = self._column(column)
        final = stripped if final_text is None else final_text
        changed = (final.notna() & (final.astype(object) != written)).to_numpy(bool)
        if changed.any():
            self.ledger.repair(tidied(column), self.spread(column, changed))

    def duplicated(self, keep: str | bool = "first") -> np.ndarray:
        """Rows equal to another row in every column of the file, values compared as read (after tidying)."""
        return pd.Series(self._row_groups()).duplicated(keep=keep).to_numpy()

    def _row_groups(self) -> np.ndarray:
        """One number per row, equal for rows whose values (as read) are equal in every column."""
        group, size = np.zeros(len(self.raw), dtype="int64"), 1
        for column in self.raw.columns:
            row_of = self._column(column)[0]
            codes = (self._keys[column][row_of] if column in self._keys else row_of) + 1  # >= 0 (-1: empty)
            width = int(codes.max()) + 1 if len(codes) else 1
            if size * width >= 2 ** 62:  # compress before the combined number could overflow
                group, uniques = pd.factorize(group)
                size = len(uniques)
            group, size = group * width + codes, size * width
        return group

    # ------------------------------------------------------------------ what cannot be read
    def unreadable(self, column: str, mask, reason: str, problem: str, hint: str = "") -> None:
        """Rows whose value cannot be read: excluded and reported, or the run stops if there are too many."""
        mask = np.asarray(mask, bool) & ~self.skip
        if not mask.any():
            return
        rows = self.raw.loc[mask, column]
        share = mask.mean()
        if self.limit <= 0:
            raise DataContractError(self.table, column, problem + (f"; {hint}" if hint else ""), rows)
        if share > self.limit:
            raise DataContractError(self.table, column, f"{share:.1%} of the rows have {reason} (more than the "
                                    f"bad_row_limit of {self.limit:.1%} that may be excluded); {hint or problem}", rows)
        self.ledger.exclude(f"{reason} in column '{column}'", mask, step="unreadable")

    # ------------------------------------------------------------------ the kinds of values
    def text(self, column: str, lower: bool = False, dtype=object) -> pd.Series:
        """The column's text, stripped (empty -> NaN) and lower-cased if ``lower``; each change is a repair."""
        values = self._column(column)[2]
        if lower:
            values = values.str.lower()
        self._settle(column, values.to_numpy(object), values)
        return pd.Series(self.spread(column, values.to_numpy(object)), index=self.raw.index, dtype=dtype)

    def words(self, column: str) -> pd.Series:
        """The column lower-cased, for matching words (true/yes, a currency code); not a value kept, not reported."""
        values = self._column(column)[2].str.lower()
        return pd.Series(self.spread(column, values.to_numpy(object)), index=self.raw.index, dtype=object)

    def codes(self, column: str, allowed, ordered: bool = False) -> pd.Series:
        """A category: each value is one of ``allowed`` in any case and spacing (tidied: a repair), else an error."""
        stripped = self._column(column)[2]
        position = {str(a).strip().lower(): i for i, a in enumerate(allowed)}
        code = stripped.str.lower().map(position)
        unknown = self.spread(column, (code.isna() & stripped.notna()).to_numpy())
        if unknown.any():
            found = sorted(map(str, self.raw.loc[unknown, column].unique()))[:EXAMPLES]
            raise DataContractError(self.table, column, f"unknown code(s) {found}; allowed: {list(allowed)}",
                                    self.raw.loc[unknown, column])
        code = code.fillna(-1).astype(int).to_numpy()
        canonical = pd.Series(np.append(np.asarray(allowed, dtype=object), np.nan)[code], dtype=object)
        self._settle(column, code, canonical)
        return pd.Series(pd.Categorical.from_codes(self.spread(column, code), categories=list(allowed),
                                                   ordered=ordered), index=self.raw.index)

    def numbers(self, column: str, decimal: str | None = None, kind: str = "float", empty_ok: bool = False,
                nullable: bool = False) -> pd.Series:
        """Numbers; ``decimal`` (a mapping's decimal mark) also reads "1.234,50"; ``kind="int"`` wants whole numbers.

        Thousands separators are dropped only where they group thousands ("1,234.50"); "12,50" with the
        decimal "." stays unreadable. Empty cells are unreadable unless ``empty_ok`` (then NaN).
        """
        values = self._column(column)[2]
        mark = decimal or "."
        numbers = _numbers(values, mark)
        values, numbers = self._currency_symbols(column, values, numbers, mark)
        bad = numbers.isna() & (values.notna() | (not empty_ok))
        hint = f"is decimal = \"{',' if mark == '.' else '.'}\" needed?" if self.hints else ""
        self.unreadable(column, self.spread(column, bad.to_numpy()), "empty or unreadable numbers",
                        f"expected numbers ({kind}) but found text" + ("" if empty_ok else " or empty cells"), hint)
        if kind == "int":
            self.unreadable(column, self.spread(column, (numbers % 1 != 0).to_numpy() & numbers.notna().to_numpy()),
                            "numbers that are not whole", "expected whole numbers")
        self._settle(column, numbers.to_numpy())
        out = pd.Series(self.spread(column, numbers.to_numpy()), index=self.raw.index)
        if kind == "int":
            out = out.astype("Int64") if nullable or out.isna().any() else out.astype("int64")
        return out

    def _currency_symbols(self, column: str, values: pd.Series, numbers: pd.Series, mark: str):
        """Numbers written with a currency symbol: the declared currency's is removed (a repair), any other refused."""
        unread = values[numbers.isna() & values.notna()]
        marked = unread[unread.str.contains(SYMBOL_PATTERN, regex=True)]
        if marked.empty:
            return values, numbers
        found = sorted(set(marked.str.findall(SYMBOL_PATTERN).sum()))
        declared = (self.currency or "").upper()
        symbol = CURRENCY_SYMBOLS.get(declared)
        rows = self.raw.loc[self.spread(column, (values.isin(marked)).to_numpy()) & ~self.skip, column]
        if found != [symbol]:
            said = (f"[data] currency is {self.currency!r}" + (f" (symbol '{symbol}')" if symbol else "")
                    if self.currency else "[data] sets no currency")
            raise DataContractError(self.table, column, f"numbers are written with the currency symbol(s) "
                                    f"{' '.join(repr(f) for f in found)} but {said}; the kit removes a symbol only "
                                    "when it is the declared currency's: set currency = \"...\" in [data] to the "
                                    "currency of these amounts, or export the amounts without symbols", rows)
        cleaned = values.where(~values.isin(marked), marked.str.replace(symbol, "", regex=False).str.strip())
        numbers = _numbers(cleaned, mark)
        self.ledger.repair(f"{column}: currency symbol '{symbol}' removed ({declared}, the declared currency)",
                           self.spread(column, values.isin(marked).to_numpy()))
        return cleaned, numbers

    def ids(self, column: str, missing=MISSING_IDS) -> pd.Series:
        """Ids as whole numbers when every id is one that fits (up to 18 digits, no leading zero), else as text.

        "17850.0" (an id that passed through a spreadsheet) is read as 17850;
        placeholders such as "Guest" (``missing``) mean no id.
        """
        values = self._column(column)[2]
        values = values.where(~values.str.lower().isin({str(m).lower() for m in missing}))
        values = values.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
        self._settle(column, values.to_numpy(object))
        present = values.notna()
        if present.any() and values[present].str.fullmatch(r"[1-9]\d{0,17}|0").all():
            numbers = pd.array(np.zeros(len(values), dtype="int64"), dtype="Int64")
            numbers[present.to_numpy()] = pd.to_numeric(values[present]).to_numpy("int64")
            numbers[~present.to_numpy()] = pd.NA
            return pd.Series(numbers.take(self._column(column)[0]), index=self.raw.index)
        return pd.Series(self.spread(column, values.to_numpy(object)), index=self.raw.index, dtype=object)

    def flags(self, column: str, empty=None, meaning: str = "") -> pd.Series:
        """True/false (yes/no, 1/0). An empty cell reads as ``empty`` (noted), stays missing when ``empty`` is
        ``pd.NA`` (a nullable boolean column), or is refused when ``empty`` is None."""
        lowered = self._column(column)[2].str.lower()
        blank = self.spread(column, lowered.isna().to_numpy())
        known = self.spread(column, lowered.isin(TRUE_WORDS | FALSE_WORDS).to_numpy()) | (blank & (empty is not None))
        if not known.all():
            raise DataContractError(self.table, column, "expected true/false (or yes/no, 1/0)"
                                    + ("; empty or other values found" if empty is None else ""),
                                    self.raw.loc[~known, column].fillna("<empty>"))
        is_true = lowered.isin(TRUE_WORDS).where(lowered.notna())
        self._settle(column, is_true.to_numpy(object))
        values = pd.Series(self.spread(column, lowered.isin(TRUE_WORDS).to_numpy()), index=self.raw.index)
        if not blank.any():
            return values
        if empty is pd.NA:
            return values.astype("boolean").mask(blank)
        self.notes.append(f"{self.table}: {int(blank.sum())} empty cell(s) in '{column}' read as {meaning}")
        return values | (blank & bool(empty))

    def stamps(self, column: str, date_format: str | None = None, empty_ok: bool = False) -> pd.Series:
        """Timestamps in ``date_format`` (detected when None); times with a UTC offset become UTC."""
        values = self._column(column)[2]
        if date_format == "mixed":
            raise MappingError(self.table, "date_format", "date_format = \"mixed\" would let pandas guess each "
                               "date on its own (01/02/2011 read as 1 Feb on one row and 2 Jan on another, without "
                               "a word): set the one format the export uses (e.g. \"%d/%m/%Y %H:%M\"), or leave "
                               "date_format out to have it detected")
        read_rows = np.unique(self._column(column)[0][~self.skip])
        fmt = date_format or detect_format(values.iloc[read_rows], self.table, column)
        if not date_format:
            self.notes.append(f"{self.table}: column '{column}' read with date format '{fmt}' (detected)")
        # times with a UTC offset (even two, across a daylight-saving change) become UTC; times without stay as written
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True).dt.tz_convert(None)
        bad = parsed.isna() & (values.notna() | (not empty_ok))
        expected = "ISO 8601, e.g. 2026-03-31 or 2026-03-31 14:05:00" if fmt == ISO else f"the format {fmt!r}"
        hint = (f"the format tried was {fmt!r}: set date_format = \"...\" (e.g. \"%d/%m/%Y %H:%M\")"
                if self.hints else "")
        self.unreadable(column, self.spread(column, bad.to_numpy()), "empty or unreadable dates",
                        f"dates that cannot be read (expected {expected})", hint)
        per_value = parsed.to_numpy(dtype="datetime64[ns]")
        self._settle(column, per_value)
        return pd.Series(self.spread(column, per_value), index=self.raw.index)

    def matches(self, column: str, test) -> np.ndarray:
        """``test`` (a function of a Series of distinct stripped values, returning booleans) for every row."""
        return self.spread(column, test(self._column(column)[2].fillna("")).to_numpy(bool))


def _numbers(values: pd.Series, mark: str) -> pd.Series:
    """Distinct values as numbers (NaN where unreadable); a thousands separator is dropped where it groups thousands.

    >>> _numbers(pd.Series(["1,234.50", "12,50", "7"]), ".").tolist()
    [1234.5, nan, 7.0]
    """
    thousands = "." if mark == "," else ","
    if mark == ".":  # most values read as they are: try the separators only on the others
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        rest = numbers.isna() & values.notna()
        if not rest.any():
            return numbers
        numbers[rest] = _numbers_grouped(values[rest], mark, thousands)
        return numbers
    return _numbers_grouped(values, mark, thousands)


def _numbers_grouped(values: pd.Series, mark: str, thousands: str) -> pd.Series:
    grouped = values.str.fullmatch(rf"[-+]?\d{{1,3}}(\{thousands}\d{{3}})+(\{mark}\d*)?", na=False)
    cleaned = values.where(~grouped, values.str.replace(thousands, "", regex=False))
    if mark == ",":
        cleaned = cleaned.where(cleaned.str.count(r"\.").fillna(0) == 0).str.replace(",", ".", regex=False)
    return pd.to_numeric(cleaned, errors="coerce").astype("float64")


def detect_format(distinct: pd.Series, table: str, column: str) -> str:
    """The one date format that reads (nearly) every value; an error when none does or when it is ambiguous.

    >>> detect_format(pd.Series(["25/12/2024 10:00", "03/04/2024 11:30"]), "orders", "date")
    '%d/%m/%Y %H:%M'
    """
    sample = distinct.dropna()
    sample = sample.sample(5000, random_state=0) if len(sample) > 5000 else sample  # from the whole file
    if sample.empty:
        return ISO
    readable = {fmt: pd.to_datetime(sample, format=fmt, errors="coerce", utc=True).notna().mean() for fmt in DATE_FORMATS}
    best = max(readable.values())
    fits = [fmt for fmt, share in readable.items() if share == best]
    if best < 0.9:
        partial = {fmt: share for fmt, share in readable.items() if share > 0}
        mixed = (f"; the column mixes formats (share of its distinct values): " + ", ".join(f"{share:.0%} read as {fmt!r}" for fmt, share in
                                                             sorted(partial.items(), key=lambda f: -f[1]))
                 if len(partial) > 1 else "")
        raise MappingError(table, "date_format", f"cannot tell the date format of column '{column}' "
                           f"(e.g. {sample.head(3).tolist()}){mixed}; set date_format = \"...\" with strftime "
                           "codes (and convert the dates to one format if the export mixes them)")
    if len(fits) > 1:
        first, second = (pd.to_datetime(sample, format=fmt, errors="coerce", utc=True) for fmt in fits[:2])
        differ = (first != second) & first.notna() & second.notna()
        example = ""
        if differ.any():
            at = differ.idxmax()
            example = (f": {sample[at]} could be {first[at].day} {first[at]:%b} ({fits[0]}) or "
                       f"{second[at].day} {second[at]:%b} ({fits[1]})")
        raise MappingError(table, "date_format", f"the dates of column '{column}' (e.g. {sample.head(3).tolist()}) "
                           f"read in more than one way{example}; candidates {fits}: set date_format = \"...\" "
                           "(day or month first?)")
    return fits[0]
