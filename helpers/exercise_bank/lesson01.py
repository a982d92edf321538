"""Exercises of lesson 01 (traditional segmentation). Expected answers are computed from the data."""
from __future__ import annotations

import numpy as np

from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number, largest_choice
from ..features import customer_table, day_before_campaign
from ..segments import classic_segments, segment_profiles, segment_uplift, variance_explained


def exercises(world: World) -> ExerciseSet:
    table = customer_table(world, as_of=day_before_campaign(world))
    schemes = classic_segments(table)

    demographic = schemes["demographic"]
    profile = segment_profiles(table, demographic)
    profile.index = profile.index.astype(str)
    unweighted = str(table["aov"].groupby(demographic, observed=False).mean().idxmax())
    q1 = Exercise(
        "q1", "Which demographic segment has the highest average order value (its net revenue divided by its orders)?",
        largest_choice(profile["aov"], "average order value", traps={
            unweighted: "it wins on the average of customers' own averages; the segment's average order value is "
                        "its revenue divided by its orders"}),
        hint_text="segment_profiles(table, schemes['demographic']) has an 'aov' column; .idxmax() names its largest.",
        solution_code='profile = segment_profiles(table, schemes["demographic"])\n'
                      'answer_1 = profile["aov"].idxmax()',
    )

    families = demographic == "families with children"
    outside_cities = table["urbanicity"].isin(["suburban", "rural"])
    q2 = Exercise(
        "q2", "What share of the 'families with children' segment lives in suburban or rural neighbourhoods?",
        expect_number(float(outside_cities[families].mean()), abs_tol=0.005, mistakes={
            float(families[outside_cities].mean()): "you take the share of suburban and rural customers who are "
                                                    "families: the other direction of the cross-tab",
        }),
        hint_text="Select the customers of that segment, then take the mean of (urbanicity is suburban or rural).",
        solution_code='families = schemes["demographic"] == "families with children"\n'
                      'answer_2 = table.loc[families, "urbanicity"].isin(["suburban", "rural"]).mean()',
    )

    log_revenue = np.log1p(table["monetary"].clip(lower=0))
    q3 = Exercise(
        "q3", "How much of the variance of log net revenue (np.log1p of monetary, floored at 0) does the "
              "psychographic scheme explain? (a share between 0 and 1)",
        expect_number(variance_explained(log_revenue, schemes["psychographic"]), abs_tol=1e-4, mistakes={
            variance_explained(table["monetary"], schemes["psychographic"]):
                "you use raw revenue; a few big spenders then dominate the variance",
        }),
        hint_text="variance_explained(values, segments) from helpers.segments; the values are "
                  "np.log1p(table['monetary'].clip(lower=0)).",
        solution_code='log_revenue = np.log1p(table["monetary"].clip(lower=0))\n'
                      'answer_3 = variance_explained(log_revenue, schemes["psychographic"])',
    )

    psychographic = schemes["psychographic"]
    uplift = segment_uplift(table, psychographic)
    if uplift["uplift"].isna().all():  # a tiny world: no segment has 30 customers per arm
        uplift = segment_uplift(table, psychographic, min_arm=1)
    uplift.index = uplift.index.astype(str)
    most_converting = str(uplift["conversion_treated"].dropna().idxmax())
    q4 = Exercise(
        "q4", "In which psychographic segment did the email lift conversion the most (emailed minus control)?",
        largest_choice(uplift["uplift"], "uplift", fmt="{:+.3f}", traps={
            most_converting: "it converts the most when emailed, but converts a lot without the email too: "
                             "uplift is the difference between the arms"}),
        hint_text="segment_uplift(table, schemes['psychographic']) gives conversion in each arm and their "
                  "difference, 'uplift'.",
        solution_code='uplift = segment_uplift(table, schemes["psychographic"])\n'
                      'answer_4 = uplift["uplift"].idxmax()',
    )
    return ExerciseSet([q1, q2, q3, q4])


def _solution_namespace(world: World) -> dict:
    table = customer_table(world, as_of=day_before_campaign(world))
    return {"table": table, "schemes": classic_segments(table), "segment_profiles": segment_profiles,
            "segment_uplift": segment_uplift, "variance_explained": variance_explained}


SOLUTION_SETUP = _solution_namespace
