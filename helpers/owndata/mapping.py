"""The column mapping: a TOML file saying which file holds which table and which column plays which role.

Roles left out are detected from the column names when exactly one column
fits; otherwise the error names the role to set.

Example::

    mapping = load_mapping("templates/mapping.toml")
    mapping["orders"]["shape"]               # 'order_lines'
"""
from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path

from ..validation.report import MappingError  # noqa: F401  (raised here; importable from helpers.owndata)

SHAPES = ("invoice_lines", "order_lines", "transactions")
STATUSES = ("completed", "returned", "cancelled")
# Codes of non-product lines in common invoice exports: postage, carriage, manual entries, fees, discounts.
NON_PRODUCT_CODES = ("POST", "DOT", "C2", "M", "BANK CHARGES", "AMAZONFEE", "D", "CRUK", "PADS", "S", "B", "ADJUST")
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
    "refund_amount": ("refund_amount", "refunded_amount"),
}
ROLES = {  # table -> (required roles, optional roles)
    "invoice_lines": (("customer_id", "order_id", "timestamp", "product_id", "quantity", "unit_price"),
                      ("product_name", "discount", "channel", "category", "country", "currency_column",
                       "refund_amount")),
    "order_lines": (("customer_id", "order_id", "timestamp", "product_id", "quantity", "unit_price"),
                    ("product_name", "discount", "status", "channel", "category", "country", "currency_column",
                     "refund_amount")),
    "transactions": (("customer_id", "timestamp", "amount"), ("order_id", "channel", "country", "currency_column")),
    "customers": (("customer_id",), ("email", "signup_date", "country", "consent_email", "consent_sms", "consent_push",
                                     "do_not_contact")),
    "products": (("product_id",), ("product_name", "category", "unit_cost")),
    "events": (("customer_id", "timestamp", "event_type"), ("product_id", "category")),
    "campaign": (("arm",), ("customer_id",)),
}
SETTINGS = {  # keys of a section that are not column roles
    "orders": {"file", "format", "sheet", "shape", "date_format", "decimal", "cancelled_prefix", "non_product_codes",
               "status_values", "separator", "encoding", "missing_ids", "order_fields", "headers_file", "zero_amounts"},
    "customers": {"file", "format", "sheet", "date_format", "decimal", "separator", "encoding", "missing_ids"},
    "products": {"file", "format", "sheet", "decimal", "separator", "encoding"},
    "events": {"file", "format", "sheet", "date_format", "separator", "encoding", "missing_ids"},
    "campaign": {"file", "format", "sheet", "control_arm", "treatment_arms", "outcomes", "features", "min_effect",
                 "decimal", "separator", "encoding", "missing_ids"},
    "data": {"as_of", "currency", "bad_row_limit"},
    "segments": {"k", "min_customers", "churn_horizon_days", "migration_days", "random_state", "rfm_scoring", "frequency_cuts"},
    "audiences": {"segments", "scheme", "channel", "offer", "message", "min_audience", "control_share", "salt_env"},
}
OPTIONAL_TABLES = ("customers", "products", "events", "campaign")
# what a shape does instead of a role it lacks (said when a mapping sets that role)
SHAPE_INSTEAD = {
    ("invoice_lines", "status"): " (invoice_lines marks cancellations by an invoice number starting with "
                                 "cancelled_prefix, \"C\" by default, instead of a status column)",
    ("transactions", "status"): " (a transaction log marks a refund by a negative amount)",
    ("invoice_lines", "amount"): " (invoice_lines computes each line's value as quantity x unit_price)",
    ("order_lines", "amount"): " (order_lines computes each line's value as quantity x unit_price)",
}
for _shape in ("transactions",):
    for _role in ("product_id", "quantity", "unit_price", "product_name", "discount", "category"):
        SHAPE_INSTEAD[(_shape, _role)] = " (a transaction log has one amount per row, no products)"
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

    Either ``[orders]`` or ``[campaign]`` is required: a randomized test alone
    is analysed as an experiment (no customers, no RFM).

    >>> check_mapping({"orders": {"file": "x.csv", "shape": "transactions"}}, base="/data")["orders"]["file"]
    '/data/x.csv'
    """
    if "orders" not in mapping and "campaign" not in mapping:
        raise MappingError("orders", None, "the mapping needs an [orders] section (the file of orders or transactions) "
                           "or a [campaign] section (a randomized test on its own)")
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
                other = [s for s in SHAPES if key in sum(ROLES[s], ())] if section == "orders" else []
                if other:
                    raise MappingError(section, key, f"unknown key '{key}' in [orders]: {key} is a role of shape = "
                                       + " or ".join(f'"{s}"' for s in other) + f", and this mapping's shape is "
                                       f"\"{table}\"{SHAPE_INSTEAD.get((table, key), '')}; either set the shape "
                                       f"or remove {key}")
                raise MappingError(section, key, f"unknown key '{key}' in [{section}]{_close(key, allowed)}; "
                                   f"keys: {sorted(allowed)}")
        if section == "orders" and "zero_amounts" in values:
            if values["zero_amounts"] not in ("exclude", "keep"):
                raise MappingError("orders", "zero_amounts", 'zero_amounts must be "exclude" (the default) or "keep", '
                                   f"got {values['zero_amounts']!r}")
            if table != "transactions":
                raise MappingError("orders", "zero_amounts", f'zero_amounts applies to shape = "transactions"; '
                                   f'this mapping\'s shape is "{table}", whose lines of zero quantity are left out')
        if section in ("orders", *OPTIONAL_TABLES):
            if "file" not in values:
                raise MappingError(section, "file", f"[{section}] needs file = \"...\" (the path of the file)")
            values["file"] = str((Path(base) / values["file"]).resolve())
            if "headers_file" in values:  # an order export in two files: order headers and their lines
                values["headers_file"] = str((Path(base) / values["headers_file"]).resolve())
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
