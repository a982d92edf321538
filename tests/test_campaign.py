"""Campaign design and ROI: reach, economics, budget allocation, efficiency, influencers, planner and export."""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from helpers import audiences as au
from helpers import campaign as cp
from helpers import spillover as sp
from helpers.data import load_world
from helpers.features import campaign_send_date, customer_table


@pytest.fixture(scope="module")
def world(small_world_dir):
    return load_world(small_world_dir)


def people(n: int = 100, **columns) -> pd.DataFrame:
    base = {"consent_email": True, "consent_sms": False, "consent_push": True, "do_not_contact": False,
            "email": [f"Person.{i}@Example.com " for i in range(1, n + 1)], "followers": np.arange(n) * 10}
    base.update(columns)
    return pd.DataFrame(base, index=pd.Index(range(1, n + 1), name="customer_id"))


def hand_data(n: int = 100, uplift=(0.10, 0.05, 0.15)) -> cp.PlanningData:
    customers = people(n)
    segments = pd.Series("a", index=customers.index, name="segment")
    reach = {ch: cp.reachability(customers, ch) for ch in cp.CHANNELS.index}
    effect = pd.DataFrame([uplift], columns=["uplift", "uplift_low", "uplift_high"], index=["a"])
    margins = pd.DataFrame({"aov": [100.0], "margin_rate": [0.5]}, index=["a"])
    return cp.PlanningData(segments, reach, pd.Series(0.2, index=customers.index), effect, margins)


# --------------------------------------------------------------------------- reach
def test_reach_names_every_reason_and_do_not_contact_overrides_consent():
    customers = people(4, consent_email=[True, False, True, False], do_not_contact=[False, False, True, True])
    reach = cp.reachability(customers, "email")
    assert reach["reachable"].tolist() == [True, False, False, False]
    assert reach["no_consent"].tolist() == [False, True, False, True]
    assert reach["do_not_contact"].tolist() == [False, False, True, True]
    assert not cp.reachability(customers, "none")["reachable"].any()
    assert not cp.reachability(customers, "sms")["reachable"].any()  # nobody agreed to SMS
    summary = cp.reach_summary(reach, pd.Series(["x", "x", "y", "y"], index=customers.index))
    assert summary.loc["x", ["customers", "no_consent", "audience"]].tolist() == [2, 1, 1]
    with pytest.raises(ValueError, match="unknown channel 'fax'"):
        cp.reachability(customers, "fax")
    with pytest.raises(KeyError, match="consent_email"):
        cp.reachability(customers.drop(columns="consent_email"), "email")


def test_frequency_cap_counts_contacts_in_the_window_including_this_one():
    customers = people(3)
    history = pd.DataFrame({"customer_id": [1, 2, 2], "contact_date": pd.to_datetime(["2026-09-25", "2026-08-01", "2026-09-28"])})
    capped = cp.reachability(customers, "email", history, "2026-10-01", cap=1, window_days=30)
    assert capped["over_cap"].tolist() == [True, True, False]
    two = cp.reachability(customers, "email", history, "2026-10-01", cap=2, window_days=30)
    assert two["over_cap"].tolist() == [False, False, False]  # customer 2's August contact is outside the window
    wide = cp.reachability(customers, "email", history, "2026-10-01", cap=2, window_days=90)
    assert wide["over_cap"].tolist() == [False, True, False]
    with pytest.raises(ValueError, match="contact history"):
        cp.reachability(customers, "email", cap=1)
    with pytest.raises(ValueError, match="cap must allow"):
        cp.reachability(customers, "email", history, "2026-10-01", cap=0)


def test_contact_history_is_the_past_campaigns_sends(world):
    history = cp.contact_history(world)
    assert len(history) == int(world.campaign["sent"].sum())
    assert (history["contact_date"] == campaign_send_date(world)).all()


# --------------------------------------------------------------------------- money
def test_segment_margins_by_hand():
    orders = pd.DataFrame({"order_id": [1, 1, 2, 3], "customer_id": [1, 1, 2, 3], "product_id": [10, 11, 10, 10],
                           "quantity": [1, 2, 1, 5], "unit_price": [100.0, 50.0, 100.0, 100.0],
                           "discount": [0.0, 0.0, 0.5, 0.0], "status": ["completed", "completed", "completed", "cancelled"]})
    products = pd.DataFrame({"product_id": [10, 11], "unit_cost": [40.0, 10.0]})
    segments = pd.Series(["a", "b", "c"], index=[1, 2, 3])
    margins = cp.segment_margins(orders, products, segments)
    # a: revenue 200, cost 40 + 20 = 60 -> margin 0.7, one order of 200; b: revenue 50, cost 40 -> 0.2
    assert margins.loc["a"].tolist() == [200.0, 0.7]
    assert margins.loc["b"].tolist() == [50.0, 0.2]
    # c only has a cancelled order: no order value, the overall margin rate (1 - 100/250)
    assert np.isnan(margins.loc["c", "aov"]) and margins.loc["c", "margin_rate"] == 0.6


def test_plan_economics_by_hand():
    data = hand_data()
    econ = data.economics(pd.DataFrame({"channel": ["email"], "offer": ["15% off"]}, index=["a"])).loc["a"]
    # 100 reachable; 10 incremental (5..15) buyers with $50 margin; 20 would buy anyway, 35% of them see the
    # offer: (7 + 10) buyers x $15 discount = $255; 100 emails x $0.01 = $1
    assert econ["audience"] == 100 and econ["incremental_buyers"] == 10 and econ["expected_buyers"] == 30
    assert econ["offer_cost"] == 255 and econ["contact_cost"] == 1 and econ["cost"] == 256
    assert econ["profit"] == pytest.approx(500 - 255 - 1)
    assert econ["profit_low"] == pytest.approx(250 - 12 * 15 - 1)
    assert econ["profit_high"] == pytest.approx(750 - 22 * 15 - 1)
    assert econ["roi"] == pytest.approx(round(244 / 256, 2))
    assert econ["uplift_source"] == "measured" and not econ["assumed_effect"]
    # an untested channel or offer scales the effect and is flagged; channel "none" reaches nobody
    push = data.economics(pd.DataFrame({"channel": ["push"], "offer": ["no offer"]}, index=["a"])).loc["a"]
    assert push["incremental_buyers"] == pytest.approx(100 * 0.1 * 0.6 * 0.5) and push["assumed_effect"]
    silent = data.economics(pd.DataFrame({"channel": ["none"], "offer": ["no offer"]}, index=["a"])).loc["a"]
    assert silent["audience"] == 0 and silent["profit"] == 0 and np.isnan(silent["roi"])


def test_plan_economics_needs_a_measured_or_fallback_effect():
    data = hand_data(uplift=(np.nan, np.nan, np.nan))
    plan = pd.DataFrame({"channel": ["email"], "offer": ["no offer"]}, index=["a"])
    with pytest.raises(ValueError, match="no measured uplift"):
        data.economics(plan)
    data.fallback_uplift = (0.04, 0.03, 0.05)
    econ = data.economics(plan).loc["a"]
    assert econ["uplift_source"] == "campaign average" and econ["incremental_buyers"] == pytest.approx(2.0)
    with pytest.raises(ValueError, match="unknown offer"):
        data.economics(pd.DataFrame({"channel": ["email"], "offer": ["50% off"]}, index=["a"]))


def test_roi_needed_uplift_gives_that_roi_when_plugged_back():
    data = hand_data()
    needed = cp.roi_needed_uplift(2, cost_per_contact=0.01, margin_per_order=50.0, offer_cost_per_buyer=15.0,
                                  buy_rate=0.2 * 0.35)
    data.uplift.loc["a"] = [needed] * 3
    econ = data.economics(pd.DataFrame({"channel": ["email"], "offer": ["15% off"]}, index=["a"])).loc["a"]
    assert econ["profit"] / econ["cost"] == pytest.approx(2, rel=1e-3)
    # every incremental buyer costs the offer, so ROI can never pass (margin - offer) / offer = 2.33 here
    assert cp.roi_needed_uplift(10, 0.01, margin_per_order=50.0, offer_cost_per_buyer=15.0) == float("inf")


def test_allocation_funds_the_best_first_respects_budget_and_minimum():
    econ = pd.DataFrame({"audience": [1000, 1000, 500, 100], "cost": [100.0, 100.0, 50.0, 10.0],
                         "profit": [50.0, 300.0, -5.0, 80.0], "profit_low": [-10.0, 100.0, -20.0, 10.0],
                         "profit_high": [90.0, 500.0, 10.0, 150.0]}, index=["a", "b", "c", "d"])
    plan = cp.allocate_budget(econ, budget=150, min_audience=150)
    # d has the best ratio but only 100 customers (< 150): skipped; then b in full, then half of a
    assert plan["contacts"].tolist() == [500, 1000, 0, 0]
    assert plan["cost"].sum() <= 150 and plan.loc["a", "profit"] == 25.0
    assert cp.allocate_budget(econ, budget=150, min_audience=10, by="profit_low")["contacts"].tolist() == [0, 1000, 0, 100]
    assert cp.allocate_budget(econ, budget=0)["contacts"].sum() == 0
    assert cp.allocate_budget(econ, budget=10_000, min_audience=1)["contacts"].tolist() == [1000, 1000, 0, 100]
    with pytest.raises(ValueError, match="by must be"):
        cp.allocate_budget(econ, 100, by="roi")
    totals = cp.strategy_totals({"x": plan})
    assert totals.loc["x", "contacts"] == 1500 and totals.loc["x", "roi"] == round(325 / 150, 2)


def test_planner_view_and_widget():
    data = hand_data(400)
    data.segments = pd.Series(np.where(data.segments.index <= 300, "a", "b"), index=data.segments.index)
    data.uplift = pd.concat([data.uplift, data.uplift.rename(index={"a": "b"}) * 0.5])
    data.margins = pd.concat([data.margins, data.margins.rename(index={"a": "b"})])
    table, totals = cp.planner_view(data, ["a", "b"], "email", "no offer", budget=2.0, min_audience=50)
    assert totals["cost"] <= 2.0 and table.loc["a", "contacts"] == 200 and table.loc["b", "contacts"] == 0
    _, everything = cp.planner_view(data, ["a", "b"], "email", "no offer", budget=1e6, min_audience=50)
    assert everything["contacts"] == 400
    empty, none = cp.planner_view(data, [], "email", "15% off", 100)
    assert empty.empty and none["contacts"] == 0
    with pytest.raises(ValueError, match="unknown segment"):
        cp.planner_view(data, ["zzz"], "email", "15% off", 100)
    from helpers.explorers import campaign_planner
    box = campaign_planner(data, budget=1000)
    controls = box.children[0].children[1].children
    controls[0].value = "push"  # moving the controls redraws without error
    controls[1].value = "10% off"
    controls[2].value = 0
    box.children[0].children[0].value = ("b",)


# --------------------------------------------------------------------------- plans from data
def test_suggested_plan_follows_the_tier_and_the_preferred_channel():
    segments = pd.Series(["top customers / 1", "top customers / 1", "dormant / 2", "no purchase yet"], index=[1, 2, 3, 4])
    profiles = pd.DataFrame({"distinctive_category": ["Candles", "Outdoor Gear", None]},
                            index=["dormant / 2", "top customers / 1", "no purchase yet"])
    channel = pd.Series(["sms", "sms", "email", "push"], index=[1, 2, 3, 4])
    plan = cp.suggest_plan(profiles, channel, segments)
    assert plan.loc["top customers / 1", ["offer", "channel"]].tolist() == ["no offer", "sms"]
    assert "Outdoor Gear" in plan.loc["top customers / 1", "message"]
    assert plan.loc["dormant / 2", "offer"] == "15% off" and "Candles" in plan.loc["dormant / 2", "message"]
    assert plan.loc["no purchase yet", "offer"] == "free shipping"


def test_email_efficiency_blast_row_is_the_whole_campaign(world):
    table = customer_table(world)
    segments = pd.Series(np.where(table["frequency"] > 0, "buyers", "others"), index=table.index)
    eff = cp.email_efficiency(world.campaign, segments)
    assert eff.index[-1] == "everyone (blast)"
    treated = world.campaign[world.campaign["arm"] == "treatment"]
    assert eff.loc["everyone (blast)", "sends"] == len(treated)
    assert eff.loc["everyone (blast)", "open_rate"] == round(treated["opened"].mean(), 3)
    assert eff.loc[["buyers", "others"], "sends"].sum() == len(treated)


def test_referrals_influencers_and_seeding():
    customers = pd.DataFrame({"customer_id": [1, 2, 3, 4, 5], "referred_by": [None, 1, 1, 3, None],
                              "followers": [10, 500, 500, 5, 0]})
    referrals = sp.referrals_made(customers)
    assert referrals.to_dict() == {1: 2, 2: 0, 3: 1, 4: 0, 5: 0}
    table = customers.set_index("customer_id")
    segments = pd.Series(["s", "s", "s", "t", "t"], index=table.index)
    top = sp.influencers(table, segments, referrals, top=2)
    # equal followers: more referrals first
    assert top.loc["s"].index.tolist() == [3, 2] and top.loc["t"].index.tolist() == [4, 5]
    assert top.loc[("s", 3), "share_of_segment_reach"] == round(500 / 1010, 3)
    only_reachable = sp.influencers(table, segments, referrals, top=2, reachable=pd.Series([True, False, True, True, True], index=table.index))
    assert only_reachable.loc["s"].index.tolist() == [3, 1]
    effect = sp.seeding_effect(top.loc["s"], audience=100, uplift=0.05, view_rate=0.1, follower_uplift=0.01)
    assert effect["spill_over"] == pytest.approx(1000 * 0.1 * 0.01)


# --------------------------------------------------------------------------- export
def test_emails_are_normalized_then_hashed():
    emails = pd.Series([" Ana@Example.COM", "ana@example.com", None])
    hashed = au.hash_emails(emails)
    assert hashed[0] == hashed[1] == hashlib.sha256(b"ana@example.com").hexdigest()
    assert hashed[2] is None


def test_export_writes_hashed_audiences_and_a_recorded_control(tmp_path):
    data = hand_data(300)
    customers = people(300)
    plan = pd.DataFrame({"channel": ["email"], "offer": ["15% off"], "message": ["hello"]}, index=["a"])
    allocation = cp.allocate_budget(data.economics(plan), budget=1e6)
    cells = au.audience_cells(allocation, plan, data, random_state=1)
    assert len(cells) == 300 and cells.index.is_unique
    assert cells.equals(au.audience_cells(allocation, plan, data, random_state=1))
    manifest = au.export_audiences(cells, customers, tmp_path, salt="s3cret", control_share=0.1, random_state=0)
    assert manifest[["send", "control"]].iloc[0].tolist() == [270, 30]
    sent = pd.read_csv(tmp_path / manifest["file"].iloc[0])
    held = pd.read_csv(tmp_path / "holdout_control.csv")
    text = (tmp_path / manifest["file"].iloc[0]).read_text()
    assert "@" not in text and "email_sha256" in sent.columns and "email" not in sent.columns
    assert "customer_id" not in sent.columns  # the file leaves the company: pseudonyms only
    from helpers.privacy import pseudonymize
    key = pseudonymize(pd.Series(cells.index, index=cells.index), "s3cret")
    back = pd.Series(key.index, index=key.to_numpy())  # pseudonym -> customer id, kept in-house
    sent_ids = sent["pseudonym"].map(back)
    assert sent_ids.notna().all() and set(sent_ids).isdisjoint(held["customer_id"])
    assert set(sent_ids) | set(held["customer_id"]) == set(cells.index)
    assert (held["pseudonym"] == held["customer_id"].map(key)).all()
    expected = hashlib.sha256(f"person.{sent_ids.iloc[0]}@example.com".encode()).hexdigest()
    assert sent["email_sha256"].iloc[0] == expected
    with pytest.raises(ValueError, match="secret salt"):
        au.export_audiences(cells, customers, tmp_path, salt="")


def test_export_refuses_customers_outside_consent_and_tiny_cells(tmp_path):
    customers = people(300, do_not_contact=[i == 7 for i in range(1, 301)],
                       consent_push=[i != 9 for i in range(1, 301)])
    cells = pd.DataFrame({"cell": "c", "segment": "a", "message": "m", "channel": "email", "offer": "no offer"},
                         index=pd.Index(range(1, 301), name="customer_id"))
    with pytest.raises(ValueError, match=r"customer_id \[7\]"):
        au.export_audiences(cells, customers, tmp_path, salt="k")
    push_cells = cells.drop(index=7).assign(channel="push")
    with pytest.raises(ValueError, match=r"may not be contacted on push.*\[9\]"):
        au.export_audiences(push_cells, customers, tmp_path, salt="k")
    with pytest.raises(ValueError, match="fewer than 100"):
        au.export_audiences(cells.drop(index=7).iloc[:99], customers, tmp_path, salt="k")
    au.export_audiences(cells.drop(index=7).iloc[:100], customers, tmp_path, salt="k")  # exactly the minimum is allowed
    au.export_audiences(cells.drop(index=7).iloc[:101], customers, tmp_path, salt="k")  # and just above it
    assert not list(tmp_path.glob("*.csv")) == []


def test_range_plot_draws_a_dot_and_a_range_per_row():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from helpers.plots import range_plot
    estimate = pd.Series([1.0, -2.0, 3.0], index=["a", "b", "c"])
    ax = range_plot(estimate, estimate - 1, estimate + 1, "Profit", "profit ($)", "segment")
    top_to_bottom = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_to_bottom] == ["a", "b", "c"]  # read in the table's order
    assert ax.get_title() == "Profit" and ax.get_xlabel() == "profit ($)" and ax.get_ylabel() == "segment"
    assert len(ax.collections) == 1 and len(ax.collections[0].get_segments()) == 3
    plt.close("all")


def test_total_range_combines_independent_segments_not_worst_cases():
    table = pd.DataFrame({"contacts": [100, 100, 100], "cost": [10.0, 10.0, 10.0], "profit": [50.0, 50.0, 50.0],
                          "profit_low": [20.0, 20.0, 20.0], "profit_high": [90.0, 90.0, 90.0]})
    total = cp.total_with_range(table)
    assert total["profit"] == 150 and total["cost"] == 30
    assert total["profit_low"] == pytest.approx(150 - np.sqrt(3 * 30 ** 2), abs=0.005)  # not 60: all at worst
    assert total["profit_high"] == pytest.approx(150 + np.sqrt(3 * 40 ** 2), abs=0.005)
    one = cp.total_with_range(table.iloc[:1])
    assert one[["profit_low", "profit_high"]].tolist() == [20.0, 90.0]  # one segment keeps its own range
    assert cp.strategy_totals({"s": table}).loc["s", "profit_low"] == pytest.approx(total["profit_low"])


def test_targeted_send_savings_by_hand():
    efficiency = pd.DataFrame({"sends": [100, 300, 400], "incremental_per_1000": [50.0, -10.0, 27.5]},
                              index=["good", "bad", "everyone (blast)"])
    out = cp.targeted_send_savings(efficiency, keep=["good"], cost_per_send=0.5)
    assert out.loc["blast to everyone"].tolist() == [400, 11.0, 200.0, 27.5]
    assert out.loc["targeted send"].tolist() == [100, 5.0, 50.0, 50.0]
    empty = cp.targeted_send_savings(efficiency, keep=[])
    assert empty.loc["targeted send", "sends"] == 0 and np.isnan(empty.loc["targeted send", "incremental_per_1000_sends"])
    with pytest.raises(ValueError, match="unknown segment"):
        cp.targeted_send_savings(efficiency, keep=["ugly"])


def test_spillover_compares_uncontacted_friends_by_their_referrers_arm():
    customers = pd.DataFrame({"customer_id": range(1, 11),
                              "referred_by": [None, None, 1, 1, 2, 2, 1, None, 2, 99]})
    campaign = pd.DataFrame({"customer_id": range(1, 11),
                             "arm": ["treatment", "control", "control", "control", "control", "control", "treatment",
                                     "control", "control", "control"],
                             "converted": [0, 0, 1, 1, 0, 1, 1, 0, 0, 1]})
    check = sp.spillover_check(customers, campaign)
    # friends in the control arm: 3, 4 (referrer 1, emailed: 2 of 2 bought) and 5, 6, 9 (referrer 2, not: 1 of 3);
    # 7 got the email itself and 10's referrer is not in the campaign: both left out
    assert check["n_treated"] == 2 and check["n_control"] == 3
    assert check["effect"] == pytest.approx(1 - 1 / 3)


def test_shift_within_groups_fixes_each_groups_level_and_keeps_the_order_inside():
    from helpers.predict import shift_within
    probability = pd.Series([0.1, 0.2, 0.3, 0.1, 0.2, 0.3])
    groups = pd.Series(["a", "a", "a", "b", "b", "c"])
    shifted = shift_within(probability, groups, pd.Series({"a": 0.5, "b": 0.02}))
    assert shifted[:3].mean() == pytest.approx(0.5) and shifted[3:5].mean() == pytest.approx(0.02)
    assert shifted[0] < shifted[1] < shifted[2] and shifted[5] == 0.3  # c has no rate: unchanged


def test_shift_within_keeps_a_measured_zero_rate_inside_zero_and_one():
    from helpers.predict import shift_within
    shifted = shift_within(pd.Series([0.1, 0.2]), pd.Series(["a", "a"]), pd.Series({"a": 0.0}))
    assert (shifted > 0).all() and shifted.mean() == pytest.approx(1e-4)
