"""The pandas builder: a :class:`~helpers.features.definition.FeatureDefinition` made into a table, one row per customer."""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..rfm import macro_segments, name_segments, rfm_scores, rfm_table, windowed_rfm
from ..sales import round_cents
from .definition import FeatureDefinition
from .measures import (browsing_counts, category_shares, channel_shares, days_between_orders, interest_tags,
                       return_share, top_label)


if TYPE_CHECKING:  # annotations only: nothing here needs the loader at run time
    from ..data import World


def customers_by(world: World, as_of: str | pd.Timestamp) -> pd.DataFrame:
    """The customers table (indexed by ``customer_id``) of those signed up by the as-of day."""
    customers = world.customers.set_index("customer_id")
    return customers[customers["signup_date"] < pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)]


def build_features(world: World, definition: FeatureDefinition, customers: pd.DataFrame | None = None) -> pd.DataFrame:
    """The feature table the definition describes, from the kit's one pandas function per measure.

    One row per customer signed up by the as-of day (or per row of
    ``customers``, a customers table indexed by ``customer_id``), columns
    :meth:`FeatureDefinition.columns`, computed only from data up to the
    as-of day. :func:`helpers.features.sql.feature_sql` compiles the same
    definition to SQL; the tests prove the engines agree.

    Example::

        table = build_features(world, feature_definition(world, "2026-03-31"))
    """
    d = definition
    customers = customers_by(world, d.as_of) if customers is None else customers
    index = customers.index
    orders = world.orders
    rfm = (rfm_table(orders, index, d.as_of) if d.value_window_days is None
           else windowed_rfm(orders, index, d.as_of, d.value_window_days))
    bought = rfm["frequency"] > 0
    parts = [rfm]
    if d.has("order_value"):
        parts.append(round_cents(rfm["monetary"] / rfm["frequency"]).where(bought).rename("aov"))
    if d.has("habits"):
        whole = rfm if d.value_window_days is None else rfm_table(orders, index, d.as_of)  # rhythm is whole-history
        parts += [return_share(orders, index, d.as_of), days_between_orders(whole)]
    if d.has("categories"):
        shares = category_shares(orders, world.products, index, d.as_of, d.categories)
        parts.append(shares)
        if d.has("top_category"):
            top, share = top_label(shares, "cat: ", bought)
            parts += [top.rename("top_category"), share.rename("top_category_share")]
    if d.has("channels"):
        since = None if d.channel_window_days is None else d.end - pd.Timedelta(days=d.channel_window_days)
        shares = channel_shares(orders, index, d.as_of, d.channels, since=since)
        parts.append(shares)
        if d.has("main_channel"):
            parts.append(top_label(shares, "channel_", bought)[0].rename("main_channel"))
    if d.has("browsing"):
        parts += [browsing_counts(world.events, index, d.as_of, days, d.event_types) for days in d.browse_days]
    if d.has("profile"):
        parts.append(customers[list(d.profile)].astype(float))
    if d.has("survey"):
        parts.append(customers[list(d.survey)])
    if d.has("interests"):
        parts.append(interest_tags(customers["interests"], d.interests))
    table = pd.concat(parts, axis=1)
    if d.has("scores"):
        scores = rfm_scores(table, bins=d.bins)
        segments = name_segments(scores, d.segment_map, d.bins)
        table = table.join(scores)
        table["rfm_segment"] = segments.astype(str)
        table["macro_tier"] = macro_segments(segments, d.tiers).astype(object)
    table.index.name = "customer_id"
    return table[d.columns()]
