"""The feature definition compiled to SQL, in the spelling of DuckDB or of Spark SQL.

One query, generated from a :class:`~helpers.features.definition.FeatureDefinition`,
writes the rules of :mod:`helpers.features.measures` and :mod:`helpers.rfm`
once more for the engines that run where pandas cannot (lesson 10). The two
dialects differ in a few spellings (quoting names, escaping quotes in text,
counting days), which :class:`Dialect` names. pandas stays the reference:
the tests prove the engines agree with :func:`helpers.features.build_features`
row for row on the sample.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from ..rfm import NO_PURCHASE
from ..sales import HALF_CENT_UP
from .definition import FeatureDefinition


@dataclass(frozen=True)
class Dialect:
    """The few spellings that differ between DuckDB and Spark SQL; the rest of the query is shared."""

    name: str
    quote: Callable[[str], str]             # an identifier such as "cat: Men's Shirts"
    text: Callable[[str], str]              # a string literal
    days_between: Callable[[str, str], str]  # whole days from the first date to the second

    def cents(self, expression: str) -> str:
        """Money to cents, halves up, as :func:`helpers.sales.round_cents` does (the same operations, in order)."""
        return f"(FLOOR(({expression}) * 100 + {HALF_CENT_UP}) / 100)"


DUCKDB = Dialect(
    name="duckdb",
    quote=lambda name: '"' + name.replace('"', '""') + '"',
    text=lambda value: "'" + value.replace("'", "''") + "'",
    days_between=lambda start, end: f"datediff('day', {start}, {end})",
)
SPARK = Dialect(
    name="spark",
    quote=lambda name: "`" + name.replace("`", "``") + "`",
    text=lambda value: "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'",
    days_between=lambda start, end: f"datediff({end}, {start})",
)
DIALECTS = {"duckdb": DUCKDB, "spark": SPARK}
BASE_VIEW = "customer_base"


def _timestamp(stamp: pd.Timestamp) -> str:
    return f"TIMESTAMP '{stamp:%Y-%m-%d %H:%M:%S}'"


def _score_sql(column: str, letter: str, higher_is_better: bool, bins: int) -> tuple[str, str]:
    """CTEs scoring one column like :func:`helpers.rfm.quantile_scores`: mid-rank percentile, ties share a score."""
    order = "" if higher_is_better else " DESC"
    ctes = (f"{letter}_values AS (SELECT {column} AS v, COUNT(*) AS c FROM buyers GROUP BY {column}),\n"
            f"{letter}_scores AS (\n"
            f"  SELECT v, LEAST(GREATEST(CAST(CEIL(((CAST(SUM(c) OVER (ORDER BY v{order}) - c AS DOUBLE)"
            f" + CAST(c + 1 AS DOUBLE) / 2 - 0.5) / (SELECT n FROM buyer_count)) * {bins}) AS BIGINT), 1), {bins}) AS score\n"
            f"  FROM {letter}_values)")
    join = f"LEFT JOIN {letter}_scores {letter} ON t.{column} = {letter}.v AND t.recency_days IS NOT NULL"
    return ctes, join


def _top(columns: list[str], names: list[str], d: Dialect) -> tuple[str, str]:
    """The name of the largest of ``columns`` (the first on a tie) and that largest value, as SQL expressions."""
    largest = columns[0] if len(columns) == 1 else f"GREATEST({', '.join(columns)})"
    name = "CASE " + " ".join(f"WHEN {c} = {largest} THEN {d.text(n)}" for c, n in zip(columns, names)) + " END"
    return name, largest


def feature_sql(definition: FeatureDefinition, dialect: str | Dialect = "duckdb") -> str:
    """The SQL query for the feature table the definition describes (with scores, segments and tiers if it asks).

    It reads the tables ``customers``, ``products``, ``orders`` and ``events``
    (validated, as :func:`helpers.scale.write_parquet` writes them) and
    returns one row per customer signed up by the as-of day, ordered by
    ``customer_id``, with :meth:`FeatureDefinition.columns`.

    >>> from helpers.features import FeatureDefinition
    >>> sql = feature_sql(FeatureDefinition(pd.Timestamp("2026-09-30"), groups=("rfm",)), "spark")
    >>> "datediff(DATE '2026-09-30', CAST(rfm.last_ts AS DATE)) AS recency_days" in sql
    True
    """
    name, base_ctes, base_select, scored = _feature_parts(definition, dialect)
    return (f"-- The customer feature table of helpers.features, dialect: {name}\nWITH\n{base_ctes},\n"
            f"{BASE_VIEW} AS (\n{base_select}),\n{scored}")


def feature_queries(definition: FeatureDefinition, dialect: str | Dialect = "duckdb") -> tuple[str, str]:
    """:func:`feature_sql` in two steps: the per-customer numbers, then the scores, segments and tiers on top.

    The second query reads the first one's result as the view
    ``customer_base``; it reads it several times (once per score and once
    more), so an engine that does not keep a shared result by itself (Spark)
    should cache the first one rather than compute it four times.
    """
    name, base_ctes, base_select, scored = _feature_parts(definition, dialect)
    return (f"-- The per-customer numbers of helpers.features, dialect: {name}\nWITH\n{base_ctes}\n{base_select}",
            f"-- Scores, named segments and tiers on {BASE_VIEW}, dialect: {name}\nWITH\n{scored}")


def _feature_parts(definition: FeatureDefinition, dialect: str | Dialect) -> tuple[str, str, str, str]:
    """The dialect's name, the CTEs and final SELECT of the per-customer numbers, and the scoring CTEs and SELECT."""
    d = DIALECTS[dialect] if isinstance(dialect, str) else dialect
    q, t, df = d.quote, d.text, definition
    end = _timestamp(df.end)
    as_of_day = f"DATE '{df.as_of:%Y-%m-%d}'"
    cat_names = [f"cat_{i}" for i in range(len(df.categories))]
    buyer = "COALESCE(valued.frequency, 0) > 0"

    ctes = [f"""lines AS (
  SELECT customer_id, order_id, line_number, order_ts, status, channel, product_id,
         CASE WHEN status <> 'cancelled' THEN quantity * unit_price * (1 - discount) ELSE 0.0 END AS net_value
  FROM orders
  WHERE order_ts < {end})"""]
    people = ["customer_id", *(q(c) for c in (*(df.profile if df.has("profile") else ()),
                                              *(df.survey if df.has("survey") else ())))]
    if df.has("interests"):
        people.append("interests")
    ctes.append(f"people AS (\n  SELECT {', '.join(people)} FROM customers WHERE signup_date < {end})")
    returns = (""",
         SUM(CASE WHEN status = 'completed' THEN net_value ELSE 0.0 END) AS sold,
         -SUM(CASE WHEN status = 'returned' THEN net_value ELSE 0.0 END) AS returned""" if df.has("habits") else "")
    ctes.append(f"""rfm AS (
  SELECT customer_id,
         MAX(CASE WHEN status = 'completed' THEN order_ts END) AS last_ts,
         MIN(CASE WHEN status = 'completed' THEN order_ts END) AS first_ts,
         COUNT(DISTINCT CASE WHEN status = 'completed' THEN order_id END) AS frequency,
         SUM(net_value) AS value_sum{returns}
  FROM lines GROUP BY customer_id)""")
    if df.value_window_days is None:
        ctes.append("valued AS (SELECT customer_id, frequency, value_sum FROM rfm)")
    else:  # helpers.rfm.windowed_rfm: the orders placed in the window, with their returns
        start = _timestamp(df.end - pd.Timedelta(days=df.value_window_days))
        ctes.append(f"""placed AS (SELECT DISTINCT order_id FROM lines WHERE status <> 'returned' AND order_ts >= {start}),
valued AS (
  SELECT l.customer_id, COUNT(DISTINCT CASE WHEN l.status = 'completed' THEN l.order_id END) AS frequency,
         SUM(l.net_value) AS value_sum
  FROM lines l JOIN placed pl ON l.order_id = pl.order_id
  GROUP BY l.customer_id)""")
    joins = ["LEFT JOIN rfm ON p.customer_id = rfm.customer_id", "LEFT JOIN valued ON p.customer_id = valued.customer_id"]
    columns = [
        f"{d.days_between('CAST(rfm.last_ts AS DATE)', as_of_day)} AS recency_days",
        "COALESCE(valued.frequency, 0) AS frequency",
        f"COALESCE({d.cents('valued.value_sum')}, 0.0) AS monetary",
        f"{d.days_between('CAST(rfm.first_ts AS DATE)', as_of_day)} AS tenure_days",
    ]
    if df.has("order_value"):
        columns.append(f"CASE WHEN valued.frequency > 0 THEN {d.cents(d.cents('valued.value_sum') + ' / valued.frequency')} END AS aov")
    if df.has("habits"):
        columns += ["CASE WHEN rfm.sold > 0 THEN LEAST(GREATEST(rfm.returned / rfm.sold, 0.0), 1.0) END AS return_share",
                    f"CASE WHEN rfm.frequency > 1 THEN CAST({d.days_between('CAST(rfm.first_ts AS DATE)', 'CAST(rfm.last_ts AS DATE)')}"
                    " AS DOUBLE) / (rfm.frequency - 1) END AS days_between_orders"]
    if df.has("categories"):
        category_sums = ",\n    ".join(f"SUM(CASE WHEN category = {t(c)} THEN spend ELSE 0.0 END) AS {n}"
                                       for c, n in zip(df.categories, cat_names))
        ctes.append(f"""category_spend AS (
  SELECT l.customer_id, pr.category, GREATEST({d.cents('SUM(l.net_value)')}, 0.0) AS spend
  FROM lines l JOIN products pr ON l.product_id = pr.product_id
  GROUP BY l.customer_id, pr.category),
cats AS (
  SELECT customer_id, SUM(spend) AS total,
    {category_sums}
  FROM category_spend GROUP BY customer_id)""")
        joins.append("LEFT JOIN cats ON p.customer_id = cats.customer_id")
        shares = [f"(CASE WHEN cats.total > 0 THEN cats.{n} / cats.total ELSE 0.0 END)" for n in cat_names]
        columns += [f"{share} AS {q('cat: ' + c)}" for share, c in zip(shares, df.categories)]
        if df.has("top_category"):
            top, largest = _top(shares, list(df.categories), d)
            columns += [f"CASE WHEN {buyer} THEN {top} END AS top_category",
                        f"CASE WHEN {buyer} THEN {largest} END AS top_category_share"]
    if df.has("channels"):
        since = "" if df.channel_window_days is None else \
            f" AND order_ts >= {_timestamp(df.end - pd.Timedelta(days=df.channel_window_days))}"
        channel_counts = ",\n    ".join(f"SUM(CASE WHEN channel = {t(c)} THEN 1 ELSE 0 END) AS ch_{i}"
                                       for i, c in enumerate(df.channels))
        ctes.append(f"""completed_orders AS (
  SELECT order_id, customer_id, min_by(channel, line_number) AS channel FROM lines WHERE status = 'completed'{since}
  GROUP BY order_id, customer_id),
chans AS (
  SELECT customer_id, COUNT(*) AS orders,
    {channel_counts}
  FROM completed_orders GROUP BY customer_id)""")
        joins.append("LEFT JOIN chans ON p.customer_id = chans.customer_id")
        shares = [f"(CASE WHEN chans.orders > 0 THEN CAST(chans.ch_{i} AS DOUBLE) / chans.orders ELSE 0.0 END)"
                  for i in range(len(df.channels))]
        columns += [f"{share} AS {q('channel_' + c)}" for share, c in zip(shares, df.channels)]
        if df.has("main_channel"):
            columns.append(f"CASE WHEN {buyer} THEN {_top(shares, list(df.channels), d)[0]} END AS main_channel")
    if df.has("browsing"):
        starts = {days: _timestamp(df.end - pd.Timedelta(days=days)) for days in df.browse_days}
        browse_counts = ",\n    ".join(
            f"COUNT(CASE WHEN event_type = {t(e)} AND event_ts >= {starts[days]} THEN 1 END) AS ev_{days}_{i}"
            for days in df.browse_days for i, e in enumerate(df.event_types))
        ctes.append(f"""browse AS (
  SELECT customer_id,
    {browse_counts}
  FROM events WHERE event_ts >= {min(starts.values())} AND event_ts < {end}
  GROUP BY customer_id)""")
        joins.append("LEFT JOIN browse ON p.customer_id = browse.customer_id")
        columns += [f"COALESCE(browse.ev_{days}_{i}, 0) AS {q(f'browse_{e}_{days}d')}"
                    for days in df.browse_days for i, e in enumerate(df.event_types)]
    if df.has("profile"):
        columns += [f"CAST(p.{q(c)} AS DOUBLE) AS {q(c)}" for c in df.profile]
    if df.has("survey"):
        columns += [f"p.{q(s)} AS {q(s)}" for s in df.survey]
    if df.has("interests"):
        columns += [f"COALESCE(concat(';', p.interests, ';') LIKE {t('%;' + i + ';%')}, FALSE) AS {q('tag_' + i)}"
                    for i in df.interests]
    base_select = (f"  SELECT p.customer_id,\n    " + ",\n    ".join(columns) + "\n  FROM people p\n  "
                   + "\n  ".join(joins) + "\n")
    final_columns = ",\n  ".join(q(c) for c in df.columns())
    if not df.has("scores"):
        scored = f"plain AS (SELECT * FROM {BASE_VIEW})\nSELECT customer_id,\n  {final_columns}\nFROM plain\nORDER BY customer_id\n"
        return d.name, ",\n".join(ctes), base_select, scored
    scores = [_score_sql("recency_days", "r", False, df.bins), _score_sql("frequency", "f", True, df.bins),
              _score_sql("monetary", "m", True, df.bins)]
    segment_cases = "\n      ".join(
        f"WHEN R BETWEEN {rule.recency[0]} AND {rule.recency[1]} AND fm BETWEEN {rule.fm[0]} AND {rule.fm[1]} "
        f"THEN {t(rule.name)}" for rule in df.segment_map)
    tier_cases = "\n      ".join(
        f"WHEN rfm_segment IN ({', '.join(t(s) for s in segments)}) THEN {t(tier)}" for tier, segments in df.tiers.items())
    scored = f"""buyers AS (SELECT recency_days, frequency, monetary FROM {BASE_VIEW} WHERE recency_days IS NOT NULL),
buyer_count AS (SELECT CAST(COUNT(*) AS DOUBLE) AS n FROM buyers),
{','.join(c for c, _ in scores)},
scored AS (
  SELECT t.*, r.score AS R, f.score AS F, m.score AS M,
         CAST(FLOOR(CAST(f.score + m.score AS DOUBLE) / 2 + 0.5) AS BIGINT) AS FM
  FROM {BASE_VIEW} t
  {chr(10).join('  ' + j for _, j in scores)}),
named AS (
  SELECT scored.*,
    CASE WHEN R IS NULL THEN {t(NO_PURCHASE)}
      {segment_cases}
    END AS rfm_segment
  FROM scored),
tiered AS (
  SELECT named.*,
    CASE
      {tier_cases}
    END AS macro_tier
  FROM named)
SELECT customer_id,
  {final_columns}
FROM tiered
ORDER BY customer_id
"""
    return d.name, ",\n".join(ctes), base_select, scored
