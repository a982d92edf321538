"""Exercises of lesson 00 (welcome and data). Expected answers are computed from the data, never typed in."""
from __future__ import annotations

from ..data import World
from ..exercises import Exercise, ExerciseSet, expect_number, expect_series
from ..sales import net_line_value


def exercises(world: World) -> ExerciseSet:
    orders, customers, campaign = world.orders, world.customers, world.campaign
    completed = orders[orders["status"] == "completed"]

    buyers = completed["customer_id"].nunique()
    q1 = Exercise(
        "q1", "How many customers completed at least one order in the history?",
        expect_number(buyers, mistakes={
            len(completed): "you count order lines instead of customers",
            completed["order_id"].nunique(): "you count orders instead of customers",
            orders["order_id"].nunique(): "you count orders (of any status) instead of customers",
            orders["customer_id"].nunique(): "you also count customers whose only lines were cancelled or returned",
            len(customers): "you count every customer, buyers or not",
        }),
        hint_text="Keep the lines whose status is 'completed', then count the distinct values of customer_id (.nunique()).",
        solution_code='completed = world.orders[world.orders["status"] == "completed"]\n'
                      'answer_1 = completed["customer_id"].nunique()',
    )

    in_2025 = orders[orders["order_ts"].dt.year == 2025]
    value = in_2025["quantity"] * in_2025["unit_price"]
    shipped = in_2025["status"] != "cancelled"
    q2 = Exercise(
        "q2", "What was the net revenue of calendar year 2025, under the course's rule?",
        expect_number(net_line_value(in_2025).sum(), abs_tol=1.0, mistakes={
            value[shipped].sum(): "you forget the discounts",
            net_line_value(in_2025[in_2025["status"] == "completed"]).sum(): "you leave out the returns",
            (value * (1 - in_2025["discount"])).sum(): "you count cancelled lines, which never shipped",
            net_line_value(orders).sum(): "you take the whole history instead of 2025",
        }),
        hint_text="Keep the lines whose order_ts falls in 2025 (.dt.year == 2025), apply net_line_value "
                  "from helpers.sales, and sum.",
        solution_code='in_2025 = world.orders[world.orders["order_ts"].dt.year == 2025]\n'
                      'answer_2 = net_line_value(in_2025).sum()',
    )

    q3 = Exercise(
        "q3", "How many customers live in urban, suburban and rural neighbourhoods? Give a Series indexed by urbanicity.",
        expect_series(customers["urbanicity"].value_counts()),
        hint_text="value_counts() on the urbanicity column of world.customers returns exactly such a Series.",
        solution_code='answer_3 = world.customers["urbanicity"].value_counts()',
    )

    treatment = campaign[campaign["arm"] == "treatment"]
    q4 = Exercise(
        "q4", "In the past campaign, what share of the customers who were emailed opened the email? (a number between 0 and 1)",
        expect_number(treatment["opened"].mean(), abs_tol=5e-4, mistakes={
            campaign["opened"].mean(): "you divide by both arms, but the control arm was never emailed",
            treatment["opened"].mean() * 100: "you give a percentage; the question asks for a share between 0 and 1",
        }),
        hint_text="Keep the rows whose arm is 'treatment'; the mean of a True/False column is the share of True.",
        solution_code='emailed = world.campaign[world.campaign["arm"] == "treatment"]\n'
                      'answer_4 = emailed["opened"].mean()',
    )
    return ExerciseSet([q1, q2, q3, q4])


# names the solutions may use, for the tests that run every solution
SOLUTION_NAMESPACE = {"net_line_value": net_line_value}
