"""The data contract: every table and column the kit reads, its type, meaning and allowed values.

This is the single source of the data dictionary: ``datasets/README.md`` and
lesson 00 show tables generated from it, and :mod:`helpers.data` validates
against it.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import vocabulary as v


@dataclass(frozen=True)
class Column:
    """One column of the contract.

    ``kind`` is one of int, float, str, bool, date, datetime, category.
    ``nullable`` says whether an empty value is a legitimate part of the data;
    ``allowed`` lists the codes of a category column; ``minimum`` and
    ``maximum`` bound numbers; ``lower`` says text is lower-cased.
    """

    name: str
    kind: str
    meaning: str
    nullable: bool = False
    allowed: tuple[str, ...] | None = None
    ordered: bool = False
    minimum: float | None = None
    maximum: float | None = None
    lower: bool = False  # text lower-cased by validation (a reported repair), e.g. emails

    def allowed_text(self) -> str:
        if self.allowed:
            return ", ".join(self.allowed)
        if self.minimum is not None or self.maximum is not None:
            lo = "" if self.minimum is None else f"{self.minimum:g}"
            hi = "" if self.maximum is None else f"{self.maximum:g}"
            return f"{lo} to {hi}" if lo and hi else (f">= {lo}" if lo else f"<= {hi}")
        return ""


def _c(name, kind, meaning, **kw) -> Column:
    return Column(name, kind, meaning, **kw)


SCORE = dict(minimum=1, maximum=7, nullable=True)
SCHEMA: dict[str, tuple[Column, ...]] = {
    "customers": (
        _c("customer_id", "int", "unique customer number", minimum=1),
        _c("first_name", "str", "synthetic first name"),
        _c("last_name", "str", "synthetic last name"),
        _c("email", "str", "synthetic address on example.com; trimmed and lower-cased by validation", lower=True),
        _c("signup_date", "date", "day the customer account was created"),
        _c("country", "category", "country code", allowed=("US", "CA")),
        _c("region", "category", "region (US census region or Canadian province)",
           allowed=tuple(sorted({c[1] for c in v.PLACES}))),
        _c("city", "category", "nearest metropolitan area", allowed=tuple(sorted({c[2] for c in v.PLACES}))),
        _c("urbanicity", "category", "urban, suburban or rural neighbourhood", allowed=v.URBANICITY),
        _c("climate", "category", "climate of the metro area", allowed=v.CLIMATES),
        _c("age", "int", "age in years at the as-of date", minimum=16, maximum=110),
        _c("gender", "category", "self-described gender", allowed=v.GENDERS),
        _c("income_band", "category", "household income band (USD or CAD per year)", allowed=v.INCOME_BANDS, ordered=True),
        _c("education", "category", "highest education completed", allowed=v.EDUCATION, ordered=True),
        _c("household", "category", "household type", allowed=v.HOUSEHOLDS),
        _c("price_sensitivity", "float", "survey score 1 (low) to 7 (high); empty if the survey was not answered", **SCORE),
        _c("brand_loyalty", "float", "survey score 1-7; empty if not answered", **SCORE),
        _c("eco_consciousness", "float", "survey score 1-7; empty if not answered", **SCORE),
        _c("tech_savviness", "float", "survey score 1-7; empty if not answered", **SCORE),
        _c("adventurousness", "float", "survey score 1-7; empty if not answered", **SCORE),
        _c("interests", "str", "interest tags separated by ';' (from " + ", ".join(v.INTERESTS) + "); may be empty",
           nullable=True),
        _c("preferred_channel", "category", "marketing channel the customer prefers", allowed=v.MARKETING_CHANNELS),
        _c("consent_email", "bool", "agreed to marketing email"),
        _c("consent_sms", "bool", "agreed to marketing text messages"),
        _c("consent_push", "bool", "agreed to app push notifications"),
        _c("do_not_contact", "bool", "asked never to be contacted for marketing (overrides consent)"),
        _c("followers", "int", "followers on social media (self-reported)", minimum=0),
        _c("referred_by", "int", "customer_id of the customer who referred this one; empty if none", nullable=True, minimum=1),
    ),
    "products": (
        _c("product_id", "str", "unique product code"),
        _c("name", "str", "product name"),
        _c("category", "category", "product category", allowed=v.CATEGORIES),
        _c("price", "float", "list price per unit, in US dollars (the retailer reports Canadian sales in USD too)", minimum=0),
        _c("unit_cost", "float", "what one unit costs the retailer", minimum=0),
    ),
    "orders": (
        _c("order_id", "int", "order number; an order has one or more lines", minimum=1),
        _c("line_number", "int", "line within the order", minimum=1),
        _c("customer_id", "int", "buyer; empty for guest checkouts (excluded by validation, reported)", nullable=True, minimum=1),
        _c("order_ts", "datetime", "when the order was placed (for returns: when the goods came back)"),
        _c("product_id", "str", "product bought (joins products)"),
        _c("quantity", "int", "units; negative on a return row"),
        _c("unit_price", "float", "price per unit before discount, in US dollars", minimum=0),
        _c("discount", "float", "discount as a share of the price (0.2 = 20% off)", minimum=0, maximum=1),
        _c("channel", "category", "where the order was placed; case and spaces are tidied by validation",
           allowed=v.ORDER_CHANNELS),
        _c("status", "category", "completed sale, cancelled before shipping, or a return row",
           allowed=v.ORDER_STATUSES),
    ),
    "events": (
        _c("customer_id", "int", "logged-in customer; empty for anonymous sessions (excluded, reported)", nullable=True, minimum=1),
        _c("event_ts", "datetime", "when the event happened"),
        _c("event_type", "category", "what the customer did", allowed=v.EVENT_TYPES),
        _c("product_id", "str", "product involved; empty for searches", nullable=True),
        _c("category", "category", "category of the product, or searched for", allowed=v.CATEGORIES),
    ),
    "campaign": (
        _c("campaign_id", "str", "campaign code"),
        _c("customer_id", "int", "customer in the test (joins customers)", minimum=1),
        _c("arm", "category", "randomized arm: treatment was emailed, control was not", allowed=v.CAMPAIGN_ARMS),
        _c("sent", "bool", "email sent (treatment arm only)"),
        _c("opened", "bool", "email opened"),
        _c("clicked", "bool", "link in the email clicked"),
        _c("converted", "bool", "completed an order in the 14-day attribution window (guest checkouts cannot be attributed)"),
        _c("revenue", "float", "value of the completed orders in the attribution window, after discounts "
           "(returns are not deducted: most come back after the window closes)", minimum=0),
    ),
}

HIDDEN_SCHEMA: dict[str, tuple[Column, ...]] = {
    "truth": (
        _c("customer_id", "int", "customer", minimum=1),
        _c("persona", "category", "hidden persona that generated the customer's behaviour", allowed=v.PERSONA_NAMES),
        _c("orders_per_year", "float", "the customer's underlying order rate while active", minimum=0),
        _c("lapse_date", "date", "day the customer goes quiet for good (may lie after the as-of date)"),
        _c("lapsed_by_as_of", "bool", "lapse date falls before the as-of date"),
        _c("campaign_eligible", "bool", "was in the randomized campaign"),
        _c("p_convert_control", "float", "true probability of converting in the window without the email", minimum=0, maximum=1),
        _c("p_convert_treated", "float", "true probability of converting with the email", minimum=0, maximum=1),
        _c("true_uplift", "float", "p_convert_treated - p_convert_control (negative: contact puts them off)",
           minimum=-1, maximum=1),
    ),
}

# Which columns must join which table.
FOREIGN_KEYS = (
    ("orders", "product_id", "products", "product_id"),
    ("events", "product_id", "products", "product_id"),
    ("orders", "customer_id", "customers", "customer_id"),
    ("events", "customer_id", "customers", "customer_id"),
    ("campaign", "customer_id", "customers", "customer_id"),
    ("customers", "referred_by", "customers", "customer_id"),
)
PRIMARY_KEYS = {"customers": ("customer_id",), "products": ("product_id",),
                "orders": ("order_id", "line_number", "status"), "campaign": ("customer_id",)}


def data_dictionary(include_hidden: bool = False) -> pd.DataFrame:
    """The data dictionary as a table: one row per column of every table.

    >>> data_dictionary().query("table == 'products'")["column"].tolist()
    ['product_id', 'name', 'category', 'price', 'unit_cost']
    """
    schemas = {**SCHEMA, **(HIDDEN_SCHEMA if include_hidden else {})}
    rows = [(table, col.name, col.kind, "yes" if col.nullable else "no", col.allowed_text(), col.meaning)
            for table, cols in schemas.items() for col in cols]
    return pd.DataFrame(rows, columns=["table", "column", "type", "may be empty", "allowed values", "meaning"])


def dictionary_markdown(include_hidden: bool = True) -> str:
    """The dictionary as Markdown tables, one per table (written into datasets/README.md)."""
    frame = data_dictionary(include_hidden)
    parts = []
    for table, rows in frame.groupby("table", sort=False):
        where = "hidden/truth.csv.gz" if table in HIDDEN_SCHEMA else f"{table}.csv.gz"
        parts.append(f"### {table} (`{where}`)\n")
        parts.append("| column | type | may be empty | allowed values | meaning |")
        parts.append("|---|---|---|---|---|")
        for r in rows.itertuples(index=False):
            parts.append(f"| `{r.column}` | {r.type} | {r[3]} | {r[4]} | {r.meaning} |")
        parts.append("")
    return "\n".join(parts)


BEGIN_MARK = "<!-- data dictionary: generated by `python -m helpers.schema --write datasets/README.md` -->"
END_MARK = "<!-- end of data dictionary -->"


def write_dictionary(path: str) -> None:
    """Replace the dictionary part of a Markdown file (between the marker comments) with the current one."""
    from pathlib import Path
    text = Path(path).read_text(encoding="utf-8")
    head, _, rest = text.partition(BEGIN_MARK)
    _, _, tail = rest.partition(END_MARK)
    Path(path).write_text(f"{head}{BEGIN_MARK}\n\n{dictionary_markdown()}\n{END_MARK}{tail}", encoding="utf-8")


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        write_dictionary(sys.argv[2])
    else:
        print(dictionary_markdown())
