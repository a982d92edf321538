"""Exercises of lesson 04b (customer lifetime value). Expected answers are computed from the data."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..clv import fit_bgnbd, fit_gamma_gamma, lifetime_value, purchase_history, purchases_between
from ..data import World
from ..exercises import Checker, Exercise, ExerciseSet, Feedback, checked_when_asked, expect_choice, expect_number
from ..predict import clv_segments, outcomes
from ..real_data import cdnow

CALIBRATION_END = "1997-09-30"
# exercise 3: a calibration that ends before the holiday quarter, judged on it
SEASON_CALIBRATION_END, SEASON_END, SEASON_DAYS = "2025-09-30", "2025-12-29", 90
SEASON_OPTIONS = ["over", "under", "within 5%"]
# exercise 4: section 5's segments, as the lesson builds them (39 holdout weeks, undiscounted, against what was spent)
HOLDOUT_END, HOLDOUT_WEEKS, HOLDOUT_DAYS, ALIVE_AT = "1998-06-30", 39, 273, 0.5


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


def win_back_facts(cohort, history: pd.DataFrame, model) -> pd.DataFrame:
    """Section 5's segments, with what the win-back question turns on: who is a one-time buyer, who came back.

    Per segment: customers, mean P(alive), the share without a repeat purchase, the mean weeks since the last
    purchase, the share who bought in the holdout, and the mean holdout spend.
    """
    values = lifetime_value(model, fit_gamma_gamma(history), history, horizon=HOLDOUT_WEEKS, annual_discount=0.0)
    spent = outcomes(cohort, CALIBRATION_END, horizon_days=HOLDOUT_DAYS)["value"]
    table = clv_segments(values, alive_at=ALIVE_AT, actual_value=spent)
    came_back = purchases_between(cohort.orders, history, CALIBRATION_END, HOLDOUT_END) > 0
    members = pd.DataFrame({"segment": table.attrs["segment"], "one_time": history["repeat_purchases"].eq(0),
                            "silent": history["observed_time"] - history["last_purchase_time"],
                            "came_back": came_back})
    facts = members.groupby("segment").agg(one_time_share=("one_time", "mean"), weeks_silent=("silent", "mean"),
                                           came_back_share=("came_back", "mean"))
    return table[["customers", "mean_probability_alive", "mean_actual_value"]].join(facts)


def _win_back_checker(facts: pd.DataFrame) -> Checker:
    """The segment the rule 'P(alive) < 0.5' misses: likely active by the model, yet all one-time buyers."""
    active = facts[facts["mean_probability_alive"] >= ALIVE_AT]
    answer = str(active["one_time_share"].idxmax())
    why = {}
    for segment, row in facts.iterrows():
        if segment == answer:
            continue
        if row["mean_probability_alive"] < ALIVE_AT:
            why[segment] = (f"the rule already sends to it: its customers have P(alive) below {ALIVE_AT} "
                            f"(mean {row['mean_probability_alive']:.3f}), which is what makes them 'likely gone'")
        elif row["one_time_share"] == 0:
            why[segment] = (f"its customers are repeat buyers the model has good reason to call active: "
                            f"{row['came_back_share']:.0%} bought again in the holdout, spending "
                            f"${row['mean_actual_value']:.2f} each; a win-back offer would mostly go to customers "
                            "who were coming back anyway")
        else:
            why[segment] = (f"it is a mix ({row['one_time_share']:.0%} one-time buyers, and "
                            f"{row['came_back_share']:.0%} bought again in the holdout); look for the segment whose "
                            "mean P(alive) is exactly what the model gives every customer without a repeat purchase")
    right = facts.loc[answer]
    return _explained_when_right(expect_choice(answer, list(facts.index), why), (
        f"all {int(right['customers']):,} of its customers are one-time buyers ({right['one_time_share']:.0%}), and "
        "BG/NBD gives every customer without a repeat purchase P(alive) = 1 (they have had no chance to leave), so a "
        f"P(alive) rule can never pick them; yet they had been silent for {right['weeks_silent']:.0f} weeks on "
        f"average and only {right['came_back_share']:.0%} bought again in the holdout. Add a recency rule for them"))


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
        hint_text="Step 1: the model sees a customer as three numbers, all counted from the first purchase: the "
                  "purchases after it (x), the time of the last one (t_x) and the time observed (T). Which of the "
                  "question's numbers is which? Step 2: one_customer(x, t_x, T) builds the history; "
                  "model.probability_alive(history) returns a Series with one value: take it with .iloc[0].",
        solution_code="answer_1 = float(model.probability_alive(one_customer(4, 10, 39)).iloc[0])",
    )

    days = purchase_history(cohort.orders, CALIBRATION_END, unit="days")
    in_days = fit_bgnbd(days, unit="days")
    shift = float(history["repeat_purchases"].sum() * np.log(7))
    q2 = Exercise(
        "q2", "Fit BG/NBD to the same cohort with times in days: what is its log-likelihood?",
        _explained_when_right(expect_number(in_days.log_likelihood, abs_tol=0.05, mistakes={
            model.log_likelihood: "you give the log-likelihood in weeks (the paper's, or a fit on the weeks history): "
                                  "rebuild the history with unit=\"days\" and fit again",
            -in_days.log_likelihood: "you dropped the minus sign: a log-likelihood of purchase times is negative here",
            in_days.alpha: "you gave alpha in days; the question asks for .log_likelihood",
        }), f"r, a and b are unchanged and alpha is seven times larger ({in_days.alpha:.2f}), the same model; the "
            f"log-likelihood moves by {shift:,.1f} = {int(history['repeat_purchases'].sum()):,} repeat purchases "
            "x ln 7, because a density of purchase times is per day instead of per week. Compare log-likelihoods "
            "in one unit only"),
        hint_text="Step 1: predict first. A log-likelihood adds up the log of each customer's probability density "
                  "of their purchase times, and a density is per unit of time: what happens to a density when a week "
                  "becomes seven days, and does the model itself change? Step 2: build the history with "
                  "purchase_history(cohort.orders, \"1997-09-30\", unit=\"days\"), fit it with "
                  "fit_bgnbd(..., unit=\"days\") and read the fit's .log_likelihood.",
        solution_code='days = purchase_history(cohort.orders, "1997-09-30", unit="days")\n'
                      'answer_2 = fit_bgnbd(days, unit="days").log_likelihood',
    )

    q3 = Exercise(
        "q3", "Predict, then check: calibrated on the sample to 30 September 2025, does BG/NBD over-forecast, "
              "under-forecast, or land within 5% of the purchases of the next 90 days?",
        checked_when_asked(lambda: _season_checker(world)),
        hint_text="Step 1 (before you compute): say what BG/NBD assumes about how a customer's buying rate changes "
                  "over the year, and write down your prediction with that reason. Step 2: fit on "
                  "purchase_history(world.orders, \"2025-09-30\", unit=\"days\"), sum expected_purchases(history, 90), "
                  "and compare with purchases_between(world.orders, history, \"2025-09-30\", \"2025-12-29\").sum(). "
                  "Step 3: expected / made - 1 above +5% is \"over\", below -5% \"under\".",
        solution_code='history_q3 = purchase_history(world.orders, "2025-09-30", unit="days")\n'
                      'expected = fit_bgnbd(history_q3, unit="days").expected_purchases(history_q3, 90).sum()\n'
                      'made = purchases_between(world.orders, history_q3, "2025-09-30", "2025-12-29").sum()\n'
                      'gap = expected / made - 1\n'
                      'answer_3 = "over" if gap > 0.05 else "under" if gap < -0.05 else "within 5%"',
    )

    facts = win_back_facts(cohort, history, model)
    q4 = Exercise(
        "q4", "A manager sends win-back offers to everyone with P(alive) < 0.5. Using section 5's table, which "
              "segment does this rule wrongly leave out, and why?",
        _win_back_checker(facts),
        hint_text="Step 1: recall when BG/NBD lets a customer leave (section 4). Which customers can never get a low "
                  "P(alive), however long they have been silent? Step 2: in section 5's table, find the likely-active "
                  "segment whose mean_probability_alive says it is made of such customers, and compare its "
                  "mean_actual_value with the others'. Give the segment's name as a string.",
        solution_code='answer_4 = "low value, likely active"  # P(alive) is 1 for every customer without a repeat '
                      'purchase,\n# so one-time buyers silent for months are never "likely gone"; few of them came back',
    )
    return ExerciseSet([q1, q2, q3, q4])


def _explained_when_right(check: Checker, why: str) -> Checker:
    """A checker whose 'right' message also says what the answer teaches."""
    def explained(answer) -> Feedback:
        feedback = check(answer)
        return Feedback(True, f"{feedback.message[:-1]}: {why}.") if feedback.correct else feedback
    return explained
