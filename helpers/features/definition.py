"""What a customer feature table is made of, besides the data: one definition for pandas, DuckDB and Spark.

A :class:`FeatureDefinition` names the as-of day, the windows, the codes
(categories, channels, event types, survey columns, interests) and the
groups of columns wanted. :func:`helpers.features.build_features` builds it
in pandas, :func:`helpers.features.sql.feature_sql` compiles it to SQL; the
lessons' customer table, the model features, the pipeline's features and
the drift window are *presets* (:mod:`helpers.features.presets`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

from ..rfm import MACRO_TIERS, RFM_SEGMENT_MAP, SegmentRule
from ..vocabulary import CATEGORIES, EVENT_TYPES, INTERESTS, ORDER_CHANNELS, PSYCHOGRAPHICS
from .measures import day_end

# the groups of columns a definition can ask for, in the order they appear in the table
if TYPE_CHECKING:  # annotations only: nothing here needs the loader at run time
    from ..data import World


GROUPS = ("rfm", "order_value", "habits", "categories", "top_category", "channels", "main_channel", "browsing",
          "profile", "survey", "interests", "scores")
PROFILE_NUMBERS = ("age", "followers")  # numeric customer attributes a model may use, where the data has them
GROUP_COLUMNS = {
    "rfm": "recency_days, frequency, monetary, tenure_days (helpers.rfm.rfm_table)",
    "order_value": "aov: net revenue per completed order, in cents (empty for non-buyers)",
    "habits": "return_share (value returned / value sold) and days_between_orders",
    "categories": "cat: <category>: share of net spend",
    "top_category": "top_category and top_category_share (buyers only)",
    "channels": "channel_<channel>: share of completed orders",
    "main_channel": "main_channel: the channel of most orders (buyers only)",
    "browsing": "browse_<event type>_<days>d: events in the last <days> days, per window",
    "profile": "age and followers, where the customers table has them",
    "survey": "the survey scores, as answered",
    "interests": "tag_<interest>: True where the customer named the interest",
    "scores": "R, F, M (1-5 quantile scores among buyers), FM, rfm_segment and macro_tier (lesson 02's map, lesson 03's tiers)",
}


@dataclass(frozen=True)
class FeatureDefinition:
    """Everything a customer feature table depends on besides the data.

    ``groups`` picks the columns (see :data:`GROUP_COLUMNS`); the codes fix
    which category, channel, event-type, survey and interest columns exist
    (an empty tuple leaves that group out); ``value_window_days`` counts
    frequency, value and order value over the last that many days only
    (recency and tenure stay whole-history; :func:`helpers.rfm.windowed_rfm`);
    ``channel_window_days`` does the same for channel shares;
    ``browse_days`` gives one set of browsing counts per window. The default
    groups are lesson 10's table.

    >>> d = FeatureDefinition(pd.Timestamp("2025-06-30"), groups=("rfm", "channels"), channels=("web", "app"))
    >>> d.columns()
    ['recency_days', 'frequency', 'monetary', 'tenure_days', 'channel_web', 'channel_app']
    """

    as_of: pd.Timestamp
    groups: tuple[str, ...] = ("rfm", "order_value", "categories", "channels", "browsing", "survey", "interests", "scores")
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    browse_days: tuple[int, ...] = (180,)
    profile: tuple[str, ...] = ()
    survey: tuple[str, ...] = ()
    interests: tuple[str, ...] = ()
    value_window_days: int | None = None
    channel_window_days: int | None = None
    bins: int = 5
    segment_map: tuple[SegmentRule, ...] = RFM_SEGMENT_MAP
    tiers: Mapping[str, Sequence[str]] = field(default_factory=lambda: dict(MACRO_TIERS))

    def __post_init__(self):
        unknown = [g for g in self.groups if g not in GROUPS]
        if unknown:
            raise ValueError(f"unknown feature group(s) {unknown}; choose from {GROUPS}")
        if "rfm" not in self.groups:
            raise ValueError("every feature table starts from the 'rfm' group (who bought, when, how often)")
        for name in ("value_window_days", "channel_window_days"):
            days = getattr(self, name)
            if days is not None and days < 1:
                raise ValueError(f"{name} must be at least 1 day, got {days}")
        if any(days < 1 for days in self.browse_days):
            raise ValueError(f"browse_days must be at least 1 day each, got {self.browse_days}")
        object.__setattr__(self, "as_of", pd.Timestamp(self.as_of).normalize())

    @property
    def end(self) -> pd.Timestamp:
        """The first instant after the as-of day: everything strictly before it counts."""
        return day_end(self.as_of)

    def has(self, group: str) -> bool:
        """Whether the table has this group's columns (a group whose codes are empty has none)."""
        codes = {"categories": self.categories, "top_category": self.categories, "channels": self.channels,
                 "main_channel": self.channels, "browsing": self.event_types, "profile": self.profile, "survey": self.survey,
                 "interests": self.interests}
        return group in self.groups and (group not in codes or bool(codes[group]))

    def with_(self, **changes) -> FeatureDefinition:
        """A copy with some fields changed, e.g. another as-of day: ``definition.with_(as_of=world.as_of - pd.Timedelta(days=183))``."""
        return replace(self, **changes)

    def column_groups(self) -> dict[str, list[str]]:
        """The output columns of each group the table has, in order.

        >>> FeatureDefinition(pd.Timestamp("2025-06-30"), groups=("rfm", "survey"), survey=("brand_loyalty",)).column_groups()
        {'rfm': ['recency_days', 'frequency', 'monetary', 'tenure_days'], 'survey': ['brand_loyalty']}
        """
        columns = {
            "rfm": ["recency_days", "frequency", "monetary", "tenure_days"],
            "order_value": ["aov"],
            "habits": ["return_share", "days_between_orders"],
            "categories": [f"cat: {c}" for c in self.categories],
            "top_category": ["top_category", "top_category_share"],
            "channels": [f"channel_{c}" for c in self.channels],
            "main_channel": ["main_channel"],
            "browsing": [f"browse_{e}_{days}d" for days in self.browse_days for e in self.event_types],
            "profile": list(self.profile),
            "survey": list(self.survey),
            "interests": [f"tag_{i}" for i in self.interests],
            "scores": ["R", "F", "M", "FM", "rfm_segment", "macro_tier"],
        }
        return {group: columns[group] for group in GROUPS if self.has(group)}

    def columns(self) -> list[str]:
        """The output columns, in order (``customer_id`` is the index)."""
        return [column for group in self.column_groups().values() for column in group]


def ordered_codes(found, known: Sequence[str] = ()) -> tuple[str, ...]:
    """The codes present in the data: the kit's own codes in the kit's order first, then any others sorted.

    A categorical column (as validation types the sample's) gives its
    categories; anything else gives its distinct non-empty values.

    >>> ordered_codes(pd.Series(["store", "web", "kiosk", None]), known=("web", "app", "store"))
    ('web', 'store', 'kiosk')
    """
    values = found.cat.categories if isinstance(getattr(found, "dtype", None), pd.CategoricalDtype) else pd.unique(found.dropna())
    present = {str(v) for v in values if str(v).strip()}
    return tuple(c for c in known if c in present) + tuple(sorted(present - set(known)))


def _interests_in(text: pd.Series) -> pd.Series:
    tags = text.dropna().astype(str).str.split(";").explode().str.strip()
    return tags[tags != ""]


def feature_definition(world: World, as_of: str | pd.Timestamp | None = None, **overrides) -> FeatureDefinition:
    """The definition for this data: the codes it has, as of ``as_of`` (the world's own as-of day by default).

    Categories come from the products table, channels from the orders, event
    types from the events, survey columns and interests from the customers:
    whatever the data has (a missing table or column leaves its group out),
    with the kit's own codes in the kit's order. ``overrides`` set any other
    field, e.g. ``groups=`` or ``browse_days=(30, 180)``.

    Example::

        definition = feature_definition(world)      # as of world.as_of
        definition.columns()[:5]
    """
    as_of = world.as_of if as_of is None else as_of
    products, orders, events, customers = (getattr(world, t, None) for t in ("products", "orders", "events", "customers"))
    found = {
        "categories": (ordered_codes(products["category"], CATEGORIES)
                       if products is not None and "category" in products.columns else ()),
        "channels": (ordered_codes(orders["channel"], ORDER_CHANNELS)
                     if orders is not None and "channel" in orders.columns else ()),
        "event_types": (ordered_codes(events["event_type"], EVENT_TYPES)
                        if events is not None and len(events) else ()),
        "profile": tuple(c for c in PROFILE_NUMBERS if customers is not None and c in customers.columns),
        "survey": tuple(c for c in PSYCHOGRAPHICS if customers is not None and c in customers.columns),
        "interests": (ordered_codes(_interests_in(customers["interests"]), INTERESTS)
                      if customers is not None and "interests" in customers.columns else ()),
    }
    return FeatureDefinition(as_of=pd.Timestamp(as_of), **{**found, **overrides})
