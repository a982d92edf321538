"""Customer lifetime value: the BG/NBD purchase model and the Gamma-Gamma spend model, on scipy only.

The models are those of Fader, Hardie & Lee (2005), "Counting your
customers" the easy way, *Marketing Science* 24(2), and Fader & Hardie's
note on the Gamma-Gamma model of monetary value (2013), fitted by maximum
likelihood with the log-likelihood in closed form (``gammaln``) and its
gradient, so a million customers fit in seconds.

The rules, stated once:

* A customer's history starts at their **first purchase**; customers with no
  completed order by the as-of day are not in the history (the models describe
  what a customer does after a first purchase; :func:`helpers.rfm.rfm_table`
  lists them as "no purchase").
* A **purchase** is a day with at least one completed order (several orders on
  one day are one purchase, as the paper counts them). ``repeat_purchases`` (the
  paper's *x*) is the number of purchase days after the first one.
* Recency and tenure are :func:`helpers.rfm.rfm_table`'s, in the chosen unit:
  ``last_purchase_time`` (*t_x*) is the time from the first purchase to the last,
  ``observed_time`` (*T*) from the first purchase to the as-of day.
* A purchase's **value** is the net value (:func:`helpers.sales.net_line_value`)
  of the orders placed that day, less what came back from them by the as-of day.
  ``mean_repeat_value`` (the Gamma-Gamma model's *m_x*) averages the repeat
  purchases only, as the note does: the first purchase is often unlike the rest.

What BG/NBD assumes (say it when you use it): customers buy at a steady rate
while "alive" (a Poisson process, rates varying across customers as a gamma);
just after each *repeat* purchase a customer may drop out for good (a coin with
a beta-distributed chance; the first purchase gives no such chance: MBG/NBD,
Batislam, Denizel & Filiztekin 2007, adds one); nothing is seasonal and no marketing changes the
rates; drop-out is never observed (a non-contractual setting). It breaks where
buying is seasonal or driven by campaigns, where customers come back after
long gaps, or in a subscription business where churn is observed.

>>> orders = pd.DataFrame({"order_id": [1, 2, 3, 4], "customer_id": [7, 7, 7, 8],
...     "order_ts": pd.to_datetime(["2025-01-01", "2025-01-08", "2025-01-15", "2025-01-29"]),
...     "quantity": [1, 1, 1, 1], "unit_price": [10.0, 20.0, 40.0, 5.0], "discount": [0.0] * 4,
...     "status": ["completed"] * 4})
>>> purchase_history(orders, as_of="2025-01-29", unit="weeks").drop(columns="first_purchase").T
customer_id            7    8
repeat_purchases     2.0  0.0
last_purchase_time   2.0  0.0
observed_time        4.0  0.0
mean_repeat_value   30.0  NaN
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize
from scipy.special import digamma, gammaln, hyp2f1

from .rfm import ORDER_COLUMNS, _require, as_of_day, rfm_table
from .sales import net_line_value

UNIT_DAYS = {"days": 1, "weeks": 7}
DAYS_PER_YEAR = 365.25
HISTORY_COLUMNS = ("repeat_purchases", "last_purchase_time", "observed_time")


def _unit_days(unit: str) -> int:
    if unit not in UNIT_DAYS:
        raise ValueError(f"unit must be one of {list(UNIT_DAYS)}, got {unit!r}")
    return UNIT_DAYS[unit]


def _purchase_days(orders: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """One row per customer and purchase day before ``end``: the day and the net value of that day's orders.

    An order's value nets its returns dated before ``end`` (a return row carries its order's id);
    the value is that of the day the order was placed.
    """
    lines = orders[(orders["order_ts"] < end).to_numpy()]
    completed = (lines["status"] == "completed").to_numpy()
    placed = pd.DataFrame({"order_id": lines["order_id"].to_numpy()[completed],
                           "customer_id": lines["customer_id"].to_numpy()[completed],
                           "day": lines["order_ts"].to_numpy()[completed].astype("datetime64[D]")})
    placed = placed.drop_duplicates("order_id")  # an order's day is that of its first completed line
    value = net_line_value(lines).groupby(lines["order_id"].to_numpy()).sum()
    placed["value"] = value.reindex(placed["order_id"].to_numpy()).to_numpy()
    days = placed.groupby(["customer_id", "day"], sort=True)["value"].sum()
    return days.reset_index()


def purchase_history(orders: pd.DataFrame, as_of: str | pd.Timestamp, unit: str = "weeks") -> pd.DataFrame:
    """Each customer's repeat purchases, their timing and their mean value up to the as-of day (see the module's rules).

    Columns: ``repeat_purchases`` (x), ``last_purchase_time`` (t_x) and
    ``observed_time`` (T) in ``unit`` ("days" or "weeks"),
    ``mean_repeat_value`` (m_x; empty without a repeat purchase) and
    ``first_purchase`` (a date). Rows: customers with a completed order by the
    as-of day, sorted by id. Example in the module's docstring.
    """
    _require(orders, ORDER_COLUMNS, "orders")
    step = _unit_days(unit)
    day = as_of_day(as_of)
    if not ((orders["status"] == "completed") & (orders["order_ts"] < day + pd.Timedelta(days=1))).any():
        raise ValueError(f"orders: no customer has a completed order on or before {day.date()}; "
                         "a purchase history starts at a first purchase")
    rfm = rfm_table(orders, as_of=day)
    rfm = rfm[rfm["frequency"] > 0]
    days = _purchase_days(orders, day + pd.Timedelta(days=1))
    counts = days.groupby("customer_id").size().reindex(rfm.index)
    total = days.groupby("customer_id")["value"].sum().reindex(rfm.index)
    first_value = days.groupby("customer_id")["value"].first().reindex(rfm.index)
    repeats = (counts - 1).astype("int64")
    mean_repeat = ((total - first_value) / repeats.where(repeats > 0)).round(6)
    return pd.DataFrame({
        "repeat_purchases": repeats,
        "last_purchase_time": (rfm["tenure_days"] - rfm["recency_days"]) / step,
        "observed_time": rfm["tenure_days"] / step,
        "mean_repeat_value": mean_repeat,
        "first_purchase": day - pd.to_timedelta(rfm["tenure_days"], unit="D"),
    }, index=rfm.index)


def purchases_between(orders: pd.DataFrame, history: pd.DataFrame, start: str | pd.Timestamp,
                      end: str | pd.Timestamp) -> pd.Series:
    """Purchase days of each customer in ``history`` after the ``start`` day, up to and including the ``end`` day.

    The holdout count to judge :meth:`BGNBD.expected_purchases` by (zeros for
    customers who did not buy).

    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "customer_id": [7, 7, 7],
    ...     "order_ts": pd.to_datetime(["2025-01-01", "2025-02-03", "2025-02-03"]),
    ...     "quantity": [1, 1, 1], "unit_price": [1.0] * 3, "discount": [0.0] * 3, "status": ["completed"] * 3})
    >>> purchases_between(orders, purchase_history(orders, "2025-01-31"), "2025-01-31", "2025-02-28").tolist()
    [1]
    """
    start_day, end_day = as_of_day(start), as_of_day(end)
    if end_day <= start_day:
        raise ValueError(f"the window ends {end_day.date()}, not after it starts ({start_day.date()})")
    days = _purchase_days(orders, end_day + pd.Timedelta(days=1))
    later = days[days["day"] > start_day.to_datetime64()]
    counts = later.groupby("customer_id").size()
    return counts.reindex(history.index, fill_value=0).astype("int64").rename("purchases")


def _history_arrays(history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _require(history, HISTORY_COLUMNS, "history (from purchase_history)")
    x, t_x, big_t = (history[c].to_numpy(float) for c in HISTORY_COLUMNS)
    bad = ~np.isfinite(x) | ~np.isfinite(t_x) | ~np.isfinite(big_t) | (x < 0) | (t_x < 0) | (t_x > big_t)
    if bad.any():
        raise ValueError(f"history: rows {history.index[bad][:5].tolist()} are not a purchase history "
                         "(need repeat_purchases >= 0 and 0 <= last_purchase_time <= observed_time)")
    return x, t_x, big_t


# --------------------------------------------------------------------------- BG/NBD
def _bgnbd_loglik(params: np.ndarray, x, t_x, big_t, gradient: bool = True):
    """Per-customer log-likelihood of BG/NBD, and its gradient with respect to the log parameters."""
    r, alpha, a, b = params
    buyer = x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + big_t)
    b_x1 = np.where(buyer, b + x - 1, 1.0)
    a4 = np.where(buyer, np.log(a) - np.log(b_x1) - (r + x) * np.log(alpha + t_x), -np.inf)
    both = np.logaddexp(a3, a4)
    loglik = a1 + a2 + both
    if not gradient:
        return loglik, None
    w3, w4 = np.exp(a3 - both), np.where(buyer, np.exp(a4 - both), 0.0)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * np.log(alpha + big_t) - w4 * np.log(alpha + t_x)
    d_alpha = r / alpha - w3 * (r + x) / (alpha + big_t) - w4 * (r + x) / (alpha + t_x)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - w4 / b_x1
    return loglik, np.stack([d_r, d_alpha, d_a, d_b])


def _maximize(loglik, start: np.ndarray, names: tuple[str, ...], what: str) -> tuple[np.ndarray, float]:
    """Maximum likelihood over the log parameters (all parameters are positive)."""
    def objective(log_params):
        params = np.exp(log_params)
        total, grad = loglik(params)
        return -total, -grad * params

    with np.errstate(over="ignore", invalid="ignore"):
        fit = minimize(objective, np.log(start), jac=True, method="L-BFGS-B",
                       bounds=[(-20.0, 20.0)] * len(start), options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9})
    params = np.exp(fit.x)
    if not np.isfinite(fit.fun) or not fit.success:
        raise ValueError(f"{what} did not converge ({fit.message}); parameters reached "
                         + ", ".join(f"{n}={v:.4g}" for n, v in zip(names, params)))
    return params, -float(fit.fun)


@dataclass(frozen=True)
class BGNBD:
    """A fitted BG/NBD model: purchase rates gamma(r, alpha), drop-out chances beta(a, b), times in ``unit``.

    >>> model = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=-9582.4, customers=2357, unit="weeks")
    >>> history = pd.DataFrame({"repeat_purchases": [0, 2], "last_purchase_time": [0.0, 30.43],
    ...                         "observed_time": [38.86, 38.86]})
    >>> model.expected_purchases(history, 39).round(3).tolist()
    [0.195, 1.226]
    >>> model.probability_alive(history).round(3).tolist()
    [1.0, 0.727]
    """

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int
    unit: str

    def parameters(self) -> dict[str, float]:
        """The four parameters by name."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def purchase_rates(self):
        """How purchase rates (purchases per unit of time, while alive) vary across customers: scipy's gamma.

        *alpha* is a **rate** parameter (scipy's scale is 1 / alpha), so the
        mean rate is r / alpha; with r below 1 the density is J-shaped and
        most customers buy more slowly than the mean.

        >>> rates = BGNBD(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "weeks").purchase_rates()
        >>> [round(float(v), 4) for v in (rates.mean(), rates.median(), rates.cdf(rates.mean()))]
        [0.0551, 0.0091, 0.7463]
        """
        return stats.gamma(self.r, scale=1 / self.alpha)

    def dropout_chances(self):
        """How the chance of dropping out just after a repeat purchase varies across customers: scipy's beta(a, b).

        >>> round(float(BGNBD(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "weeks").dropout_chances().mean()), 3)
        0.246
        """
        return stats.beta(self.a, self.b)

    def probability_alive(self, history: pd.DataFrame) -> pd.Series:
        """P(the customer has not dropped out) at the end of their history; 1 for customers with no repeat purchase."""
        x, t_x, big_t = _history_arrays(history)
        return pd.Series(1.0 / (1.0 + self._dropout_odds(x, t_x, big_t)), index=history.index, name="probability_alive")

    def _dropout_odds(self, x, t_x, big_t):
        buyer = x > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = self.a / (self.b + x - 1) * ((self.alpha + big_t) / (self.alpha + t_x)) ** (self.r + x)
        return np.where(buyer, odds, 0.0)

    def expected_purchases(self, history: pd.DataFrame, horizon: float) -> pd.Series:
        """Expected purchases of each customer in the ``horizon`` (in the model's unit) after their history ends.

        Equation (10) of Fader, Hardie & Lee (2005); example in the class docstring.
        """
        if horizon < 0:
            raise ValueError(f"horizon must be zero or more ({self.unit}), got {horizon}")
        x, t_x, big_t = _history_arrays(history)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = horizon / (alpha + big_t + horizon)
        tail = ((alpha + big_t) / (alpha + big_t + horizon)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        expected = (a + b + x - 1) / (a - 1) * (1 - tail) / (1 + self._dropout_odds(x, t_x, big_t))
        return pd.Series(expected, index=history.index, name="expected_purchases")

    def probability_of_purchase(self, history: pd.DataFrame, horizon: float) -> pd.Series:
        """P(at least one purchase in the ``horizon`` after the history ends): alive, and the rate yields one.

        A customer drops out only just after a repeat purchase, so one with no
        purchase in the window is either gone or alive and quiet:
        P(none) = (1 - P(alive)) + P(alive) ((alpha + T) / (alpha + T + t))^(r + x).

        >>> model = BGNBD(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "weeks")
        >>> history = pd.DataFrame({"repeat_purchases": [2], "last_purchase_time": [30.43], "observed_time": [38.86]})
        >>> model.probability_of_purchase(history, 39).round(3).tolist()
        [0.555]
        """
        if horizon < 0:
            raise ValueError(f"horizon must be zero or more ({self.unit}), got {horizon}")
        x, _, big_t = _history_arrays(history)
        quiet = ((self.alpha + big_t) / (self.alpha + big_t + horizon)) ** (self.r + x)
        alive = self.probability_alive(history).to_numpy()
        return pd.Series(alive * (1 - quiet), index=history.index, name="probability_of_purchase")

    def expected_purchases_new(self, time) -> np.ndarray:
        """Expected repeat purchases of a customer in the ``time`` after their first purchase (equation 9).

        >>> BGNBD(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "weeks").expected_purchases_new([0, 39]).round(3).tolist()
        [0.0, 1.197]
        """
        t = np.clip(np.asarray(time, dtype=float), 0, None)  # no purchase before the first
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        expected = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        return expected + 0.0  # no minus zero at time 0


def fit_bgnbd(history: pd.DataFrame, unit: str | None = None) -> BGNBD:
    """BG/NBD fitted by maximum likelihood to a :func:`purchase_history` table.

    ``unit`` only labels the result (the history's times are in it; default
    weeks). Refuses histories it cannot learn from: no repeat purchase at all
    (nothing says how often customers buy), or no time observed.

    >>> history = pd.DataFrame({"repeat_purchases": [0, 1, 3, 0, 2, 5, 0, 1],
    ...     "last_purchase_time": [0.0, 10, 30, 0, 12, 35, 0, 3], "observed_time": [40.0, 38, 39, 36, 40, 37, 35, 39]})
    >>> round(fit_bgnbd(history).log_likelihood, 2)
    -49.25
    """
    x, t_x, big_t = _history_arrays(history)
    if not (x > 0).any():
        raise ValueError(f"history: none of its {len(x):,} customers bought again; BG/NBD learns how often customers "
                         "buy from repeat purchases: use a longer history")
    if not (big_t > 0).any():
        raise ValueError("history: every customer's first purchase is on the as-of day, so no time was observed")
    start = np.array([1.0, max(float(big_t.mean()), 1e-3), 1.0, 1.0])
    params, loglik = _maximize(lambda p: tuple(v.sum(axis=-1) for v in _bgnbd_loglik(p, x, t_x, big_t)),
                               start, ("r", "alpha", "a", "b"), "BG/NBD")
    return BGNBD(*map(float, params), log_likelihood=loglik, customers=len(x), unit=unit or "weeks")


def bgnbd_features(orders: pd.DataFrame, customers: pd.Index, as_of: str | pd.Timestamp,
                   horizon_days: float) -> pd.DataFrame:
    """BG/NBD's view of each customer as of a day, as model features: fitted on the history up to that day only.

    Columns ``probability_alive``, ``expected_purchases`` and
    ``probability_of_purchase`` (both for the ``horizon_days`` after the
    as-of day), in days. The model sees :func:`purchase_history` up to the
    as-of day and nothing after it, so the columns can stand beside features
    computed at the same day without leaking the outcome window. One row per
    customer in ``customers``, in that order; customers with no purchase by
    the as-of day have empty cells (BG/NBD describes customers after a first
    purchase), never a dropped row.

    >>> orders = pd.DataFrame({"order_id": range(6), "customer_id": [1, 1, 1, 2, 2, 3],
    ...     "order_ts": pd.to_datetime(["2025-01-01", "2025-01-20", "2025-02-10", "2025-01-05", "2025-02-20", "2025-01-03"]),
    ...     "quantity": [1] * 6, "unit_price": [10.0] * 6, "discount": [0.0] * 6, "status": ["completed"] * 6})
    >>> bgnbd_features(orders, pd.Index([1, 2, 3, 4]), "2025-02-28", 30)["probability_alive"].notna().tolist()
    [True, True, True, False]
    """
    if horizon_days <= 0:
        raise ValueError(f"horizon_days must be positive, got {horizon_days}")
    history = purchase_history(orders, as_of, unit="days")
    model = fit_bgnbd(history, unit="days")
    table = pd.DataFrame({"probability_alive": model.probability_alive(history),
                          "expected_purchases": model.expected_purchases(history, horizon_days),
                          "probability_of_purchase": model.probability_of_purchase(history, horizon_days)})
    return table.reindex(pd.Index(customers, name="customer_id"))


# --------------------------------------------------------------------------- Gamma-Gamma
def _gamma_gamma_loglik(params, x, m):
    p, q, v = params
    px = p * x
    loglik = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m)
              + px * np.log(x) - (px + q) * np.log(v + m * x))
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(v + m * x))
    d_q = digamma(px + q) - digamma(q) + np.log(v) - np.log(v + m * x)
    d_v = q / v - (px + q) / (v + m * x)
    return loglik.sum(), np.array([d_p.sum(), d_q.sum(), d_v.sum()])


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma spend model: a purchase's value is gamma(p, nu), nu varying across customers as gamma(q, gamma).

    >>> model = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0, customers=946, left_out=0)
    >>> round(model.population_mean(), 2)
    35.22
    >>> history = pd.DataFrame({"repeat_purchases": [0, 1, 10], "mean_repeat_value": [None, 100.0, 100.0]})
    >>> model.expected_value(history).round(2).tolist()
    [35.22, 80.26, 97.28]
    """

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int
    left_out: int

    def population_mean(self) -> float:
        """The mean value of a purchase across customers (p gamma / (q - 1))."""
        return self.p * self.gamma / (self.q - 1)

    def expected_value(self, history: pd.DataFrame) -> pd.Series:
        """Each customer's expected value of a purchase: their own mean, shrunk towards the population's.

        Customers with no repeat purchase get the population mean.
        """
        _require(history, ("repeat_purchases", "mean_repeat_value"), "history (from purchase_history)")
        x = history["repeat_purchases"].to_numpy(float)
        m = history["mean_repeat_value"].to_numpy(float)
        own = np.where(x > 0, np.nan_to_num(m), 0.0)
        value = (self.gamma + own * x) * self.p / (self.p * x + self.q - 1)
        return pd.Series(value, index=history.index, name="expected_value")


def fit_gamma_gamma(history: pd.DataFrame) -> GammaGamma:
    """The Gamma-Gamma spend model fitted to the repeat buyers of a :func:`purchase_history` table.

    It learns from customers with a repeat purchase of positive mean value;
    the others are left out of the fit and counted in ``left_out`` (a customer
    whose repeat purchases all came back has no value to learn from). Refuses
    fewer than ten such customers, and a fit whose mean would be infinite (q <= 1).

    >>> history = pd.DataFrame({"repeat_purchases": [1, 2, 3, 1, 4, 2, 1, 5, 2, 3, 0],
    ...     "mean_repeat_value": [20.0, 35, 18, 60, 25, 40, 15, 30, 22, 50, None]})
    >>> model = fit_gamma_gamma(history)
    >>> model.customers, model.left_out
    (10, 1)
    """
    _require(history, ("repeat_purchases", "mean_repeat_value"), "history (from purchase_history)")
    x = history["repeat_purchases"].to_numpy(float)
    m = history["mean_repeat_value"].to_numpy(float)
    usable = (x > 0) & np.isfinite(m) & (m > 0)
    if usable.sum() < 10:
        raise ValueError(f"history: {int(usable.sum())} customers have a repeat purchase of positive value; "
                         "the Gamma-Gamma model needs at least 10")
    x, m = x[usable], m[usable]
    start = np.array([1.0, 2.0, float(m.mean())])
    params, loglik = _maximize(lambda p: _gamma_gamma_loglik(p, x, m), start, ("p", "q", "gamma"), "Gamma-Gamma")
    if params[1] <= 1:
        raise ValueError(f"Gamma-Gamma: q = {params[1]:.3g} <= 1, so the mean value of a purchase is infinite; "
                         "spend is too skewed for this model (look for outliers)")
    return GammaGamma(*map(float, params), log_likelihood=loglik, customers=int(usable.sum()),
                      left_out=int((~usable).sum()))


# --------------------------------------------------------------------------- value and tracking
def lifetime_value(purchases: BGNBD, spend: GammaGamma, history: pd.DataFrame, horizon: float,
                   margin: float = 1.0, annual_discount: float = 0.10, steps: int | None = None) -> pd.DataFrame:
    """Expected purchases, value and discounted lifetime value per customer over the ``horizon`` (in the model's unit).

    The horizon is cut into ``steps`` equal periods (default: one per week or
    per 30 days); each period's expected purchases are valued at the
    customer's expected purchase value times ``margin`` and discounted at
    ``annual_discount`` a year from the period's end. Columns:
    ``expected_purchases``, ``probability_alive``, ``expected_value`` (of a
    purchase), ``clv`` (discounted, after margin).

    >>> model = BGNBD(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "weeks")
    >>> spend = GammaGamma(6.25, 3.74, 15.44, 0.0, 946, 0)
    >>> history = pd.DataFrame({"repeat_purchases": [2], "last_purchase_time": [30.43], "observed_time": [38.86],
    ...                         "mean_repeat_value": [40.0]})
    >>> lifetime_value(model, spend, history, horizon=52, margin=0.3)["clv"].round(2).tolist()
    [17.5]
    """
    if horizon <= 0:
        raise ValueError(f"horizon must be positive ({purchases.unit}), got {horizon}")
    if not 0 < margin <= 1:
        raise ValueError(f"margin is a share of the purchase value kept as profit (0 to 1], got {margin}")
    step_days = _unit_days(purchases.unit)
    steps = steps or max(1, int(np.ceil(horizon * step_days / (7 if step_days == 7 else 30))))
    ends = np.linspace(horizon / steps, horizon, steps)
    cumulative = np.column_stack([purchases.expected_purchases(history, end).to_numpy() for end in ends])
    per_period = np.diff(cumulative, axis=1, prepend=0.0)
    discount = (1 + annual_discount) ** -(ends * step_days / DAYS_PER_YEAR)
    value = spend.expected_value(history).to_numpy()
    return pd.DataFrame({"expected_purchases": cumulative[:, -1],
                         "probability_alive": purchases.probability_alive(history).to_numpy(),
                         "expected_value": value,
                         "clv": (per_period * discount).sum(axis=1) * value * margin}, index=history.index)


def repeat_purchase_tracking(orders: pd.DataFrame, purchases: BGNBD, history: pd.DataFrame,
                             as_of: str | pd.Timestamp, until: str | pd.Timestamp) -> pd.DataFrame:
    """Repeat purchases of the customers in ``history`` per period (the model's unit), actual against the model.

    Periods run from the first customer's first purchase to ``until``; each
    row is a period ending on ``period_end`` with ``actual`` and ``expected``
    repeat purchases, both also ``cumulative_*``, and ``holdout`` True after
    the as-of day (the model saw none of those purchases). The model's
    figure is the sum over customers of :meth:`BGNBD.expected_purchases_new`
    from each one's first purchase.
    """
    step = pd.Timedelta(days=_unit_days(purchases.unit))
    as_of, until = as_of_day(as_of), as_of_day(until)
    if until <= as_of:
        raise ValueError(f"until ({until.date()}) must come after the as-of day ({as_of.date()})")
    first = pd.to_datetime(history["first_purchase"])
    start = first.min()
    ends = pd.date_range(start + step, until + pd.Timedelta(days=1), freq=step)
    # periods run [start + k step, start + (k + 1) step); the last may be cut short at until
    if len(ends) == 0 or ends[-1] < until + pd.Timedelta(days=1):
        ends = ends.append(pd.DatetimeIndex([until + pd.Timedelta(days=1)]))
    days = _purchase_days(orders, until + pd.Timedelta(days=1))
    days = days[days["customer_id"].isin(history.index)]
    repeat = days[days["day"].to_numpy() > first.reindex(days["customer_id"]).to_numpy()]
    period = np.searchsorted(ends.to_numpy(), repeat["day"].to_numpy(), side="right")
    actual = np.bincount(period, minlength=len(ends))[: len(ends)]
    # customers sharing a first-purchase day share their expectation: one curve per distinct day
    starts, counts = np.unique(first.to_numpy(), return_counts=True)
    elapsed = (ends.to_numpy()[:, None] - starts[None, :]) / step
    cumulative = (purchases.expected_purchases_new(elapsed) * counts[None, :]).sum(axis=1)
    return pd.DataFrame({"period_end": ends - pd.Timedelta(days=1), "actual": actual,
                         "expected": np.diff(cumulative, prepend=0.0),
                         "cumulative_actual": np.cumsum(actual), "cumulative_expected": cumulative,
                         "holdout": (ends - pd.Timedelta(days=1)) > as_of})


def conditional_expectations(purchases: BGNBD, history: pd.DataFrame, holdout: pd.Series, horizon: float,
                             top: int = 7) -> pd.DataFrame:
    """Mean holdout purchases against the model's expectation, by number of repeat purchases in calibration.

    The paper's calibration-by-frequency check (its figure 4): customers with
    ``top`` or more repeat purchases share the last row. ``gap`` is
    expected / actual - 1 (negative: too few expected); ``purchases_short``
    is the group's total shortfall, customers x (actual - expected), so the
    column adds up to the whole holdout's.

    >>> model = BGNBD(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "weeks")
    >>> history = pd.DataFrame({"repeat_purchases": [0, 0, 1], "last_purchase_time": [0.0, 0, 20], "observed_time": [30.0, 30, 30]})
    >>> conditional_expectations(model, history, pd.Series([0, 1, 2]), 39, top=1)["customers"].tolist()
    [2, 1]
    """
    expected = purchases.expected_purchases(history, horizon)
    group = history["repeat_purchases"].clip(upper=top)
    table = pd.DataFrame({"group": group.to_numpy(), "actual": np.asarray(holdout, dtype=float),
                          "expected": expected.to_numpy()})
    summary = table.groupby("group").agg(customers=("actual", "size"), actual=("actual", "mean"),
                                         expected=("expected", "mean"))
    summary["gap"] = summary["expected"] / summary["actual"] - 1
    summary["purchases_short"] = summary["customers"] * (summary["actual"] - summary["expected"])
    summary.index = [f"{g}+" if g == top else str(g) for g in summary.index]
    summary.index.name = "repeat_purchases"
    return summary


def alive_grid(purchases: BGNBD, observed_time: float, repeat_purchases=range(0, 11, 2), since_last=None) -> pd.DataFrame:
    """P(alive) of customers all observed for ``observed_time``, by repeat purchases (rows) and time since the last (columns).

    The picture of what the model has learnt: more purchases make a long
    silence more telling. ``since_last`` defaults to five steps from 0 to
    ``observed_time``. Cells no history can have are left empty (NaN): a
    customer without a repeat purchase has been silent since the first one
    (only ``since_last == observed_time``), and one with a repeat purchase
    cannot have been silent that long (a repeat purchase is on a later day).

    >>> model = BGNBD(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "weeks")
    >>> alive_grid(model, 39, repeat_purchases=[1, 5], since_last=[0, 30]).round(2).to_numpy().tolist()
    [[0.75, 0.42], [0.89, 0.02]]
    """
    since = np.linspace(0, observed_time, 5) if since_last is None else np.asarray(since_last, dtype=float)
    if (since > observed_time).any() or (since < 0).any():
        raise ValueError(f"since_last must lie between 0 and observed_time ({observed_time})")
    xs = np.asarray(list(repeat_purchases), dtype=float)
    x, gap = np.meshgrid(xs, since, indexing="ij")
    history = pd.DataFrame({"repeat_purchases": x.ravel(), "last_purchase_time": observed_time - gap.ravel(),
                            "observed_time": np.full(x.size, float(observed_time))})
    history.loc[history["repeat_purchases"] == 0, "last_purchase_time"] = 0.0  # no repeat: nothing to be silent after
    alive = purchases.probability_alive(history).to_numpy().reshape(x.shape).copy()
    impossible = np.where(x == 0, ~np.isclose(gap, observed_time), np.isclose(gap, observed_time))
    alive[impossible] = np.nan
    unit = purchases.unit
    return pd.DataFrame(alive, index=pd.Index(xs.astype(int), name="repeat purchases"),
                        columns=pd.Index([f"{g:g}" for g in since], name=f"{unit} since the last purchase"))


def tracking_totals(tracking: pd.DataFrame) -> pd.DataFrame:
    """The tracking table's repeat purchases made and expected, over calibration, holdout and both.

    The running total at the end of the holdout includes the calibration
    periods the model was fitted on; the ``holdout`` row is the test. ``gap``
    is expected / made - 1 (negative: the model expects too few).

    >>> tracking = pd.DataFrame({"actual": [3, 5, 4, 6], "expected": [4.0, 4.0, 4.0, 4.0],
    ...                          "holdout": [False, False, True, True]})
    >>> tracking_totals(tracking)["gap"].tolist()
    [0.0, -0.2, -0.111]
    """
    _require(tracking, ("actual", "expected", "holdout"), "tracking (from repeat_purchase_tracking)")
    holdout = tracking["holdout"].to_numpy(bool)
    rows = {}
    for name, keep in (("calibration", ~holdout), ("holdout", holdout), ("calibration and holdout", holdout | True)):
        made, expected = int(tracking.loc[keep, "actual"].sum()), float(tracking.loc[keep, "expected"].sum())
        rows[name] = {"periods": int(keep.sum()), "made": made, "expected": round(expected, 1),
                      "gap": round(expected / made - 1, 3) if made else np.nan}
    return pd.DataFrame.from_dict(rows, orient="index")


def forecast_check(made: pd.Series, expected: pd.Series, label: str = "holdout") -> pd.DataFrame:
    """Purchases made against expected in a window, per customer: the totals, their gap and the correlation.

    One row named ``label``: ``made`` and ``expected`` totals, ``gap``
    (expected / made - 1) and ``correlation`` (Pearson, customer by
    customer, aligned by id: does the model rank individuals?).

    >>> forecast_check(pd.Series([0, 1, 3]), pd.Series([0.2, 1.0, 2.0])).loc["holdout"].tolist()
    [4.0, 3.2, -0.2, 0.99]
    """
    made = made.astype(float)
    expected = expected.reindex(made.index).astype(float)
    if made.sum() == 0:
        raise ValueError("no purchase was made in the window: nothing to hold the forecast against")
    return pd.DataFrame({"made": [int(made.sum())], "expected": [round(float(expected.sum()), 1)],
                         "gap": [round(float(expected.sum() / made.sum() - 1), 3)],
                         "correlation": [round(float(made.corr(expected)), 2)]}, index=[label])


def frequency_value_correlation(history: pd.DataFrame) -> pd.Series:
    """Correlation of repeat purchases and mean repeat value among repeat buyers (Pearson and Spearman).

    Gamma-Gamma assumes a customer's spend per purchase varies around a stable
    personal mean that does not depend on how often they buy; a correlation
    near zero is necessary for that, not sufficient.

    >>> history = pd.DataFrame({"repeat_purchases": [0, 1, 2, 3], "mean_repeat_value": [None, 30.0, 10.0, 20.0]})
    >>> frequency_value_correlation(history).round(2).tolist()
    [3.0, -0.5, -0.5]
    """
    _require(history, ("repeat_purchases", "mean_repeat_value"), "history (from purchase_history)")
    repeat = history[(history["repeat_purchases"] > 0) & history["mean_repeat_value"].notna()]
    if len(repeat) < 3:
        raise ValueError(f"history: {len(repeat)} repeat buyers; a correlation needs at least 3")
    x, m = repeat["repeat_purchases"].astype(float), repeat["mean_repeat_value"].astype(float)
    return pd.Series({"repeat buyers": float(len(repeat)), "pearson": float(x.corr(m)),
                      "spearman": float(x.corr(m, method="spearman"))}, name="frequency and mean value")


def signed_up_before_the_log(signup: pd.Series, orders: pd.DataFrame, **groups: pd.Index) -> pd.DataFrame:
    """Customers known (signed up) before the order log's first order: their history is cut short on the left.

    A purchase history starts at the first purchase *in the log*; for a
    customer who signed up before the log starts, that may not be their first
    purchase, so their repeat purchases and time observed are undercounted.
    ``signup`` is each customer's sign-up date; each keyword names a group of
    customer ids to count as well (say the history's). ``attrs`` holds
    ``log_starts`` (the first order's day) and ``first_signup``.

    >>> orders = pd.DataFrame({"customer_id": [1], "order_ts": pd.to_datetime(["2025-03-01"])})
    >>> signup = pd.Series(pd.to_datetime(["2024-01-01", "2025-04-01"]), index=[1, 2])
    >>> signed_up_before_the_log(signup, orders)["share"].tolist()
    [0.5]
    """
    _require(orders, ("customer_id", "order_ts"), "orders")
    starts = pd.Timestamp(orders["order_ts"].min()).normalize()
    before = pd.to_datetime(signup) < starts
    rows = {"all customers": before}
    rows.update({name: before.reindex(ids, fill_value=False) for name, ids in groups.items()})
    table = pd.DataFrame({name: {"customers": len(flag), "signed_up_before": int(flag.sum()),
                                 "share": float(flag.mean()) if len(flag) else np.nan}
                          for name, flag in rows.items()}).T.astype({"customers": int, "signed_up_before": int})
    table.attrs.update(log_starts=starts, first_signup=pd.Timestamp(pd.to_datetime(signup).min()))
    return table
