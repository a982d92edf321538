"""Money from order lines, with one stated rule used everywhere in the course.

The rule: a line's **net value** is ``quantity * unit_price * (1 - discount)``
for completed lines, the same (negative, because the quantity is negative) for
return rows, and zero for cancelled lines, which never shipped. Revenue is the
sum of net values, so returns are netted out in the period the goods came back.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

REQUIRED = ("quantity", "unit_price", "discount", "status")
# Half a cent, plus a nudge far below a cent and far above the noise of adding up doubles in any order.
HALF_CENT_UP = 0.500001


def round_cents(values):
    """Money rounded to cents, halves up, whatever the order the amounts were added up in.

    A line worth tenths of a cent (2 x 13.99 less 10% is 25.182) makes sums
    that land exactly on a half cent; in floating point such a sum comes out a
    hair above or below it depending on the order of the additions, which
    differs between pandas, DuckDB and Spark (and between shuffled rows).
    Rounding halves up after a tiny nudge gives every engine the same cents.
    The same formula is written in SQL by :mod:`helpers.scale`.

    >>> round_cents(pd.Series([27.985, -27.985, 1.004])).tolist()
    [27.99, -27.98, 1.0]
    """
    return np.floor(values * 100 + HALF_CENT_UP) / 100


def net_line_value(orders: pd.DataFrame) -> pd.Series:
    """Net value of every order line under the course's rule (cancelled lines count zero).

    >>> lines = pd.DataFrame({"quantity": [2, -1, 1], "unit_price": [10.0, 10.0, 5.0],
    ...                       "discount": [0.5, 0.5, 0.0], "status": ["completed", "returned", "cancelled"]})
    >>> net_line_value(lines).tolist()
    [10.0, -5.0, 0.0]
    """
    missing = [c for c in REQUIRED if c not in orders.columns]
    if missing:
        raise KeyError(f"orders table lacks column(s) {missing} needed for net value")
    gross = orders["quantity"].to_numpy(float) * orders["unit_price"].to_numpy(float) * (1 - orders["discount"].to_numpy(float))
    counted = (orders["status"] != "cancelled").to_numpy()
    return pd.Series(np.where(counted, gross, 0.0), index=orders.index, name="net_value")


def net_revenue_by(orders: pd.DataFrame, by: str | list[str]) -> pd.Series:
    """Net revenue summed by one or more columns, largest first.

    >>> lines = pd.DataFrame({"category": ["a", "b", "a"], "quantity": [1, 1, -1], "unit_price": [9.0, 5.0, 9.0],
    ...                       "discount": [0.0, 0.0, 0.0], "status": ["completed", "completed", "returned"]})
    >>> net_revenue_by(lines, "category").to_dict()
    {'b': 5.0, 'a': 0.0}
    """
    value = net_line_value(orders)
    keys = [orders[c] for c in ([by] if isinstance(by, str) else by)]
    return value.groupby(keys, observed=True).sum().sort_values(ascending=False, kind="stable").rename("net_revenue")


def format_money(values: pd.Series, currency: str = "$") -> pd.Series:
    """Whole-dollar amounts as readable text for tables (minus sign before the currency).

    >>> format_money(pd.Series([16211765.4, -1140794.0, 0.0])).tolist()
    ['$16,211,765', '-$1,140,794', '$0']
    """
    rounded = values.astype(float).round(0)
    text = rounded.abs().map(lambda v: f"{currency}{v:,.0f}")
    return text.where(rounded >= 0, "-" + text)
