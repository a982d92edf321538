"""The shapes real exports come in, read into the kit's tables: orders (three shapes) and the optional tables.

- ``invoice_lines``: one row per invoice line (invoice number, stock code,
  description, quantity, invoice date, unit price, customer id, country), as
  shop systems export them. An invoice number starting with the cancellation
  prefix ("C") reverses earlier lines and is kept as a return (negative
  quantity), so net revenue nets it out; non-product lines (postage, bank
  charges, manual adjustments: ``non_product_codes``) are excluded.
- ``order_lines``: the same with a status column (completed / returned /
  cancelled, mapped through ``status_values``), like the kit's own sample.
- ``transactions``: only customer id, date and amount (a negative amount is a
  refund).

Each reader returns the table in the kit's shape (aligned with the file's
rows: nothing is left out yet), the :class:`~helpers.validation.values.ValueParser`
that read it (its ``ledger`` holds the reasons to exclude rows and the
repairs), and notes. :func:`helpers.owndata.loader.load_own_data` closes the
books.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..validation.report import EXAMPLES, NO_CUSTOMER, DataContractError, Ledger, MappingError
from ..validation.values import FALSE_WORDS, MISSING_IDS, TRUE_WORDS, ValueParser
from .mapping import ALIASES, NON_PRODUCT_CODES, STATUSES, _close, _norm, resolve_columns


# --------------------------------------------------------------------------- files
# Formats by file extension (a mapping's ``format = "..."`` overrides it); anything else is read as text (CSV).
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".gz": "csv", ".zip": "csv", ".parquet": "parquet",
           ".pq": "parquet", ".xlsx": "excel", ".xlsm": "excel"}
# The first bytes of a binary file that is not text, whatever its name says.
MAGIC = {b"PAR1": "parquet", b"PK\x03\x04": "excel"}
SEPARATORS = {",": ",", ";": ";", "\t": "\t", "|": "|"}
WHITESPACE = r"\s+"
SAMPLE_LINES = 50  # lines looked at to tell the separator


def file_format(spec: dict, table: str) -> str:
    """The format a section's file is read in: the mapping's ``format``, else the file's extension (else CSV).

    >>> file_format({"file": "orders.parquet"}, "orders"), file_format({"file": "x.dat", "format": "excel"}, "orders")
    ('parquet', 'excel')
    """
    chosen = spec.get("format")
    if chosen is not None:
        if chosen not in ("csv", "parquet", "excel"):
            raise MappingError(table, "format", f"format = {chosen!r}: choose \"csv\", \"parquet\" or \"excel\" "
                               "(or leave it out: the file's extension decides)")
        return chosen
    return FORMATS.get(Path(spec["file"]).suffix.lower(), "csv")


def read_table_file(spec: dict, table: str) -> pd.DataFrame:
    """A section's file (CSV, Parquet or Excel) as text: every cell a string as written, an empty cell NaN.

    Parquet and Excel cells come out as the CSV path would read them (whole
    numbers without ``.0``, timestamps as ``2010-12-01 08:26:00``), so the one
    :class:`~helpers.validation.values.ValueParser` reads every format the
    same way. A CSV's separator is detected when the mapping does not set one.
    Every way a file can fail to read raises a :class:`DataContractError`
    naming the file.

    Example::

        raw = read_table_file({"file": "datasets/real/online_retail.parquet"}, "orders")
        raw.loc[0, "CustomerID"], raw.loc[0, "InvoiceDate"]      # ('17850', '2010-12-01 08:26:00')
    """
    path = Path(spec["file"])
    if not path.exists():
        raise MappingError(table, "file", f"no file at {path}")
    if path.is_dir():
        raise MappingError(table, "file", f"{path} is a folder; file = \"...\" must name a file in it")
    if path.stat().st_size == 0:
        raise DataContractError(table, None, f"{path.name} is empty (0 bytes): export the table again, or point "
                                f"file = \"...\" in [{table}] at the right file")
    kind = file_format(spec, table)
    with path.open("rb") as handle:
        head = handle.read(65536)
    actual = next((name for magic, name in MAGIC.items() if head.startswith(magic)), None)
    if kind == "csv" and actual and path.suffix.lower() != ".zip":
        what = "a Parquet file" if actual == "parquet" else "an Excel workbook (.xlsx)"
        said = f"format = {spec['format']!r}" if "format" in spec else f"its name ({path.name})"
        raise MappingError(table, "format", f"{path.name} is {what} (its first bytes say so), but {said} has it read "
                           f"as CSV text: set format = \"{actual}\" in [{table}] (or give the file its "
                           f"{'.parquet' if actual == 'parquet' else '.xlsx'} extension)")
    try:
        if kind == "parquet":
            frame = _as_text(pd.read_parquet(path))
        elif kind == "excel":
            frame = _as_text(pd.read_excel(path, sheet_name=spec.get("sheet", 0)))
        else:
            frame = _read_text(path, head, spec, table)
    except DataContractError:
        raise
    except UnicodeDecodeError:
        raise MappingError(table, "encoding", f"{path.name} is not UTF-8 (it was probably saved by Excel or an "
                           f"older system): set encoding = \"latin-1\" (or \"cp1252\") in [{table}]") from None
    except ImportError as error:
        raise DataContractError(table, None, f"reading {path.name} as {kind} needs a package that is not "
                                f"installed ({error}): pip install -r requirements.txt") from None
    except Exception as error:  # pandas ParserError, pyarrow, zipfile, openpyxl, OS errors: all about this file
        raise DataContractError(table, None, f"{path.name} could not be read as {kind} "
                                f"({type(error).__name__}: {str(error).strip()[:300]}); check format, separator "
                                f"and encoding in [{table}]") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        raise DataContractError(table, None, f"{path.name} has no data rows (only a header: {list(frame.columns)})")
    return frame


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed frame (Parquet, Excel) as the text a CSV export would hold."""
    out = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        values = frame[column]
        present = values.notna()
        may_be_blank = False  # only text can be blank; numbers and dates written out never are
        if pd.api.types.is_datetime64_any_dtype(values):
            text = values.dt.strftime("%Y-%m-%d %H:%M:%S")
            if (values.dropna().dt.normalize() == values.dropna()).all():  # dates only: no midnight times
                text = values.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(values) and (values.dropna() % 1 == 0).all():
            text = values.astype("Int64").astype(str)  # 17850.0 (an id that had gaps) is written 17850
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            text = values.astype(str)
        elif pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            text, may_be_blank = values.astype(object), True  # already text: nothing to convert
        else:
            text = values.map(lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") else str(v), na_action="ignore")
            may_be_blank = True
        text = text.astype(object).where(present)
        if may_be_blank:  # a cell of spaces is empty, as in a CSV; found among the distinct values (fast on 500k rows)
            blank = [v for v in pd.unique(text.dropna()) if not v.strip()]
            text = text.where(~text.isin(blank)) if blank else text
        out[column] = text
    return out


def _read_text(path: Path, head: bytes, spec: dict, table: str) -> pd.DataFrame:
    encoding = spec.get("encoding", "utf-8")
    if path.suffix.lower() not in (".gz", ".zip") and b"\x00" in head[:4096] and not encoding.lower().startswith("utf-16"):
        raise DataContractError(table, None, f"{path.name} is a binary file, not text (CSV): is file = \"...\" "
                                f"in [{table}] the right file? Parquet and Excel files are read with "
                                "format = \"parquet\" / \"excel\"")
    separator = spec.get("separator")
    if separator in (" ", "whitespace"):
        separator = WHITESPACE
    elif separator is None:
        separator = detect_separator(_sample(path, head, encoding), path.name, table)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], sep=separator, encoding=encoding,
                        engine="c" if separator == WHITESPACE or len(separator) == 1 else "python")
    if frame.shape[1] == 1 and (found := [sep for sep in (";", "\t", "|") if sep in frame.columns[0]]):
        raise MappingError(table, "separator", f"{path.name} was read as one column {frame.columns[0]!r}: "
                           f"set separator = {found[0]!r} in [{table}]")
    return frame


def _sample(path: Path, head: bytes, encoding: str) -> list[str]:
    """The first lines of a text file (decompressed if need be)."""
    if path.suffix.lower() in (".gz", ".zip"):
        import gzip
        import zipfile
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as handle:
                head = handle.read(65536)
        else:
            with zipfile.ZipFile(path) as archive, archive.open(archive.namelist()[0]) as handle:
                head = handle.read(65536)
    text = head.decode(encoding)  # a wrong encoding fails here, with the file's name
    lines = text.splitlines()
    if len(head) == 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    return [line for line in lines if line.strip()][:SAMPLE_LINES]


def detect_separator(lines: list[str], name: str = "the file", table: str = "orders") -> str:
    """The separator that splits every one of the first lines into the same number (2 or more) of columns.

    One of ``,`` ``;`` tab ``|``; else runs of whitespace (``r"\\s+"``); a
    one-column file reads with ``,``. Two that fit raise a
    :class:`MappingError` naming both.

    >>> detect_separator(["id;price", "1;2,55", "2;3,10"])
    ';'
    >>> detect_separator([" customer_id  date", " 00001 19970101"])
    '\\\\s+'
    """
    import csv
    fits = []
    for sep in SEPARATORS:
        counts = {len(row) for row in csv.reader(lines, delimiter=sep)}
        if len(counts) == 1 and counts.pop() >= 2:
            fits.append(sep)
    if len(fits) == 1:
        return fits[0]
    shown = {",": "','", ";": "';'", "\t": "tab ('\\t')", "|": "'|'"}
    if len(fits) > 1:
        raise MappingError(table, "separator", f"{name} could be split by {' or '.join(shown[s] for s in fits)} "
                           f"(each gives the same number of columns on every one of the first lines): set "
                           f"separator = {fits[0]!r} (or another) in [{table}]")
    words = {len(line.split()) for line in lines}
    if len(words) == 1 and words.pop() >= 2:
        return WHITESPACE
    header = lines[0] if lines else ""
    if re.fullmatch(r'"?[\w\- ]*"?', header.strip()):
        return ","  # one column, named like a column: the roles' check says what is missing
    raise MappingError(table, "separator", f"could not tell the separator of {name}: none of ',' ';' tab '|' or "
                       f"spaces splits its first lines into the same number of columns (first line: {header[:120]!r}); "
                       f"set separator = \"...\" in [{table}] (\" \" for columns lined up with spaces)")


REPEATED_HEADER = "a repeated header line (the column names again mid-file, e.g. exports pasted together)"


def _open(spec: dict, section: str, bad_row_limit: float, table: str | None = None, currency: str | None = None):
    """The file of a section read as text, the column of each role, the notes so far, and a parser for it
    (with the ledger of the section's table). Repeated header lines are excluded before any value is read."""
    raw = read_table_file(spec, section)
    header_again = repeated_headers(raw)
    unjoined, joined_notes = np.zeros(len(raw), bool), []
    if "headers_file" in spec:
        raw, unjoined, joined_notes = join_order_headers(raw, spec, section, header_again)
    roles, notes = resolve_columns(section, spec, raw.columns, table)
    notes = joined_notes + notes
    raw, header_again, repairs = shop_export(raw, spec, section, roles, header_again, notes)
    unjoined = np.append(unjoined, np.zeros(len(raw) - len(unjoined), bool))  # refund lines come from joined rows
    ledger = Ledger(section, raw)
    ledger.exclude(REPEATED_HEADER, header_again, step="unreadable")
    if unjoined.any():
        ledger.exclude(f"order id not in the headers file ({Path(spec['headers_file']).name})", unjoined,
                       step="unreadable")
    header_again = header_again | unjoined  # their order-level cells are empty, not unreadable: no value is read
    for reason, mask in repairs.items():
        ledger.repair(reason, mask)
    for column in raw.columns:
        if raw[column].isna().all():
            role = next((r for r, c in roles.items() if c == column), None)
            notes.append(f"{section}: column '{column}' is empty on every row"
                         + (f" (it is mapped as the {role})" if role else ""))
    return raw, roles, notes, ValueParser(section, raw, ledger, bad_row_limit, hints=True, currency=currency,
                                          skip=header_again)


def join_order_headers(lines: pd.DataFrame, spec: dict, section: str, header_again: np.ndarray
                       ) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """An order export in two files: each line gets its order's columns from ``headers_file`` (one row per order).

    The files are joined by the order id (the mapping's ``order_id``, else
    the one column of that name in both files). The lines keep their order
    and their line numbers in the lines file; a line whose order is not in
    the headers file is returned in the mask, to be left out with that
    reason. An order written twice in the headers file stops the run, naming
    it. A column in both files is taken from the lines file, and said.
    Returns the joined lines, the mask of lines without a header, and notes.

    Example::

        lines, unjoined, notes = join_order_headers(lines, {"headers_file": "orders.csv"}, "orders", again)
    """
    name = Path(spec["headers_file"]).name
    headers = read_table_file({**spec, "file": spec["headers_file"]}, section)
    headers = headers[~repeated_headers(headers)]
    key = spec.get("order_id")
    if key is None:
        aliases = {_norm(a) for a in ALIASES["order_id"]}
        shared = [c for c in lines.columns if c in headers.columns and _norm(c) in aliases]
        if len(shared) != 1:
            raise MappingError(section, "order_id", f"set order_id = \"...\" in [{section}]: the column that joins "
                               f"{Path(spec['file']).name} to {name} "
                               + (f"(several fit: {shared})" if shared else "(no column of both files fits)"))
        key = shared[0]
    for frame, file in ((lines, Path(spec["file"]).name), (headers, name)):
        if key not in frame.columns:
            raise MappingError(section, "headers_file", f"{file} has no column '{key}' (the order id that joins the "
                               f"two files); its columns: {list(frame.columns)}")
    headers = headers[headers[key].notna()]
    twice = headers[key].duplicated(keep=False)
    if twice.any():
        raise DataContractError(section, key, f"{name} holds an order more than once (one row per order is "
                                "expected: is it a lines file?)", headers.loc[twice, key])
    both = [c for c in headers.columns if c in lines.columns and c != key]
    notes = [f"{section}: each line joined to its headers file {name} by '{key}' ({len(headers):,} orders)"]
    notes += [f"{section}: column '{c}' is in both files: the lines file's values are used" for c in both]
    joined = lines.merge(headers.drop(columns=both), on=key, how="left", sort=False, validate="many_to_one")
    joined.index = lines.index
    found = lines[key].isin(set(headers[key])).to_numpy()
    unjoined = ~found & lines[key].notna().to_numpy() & ~header_again
    without_lines = (~headers[key].isin(set(lines[key].dropna()))).sum()
    if without_lines:
        notes.append(f"{section}: {without_lines:,} order(s) in {name} have no line in {Path(spec['file']).name}: "
                     "nothing of theirs is counted")
    return joined, unjoined, notes


REFUND_CODE = "REFUND"  # the product id of the return line an order-level refund becomes
EMAIL_SALT_ENVS = ("KIT_ID_SALT", "KIT_EXPORT_SALT")  # where the secret salt of email pseudonyms is read from


def shop_export(raw: pd.DataFrame, spec: dict, section: str, roles: dict, header_again: np.ndarray, notes: list
                ) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """What shop exports need before their values are read: order-level fields filled down an order's lines
    (``order_fields``), an order-level refund (``refund_amount``) as a return line, and email addresses
    replaced by keyed pseudonyms (so no address reaches any output file). Returns the raw rows (refund lines
    appended), the repeated-header mask, and the repairs made ({reason: rows}).

    Example::

        raw, again, repairs = shop_export(raw, {"order_fields": ["Email", "Created at"]}, "orders", roles, again, [])
    """
    repairs = {}
    order_col = roles.get("order_id")
    fields = list(spec.get("order_fields", []))
    if fields:
        missing = [f for f in fields if f not in raw.columns]
        if missing or not order_col:
            raise MappingError(section, "order_fields", f"order_fields names {missing or fields}, but "
                               + (f"the columns are {list(raw.columns)}" if missing else "there is no order id")
                               + ": list the columns the export writes on an order's first line only")
        raw = raw.copy()
        filled = raw.groupby(raw[order_col], sort=False)[fields].ffill()
        for field in fields:
            gap = (raw[field].isna() & filled[field].notna()).to_numpy()
            if gap.any():
                repairs[f"{field}: filled from the order's first line (an order-level field)"] = gap
        raw[fields] = filled
    if "refund_amount" in roles:
        raw, header_again, extra = _refund_lines(raw, spec, section, roles, header_again, notes)
        repairs = {reason: np.append(mask, np.zeros(extra, bool)) for reason, mask in repairs.items()}
    keyed_by_email = "customer_id" in roles and _looks_like_emails(raw[roles["customer_id"]])
    emails = [c for c in raw.columns if keyed_by_email and _looks_like_emails(raw[c])]
    if emails:  # customers keyed by email: every address in the file becomes its pseudonym
        from ..privacy import pseudonymize
        salt = next((os.environ[name] for name in EMAIL_SALT_ENVS if os.environ.get(name)), None)
        if not salt:
            raise MappingError(section, emails[0], f"column(s) {emails} hold email addresses; the kit replaces them "
                               "by keyed pseudonyms as it reads them, so that no address reaches an output file, and "
                               f"needs a secret salt for that: set the environment variable {EMAIL_SALT_ENVS[0]} "
                               "(the same every run, kept out of the mapping and the repository)")
        raw = raw.copy()
        for column in emails:
            raw[column] = pseudonymize(raw[column].str.strip().str.lower(), salt)
        notes.append(f"{section}: column(s) {emails} hold email addresses: replaced on reading by keyed pseudonyms "
                     f"(HMAC-SHA256, salt from ${EMAIL_SALT_ENVS[0]}); no address reaches an output file")
    return raw, header_again, repairs


def _looks_like_emails(values: pd.Series) -> bool:
    present = values.dropna()
    if present.empty:
        return False
    sample = present.head(1000)
    return bool(sample.str.fullmatch(r"\s*[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}\s*").mean() > 0.9)


def _refund_lines(raw, spec, section, roles, header_again, notes):
    """An order-level refund amount (on the order's first line) becomes one return line of that value."""
    column, order_col = roles["refund_amount"], roles["order_id"]
    first = ~raw[order_col].duplicated().to_numpy() & ~header_again
    text = raw[column].where(first).str.strip()
    decimal = spec.get("decimal", ".")
    amount = pd.to_numeric(text.str.replace(decimal, ".", regex=False) if decimal != "." else text, errors="coerce")
    unreadable = text.notna() & amount.isna()
    if unreadable.any():
        raise DataContractError(section, column, "refund amounts that are not numbers", raw.loc[unreadable, column])
    refunded = (amount > 0).to_numpy()
    if not refunded.any():
        return raw, header_again, 0
    lines = raw.loc[refunded].copy()
    lines[roles["product_id"]] = REFUND_CODE
    lines[roles["quantity"]] = "-1"
    lines[roles["unit_price"]] = text[refunded]
    lines[column] = np.nan
    for role in ("product_name", "discount", "category"):
        if role in roles:
            lines[roles[role]] = "order-level refund" if role == "product_name" else np.nan
    raw = pd.concat([raw, lines], ignore_index=True)
    notes.append(f"{section}: {int(refunded.sum()):,} order-level refund(s) in '{column}' (total "
                 f"{amount[refunded].sum():,.2f}) kept as a return line each (product '{REFUND_CODE}', quantity -1), "
                 "so net revenue nets them out")
    return raw, np.append(header_again, np.zeros(len(lines), bool)), len(lines)


def repeated_headers(raw: pd.DataFrame) -> np.ndarray:
    """Rows that repeat the header: every cell is its column's name (two exports pasted one after the other).

    >>> repeated_headers(pd.DataFrame({"id": ["1", "id", "2"], "date": ["2024-01-01", "date", "x"]})).tolist()
    [False, True, False]
    """
    first = raw.columns[0]
    found = raw[first].str.strip().eq(first).fillna(False).to_numpy(bool, copy=True)  # cheap test first: the first column
    if found.any():
        for column in raw.columns[1:]:
            found[found] = raw.loc[found, column].fillna("").str.strip().eq(column).to_numpy()
    return found


# --------------------------------------------------------------------------- orders
def read_orders(spec: dict, bad_row_limit: float = 0.01, currency: str | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame | None, ValueParser, list[str]]:
    """Order lines in the kit's shape from a file of any of the three shapes; see the module docstring.

    Returns the lines (``order_id, line_number, customer_id, order_ts, product_id,
    quantity, unit_price, discount, channel, status`` and, if mapped,
    ``country``), the products found on them (or None), the value parser that
    read them (``reader.ledger`` holds the reasons to exclude rows and the
    repairs), and notes. Nothing is excluded yet: :func:`load_own_data` closes
    the books and writes the report.

    Example::

        lines, products, reader, notes = read_orders(load_mapping("templates/mapping.toml")["orders"])
    """
    shape = spec.get("shape", "invoice_lines")
    raw, roles, notes, reader = _open(spec, "orders", bad_row_limit, shape, currency)
    decimal = spec.get("decimal", ".")
    lines = pd.DataFrame(index=raw.index)
    lines["customer_id"] = reader.ids(roles["customer_id"], spec.get("missing_ids", MISSING_IDS))
    lines["order_ts"] = reader.stamps(roles["timestamp"], spec.get("date_format"))
    if "currency_column" in roles:
        _check_currency(reader, roles["currency_column"], currency)
    if shape == "transactions":
        amount = reader.numbers(roles["amount"], decimal)
        lines["order_id"] = reader.text(roles["order_id"]) if "order_id" in roles else pd.Series(raw.index + 1, index=raw.index).astype(str)
        lines["product_id"] = pd.Series(pd.NA, index=raw.index, dtype="object")
        lines["quantity"] = np.where(amount < 0, -1, 1)
        lines["unit_price"] = amount.abs()
        lines["discount"] = 0.0
        lines["status"] = np.where(amount < 0, "returned", "completed")
        zero = (amount == 0).to_numpy()
        if spec.get("zero_amounts", "exclude") == "keep":  # a free item is still a purchase, for models of counts
            if zero.any():
                notes.append(f"orders: {int(zero.sum()):,} transaction(s) of zero amount kept as purchases of no value "
                             "(zero_amounts = \"keep\")")
        else:
            reader.ledger.exclude("zero amount", zero, step="shape")
        notes.append("orders: a transaction log has no products, so category and margin features are not available")
    else:
        lines["order_id"] = reader.text(roles["order_id"])
        lines["product_id"] = reader.text(roles["product_id"])
        lines["quantity"] = reader.numbers(roles["quantity"], decimal)
        lines["unit_price"] = reader.numbers(roles["unit_price"], decimal)
        lines["discount"] = reader.numbers(roles["discount"], decimal) if "discount" in roles else 0.0
        if "discount" in roles:
            outside = ~lines["discount"].between(0, 1) & lines["discount"].notna()
            if outside.any():
                raise DataContractError("orders", roles["discount"], "expected a share of the price between 0 and 1 "
                                        "(0.2 = 20% off); an amount or a percentage would make revenue wrong: convert "
                                        "it, or set discount = \"\" if unit prices are already net", raw.loc[outside, roles["discount"]])
        lines["status"] = _line_status(reader, spec, roles, lines, shape, notes)
        reader.ledger.exclude("zero quantity", (lines["quantity"] == 0).to_numpy(), step="shape")
        flipped = ((lines["status"] == "returned") & (lines["quantity"] > 0)).to_numpy()
        if flipped.any():  # a return row may be written with a positive quantity; its value must still be negative
            lines.loc[flipped, "quantity"] = -lines.loc[flipped, "quantity"]
            notes.append(f"orders: {int(flipped.sum()):,} returned line(s) had a positive quantity: counted as "
                         "returns (negative quantity)")
    _far_outside(lines["quantity"] if shape != "transactions" else lines["unit_price"],
                 roles.get("quantity", roles.get("amount")), lines["order_id"], notes)
    lines["channel"] = reader.text(roles["channel"], lower=True) if "channel" in roles else pd.Series(pd.NA, index=raw.index, dtype="object")
    if "country" in roles:
        lines["country"] = reader.text(roles["country"])
    order_codes = (reader.distinct(roles["order_id"])[0] if "order_id" in roles
                   else np.arange(len(lines)))  # a transaction log without ids: each row is an order
    lines["line_number"] = pd.Series(order_codes, index=lines.index).groupby(order_codes).cumcount().to_numpy() + 1
    reader.ledger.exclude(NO_CUSTOMER["orders"], lines["customer_id"].isna(), step="no customer")
    products = None
    if shape != "transactions":
        products = pd.DataFrame({"product_id": np.sort(lines["product_id"].dropna().unique())})
        for role, name in (("product_name", "name"), ("category", "category")):
            if role in roles:  # each product's most frequent name (category): descriptions vary between lines
                pairs = pd.DataFrame({"product_id": lines["product_id"], name: reader.text(roles[role])}).dropna()
                counts = pairs.value_counts().reset_index().sort_values(["count", name], ascending=[False, True],
                                                                         kind="stable")
                products[name] = products["product_id"].map(counts.drop_duplicates("product_id")
                                                            .set_index("product_id")[name])
    columns = ["order_id", "line_number", "customer_id", "order_ts", "product_id", "quantity", "unit_price", "discount",
               "channel", "status"] + (["country"] if "country" in roles else [])
    lines = lines[columns]  # (a selection keeps attrs)
    lines.attrs["roles"] = roles
    return lines, products, reader, notes


FAR_OUTSIDE = 100  # a quantity more than this many times the 99th percentile is reported as an outlier


def _far_outside(values: pd.Series, column: str, order_ids: pd.Series, notes: list) -> None:
    """Quantities (amounts) far outside the rest are kept, and listed in the notes: a typo or a bulk order?"""
    size = values.abs()
    limit = FAR_OUTSIDE * size.quantile(0.99)
    far = size > limit
    if far.any() and limit > 0:
        shown = ", ".join(f"order {order_ids[i]} {values[i]:,g} (line {i + 2})" for i in far[far].index[:EXAMPLES])
        notes.append(f"orders: {int(far.sum()):,} line(s) with a {column} far outside the rest (above {limit:,g}, "
                     f"{FAR_OUTSIDE} times the 99th percentile), kept: check them (a typo, or a bulk order and its "
                     f"cancellation?): {shown}{' ...' if far.sum() > EXAMPLES else ''}")


def _check_currency(reader: ValueParser, column: str, declared: str | None) -> None:
    codes = reader.words(column).str.upper()
    seen = codes.dropna().value_counts()
    if len(seen) > 1:
        minority = codes.isin(seen.index[1:]).to_numpy()
        raise DataContractError("orders", column, f"mixed currencies {sorted(seen.index)} ({seen.to_dict()}); the kit "
                                "does not convert currencies (rates change daily): convert every amount to one "
                                "currency before the kit reads the file", reader.raw.loc[minority, column])
    if declared and len(seen) == 1 and seen.index[0] != declared.upper():
        raise DataContractError("orders", column, f"amounts are in {seen.index[0]} but [data] currency says "
                                f"{declared!r}", reader.raw[column])


def _line_status(reader: ValueParser, spec: dict, roles: dict, lines: pd.DataFrame, shape: str, notes: list) -> pd.Series:
    quantity, raw = lines["quantity"], reader.raw
    if "status" in roles:
        mapping = {str(k).lower(): v for k, v in spec.get("status_values", {s: s for s in STATUSES}).items()}
        wrong = [v for v in mapping.values() if v not in STATUSES]
        if wrong:
            raise MappingError("orders", "status_values", f"status_values may map to {list(STATUSES)} only, got {wrong}")
        text = reader.text(roles["status"], lower=True)
        status = text.map(mapping)
        reader.unreadable(roles["status"], text.isna().to_numpy(), "empty values", "empty status values",
                          "fill in the status, or map the column to \"\" if there is none")
        unknown = status.isna() & text.notna()
        if unknown.any():
            found = sorted(raw.loc[unknown, roles["status"]].dropna().unique().tolist())[:EXAMPLES]
            raise DataContractError("orders", roles["status"], f"status value(s) {found} are not in status_values "
                                    f"{sorted(mapping)}; add them to status_values in [orders]",
                                    raw.loc[unknown, roles["status"]])
        return status
    prefix = spec.get("cancelled_prefix", "C" if shape == "invoice_lines" else "")
    reversal = (reader.matches(roles["order_id"], lambda ids: ids.str.startswith(prefix)) if prefix
                else np.zeros(len(lines), bool))
    negative = (quantity < 0).to_numpy()
    reader.ledger.exclude(f"invoice number starts with '{prefix}' (a cancellation) but the quantity is not negative",
                          reversal & ~negative & quantity.notna().to_numpy(), step="shape")
    codes = spec.get("non_product_codes", list(NON_PRODUCT_CODES) if shape == "invoice_lines" else [])
    for non_product in codes:
        reader.ledger.exclude(f"non-product line (code '{non_product}': postage, fees or manual entry)",
                              reader.matches(roles["product_id"],
                                             lambda ids, code=str(non_product).upper(): ids.str.upper() == code),
                              step="shape")
    reader.ledger.exclude("negative unit price (a bad-debt or accounting adjustment)",
                          (lines["unit_price"] < 0).to_numpy(), step="shape")
    # counted in the loader on the lines still kept (Online Retail's plain negatives all lack a customer id)
    refund = ((lines["product_id"] == REFUND_CODE).to_numpy(bool) if "refund_amount" in roles
              else np.zeros(len(lines), bool))  # an array either way: ~ on a plain bool is an int (Python 3.12+ warns)
    lines.attrs["plain_negative"] = (negative & ~reversal & ~refund, prefix)
    if prefix:
        notes.append(f"orders: an invoice number starting with '{prefix}' reverses earlier lines: kept as a return "
                     "(negative quantity) so that net revenue nets it out")
    return pd.Series(np.where(negative, "returned", "completed"), index=lines.index)


# --------------------------------------------------------------------------- optional tables
def read_customers(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, ValueParser, list[str]]:
    """Customers with the roles found (id, email, signup date, consent, do-not-contact) and every other column as text.

    Example::

        customers, reader, notes = read_customers({"file": "crm_export.csv", "customer_id": "ClientNo"})
    """
    raw, roles, notes, reader = _open(spec, "customers", bad_row_limit)
    out = pd.DataFrame({"customer_id": reader.ids(roles["customer_id"], spec.get("missing_ids", MISSING_IDS))})
    reader.ledger.exclude("no customer id", out["customer_id"].isna(), step="no customer")
    if "email" in roles:
        out["email"] = reader.text(roles["email"], lower=True)
    if "signup_date" in roles:
        out["signup_date"] = reader.stamps(roles["signup_date"], spec.get("date_format")).dt.normalize()
    if "country" in roles:
        out["country"] = reader.text(roles["country"])
    for flag in ("consent_email", "consent_sms", "consent_push"):  # no answer is no consent
        if flag in roles:
            out[flag] = reader.flags(roles[flag], empty=False, meaning="no consent")
    if "do_not_contact" in roles:  # an empty opt-out is read the safe way
        out["do_not_contact"] = reader.flags(roles["do_not_contact"], empty=True, meaning="do not contact")
    for column in raw.columns:
        if column not in roles.values() and column not in out.columns:
            out[column] = raw[column]
    return out, reader, notes


def read_products(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, ValueParser, list[str]]:
    """Products: id, and name, category and unit cost where mapped.

    Example::

        products, reader, notes = read_products({"file": "catalogue.csv", "category": "Department"})
    """
    raw, roles, notes, reader = _open(spec, "products", bad_row_limit)
    out = pd.DataFrame({"product_id": reader.text(roles["product_id"])})
    if "product_name" in roles:
        out["name"] = reader.text(roles["product_name"])
    if "category" in roles:
        out["category"] = reader.text(roles["category"]).fillna("unknown")
    if "unit_cost" in roles:
        out["unit_cost"] = reader.numbers(roles["unit_cost"], spec.get("decimal", "."))
    return out, reader, notes


def read_events(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, ValueParser, list[str]]:
    """Browsing events: customer, timestamp, event type (your own types), and product and category where mapped.

    Example::

        events, reader, notes = read_events({"file": "web_events.csv", "event_type": "action"})
    """
    raw, roles, notes, reader = _open(spec, "events", bad_row_limit)
    out = pd.DataFrame({"customer_id": reader.ids(roles["customer_id"], spec.get("missing_ids", MISSING_IDS)),
                        "event_ts": reader.stamps(roles["timestamp"], spec.get("date_format")),
                        "event_type": reader.text(roles["event_type"], lower=True)})
    for role in ("product_id", "category"):
        if role in roles:
            out[role] = reader.text(roles[role])
    reader.ledger.exclude(NO_CUSTOMER["events"], out["customer_id"].isna(), step="no customer")
    return out, reader, notes


def guess_control(arms) -> str | None:
    """The one arm whose name says control ("control", "No E-Mail", "holdout", "none"), else None.

    >>> guess_control(["Mens E-Mail", "No E-Mail", "Womens E-Mail"])
    'No E-Mail'
    """
    guesses = [a for a in arms if re.search(r"control|^no[ _-]|holdout|none", str(a), re.IGNORECASE)]
    return guesses[0] if len(guesses) == 1 else None


def read_campaign(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, ValueParser, list[str]]:
    """A randomized campaign table: the arm of each row, the outcomes you name and the features you name.

    Outcome columns may be 0/1, true/false or amounts. ``control_arm`` names
    the control; ``treatment_arms`` the arms to compare with it (all other
    arms by default). Rows of arms not chosen are excluded and reported.
    Without a customer id column, rows are numbered (the table then stands
    alone: it cannot be joined to orders).

    Example::

        campaign, reader, notes = read_campaign({"file": "test.csv", "arm": "segment", "control_arm": "No E-Mail",
                                                 "outcomes": ["visit", "conversion", "spend"]})
    """
    raw, roles, notes, reader = _open(spec, "campaign", bad_row_limit)
    arm = reader.text(roles["arm"])
    arms = sorted(arm.dropna().unique().tolist())
    control = spec.get("control_arm")
    if control is None:
        control = guess_control(arms)
        if control is None:
            raise MappingError("campaign", "control_arm", f"set control_arm = \"...\" in [campaign]; arms: {arms}")
        notes.append(f"campaign: arm '{control}' taken as the control (auto-detected)")
    treatments = spec.get("treatment_arms") or [a for a in arms if a != control]
    if not treatments:
        raise MappingError("campaign", "arm", f"column '{roles['arm']}' has one arm only ({arms}): nothing to compare")
    for name in (control, *treatments):
        if name not in arms:
            raise MappingError("campaign", "treatment_arms" if name != control else "control_arm",
                               f"arm {name!r} is not in column '{roles['arm']}'{_close(name, arms)}; arms: {arms}")
    outcomes = spec.get("outcomes")
    if not outcomes:
        raise MappingError("campaign", "outcomes", "name the outcome columns to compare, e.g. outcomes = "
                           "[\"visit\", \"conversion\", \"spend\"]")
    out = pd.DataFrame({"customer_id": reader.ids(roles["customer_id"], spec.get("missing_ids", MISSING_IDS))
                        if "customer_id" in roles
                        else pd.Series(raw.index + 1, index=raw.index, dtype="Int64"),
                        "arm": arm})
    for column in (*outcomes, *spec.get("features", [])):
        if column not in raw.columns:
            raise MappingError("campaign", "outcomes" if column in outcomes else "features",
                               f"{column!r} is not a column{_close(column, raw.columns)}; columns: {list(raw.columns)}")
    decimal = spec.get("decimal", ".")
    for column in outcomes:
        lowered = reader.words(column)
        if lowered.dropna().isin(TRUE_WORDS | FALSE_WORDS).all() and not lowered.dropna().isin({"0", "1"}).all():
            flags = reader.flags(column, empty=pd.NA)
            reader.unreadable(column, lowered.isna().to_numpy(), "empty or unreadable values",
                              "empty outcome values", "an outcome must be known for every row of the test")
            out[column] = flags.fillna(False).astype(float)
        else:
            out[column] = reader.numbers(column, decimal)
    for column in spec.get("features", []):
        text = reader.text(column)
        numbers = pd.to_numeric(text, errors="coerce")
        out[column] = numbers if numbers.notna().sum() == text.notna().sum() else text
    reader.ledger.exclude(f"arm not compared (only {control!r} and {treatments} are)", ~arm.isin([control, *treatments]),
                          step="shape")
    out.attrs.update(has_ids="customer_id" in roles, control_arm=control, treatment_arms=list(treatments), outcomes=list(outcomes),
                     features=list(spec.get("features", [])))
    return out, reader, notes
