"""Exercises of lesson 02 (RFM and lifecycle). Expected answers are computed from the data."""
from __future__ import annotations

from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number
from ..lifecycle import lifecycle_stage
from ..rfm import cut_scores, name_segments, rfm_scores, rfm_table


def exercises(world: World) -> ExerciseSet:
    rfm = rfm_table(world.orders, world.customers, world.as_of)
    scores = rfm_scores(rfm)
    segments = name_segments(scores)
    buyers = rfm[rfm["frequency"] > 0]

    by_days = rfm_scores(rfm, cuts={"recency_days": [30, 90, 180, 365]})
    q1 = Exercise(
        "q1", "How many customers are 'champions' when recency is scored by the cut points 30, 90, 180 and 365 days "
              "(frequency and value still by quantiles)?",
        expect_number(int((name_segments(by_days) == "champions").sum()), mistakes={
            int((segments == "champions").sum()): "you keep the quantile scores for recency; pass "
                                                   "cuts={'recency_days': [30, 90, 180, 365]} to rfm_scores",
            int(((by_days["R"] == 5) & (by_days["F"] == 5) & (by_days["M"] == 5)).sum()):
                "you take only the '555' cell; the map's champions cover R = 5 with FM 4 or 5",
        }),
        hint_text="rfm_scores(rfm, cuts={'recency_days': [30, 90, 180, 365]}), then name_segments(...) and count "
                  "'champions'.",
        solution_code='rfm = rfm_table(world.orders, world.customers, world.as_of)\n'
                      'segments = name_segments(rfm_scores(rfm, cuts={"recency_days": [30, 90, 180, 365]}))\n'
                      'answer_1 = int((segments == "champions").sum())',
    )
    champions = rfm.loc[segments == "champions", "monetary"]
    q2 = Exercise(
        "q2", "Under the default scores, what is the median net revenue (monetary) of the champions, in dollars?",
        expect_number(float(champions.median()), abs_tol=0.5, mistakes={
            float(champions.mean()): "you take the mean; a few very large spenders pull it up",
            float(buyers["monetary"].median()): "you take the median of every buyer, not of the champions",
        }),
        hint_text="Select the rows of the RFM table whose segment is 'champions' and take .median() of monetary.",
        solution_code='rfm = rfm_table(world.orders, world.customers, world.as_of)\n'
                      'segments = name_segments(rfm_scores(rfm))\n'
                      'answer_2 = rfm.loc[segments == "champions", "monetary"].median()',
    )
    cuts = [14, 30, 60, 120]
    by_cuts = cut_scores(buyers["recency_days"], cuts, higher_is_better=False)
    q3 = Exercise(
        "q3", "Score recency with the cut points 14, 30, 60 and 120 days. How many customers get R = 5?",
        expect_number(int((by_cuts == 5).sum()), mistakes={
            int((scores["R"] == 5).sum()): "you use the quantile scores; pass cuts={'recency_days': [14, 30, 60, 120]}",
            int((buyers["recency_days"] <= 14).sum()): "you count 14 days too; a value equal to a cut point goes to "
                                                         "the next score",
            int((cut_scores(buyers["recency_days"], cuts) == 5).sum()):
                "you score recency the wrong way round: fewer days since the last order is better",
        }),
        hint_text="rfm_scores(rfm, cuts={'recency_days': [14, 30, 60, 120]}) scores recency by those cut points; "
                  "count R == 5.",
        solution_code='rfm = rfm_table(world.orders, world.customers, world.as_of)\n'
                      'scores = rfm_scores(rfm, cuts={"recency_days": [14, 30, 60, 120]})\n'
                      'answer_3 = int((scores["R"] == 5).sum())',
    )
    stages = lifecycle_stage(rfm, lapsed_days=270)
    q4 = Exercise(
        "q4", "If 'lapsed' means no order for more than 270 days (instead of 365), how many customers are lapsed?",
        expect_number(int((stages == "lapsed").sum()), mistakes={
            int((lifecycle_stage(rfm) == "lapsed").sum()): "you keep the default of 365 days; pass lapsed_days=270",
            int((stages.isin(["lapsed", "at risk"])).sum()): "you count the 'at risk' stage too",
            int((lifecycle_stage(rfm, lapsed_days=269) == "lapsed").sum()):
                "you count customers exactly 270 days ago too; lapsed means *more than* 270 days",
        }),
        hint_text="lifecycle_stage(rfm, lapsed_days=270) gives every customer's stage; count 'lapsed'.",
        solution_code='rfm = rfm_table(world.orders, world.customers, world.as_of)\n'
                      'answer_4 = int((lifecycle_stage(rfm, lapsed_days=270) == "lapsed").sum())',
    )
    return ExerciseSet([q1, q2, q3, q4])


SOLUTION_NAMESPACE = {"rfm_table": rfm_table, "rfm_scores": rfm_scores, "name_segments": name_segments,
                      "lifecycle_stage": lifecycle_stage}
