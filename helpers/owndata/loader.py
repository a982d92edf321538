"""All together: every file a mapping names read into the kit's tables, with one report (the one validator's books).

Example::

    world = load_own_data("templates/mapping.toml")
    print(world.report)                      # read, kept, repaired, excluded, by reason
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data import World, check_as_of
from ..validation.report import (DUPLICATE, DataContractError, ValidationReport, after_as_of, key_clashes,
                                 narrow_ids)
from ..validation.values import ValueParser
from ..vocabulary import TABLES
from .mapping import OPTIONAL_TABLES, check_mapping, load_mapping
from .shapes import read_campaign, read_customers, read_events, read_orders, read_products

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
    report, readers = ValidationReport(), {}
    try:
        return _load(mapping, as_of, report, readers)
    except DataContractError as error:  # the books as far as they got go with the error (main() writes them)
        books = ValidationReport(stopped=(error.table, error.column, error.problem))
        for reader in readers.values():
            if reader.table not in books.read:
                reader.ledger.close(books, reader.raw)
        error.report = books
        raise


def _load(mapping, as_of, report: ValidationReport, readers: dict) -> World:
    mapping = load_mapping(mapping) if not isinstance(mapping, dict) else check_mapping(mapping)
    if "orders" not in mapping:
        return _campaign_only(mapping, as_of)
    settings = mapping.get("data", {})
    limit = float(settings.get("bad_row_limit", 0.01))
    notes: list[str] = []
    orders, products, reader, found_notes = read_orders(mapping["orders"], limit, settings.get("currency"))
    found_roles = orders.attrs.get("roles", {})
    notes += found_notes
    readers["orders"] = reader
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
    as_of = check_as_of(as_of, orders["order_ts"], "orders", found_roles.get("timestamp", "order_ts"))
    reader.ledger.exclude(after_as_of(as_of), orders["order_ts"] >= as_of + pd.Timedelta(days=1), step="after as-of")
    if "events" in tables:
        readers["events"].ledger.exclude(after_as_of(as_of), tables["events"]["event_ts"] >= as_of + pd.Timedelta(days=1),
                                         step="after as-of")
    without_ids = {"orders": mapping["orders"].get("shape") == "transactions" and "order_id" not in found_roles,
                   "campaign": "campaign" in tables and not tables["campaign"].attrs.get("has_ids", True)}
    for table in ("orders", *tables):
        if without_ids.get(table):  # two equal purchases on one day look like a duplicate: keep both, say so
            notes.append(f"{table}: no id column, so identical rows are kept as separate rows (they cannot be told "
                         "from duplicates)")
            continue
        readers[table].ledger.exclude(DUPLICATE, readers[table].duplicated(), step="duplicate")
    for table, key in (("customers", "customer_id"), ("products", "product_id")):
        if table in tables:  # a key may repeat only on exact duplicates (left out above)
            key_clashes(table, mapping[table].get(key, key), tables[table][[key]],
                        readers[table].duplicated(keep=False), what=key.replace("_", " "))
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
    if "plain_negative" in orders.attrs:
        negative, prefix = orders.attrs["plain_negative"]
        kept = int((negative & ~readers["orders"].ledger.excluded_so_far()).sum())
        if kept:
            notes.append(f"orders: {kept:,} line(s) with a negative quantity"
                         + (f" on an invoice without the '{prefix}' prefix" if prefix else "")
                         + " are counted as returns")
    clean = {table: _close(readers[table], frame, report)
             for table, frame in sorted({"orders": orders, **tables}.items(), key=lambda t: TABLES.index(t[0]))}
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


def _campaign_only(mapping: dict, as_of: str | pd.Timestamp | None) -> World:
    """A randomized test on its own (no [orders]): the campaign table with its report; every other table is None.

    There are no orders to measure recency from, so there is no as-of day
    (``world.meta["as_of"]`` is empty) and no customers table.
    """
    settings = mapping.get("data", {})
    report = ValidationReport()
    campaign, reader, notes = read_campaign(mapping["campaign"], float(settings.get("bad_row_limit", 0.01)))
    if campaign.attrs.get("has_ids", True):
        reader.ledger.exclude(DUPLICATE, reader.duplicated(), step="duplicate")
    else:  # two customers alike in every column are two customers
        notes.append("campaign: no id column, so identical rows are kept as separate rows (they cannot be told "
                     "from duplicates)")
    if as_of is not None or "as_of" in settings:
        notes.append("data: the as-of date is not used: there is no [orders] file to measure recency in")
    clean = _close(reader, campaign, report)
    report.notes.extend(notes + reader.notes)
    missing = [t for t in ("orders", "customers", "products", "events")]
    return World(customers=None, products=None, orders=None, events=None, campaign=clean, report=report,
                 meta={"as_of": "", "currency": settings.get("currency", ""), "missing": missing, "mapping": mapping})


def _same_id_type(orders: pd.DataFrame, tables: dict) -> None:
    """Customer ids read as numbers in one file and as text in another (one "TEST" row) are all made text."""
    frames = [orders, *(f for f in tables.values() if "customer_id" in f.columns)]
    if any(f["customer_id"].dtype == object for f in frames):
        for frame in frames:
            if frame["customer_id"].dtype != object:
                ids = frame["customer_id"]
                frame["customer_id"] = ids.astype(object).where(ids.notna()).map(str, na_action="ignore")


def _exclude_unjoined(reader: ValueParser, ids: pd.Series, known: set, what: str, target: str, column: str) -> None:
    """Rows naming an id the target file lacks are left out (reported); most of them failing is a mapping error."""
    unknown = ids.notna() & ~ids.isin(known)
    if unknown.mean() > 0.5:
        raise DataContractError(reader.table, column, f"{unknown.mean():.0%} of the rows name a {what} that is not in "
                                f"the {target} file (e.g. {ids[unknown].head(3).tolist()}; the {target} file has e.g. "
                                f"{sorted(known, key=str)[:3]}): is the right column mapped, in the same form?",
                                ids[unknown].astype(str))
    reader.ledger.exclude(f"{what} not in the {target} file", unknown.to_numpy(), step="unjoined")


def _close(reader: ValueParser, frame: pd.DataFrame, report: ValidationReport) -> pd.DataFrame:
    """The table's books closed into the report (each row excluded for its first reason); the rows kept, typed."""
    kept = narrow_ids(reader.ledger.close(report, frame))
    if reader.table == "orders":
        kept["quantity"] = kept["quantity"].astype("int64") if (kept["quantity"] % 1 == 0).all() else kept["quantity"]
    return kept
