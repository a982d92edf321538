"""Exercises of lesson 04 (rule-based and predictive micro-segments). Expected answers are computed from the data."""
from __future__ import annotations

from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number
from ..features import customer_table
from ..predict import fit_and_evaluate, propensity_bands
from ..rules import bought, browsed, who

CUTOFFS = {"train_cutoff": "2026-06-30", "test_cutoff": "2026-08-31", "horizon_days": 30}


def setup(world: World) -> dict:
    return {"table": customer_table(world)}


def exercises(world: World) -> ExerciseSet:
    table = setup(world)["table"]

    candles = bought(world, table, "Candles", at_least=2, within_days=365)
    q1 = Exercise(
        "q1", "How many customers have 2 or more orders with Candles in the last 365 days?",
        expect_number(len(candles), mistakes={
            len(bought(world, table, "Candles", at_least=2)): "you count the whole history; pass within_days=365",
            len(bought(world, table, "Candles", within_days=365)): "you count 1+ orders; pass at_least=2",
        }),
        hint_text="bought(world, table, 'Candles', at_least=2, within_days=365) is the audience; len() counts it.",
        solution_code='answer_1 = len(bought(world, table, "Candles", at_least=2, within_days=365))',
    )

    # not lesson 04's "fitness lookers" (ages 20-30, views, 30 days), whose size the lesson prints: a new audience
    adults = who(table, "25 <= age <= 35")
    carted = browsed(world, table, "Women's Activewear", event_types=("add_to_cart",), within_days=60)
    not_bought = ~bought(world, table, "Women's Activewear", within_days=60)
    viewed = browsed(world, table, "Women's Activewear", event_types=("view",), within_days=60)
    q2 = Exercise(
        "q2", "How many customers aged 25 to 35 put Women's Activewear in their cart in the last 60 days without "
              "buying any in that time?",
        expect_number(len(adults & carted & not_bought), mistakes={
            len(adults & carted): "you forget 'without buying': add & ~bought(..., within_days=60)",
            len(carted & not_bought): "you forget the age condition",
            len(adults & viewed & not_bought): "that counts views; the cart is event_types=('add_to_cart',)",
        }),
        hint_text="Start from the fitness lookers of section 1 and change three things: the ages (25 to 35), the "
                  "event type ('add_to_cart') and the window (60 days, for browsing and for buying).",
        solution_code='adults = who(table, "25 <= age <= 35")\n'
                      'carted = browsed(world, table, "Women\'s Activewear", event_types=("add_to_cart",), within_days=60)\n'
                      'answer_2 = len(adults & carted & ~bought(world, table, "Women\'s Activewear", within_days=60))',
    )

    candles_model = fit_and_evaluate(world, "buys_category", category="Candles", **CUTOFFS)
    outdoor_model = fit_and_evaluate(world, "buys_category", category="Outdoor Gear", **CUTOFFS)
    q3 = Exercise(
        "q3", "Train the category model for Candles instead of Outdoor Gear (same cut-offs, 30-day horizon). "
              "What is its AUC on the later period?",
        expect_number(candles_model.metrics["auc"], abs_tol=0.0015, mistakes={
            outdoor_model.metrics["auc"]: "that is the Outdoor Gear model's AUC; pass category='Candles'"}),
        hint_text="fit_and_evaluate(world, 'buys_category', category='Candles', train_cutoff='2026-06-30', "
                  "test_cutoff='2026-08-31', horizon_days=30).metrics['auc'].",
        solution_code='candles_model = fit_and_evaluate(world, "buys_category", category="Candles", '
                      'train_cutoff="2026-06-30", test_cutoff="2026-08-31", horizon_days=30)\n'
                      'answer_3 = candles_model.metrics["auc"]',
    )

    churn = fit_and_evaluate(world, "churns", train_cutoff="2026-03-31", test_cutoff="2026-06-30",
                             horizon_days=90, buyers_only=True)
    high = int((propensity_bands(churn.predictions) == "high").sum())
    q4 = Exercise(
        "q4", "Put the churn model's predictions in propensity bands (top 20% 'high'). How many customers are in "
              "the high band?",
        expect_number(high, mistakes={
            int((churn.predictions > 0.8).sum()): "you take probabilities above 0.8; the bands are by rank "
                                                  "(the top 20% of customers), whatever their probabilities",
            round(0.2 * len(churn.predictions)): "you take exactly 20% of the customers; customers with tied "
                                                 "probabilities stay in the same band, so it can hold a little more",
        }),
        hint_text="propensity_bands(churn.predictions) gives 'high', 'medium' or 'low' per customer; count 'high'.",
        solution_code='churn = fit_and_evaluate(world, "churns", train_cutoff="2026-03-31", test_cutoff="2026-06-30", '
                      'horizon_days=90, buyers_only=True)\n'
                      'answer_4 = int((propensity_bands(churn.predictions) == "high").sum())',
    )
    return ExerciseSet([q1, q2, q3, q4])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"bought": bought, "browsed": browsed, "who": who, "fit_and_evaluate": fit_and_evaluate,
                      "propensity_bands": propensity_bands}
