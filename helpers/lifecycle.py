"""Lifecycle stages and cohort retention, from the RFM table and the order lines.

Stages, as of the as-of day (thresholds are parameters, defaults in days):

* **new**: first completed order *in the data* within the last ``new_days``
  (90); an old customer back after more than two years also looks new;
* **active**: otherwise, last completed order within ``active_days`` (180);
* **at risk**: last completed order ``active_days`` to ``lapsed_days`` (365) ago;
* **lapsed**: last completed order more than ``lapsed_days`` ago;
* **no purchase**: no completed order in the data (which starts two years
  before the as-of date, so this includes old customers who stopped earlier).

The stage "at risk" is about time since the last order; the RFM segment of
the same name is about valuable customers who went quiet. Different questions.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

STAGES = ("new", "active", "at risk", "lapsed", "no purchase")


def lifecycle_stage(rfm: pd.DataFrame, new_days: int = 90, active_days: int = 180, lapsed_days: int = 365) -> pd.Series:
    """The lifecycle stage of every customer of an RFM table (see :func:`helpers.rfm.rfm_table`).

    >>> rfm = pd.DataFrame({"recency_days": [10, 100, 200, 400, np.nan], "frequency": [1, 3, 2, 5, 0],
    ...                     "tenure_days": [10, 500, 300, 600, np.nan]})
    >>> lifecycle_stage(rfm).tolist()
    ['new', 'active', 'at risk', 'lapsed', 'no purchase']
    """
    missing = [c for c in ("recency_days", "frequency", "tenure_days") if c not in rfm.columns]
    if missing:
        raise KeyError(f"rfm table lacks column(s) {missing}; make it with helpers.rfm.rfm_table")
    if not 0 < new_days <= active_days < lapsed_days:
        raise ValueError(f"need 0 < new_days <= active_days < lapsed_days, got {new_days}, {active_days}, {lapsed_days}")
    recency, tenure = rfm["recency_days"].to_numpy(float), rfm["tenure_days"].to_numpy(float)
    bought = rfm["frequency"].to_numpy() > 0
    code = np.select([~bought, tenure <= new_days, recency <= active_days, recency <= lapsed_days],
                     [4, 0, 1, 2], default=3)
    return pd.Series(pd.Categorical.from_codes(code, categories=list(STAGES)), index=rfm.index, name="lifecycle")


def _period_number(stamps: pd.Series, months_per_period: int) -> np.ndarray:
    """Periods counted from year 0, so that differences are whole periods (no Period objects needed)."""
    return (stamps.dt.year.to_numpy() * 12 + stamps.dt.month.to_numpy() - 1) // months_per_period


def cohort_retention(orders: pd.DataFrame, customers: pd.DataFrame, as_of: str | pd.Timestamp,
                     freq: str = "Q", since: str | pd.Timestamp | None = None) -> tuple[pd.DataFrame, pd.Series]:
    """Share of each sign-up cohort that completed an order in each period after signing up.

    Cohorts are sign-up quarters (``freq="Q"``) or months (``"M"``) from
    ``since`` (default: the first order in the data) up to the as-of date.
    Returns the retention table (rows: cohorts, columns: periods since
    sign-up, 0 = the sign-up period; periods not yet reached are empty) and
    the cohort sizes. Customers who signed up before ``since`` are left out:
    their early purchases are not in the data. Period 0 is partial by nature
    (customers join during it), and so is the last period when ``as_of``
    falls inside it.
    """
    months = {"Q": 3, "M": 1}.get(freq)
    if months is None:
        raise ValueError(f"freq must be 'Q' or 'M', got {freq!r}")
    as_of = pd.Timestamp(as_of).normalize()
    since = pd.Timestamp(since) if since is not None else orders["order_ts"].min().normalize()
    joined = customers[(customers["signup_date"] >= since) & (customers["signup_date"] <= as_of)]
    cohort = pd.Series(_period_number(joined["signup_date"], months), index=joined["customer_id"].to_numpy())
    done = orders[(orders["status"] == "completed") & (orders["order_ts"] < as_of + pd.Timedelta(days=1))
                  & orders["customer_id"].isin(cohort.index)]
    activity = pd.DataFrame({"customer_id": done["customer_id"].to_numpy(),
                             "period": _period_number(done["order_ts"], months)}).drop_duplicates()
    activity["cohort"] = cohort.loc[activity["customer_id"]].to_numpy()
    activity["age"] = activity["period"] - activity["cohort"]
    activity = activity[activity["age"] >= 0]
    sizes = cohort.value_counts().sort_index()
    active = activity.groupby(["cohort", "age"]).size().unstack(fill_value=0)
    last_period = _period_number(pd.Series([as_of]), months)[0]
    ages = np.arange(0, last_period - sizes.index.min() + 1)
    table = active.reindex(index=sizes.index, columns=ages, fill_value=0).div(sizes, axis=0)
    reached = (sizes.index.to_numpy()[:, None] + ages[None, :]) <= last_period
    table = table.where(reached)
    label = {3: lambda p: f"{p // 4}Q{p % 4 + 1}", 1: lambda p: f"{p // 12}-{p % 12 + 1:02d}"}[months]
    table.index = pd.Index([label(p) for p in table.index], name="sign-up cohort")
    table.columns.name = f"{'quarters' if months == 3 else 'months'} since sign-up"
    sizes.index = table.index
    return table.round(3), sizes.rename("customers")
