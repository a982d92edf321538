"""The template pipeline: your data (through a mapping) in; segments, predictions, migration and audiences out.

It chains the course's own helpers, so every number means what the lessons
taught: RFM scores and named segments and lifecycle stages (lesson 02),
micro-segments nested in macro tiers (03), churn risk validated on a later
period (04), the effect of each campaign arm (06), segment migration and
drift (07), and pseudonymized audience files that respect consent,
do-not-contact and a minimum audience size (05, 08). What your data cannot
support is skipped and said plainly (:func:`capabilities`).

Headless, for a scheduler (``kit-pipeline`` is the same command, installed with the kit)::

    python -m helpers.pipeline templates/mapping.toml --out output/run
    kit-pipeline my_mapping.toml --out output/run

The helpers run no notebooks: lesson 09 on a mapping, headless, is a course tool
(``kit-lessons 09 --mapping my_mapping.toml --out output/run``, or
``./kit.sh pipeline my_mapping.toml --out output/run --notebook``).

The exit code is 0 on success, 2 on input the kit cannot read (the message
names the file, column and rows), 1 on anything else.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .audiences import audience_cells_from, export_audiences
from .clv import fit_bgnbd, fit_gamma_gamma, lifetime_value, purchase_history
from .clustering import (NEEDS, NEEDS_BROWSE_DAYS, SURVEY, clustering_features, fit_micro_segments, macro_segments,
                         micro_segment_profiles)
from .data import DataContractError, World
from .features import model_features
from .lifecycle import lifecycle_stage
from .monitoring import drift_report, size_shift, transition_matrix
from .owndata import load_own_data
from .predict import fit_and_evaluate, propensity_bands
from .sales import net_line_value
from .rfm import Scoring, rfm_table, segment_rfm, windowed_rfm
from .uplift import campaign_effects

KIT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_MOVED = ("the pipeline runs no notebooks; lesson 09 headless on a mapping is "
                  "kit-lessons 09 --mapping MAPPING --out DIR (or ./kit.sh pipeline MAPPING --out DIR --notebook)")
DEFAULT_SEGMENT_SETTINGS = {"k": 4, "min_customers": None, "churn_horizon_days": 90, "migration_days": 180, "random_state": 0,
                            "rfm_scoring": "auto", "frequency_cuts": None}  # [segments] of a mapping overrides these
VALUE_WINDOW_DAYS = 365  # frequency and value for migration: the same window at both dates (lesson 07)
MAX_TRAIN_ROWS = 200_000
CLV_HORIZON_DAYS = 365    # lifetime value over the next year, discounted at CLV_ANNUAL_DISCOUNT (lesson 04b)
CLV_ANNUAL_DISCOUNT = 0.10
MIN_CLV_HISTORY_DAYS = 180      # BG/NBD learns rates from repeat purchases: half a year before it is asked to
MIN_CLV_REPEAT_BUYERS = 100     # and enough repeat buyers that four parameters (and three more for spend) are not loose
MIN_CHURN_AUC = 0.55  # below this the churn model ranks customers hardly better than a coin: its scores are not written
DEMO_SALT = "demo-salt-for-the-kit-sample-only"
MONEY_COLUMNS = ("monetary", f"clv_{CLV_HORIZON_DAYS}d")  # money columns of segments.csv: written as <name>_<currency> (money_column)
RETURNS_ONLY_NOTE = "customers with returns only: {n} (no purchase in the data; kept out of the segments, listed in returns_only_customers.csv)"
NO_CURRENCY = "XXX"  # ISO 4217's code for "no currency": the mapping declared none
# parts of the pipeline that a data set may not support, and the result tables that come from them
CHURN, MIGRATION = "churn risk, validated on a later period", "segment migration and drift alerts"
CLV = "lifetime value (BG/NBD, Gamma-Gamma)"
CAMPAIGN, AUDIENCES = "effect of each campaign arm against control", "audience files (consent, do-not-contact, pseudonyms)"
TABLE_PARTS = {"churn_metrics": CHURN, "churn_by_lifecycle": CHURN, "migration": MIGRATION, "size_alerts": MIGRATION,
               "drift": MIGRATION, "campaign_effects": CAMPAIGN, "campaign_balance": CAMPAIGN, "audiences": AUDIENCES,
               "audiences_left_out": AUDIENCES, "micro_segment_profiles": "micro-segments nested in macro tiers"}


# --------------------------------------------------------------------------- what the data supports
def capabilities(world: World, churn_horizon_days: int = 90) -> pd.DataFrame:
    """Each part of the pipeline, the lessons behind it, what it needs, and whether this data has it.

    Example::

        capabilities(load_own_data("my_transactions_mapping.toml"))
    """
    if world.orders is None:
        return _campaign_only_capabilities(world, churn_horizon_days)
    orders, customers = world.orders, world.customers
    history = (orders["order_ts"].max() - orders["order_ts"].min()).days if len(orders) else 0
    has_category = world.products is not None and "category" in world.products.columns
    has_channel = orders["channel"].notna().any()
    contact = [c for c in ("email", "consent_email", "do_not_contact") if c not in customers.columns]
    campaign = world.campaign
    rows = [
        ("validation report of every row kept or left out", "00", "orders", True, ""),
        ("RFM scores, named segments, lifecycle stages", "02", "orders", True, ""),
        ("micro-segments nested in macro tiers", "03", "orders", True, ""),
        ("category shares in the micro-segments", "03, 04", "products with a category",
         has_category, "" if has_category else "no product categories (map [products] category, or a category column)"),
        ("channel shares in the micro-segments", "03", "a channel column on orders",
         has_channel, "" if has_channel else "no channel column on the orders"),
        ("browsing behaviour in the micro-segments and the churn model", "03, 04", "events",
         world.events is not None, "" if world.events is not None else "no [events] file"),
        (CHURN, "04", f"orders over {3 * churn_horizon_days} days",
         history >= 3 * churn_horizon_days,
         "" if history >= 3 * churn_horizon_days else f"only {history} days of orders; need {3 * churn_horizon_days}"),
        (CLV, "04b", f"orders over {MIN_CLV_HISTORY_DAYS} days, {MIN_CLV_REPEAT_BUYERS} repeat buyers",
         history >= MIN_CLV_HISTORY_DAYS,
         "" if history >= MIN_CLV_HISTORY_DAYS else f"only {history} days of orders; need {MIN_CLV_HISTORY_DAYS}"),
        (MIGRATION, "07", "orders over a year and a half",
         history >= 540, "" if history >= 540 else f"only {history} days of orders; need 540"),
        (CAMPAIGN, "06", "campaign",
         campaign is not None, "" if campaign is not None else "no [campaign] file"),
        ("demographic and psychographic segments", "01", "customer attributes",
         False, "lesson 01's rules name the sample's columns; adapt them to yours"),
        (AUDIENCES, "05, 08", "customers with email, consent_email, "
         "do_not_contact", not contact, "" if not contact else f"customers file lacks {contact}"),
    ]
    return pd.DataFrame(rows, columns=["part", "lessons", "needs", "available", "why not"]).set_index("part")


NO_ORDERS = "no [orders] file"


def _campaign_only_capabilities(world: World, churn_horizon_days: int) -> pd.DataFrame:
    """A campaign alone: its validation and its effects; every customer part is skipped for want of orders."""
    stand_in = World(customers=pd.DataFrame(columns=["customer_id"]), products=None, events=None, campaign=world.campaign,
                     orders=pd.DataFrame({"order_ts": pd.Series(dtype="datetime64[ns]"), "channel": pd.Series(dtype=object)}),
                     report=world.report, meta=world.meta)
    able = capabilities(stand_in, churn_horizon_days)
    customer_parts = able.index != CAMPAIGN
    able.loc[customer_parts, ["available", "why not"]] = [False, NO_ORDERS]
    able.loc["validation report of every row kept or left out", ["needs", "available", "why not"]] = ["a file", True, ""]
    return able


# --------------------------------------------------------------------------- features from any order data
def segment_feature_groups(table: pd.DataFrame) -> list[str]:
    """Lesson 03's needs groups (categories, channels, browsing, survey, interests) that this data has and that vary.

    On the sample that is all of them, so the template's micro-segments group
    customers on exactly what lesson 03's do. A data set with none of them
    (a plain transaction log) falls back to ``habits``: order value, returns
    and the rhythm of buying.

    Example::

        segment_feature_groups(model_features(world, world.as_of))
    """
    columns = {"categories": table.filter(like="cat: "), "channels": table.filter(regex=r"^channel_"),
               "browsing": table.filter(regex=rf"^browse_.*_{NEEDS_BROWSE_DAYS}d$"),
               "survey": table[[c for c in SURVEY if c in table.columns]], "interests": table.filter(like="tag_")}
    varies = {group: bool(frame.shape[1]) and bool((frame.nunique(dropna=True) > 1).any()) for group, frame in columns.items()}
    return [group for group in NEEDS if varies[group]] or ["habits"]


def export_salt(world: World) -> str | None:
    """The secret salt for pseudonyms, from the environment variable named by ``[audiences] salt_env``.

    The variable defaults to ``KIT_EXPORT_SALT``. On the kit's own sample
    only, a demo salt stands in when it is unset, so the lesson runs as it
    is; on your data, no variable means no audience files (a salt written
    into a notebook or a mapping is not a secret).

    Example::

        run_pipeline(world, salt=export_salt(world), audience_folder="output/audiences")
    """
    spec = world.meta.get("mapping", {}).get("audiences", {})
    salt = os.environ.get(spec.get("salt_env", "KIT_EXPORT_SALT"))
    orders_file = world.meta.get("mapping", {}).get("orders", {}).get("file")
    if not salt and orders_file and Path(orders_file) == KIT_ROOT / "datasets" / "orders.csv.gz":
        return DEMO_SALT
    return salt or None


# --------------------------------------------------------------------------- the run
@dataclass
class PipelineResult:
    """Everything one run produced; :func:`write_outputs` saves it to a folder."""

    world: World
    capabilities: pd.DataFrame
    customers: pd.DataFrame                  # one row per customer: scores, segments, churn risk
    churn_metrics: dict = field(default_factory=dict)
    clv_metrics: dict = field(default_factory=dict)  # the fitted BG/NBD and Gamma-Gamma, and what CLV means here
    migration: pd.DataFrame | None = None     # transition matrix of RFM segments
    size_alerts: pd.DataFrame | None = None
    drift: pd.DataFrame | None = None
    campaign_effects: pd.DataFrame | None = None
    campaign_balance: pd.DataFrame | None = None
    audiences: pd.DataFrame | None = None     # manifest of the files written
    audiences_left_out: pd.DataFrame | None = None
    skipped: list = field(default_factory=list)
    micro_segment_profiles: pd.DataFrame | None = None  # name, size, value, distinctive categories and channels
    returns_only: pd.Index = field(default_factory=lambda: pd.Index([], name="customer_id"))  # kept out of the segments
    rfm_scoring: dict = field(default_factory=dict)     # which F scoring ran, why, its score ranges, empty segments
    rfm_cut_offs: pd.DataFrame | None = None          # lowest and highest value per R, F, M score

    def table(self, name: str) -> pd.DataFrame:
        """A result table by name, or, where the data could not support it, a one-row table saying why.

        Names: ``churn_metrics``, ``churn_by_lifecycle``, ``migration``,
        ``size_alerts``, ``drift``, ``campaign_effects``, ``campaign_balance``,
        ``audiences``, ``audiences_left_out``, ``micro_segment_profiles``. A template notebook shows these without
        breaking on data that lacks a table.
        """
        if name not in TABLE_PARTS:
            raise KeyError(f"no result table {name!r}; choose from {sorted(TABLE_PARTS)}")
        if name == "churn_metrics":
            frame = pd.Series(self.churn_metrics, name="value").to_frame() if self.churn_metrics else None
        elif name == "churn_by_lifecycle":
            frame = (pd.crosstab(self.customers["lifecycle_stage"], self.customers["churn_risk"], margins=True)
                     if "churn_risk" in self.customers.columns else None)
        else:
            frame = getattr(self, name)
        if frame is not None:
            return frame
        why = dict(self.skipped).get(TABLE_PARTS[name], "not computed in this run")
        return pd.DataFrame({"not available": [why]}, index=[TABLE_PARTS[name]])

    def headline(self) -> str:
        """One line on what the run covered: customers and the as-of day, or the campaign's rows when it stood alone."""
        if self.world.orders is None:
            return f"campaign only: {len(self.world.campaign):,} rows of the test analysed (no [orders] file)"
        return f"{len(self.customers):,} customers as of {self.world.as_of.date()}"

    def segment_sizes(self, scheme: str = "rfm_segment") -> pd.DataFrame:
        """Customers and their share per segment of one scheme, largest first."""
        counts = self.customers[scheme].value_counts(sort=False)
        counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
        return pd.DataFrame({"customers": counts, "share": (counts / counts.sum()).round(3)})


def run_pipeline(world: World, settings: dict | None = None, salt: str | None = None,
                 audience_folder: str | Path | None = None, progress=None) -> PipelineResult:
    """Segments, churn risk, migration, campaign effects and (with a salt and a folder) audience files.

    ``settings`` overrides ``[segments]`` of the mapping (``k``,
    ``min_customers``, ``churn_horizon_days``, ``migration_days``, ``random_state``, ``rfm_scoring``,
    ``frequency_cuts``: see :func:`helpers.rfm.choose_scoring`);
    audiences follow ``[audiences]`` of the mapping. ``progress(step)`` is
    called before each step. Parts the data cannot support are skipped and
    listed in ``result.skipped`` with the reason; nothing crashes on a
    missing optional table.

    Example::

        result = run_pipeline(load_own_data("templates/mapping.toml"))
        result.segment_sizes("micro_segment")
    """
    mapping = world.meta.get("mapping", {})
    settings = {**DEFAULT_SEGMENT_SETTINGS, **mapping.get("segments", {}), **(settings or {})}
    say = progress or (lambda step: None)
    able = capabilities(world, settings["churn_horizon_days"])
    result = PipelineResult(world, able, pd.DataFrame())
    result.skipped = [(part, row["why not"]) for part, row in able.iterrows() if not row["available"]]
    if world.orders is None:  # a randomized test alone: the experiment, no customers
        say("campaign effects")
        _campaign_step(world, result)
        return result
    as_of = world.as_of

    say("RFM scores, segments and lifecycle")
    table = model_features(world, as_of)  # the features lesson 04's models learn from, as of the data's day
    result.returns_only = returns_only_customers(world.orders)
    table = table.drop(result.returns_only, errors="ignore")  # not "no purchase": out of every segment count
    note = RETURNS_ONLY_NOTE.format(n=len(result.returns_only))
    if len(result.returns_only) and note not in world.report.notes:  # once, however often the world is run
        world.report.notes.append(note)
    rfm = segment_rfm(table, settings["rfm_scoring"], settings["frequency_cuts"])  # the one definition, every date
    customers = table[["recency_days", "frequency", "monetary", "tenure_days"]].join(rfm.scores)
    customers["rfm_segment"] = rfm.segments
    result.rfm_scoring, result.rfm_cut_offs = rfm.summary(), rfm.cut_offs
    customers["lifecycle_stage"] = lifecycle_stage(table)
    customers["macro_tier"] = macro_segments(customers["rfm_segment"])

    say("micro-segments")
    buyers = int((table["frequency"] > 0).sum())
    minimum = settings["min_customers"] or max(100, round(0.02 * buyers))
    features = clustering_features(table, None, as_of, groups=segment_feature_groups(table))
    micro = fit_micro_segments(table, world.events, as_of, k=settings["k"], min_customers=minimum,
                               random_state=settings["random_state"], features=features)
    customers["micro_segment"] = micro.labels
    result.micro_segment_profiles = micro_segment_profiles(table, features, micro.labels, currency_code(world))
    customers["micro_segment_name"] = customers["micro_segment"].map(result.micro_segment_profiles["name"])

    say("churn risk")
    horizon, evaluation = settings["churn_horizon_days"], None
    if able.loc[CHURN, "available"]:
        test_cutoff = as_of - pd.Timedelta(days=horizon)
        train_cutoff = test_cutoff - pd.Timedelta(days=horizon)
        try:
            evaluation = fit_and_evaluate(world, "churns", str(train_cutoff.date()), str(test_cutoff.date()), horizon,
                                          buyers_only=True, random_state=settings["random_state"], max_train_rows=MAX_TRAIN_ROWS)
        except ValueError as error:  # e.g. everyone churned in the training window: nothing to learn
            evaluation = None
            result.skipped.append((CHURN, str(error)))
        if evaluation is not None and not evaluation.metrics["auc"] >= MIN_CHURN_AUC:
            result.skipped.append((CHURN, f"the model ranked customers no better than guessing on the later period "
                                          f"(AUC {evaluation.metrics['auc']}, below {MIN_CHURN_AUC}): no scores written"))
            result.churn_metrics = {"judged_on_cutoff": str(test_cutoff.date()), **evaluation.metrics}
            evaluation = None
    if able.loc[CHURN, "available"] and evaluation is not None:
        active = table.index[(table["recency_days"] <= 365).to_numpy()]
        probability = pd.Series(evaluation.model.predict_proba(table.loc[active, evaluation.model.feature_names_in_])[:, 1],
                                index=active)
        customers["churn_probability"] = probability.reindex(customers.index).round(4)
        customers["churn_risk"] = propensity_bands(probability).reindex(customers.index)
        result.churn_metrics = {"trained_on_cutoff": str(train_cutoff.date()), "judged_on_cutoff": str(test_cutoff.date()),
                                "horizon_days": horizon, "scored_customers": len(active), **evaluation.metrics}

    say("lifetime value")
    if able.loc[CLV, "available"]:
        _clv_step(world, customers, result)

    say("migration and drift")
    if able.loc[MIGRATION, "available"]:
        earlier = as_of - pd.Timedelta(days=settings["migration_days"])
        result.migration, result.size_alerts, result.drift = _migration(world, earlier, as_of, rfm.scoring, table,
                                                                        rfm.segments)

    say("campaign effects")
    _campaign_step(world, result)

    result.customers = customers
    say("audiences")
    spec = mapping.get("audiences")
    if spec and able.loc[AUDIENCES, "available"]:
        if salt and audience_folder is not None:
            cells, left_out = audience_cells_from(customers, world.customers, spec)
            result.audiences_left_out = left_out
            if len(cells):
                result.audiences = export_audiences(cells, world.customers.set_index("customer_id"), audience_folder,
                                                    salt=salt, control_share=spec.get("control_share", 0.1),
                                                    random_state=settings["random_state"], min_audience=spec.get("min_audience", 100))
        else:
            result.skipped.append((AUDIENCES,
                                   f"no secret salt: set the environment variable {spec.get('salt_env', 'KIT_EXPORT_SALT')}"))
    elif not spec and able.loc[AUDIENCES, "available"]:
        result.skipped.append((AUDIENCES, "no [audiences] section"))
    return result


def _clv_step(world: World, customers: pd.DataFrame, result: PipelineResult) -> None:
    """Expected purchases, probability alive and CLV per buyer (lesson 04b's helpers), or the reason there are none."""
    history = purchase_history(world.orders, world.as_of, unit="days")
    repeaters = int((history["repeat_purchases"] > 0).sum())
    if repeaters < MIN_CLV_REPEAT_BUYERS:
        result.skipped.append((CLV, f"{repeaters:,} customer(s) bought on two or more days; BG/NBD and Gamma-Gamma "
                                    f"need at least {MIN_CLV_REPEAT_BUYERS}"))
        return
    try:
        model, spend = fit_bgnbd(history, unit="days"), fit_gamma_gamma(history)
    except ValueError as error:  # a fit that cannot converge, or spend too skewed for the model: said, not crashed
        result.skipped.append((CLV, str(error)))
        return
    values = lifetime_value(model, spend, history, horizon=CLV_HORIZON_DAYS, annual_discount=CLV_ANNUAL_DISCOUNT)
    values = values.reindex(customers.index)
    customers[f"expected_purchases_{CLV_HORIZON_DAYS}d"] = values["expected_purchases"].round(3)
    customers["probability_alive"] = values["probability_alive"].round(4)
    customers[f"clv_{CLV_HORIZON_DAYS}d"] = values["clv"].round(2)
    result.clv_metrics = {"customers": len(history), "repeat_buyers": repeaters, "horizon_days": CLV_HORIZON_DAYS,
                          "annual_discount": CLV_ANNUAL_DISCOUNT,
                          "clv_is": "net revenue (no margin applied), discounted",
                          "bgnbd": {**model.parameters(), "log_likelihood": round(model.log_likelihood, 2)},
                          "gamma_gamma": {"p": spend.p, "q": spend.q, "gamma": spend.gamma,
                                          "repeat_buyers_fitted": spend.customers}}


def returns_only_customers(orders: pd.DataFrame) -> pd.Index:
    """Customers whose only lines are returns (a return of something bought before the data starts): their own reason.

    They bought nothing in the data, so they are not "no purchase" customers
    with a negative value; the run keeps them out of the segments and reports
    them (``returns_only_customers.csv``). Customers with only cancelled lines
    never bought either and stay "no purchase".

    >>> orders = pd.DataFrame({"customer_id": [1, 1, 2, 3], "status": ["completed", "returned", "returned", "cancelled"]})
    >>> returns_only_customers(orders).tolist()
    [2]
    """
    status = orders.groupby("customer_id")["status"]
    returned, bought = status.agg(lambda s: (s == "returned").any()), status.agg(lambda s: (s == "completed").any())
    return returned.index[(returned & ~bought).to_numpy()].rename("customer_id")


def _campaign_step(world: World, result: PipelineResult) -> None:
    """Each arm's effect per outcome, the arms' balance and the next test's size (skipped, with the reason, if it cannot)."""
    if world.campaign is None:
        return
    spec = world.meta.get("mapping", {}).get("campaign", {})
    if spec.get("outcomes"):
        result.campaign_effects, result.campaign_balance = campaign_effects(world.campaign, spec)
    else:
        result.skipped.append((CAMPAIGN, "no outcome columns named (outcomes = [...] in [campaign])"))


def _migration(world: World, earlier: pd.Timestamp, later: pd.Timestamp, scoring: Scoring, later_rfm: pd.DataFrame,
               later_segments: pd.Series):
    """RFM segments at two dates, each as the pipeline names them on its as-of day, and drift of recency, frequency and value.

    One definition per date: the later date's segments are segments.csv's
    (``later_segments``, from ``later_rfm``), and the earlier date's are what
    a run as of that day gives (whole-history RFM of the customers signed up
    by then, scored among themselves), with the scoring method chosen on the
    later day so that both dates are scored alike. The drift report compares
    distributions instead, so it counts frequency and value over the same
    365-day window at both dates (whole-history totals grow with time).
    """
    signed_earlier = world.customers.loc[world.customers["signup_date"] < earlier.normalize() + pd.Timedelta(days=1),
                                         "customer_id"]
    before = segment_rfm(rfm_table(world.orders, signed_earlier, earlier), scoring).segments
    matrix = transition_matrix(before, later_segments)
    alerts = size_shift(before, later_segments)
    ids = later_rfm.index
    both = {day: windowed_rfm(world.orders, ids, day, VALUE_WINDOW_DAYS) for day in (earlier, later)}
    columns = ["recency_days", "frequency", "monetary"]  # frequency and value over the same window at both dates
    drift = drift_report(both[earlier].loc[signed_earlier, columns], both[later][columns])
    return matrix, alerts, drift


# --------------------------------------------------------------------------- files out
def write_outputs(result: PipelineResult, folder: str | Path) -> list[Path]:
    """Save the run: segments per customer, the validation report and excluded rows, migration, effects, a summary.

    Returns the files written (audience files are written by the run itself).

    Example::

        write_outputs(run_pipeline(world), "output/run")    # segments.csv, summary.json, ...
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []

    def save(frame, name, index=True):
        if frame is not None:
            path = folder / name
            frame.to_csv(path, index=index)
            written.append(path)

    currency = currency_code(result.world)
    if len(result.customers):
        save(result.customers.rename(columns={c: money_column(c, currency) for c in MONEY_COLUMNS}), "segments.csv")
    save(result.micro_segment_profiles, "micro_segment_profiles.csv")
    save(result.capabilities, "capabilities.csv")
    save(result.migration, "migration_rfm_segments.csv")
    save(result.rfm_cut_offs, "rfm_cut_offs.csv")
    save(result.size_alerts, "segment_size_alerts.csv")
    save(result.drift, "drift.csv")
    if result.campaign_effects is not None:
        effects = result.campaign_effects.reset_index()
        amounts = effects["kind"] == "amount"
        effects.loc[amounts, "outcome"] = [money_column(o, currency) for o in effects.loc[amounts, "outcome"]]
        save(effects, "campaign_effects.csv", index=False)
    save(result.campaign_balance, "campaign_balance.csv")
    if len(result.returns_only):
        save(_returns_only_lines(result.world.orders, result.returns_only, currency), "returns_only_customers.csv", index=False)
    save(result.audiences_left_out, "audience_segments.csv")
    report = result.world.report
    written += write_report(result.world, folder)
    customers = result.customers
    summary = {"as_of": result.world.meta.get("as_of") or None, "currency": currency, "customers": len(customers),
               "customers_with_returns_only": len(result.returns_only),
               "rows": report.summary().to_dict(orient="index"),
               "segments": customers["rfm_segment"].value_counts().sort_index().to_dict() if len(customers) else {},
               "rfm_scoring": result.rfm_scoring,
               "micro_segments": int(customers["micro_segment"].nunique()) if len(customers) else 0,
               "churn_model": result.churn_metrics, "clv_model": result.clv_metrics, "skipped": [f"{part}: {why}" for part, why in result.skipped]}
    (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=_plain) + "\n", encoding="utf-8")
    written.append(folder / "summary.json")
    return written


def _returns_only_lines(orders: pd.DataFrame, ids: pd.Index, currency: str) -> pd.DataFrame:
    """Per returns-only customer: the returned lines and their value (negative), for the audit."""
    lines = orders[orders["customer_id"].isin(ids)]
    out = lines.assign(value=net_line_value(lines)).groupby("customer_id").agg(lines=("status", "size"), value=("value", "sum"),
                                                               last_line=("order_ts", "max"))
    return out.rename(columns={"value": money_column("returned_value", currency)}).reset_index()


def currency_code(world: World) -> str:
    """The currency of the data's amounts as ``[data] currency`` declares it, else ``XXX`` (ISO 4217: no currency).

    Example::

        currency_code(load_own_data("templates/mapping.toml"))     # 'USD'
    """
    return str(world.meta.get("currency") or NO_CURRENCY).upper()


def money_column(name: str, currency: str) -> str:
    """The one rule for money in output files: the column (or outcome) name ends with the currency code.

    >>> money_column("monetary", "GBP")
    'monetary_GBP'
    """
    return f"{name}_{currency}"


def write_report(world: World, folder: str | Path) -> list[Path]:
    """The validation report and, per table, the rows left out with their reason and line (written first, so a
    failing run still leaves them).

    Example::

        write_report(load_own_data("my_mapping.toml"), "output/run")   # validation_report.txt, excluded_orders.csv
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "validation_report.txt"]
    written[0].write_text(str(world.report) + "\n", encoding="utf-8")
    for table, rows in world.report.excluded.items():
        if len(rows):
            rows.to_csv(folder / f"excluded_{table}.csv", index=False)
            written.append(folder / f"excluded_{table}.csv")
    return written


def write_run_log(folder: str | Path, mapping: str | Path, as_of: str | None, seconds: dict[str, float],
                  runner: str = "kit-pipeline") -> Path:
    """``run_log.json`` beside a run's results: the mapping, the as-of day, seconds per step and package versions.

    Written by the command that ran (``kit-pipeline``, or ``kit-lessons 09
    --mapping`` around the notebook), so no clock time enters a notebook.

    >>> import json, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> log = json.loads(write_run_log(folder, "m.toml", "2011-12-09", {"reading": 1.25, "writing": 0.5}).read_text())
    >>> log["as_of"], log["total_seconds"], sorted(log["versions"])[:2]
    ('2011-12-09', 1.8, ['kit', 'numpy'])
    """
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": sys.version.split()[0]}
    for package, name in (("microseg-kit", "kit"), ("numpy", "numpy"), ("pandas", "pandas"),
                          ("scikit-learn", "scikit-learn")):
        try:
            versions[name] = version(package)
        except PackageNotFoundError:  # a checkout not installed: its version is unknown, not an error
            versions[name] = None
    log = {"runner": runner, "mapping": str(Path(mapping).resolve()), "as_of": as_of, "seconds": seconds,
           "total_seconds": round(sum(seconds.values()), 1), "versions": versions}
    path = Path(folder) / "run_log.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(log, indent=2) + "\n", encoding="utf-8")
    return path


def write_failure(error: DataContractError, folder: str | Path) -> list[Path]:
    """When reading stops: validation_report.txt saying what stopped the run (table, column, problem) with the
    books as far as they got, their excluded rows, and rejected_rows.csv with the rows at fault.

    Example::

        try:
            load_own_data("my_mapping.toml")
        except DataContractError as error:
            write_failure(error, "output/run")     # validation_report.txt, rejected_rows.csv
    """
    from .validation.report import ValidationReport
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    report = error.report or ValidationReport()
    report.stopped = (error.table, error.column, error.problem)
    written = write_report(World(customers=None, products=None, orders=None, events=None, campaign=None,
                                  report=report), folder)
    if error.examples is not None and len(error.examples):
        rows = error.examples
        rejected = pd.DataFrame({"table": error.table, "column": error.column or "", "row": rows.index,
                                 "value": rows.astype(str).to_numpy(), "problem": error.problem})
        if pd.api.types.is_integer_dtype(rows.index):
            rejected.insert(3, "csv_line", rows.index + 2)
        rejected.to_csv(folder / "rejected_rows.csv", index=False)
        written.append(folder / "rejected_rows.csv")
    return written


def _plain(value):
    return value.item() if hasattr(value, "item") else str(value)


# --------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """The command line: ``kit-pipeline MAPPING --out FOLDER [--as-of DAY]`` (or ``python -m helpers.pipeline``)."""
    parser = argparse.ArgumentParser(prog="kit-pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("mapping", help="the mapping file (TOML), e.g. templates/mapping.toml or your copy")
    parser.add_argument("--out", required=True, help="folder for segments, reports and audience files")
    parser.add_argument("--as-of", help="day to measure recency from (default: the mapping's, else the last order)")
    parser.add_argument("--notebook", action="store_true", help=f"moved: {NOTEBOOK_MOVED}")
    parser.add_argument("--quiet", action="store_true", help="no progress display")
    args = parser.parse_args(argv)
    seconds: dict[str, float] = {}
    try:
        if args.notebook:
            print(f"error: {NOTEBOOK_MOVED}", file=sys.stderr)
            return 2
        steps = ["reading and validating", "RFM scores, segments and lifecycle", "micro-segments", "churn risk", "lifetime value",
                 "migration and drift", "campaign effects", "audiences", "writing results"]
        from tqdm.auto import tqdm
        bar = tqdm(total=len(steps), disable=args.quiet, unit="step", file=sys.stderr, desc=steps[0])
        started = [steps[0], time.perf_counter()]

        def progress(step: str | None) -> None:
            """Close the running step (its time goes to run_log.json) and start the next."""
            now = time.perf_counter()
            seconds[started[0]] = round(now - started[1], 1)
            started[:] = [step, now]
            bar.update(1)
            if step:
                bar.set_description(step)

        world = load_own_data(args.mapping, as_of=args.as_of)
        write_report(world, args.out)
        result = run_pipeline(world, salt=export_salt(world), audience_folder=Path(args.out) / "audiences", progress=progress)
        progress(steps[-1])
        write_outputs(result, args.out)
        progress(None)
        bar.close()
        write_run_log(args.out, args.mapping, world.meta.get("as_of") or None, seconds, runner="kit-pipeline")
    except (DataContractError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        if isinstance(error, DataContractError):
            written = write_failure(error, args.out)
            print(f"(the validation report and the rows at fault: {', '.join(p.name for p in written)} in {args.out})",
                  file=sys.stderr)
            write_run_log(args.out, args.mapping, None, seconds, runner="kit-pipeline (stopped on its input)")
        return 2
    print(world.report)
    print(f"\n{result.headline()}; results in {args.out}")
    if result.rfm_scoring:
        print(f"RFM scoring: {result.rfm_scoring['why']}")
        for name, why in result.rfm_scoring["empty_segments"].items():
            print(f"  empty segment: {name} ({why})")
    for part, why in result.skipped:
        print(f"  skipped: {part} ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
