"""One function per customer measure, each the only place its rule is written in pandas.

Every builder of the kit (the lessons' customer table, the model features,
the template pipeline, the drift window, the engines' reference) calls these
through :func:`helpers.features.build_features`; the SQL compiler
(:mod:`helpers.features.sql`) writes the same rules for DuckDB and Spark, and
the tests prove the two agree row for row.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..rfm import as_of_day
from ..sales import net_line_value, round_cents


def day_end(as_of: str | pd.Timestamp) -> pd.Timestamp:
    """The first instant after the as-of day: everything strictly before it counts.

    >>> day_end("2026-09-30 15:00")
    Timestamp('2026-10-01 00:00:00')
    """
    return as_of_day(as_of) + pd.Timedelta(days=1)  # the one rule for "the as-of day" (helpers.rfm)


def _per_customer(customers, customer_ids: np.ndarray, keys: np.ndarray, n_keys: int,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """A customers x keys matrix of sums (or counts) over rows, by bin counting; rows of other customers are ignored."""
    index = pd.Index(customers)
    rows = index.get_indexer(customer_ids)
    keep = (rows >= 0) & (keys >= 0)
    sums = np.bincount(rows[keep] * n_keys + keys[keep], weights=None if weights is None else weights[keep],
                       minlength=len(index) * n_keys)
    return sums.reshape(len(index), n_keys)


def category_shares(orders: pd.DataFrame, products: pd.DataFrame, customers: pd.Index,
                    as_of: str | pd.Timestamp, categories: Sequence[str] | None = None) -> pd.DataFrame:
    """Each customer's share of net spend per category (rows sum to 1 for buyers, 0 for non-buyers).

    Returns of a category count against it; a category a customer returned
    more of than they kept is floored at zero before the shares are taken.
    ``categories`` fixes the columns (default: the products table's categories).

    >>> orders = pd.DataFrame({"customer_id": [1, 1], "product_id": ["a", "b"], "order_ts": pd.to_datetime(["2026-01-02"] * 2),
    ...     "quantity": [1, 3], "unit_price": [10.0, 10.0], "discount": [0.0, 0.0], "status": ["completed"] * 2})
    >>> products = pd.DataFrame({"product_id": ["a", "b"], "category": ["Toys", "Books"]})
    >>> category_shares(orders, products, pd.Index([1, 2]), "2026-01-31").to_numpy().tolist()
    [[0.75, 0.25], [0.0, 0.0]]
    """
    within = (orders["order_ts"] < day_end(as_of)).to_numpy()
    found_categories = products["category"].astype("category")
    names = ([str(c) for c in found_categories.cat.categories] if categories is None else [str(c) for c in categories])
    category_code = pd.Index(names).get_indexer(found_categories.astype(str))
    # each distinct product id is looked up once (240 of them in the sample), not once per order line
    codes, product_ids = pd.factorize(orders["product_id"].to_numpy()[within])
    found = pd.Index(products["product_id"]).get_indexer(product_ids)
    if (found < 0).any():
        raise KeyError(f"orders name product ids not in products: {list(product_ids[found < 0][:5])}")
    category = category_code[found][codes]
    # round to cents first: a bought-then-returned item nets to 1e-14, not 0, and must not become a 100% share
    spend = _per_customer(customers, orders["customer_id"].to_numpy()[within], category, len(names),
                          weights=net_line_value(orders).to_numpy()[within])
    spend = np.clip(round_cents(spend), 0, None)
    total = spend.sum(axis=1, keepdims=True)
    shares = np.divide(spend, total, out=np.zeros_like(spend), where=total > 0)
    return pd.DataFrame(shares, index=pd.Index(customers), columns=[f"cat: {n}" for n in names])


def channel_shares(orders: pd.DataFrame, customers: pd.Index, as_of: str | pd.Timestamp,
                   channels: Sequence[str], since: str | pd.Timestamp | None = None) -> pd.DataFrame:
    """Each customer's share of completed orders by channel; zeros for customers with no order.

    An order's channel is that of its first line in the table. ``since``
    counts only orders placed on or after that instant (a window).

    >>> orders = pd.DataFrame({"customer_id": [1, 1, 1], "order_id": [1, 1, 2], "channel": ["web", "app", "app"],
    ...     "order_ts": pd.to_datetime(["2026-01-02"] * 3), "status": ["completed"] * 3})
    >>> channel_shares(orders, pd.Index([1]), "2026-01-31", ["web", "app"]).to_numpy().tolist()
    [[0.5, 0.5]]
    """
    counted = (orders["status"] == "completed") & (orders["order_ts"] < day_end(as_of))
    if since is not None:
        counted &= orders["order_ts"] >= pd.Timestamp(since)
    counted = counted.to_numpy()
    first_line = ~pd.Series(orders["order_id"].to_numpy()[counted]).duplicated().to_numpy()
    # channel codes of the table's own categories, renumbered to the wanted channels (-1: not counted)
    channel = orders["channel"].astype("category")
    wanted = pd.Index(list(channels)).get_indexer([str(c) for c in channel.cat.categories])
    codes = np.append(wanted, -1)[channel.cat.codes.to_numpy()[counted][first_line]]  # code -1 (missing) stays -1
    counts = _per_customer(customers, orders["customer_id"].to_numpy()[counted][first_line], codes,
                           len(channels)).astype(float)
    total = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)
    return pd.DataFrame(shares, index=pd.Index(customers), columns=[f"channel_{c}" for c in channels])


def browsing_counts(events: pd.DataFrame, customers: pd.Index, as_of: str | pd.Timestamp, days: int,
                    types: Sequence[str] | None) -> pd.DataFrame:
    """Events of each type per customer in the last ``days`` before the as-of day (zeros where none).

    Columns are ``browse_<type>_<days>d``. ``types`` fixes them; ``None``
    takes every type found in ``events``, sorted.

    >>> events = pd.DataFrame({"customer_id": [1, 1, 2], "event_type": ["view", "view", "search"],
    ...     "event_ts": pd.to_datetime(["2026-01-30", "2025-01-01", "2026-01-29"])})
    >>> browsing_counts(events, pd.Index([1, 2]), "2026-01-31", 30, ["view", "search"]).to_dict("list")
    {'browse_view_30d': [1, 0], 'browse_search_30d': [0, 1]}
    """
    end = day_end(as_of)
    recent = events[(events["event_ts"] >= end - pd.Timedelta(days=days)) & (events["event_ts"] < end)]
    counts = recent.groupby(["customer_id", recent["event_type"].astype(str)]).size().unstack(fill_value=0)
    columns = list(types) if types is not None else sorted(events["event_type"].dropna().astype(str).unique())
    return counts.reindex(index=customers, columns=columns, fill_value=0).add_prefix("browse_").add_suffix(f"_{days}d")


def interest_tags(interests: pd.Series, tags: Sequence[str]) -> pd.DataFrame:
    """One True/False column ``tag_<interest>`` per interest, from ``;``-separated text (empty text: no tags).

    >>> interest_tags(pd.Series(["fitness;home", None]), tags=["fitness", "home", "gaming"]).to_numpy().tolist()
    [[True, True, False], [False, False, False]]
    """
    wrapped = ";" + interests.fillna("").astype(str) + ";"
    return pd.DataFrame({f"tag_{tag}": wrapped.str.contains(f";{tag};", regex=False).to_numpy(bool) for tag in tags},
                        index=interests.index)


def return_share(orders: pd.DataFrame, customers: pd.Index, as_of: str | pd.Timestamp) -> pd.Series:
    """Value returned as a share of value sold, per customer up to the as-of day (empty for customers who sold nothing).

    Both sides use :func:`helpers.sales.net_line_value` (a return row's value
    is negative); the share is capped at 1 (a return of goods bought before
    the data starts can exceed what the data shows sold).

    >>> orders = pd.DataFrame({"customer_id": [1, 1], "order_ts": pd.to_datetime(["2026-01-02", "2026-01-09"]),
    ...     "quantity": [2, -1], "unit_price": [10.0, 10.0], "discount": [0.0, 0.0], "status": ["completed", "returned"]})
    >>> return_share(orders, pd.Index([1, 2]), "2026-01-31").tolist()
    [0.5, nan]
    """
    within = (orders["order_ts"] < day_end(as_of)).to_numpy()
    value = net_line_value(orders).to_numpy()[within]
    status = orders["status"].to_numpy()[within]
    ids = orders["customer_id"].to_numpy()[within]
    keys = np.select([status == "completed", status == "returned"], [0, 1], default=-1)
    sums = _per_customer(customers, ids, keys, 2, weights=value)
    sold, returned = sums[:, 0], -sums[:, 1]
    share = np.divide(returned, sold, out=np.full(len(sold), np.nan), where=sold > 0)
    return pd.Series(np.clip(share, 0, 1), index=pd.Index(customers), name="return_share")


def days_between_orders(rfm: pd.DataFrame) -> pd.Series:
    """Mean days between a customer's completed orders, from :func:`helpers.rfm.rfm_table` (empty below two orders).

    >>> rfm = pd.DataFrame({"recency_days": [10.0, 5.0], "frequency": [3, 1], "tenure_days": [50.0, 5.0]})
    >>> days_between_orders(rfm).tolist()
    [20.0, nan]
    """
    repeat = rfm["frequency"] > 1
    return ((rfm["tenure_days"] - rfm["recency_days"]) / (rfm["frequency"] - 1).where(repeat)).rename("days_between_orders")


def top_label(shares: pd.DataFrame, prefix: str, has_any: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The column of largest share (its name without ``prefix``; the first on a tie) and that share, where ``has_any``.

    >>> top, share = top_label(pd.DataFrame({"cat: a": [0.2, 0.0], "cat: b": [0.8, 0.0]}), "cat: ", pd.Series([True, False]))
    >>> top.tolist(), share.tolist()
    (['b', nan], [0.8, nan])
    """
    names = np.asarray(shares.columns.str.removeprefix(prefix), dtype=object)
    if shares.shape[1] == 0:
        empty = pd.Series(np.nan, index=shares.index)
        return empty.astype(object), empty
    top = pd.Series(names[shares.to_numpy().argmax(axis=1)], index=shares.index).where(has_any.to_numpy())
    return top, shares.max(axis=1).where(has_any.to_numpy())
