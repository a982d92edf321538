"""Campaign design and ROI: who can be reached, what a plan costs and returns, where a budget goes, and the export.

The recipe of lesson 05:

1. a *plan*: one row per segment with a message, an offer and a channel
   (``CHANNELS``, ``OFFERS``), a plain table a copywriter can work from;
2. :func:`reachability`: consent for the channel, do-not-contact and a
   frequency cap, with the reason every excluded customer is excluded;
3. :func:`plan_economics`: audience, cost, expected buyers, *incremental*
   buyers from the randomized campaign's measured effect (with its interval),
   margin, profit and ROI per segment, as a range, not one number;
4. :func:`allocate_budget`: the best segments first until the budget is spent,
   never a segment below a minimum audience;
5. :mod:`helpers.audiences`: the customers behind an allocation and the export,
   one file per campaign cell, emails normalized and SHA-256 hashed, a control
   group held out and recorded, nobody outside consent.

Only email with 15% off was tested in the sample's past campaign. The effect of
every other channel and offer is an **assumption** (``effect_vs_tested``),
marked as such in the tables, for the next test to check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping

import numpy as np
import pandas as pd

from .features import campaign_send_date
from .sales import net_line_value

# seen_rate: the share of contacted customers who see the message (and so may use its offer);
# email's is the past campaign's open rate, the others are assumptions like their effects
if TYPE_CHECKING:  # annotations only: nothing here needs the loader at run time
    from .data import World


NEXT_SEND_DATE = pd.Timestamp("2026-10-05")  # lesson 05's send: the August email has left the 60-day cap window

CHANNELS = pd.DataFrame(
    [("email", 0.01, "consent_email", 1.0, 0.35, False),
     ("sms", 0.05, "consent_sms", 1.0, 0.90, True),
     ("push", 0.002, "consent_push", 0.6, 0.50, True),
     # paid social reaches customers by uploading hashed emails: it needs email consent
     ("social", 0.30, "consent_email", 0.5, 0.20, True),
     ("none", 0.0, None, 0.0, 0.0, False)],
    columns=["channel", "cost_per_contact", "consent_column", "effect_vs_tested", "seen_rate", "assumed"],
).set_index("channel")

OFFERS = pd.DataFrame(
    [("15% off", 0.15, 0.0, 1.0, False),
     ("10% off", 0.10, 0.0, 0.8, True),
     ("free shipping", 0.0, 6.0, 0.7, True),
     ("no offer", 0.0, 0.0, 0.5, True)],
    columns=["offer", "discount", "cost_per_order", "effect_vs_tested", "assumed"],
).set_index("offer")


def _known(value: str, table: pd.DataFrame, what: str) -> None:
    if value not in table.index:
        raise ValueError(f"unknown {what} {value!r}; choose from {list(table.index)}")


# --------------------------------------------------------------------------- the plan
TIER_PLAYBOOK = {  # tier: (message, offer); the category is filled in from the segment's profile
    "top customers": ("New in {category}: early access, picked for you", "no offer"),
    "rising": ("Your next favourite in {category}", "10% off"),
    "slipping": ("We saved you some {category} picks", "15% off"),
    "dormant": ("Come back to {category}: 15% off this week", "15% off"),
}
FIRST_ORDER = ("Welcome: your first order ships free", "free shipping")


def suggest_plan(profiles: pd.DataFrame, preferred_channel: pd.Series, segments: pd.Series) -> pd.DataFrame:
    """A first plan per segment to edit by hand: message, offer and channel from the segment's profile.

    The message and offer follow the segment's tier (``TIER_PLAYBOOK``:
    loyal customers get news and no discount, lapsing ones an incentive) and
    its ``distinctive_category`` (from ``segments.segment_profiles``); the
    channel is the one most of its customers prefer. Segments outside the
    tiers (no purchase yet) get a first-order offer.
    """
    channel = preferred_channel.reindex(segments.index).groupby(segments).agg(
        lambda s: s.value_counts().sort_index().idxmax() if s.notna().any() else "email")
    rows = {}
    for segment, profile in profiles.iterrows():
        tier = str(segment).rsplit(" / ", 1)[0]
        message, offer = TIER_PLAYBOOK.get(tier, FIRST_ORDER)
        category = profile.get("distinctive_category")
        category = category if isinstance(category, str) else "our range"
        rows[segment] = {"tier": tier, "distinctive_category": category, "message": message.format(category=category),
                         "offer": offer, "channel": channel.get(segment, "email")}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("segment")


def uniform_plan(segments: pd.Series, channel: str = "email", offer: str = "15% off") -> pd.DataFrame:
    """The same channel and offer for every segment (by default the one the past campaign tested).

    >>> uniform_plan(pd.Series(["b", "a", "b"]))
      channel    offer
    a   email  15% off
    b   email  15% off
    """
    _known(channel, CHANNELS, "channel")
    _known(offer, OFFERS, "offer")
    index = pd.Index(sorted(segments.dropna().unique()), name=segments.name)
    return pd.DataFrame({"channel": channel, "offer": offer}, index=index)


# --------------------------------------------------------------------------- reach
def contact_history(world: World) -> pd.DataFrame:
    """Past marketing contacts (customer, date, channel): the sends of the world's past campaign."""
    sent = world.campaign[world.campaign["sent"]]
    return pd.DataFrame({"customer_id": sent["customer_id"].to_numpy(), "contact_date": campaign_send_date(world),
                         "channel": "email"})


def reachability(customers: pd.DataFrame, channel: str, history: pd.DataFrame | None = None,
                 send_date: str | pd.Timestamp | None = None, cap: int | None = None,
                 window_days: int = 30) -> pd.DataFrame:
    """Whether each customer may be contacted on ``channel``, and if not, why.

    ``customers`` is indexed by customer id with ``consent_<channel>`` and
    ``do_not_contact`` columns. The frequency cap allows at most ``cap``
    contacts (this one included) in the ``window_days`` up to ``send_date``,
    counting ``history`` (customer_id, contact_date). Columns: ``no_consent``,
    ``do_not_contact``, ``over_cap`` (each independent) and ``reachable``.

    >>> people = pd.DataFrame({"consent_email": [True, True, False], "do_not_contact": [False, True, False]},
    ...                       index=pd.Index([1, 2, 3], name="customer_id"))
    >>> reachability(people, "email")["reachable"].tolist()
    [True, False, False]
    """
    _known(channel, CHANNELS, "channel")
    consent = CHANNELS.loc[channel, "consent_column"]
    if pd.isna(consent):  # channel 'none': nobody is contacted
        return pd.DataFrame({"no_consent": False, "do_not_contact": False, "over_cap": False, "reachable": False},
                            index=customers.index)
    for column in (consent, "do_not_contact"):
        if column not in customers.columns:
            raise KeyError(f"customers lack column {column!r}, needed to check reach on {channel}")
    out = pd.DataFrame({"no_consent": ~customers[consent].astype(bool),
                        "do_not_contact": customers["do_not_contact"].astype(bool)}, index=customers.index)
    out["over_cap"] = False
    if cap is not None:
        if history is None or send_date is None:
            raise ValueError("a frequency cap needs the contact history and the send date")
        if cap < 1:
            raise ValueError(f"cap must allow at least this contact (cap >= 1), got {cap}")
        send_date = pd.Timestamp(send_date)
        recent = history[(history["contact_date"] > send_date - pd.Timedelta(days=window_days))
                         & (history["contact_date"] <= send_date)]
        earlier = recent.groupby("customer_id").size().reindex(customers.index, fill_value=0)
        out["over_cap"] = (earlier + 1 > cap).to_numpy()
    out["reachable"] = ~(out["no_consent"] | out["do_not_contact"] | out["over_cap"])
    return out


def reach_summary(reach: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Per segment: customers, how many each reason excludes, and the audience that is left."""
    out = reach.astype(int).groupby(segments, observed=True).sum()
    out.insert(0, "customers", segments.value_counts())
    return out.rename(columns={"reachable": "audience"}).sort_index()


# --------------------------------------------------------------------------- money
def segment_margins(orders: pd.DataFrame, products: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Average order value and gross margin rate (1 - cost of goods / net revenue) of each segment's orders.

    A segment without orders gets the margin rate of all customers and no order value.
    """
    lines = orders[orders["customer_id"].isin(segments.index)]
    value = net_line_value(lines)
    unit_cost = lines["product_id"].map(products.set_index("product_id")["unit_cost"]).astype(float)
    cost = (lines["quantity"].astype(float) * unit_cost).where(lines["status"] != "cancelled", 0.0)
    segment = lines["customer_id"].map(segments)
    revenue = value.groupby(segment).sum()
    placed = lines.loc[lines["status"] == "completed", ["order_id"]].assign(segment=segment).drop_duplicates()
    out = pd.DataFrame({"revenue": revenue, "orders": placed.groupby("segment").size()})
    overall = 1 - cost.sum() / value.sum()
    out["margin_rate"] = (1 - cost.groupby(segment).sum() / revenue).where(revenue > 0, overall)
    out["aov"] = out["revenue"] / out["orders"]
    out = out.reindex(pd.Index(sorted(segments.dropna().unique()), name="segment"))
    out["margin_rate"] = out["margin_rate"].fillna(overall)
    return out[["aov", "margin_rate"]].round({"aov": 2, "margin_rate": 3})


def plan_economics(plan: pd.DataFrame, segments: pd.Series, reach: Mapping[str, pd.DataFrame],
                   buy_probability: pd.Series, uplift: pd.DataFrame, margins: pd.DataFrame,
                   fallback_uplift: tuple[float, float, float] | None = None) -> pd.DataFrame:
    """Expected cost, buyers, incremental buyers, profit and ROI of each segment's plan, with a low-high range.

    ``plan``: indexed by segment, columns ``channel`` and ``offer`` (others are
    kept). ``reach``: ``reachability`` per channel. ``buy_probability``: each
    customer's chance of buying anyway in the campaign window (lesson 04's
    model). ``uplift``: per segment ``uplift, uplift_low, uplift_high``
    measured in the randomized campaign (``segments.segment_uplift``);
    segments without a measurement use ``fallback_uplift`` (effect, low, high),
    and are marked. The tested effect is scaled by the channel's and the
    offer's ``effect_vs_tested``. Every incremental buyer uses the offer, and
    so does every buyer who would have bought anyway *and saw the message*
    (the channel's ``seen_rate``): that subsidy is the offer's hidden cost.
    """
    rows = []
    for segment, step in plan.iterrows():
        channel, offer = step["channel"], step["offer"]
        _known(channel, CHANNELS, "channel")
        _known(offer, OFFERS, "offer")
        members = segments.index[(segments == segment).to_numpy()]
        if channel == "none" or len(members) == 0:
            audience = pd.Index([])
        else:
            audience = members[reach[channel].loc[members, "reachable"].to_numpy()]
        measured = segment in uplift.index and pd.notna(uplift.loc[segment, "uplift"])
        if measured:
            effect = uplift.loc[segment, ["uplift", "uplift_low", "uplift_high"]].to_numpy(float)
        elif fallback_uplift is not None:
            effect = np.asarray(fallback_uplift, dtype=float)
        else:
            raise ValueError(f"segment {segment!r} has no measured uplift; give fallback_uplift")
        scale = CHANNELS.loc[channel, "effect_vs_tested"] * OFFERS.loc[offer, "effect_vs_tested"]
        incremental = len(audience) * effect * scale
        baseline = float(buy_probability.reindex(audience).fillna(buy_probability.mean()).sum())
        aov = margins.loc[segment, "aov"] if segment in margins.index else np.nan
        aov = float(margins["aov"].mean()) if pd.isna(aov) else float(aov)
        margin = aov * float(margins.loc[segment, "margin_rate"] if segment in margins.index else margins["margin_rate"].mean())
        offer_per_buyer = OFFERS.loc[offer, "discount"] * aov + OFFERS.loc[offer, "cost_per_order"]
        contact_cost = len(audience) * CHANNELS.loc[channel, "cost_per_contact"]
        # offer cost grows with buyers, so the low case has fewer buyers and a smaller offer bill
        offer_cost = (baseline * CHANNELS.loc[channel, "seen_rate"] + incremental) * offer_per_buyer
        profit = incremental * margin - offer_cost - contact_cost
        cost = contact_cost + offer_cost[0]
        rows.append({"segment": segment, "channel": channel, "offer": offer, "audience": len(audience),
                     "contact_cost": contact_cost, "offer_cost": offer_cost[0], "cost": cost,
                     "expected_buyers": baseline + incremental[0], "incremental_buyers": incremental[0],
                     "incremental_low": incremental[1], "incremental_high": incremental[2],
                     "margin_per_order": margin, "profit": profit[0], "profit_low": profit[1],
                     "profit_high": profit[2], "roi": profit[0] / cost if cost > 0 else np.nan,
                     "uplift_source": "measured" if measured else "campaign average",
                     "assumed_effect": bool(CHANNELS.loc[channel, "assumed"] or OFFERS.loc[offer, "assumed"])})
    out = pd.DataFrame(rows).set_index("segment")
    money = ["contact_cost", "offer_cost", "cost", "margin_per_order", "profit", "profit_low", "profit_high"]
    return out.round({**dict.fromkeys(money, 2), "expected_buyers": 1, "incremental_buyers": 1,
                      "incremental_low": 1, "incremental_high": 1, "roi": 2})


def allocate_budget(economics: pd.DataFrame, budget: float, min_audience: int = 200,
                    by: str = "profit") -> pd.DataFrame:
    """Spend ``budget`` on the segments with the best return per dollar first (greedy), whole or in part.

    Only segments with a positive ``by`` (``"profit"``, or ``"profit_low"`` to
    require a positive pessimistic case) are funded; a segment that cannot get
    at least ``min_audience`` contacts is skipped. Profit and cost scale with
    the share of a segment's audience contacted (a random part of it). Greedy
    by ratio is the optimum of this (fractional) allocation when no minimum is set.

    >>> econ = pd.DataFrame({"audience": [1000, 1000], "cost": [100.0, 100.0], "profit": [50.0, 300.0],
    ...                      "profit_low": [-10.0, 100.0], "profit_high": [90.0, 500.0]}, index=["a", "b"])
    >>> allocate_budget(econ, budget=150, min_audience=100)["contacts"].tolist()
    [500, 1000]
    """
    if by not in ("profit", "profit_low"):
        raise ValueError(f"by must be 'profit' or 'profit_low', got {by!r}")
    if budget < 0:
        raise ValueError(f"budget must not be negative, got {budget}")
    order = economics[(economics[by] > 0) & (economics["audience"] > 0) & (economics["cost"] > 0)]
    order = order.assign(ratio=order["profit"] / order["cost"]).sort_values("ratio", ascending=False, kind="stable")
    share = pd.Series(0.0, index=economics.index)
    left = float(budget)
    for segment, row in order.iterrows():
        affordable = min(1.0, left / row["cost"])
        contacts = math.floor(affordable * row["audience"])
        if contacts < min_audience:
            continue
        share[segment] = contacts / row["audience"]
        left -= share[segment] * row["cost"]
    out = pd.DataFrame({"contacts": (share * economics["audience"]).round().astype(int)}, index=economics.index)
    for column in ("cost", "profit", "profit_low", "profit_high"):
        out[column] = (share * economics[column]).round(2) + 0.0  # + 0.0 turns -0.0 into 0.0
    return out


@dataclass
class PlanningData:
    """Everything :func:`plan_economics` needs besides the plan, computed once (for the planner and the lesson)."""

    segments: pd.Series
    reach: dict
    buy_probability: pd.Series
    uplift: pd.DataFrame
    margins: pd.DataFrame
    fallback_uplift: tuple[float, float, float] | None = None

    def economics(self, plan: pd.DataFrame) -> pd.DataFrame:
        return plan_economics(plan, self.segments, self.reach, self.buy_probability, self.uplift, self.margins,
                              self.fallback_uplift)


def planner_view(data: PlanningData, chosen: list[str], channel: str, offer: str, budget: float,
                 min_audience: int = 200) -> tuple[pd.DataFrame, pd.Series]:
    """The campaign planner's answer: per chosen segment the funded contacts, cost and profit range, and the totals.

    Every chosen segment gets the same channel and offer; the budget goes to
    the best of them first (:func:`allocate_budget`).
    """
    unknown = sorted(set(chosen) - set(data.segments.unique()))
    if unknown:
        raise ValueError(f"unknown segment(s) {unknown}")
    if not chosen:
        empty = pd.DataFrame(columns=["audience", "contacts", "cost", "profit", "profit_low", "profit_high", "roi"])
        return empty, pd.Series({"contacts": 0, "cost": 0.0, "profit": 0.0, "profit_low": 0.0, "profit_high": 0.0,
                                 "roi": np.nan})
    plan = uniform_plan(pd.Series(chosen, name="segment"), channel, offer)
    economics = data.economics(plan)
    allocation = allocate_budget(economics, budget, min_audience=min_audience)
    table = allocation.join(economics[["audience"]])[["audience", "contacts", "cost", "profit", "profit_low", "profit_high"]]
    table["roi"] = (table["profit"] / table["cost"]).where(table["cost"] > 0).round(2)
    totals = strategy_totals({"plan": allocation}).iloc[0]
    return table, totals


def total_with_range(table: pd.DataFrame) -> pd.Series:
    """Sum of a per-segment table's ``cost`` and ``profit``, with a 95% range for the total profit.

    Segments hold different customers, so their estimation errors are
    independent: the total's half-widths combine as the square root of the sum
    of squares, not by adding every segment's worst (or best) case.

    >>> total_with_range(pd.DataFrame({"cost": [1.0, 1.0], "profit": [10.0, 10.0],
    ...                                "profit_low": [7.0, 6.0], "profit_high": [13.0, 14.0]})).tolist()
    [2.0, 20.0, 15.0, 25.0]
    """
    profit = float(table["profit"].sum())
    below = float(np.sqrt(((table["profit"] - table["profit_low"]) ** 2).sum()))
    above = float(np.sqrt(((table["profit_high"] - table["profit"]) ** 2).sum()))
    return pd.Series({"cost": float(table["cost"].sum()), "profit": profit,
                      "profit_low": profit - below, "profit_high": profit + above}).round(2)


def strategy_totals(allocations: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per strategy: contacts, cost, expected profit with its 95% range (:func:`total_with_range`), ROI."""
    out = pd.DataFrame({name: pd.concat([pd.Series({"contacts": a["contacts"].sum()}), total_with_range(a)])
                        for name, a in allocations.items()}).T
    out["roi"] = (out["profit"] / out["cost"]).where(out["cost"] > 0).round(2)
    return out.astype({"contacts": int})


def roi_needed_uplift(roi: float, cost_per_contact: float, margin_per_order: float,
                      offer_cost_per_buyer: float = 0.0, buy_rate: float = 0.0) -> float:
    """The incremental buy rate per contact that a claimed ROI requires.

    ROI = (u * margin - (b + u) * offer - c) / (c + (b + u) * offer), solved for u,
    where ``b`` is the rate of customers who would buy anyway and use the offer.
    Infinite when no effect can reach the ROI: each incremental buyer also costs
    the offer, so ROI never passes (margin - offer) / offer.

    >>> round(roi_needed_uplift(10, cost_per_contact=0.01, margin_per_order=50.0), 4)
    0.0022
    """
    c, m, o, b = cost_per_contact, margin_per_order, offer_cost_per_buyer, buy_rate
    denominator = m - o - roi * o
    if denominator <= 0:
        return float("inf")
    return (c + b * o + roi * (c + b * o)) / denominator


# --------------------------------------------------------------------------- email efficiency
def email_efficiency(campaign: pd.DataFrame, segments: pd.Series, cost_per_send: float = CHANNELS.loc["email", "cost_per_contact"]) -> pd.DataFrame:
    """Per segment of the past email campaign: sends, open, click and conversion rates, and incremental buyers per 1,000 sends.

    ``campaign`` has ``customer_id, arm, opened, clicked, converted``. The last
    row, ``everyone (blast)``, is the whole campaign.
    """
    frame = campaign.assign(segment=campaign["customer_id"].map(segments).fillna("not in a segment").to_numpy())
    frame = pd.concat([frame, frame.assign(segment="everyone (blast)")])
    treated = frame[frame["arm"] == "treatment"].groupby("segment")
    control = frame[frame["arm"] == "control"].groupby("segment")
    out = pd.DataFrame({"sends": treated.size(), "open_rate": treated["opened"].mean(),
                        "click_rate": treated["clicked"].mean(), "conversion_treated": treated["converted"].mean(),
                        "conversion_control": control["converted"].mean()})
    out["incremental_per_1000"] = 1000 * (out["conversion_treated"] - out["conversion_control"])
    out["send_cost_per_incremental_buyer"] = (cost_per_send * 1000 / out["incremental_per_1000"]).where(
        out["incremental_per_1000"] > 0)
    order = [s for s in out.index if s != "everyone (blast)"] + ["everyone (blast)"]
    return out.loc[order].round(3)


def targeted_send_savings(efficiency: pd.DataFrame, keep: list[str], cost_per_send: float = 0.01) -> pd.DataFrame:
    """The past blast next to a send to the ``keep`` segments only: sends, cost and incremental buyers.

    Incremental buyers of the targeted send add up each kept segment's measured
    effect (``efficiency``'s ``incremental_per_1000``) over its sends.
    """
    segments = efficiency.drop(index="everyone (blast)")
    unknown = sorted(set(keep) - set(segments.index))
    if unknown:
        raise ValueError(f"unknown segment(s) {unknown}")
    blast = efficiency.loc["everyone (blast)"]
    kept = segments.loc[list(keep)]
    rows = {"blast to everyone": (blast["sends"], blast["incremental_per_1000"] * blast["sends"] / 1000),
            "targeted send": (kept["sends"].sum(), (kept["incremental_per_1000"] * kept["sends"]).sum() / 1000)}
    out = pd.DataFrame(rows, index=["sends", "incremental_buyers"]).T
    out["send_cost"] = out["sends"] * cost_per_send
    out["incremental_per_1000_sends"] = 1000 * out["incremental_buyers"] / out["sends"].where(out["sends"] > 0)
    return out.astype({"sends": int}).round({"incremental_buyers": 1, "send_cost": 2, "incremental_per_1000_sends": 1})
