"""Exercises of lesson 08 (responsible micro-segmentation). Expected answers are computed from the data."""
from __future__ import annotations

import math

import pandas as pd

from ..campaign import CHANNELS, contact_history, reachability, segment_margins
from ..clustering import fit_micro_segments
from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number
from ..features import customer_table, day_before_campaign
from ..privacy import coarsen, k_anonymity, minimum_viable_size, selection_rates, singled_out
from ..segments import segment_uplift

AGE_BANDS = ("bins", [0, 25, 35, 45, 55, 65, 200], ["<25", "25-34", "35-44", "45-54", "55-64", "65+"])


def setup(world: World) -> dict:
    """The names the lesson has defined before its exercises."""
    before_day = day_before_campaign(world)
    before, table = customer_table(world, as_of=before_day), customer_table(world)
    reach = {"email": reachability(table, "email", contact_history(world), send_date="2026-10-01", cap=1,
                                   window_days=60)}
    overall = segment_uplift(before, pd.Series("everyone", index=before.index)).loc["everyone"]
    margins = segment_margins(world.orders, world.products, pd.Series("everyone", index=table.index)).loc["everyone"]
    micro = fit_micro_segments(before, world.events, before_day)
    segments = micro.assign(table, world.events, world.as_of)
    uplift = segment_uplift(before, micro.labels)
    reachable = reach["email"]["reachable"]
    quasi = ["age", "city", "gender"]
    return {"table": table, "reach": reach, "overall": overall, "quasi": quasi,
            "report": table.loc[reach["email"]["reachable"].to_numpy(), quasi + ["monetary"]].head(2000),
            "margin_after_discount": margins["aov"] * (margins["margin_rate"] - 0.15), "uplift": uplift,
            "subsidy": float(overall["conversion_control"] * CHANNELS.loc["email", "seen_rate"] * 0.15 * margins["aov"]),
            "segments": segments, "reachable": reachable,
            "age_band": pd.cut(table["age"], [0, 35, 55, 200], right=False,
                               labels=["under 35", "35-54", "55+"]).astype(str)}


def exercises(world: World) -> ExerciseSet:
    names = setup(world)
    report, quasi = names["report"], names["quasi"]

    banded = coarsen(report, {"age": AGE_BANDS})
    rare = len(singled_out(banded, quasi, k=5))
    q1 = Exercise(
        "q1", "Band the age but keep the city: how many rows are still in a group of fewer than 5 "
              "(age, city, gender)?",
        expect_number(rare, mistakes={
            len(singled_out(report, quasi, k=5)): "you did not band the age; coarsen(report, {'age': (...)}) first",
        } if len(singled_out(report, quasi, k=5)) != rare else None),
        hint_text="coarsen the age as in the lesson, keep the city, then count the rows singled_out(..., k=5) returns.",
        solution_code='banded = coarsen(report, {"age": ("bins", [0, 25, 35, 45, 55, 65, 200], '
                      '["<25", "25-34", "35-44", "45-54", "55-64", "65+"])})\n'
                      'answer_1 = len(singled_out(banded, ["age", "city", "gender"], k=5))',
    )

    email_cost = float(CHANNELS.loc["email", "cost_per_contact"])
    effect, margin, subsidy = float(names["overall"]["uplift"]), float(names["margin_after_discount"]), names["subsidy"]
    needed = math.ceil(minimum_viable_size(margin, effect, email_cost, 1000, subsidy_per_contact=subsidy))
    q2 = Exercise(
        "q2", "With a fixed cost of $1,000 per segment, how many reachable customers must a segment have at least?",
        expect_number(needed, abs_tol=1, mistakes={
            math.ceil(minimum_viable_size(margin, effect, email_cost, 400, subsidy_per_contact=subsidy)):
                "that is for $400; use 1000",
            math.ceil(minimum_viable_size(margin, effect, email_cost, 1000)): "you left out the subsidy to buyers "
                                                                              "who would have bought anyway",
        }),
        hint_text="minimum_viable_size with the lesson's margin_after_discount, effect, email cost and subsidy, "
                  "and a fixed cost of 1000; round up.",
        solution_code='import math\n'
                      'answer_2 = math.ceil(minimum_viable_size(margin_after_discount, overall["uplift"], '
                      'CHANNELS.loc["email", "cost_per_contact"], 1000, subsidy_per_contact=subsidy))',
    )

    reachable, age_band = names["reachable"], names["age_band"]

    def ratio(top: int) -> float:
        best = names["uplift"]["uplift"].sort_values(ascending=False).index[:top]
        chosen = names["segments"].isin(best)[reachable]
        return float(selection_rates(chosen, age_band[reachable]).loc["under 35", "ratio_to_highest"])

    q3 = Exercise(
        "q3", "Select the six segments with the best measured effect (among reachable customers): what is the "
              "ratio to the highest rate of the age group 'under 35'?",
        expect_number(ratio(6), abs_tol=0.0005, mistakes={ratio(4): "that is the lesson's four segments; take six"}
                      if abs(ratio(4) - ratio(6)) > 0.0005 else None),
        hint_text="The six best: uplift['uplift'].sort_values(ascending=False).index[:6]; then selection_rates on "
                  "the reachable customers, as in the lesson.",
        solution_code='best = uplift["uplift"].sort_values(ascending=False).index[:6]\n'
                      'reachable = reach["email"]["reachable"]\n'
                      'selected = segments.isin(best)[reachable]\n'
                      'answer_3 = selection_rates(selected, age_band[reachable]).loc["under 35", "ratio_to_highest"]',
    )
    return ExerciseSet([q1, q2, q3])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"coarsen": coarsen, "k_anonymity": k_anonymity, "singled_out": singled_out, "minimum_viable_size": minimum_viable_size,
                      "selection_rates": selection_rates, "CHANNELS": CHANNELS}
