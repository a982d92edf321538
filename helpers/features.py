"""The customer table: one row per customer, with who they are and what they did, as of a date.

Every lesson that segments customers starts from this table, so every
segmentation sees the same numbers computed the same way.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .rfm import rfm_table, windowed_rfm
from .sales import net_line_value, round_cents
from .vocabulary import INTERESTS, ORDER_CHANNELS


def campaign_send_date(world) -> pd.Timestamp:
    """The day the past campaign was sent, from the world's metadata (``meta["campaign"]["send_date"]``)."""
    send_date = (world.meta.get("campaign") or {}).get("send_date")
    if not send_date:
        raise ValueError("the world's metadata names no campaign send date (meta['campaign']['send_date']); "
                         "the sample's world.json has one, your own data must say when its campaign was sent")
    return pd.Timestamp(send_date)


def day_before_campaign(world) -> pd.Timestamp:
    """The last day before the past campaign was sent: describe customers as of this day when explaining
    the campaign's results, so that orders the campaign caused do not leak into the description."""
    return campaign_send_date(world) - pd.Timedelta(days=1)


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
                    as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Each customer's share of net spend per category (rows sum to 1 for buyers, 0 for non-buyers).

    Returns of a category count against it; a category a customer returned
    more of than they kept is floored at zero before the shares are taken.
    """
    within = (orders["order_ts"] < pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)).to_numpy()
    categories = products["category"].astype("category")
    names = [str(c) for c in categories.cat.categories]
    # each distinct product id is looked up once (240 of them), not once per order line
    codes, product_ids = pd.factorize(orders["product_id"].to_numpy()[within])
    found = pd.Index(products["product_id"]).get_indexer(product_ids)
    if (found < 0).any():
        raise KeyError(f"orders name product ids not in products: {list(product_ids[found < 0][:5])}")
    category = categories.cat.codes.to_numpy()[found][codes]
    # round to cents first: a bought-then-returned item nets to 1e-14, not 0, and must not become a 100% share
    spend = _per_customer(customers, orders["customer_id"].to_numpy()[within], category, len(names),
                          weights=net_line_value(orders).to_numpy()[within])
    spend = np.clip(round_cents(spend), 0, None)
    total = spend.sum(axis=1, keepdims=True)
    shares = np.divide(spend, total, out=np.zeros_like(spend), where=total > 0)
    return pd.DataFrame(shares, index=pd.Index(customers), columns=[f"cat: {n}" for n in names])


def channel_shares(orders: pd.DataFrame, customers: pd.Index, as_of: str | pd.Timestamp,
                   channels: Sequence[str] = ORDER_CHANNELS) -> pd.DataFrame:
    """Each customer's share of completed orders by channel (web, app, store by default); zeros for non-buyers.

    An order's channel is that of its first line in the table.
    """
    counted = ((orders["status"] == "completed")
               & (orders["order_ts"] < pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1))).to_numpy()
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


def interest_tags(interests: pd.Series, tags: Sequence[str] = INTERESTS) -> pd.DataFrame:
    """One True/False column ``tag_<interest>`` per interest, from ``;``-separated text (empty text: no tags).

    >>> interest_tags(pd.Series(["fitness;home", None]), tags=["fitness", "home", "gaming"]).to_numpy().tolist()
    [[True, True, False], [False, False, False]]
    """
    wrapped = ";" + interests.fillna("").astype(str) + ";"
    return pd.DataFrame({f"tag_{tag}": wrapped.str.contains(f";{tag};", regex=False).to_numpy(bool) for tag in tags},
                        index=interests.index)


def customer_table(world, as_of: str | pd.Timestamp | None = None, value_window_days: int | None = None) -> pd.DataFrame:
    """Customers (signed up by ``as_of``) with RFM, order value, category and channel shares, interests, campaign outcome.

    Columns added to the customers table (indexed by ``customer_id``):
    ``recency_days, frequency, monetary, tenure_days`` (see helpers.rfm),
    ``aov`` (net revenue per order; empty for non-buyers), ``cat: <category>``
    shares of net spend, ``top_category`` and ``top_category_share``,
    ``channel_<web|app|store>`` shares of orders and ``main_channel``,
    ``tag_<interest>`` flags, and from the campaign (empty if the customer
    was not in it) ``campaign_arm`` and ``campaign_converted``.

    ``value_window_days`` counts frequency and value (and so ``aov``) over the
    last that many days only (recency stays whole-history): use the same
    window when comparing two dates, since whole-history totals grow with time.
    """
    as_of = pd.Timestamp(as_of if as_of is not None else world.as_of)
    customers = world.customers.set_index("customer_id")
    customers = customers[customers["signup_date"] < as_of.normalize() + pd.Timedelta(days=1)]  # customers by then
    rfm = (rfm_table(world.orders, customers.index, as_of) if value_window_days is None
           else windowed_rfm(world.orders, customers.index, as_of, value_window_days))
    cats = category_shares(world.orders, world.products, customers.index, as_of)
    chans = channel_shares(world.orders, customers.index, as_of)
    bought = rfm["frequency"] > 0
    table = customers.join(rfm)
    table["aov"] = round_cents(rfm["monetary"] / rfm["frequency"]).where(bought)
    table = table.join(cats)
    table["top_category"] = pd.Series(np.asarray(cats.columns.str.removeprefix("cat: "))[cats.to_numpy().argmax(axis=1)],
                                      index=cats.index).where(bought)
    table["top_category_share"] = cats.max(axis=1).where(bought)
    table = table.join(chans)
    table["main_channel"] = pd.Series(np.asarray(ORDER_CHANNELS)[chans.to_numpy().argmax(axis=1)],
                                      index=chans.index).where(bought)
    table = table.join(interest_tags(customers["interests"]))
    campaign = world.campaign.set_index("customer_id")
    table["campaign_arm"] = campaign["arm"].astype(str).reindex(table.index)
    table["campaign_converted"] = campaign["converted"].reindex(table.index).astype("boolean")
    return table
