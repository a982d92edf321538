"""Customer features: one definition of every customer measure, one pandas builder, one SQL compiler.

* :mod:`helpers.features.measures`: one function per measure (category and
  channel shares, browsing counts, interest tags, returns, rhythm).
* :mod:`helpers.features.definition`: :class:`FeatureDefinition`, the codes,
  windows and column groups a table is made of, read from the data.
* :mod:`helpers.features.build`: :func:`build_features`, the definition in pandas.
* :mod:`helpers.features.sql`: the same definition compiled for DuckDB and Spark.
* :mod:`helpers.features.presets`: the lessons' customer table, the model
  features and the drift window, each a preset; the definition's own default
  is lesson 10's table (RFM, shares, browsing, survey, interests, scores, tiers).

Every lesson that segments customers starts from one of these tables, so
every segmentation sees the same numbers computed the same way.
"""
from .build import build_features, customers_by
from .definition import GROUP_COLUMNS, GROUPS, FeatureDefinition, feature_definition, ordered_codes
from .measures import (browsing_counts, category_shares, channel_shares, day_end, days_between_orders, interest_tags,
                       return_share, top_label)
from .presets import (campaign_send_date, customer_table, day_before_campaign, model_definition,
                      model_features, recent_behaviour)

__all__ = ["FeatureDefinition", "GROUPS", "GROUP_COLUMNS", "browsing_counts", "build_features", "campaign_send_date",
           "category_shares", "channel_shares", "customer_table", "customers_by", "day_before_campaign", "day_end",
           "days_between_orders", "feature_definition", "interest_tags", "model_definition",
           "model_features", "ordered_codes", "recent_behaviour", "return_share", "top_label"]
