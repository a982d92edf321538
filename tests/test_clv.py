"""Customer lifetime value: the purchase history's rules, BG/NBD and Gamma-Gamma on hand-computable cases,
on data simulated from the model itself, and the published estimates reproduced on the CDNOW 1/10 cohort."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.clv import (BGNBD, GammaGamma, alive_grid, conditional_expectations, fit_bgnbd, fit_gamma_gamma,
                         forecast_check, frequency_value_correlation, lifetime_value, signed_up_before_the_log, purchase_history,
                         purchases_between, repeat_purchase_tracking, tracking_totals)
from helpers.real_data import cdnow

PAPER = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4, customers=2357, unit="weeks")
CALIBRATION_END, HOLDOUT_END = "1997-09-30", "1998-06-30"


def orders_of(rows):
    """Order lines from (order_id, customer, day, value, status) tuples."""
    frame = pd.DataFrame(rows, columns=["order_id", "customer_id", "order_ts", "unit_price", "status"])
    frame["order_ts"] = pd.to_datetime(frame["order_ts"])
    frame["quantity"] = np.where(frame["status"] == "returned", -1, 1)
    frame["unit_price"] = frame["unit_price"].abs()
    frame["discount"] = 0.0
    return frame


def history_of(x, t_x, big_t):
    return pd.DataFrame({"repeat_purchases": x, "last_purchase_time": t_x, "observed_time": big_t})


@pytest.fixture(scope="module")
def cohort():
    world = cdnow(sample=True)
    history = purchase_history(world.orders, CALIBRATION_END, unit="weeks")
    return world, history, fit_bgnbd(history)


# --------------------------------------------------------------------------- the history's rules
def test_same_day_orders_are_one_purchase_and_a_return_nets_its_order():
    orders = orders_of([(1, "a", "2025-01-01", 10.0, "completed"), (2, "a", "2025-01-01", 5.0, "completed"),
                        (3, "a", "2025-01-15", 30.0, "completed"), (3, "a", "2025-01-20", 10.0, "returned"),
                        (4, "a", "2025-01-29", 99.0, "cancelled"), (5, "b", "2025-01-20", 8.0, "completed")])
    history = purchase_history(orders, "2025-01-29", unit="days")
    assert history.loc["a", "repeat_purchases"] == 1            # 1 Jan (two orders) then 15 Jan; cancelled ignored
    assert history.loc["a", "last_purchase_time"] == 14.0
    assert history.loc["a", "observed_time"] == 28.0
    assert history.loc["a", "mean_repeat_value"] == 20.0        # 30 bought, 10 returned: the first purchase left out
    assert history.loc["b", "repeat_purchases"] == 0 and np.isnan(history.loc["b", "mean_repeat_value"])


def test_a_return_after_the_as_of_day_does_not_reach_back():
    orders = orders_of([(1, "a", "2025-01-01", 10.0, "completed"), (2, "a", "2025-01-08", 30.0, "completed"),
                        (2, "a", "2025-02-20", 30.0, "returned")])
    assert purchase_history(orders, "2025-01-31")["mean_repeat_value"].tolist() == [30.0]


def test_customers_without_a_completed_order_by_the_as_of_day_are_not_in_the_history():
    orders = orders_of([(1, "a", "2025-01-01", 10.0, "completed"), (2, "b", "2025-01-05", 10.0, "cancelled"),
                        (3, "c", "2025-03-01", 10.0, "completed")])
    assert purchase_history(orders, "2025-01-31").index.tolist() == ["a"]
    with pytest.raises(ValueError, match="no customer has a completed order on or before 2024-12-31"):
        purchase_history(orders, "2024-12-31")


def test_holdout_purchases_count_days_after_the_start_only():
    orders = orders_of([(1, "a", "2025-01-01", 10.0, "completed"), (2, "a", "2025-01-31", 10.0, "completed"),
                        (3, "a", "2025-02-02", 10.0, "completed"), (4, "a", "2025-02-02", 10.0, "completed")])
    history = purchase_history(orders, "2025-01-31")
    assert purchases_between(orders, history, "2025-01-31", "2025-02-28").tolist() == [1]
    with pytest.raises(ValueError, match="not after it starts"):
        purchases_between(orders, history, "2025-02-28", "2025-01-31")


def test_the_unit_must_be_days_or_weeks():
    orders = orders_of([(1, "a", "2025-01-01", 10.0, "completed")])
    with pytest.raises(ValueError, match=r"unit must be one of \['days', 'weeks'\], got 'months'"):
        purchase_history(orders, "2025-01-31", unit="months")


# --------------------------------------------------------------------------- BG/NBD by hand
def test_a_customer_who_never_bought_again_is_alive_and_expects_what_a_new_customer_does():
    history = history_of([0], [0.0], [0.0])
    assert PAPER.probability_alive(history).tolist() == [1.0]
    # nothing observed yet: the conditional expectation is the unconditional one (equation 9)
    for horizon in (1.0, 39.0, 200.0):
        assert PAPER.expected_purchases(history, horizon).iloc[0] == pytest.approx(PAPER.expected_purchases_new(horizon))


def test_probability_alive_by_hand_for_a_repeat_buyer():
    history = history_of([2], [30.43], [38.86])
    odds = 0.793 / (2.426 + 2 - 1) * ((4.414 + 38.86) / (4.414 + 30.43)) ** (0.243 + 2)
    assert PAPER.probability_alive(history).iloc[0] == pytest.approx(1 / (1 + odds), rel=1e-12)


def test_expected_purchases_match_fader_hardie_lees_worked_example():
    # their spreadsheet note's customer: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks
    assert PAPER.expected_purchases(history_of([2], [30.43], [38.86]), 39).iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_many_recent_purchases_mean_alive_and_many_then_silence_mean_gone():
    history = history_of([20, 20], [38.0, 5.0], [38.86, 38.86])
    alive = PAPER.probability_alive(history)
    assert alive.iloc[0] > 0.9 and alive.iloc[1] < 1e-6
    expected = PAPER.expected_purchases(history, 39)
    assert expected.iloc[0] > 10 and expected.iloc[1] < 1e-4


def test_expected_purchases_grow_with_the_horizon_and_start_at_zero():
    history = history_of([0, 3], [0.0, 20.0], [30.0, 30.0])
    horizons = [0, 1, 10, 52, 104]
    values = np.column_stack([PAPER.expected_purchases(history, h).to_numpy() for h in horizons])
    assert (values[:, 0] == 0).all() and (np.diff(values, axis=1) > 0).all()


def test_probability_of_purchase_agrees_with_the_model_simulated_forward():
    """P(a purchase in the next t) checked against customers drawn from the model's posterior and run forward."""
    x, t_x, big_t, horizon = 2, 30.43, 38.86, 20.0
    rng = np.random.default_rng(3)
    alive = rng.random(400_000) < PAPER.probability_alive(history_of([x], [t_x], [big_t])).iloc[0]
    rate = rng.gamma(PAPER.r + x, 1 / (PAPER.alpha + big_t), alive.size)   # the rate's posterior given the history
    buys = alive & (rng.exponential(1 / rate) < horizon)                    # alive now: drop-out only after a purchase
    assert PAPER.probability_of_purchase(history_of([x], [t_x], [big_t]), horizon).iloc[0] == pytest.approx(
        buys.mean(), abs=3e-3)


def test_the_rate_and_dropout_distributions_are_the_papers_gamma_and_beta():
    rates, dropout = PAPER.purchase_rates(), PAPER.dropout_chances()
    assert rates.mean() == pytest.approx(0.243 / 4.414)          # alpha is a rate: scale 1 / alpha
    assert rates.var() == pytest.approx(0.243 / 4.414 ** 2)
    assert rates.cdf(rates.mean()) > 0.7                          # r < 1: J-shaped, most buy slower than the mean
    assert rates.median() < rates.mean() / 5
    assert dropout.mean() == pytest.approx(0.793 / (0.793 + 2.426))


def test_the_alive_grid_leaves_histories_that_cannot_happen_blank():
    grid = alive_grid(PAPER, 39, repeat_purchases=[0, 1, 4], since_last=[0, 20, 39])
    # no repeat purchase: silent since the first purchase, so only the 39-week column is a real history
    assert grid.loc[0].isna().tolist() == [True, True, False] and grid.loc[0, "39"] == 1.0
    # a repeat purchase comes on a later day than the first, so 39 weeks of silence after it is impossible
    assert grid.loc[[1, 4], "39"].isna().all() and grid.loc[[1, 4], ["0", "20"]].notna().all().all()


def test_history_rows_that_are_not_a_history_are_named():
    with pytest.raises(ValueError, match=r"rows \[1\] are not a purchase history"):
        PAPER.probability_alive(history_of([1, 1], [3.0, 9.0], [5.0, 4.0]))
    with pytest.raises(KeyError, match="history \\(from purchase_history\\) lacks column"):
        PAPER.probability_alive(pd.DataFrame({"x": [1]}))


def test_fit_refuses_a_history_without_repeat_purchases_or_without_time():
    with pytest.raises(ValueError, match="none of its 3 customers bought again"):
        fit_bgnbd(history_of([0, 0, 0], [0.0, 0, 0], [5.0, 6, 7]))
    with pytest.raises(ValueError, match="no time was observed"):
        fit_bgnbd(history_of([0, 1], [0.0, 0], [0.0, 0]))


def simulated_history(customers: int, r: float, alpha: float, a: float, b: float, horizon: float, seed: int):
    """Purchase histories drawn from BG/NBD itself: gamma rates, a beta drop-out chance after each purchase."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1 / alpha, customers)
    dropout = rng.beta(a, b, customers)
    x, last = np.zeros(customers), np.zeros(customers)
    now, active = np.zeros(customers), np.ones(customers, bool)
    while active.any():
        now = now + rng.exponential(1 / np.maximum(rate, 1e-12))
        active &= now < horizon
        x += active
        last = np.where(active, now, last)
        active &= rng.random(customers) >= dropout   # after a purchase, gone with chance p
    return history_of(x, last, np.full(customers, horizon))


def test_fit_recovers_the_parameters_of_data_drawn_from_the_model():
    truth = dict(r=0.5, alpha=6.0, a=0.7, b=2.5)
    model = fit_bgnbd(simulated_history(40_000, horizon=52.0, seed=7, **truth))
    for name, value in truth.items():
        assert model.parameters()[name] == pytest.approx(value, rel=0.15), name


def test_a_fit_in_days_is_the_fit_in_weeks_with_alpha_seven_times_larger(cohort):
    world, weeks, model = cohort
    days = purchase_history(world.orders, CALIBRATION_END, unit="days")
    in_days = fit_bgnbd(days, unit="days")
    assert in_days.alpha == pytest.approx(7 * model.alpha, rel=1e-3)
    for name in ("r", "a", "b"):
        assert in_days.parameters()[name] == pytest.approx(model.parameters()[name], rel=1e-3)
    # densities of times scale by 1/7 per repeat purchase
    assert in_days.log_likelihood == pytest.approx(model.log_likelihood - weeks["repeat_purchases"].sum() * np.log(7),
                                                   abs=1e-3)
    assert in_days.expected_purchases(days, 273).sum() == pytest.approx(model.expected_purchases(weeks, 39).sum(),
                                                                       rel=1e-3)


# --------------------------------------------------------------------------- the published results
def test_bgnbd_reproduces_fader_hardie_lee_2005_on_the_cdnow_cohort(cohort):
    _, history, model = cohort
    assert len(history) == 2357 and history["repeat_purchases"].sum() == 2457
    fitted = {name: float(f"{value:.3g}") for name, value in model.parameters().items()}
    assert fitted == {"r": 0.243, "alpha": 4.41, "a": 0.793, "b": 2.43}   # the paper: 0.243, 4.414, 0.793, 2.426
    assert round(model.log_likelihood, 1) == -9582.4


def test_gamma_gamma_reproduces_fader_and_hardies_note_on_the_cdnow_cohort(cohort):
    _, history, _ = cohort
    spend = fit_gamma_gamma(history)
    assert (spend.customers, spend.left_out) == (946, 1411)
    assert {k: float(f"{getattr(spend, k):.3g}") for k in ("p", "q", "gamma")} == {"p": 6.25, "q": 3.74, "gamma": 15.4}


def test_holdout_tracking_adds_up_and_the_forecast_is_close(cohort):
    world, history, model = cohort
    tracking = repeat_purchase_tracking(world.orders, model, history, CALIBRATION_END, HOLDOUT_END)
    holdout = purchases_between(world.orders, history, CALIBRATION_END, HOLDOUT_END)
    assert len(tracking) == 78 and tracking["holdout"].sum() == 39
    assert tracking.loc[~tracking["holdout"], "actual"].sum() == history["repeat_purchases"].sum()
    assert tracking.loc[tracking["holdout"], "actual"].sum() == holdout.sum() == 1882
    error = tracking["cumulative_expected"].iloc[-1] / tracking["cumulative_actual"].iloc[-1] - 1
    assert -0.05 < error < -0.03          # 4,166 expected by week 78 against 4,339 made: 4.0% under
    by_frequency = conditional_expectations(model, history, holdout, 39)
    assert by_frequency["customers"].sum() == 2357 and by_frequency.index[-1] == "7+"
    # the groups' missing purchases add up to the per-customer shortfall; one or two repeat purchases: 25% short
    assert by_frequency["purchases_short"].sum() == pytest.approx(1882 - model.expected_purchases(history, 39).sum())
    assert (by_frequency["gap"] < 0).all() and by_frequency.loc[["1", "2"], "gap"].max() < -0.24
    assert np.corrcoef(holdout, model.expected_purchases(history, 39))[0, 1] == pytest.approx(0.626, abs=1e-3)


def test_tracking_totals_split_the_running_total_into_calibration_and_holdout(cohort):
    world, history, model = cohort
    tracking = repeat_purchase_tracking(world.orders, model, history, CALIBRATION_END, HOLDOUT_END)
    totals = tracking_totals(tracking)
    assert totals.index.tolist() == ["calibration", "holdout", "calibration and holdout"]
    assert totals["periods"].tolist() == [39, 39, 78]
    assert totals.loc["holdout", "made"] == 1882 and totals.loc["calibration", "made"] == 2457
    assert totals.loc["calibration and holdout", "made"] == tracking["cumulative_actual"].iloc[-1]
    assert totals.loc["calibration and holdout", "expected"] == pytest.approx(
        totals.loc["calibration", "expected"] + totals.loc["holdout", "expected"], abs=1)
    # the running total is 4% under at week 78, but the holdout weeks alone are 12% under
    assert totals.loc["calibration and holdout", "gap"] == pytest.approx(-0.040, abs=5e-4)
    assert totals.loc["holdout", "gap"] == pytest.approx(-0.116, abs=5e-4)


def test_forecast_check_by_hand():
    made, expected = pd.Series([0, 2, 4], index=list("abc")), pd.Series([0.5, 1.5, 3.0], index=list("cab"))
    check = forecast_check(made, expected, "window")
    assert check.index.tolist() == ["window"]
    row = check.loc["window"]
    assert row["made"] == 6 and row["expected"] == 5.0 and row["gap"] == pytest.approx(5 / 6 - 1, abs=5e-4)
    # aligned by customer, not by position: c expected 0.5, a 1.5, b 3.0 against 4, 0, 2
    assert row["correlation"] == pytest.approx(np.corrcoef([0, 2, 4], [1.5, 3.0, 0.5])[0, 1], abs=5e-3)
    with pytest.raises(ValueError, match="no purchase was made"):
        forecast_check(pd.Series([0, 0]), pd.Series([1.0, 2.0]))


def test_frequency_and_value_are_nearly_independent_on_cdnow_as_the_gamma_gamma_note_says(cohort):
    _, history, _ = cohort
    correlation = frequency_value_correlation(history)
    assert correlation["repeat buyers"] == 946
    assert correlation["pearson"] == pytest.approx(0.11, abs=0.01)     # the note: 0.11
    assert correlation["spearman"] == pytest.approx(0.21, abs=0.01)
    by_hand = pd.DataFrame({"repeat_purchases": [0, 1, 2, 3], "mean_repeat_value": [np.nan, 10.0, 20.0, 30.0]})
    assert frequency_value_correlation(by_hand)[["pearson", "spearman"]].tolist() == pytest.approx([1.0, 1.0])


# --------------------------------------------------------------------------- spend and value
def test_gamma_gamma_shrinks_a_customers_mean_towards_the_population():
    model = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, customers=946, left_out=0)
    history = pd.DataFrame({"repeat_purchases": [0, 1, 50], "mean_repeat_value": [np.nan, 100.0, 100.0]})
    value = model.expected_value(history)
    assert value.iloc[0] == pytest.approx(6.25 * 15.44 / 2.74)
    assert value.iloc[0] < value.iloc[1] < value.iloc[2] < 100


def test_gamma_gamma_refuses_too_few_repeat_buyers_and_counts_who_it_left_out():
    few = pd.DataFrame({"repeat_purchases": [1, 2, 0], "mean_repeat_value": [10.0, -5.0, np.nan]})
    with pytest.raises(ValueError, match="1 customers have a repeat purchase of positive value"):
        fit_gamma_gamma(few)


def test_lifetime_value_is_zero_without_margin_effect_and_falls_with_the_discount_rate():
    spend = GammaGamma(6.25, 3.74, 15.44, 0.0, 946, 0)
    history = pd.DataFrame({"repeat_purchases": [2, 0], "last_purchase_time": [30.43, 0.0],
                            "observed_time": [38.86, 38.86], "mean_repeat_value": [40.0, np.nan]})
    undiscounted = lifetime_value(PAPER, spend, history, horizon=52, annual_discount=0.0)
    expected = PAPER.expected_purchases(history, 52) * spend.expected_value(history)
    assert undiscounted["clv"].to_numpy() == pytest.approx(expected.to_numpy())
    discounted = lifetime_value(PAPER, spend, history, horizon=52, annual_discount=0.2)
    assert (discounted["clv"] < undiscounted["clv"]).all()
    with pytest.raises(ValueError, match="margin is a share"):
        lifetime_value(PAPER, spend, history, horizon=52, margin=30)


def test_the_tracking_plot_can_count_weeks_as_the_text_does(cohort):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from helpers import plots
    world, history, model = cohort
    tracking = repeat_purchase_tracking(world.orders, model, history, CALIBRATION_END, HOLDOUT_END)
    ax = plots.tracking_plot(tracking, "weeks", period="week")
    assert ax.lines[0].get_xdata().tolist() == list(range(1, 79)) and ax.get_xlabel().startswith("week")
    assert ax.get_ylabel() == "repeat purchases" and ax.get_title() == "weeks"
    plt.close(ax.figure)


def test_customers_who_signed_up_before_the_log_starts_are_counted():
    orders = orders_of([(1, "a", "2025-01-05", 10.0, "completed"), (2, "b", "2025-02-01", 10.0, "completed")])
    signup = pd.Series(pd.to_datetime(["2024-06-01", "2025-01-20", "2025-01-10"]), index=["a", "b", "c"])
    table = signed_up_before_the_log(signup, orders, buyers=pd.Index(["a", "b"]))
    assert table.loc["all customers"].tolist() == [3, 1, pytest.approx(1 / 3)]
    assert table.loc["buyers"].tolist() == [2, 1, 0.5]
    assert table.attrs["log_starts"] == pd.Timestamp("2025-01-05") and table.attrs["first_signup"] == pd.Timestamp("2024-06-01")
