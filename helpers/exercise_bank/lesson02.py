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

    q1 = Exercise(
        "q1", "How many customers are 'champions' under the default segment map?",
        expect_number(int((segments == "champions").sum()), mistakes={
            int(((scores["R"] == 5) & (scores["F"] == 5) & (scores["M"] == 5)).sum()):
                "you take only the '555' cell; the map's champions cover R = 5 with FM 4 or 5",
            int((scores["R"] == 5).sum()): "you count every customer with R = 5",
        }),
        hint_text="name_segments(rfm_scores(rfm)) gives each customer's segment; compare it with 'champions' and sum.",
        solution_code='segments = name_segments(rfm_scores(rfm_table(world.orders, world.customers, world.as_of)))\n'
                      'answer_1 = int((segments == "champions").sum())',
    )
    q2 = Exercise(
        "q2", "What is the median recency, in days, of the customers who have bought at least once?",
        expect_number(float(buyers["recency_days"].median()), abs_tol=0.5, mistakes={
            float(buyers["recency_days"].mean()): "you take the mean; skewed data is better summarised by the median",
        }),
        hint_text="Keep the rows of the RFM table with frequency > 0, then take .median() of recency_days.",
        solution_code='rfm = rfm_table(world.orders, world.customers, world.as_of)\n'
                      'answer_2 = rfm.loc[rfm["frequency"] > 0, "recency_days"].median()',
    )
    by_cuts = cut_scores(buyers["recency_days"], [30, 90, 180, 365], higher_is_better=False)
    q3 = Exercise(
        "q3", "Score recency with the cut points 30, 90, 180 and 365 days. How many customers get R = 5?",
        expect_number(int((by_cuts == 5).sum()), mistakes={
            int((scores["R"] == 5).sum()): "you use the quantile scores; pass cuts={'recency_days': [30, 90, 180, 365]}",
            int((buyers["recency_days"] <= 30).sum()): "you count 30 days too; a value equal to a cut point goes to the next score",
        }),
        hint_text="rfm_scores(rfm, cuts={'recency_days': [30, 90, 180, 365]}) scores recency by those cut points; count R == 5.",
        solution_code='rfm = rfm_table(world.orders, world.customers, world.as_of)\n'
                      'scores = rfm_scores(rfm, cuts={"recency_days": [30, 90, 180, 365]})\n'
                      'answer_3 = int((scores["R"] == 5).sum())',
    )
    stages = lifecycle_stage(rfm, lapsed_days=270)
    q4 = Exercise(
        "q4", "If 'lapsed' means no order for more than 270 days (instead of 365), how many customers are lapsed?",
        expect_number(int((stages == "lapsed").sum()), mistakes={
            int((lifecycle_stage(rfm) == "lapsed").sum()): "you keep the default of 365 days; pass lapsed_days=270",
            int((stages.isin(["lapsed", "at risk"])).sum()): "you count the 'at risk' stage too",
        }),
        hint_text="lifecycle_stage(rfm, lapsed_days=270) gives every customer's stage; count 'lapsed'.",
        solution_code='rfm = rfm_table(world.orders, world.customers, world.as_of)\n'
                      'answer_4 = int((lifecycle_stage(rfm, lapsed_days=270) == "lapsed").sum())',
    )
    return ExerciseSet([q1, q2, q3, q4])


SOLUTION_NAMESPACE = {"rfm_table": rfm_table, "rfm_scores": rfm_scores, "name_segments": name_segments,
                      "lifecycle_stage": lifecycle_stage}
