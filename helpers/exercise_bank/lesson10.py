"""Exercises of lesson 10 (scaling out). They use DuckDB only, so they run without Java; answers come from the data."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score

from ..data import World
from ..exercises import Exercise, ExerciseSet, Feedback, expect_number
from ..rfm import NO_PURCHASE
from ..sales import net_line_value, net_revenue_by
from ..scale import (SEGMENT_SCHEMA, customer_features, duckdb_connection, feature_definition, fit_segments_on_sample,
                     score_features, segment_scorer, write_parquet)

EARLIER = "2026-03-31"


def setup(world: World, folder: str | Path | None = None) -> dict:
    """The names the lesson has defined before its exercises: the Parquet folder, the feature table and its file,
    the micro-segment model fitted on a fifth of the customers and everyone's segment from it (``scored``)."""
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp())
    parquet = write_parquet(world, folder / "parquet")
    reference = customer_features(world, "pandas")
    features_file = customer_features(parquet, "duckdb", out=folder / "features.parquet")
    model = fit_segments_on_sample(reference, world.as_of, fraction=0.2)
    scored = score_features(features_file, segment_scorer(model, world.as_of), SEGMENT_SCHEMA, "duckdb")
    return {"world": world, "folder": parquet, "reference": reference, "features_file": features_file,
            "model": model, "scored": scored}


def _revenue_checker(world: World):
    expected = net_revenue_by(world.orders, "channel").astype(float)
    value = net_line_value(world.orders)
    gross = (world.orders["quantity"] * world.orders["unit_price"] * (1 - world.orders["discount"])
             ).groupby(world.orders["channel"].astype(str)).sum()
    completed_only = value.where(world.orders["status"] == "completed", 0.0).groupby(
        world.orders["channel"].astype(str)).sum()

    def check(answer) -> Feedback:
        if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
            answer = answer.iloc[:, 0]
        if isinstance(answer, pd.DataFrame) and answer.shape[1] == 2:
            answer = answer.set_index(answer.columns[0]).iloc[:, 0]
        if not isinstance(answer, pd.Series):
            return Feedback(False, "give a Series of net revenue indexed by channel (.df().set_index('channel')[...]).")
        answer = answer.astype(float)
        answer.index = answer.index.astype(str)
        if sorted(answer.index) != sorted(expected.index.astype(str)):
            return Feedback(False, f"one value per channel, {sorted(expected.index.astype(str))}; got {sorted(answer.index)}.")
        mine = answer.reindex(expected.index.astype(str))
        if (abs(mine - expected.to_numpy()) <= 0.01).all():
            return Feedback(True, "the same net revenue per channel as net_revenue_by in pandas, to the cent.")
        if (abs(mine - gross.reindex(mine.index).to_numpy()) <= 0.01).all():
            return Feedback(False, "cancelled lines never shipped: they count zero (CASE WHEN status <> 'cancelled' ...).")
        if (abs(mine - completed_only.reindex(mine.index).to_numpy()) <= 0.01).all():
            return Feedback(False, "returns count too, negatively (their quantity is negative): only cancelled lines "
                                   "count zero.")
        return Feedback(False, "not the course's rule: quantity * unit_price * (1 - discount), zero for cancelled lines.")
    return check


def exercises(world: World, folder: str | Path | None = None, prepared: dict | None = None) -> ExerciseSet:
    """The lesson's exercises; ``prepared`` passes what the lesson already made (the names :func:`setup` returns)."""
    names = prepared if prepared is not None else setup(world, folder)
    reference = names["reference"]

    q1 = Exercise(
        "q1", "With DuckDB on the Parquet folder (con = duckdb_connection(folder)), write the SQL for net revenue per "
              "channel under the course's rule. Answer with a Series indexed by channel.",
        _revenue_checker(world),
        hint_text="SUM(CASE WHEN status <> 'cancelled' THEN quantity * unit_price * (1 - discount) ELSE 0 END) ... "
                  "GROUP BY channel; con.sql(query).df() gives a DataFrame.",
        solution_code='con = duckdb_connection(folder)\n'
                      'query = """SELECT channel, SUM(CASE WHEN status <> \'cancelled\' '
                      'THEN quantity * unit_price * (1 - discount) ELSE 0 END) AS revenue\n'
                      '           FROM orders GROUP BY channel"""\n'
                      'answer_1 = con.sql(query).df().set_index("channel")["revenue"]',
    )

    earlier = customer_features(world, "duckdb", definition=feature_definition(world, EARLIER))
    now_champions = int((reference["rfm_segment"] == "champions").sum())
    q2 = Exercise(
        "q2", f"On DuckDB, compute the feature table as of {EARLIER} (the first snapshot of lesson 07). "
              "How many customers were 'champions' then?",
        expect_number(int((earlier["rfm_segment"] == "champions").sum()), mistakes={
            now_champions: f"that is today's count; pass definition=feature_definition(world, '{EARLIER}')",
            int((earlier["rfm_segment"] == NO_PURCHASE).sum()): "that is the 'no purchase' group",
        }),
        hint_text=f"customer_features(folder, 'duckdb', definition=feature_definition(world, '{EARLIER}')), then count "
                  "the rfm_segment 'champions'.",
        solution_code=f'earlier = customer_features(folder, "duckdb", definition=feature_definition(world, "{EARLIER}"))\n'
                      'answer_2 = int((earlier["rfm_segment"] == "champions").sum())',
    )

    small = fit_segments_on_sample(reference, world.as_of, fraction=0.05)
    small_scored = score_features(names["features_file"], segment_scorer(small, world.as_of), SEGMENT_SCHEMA, "duckdb")
    agreement = adjusted_rand_score(names["scored"]["micro_segment"], small_scored["micro_segment"])
    q3 = Exercise(
        "q3", "Fit the micro-segments on 5% of the customers instead of 20% (fit_segments_on_sample, fraction=0.05) and "
              "score everyone on DuckDB. What is the adjusted Rand index between the two segmentations (1 = the same)?",
        expect_number(float(agreement), abs_tol=0.005, mistakes={
            1.0: "comparing the 20% segmentation with itself gives 1: score everyone with the 5% model",
        }),
        hint_text="small = fit_segments_on_sample(reference, world.as_of, fraction=0.05); score it like `scored` was; "
                  "adjusted_rand_score(scored['micro_segment'], small_scored['micro_segment']).",
        solution_code='small = fit_segments_on_sample(reference, world.as_of, fraction=0.05)\n'
                      'small_scored = score_features(features_file, segment_scorer(small, world.as_of), SEGMENT_SCHEMA, '
                      '"duckdb")\n'
                      'answer_3 = adjusted_rand_score(scored["micro_segment"], small_scored["micro_segment"])',
    )
    return ExerciseSet([q1, q2, q3])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"duckdb_connection": duckdb_connection, "customer_features": customer_features,
                      "feature_definition": feature_definition, "fit_segments_on_sample": fit_segments_on_sample,
                      "score_features": score_features, "segment_scorer": segment_scorer,
                      "SEGMENT_SCHEMA": SEGMENT_SCHEMA, "adjusted_rand_score": adjusted_rand_score}
