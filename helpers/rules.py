"""Overlapping rule-based micro-segments: small building blocks that combine with ``&``, ``|`` and ``~``.

An :class:`Audience` is a set of customers with a readable description. The
builders look at the customer table and at the raw orders and events:

>>> import pandas as pd
>>> table = pd.DataFrame({"age": [25, 40, 28]}, index=pd.Index([1, 2, 3], name="customer_id"))
>>> young = who(table, "20 <= age <= 30", "aged 20-30")
>>> (young & ~who(table, "age == 28", "aged 28")).members()
[1]

A customer may belong to many audiences: :func:`membership` lays them out as
True/False columns, and :func:`overlap` counts customers in both of each pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Sequence

import numpy as np
import pandas as pd

from .segments import assign_segments


if TYPE_CHECKING:  # annotations only: nothing here needs the loader at run time
    from .data import World


@dataclass(frozen=True)
class Audience:
    """Customers (a True/False Series indexed by customer id) and what they are, in words."""

    mask: pd.Series
    description: str

    def __and__(self, other: "Audience") -> "Audience":
        return Audience(self.mask & _aligned(other, self), f"({self.description}) and ({other.description})")

    def __or__(self, other: "Audience") -> "Audience":
        return Audience(self.mask | _aligned(other, self), f"({self.description}) or ({other.description})")

    def __invert__(self) -> "Audience":
        return Audience(~self.mask, f"not ({self.description})")

    def __len__(self) -> int:
        return int(self.mask.sum())

    def members(self) -> list:
        return self.mask.index[self.mask.to_numpy()].tolist()


def _aligned(other: Audience, like: Audience) -> pd.Series:
    if not other.mask.index.equals(like.mask.index):
        raise ValueError("audiences must be built on the same customers (the same customer table)")
    return other.mask


def who(table: pd.DataFrame, condition: str, description: str | None = None) -> Audience:
    """Customers whose row of the customer table meets a pandas condition (e.g. ``"tag_fantasy"``)."""
    flags = assign_segments(table, [("yes", condition)], default="no") == "yes"
    return Audience(pd.Series(flags.to_numpy(), index=table.index), description or condition)


def _window(frame: pd.DataFrame, ts: str, as_of: pd.Timestamp, within_days: int | None) -> pd.DataFrame:
    end = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    keep = frame[ts] < end
    if within_days is not None:
        if within_days < 1:
            raise ValueError(f"within_days must be at least 1, got {within_days}")
        keep &= frame[ts] >= end - pd.Timedelta(days=within_days)
    return frame[keep]


def _categories(products: pd.DataFrame, categories: str | Sequence[str]) -> list[str]:
    wanted = [categories] if isinstance(categories, str) else list(categories)
    known = set(products["category"].astype(str))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValueError(f"unknown categories {unknown}; known: {sorted(known)}")
    return wanted


def bought(world: World, table: pd.DataFrame, categories: str | Sequence[str], at_least: int = 1,
           within_days: int | None = None, as_of: str | pd.Timestamp | None = None) -> Audience:
    """Customers with at least ``at_least`` completed orders containing one of the categories (in a window)."""
    names = _categories(world.products, categories)
    as_of = pd.Timestamp(as_of if as_of is not None else world.as_of)
    lines = _window(world.orders[world.orders["status"] == "completed"], "order_ts", as_of, within_days)
    in_category = lines["product_id"].map(world.products.set_index("product_id")["category"].astype(str)).isin(names)
    orders = lines.loc[in_category, ["customer_id", "order_id"]].drop_duplicates().groupby("customer_id").size()
    mask = orders.reindex(table.index, fill_value=0) >= at_least
    window = f" in the last {within_days} days" if within_days else ""
    return Audience(mask, f"{at_least}+ orders with {' or '.join(names)}{window}")


def browsed(world: World, table: pd.DataFrame, categories: str | Sequence[str],
            event_types: Sequence[str] = ("view", "add_to_cart", "wishlist", "cart_abandon", "search"),
            within_days: int | None = None, at_least: int = 1,
            as_of: str | pd.Timestamp | None = None) -> Audience:
    """Customers with at least ``at_least`` browsing events of the given types in the categories (in a window)."""
    names = _categories(world.products, categories)
    event_types = [event_types] if isinstance(event_types, str) else list(event_types)
    known = set(world.events["event_type"].astype(str))
    if set(event_types) - known:
        raise ValueError(f"unknown event types {sorted(set(event_types) - known)}; known: {sorted(known)}")
    as_of = pd.Timestamp(as_of if as_of is not None else world.as_of)
    events = _window(world.events, "event_ts", as_of, within_days)
    hits = events[events["category"].astype(str).isin(names) & events["event_type"].astype(str).isin(event_types)]
    counts = hits.groupby("customer_id").size()
    mask = counts.reindex(table.index, fill_value=0) >= at_least
    window = f" in the last {within_days} days" if within_days else ""
    return Audience(mask, f"browsed {' or '.join(names)}{window}")


def membership(audiences: Mapping[str, Audience]) -> pd.DataFrame:
    """One True/False column per audience, one row per customer."""
    if not audiences:
        raise ValueError("give at least one audience")
    frame = pd.DataFrame({name: audience.mask for name, audience in audiences.items()})
    return frame.astype(bool)


def overlap(members: pd.DataFrame) -> pd.DataFrame:
    """Customers in both audiences, for every pair (the diagonal is each audience's size)."""
    values = members.to_numpy(dtype=np.int64)
    return pd.DataFrame(values.T @ values, index=members.columns, columns=members.columns)


def audience_sizes(members: pd.DataFrame, value: pd.Series | None = None) -> pd.DataFrame:
    """Size, share of all customers, customers in no other audience, and (optionally) the audience's value."""
    others = members.sum(axis=1)
    sizes = pd.DataFrame({"customers": members.sum(),
                          "share": (members.mean()).round(4),
                          "only this one": members[others == 1].sum()})
    if value is not None:
        sizes["value"] = [float(value[members[c].to_numpy()].sum()) for c in members.columns]
    sizes.index.name = "audience"
    return sizes
