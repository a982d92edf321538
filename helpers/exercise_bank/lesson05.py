"""Exercises of lesson 05 (campaign design and ROI). Expected answers are computed from the data."""
from __future__ import annotations

import pandas as pd

from ..campaign import (CHANNELS, PlanningData, allocate_budget, contact_history, email_efficiency, reachability,
                        segment_margins, suggest_plan, targeted_send_savings)
from ..clustering import fit_micro_segments
from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number
from ..features import customer_table, day_before_campaign
from ..predict import fit_and_evaluate, model_features, shift_to_rate, shift_within
from ..segments import segment_profiles, segment_uplift


def setup(world: World) -> dict:
    """The names the lesson has defined before its exercises."""
    before_day = day_before_campaign(world)
    before = customer_table(world, as_of=before_day)
    table = customer_table(world)
    micro = fit_micro_segments(before, world.events, before_day)
    segments = micro.assign(table, world.events, world.as_of)
    plan = suggest_plan(segment_profiles(table, segments), table["preferred_channel"], segments)
    history = contact_history(world)
    reach = {channel: reachability(table, channel, history, send_date="2026-10-05", cap=1, window_days=60)
             for channel in CHANNELS.index}
    buying = fit_and_evaluate(world, "churns", train_cutoff="2026-09-01", test_cutoff="2026-09-15", horizon_days=14)
    today = 1 - pd.Series(buying.model.predict_proba(model_features(world, world.as_of))[:, 1], index=table.index)
    uplift = segment_uplift(before, micro.labels)
    shifted = shift_to_rate(today, 1 - buying.metrics["base_rate"])
    buy_probability = shift_within(shifted, segments, uplift["conversion_control"].where(uplift["n_control"] >= 30))
    overall = segment_uplift(before, pd.Series("everyone", index=before.index))
    planning = PlanningData(segments, reach, buy_probability, uplift,
                            segment_margins(world.orders, world.products, segments),
                            fallback_uplift=tuple(overall.loc["everyone", ["uplift", "uplift_low", "uplift_high"]]))
    return {"table": table, "before": before, "micro": micro, "segments": segments, "plan": plan,
            "history": history, "reach": reach, "uplift": uplift, "planning": planning,
            "economics": planning.economics(plan), "efficiency": email_efficiency(world.campaign, micro.labels)}


def exercises(world: World) -> ExerciseSet:
    names = setup(world)
    table, history, economics = names["table"], names["history"], names["economics"]
    uplift, efficiency = names["uplift"], names["efficiency"]

    early = reachability(table, "sms", history, send_date="2026-10-01", cap=1, window_days=60)
    allowed = ~early["no_consent"] & ~early["do_not_contact"]
    capped = int((allowed & early["over_cap"]).sum())
    q1 = Exercise(
        "q1", "Sending an SMS on 1 October: how many customers who could otherwise get an SMS does the cap "
              "(one message per 60 days, on every channel) rule out?",
        expect_number(capped, mistakes={
            int(early["over_cap"].sum()): "you count everyone over the cap, also customers who never agreed to SMS; "
                                          "count only those the cap alone rules out (consent, not on do-not-contact)",
            int((~early["reachable"]).sum()): "you count everyone who cannot get an SMS, for any reason",
            int(early["reachable"].sum()): "that is the audience that is left, not the customers the cap rules out",
        }),
        hint_text="reachability(table, 'sms', history, send_date='2026-10-01', cap=1, window_days=60) has an "
                  "'over_cap' column next to 'no_consent' and 'do_not_contact'.",
        solution_code='early = reachability(table, "sms", history, send_date="2026-10-01", cap=1, window_days=60)\n'
                      'answer_1 = int((~early["no_consent"] & ~early["do_not_contact"] & early["over_cap"]).sum())',
    )

    funded = int(allocate_budget(economics, 1500)["contacts"].sum())
    q2 = Exercise(
        "q2", "With a budget of $1,500, how many contacts does the draft plan fund (minimum audience 200)?",
        expect_number(funded, mistakes={
            int(allocate_budget(economics, 3000)["contacts"].sum()): "that is the $3,000 allocation; pass 1500",
            int(economics["audience"].sum()): "you count every reachable customer; allocate the budget first",
        }),
        hint_text="allocate_budget(economics, 1500) gives the contacts per segment; add them up.",
        solution_code='answer_2 = int(allocate_budget(economics, 1500)["contacts"].sum())',
    )

    def saved(keep) -> int:
        return int(targeted_send_savings(efficiency, keep=list(keep))["sends"].diff().abs().iloc[-1])

    sure = uplift.index[uplift["uplift_low"] > 0]
    q3 = Exercise(
        "q3", "How many August emails would have been saved by sending only to the micro-segments whose "
              "uplift_low is above zero?",
        expect_number(saved(sure), mistakes={
            saved(uplift.index[uplift["uplift"] > 0]): "you keep segments whose *estimate* is above zero; keep those "
                                                       "whose lower bound (uplift_low) is",
            int(efficiency.loc[list(sure), "sends"].sum()): "that is the number of emails the targeted send keeps; "
                                                            "the question asks how many it saves",
        }),
        hint_text="targeted_send_savings(efficiency, keep=...) compares the blast with a send to the kept segments; "
                  "keep = uplift.index[uplift['uplift_low'] > 0].",
        solution_code='sure = uplift.index[uplift["uplift_low"] > 0].tolist()\n'
                      'sends = targeted_send_savings(efficiency, keep=sure)["sends"]\n'
                      'answer_3 = int(sends["blast to everyone"] - sends["targeted send"])',
    )
    return ExerciseSet([q1, q2, q3])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"reachability": reachability, "allocate_budget": allocate_budget,
                      "targeted_send_savings": targeted_send_savings}
