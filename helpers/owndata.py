"""Your own data in: a column mapping (a TOML file you edit) and adapters for the shapes real exports come in.

The mapping says which file holds which table and which column plays which
role (customer id, timestamp, amount, ...). Roles left out are detected from
the column names when exactly one column fits; otherwise the error names the
role to set. Three shapes of order data are read:

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

Customers, products, browsing events and a randomized campaign (any number
of arms, outcome columns of your choice) are optional tables. Every row left
out is in the report with its reason and its line in the file; a column that
cannot be read at all (a wrong date format, mixed currencies) stops the run
with a message naming the column and example rows.

Example::

    world = load_own_data("templates/mapping.toml")
    print(world.report)                      # read, kept, repaired, excluded, by reason
"""
from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from .data import EXAMPLES, FALSE_WORDS, TRUE_WORDS, DataContractError, ValidationReport, World, check_as_of

SHAPES = ("invoice_lines", "order_lines", "transactions")
STATUSES = ("completed", "returned", "cancelled")
# Codes of non-product lines in common invoice exports: postage, carriage, manual entries, fees, discounts.
NON_PRODUCT_CODES = ("POST", "DOT", "C2", "M", "BANK CHARGES", "AMAZONFEE", "D", "CRUK", "PADS", "S", "B", "ADJUST")
# Placeholders that mean "no customer id" in real exports (compared lower-case); set missing_ids to change them.
MISSING_IDS = ("guest", "anonymous", "unknown", "null", "none", "n/a", "na", "-")
DATE_FORMATS = ("ISO8601", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S",
                "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y")

# role -> column names that fill it when the mapping leaves it out (compared lower-case, letters and digits only)
ALIASES = {
    "customer_id": ("customer_id", "customerid", "customer", "cust_id", "client_id", "user_id", "member_id"),
    "order_id": ("order_id", "orderid", "invoiceno", "invoice_no", "invoice", "invoice_number", "transaction_id",
                 "order_number"),
    "timestamp": ("order_ts", "invoicedate", "invoice_date", "order_date", "date", "datetime", "timestamp",
                  "transaction_date", "purchase_date", "event_ts", "event_date"),
    "product_id": ("product_id", "stockcode", "stock_code", "sku", "item_id"),
    "product_name": ("description", "product_name", "item_name", "name"),
    "quantity": ("quantity", "qty", "units"),
    "unit_price": ("unit_price", "unitprice", "price"),
    "discount": ("discount",),
    "amount": ("amount", "total", "order_value", "revenue", "sales", "spend", "value"),
    "status": ("status", "order_status"),
    "channel": ("channel", "sales_channel"),
    "category": ("category", "product_category"),
    "country": ("country",),
    "currency_column": ("currency", "currency_code"),
    "unit_cost": ("unit_cost", "cost"),
    "email": ("email", "email_address"),
    "signup_date": ("signup_date", "created", "registration_date"),
    "consent_email": ("consent_email", "email_consent", "email_opt_in"),
    "consent_sms": ("consent_sms",),
    "consent_push": ("consent_push",),
    "do_not_contact": ("do_not_contact", "dnc"),
    "event_type": ("event_type", "event", "action"),
    "arm": ("arm", "segment", "treatment", "group", "variant"),
}
ROLES = {  # table -> (required roles, optional roles)
    "invoice_lines": (("customer_id", "order_id", "timestamp", "product_id", "quantity", "unit_price"),
                      ("product_name", "discount", "channel", "category", "country", "currency_column")),
    "order_lines": (("customer_id", "order_id", "timestamp", "product_id", "quantity", "unit_price"),
                    ("product_name", "discount", "status", "channel", "category", "country", "currency_column")),
    "transactions": (("customer_id", "timestamp", "amount"), ("order_id", "channel", "country", "currency_column")),
    "customers": (("customer_id",), ("email", "signup_date", "country", "consent_email", "consent_sms", "consent_push",
                                     "do_not_contact")),
    "products": (("product_id",), ("product_name", "category", "unit_cost")),
    "events": (("customer_id", "timestamp", "event_type"), ("product_id", "category")),
    "campaign": (("arm",), ("customer_id",)),
}
SETTINGS = {  # keys of a section that are not column roles
    "orders": {"file", "shape", "date_format", "decimal", "cancelled_prefix", "non_product_codes", "status_values",
               "separator", "encoding", "missing_ids"},
    "customers": {"file", "date_format", "decimal", "separator", "encoding", "missing_ids"},
    "products": {"file", "decimal", "separator", "encoding"},
    "events": {"file", "date_format", "separator", "encoding", "missing_ids"},
    "campaign": {"file", "control_arm", "treatment_arms", "outcomes", "features", "decimal", "separator", "encoding",
                 "missing_ids"},
    "data": {"as_of", "currency", "bad_row_limit"},
    "segments": {"k", "min_customers", "churn_horizon_days", "migration_days", "seed"},
    "audiences": {"segments", "scheme", "channel", "offer", "message", "min_audience", "control_share", "salt_env"},
}
OPTIONAL_TABLES = ("customers", "products", "events", "campaign")


class MappingError(DataContractError):
    """The mapping does not say enough (or says something wrong) to read a file; names the section and key."""

    def __init__(self, section: str, key: str | None, problem: str):
        super().__init__(section, key, problem)
        self.section, self.key = section, key


# --------------------------------------------------------------------------- the mapping file
def load_mapping(path: str | Path) -> dict:
    """Read a mapping file (TOML) and check its sections and keys; file paths become absolute.

    Paths inside the mapping are relative to the mapping file's folder.

    Example::

        mapping = load_mapping("templates/mapping.toml")
        mapping["orders"]["shape"]               # 'order_lines'
    """
    path = Path(path)
    try:
        mapping = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError("mapping", None, f"no mapping file at {path}") from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError("mapping", None, f"{path} is not valid TOML: {error}") from None
    return check_mapping(mapping, base=path.parent)


def check_mapping(mapping: dict, base: str | Path = ".") -> dict:
    """Validate a mapping given as a dict (as :func:`load_mapping` reads it); returns a copy with absolute paths.

    >>> check_mapping({"orders": {"file": "x.csv", "shape": "transactions"}}, base="/data")["orders"]["file"]
    '/data/x.csv'
    """
    if "orders" not in mapping:
        raise MappingError("orders", None, "the mapping needs an [orders] section: the file of orders or transactions")
    known_sections = {"orders", *OPTIONAL_TABLES, "data", "segments", "audiences"}
    checked = {}
    for section, values in mapping.items():
        if section not in known_sections:
            raise MappingError(section, None, f"unknown section [{section}]{_close(section, known_sections)}; "
                               f"sections: {sorted(known_sections)}")
        if not isinstance(values, dict):
            raise MappingError(section, None, f"[{section}] must be a table of keys, got {values!r}")
        values = dict(values)
        table = values.get("shape", "invoice_lines") if section == "orders" else section
        if section == "orders" and table not in SHAPES:
            raise MappingError("orders", "shape", f"unknown shape {table!r}; choose one of {list(SHAPES)}")
        allowed = set(SETTINGS.get(section, ())) | (set(sum(ROLES[table], ())) if table in ROLES else set())
        for key in values:
            if key not in allowed:
                raise MappingError(section, key, f"unknown key '{key}' in [{section}]{_close(key, allowed)}; "
                                   f"keys: {sorted(allowed)}")
        if section in ("orders", *OPTIONAL_TABLES):
            if "file" not in values:
                raise MappingError(section, "file", f"[{section}] needs file = \"...\" (the path of the file)")
            values["file"] = str((Path(base) / values["file"]).resolve())
        checked[section] = values
    return checked


def _close(word: str, choices) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def resolve_columns(section: str, spec: dict, columns, table: str | None = None) -> tuple[dict, list[str]]:
    """Which column of the file plays each role: the mapping's choice, else the one column whose name fits.

    Returns ``{role: column}`` and notes on what was auto-detected. A role
    set to "" in the mapping is switched off. Raises :class:`MappingError`
    naming the role when a required one is missing or two columns fit.

    >>> resolve_columns("orders", {"shape": "transactions"}, ["Customer", "Date", "Amount"], "transactions")[0]
    {'customer_id': 'Customer', 'timestamp': 'Date', 'amount': 'Amount'}
    """
    table = table or section
    required, optional = ROLES[table]
    columns = [str(c) for c in columns]
    found, notes = {}, []
    for role in (*required, *optional):
        if role in spec:
            chosen = spec[role]
            if chosen == "":
                continue
            if chosen not in columns:
                raise MappingError(section, role, f"{role} = {chosen!r} is not a column of {Path(spec['file']).name}"
                                   f"{_close(chosen, columns)}; columns: {columns}")
            found[role] = chosen
            continue
        aliases = {_norm(a) for a in ALIASES.get(role, (role,))}
        fits = [c for c in columns if _norm(c) in aliases and c not in found.values()]
        if len(fits) == 1:
            found[role] = fits[0]
            notes.append(f"{section}: column '{fits[0]}' taken as {role} (auto-detected)")
        elif len(fits) > 1:
            raise MappingError(section, role, f"several columns could be the {role}: {fits}; "
                               f"set {role} = \"...\" in [{section}]")
        elif role in required:
            raise MappingError(section, role, f"no column for the {role}: set {role} = \"<column>\" in [{section}] "
                               f"of the mapping; columns: {columns}")
    return found, notes


# --------------------------------------------------------------------------- reading values
class _Reader:
    """Reads one table's columns, collecting rows to exclude (unreadable values) with their reason.

    Every column is factorized once and each *distinct* value is tidied and
    parsed once, then spread back to the rows: exports repeat their values a
    lot (dates, prices, codes), which makes this fast on ten million lines.
    """

    def __init__(self, table: str, raw: pd.DataFrame, bad_row_limit: float):
        self.table, self.raw, self.limit = table, raw, bad_row_limit
        self.reasons: list[tuple[str, pd.Series]] = []
        self.notes: list[str] = []
        self._distinct: dict[str, tuple[np.ndarray, pd.Series]] = {}

    def distinct(self, column: str) -> tuple[np.ndarray, pd.Series]:
        """Row -> position of its value, and the distinct values stripped (empty -> NaN; the last one is NaN for
        empty cells)."""
        if column not in self._distinct:
            codes, uniques = pd.factorize(self.raw[column])
            values = pd.Series(np.append(np.asarray(uniques, dtype=object), np.nan), dtype=object)
            self._distinct[column] = (np.where(codes < 0, len(uniques), codes), values.str.strip().replace("", np.nan))
        return self._distinct[column]

    def spread(self, column: str, per_value) -> np.ndarray:
        """A result computed per distinct value (in the order of ``distinct``), one per row."""
        row_of, _ = self.distinct(column)
        return np.asarray(per_value)[row_of]

    def duplicated(self) -> np.ndarray:
        """Rows identical to an earlier row in every column of the file."""
        codes = pd.DataFrame({i: self.distinct(c)[0] for i, c in enumerate(self.raw.columns)})
        return codes.duplicated(keep="first").to_numpy()

    def exclude(self, reason: str, mask) -> None:
        self.reasons.append((reason, pd.Series(np.asarray(mask, bool), index=self.raw.index)))

    def unreadable(self, column: str, mask: np.ndarray, what: str, hint: str) -> None:
        """Rows whose value cannot be read: excluded and reported, or the run stops if there are too many."""
        mask = np.asarray(mask, bool)
        if not mask.any():
            return
        share = mask.mean()
        if share > self.limit:
            raise DataContractError(self.table, column, f"{share:.1%} of the rows have {what} (more than the "
                                    f"bad_row_limit of {self.limit:.1%} that may be excluded); {hint}",
                                    self.raw.loc[mask, column])
        self.exclude(f"{what} in column '{column}'", mask)

    def text(self, column: str, transform=None) -> pd.Series:
        """The column's text, stripped (empty -> NaN); ``transform`` (e.g. ``str.lower``) is applied per distinct value."""
        values = self.distinct(column)[1]
        if transform is not None:
            values = values.map(transform, na_action="ignore")
        return pd.Series(self.spread(column, values.to_numpy(object)), index=self.raw.index, dtype=object)

    def ids(self, column: str, missing=MISSING_IDS) -> pd.Series:
        """Ids as whole numbers when every id is one that fits (up to 18 digits, no leading zero), else as text.

        "17850.0" (an id that passed through a spreadsheet) is read as 17850;
        placeholders such as "Guest" (``missing``) mean no id.
        """
        values = self.distinct(column)[1]
        values = values.where(~values.str.lower().isin({str(m).lower() for m in missing}))
        values = values.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
        present = values.notna()
        if present.any() and values[present].str.fullmatch(r"[1-9]\d{0,17}|0").all():
            numbers = pd.array(np.zeros(len(values), dtype="int64"), dtype="Int64")
            numbers[present.to_numpy()] = pd.to_numeric(values[present]).to_numpy("int64")
            numbers[~present.to_numpy()] = pd.NA
            return pd.Series(numbers.take(self.distinct(column)[0]), index=self.raw.index)
        return pd.Series(self.spread(column, values.to_numpy(object)), index=self.raw.index, dtype=object)

    def numbers(self, column: str, decimal: str = ".") -> pd.Series:
        values = self.distinct(column)[1]
        thousands = "." if decimal == "," else ","
        # a separator is dropped only where it groups thousands ("1,234.50"); "12,50" with decimal "." stays unreadable
        grouped = values.str.fullmatch(rf"[-+]?\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d*)?", na=False)
        cleaned = values.where(~grouped, values.str.replace(thousands, "", regex=False))
        if decimal == ",":
            cleaned = cleaned.where(cleaned.str.count(r"\.").fillna(0) == 0).str.replace(",", ".", regex=False)
        numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
        self.unreadable(column, self.spread(column, numbers.isna().to_numpy()), "empty or unreadable numbers",
                        f"is decimal = \"{',' if decimal == '.' else '.'}\" needed?")
        return pd.Series(self.spread(column, numbers.to_numpy()), index=self.raw.index)

    def flags(self, column: str, empty: bool | None = None, meaning: str = "") -> pd.Series:
        """True/false (yes/no, 1/0); an empty cell reads as ``empty`` (noted), or is refused when ``empty`` is None."""
        lowered = self.distinct(column)[1].str.lower()
        blank = self.spread(column, lowered.isna().to_numpy())
        known = self.spread(column, lowered.isin(TRUE_WORDS | FALSE_WORDS).to_numpy()) | (blank & (empty is not None))
        if not known.all():
            raise DataContractError(self.table, column, "expected true/false (or yes/no, 1/0); empty or other values "
                                    "found", self.raw.loc[~known, column].fillna("<empty>"))
        if blank.any():
            self.notes.append(f"{self.table}: {int(blank.sum())} empty cell(s) in '{column}' read as {meaning}")
        return pd.Series(self.spread(column, lowered.isin(TRUE_WORDS).to_numpy()) | (blank & bool(empty)),
                         index=self.raw.index)

    def matches(self, column: str, test) -> np.ndarray:
        """``test`` (a function of a Series of distinct stripped values, returning booleans) for every row."""
        values = self.distinct(column)[1]
        return self.spread(column, test(values.fillna("")).to_numpy(bool))

    def stamps(self, column: str, date_format: str | None) -> pd.Series:
        values = self.distinct(column)[1]
        fmt = date_format or _detect_format(values, self.table, column)
        if not date_format:
            self.notes.append(f"{self.table}: column '{column}' read with date format '{fmt}' (detected)")
        # times with a UTC offset (even two, across a daylight-saving change) become UTC; times without stay as written
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True).dt.tz_convert(None)
        stamps = pd.Series(self.spread(column, parsed.to_numpy(dtype="datetime64[ns]")), index=self.raw.index)
        self.unreadable(column, stamps.isna().to_numpy(), "empty or unreadable dates",
                        f"the format tried was {fmt!r}: set date_format = \"...\" (e.g. \"%d/%m/%Y %H:%M\")")
        return stamps


def _detect_format(distinct: pd.Series, table: str, column: str) -> str:
    """The one date format that reads (nearly) every value; an error when none does or when it is ambiguous."""
    sample = distinct.dropna()
    sample = sample.sample(5000, random_state=0) if len(sample) > 5000 else sample  # from the whole file
    if sample.empty:
        return "ISO8601"
    readable = {fmt: pd.to_datetime(sample, format=fmt, errors="coerce", utc=True).notna().mean() for fmt in DATE_FORMATS}
    best = max(readable.values())
    fits = [fmt for fmt, share in readable.items() if share == best]
    if best < 0.9:
        raise MappingError(table, "date_format", f"cannot tell the date format of column '{column}' "
                           f"(e.g. {sample.head(3).tolist()}); set date_format = \"...\" with strftime codes")
    if len(fits) > 1:
        raise MappingError(table, "date_format", f"the dates of column '{column}' (e.g. {sample.head(3).tolist()}) "
                           f"read in more than one way: {fits}; set date_format = \"...\" (day or month first?)")
    return fits[0]


def _read_csv(spec: dict, table: str) -> pd.DataFrame:
    path = Path(spec["file"])
    if not path.exists():
        raise MappingError(table, "file", f"no file at {path}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], sep=spec.get("separator", ","),
                            encoding=spec.get("encoding", "utf-8"))
    except UnicodeDecodeError:
        raise MappingError(table, "encoding", f"{path.name} is not UTF-8 (it was probably saved by Excel or an older "
                           f"system): set encoding = \"latin-1\" (or \"cp1252\") in [{table}]") from None
    if frame.empty:
        raise DataContractError(table, None, f"{path.name} has no data rows")
    if frame.shape[1] == 1 and (found := [sep for sep in (";", "\t", "|") if sep in frame.columns[0]]):
        raise MappingError(table, "separator", f"{path.name} was read as one column {frame.columns[0]!r}: "
                           f"set separator = {found[0]!r} in [{table}]")
    return frame


def _open(spec: dict, section: str, bad_row_limit: float, table: str | None = None):
    """The file of a section read as text, the column of each role, the notes so far, and a reader for it."""
    raw = _read_csv(spec, section)
    roles, notes = resolve_columns(section, spec, raw.columns, table)
    return raw, roles, notes, _Reader(section, raw, bad_row_limit)


# --------------------------------------------------------------------------- orders
def read_orders(spec: dict, bad_row_limit: float = 0.01, currency: str | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame | None, _Reader, list[str]]:
    """Order lines in the kit's shape from a file of any of the three shapes; see the module docstring.

    Returns the lines (``order_id, line_number, customer_id, order_ts, product_id,
    quantity, unit_price, discount, channel, status`` and, if mapped,
    ``country``), the products found on them (or None), the reader holding the
    exclusions, and notes. Nothing is excluded yet: :func:`load_own_data` applies
    the reasons and writes the report.

    Example::

        lines, products, reader, notes = read_orders(load_mapping("templates/mapping.toml")["orders"])
    """
    shape = spec.get("shape", "invoice_lines")
    raw, roles, notes, reader = _open(spec, "orders", bad_row_limit, shape)
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
        reader.exclude("zero amount", (amount == 0).to_numpy())
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
        reader.exclude("zero quantity", (lines["quantity"] == 0).to_numpy())
        flipped = ((lines["status"] == "returned") & (lines["quantity"] > 0)).to_numpy()
        if flipped.any():  # a return row may be written with a positive quantity; its value must still be negative
            lines.loc[flipped, "quantity"] = -lines.loc[flipped, "quantity"]
            notes.append(f"orders: {int(flipped.sum()):,} returned line(s) had a positive quantity: counted as "
                         "returns (negative quantity)")
    lines["channel"] = reader.text(roles["channel"], str.lower) if "channel" in roles else pd.Series(pd.NA, index=raw.index, dtype="object")
    if "country" in roles:
        lines["country"] = reader.text(roles["country"])
    order_codes = (reader.distinct(roles["order_id"])[0] if "order_id" in roles
                   else np.arange(len(lines)))  # a transaction log without ids: each row is an order
    lines["line_number"] = pd.Series(order_codes, index=lines.index).groupby(order_codes).cumcount().to_numpy() + 1
    reader.exclude("no customer id (guest checkout)", lines["customer_id"].isna())
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
    lines = lines[columns]
    lines.attrs["roles"] = roles
    return lines, products, reader, notes


def _check_currency(reader: _Reader, column: str, declared: str | None) -> None:
    codes = reader.text(column, str.upper)
    seen = codes.dropna().value_counts()
    if len(seen) > 1:
        minority = codes.isin(seen.index[1:]).to_numpy()
        raise DataContractError("orders", column, f"mixed currencies {sorted(seen.index)} ({seen.to_dict()}); the kit "
                                "does not convert currencies (rates change daily): convert every amount to one "
                                "currency before the kit reads the file", reader.raw.loc[minority, column])
    if declared and len(seen) == 1 and seen.index[0] != declared.upper():
        raise DataContractError("orders", column, f"amounts are in {seen.index[0]} but [data] currency says "
                                f"{declared!r}", reader.raw[column])


def _line_status(reader: _Reader, spec: dict, roles: dict, lines: pd.DataFrame, shape: str, notes: list) -> pd.Series:
    quantity, raw = lines["quantity"], reader.raw
    if "status" in roles:
        mapping = {str(k).lower(): v for k, v in spec.get("status_values", {s: s for s in STATUSES}).items()}
        wrong = [v for v in mapping.values() if v not in STATUSES]
        if wrong:
            raise MappingError("orders", "status_values", f"status_values may map to {list(STATUSES)} only, got {wrong}")
        text = reader.text(roles["status"], str.lower)
        status = text.map(mapping)
        reader.unreadable(roles["status"], text.isna().to_numpy(), "empty values",
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
    reader.exclude(f"invoice number starts with '{prefix}' (a cancellation) but the quantity is not negative",
                   reversal & ~negative & quantity.notna().to_numpy())
    codes = spec.get("non_product_codes", list(NON_PRODUCT_CODES) if shape == "invoice_lines" else [])
    for non_product in codes:
        reader.exclude(f"non-product line (code '{non_product}': postage, fees or manual entry)",
                       reader.matches(roles["product_id"], lambda ids, code=str(non_product).upper(): ids.str.upper() == code))
    reader.exclude("negative unit price (a bad-debt or accounting adjustment)", (lines["unit_price"] < 0).to_numpy())
    plain_negative = negative & ~reversal
    if plain_negative.any():
        notes.append(f"orders: {int(plain_negative.sum()):,} line(s) with a negative quantity on an invoice without "
                     f"the '{prefix}' prefix are counted as returns")
    if prefix:
        notes.append(f"orders: an invoice number starting with '{prefix}' reverses earlier lines: kept as a return "
                     "(negative quantity) so that net revenue nets it out")
    return pd.Series(np.where(negative, "returned", "completed"), index=lines.index)


# --------------------------------------------------------------------------- optional tables
def read_customers(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, _Reader, list[str]]:
    """Customers with the roles found (id, email, signup date, consent, do-not-contact) and every other column as text.

    Example::

        customers, reader, notes = read_customers({"file": "crm_export.csv", "customer_id": "ClientNo"})
    """
    raw, roles, notes, reader = _open(spec, "customers", bad_row_limit)
    out = pd.DataFrame({"customer_id": reader.ids(roles["customer_id"], spec.get("missing_ids", MISSING_IDS))})
    reader.exclude("no customer id", out["customer_id"].isna())
    if "email" in roles:
        out["email"] = reader.text(roles["email"], str.lower)
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


def read_products(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, _Reader, list[str]]:
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


def read_events(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, _Reader, list[str]]:
    """Browsing events: customer, timestamp, event type (your own types), and product and category where mapped.

    Example::

        events, reader, notes = read_events({"file": "web_events.csv", "event_type": "action"})
    """
    raw, roles, notes, reader = _open(spec, "events", bad_row_limit)
    out = pd.DataFrame({"customer_id": reader.ids(roles["customer_id"], spec.get("missing_ids", MISSING_IDS)),
                        "event_ts": reader.stamps(roles["timestamp"], spec.get("date_format")),
                        "event_type": reader.text(roles["event_type"], str.lower)})
    for role in ("product_id", "category"):
        if role in roles:
            out[role] = reader.text(roles[role])
    reader.exclude("no customer id (anonymous session)", out["customer_id"].isna())
    return out, reader, notes


def guess_control(arms) -> str | None:
    """The one arm whose name says control ("control", "No E-Mail", "holdout", "none"), else None.

    >>> guess_control(["Mens E-Mail", "No E-Mail", "Womens E-Mail"])
    'No E-Mail'
    """
    guesses = [a for a in arms if re.search(r"control|^no[ _-]|holdout|none", str(a), re.IGNORECASE)]
    return guesses[0] if len(guesses) == 1 else None


def read_campaign(spec: dict, bad_row_limit: float = 0.01) -> tuple[pd.DataFrame, _Reader, list[str]]:
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
        lowered = reader.text(column, str.lower)
        if lowered.dropna().isin(TRUE_WORDS | FALSE_WORDS).all() and not lowered.dropna().isin({"0", "1"}).all():
            reader.unreadable(column, lowered.isna().to_numpy(), "empty or unreadable values",
                              "an outcome must be known for every row of the test")
            out[column] = lowered.isin(TRUE_WORDS).astype(float)
        else:
            out[column] = reader.numbers(column, decimal)
    for column in spec.get("features", []):
        numbers = pd.to_numeric(reader.text(column), errors="coerce")
        out[column] = numbers if numbers.notna().sum() == reader.text(column).notna().sum() else reader.text(column)
    reader.exclude(f"arm not compared (only {control!r} and {treatments} are)", ~arm.isin([control, *treatments]))
    out.attrs.update(has_ids="customer_id" in roles, control_arm=control, treatment_arms=list(treatments), outcomes=list(outcomes),
                     features=list(spec.get("features", [])))
    return out, reader, notes


# --------------------------------------------------------------------------- all together
def load_own_data(mapping: str | Path | dict, as_of: str | pd.Timestamp | None = None) -> World:
    """Read every file the mapping names, in the kit's shapes, with a report of every row left out.

    ``as_of`` (else ``[data] as_of``, else the day of the last order) is the
    day recency is measured from; later rows are excluded. Orders of customers
    missing from a customers file are excluded and reported. Without a
    customers file, the customers are the buyers, signed up on their first
    order. Tables not mapped are None: ``world.meta["missing"]`` lists them.

    Example::

        world = load_own_data("my_transactions_mapping.toml")
        world.meta["missing"]       # ['products', 'events', 'campaign', ...]
    """
    mapping = load_mapping(mapping) if not isinstance(mapping, dict) else check_mapping(mapping)
    settings = mapping.get("data", {})
    limit = float(settings.get("bad_row_limit", 0.01))
    report = ValidationReport()
    notes: list[str] = []
    orders, products, reader, found_notes = read_orders(mapping["orders"], limit, settings.get("currency"))
    found_roles = orders.attrs.get("roles", {})
    notes += found_notes
    readers = {"orders": reader}
    tables = {}
    for table, read in (("customers", read_customers), ("products", read_products), ("events", read_events),
                        ("campaign", read_campaign)):
        if table in mapping:
            tables[table], readers[table], found_notes = read(mapping[table], limit)
            notes += found_notes
    _same_id_type(orders, tables)
    if as_of is None and "as_of" not in settings:
        as_of = orders["order_ts"].max().normalize()
        notes.append(f"data: no as_of date set; recency is measured from the last order's day, {as_of.date()}")
    as_of = pd.Timestamp(as_of if as_of is not None else settings["as_of"]).normalize()
    as_of = check_as_of(as_of, orders["order_ts"], "orders", mapping["orders"].get("order_ts", "order_ts"))
    reader.exclude(f"dated after the as-of date {as_of.date()}", (orders["order_ts"] >= as_of + pd.Timedelta(days=1)).to_numpy())
    if "events" in tables:
        readers["events"].exclude(f"dated after the as-of date {as_of.date()}",
                                  tables["events"]["event_ts"] >= as_of + pd.Timedelta(days=1))
    without_ids = {"orders": mapping["orders"].get("shape") == "transactions" and "order_id" not in found_roles,
                   "campaign": "campaign" in tables and not tables["campaign"].attrs.get("has_ids", True)}
    for table in ("orders", *tables):
        if without_ids.get(table):  # two equal purchases on one day look like a duplicate: keep both, say so
            notes.append(f"{table}: no id column, so identical rows are kept as separate rows (they cannot be told "
                         "from duplicates)")
            continue
        readers[table].exclude("exact duplicate of an earlier row", readers[table].duplicated())
    for table, key in (("customers", "customer_id"), ("products", "product_id")):
        if table in tables:  # a key may repeat only on exact duplicates (left out above)
            ids = tables[table][key]
            clash = ids.notna() & ids.duplicated(keep=False) & ~readers[table].raw.duplicated(keep=False)
            if clash.any():
                raise DataContractError(table, mapping[table].get(key, key), f"the same {key.replace('_', ' ')} "
                                        "appears on rows with different content", ids[clash].astype(str))
    if "customers" in tables:
        known = set(tables["customers"]["customer_id"].dropna())
        for table in ("orders", "events", "campaign"):
            frame = orders if table == "orders" else tables.get(table)
            if frame is not None and (table != "campaign" or frame.attrs.get("has_ids", True)):
                _exclude_unjoined(readers[table], frame["customer_id"], known, "customer id", "customers",
                                  mapping[table].get("customer_id", "customer_id"))
    if "products" in tables:
        _exclude_unjoined(readers["orders"], orders["product_id"], set(tables["products"]["product_id"].dropna()),
                          "product id", "products", mapping["orders"].get("product_id", "product_id"))
    clean = {"orders": _apply(readers["orders"], orders, report)}
    for table, frame in tables.items():
        clean[table] = _apply(readers[table], frame, report)
    if clean["orders"].empty:
        reasons = report.actions().query("table == 'orders'")
        top = "; ".join(f"{r.rows:,} {r.reason}" for r in reasons.itertuples())
        raise DataContractError("orders", None, f"no order lines are left after validation ({top}); see the "
                                "mapping, the as_of date and the files")
    if "products" in clean:
        products = clean["products"]
    for found in readers.values():
        notes += found.notes
    if "customers" not in clean:
        first = clean["orders"].groupby("customer_id")["order_ts"].min().dt.normalize()
        customers = first.rename("signup_date").reset_index()
        if "country" in clean["orders"].columns:  # the country of each customer's latest line
            latest = clean["orders"].sort_values("order_ts", kind="stable").groupby("customer_id")["country"].last()
            customers["country"] = customers["customer_id"].map(latest)
        clean["customers"] = customers
        notes.append("customers: no customers file; the customers are the buyers, signed up on their first order")
    elif "signup_date" not in clean["customers"].columns:
        first = clean["orders"].groupby("customer_id")["order_ts"].min().dt.normalize()
        clean["customers"]["signup_date"] = clean["customers"]["customer_id"].map(first).fillna(as_of)
        notes.append("customers: no signup date; taken as the first order (the as-of date for non-buyers)")
    if products is not None and "category" not in products.columns:
        notes.append("products: no category, so category features are not available")
    report.notes.extend(notes)
    missing = [t for t in OPTIONAL_TABLES if t not in mapping and not (t == "products" and products is not None)]
    meta = {"as_of": as_of.strftime("%Y-%m-%d"), "currency": settings.get("currency", ""), "missing": missing,
            "mapping": mapping}
    return World(customers=clean["customers"].sort_values("customer_id", kind="stable").reset_index(drop=True),
                 products=products, orders=clean["orders"], events=clean.get("events"), campaign=clean.get("campaign"),
                 report=report, meta=meta)


def _same_id_type(orders: pd.DataFrame, tables: dict) -> None:
    """Customer ids read as numbers in one file and as text in another (one "TEST" row) are all made text."""
    frames = [orders, *(f for f in tables.values() if "customer_id" in f.columns)]
    if any(f["customer_id"].dtype == object for f in frames):
        for frame in frames:
            if frame["customer_id"].dtype != object:
                ids = frame["customer_id"]
                frame["customer_id"] = ids.astype(object).where(ids.notna()).map(str, na_action="ignore")


def _exclude_unjoined(reader: _Reader, ids: pd.Series, known: set, what: str, target: str, column: str) -> None:
    """Rows naming an id the target file lacks are left out (reported); most of them failing is a mapping error."""
    unknown = ids.notna() & ~ids.isin(known)
    if unknown.mean() > 0.5:
        raise DataContractError(reader.table, column, f"{unknown.mean():.0%} of the rows name a {what} that is not in "
                                f"the {target} file (e.g. {ids[unknown].head(3).tolist()}; the {target} file has e.g. "
                                f"{sorted(known, key=str)[:3]}): is the right column mapped, in the same form?",
                                ids[unknown].astype(str))
    reader.exclude(f"{what} not in the {target} file", unknown.to_numpy())


def _apply(reader: _Reader, frame: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    """Exclude each row for the first reason that applies and record it in the report (rows kept with csv_line)."""
    table, raw = reader.table, reader.raw
    report.read[table] = len(raw)
    report.repaired_rows[table] = 0
    taken = np.zeros(len(raw), bool)
    parts = []
    for reason, mask in reader.reasons:
        mask = mask.to_numpy() & ~taken
        report.action_log.append((table, "excluded", reason, int(mask.sum())))
        if mask.any():
            parts.append(raw[mask].assign(reason=reason, csv_line=lambda d: d.index + 2))
        taken |= mask
    report.excluded[table] = (pd.concat(parts).sort_index() if parts
                              else raw.iloc[:0].assign(reason=pd.Series(dtype="object"), csv_line=pd.Series(dtype="int64")))
    kept = frame[~taken].reset_index(drop=True)
    if "customer_id" in kept.columns and str(kept["customer_id"].dtype) == "Int64" and kept["customer_id"].notna().all():
        kept["customer_id"] = kept["customer_id"].astype("int64")
    if table == "orders":
        kept["quantity"] = kept["quantity"].astype("int64") if (kept["quantity"] % 1 == 0).all() else kept["quantity"]
    return kept


# --------------------------------------------------------------------------- example exports from the sample
INVOICE_DATE_FORMAT = "%m/%d/%Y %H:%M"
EXAMPLE_MAPPINGS = {
    "mapping_invoices.toml": '''# An invoice-line export (as written by write_example_exports): columns are auto-detected.
[data]
currency = "USD"

[orders]
file = "invoice_lines.csv"
shape = "invoice_lines"
date_format = "{date_format}"
''',
    "mapping_transactions.toml": '''# A bare transaction log: customer, date, amount.
[orders]
file = "transactions.csv"
shape = "transactions"
customer_id = "customer"
timestamp = "date"
amount = "amount"
''',
}


def invoice_lines_from(world: World, postage_share: float = 0.05, guest_share: float = 0.005,
                       unreadable_dates: int = 3, seed: int = 0) -> pd.DataFrame:
    """The sample's orders written the way a shop system exports invoice lines, mess included.

    Completed lines keep their order number; returned and cancelled lines
    become a cancellation invoice ("C" + number, negative quantity), and a
    cancelled line also shows its original sale; about ``postage_share`` of
    invoices get a POST line and ``guest_share`` lose their customer id (guest
    checkouts); a few manual adjustments ("M", negative price) and
    ``unreadable_dates`` lines with a date no format reads are added. Customer
    ids are written as spreadsheets do ("4485.0"); the unit price is the price
    paid (after discount).

    Example::

        invoice_lines_from(load_world()).head()     # InvoiceNo, StockCode, ..., CustomerID, Country
    """
    rng = np.random.default_rng(seed)
    orders = world.orders
    names = world.products.set_index("product_id")["name"]
    country = world.customers.set_index("customer_id")["country"].astype(str)
    reversal = (orders["status"] != "completed").to_numpy()
    lines = pd.DataFrame({
        "InvoiceNo": np.where(reversal, "C", "") + orders["order_id"].astype(str).to_numpy(),
        "StockCode": orders["product_id"].to_numpy(),
        "Description": orders["product_id"].map(names).to_numpy(),
        "Quantity": np.where(reversal, -orders["quantity"].abs(), orders["quantity"]),
        "InvoiceDate": orders["order_ts"].to_numpy(),
        "UnitPrice": (orders["unit_price"] * (1 - orders["discount"])).round(2).to_numpy(),
        "CustomerID": orders["customer_id"].astype(float).to_numpy(),
        "Country": orders["customer_id"].map(country).to_numpy(),
    })
    cancelled = (orders["status"] == "cancelled").to_numpy()
    sales = lines[cancelled].assign(InvoiceNo=lines.loc[cancelled, "InvoiceNo"].str.removeprefix("C"),
                                    Quantity=-lines.loc[cancelled, "Quantity"])
    invoices = lines[~reversal].drop_duplicates("InvoiceNo")
    postage = invoices.sample(frac=postage_share, random_state=seed).assign(
        StockCode="POST", Description="POSTAGE", Quantity=1, UnitPrice=lambda d: rng.uniform(3, 18, len(d)).round(2))
    manual = invoices.sample(n=min(5, len(invoices)), random_state=seed + 1).assign(
        StockCode="M", Description="Manual", Quantity=1, UnitPrice=-25.0)
    out = pd.concat([lines, sales, postage, manual]).sort_values(["InvoiceDate", "InvoiceNo"], kind="stable")
    out = out.reset_index(drop=True)
    guests = out["InvoiceNo"].isin(invoices["InvoiceNo"].sample(frac=guest_share, random_state=seed + 2))
    out.loc[guests, "CustomerID"] = np.nan
    out["InvoiceDate"] = out["InvoiceDate"].dt.strftime(INVOICE_DATE_FORMAT)
    out.loc[rng.choice(len(out), size=min(unreadable_dates, len(out)), replace=False), "InvoiceDate"] = "n/a"
    return out


def transactions_from(world: World) -> pd.DataFrame:
    """The sample's orders as a bare transaction log: one row per order and status, customer, day and net amount.

    Example::

        transactions_from(load_world()).columns.tolist()    # ['customer', 'date', 'amount']
    """
    from .sales import net_line_value

    orders = world.orders
    value = net_line_value(orders)
    kept = orders["status"] != "cancelled"
    frame = pd.DataFrame({"customer": orders["customer_id"], "order": orders["order_id"], "status": orders["status"],
                          "date": orders["order_ts"].dt.strftime("%Y-%m-%d"), "amount": value})[kept.to_numpy()]
    log = frame.groupby(["order", "status", "customer", "date"], observed=True, sort=False)["amount"].sum().round(2)
    return log.reset_index()[["customer", "date", "amount"]]


def write_example_exports(world: World, folder: str | Path) -> dict[str, Path]:
    """Write the sample as an invoice-line export and a transaction log, each with a mapping file beside it.

    Example::

        paths = write_example_exports(load_world(), "output/examples")
        load_own_data(paths["mapping_invoices.toml"]).report.summary()
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"invoice_lines.csv": folder / "invoice_lines.csv", "transactions.csv": folder / "transactions.csv"}
    invoice_lines_from(world).to_csv(paths["invoice_lines.csv"], index=False)
    transactions_from(world).to_csv(paths["transactions.csv"], index=False)
    for name, text in EXAMPLE_MAPPINGS.items():
        paths[name] = folder / name
        paths[name].write_text(text.format(date_format=INVOICE_DATE_FORMAT), encoding="utf-8")
    return paths
