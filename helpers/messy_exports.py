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


# --------------------------------------------------------------------------- a Shopify-style orders export
SHOPIFY_COLUMNS = ("Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
                   "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
                   "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
                   "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
                   "Lineitem taxable", "Lineitem fulfillment status", "Billing Country", "Refunded Amount", "Vendor",
                   "Id")
# written on an order's first line only, as Shopify does; the other columns are on every line
SHOPIFY_ORDER_FIELDS = ("Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
                        "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
                        "Discount Amount", "Shipping Method", "Billing Country", "Refunded Amount")
SHOPIFY_PRODUCTS = (("CANDLE-01", "Soy candle - Fig", 14.0), ("CANDLE-02", "Soy candle - Cedar", 14.0),
                    ("MUG-01", "Stoneware mug", 22.5), ("TEA-01", "Loose tea - Breakfast", 9.9),
                    ("TEA-02", "Loose tea - Green", 11.5), ("CARD-01", "Greeting card", 3.5))


def shopify_orders_export(n_orders: int = 30, n_customers: int = 12, random_state: int = 0) -> pd.DataFrame:
    """A synthetic orders export in Shopify's column layout: one row per line item, order-level fields (email,
    totals, refund, country) on an order's first line only, emails @example.com, amounts in EUR.

    Every fourth order of a returning customer is partly refunded (``Refunded Amount``, ``Financial Status``
    "partially_refunded"). Totals add up: Subtotal = the lines' quantity x price, Total = Subtotal + Shipping.

    >>> export = shopify_orders_export()
    >>> export["Name"].nunique(), int(export["Email"].notna().sum()), bool(export["Email"].dropna().str.endswith("@example.com").all())
    (30, 30, True)
    """
    rng = np.random.default_rng(random_state)
    start = pd.Timestamp("2024-01-08 09:00")
    rows = []
    for number in range(n_orders):
        name = f"#{1001 + number}"
        customer = int(rng.integers(n_customers))
        created = start + pd.Timedelta(hours=int(number * 67 + rng.integers(0, 12)))
        picks = rng.choice(len(SHOPIFY_PRODUCTS), size=int(rng.integers(1, 4)), replace=False)
        lines = [(SHOPIFY_PRODUCTS[p], int(rng.integers(1, 4))) for p in picks]
        subtotal = round(sum(price * quantity for (_, _, price), quantity in lines), 2)
        refund = round(lines[0][0][2], 2) if number % 4 == 3 else 0.0
        shipping = 4.9
        for position, ((sku, title, price), quantity) in enumerate(lines):
            row = {column: "" for column in SHOPIFY_COLUMNS}
            row.update({"Name": name, "Created at": f"{created:%Y-%m-%d %H:%M:%S} +0100", "Lineitem quantity": quantity,
                        "Lineitem name": title, "Lineitem price": f"{price:.2f}", "Lineitem sku": sku,
                        "Lineitem requires shipping": "true", "Lineitem taxable": "true",
                        "Lineitem fulfillment status": "fulfilled", "Vendor": "Example Goods"})
            if position == 0:
                row.update({"Id": str(5_100_000_000 + number), "Email": f"customer{customer:02d}@example.com",
                            "Financial Status": "partially_refunded" if refund else "paid",
                            "Paid at": f"{created:%Y-%m-%d %H:%M:%S} +0100", "Fulfillment Status": "fulfilled",
                            "Fulfilled at": f"{created + pd.Timedelta(days=1):%Y-%m-%d %H:%M:%S} +0100",
                            "Accepts Marketing": "yes" if customer % 3 else "no", "Currency": "EUR",
                            "Subtotal": f"{subtotal:.2f}", "Shipping": f"{shipping:.2f}", "Taxes": "0.00",
                            "Total": f"{subtotal + shipping:.2f}", "Discount Amount": "0.00",
                            "Shipping Method": "Standard", "Billing Country": ("DE", "FR", "NL")[customer % 3],
                            "Refunded Amount": f"{refund:.2f}"})
            rows.append(row)
    export = pd.DataFrame(rows, columns=list(SHOPIFY_COLUMNS))
    return export.where(export.ne(""))  # empty cells as missing (replace("", nan) downcasts, and pandas 2.2 warns)


SHOPIFY_MAPPING = """# A Shopify orders export (Admin > Orders > Export, "CSV for Excel"): one row per line item, order-level
# fields (email, totals, refund, country) on an order's first line only. Customers are keyed by email: the kit
# replaces every email by a keyed pseudonym as it reads the file (set the secret KIT_ID_SALT first).
# shopify_orders.csv beside it is synthetic, in Shopify's column layout (helpers.messy_exports.shopify_orders_export;
# emails on example.com):
#
#   KIT_ID_SALT=... kit-pipeline templates/examples/shopify.toml --out output/shopify
[data]
currency = "EUR"

[orders]
file = "shopify_orders.csv"
shape = "order_lines"
order_id = "Name"
customer_id = "Email"
timestamp = "Created at"
product_id = "Lineitem sku"
product_name = "Lineitem name"
quantity = "Lineitem quantity"
unit_price = "Lineitem price"
country = "Billing Country"
currency_column = "Currency"
refund_amount = "Refunded Amount"
# written on an order's first line only: filled down the order's lines (reported as a repair)
order_fields = ["Email", "Billing Country", "Currency"]
"""
