"""Exercises of lesson 09 (bring your own data). Expected answers are computed from the data the lesson ran on."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from ..data import World
from ..exercises import (Exercise, ExerciseSet, Feedback, checked_when_asked, expect_choice, expect_number,
                         largest_choice)
from ..messy_exports import transactions_from
from ..owndata import load_own_data
from ..pipeline import PipelineResult, run_pipeline
from ..sales import net_line_value

PARTNER_FILE = "partner_sales.csv"
WORRYING = ("at risk", "cannot lose them")
BOOKS = ("the usual cleaning", "the kit", "either", "neither")
WHY_NOT_BOOKS = {
    "the usual cleaning": "it removes every cancellation and keeps the sale it undoes, counts duplicated lines twice "
                          "and postage as products: a segment's value would include money its customers took back",
    "either": "on Online Retail the usual books' revenue is 7.8% above the kit's (revenue_gap), and not evenly: "
              "the customers who cancel or return most are overvalued most, which is what segments are compared on",
    "neither": "a guest checkout has no customer id: its sale is real revenue, but it belongs to nobody you can "
               "segment or contact, so no segment can include it; report guest revenue beside the segments",
}


def partner_file(world: World, folder: str | Path) -> Path:
    """A partner's export of the first 2,000 transactions, written the German way: ';', decimal comma, 31.12.2025."""
    log = transactions_from(world).head(2000)
    frame = pd.DataFrame({"Kunde": log["customer"].astype(str), "Datum": pd.to_datetime(log["date"]).dt.strftime("%d.%m.%Y"),
                          "Betrag": log["amount"].map(lambda v: f"{v:.2f}".replace(".", ","))})
    path = Path(folder) / PARTNER_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, sep=";", index=False)
    return path


def setup(world: World, result: PipelineResult | None = None, folder: str | Path | None = None) -> dict:
    """The names the lesson has defined before its exercises."""
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp())
    return {"world": world, "result": result if result is not None else run_pipeline(world),
            "partner_file": str(partner_file(world, folder))}


def _mapping_checker(path: str) -> callable:
    expected = pd.read_csv(path, sep=";", dtype=str)
    total = round(float(expected["Betrag"].str.replace(",", ".").astype(float).sum()), 2)

    def check(answer) -> Feedback:
        if not isinstance(answer, dict) or "orders" not in answer:
            return Feedback(False, "give the mapping as a dict with an 'orders' section, e.g. {'orders': {'file': ...}}.")
        try:
            own = load_own_data(answer)
        except ValueError as error:  # the kit's own message says what is missing: pass it on
            return Feedback(False, f"the kit cannot read the file with this mapping: {error}")
        got = round(float(net_line_value(own.orders).sum()), 2)
        if len(own.orders) != len(expected):
            return Feedback(False, f"{len(own.orders)} of {len(expected)} rows were read; look at the report "
                                   "(own.report) for the rows left out.")
        if abs(got - total) > 0.01:
            if abs(got - total * 100) < 1 or abs(got * 100 - total) < 1:
                return Feedback(False, f"net revenue is {got:,.2f}, not {total:,.2f}: the decimal comma was not read "
                                       "as a decimal point (decimal = \",\").")
            return Feedback(False, f"net revenue is {got:,.2f}, expected {total:,.2f}.")
        if not own.orders["order_ts"].eq(pd.to_datetime(expected["Datum"], format="%d.%m.%Y")).all():
            return Feedback(False, "the dates were read in the wrong order: day first (date_format = \"%d.%m.%Y\").")
        return Feedback(True, f"all {len(expected):,} transactions read, net revenue {got:,.2f}.")
    return check


def exercises(world: World, result: PipelineResult | None = None, folder: str | Path | None = None,
              enabled: bool = True) -> ExerciseSet:
    """The lesson's exercises; ``enabled=False`` (a scheduled run) skips their work and every check says so."""
    if not enabled:
        off = Feedback(False, "the exercises are switched off in this run (EXERCISES = False).")
        return ExerciseSet(Exercise(f"q{n}", "switched off", lambda answer: off, "switched off", "switched off")
                           for n in (1, 2, 3, 4))
    names = setup(world, result, folder)
    q1 = Exercise(
        "q1", "A partner sends partner_sales.csv (path in `partner_file`): columns Kunde, Datum, Betrag, separated by "
              "';', with decimal commas and dates like 31.12.2025. Write the mapping, as a dict, that reads it.",
        _mapping_checker(names["partner_file"]),
        hint_text="shape 'transactions'; customer_id, timestamp and amount name the German columns; separator, "
                  "decimal and date_format say how the file is written. Try load_own_data(your_mapping).report.",
        solution_code='answer_1 = {"orders": {"file": partner_file, "shape": "transactions", "separator": ";", '
                      '"decimal": ",",\n'
                      '                       "customer_id": "Kunde", "timestamp": "Datum", "amount": "Betrag", '
                      '"date_format": "%d.%m.%Y"}}',
    )

    segments = names["result"].customers
    worrying = segments["rfm_segment"].astype(str).isin(WORRYING)
    shares = worrying.groupby(segments["micro_segment"]).mean()
    q2 = Exercise(
        "q2", "Which micro-segment has the largest share of customers whose RFM segment is 'at risk' or "
              "'cannot lose them'?",
        largest_choice(shares, "share of at risk or cannot lose them", fmt="{:.1%}"),
        hint_text="In result.customers, flag rfm_segment in ('at risk', 'cannot lose them'), then take the mean of "
                  "the flag per micro_segment and the label of the largest.",
        solution_code='worrying = result.customers["rfm_segment"].astype(str).isin(["at risk", "cannot lose them"])\n'
                      'answer_2 = worrying.groupby(result.customers["micro_segment"]).mean().idxmax()',
    )

    def k_two_checker():  # a second pipeline run: made only when an answer is checked
        with_two = run_pipeline(world, settings={"k": 2}).customers["micro_segment"].nunique()
        return expect_number(with_two, mistakes={segments["micro_segment"].nunique(): "you kept the mapping's k; "
                                                 "pass settings={'k': 2}"}
                             if segments["micro_segment"].nunique() != with_two else None)

    q3 = Exercise(
        "q3", "Run the pipeline again with k = 2 micro-segments per macro tier: how many micro-segments are there "
              "then (\"no purchase yet\" included)?",
        checked_when_asked(k_two_checker),
        hint_text="run_pipeline(world, settings={'k': 2}) overrides the mapping's [segments]; count the distinct "
                  "values of its customers['micro_segment'].",
        solution_code='again = run_pipeline(world, settings={"k": 2})\n'
                      'answer_3 = again.customers["micro_segment"].nunique()',
    )
    q4 = Exercise(
        "q4", "Which books should the segment sizes and each segment's value use: the usual cleaning, the kit, "
              "either or neither?",
        expect_choice("the kit", BOOKS, WHY_NOT_BOOKS),
        hint_text="Step 1: in reconcile_lines, find the cells where one book keeps a line the other removes. Step 2: "
                  "for each, ask whether that line is money a customer spent (a cancelled sale? a line written twice? "
                  "postage?). Step 3: ask who a guest checkout's line belongs to.",
        solution_code='answer_4 = "the kit"  # net of cancellations, without duplicates or postage; '
                      'guest revenue is reported beside the segments, not in them',
    )
    return ExerciseSet([q1, q2, q3, q4])


SOLUTION_SETUP = setup
SOLUTION_NAMESPACE = {"run_pipeline": run_pipeline, "load_own_data": load_own_data}
