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
5. :func:`export_audiences`: one file per campaign cell, emails normalized and
   SHA-256 hashed, a control group held out and recorded, nobody outside consent.

Only email with 15% off was tested in the sample's past campaign. The effect of
every other channel and offer is an **assumption** (``effect_vs_tested``),
marked as such in the tables, for the next test to check.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from .features import campaign_send_date
from .sales import net_line_value

# seen_rate: the share of contacted customers who see the message (and so may use its offer);
# email's is the past campaign's open rate, the others are assumptions like their effects
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
def contact_history(world) -> pd.DataFrame:
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


def audience_cells(allocation: pd.DataFrame, plan: pd.DataFrame, data: PlanningData, seed: int = 0) -> pd.DataFrame:
    """The customers behind an allocation: for each funded segment, ``contacts`` reachable customers chosen at random.

    One row per customer (indexed by customer id) with ``cell`` (the segment and
    channel), ``segment, message, channel, offer``, ready for :func:`export_audiences`.
    """
    rng = np.random.default_rng(seed)
    parts = []
    for segment, row in allocation[allocation["contacts"] > 0].iterrows():
        step = plan.loc[segment]
        members = data.segments.index[(data.segments == segment).to_numpy()]
        audience = members[data.reach[step["channel"]].loc[members, "reachable"].to_numpy()]
        chosen = np.sort(rng.choice(audience.to_numpy(), size=int(row["contacts"]), replace=False))
        parts.append(pd.DataFrame({"cell": f"{segment} | {step['channel']}", "segment": segment,
                                   "message": step.get("message", ""), "channel": step["channel"],
                                   "offer": step["offer"]}, index=pd.Index(chosen, name="customer_id")))
    if not parts:
        return pd.DataFrame(columns=["cell", "segment", "message", "channel", "offer"])
    return pd.concat(parts)


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


# --------------------------------------------------------------------------- email efficiency and influence
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


def spillover_check(customers: pd.DataFrame, campaign: pd.DataFrame) -> pd.Series:
    """Did the email reach friends? Conversion of *uncontacted* referred customers, by their referrer's arm.

    The referrer's arm was randomized, so the difference is the spill-over
    effect of contacting a referrer (with its interval, ``uplift.average_effect``).
    Only referred customers in the campaign's control arm count, so none of
    them got the email themselves.
    """
    from .uplift import average_effect

    arm = campaign.set_index("customer_id")["arm"]
    converted = campaign.set_index("customer_id")["converted"]
    friends = customers.dropna(subset=["referred_by"])
    friends = friends[friends["customer_id"].map(arm).eq("control")
                      & friends["referred_by"].astype("int64").map(arm).notna().to_numpy()]
    referrer_treated = friends["referred_by"].astype("int64").map(arm).eq("treatment")
    outcome = friends["customer_id"].map(converted).astype(float)
    return average_effect(outcome.set_axis(friends["customer_id"]), referrer_treated.set_axis(friends["customer_id"]))


def referrals_made(customers: pd.DataFrame) -> pd.Series:
    """How many customers name each customer as their referrer (0 for most).

    >>> people = pd.DataFrame({"customer_id": [1, 2, 3], "referred_by": [None, 1, 1]})
    >>> referrals_made(people).tolist()
    [2, 0, 0]
    """
    counts = customers["referred_by"].dropna().astype("int64").value_counts()
    return customers["customer_id"].map(counts).fillna(0).astype(int).set_axis(customers["customer_id"]).rename("referrals_made")


def influencers(table: pd.DataFrame, segments: pd.Series, referrals: pd.Series, top: int = 3,
                reachable: pd.Series | None = None) -> pd.DataFrame:
    """The ``top`` customers of each segment by social reach (followers, then referrals made), and their share of it.

    ``share_of_segment_reach`` is their followers over all followers in the
    segment: how concentrated the segment's voice is. Only ``reachable``
    customers (if given) can be seeds: asking someone to share needs consent.
    """
    frame = pd.DataFrame({"segment": segments, "followers": table["followers"].reindex(segments.index),
                          "referrals_made": referrals.reindex(segments.index).fillna(0).astype(int)})
    total = frame.groupby("segment")["followers"].sum()
    if reachable is not None:
        frame = frame[reachable.reindex(frame.index).fillna(False).to_numpy(bool)]
    frame = frame.rename_axis("customer_id").reset_index()
    ranked = frame.sort_values(["segment", "followers", "referrals_made", "customer_id"],
                               ascending=[True, False, False, True], kind="stable")
    seeds = ranked.groupby("segment", sort=True).head(top).copy()
    seeds["share_of_segment_reach"] = (seeds["followers"] / seeds["segment"].map(total)).round(3)
    return seeds.set_index(["segment", "customer_id"])


def seeding_effect(seeds: pd.DataFrame, audience: int, uplift: float, view_rate: float = 0.02,
                   follower_uplift: float | None = None) -> pd.Series:
    """Extra incremental buyers if the seeds share the message, next to the direct effect, under stated assumptions.

    Each follower sees a share (``view_rate``) and responds like a contacted
    customer by ``follower_uplift`` (default: a tenth of ``uplift``, because a
    friend's post is not an offer in the inbox). These are assumptions to test
    (for example by randomizing who is asked to share), not measurements.

    >>> seeds = pd.DataFrame({"followers": [10_000, 5_000]})
    >>> seeding_effect(seeds, audience=1000, uplift=0.05).to_dict()
    {'direct': 50.0, 'spill_over': 1.5, 'total': 51.5}
    """
    follower_uplift = uplift / 10 if follower_uplift is None else follower_uplift
    direct = audience * uplift
    spill = float(seeds["followers"].sum()) * view_rate * follower_uplift
    return pd.Series({"direct": round(direct, 2), "spill_over": round(spill, 2), "total": round(direct + spill, 2)})


# --------------------------------------------------------------------------- export
def normalize_email(emails: pd.Series) -> pd.Series:
    """Trimmed and lower-cased, as ad platforms ask before hashing (missing stays missing).

    >>> normalize_email(pd.Series(["  Ana.Lee@Example.COM ", None])).tolist()
    ['ana.lee@example.com', None]
    """
    return pd.Series([e.strip().lower() if isinstance(e, str) else None for e in emails], index=emails.index,
                     dtype="object", name=emails.name)


def hash_emails(emails: pd.Series) -> pd.Series:
    """SHA-256 hex digest of each normalized email (missing stays missing): the customer-match format.

    >>> hash_emails(pd.Series([" Test@Example.com"])).str[:12].tolist()
    ['973dfe463ec8']
    """
    return pd.Series([hashlib.sha256(e.encode("utf-8")).hexdigest() if e is not None else None
                      for e in normalize_email(emails)], index=emails.index, dtype="object", name="email_sha256")


def split_control(customers: pd.Index, control_share: float, seed: int) -> pd.Series:
    """``"send"`` or ``"control"`` for each customer, a seeded random split of exactly round(share * n) controls."""
    if not 0 <= control_share < 1:
        raise ValueError(f"control_share must be in [0, 1), got {control_share}")
    rng = np.random.default_rng(seed)
    n_control = int(round(control_share * len(customers)))
    group = np.full(len(customers), "send", dtype=object)
    group[rng.permutation(len(customers))[:n_control]] = "control"
    return pd.Series(group, index=customers, name="group")


def export_audiences(cells: pd.DataFrame, customers: pd.DataFrame, folder: str | Path, salt: str,
                     control_share: float = 0.1, seed: int = 0, min_audience: int = 100) -> pd.DataFrame:
    """Write one send file per campaign cell and one file of held-out controls; return a manifest.

    ``cells``: one row per customer (indexed by customer id) with ``cell,
    segment, message, channel, offer``. ``customers``: indexed by customer id,
    with ``email`` and the consent columns. The function **refuses** (raises)
    when a customer lacks consent for the cell's channel or is on
    do-not-contact, or when a cell has fewer than ``min_audience`` customers
    (a tiny audience is close to identifying people), or when no secret
    ``salt`` is given. Send files (which leave the company) carry a
    ``pseudonym`` (``privacy.pseudonymize`` with the salt) instead of the
    customer id, and the SHA-256 of the normalized email that ad platforms
    match on, never the raw email; a hashed email is still personal data. The
    control file stays in-house: it records the held-out customers by id and
    pseudonym so the result can be measured and joined back.
    """
    from .privacy import pseudonymize

    if not isinstance(salt, str) or not salt:
        raise ValueError("give a secret salt: send files carry pseudonyms, never customer ids")
    required = ["cell", "segment", "message", "channel", "offer"]
    missing = [c for c in required if c not in cells.columns]
    if missing:
        raise KeyError(f"cells lack column(s) {missing}")
    for channel, rows in cells.groupby("channel"):
        _known(channel, CHANNELS, "channel")
        reach = reachability(customers.loc[rows.index], channel)
        refused = reach.index[~reach["reachable"].to_numpy()]
        if len(refused):
            raise ValueError(f"{len(refused)} customer(s) in {channel} cells may not be contacted on {channel} "
                             f"(no consent or do-not-contact), e.g. customer_id {list(refused[:5])}; remove them first")
    sizes = cells["cell"].value_counts()
    small = sizes[sizes < min_audience]
    if len(small):
        raise ValueError(f"cell(s) {sorted(small.index)} have fewer than {min_audience} customers "
                         f"({small.to_dict()}); merge them or leave them out")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    manifest, controls = [], []
    for number, (cell, rows) in enumerate(sorted(cells.groupby("cell"), key=lambda item: str(item[0]))):
        group = split_control(rows.index, control_share, seed + number)
        out = rows[required].assign(email_sha256=hash_emails(customers.loc[rows.index, "email"]), group=group)
        out.insert(0, "pseudonym", pseudonymize(pd.Series(out.index, index=out.index), salt))
        send = out[out["group"] == "send"].drop(columns="group").reset_index(drop=True)
        file = folder / f"audience_{_slug(cell)}.csv"
        send.to_csv(file, index=False)
        controls.append(out.loc[out["group"] == "control", ["pseudonym", "cell", "segment"]])
        manifest.append({"cell": cell, "file": file.name, "send": len(send), "control": int((group == "control").sum())})
    control_frame = pd.concat(controls).rename_axis("customer_id").reset_index()
    control_frame.to_csv(folder / "holdout_control.csv", index=False)
    return pd.DataFrame(manifest)


def _slug(text: str) -> str:
    """A file-name-safe form of a cell name: ``"top customers / 1 | email"`` -> ``"top_customers_1_email"``."""
    return "_".join("".join(ch if ch.isalnum() else " " for ch in str(text).lower()).split())
