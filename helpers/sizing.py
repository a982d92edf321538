"""The kit's one minimum segment size: how many customers a segment needs before it is worth its own campaign.

Every segment costs something before it sends a message (a brief, creative, a
landing page, a test cell): lesson 08 prices that at ``FIXED_COST_PER_SEGMENT``.
A segment pays only when its reachable customers, each worth the test's
average extra profit per contact, cover that cost
(:func:`helpers.privacy.minimum_viable_size`); and the export refuses any
audience below ``EXPORT_FLOOR`` (a tiny audience is close to naming people).
The larger of the two is the contacts a segment needs; divided by the share
of customers the channel reaches, it is the customers a segment needs.

Lesson 08 derives the rule, and it is meant to be the only minimum segment
size in the kit. Not yet: lessons 01 (500 customers and 2%), 03 (600, the
default of ``clustering.fit_micro_segments``), 04 (150), 05 (200) and the
template (2% and 100) still use their own, until each is switched over
(issue 18).

>>> rule = size_rule(margin_per_incremental=50.0, uplift=0.02, cost_per_contact=0.5, subsidy_per_contact=0.0,
...                  reachable_share=0.5, fixed_cost=500.0)
>>> rule.break_even_contacts, rule.contacts, rule.customers
(1000, 1000, 2000)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from .campaign import CHANNELS, NEXT_SEND_DATE, contact_history, reachability, segment_margins
from .data import World
from .features import customer_table, day_before_campaign
from .privacy import minimum_viable_size
from .segments import segment_uplift

FIXED_COST_PER_SEGMENT = 400.0  # $ per segment: brief, creative, landing page, test cell (lesson 08)
EXPORT_FLOOR = 100  # customers: the export refuses smaller audiences (lesson 08, helpers.audiences)
OFFER = 0.15  # the tested offer: 15% off (lesson 05)


@dataclass(frozen=True)
class SizeRule:
    """A minimum segment size and the economics it comes from.

    ``contacts`` is what a segment needs on the channel (the larger of the
    break-even audience and the export floor); ``customers`` is that divided by
    the share of customers the channel reaches, the size to hold a segment to
    when its own reach is not known yet (clustering, classic segments).
    """

    fixed_cost: float
    profit_per_contact: float
    break_even_contacts: int
    export_floor: int
    reachable_share: float

    @property
    def contacts(self) -> int:
        return max(self.break_even_contacts, self.export_floor)

    @property
    def customers(self) -> int:
        return math.ceil(self.contacts / self.reachable_share)

    def __str__(self) -> str:
        return (f"a segment needs {self.contacts:,} reachable customers (${self.fixed_cost:,.0f} fixed cost at "
                f"${self.profit_per_contact:.2f} expected profit per contact: {self.break_even_contacts:,}; the export "
                f"floor: {self.export_floor:,}), so {self.customers:,} customers at the "
                f"{self.reachable_share:.0%} the channel reaches")


def size_rule(margin_per_incremental: float, uplift: float, cost_per_contact: float, subsidy_per_contact: float,
              reachable_share: float, fixed_cost: float = FIXED_COST_PER_SEGMENT,
              export_floor: int = EXPORT_FLOOR) -> SizeRule:
    """The minimum segment size from a campaign's economics (the terms of ``privacy.minimum_viable_size``).

    Raises ValueError when contacts never pay (no size covers the fixed cost)
    or the reachable share is not in (0, 1].

    >>> size_rule(50.0, 0.02, 0.5, 0.0, reachable_share=1.0, fixed_cost=20.0).contacts  # break-even 40 < floor
    100
    """
    if not 0 < reachable_share <= 1:
        raise ValueError(f"reachable_share must be in (0, 1], got {reachable_share}")
    needed = minimum_viable_size(margin_per_incremental, uplift, cost_per_contact, fixed_cost,
                                 subsidy_per_contact=subsidy_per_contact)
    if math.isinf(needed):
        raise ValueError(f"at {uplift:.2%} extra buyers and ${margin_per_incremental:.2f} per extra buyer a contact "
                         f"never pays its ${cost_per_contact:.2f} and ${subsidy_per_contact:.2f} of subsidy: "
                         "no segment size covers a fixed cost")
    profit = uplift * margin_per_incremental - cost_per_contact - subsidy_per_contact
    return SizeRule(fixed_cost=float(fixed_cost), profit_per_contact=float(profit),
                    break_even_contacts=math.ceil(needed), export_floor=int(export_floor),
                    reachable_share=float(reachable_share))


def course_size_rule(world: World, fixed_cost: float = FIXED_COST_PER_SEGMENT, offer: float = OFFER,
                     channel: str = "email") -> SizeRule:
    """The sample's rule: the August test's average effect, the average margin after the offer, the offer given
    to customers who would have bought anyway, and the channel's reach on lesson 05's send date.

    >>> from helpers.data import load_world
    >>> rule = course_size_rule(load_world())  # doctest: +SKIP
    """
    before = customer_table(world, as_of=day_before_campaign(world))
    overall = segment_uplift(before, pd.Series("everyone", index=before.index)).loc["everyone"]
    table = customer_table(world)
    margins = segment_margins(world.orders, world.products, pd.Series("everyone", index=table.index)).loc["everyone"]
    reach = reachability(table, channel, contact_history(world), send_date=NEXT_SEND_DATE, cap=1, window_days=60)
    return size_rule(margin_per_incremental=float(margins["aov"] * (margins["margin_rate"] - offer)),
                     uplift=float(overall["uplift"]), cost_per_contact=float(CHANNELS.loc[channel, "cost_per_contact"]),
                     subsidy_per_contact=float(overall["conversion_control"] * CHANNELS.loc[channel, "seen_rate"]
                                               * offer * margins["aov"]),
                     reachable_share=float(reach["reachable"].mean()), fixed_cost=fixed_cost)
