"""The one minimum segment size: derived from the economics lesson 08 states, the same wherever it is applied."""
import math

import pandas as pd
import pytest

from helpers.data import load_world
from helpers.privacy import minimum_viable_size
from helpers.sizing import EXPORT_FLOOR, FIXED_COST_PER_SEGMENT, course_size_rule, size_rule


def test_the_rule_is_the_break_even_audience_or_the_export_floor_whichever_is_larger_over_the_reach():
    rule = size_rule(margin_per_incremental=46.0, uplift=0.044, cost_per_contact=0.10, subsidy_per_contact=0.73,
                     reachable_share=0.68, fixed_cost=400)
    assert rule.break_even_contacts == math.ceil(minimum_viable_size(46.0, 0.044, 0.10, 400, subsidy_per_contact=0.73))
    assert rule.contacts == max(rule.break_even_contacts, EXPORT_FLOOR)
    assert rule.customers == math.ceil(rule.contacts / 0.68)
    cheap = size_rule(46.0, 0.044, 0.10, 0.73, reachable_share=0.5, fixed_cost=10)
    assert cheap.contacts == EXPORT_FLOOR and cheap.customers == 200  # the floor binds when segments cost little
    assert "reachable customers" in str(rule) and f"{rule.customers:,} customers" in str(rule)


def test_a_rule_is_refused_when_no_size_pays_or_the_reach_is_not_a_share():
    with pytest.raises(ValueError, match="never pays"):
        size_rule(10.0, 0.01, 0.5, 0.0, reachable_share=0.5)
    for share in (0, 1.5):
        with pytest.raises(ValueError, match="reachable_share"):
            size_rule(50.0, 0.02, 0.5, 0.0, reachable_share=share)


def test_the_samples_rule_comes_from_the_august_test_and_lesson_05s_reach():
    rule = course_size_rule(load_world())
    assert rule.fixed_cost == FIXED_COST_PER_SEGMENT == 400
    assert rule.break_even_contacts == 314  # lesson 08's figure: $400 at the test's average effect
    assert 0.6 < rule.reachable_share < 0.75  # 16,903 of 25,000 emailable on 5 October
    assert rule.customers == math.ceil(314 / rule.reachable_share)
