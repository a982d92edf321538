"""Exercises of lesson 06 (experiments and uplift). Expected answers are computed from the data."""
from __future__ import annotations

import pandas as pd

from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number, largest_choice
from ..features import customer_table, day_before_campaign
from ..real_data import hillstrom
from ..uplift import effect_by_group, holdout_split, minimum_detectable_effect, qini_auc, sample_size

HIGH_SPENDERS = "past spend over $500"


def hillstrom_rules(table: pd.DataFrame) -> dict[str, pd.Series]:
    """Exercise 4's four targeting rules on the Hillstrom customers: True for the customers each rule picks."""
    return {HIGH_SPENDERS: table["history"] > 500,
            "bought women's merchandise before": table["womens"] == 1,
            "bought in the last 3 months": table["recency"] <= 3,
            "new customers (first purchase in the past year)": table["newbie"] == 1}


def effect_of_rules(rules: dict[str, pd.Series], visit: pd.Series, emailed: pd.Series) -> pd.DataFrame:
    """Per rule, the visit rate of the emailed it picks and the email's effect on them (emailed minus not)."""
    return pd.DataFrame({name: effect_by_group(visit, emailed, picked.rename("picked")).loc[True]
                         for name, picked in rules.items()}).T


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
    real = hillstrom("Womens E-Mail")
    by_rule = effect_of_rules(hillstrom_rules(real.table), real.outcomes["visit"], real.treated)
    best_rate = by_rule["treated_mean"].idxmax()
    q4 = Exercise(
        "q4", "Hillstrom: which rule picks the customers the women's email changes most (largest effect on visits)?",
        largest_choice(by_rule["effect"], "effect on visits", fmt="{:+.3f}", traps={
            best_rate: f"their visit rate after the email is the highest ({by_rule.loc[best_rate, 'treated_mean']:.1%}), "
                       f"but {by_rule.loc[best_rate, 'control_mean']:.1%} of them visit without the email too: many "
                       f"would visit anyway, and the email adds {by_rule.loc[best_rate, 'effect']:+.3f} (95% interval "
                       f"{by_rule.loc[best_rate, 'low']:+.3f} to {by_rule.loc[best_rate, 'high']:+.3f}), below "
                       f"{by_rule['effect'].max():+.3f}, and the rule reaches only "
                       f"{hillstrom_rules(real.table)[best_rate].mean():.0%} of the customers. Judge a rule by the "
                       "difference the email makes, not by the response (the two intervals overlap: this test "
                       "points to the women's rule, it does not prove it better)",
        }),
        hint_text=("Step 1: 'responds best' should mean the largest change the email causes in the group: the visit "
                   "rate of the emailed minus that of the not emailed, in the same group, not the visit rate alone. "
                   "Step 2: each rule is a True/False Series over real.table (e.g. real.table['history'] > 500); "
                   "effect_by_group(visit, emailed, rule) gives the effect for False and True. "
                   "Step 3: compare the effect in the True row across the four rules; answer with the rule's name."),
        solution_code=('rules = {"past spend over $500": real.table["history"] > 500,\n'
                       '         "bought women\'s merchandise before": real.table["womens"] == 1,\n'
                       '         "bought in the last 3 months": real.table["recency"] <= 3,\n'
                       '         "new customers (first purchase in the past year)": real.table["newbie"] == 1}\n'
                       'effects = pd.Series({name: effect_by_group(visit, emailed, picked).loc[True, "effect"]\n'
                       '                     for name, picked in rules.items()})\n'
                       'answer_4 = effects.idxmax()'),
    )
    return ExerciseSet([q1, q2, q3, q4])


def solution_setup(world: World) -> dict:
    """The lesson's names before its exercises, and section 9's Hillstrom test (``real``, ``emailed``, ``visit``)."""
    real = hillstrom("Womens E-Mail")
    return setup(world) | {"real": real, "emailed": real.treated, "visit": real.outcomes["visit"]}


SOLUTION_SETUP = solution_setup
SOLUTION_NAMESPACE = {"minimum_detectable_effect": minimum_detectable_effect, "sample_size": sample_size,
                      "qini_auc": qini_auc, "effect_by_group": effect_by_group}
