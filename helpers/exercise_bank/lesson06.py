"""Exercises of lesson 06 (experiments and uplift). Expected answers are computed from the data."""
from __future__ import annotations

from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number
from ..features import customer_table, day_before_campaign
from ..uplift import holdout_split, minimum_detectable_effect, qini_auc, sample_size


def setup(world: World) -> dict:
    """The names the lesson has defined before its exercises (the cheap ones the solutions use)."""
    campaign = world.campaign.set_index("customer_id")
    treated = campaign["arm"] == "treatment"
    converted = campaign["converted"].astype(int)
    before = customer_table(world, as_of=day_before_campaign(world)).loc[campaign.index]
    return {"campaign": campaign, "treated": treated, "converted": converted, "before": before,
            "baseline": float(converted[~treated].mean()), "held_out": holdout_split(treated, test_share=0.5, random_state=0)}


def exercises(world: World) -> ExerciseSet:
    names = setup(world)
    baseline, treated, converted, held_out = names["baseline"], names["treated"], names["converted"], names["held_out"]

    mde = minimum_detectable_effect(2000, 2000, baseline)
    q1 = Exercise(
        "q1", "A test with 4,000 customers, half emailed, at the baseline rate: what is the smallest effect it can "
              "detect (a rate difference)?",
        expect_number(mde, rel_tol=0.005, mistakes={
            minimum_detectable_effect(4000, 4000, baseline): "you put 4,000 customers in each arm; the test has "
                                                             "4,000 in all, 2,000 per arm",
            100 * mde: "give a rate difference (e.g. 0.02), not percentage points",
        }),
        hint_text="minimum_detectable_effect(n_treated, n_control, baseline) with 2,000 customers in each arm.",
        solution_code="answer_1 = minimum_detectable_effect(2000, 2000, baseline)",
    )

    needed = sample_size(baseline, 0.02)
    q2 = Exercise(
        "q2", "How many customers per arm to detect 2 percentage points at the baseline rate?",
        expect_number(needed["treated"], mistakes={
            needed["total"]: "that is both arms together; the question asks per arm",
            sample_size(baseline, 0.2)["treated"]: "2 points is 0.02, not 0.2",
        }),
        hint_text="sample_size(baseline, 0.02) returns a dict with 'treated', 'control' and 'total'.",
        solution_code='answer_2 = sample_size(baseline, 0.02)["treated"]',
    )

    frequency = names["before"]["frequency"]
    right = qini_auc(converted[held_out], treated[held_out], frequency[held_out])
    q3 = Exercise(
        "q3", "Score the held-out customers by frequency (most orders first): what is its normalized Qini AUC?",
        expect_number(right, abs_tol=0.0005, mistakes={
            qini_auc(converted, treated, frequency): "you score the whole test; keep the held-out half only "
                                                     "([held_out])",
            qini_auc(converted[held_out], treated[held_out], -frequency[held_out]): "you put the fewest orders first; "
                                                                                    "the highest score comes first",
        }),
        hint_text="qini_auc(converted[held_out], treated[held_out], before['frequency'][held_out]).",
        solution_code='answer_3 = qini_auc(converted[held_out], treated[held_out], before["frequency"][held_out])',
    )
    return ExerciseSet([q1, q2, q3])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"minimum_detectable_effect": minimum_detectable_effect, "sample_size": sample_size,
                      "qini_auc": qini_auc}
