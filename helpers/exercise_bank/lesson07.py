"""Exercises of lesson 07 (monitoring segment migration). Expected answers are computed from the data."""
from __future__ import annotations

import pandas as pd

from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number
from ..features import customer_table
from ..monitoring import migrations, psi, recent_behaviour, transition_matrix
from ..rfm import name_segments, rfm_scores

FIRST, SECOND = "2026-03-31", "2026-09-30"
SLIPPING = [("champions", "at risk"), ("champions", "cannot lose them"), ("loyal", "at risk"),
            ("loyal", "cannot lose them")]


def setup(world: World) -> dict:
    """The names the lesson has defined before its exercises."""
    table_first = customer_table(world, as_of=FIRST, value_window_days=365)
    table_second = customer_table(world, as_of=SECOND, value_window_days=365)
    reference = table_first.loc[table_first["recency_days"].notna(), ["recency_days", "frequency", "monetary"]]
    rfm_first = name_segments(rfm_scores(table_first))
    rfm_second = name_segments(rfm_scores(table_second, reference=reference))
    return {"table_first": table_first, "table_second": table_second, "rfm_first": rfm_first,
            "rfm_second": rfm_second, "first": FIRST, "second": SECOND,
            "slipping": migrations(rfm_first, rfm_second, table_first["monetary"], moves=SLIPPING),
            "behaviour_first": recent_behaviour(world, FIRST), "behaviour_second": recent_behaviour(world, SECOND)}


def exercises(world: World) -> ExerciseSet:
    names = setup(world)
    rfm_first, rfm_second = names["rfm_first"], names["rfm_second"]

    was_at_risk = rfm_first == "at risk"
    later = rfm_second.reindex(rfm_first.index)
    won_back = int((was_at_risk & later.isin(["champions", "loyal"])).sum())
    refitted = name_segments(rfm_scores(names["table_second"])).reindex(rfm_first.index)
    q1 = Exercise(
        "q1", "How many customers at risk on 31 March were champions or loyal on 30 September (same definitions)?",
        expect_number(won_back, mistakes={
            int((was_at_risk & refitted.isin(["champions", "loyal"])).sum()):
                "you scored September with its own quantiles; score it against March's (reference=...)",
            int((was_at_risk & (later == "champions")).sum()): "you count champions only; add the loyal",
            int((was_at_risk & (later == "loyal")).sum()): "you count loyal only; add the champions",
        }),
        hint_text="In transition_matrix(rfm_first, rfm_second), the row is March's segment and the columns "
                  "September's; add two cells of the 'at risk' row.",
        solution_code='counts = transition_matrix(rfm_first, rfm_second)\n'
                      'answer_1 = int(counts.loc["at risk", "champions"] + counts.loc["at risk", "loyal"])',
    )

    slipping = names["slipping"]
    if len(slipping):
        customer = slipping.index[0]
        completed = world.orders[(world.orders["customer_id"] == customer) & (world.orders["status"] == "completed")
                                 & (world.orders["order_ts"] < pd.Timestamp(SECOND) + pd.Timedelta(days=1))]
        days = int((pd.Timestamp(SECOND) - completed["order_ts"].max().normalize()).days)
        any_status = world.orders[(world.orders["customer_id"] == customer)]
        days_any = int((pd.Timestamp(SECOND) - any_status["order_ts"].max().normalize()).days)
    else:  # a world too small to have such a move: the question still needs an answer
        customer, days, days_any = None, 0, 0
    q2 = Exercise(
        "q2", "The most valuable customer of `slipping`: how many days before 30 September was their last completed "
              "order?",
        expect_number(days, mistakes={days_any: "you include returned or cancelled lines; keep status 'completed'"}
                      if days_any != days else None),
        hint_text="customer = slipping.index[0]; filter world.orders on that customer and status 'completed', take "
                  "the latest order_ts, and count the days to 2026-09-30.",
        solution_code='customer = slipping.index[0]\n'
                      'orders = world.orders[(world.orders["customer_id"] == customer) '
                      '& (world.orders["status"] == "completed")]\n'
                      'answer_2 = (pd.Timestamp("2026-09-30") - orders["order_ts"].max().normalize()).days',
    )

    first, second = names["behaviour_first"], names["behaviour_second"]
    buyers_first, buyers_second = first[first["orders_180d"] > 0], second[second["orders_180d"] > 0]
    app = psi(buyers_first["channel_app"], buyers_second["channel_app"])
    q3 = Exercise(
        "q3", "Among customers with an order in the window at each date, what is the PSI of channel_app?",
        expect_number(app, abs_tol=0.0005, mistakes={
            psi(first["channel_app"], second["channel_app"]): "you keep customers without an order; keep those "
                                                              "with orders_180d > 0 at each date",
            psi(buyers_second["channel_app"], buyers_first["channel_app"]): "the first date is the reference: "
                                                                            "psi(before, after)",
        }),
        hint_text="Filter each date's recent behaviour on orders_180d > 0, then psi(before['channel_app'], "
                  "after['channel_app']).",
        solution_code='first = behaviour_first[behaviour_first["orders_180d"] > 0]\n'
                      'second = behaviour_second[behaviour_second["orders_180d"] > 0]\n'
                      'answer_3 = psi(first["channel_app"], second["channel_app"])',
    )
    return ExerciseSet([q1, q2, q3])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"transition_matrix": transition_matrix,
                      "psi": psi}
