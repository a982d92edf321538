"""Overlapping rule-based audiences: building blocks, combination, membership, overlap."""
from __future__ import annotations

import pandas as pd
import pytest

from helpers.data import load_world
from helpers.features import customer_table
from helpers.rules import Audience, audience_sizes, bought, browsed, membership, overlap, who


@pytest.fixture(scope="module")
def world(small_world_dir):
    return load_world(small_world_dir)


@pytest.fixture(scope="module")
def table(world):
    return customer_table(world)


def test_who_and_combinations_read_as_written(table):
    young = who(table, "20 <= age <= 30", "aged 20-30")
    fans = who(table, "tag_fantasy", "fantasy fans")
    both = young & fans
    assert both.description == "(aged 20-30) and (fantasy fans)"
    assert len(both) == int(((table["age"].between(20, 30)) & table["tag_fantasy"]).sum())
    assert len(young | fans) == int((table["age"].between(20, 30) | table["tag_fantasy"]).sum())
    assert len(~young) == len(table) - len(young)


def test_bought_counts_completed_orders_in_a_window(world, table):
    orders = world.orders
    lines = orders[orders["status"] == "completed"].merge(world.products[["product_id", "category"]])
    shirts = lines[lines["category"] == "Men's Shirts"].groupby("customer_id")["order_id"].nunique()
    three_plus = bought(world, table, "Men's Shirts", at_least=3)
    assert len(three_plus) == int((shirts >= 3).sum())
    assert three_plus.description == "3+ orders with Men's Shirts"
    recent = bought(world, table, "Men's Shirts", within_days=30)
    assert len(recent) <= len(bought(world, table, "Men's Shirts"))
    with pytest.raises(ValueError, match="unknown categories"):
        bought(world, table, "Mens Shirts")
    with pytest.raises(ValueError, match="within_days"):
        bought(world, table, "Candles", within_days=0)


def test_browsed_and_did_not_buy(world, table):
    viewed = browsed(world, table, "Women's Activewear", event_types=("view",), within_days=30)
    not_bought = ~bought(world, table, "Women's Activewear", within_days=30)
    young = who(table, "20 <= age <= 30")
    audience = young & viewed & not_bought
    assert len(audience) <= len(viewed)
    events = world.events
    window = events[(events["event_ts"] >= world.as_of + pd.Timedelta(days=1) - pd.Timedelta(days=30))
                    & (events["category"] == "Women's Activewear") & (events["event_type"] == "view")]
    assert len(viewed) == window["customer_id"].nunique()
    assert len(browsed(world, table, "Women's Activewear", event_types="view", within_days=30)) == len(viewed)
    with pytest.raises(ValueError, match="unknown event types"):
        browsed(world, table, "Candles", event_types=("views",))


def test_membership_overlap_and_sizes(table):
    a = who(table, "age < 30")
    b = who(table, "age < 40")
    members = membership({"under 30": a, "under 40": b})
    assert members.dtypes.eq(bool).all()
    pairs = overlap(members)
    assert pairs.loc["under 30", "under 40"] == len(a)  # under 30 is inside under 40
    assert pairs.loc["under 40", "under 40"] == len(b)
    sizes = audience_sizes(members, value=table["monetary"])
    assert sizes.loc["under 30", "only this one"] == 0
    assert sizes.loc["under 40", "value"] == pytest.approx(table.loc[table["age"] < 40, "monetary"].sum())
    with pytest.raises(ValueError, match="at least one"):
        membership({})


def test_audiences_of_different_customers_do_not_mix(table):
    a = who(table, "age < 30")
    other = Audience(pd.Series([True], index=pd.Index([999999])), "stranger")
    with pytest.raises(ValueError, match="same customers"):
        a & other


def test_empty_customer_table():
    empty = pd.DataFrame({"age": pd.Series([], dtype=int)})
    assert len(who(empty, "age > 1")) == 0
