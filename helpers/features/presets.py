"""The kit's feature tables as presets of one definition: each is a choice of groups and windows, not code of its own.

* :func:`customer_table`: the lessons' table (who customers are and what they did), lessons 01-08.
* :func:`model_features`: the numbers the churn, propensity and value models learn from, lesson 04 and the template.
* :func:`recent_behaviour`: what customers did in a recent window, for drift (lesson 07).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .build import build_features, customers_by
from .definition import FeatureDefinition, feature_definition

if TYPE_CHECKING:  # annotations only: nothing here needs the loader at run time
    from ..data import World


LESSON_GROUPS = ("rfm", "order_value", "categories", "top_category", "channels", "main_channel", "interests")
MODEL_GROUPS = ("rfm", "order_value", "habits", "categories", "channels", "browsing", "profile", "survey", "interests")
MODEL_BROWSE_DAYS = (30, 180)  # the last month and the last half year


def campaign_send_date(world: World) -> pd.Timestamp:
    """The day the past campaign was sent, from the world's metadata (``meta["campaign"]["send_date"]``)."""
    send_date = (world.meta.get("campaign") or {}).get("send_date")
    if not send_date:
        raise ValueError("the world's metadata names no campaign send date (meta['campaign']['send_date']); "
                         "the sample's world.json has one, your own data must say when its campaign was sent")
    return pd.Timestamp(send_date)


def day_before_campaign(world: World) -> pd.Timestamp:
    """The last day before the past campaign was sent: describe customers as of this day when explaining
    the campaign's results, so that orders the campaign caused do not leak into the description."""
    return campaign_send_date(world) - pd.Timedelta(days=1)


def customer_table(world: World, as_of: str | pd.Timestamp | None = None, value_window_days: int | None = None) -> pd.DataFrame:
    """Customers (signed up by ``as_of``) with RFM, order value, category and channel shares, interests, campaign outcome.

    The customers table's own columns (indexed by ``customer_id``), then the
    :data:`LESSON_GROUPS` of the feature definition: ``recency_days,
    frequency, monetary, tenure_days``, ``aov``, ``cat: <category>`` shares
    of net spend, ``top_category`` and ``top_category_share``,
    ``channel_<channel>`` shares of orders and ``main_channel``,
    ``tag_<interest>`` flags; and from the campaign (empty if the customer
    was not in it) ``campaign_arm`` and ``campaign_converted``. ``as_of``
    defaults to the world's own as-of day.

    ``value_window_days`` counts frequency and value (and so ``aov``) over the
    last that many days only (recency stays whole-history): use the same
    window when comparing two dates, since whole-history totals grow with time.

    Example::

        table = customer_table(world, as_of=world.as_of - pd.Timedelta(days=183))
    """
    definition = feature_definition(world, as_of, groups=LESSON_GROUPS, value_window_days=value_window_days)
    customers = customers_by(world, definition.as_of)
    table = customers.join(build_features(world, definition, customers))
    if world.campaign is not None and len(world.campaign):
        campaign = world.campaign.set_index("customer_id")
        table["campaign_arm"] = campaign["arm"].astype(str).reindex(table.index)
        table["campaign_converted"] = campaign["converted"].reindex(table.index).astype("boolean")
    return table


def model_definition(world: World, as_of: str | pd.Timestamp) -> FeatureDefinition:
    """The definition behind :func:`model_features` for this data (the groups it has, as of ``as_of``)."""
    return feature_definition(world, as_of, groups=MODEL_GROUPS, browse_days=MODEL_BROWSE_DAYS)


def model_features(world: World, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Numeric features per customer signed up by ``as_of``, computed only from data up to ``as_of``.

    The :data:`MODEL_GROUPS` of the feature definition that the data has:
    RFM, order value, returns and rhythm, category and channel shares,
    browsing in the last 30 and 180 days, age, followers, survey scores and
    interest tags (as 0/1). The same features serve lesson 04 and the
    template pipeline, on the sample or your data. Days since sign-up is
    left out on purpose: a number that grows with the calendar lets a model
    learn the training period rather than the customers (on the sample it
    cost the churn model about half of its ranking power above guessing on the later period).

    Example::

        features = model_features(world, world.as_of - pd.Timedelta(days=183))
    """
    return build_features(world, model_definition(world, as_of)).astype(float)


def recent_behaviour(world: World, as_of: str | pd.Timestamp, days: int = 180) -> pd.DataFrame:
    """What each customer (signed up by ``as_of``) did in the last ``days``: orders, net revenue, channel shares, browsing.

    Drift shows in *recent* behaviour; whole-history totals and tenure grow for
    everyone with time and would raise alerts that mean nothing. Orders and
    revenue follow :func:`helpers.rfm.windowed_rfm` (orders placed in the
    window, with their returns); channel shares count the window's orders and
    are empty for customers without one.

    Example::

        recent_behaviour(world, world.as_of).mean()
    """
    definition = feature_definition(world, as_of, groups=("rfm", "channels", "browsing"), value_window_days=days,
                                    channel_window_days=days, browse_days=(days,))
    table = build_features(world, definition)
    orders = table["frequency"].rename(f"orders_{days}d")
    out = pd.concat([orders, table["monetary"].rename(f"revenue_{days}d")], axis=1)
    out = out.join(table.filter(regex=r"^channel_").where(orders > 0, axis=0))  # no order, no channel share
    return out.join(table.filter(regex=r"^browse_"))
