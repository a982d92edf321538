"""Influence and spill-over: does contacting a customer reach their friends, and who carries a segment's voice?

:func:`spillover_check` measures, in a randomized campaign, whether a
referrer's email changed their uncontacted friends' conversion;
:func:`referrals_made` and :func:`influencers` find the customers with the
widest reach per segment; :func:`seeding_effect` adds what asking them to
share might bring, under stated assumptions (lesson 05).
"""
from __future__ import annotations

import pandas as pd

from .uplift import average_effect


def spillover_check(customers: pd.DataFrame, campaign: pd.DataFrame) -> pd.Series:
    """Did the email reach friends? Conversion of *uncontacted* referred customers, by their referrer's arm.

    The referrer's arm was randomized, so the difference is the spill-over
    effect of contacting a referrer (with its interval, ``uplift.average_effect``).
    Only referred customers in the campaign's control arm count, so none of
    them got the email themselves.
    """
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
