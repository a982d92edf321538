"""Exercises of lesson 04b (customer lifetime value). Expected answers are computed from the data."""
from __future__ import annotations

import pandas as pd

from ..clv import fit_bgnbd, purchase_history, purchases_between
from ..data import World
from ..exercises import Exercise, ExerciseSet, checked_when_asked, expect_choice, expect_number
from ..real_data import cdnow

CALIBRATION_END = "1997-09-30"
# exercise 3: a calibration that ends before the holiday quarter, judged on it
SEASON_CALIBRATION_END, SEASON_END, SEASON_DAYS = "2025-09-30", "2025-12-29", 90
SEASON_OPTIONS = ["over", "under", "within 5%"]


def one_customer(repeat_purchases: int, last_purchase_time: float, observed_time: float) -> pd.DataFrame:
    """A one-row purchase history, for asking the model about a customer by hand."""
    return pd.DataFrame({"repeat_purchases": [repeat_purchases], "last_purchase_time": [float(last_purchase_time)],
                         "observed_time": [float(observed_time)]})


def setup(world: World) -> dict:
    """The names the lesson has defined before its exercises."""
    cohort = cdnow(sample=True)
    history = purchase_history(cohort.orders, CALIBRATION_END, unit="weeks")
    return {"cohort": cohort, "history": history, "model": fit_bgnbd(history, unit="weeks")}


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"one_customer": one_customer, "purchase_history": purchase_history, "fit_bgnbd": fit_bgnbd,
                      "purchases_between": purchases_between}


def season_forecast(world: World) -> tuple[float, int]:
    """Expected and actual purchases in the 90 days after 30 September 2025, from a model calibrated to that day."""
    history = purchase_history(world.orders, SEASON_CALIBRATION_END, unit="days")
    model = fit_bgnbd(history, unit="days")
    expected = float(model.expected_purchases(history, SEASON_DAYS).sum())
    made = int(purchases_between(world.orders, history, SEASON_CALIBRATION_END, SEASON_END).sum())
    return expected, made


def _season_checker(world: World):
    expected, made = season_forecast(world)
    gap = expected / made - 1
    answer = "over" if gap > 0.05 else "under" if gap < -0.05 else "within 5%"
    numbers = f"the model expects {expected:,.0f} purchases and customers made {made:,} ({gap:+.0%})"
    why = {
        "over": f"{numbers}. BG/NBD assumes each customer buys at a steady rate, so it cannot know that October to "
                "December is the busiest quarter",
        "under": f"{numbers}. The calibration holds a quiet stretch only; a steady-rate model carries that pace "
                 "forward",
        "within 5%": f"{numbers}. A steady-rate model meets a seasonal quarter with last quarters' pace, so it is "
                     "rarely this close",
    }
    return expect_choice(answer, SEASON_OPTIONS, {option: why[option] for option in SEASON_OPTIONS if option != answer})


def exercises(world: World) -> ExerciseSet:
    names = setup(world)
    model, history, cohort = names["model"], names["history"], names["cohort"]

    alive = float(model.probability_alive(one_customer(4, 10, 39)).iloc[0])
    q1 = Exercise(
        "q1", "P(alive) of a CDNOW customer with 4 repeat purchases, the last one 10 weeks after the first purchase, "
              "observed for 39 weeks",
        expect_number(alive, abs_tol=0.0005, mistakes={
            float(model.probability_alive(one_customer(4, 29, 39)).iloc[0]):
                "you gave 29, the weeks since the last purchase; last_purchase_time counts from the first purchase "
                "to the last (10)",
            float(model.probability_alive(one_customer(5, 10, 39)).iloc[0]):
                "you counted 5 purchases; repeat_purchases counts those after the first (4)",
            float(model.probability_alive(one_customer(4, 10, 29)).iloc[0]):
                "observed_time runs from the first purchase to the end of calibration (39 weeks), not from the last",
        }),
        hint_text="Build the customer's history with one_customer(repeat_purchases, last_purchase_time, "
                  "observed_time); both times are counted from the first purchase. Then ask the model "
                  "for its probability alive.",
        solution_code="answer_1 = float(model.probability_alive(one_customer(4, 10, 39)).iloc[0])",
    )

    days = purchase_history(cohort.orders, CALIBRATION_END, unit="days")
    alpha_days = fit_bgnbd(days, unit="days").alpha
    q2 = Exercise(
        "q2", "Fit BG/NBD to the same cohort with times in days: what is alpha?",
        expect_number(alpha_days, rel_tol=2e-3, mistakes={
            model.alpha: "that is alpha in weeks: the history was not rebuilt with unit=\"days\"",
            model.alpha / 7: "alpha is a time scale, so in days it is seven times larger than in weeks, not smaller",
        }),
        hint_text="purchase_history(cohort.orders, \"1997-09-30\", unit=\"days\") builds the history in days; "
                  "fit_bgnbd fits it. Before you run it, guess: is alpha in days larger or smaller than 4.41?",
        solution_code='days = purchase_history(cohort.orders, "1997-09-30", unit="days")\n'
                      'answer_2 = fit_bgnbd(days, unit="days").alpha',
    )

    q3 = Exercise(
        "q3", "Predict, then check: calibrated on the sample to 30 September 2025, does BG/NBD over-forecast, "
              "under-forecast, or land within 5% of the purchases of the next 90 days?",
        checked_when_asked(lambda: _season_checker(world)),
        hint_text="Step 1: decide before you compute. What does the model assume about a customer's rate over the "
                  "year, and which quarter follows 30 September? Step 2: fit on purchase_history(world.orders, "
                  "\"2025-09-30\", unit=\"days\"), sum expected_purchases(history, 90), and compare with "
                  "purchases_between(world.orders, history, \"2025-09-30\", \"2025-12-29\").sum().",
        solution_code='history_q3 = purchase_history(world.orders, "2025-09-30", unit="days")\n'
                      'expected = fit_bgnbd(history_q3, unit="days").expected_purchases(history_q3, 90).sum()\n'
                      'made = purchases_between(world.orders, history_q3, "2025-09-30", "2025-12-29").sum()\n'
                      'gap = expected / made - 1\n'
                      'answer_3 = "over" if gap > 0.05 else "under" if gap < -0.05 else "within 5%"',
    )
    return ExerciseSet([q1, q2, q3])
