"""The sample written as messy real exports (an invoice-line file, a bare transaction log), with their mappings.

It lives beside the generator (:mod:`helpers.world`): it makes test and
lesson input, it is not part of loading. Lesson 09 and the tests read what it
writes back with :func:`helpers.owndata.load_own_data`.

Example::

    paths = write_example_exports(load_world(), "output/examples")
    load_own_data(paths["mapping_invoices.toml"]).report.summary()
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .data import World
from .sales import net_line_value

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
                       unreadable_dates: int = 3, random_state: int = 0) -> pd.DataFrame:
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
    rng = np.random.default_rng(random_state)
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
    postage = invoices.sample(frac=postage_share, random_state=random_state).assign(
        StockCode="POST", Description="POSTAGE", Quantity=1, UnitPrice=lambda d: rng.uniform(3, 18, len(d)).round(2))
    manual = invoices.sample(n=min(5, len(invoices)), random_state=random_state + 1).assign(
        StockCode="M", Description="Manual", Quantity=1, UnitPrice=-25.0)
    out = pd.concat([lines, sales, postage, manual]).sort_values(["InvoiceDate", "InvoiceNo"], kind="stable")
    out = out.reset_index(drop=True)
    guests = out["InvoiceNo"].isin(invoices["InvoiceNo"].sample(frac=guest_share, random_state=random_state + 2))
    out.loc[guests, "CustomerID"] = np.nan
    out["InvoiceDate"] = out["InvoiceDate"].dt.strftime(INVOICE_DATE_FORMAT)
    out.loc[rng.choice(len(out), size=min(unreadable_dates, len(out)), replace=False), "InvoiceDate"] = "n/a"
    return out


def transactions_from(world: World) -> pd.DataFrame:
    """The sample's orders as a bare transaction log: one row per order and status, customer, day and net amount.

    Example::

        transactions_from(load_world()).columns.tolist()    # ['customer', 'date', 'amount']
    """
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
