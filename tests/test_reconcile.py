"""The kit's books set beside the usual public cleaning of an invoice-line export (lesson 09's reconciliation)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from helpers.owndata import load_own_data
from helpers.owndata.reconcile import (KEPT, USUAL_RULES, books_compared, compare_customers, kit_outcomes,
                                       orders_as_read, reconcile_lines, revenue_gap, usual_cleaning)

REAL = Path(__file__).resolve().parent.parent / "datasets" / "real"


def _tiny_export(folder: Path) -> tuple[pd.DataFrame, dict]:
    """One line of every kind the two cleanings treat differently."""
    raw = pd.DataFrame({
        "InvoiceNo": ["1", "1", "2", "C3", "4", "5", "5", "6"],
        "StockCode": ["85123A", "71053", "85123A", "85123A", "85123A", "POST", "85123A", "85123A"],
        "Quantity": ["2", "1", "1", "-1", "3", "1", "2", "2"],
        "InvoiceDate": ["2011-01-03 10:00"] * 2 + ["2011-01-04 10:00", "2011-01-05 10:00", "2011-01-06 10:00",
                                                   "2011-01-07 10:00", "2011-01-07 10:00", "2011-01-03 10:00"],
        "UnitPrice": ["2.5", "1.0", "2.5", "2.5", "0", "5", "2.5", "2.5"],
        "CustomerID": ["10", "10", "", "11", "12", "13", "13", "10"],
    })
    # line 8 repeats line 1 exactly: the usual cleaning keeps it, the kit leaves it out
    raw.loc[7] = raw.loc[0]
    path = folder / "lines.csv"
    raw.to_csv(path, index=False)
    mapping = {"data": {"currency": "GBP"}, "orders": {"file": str(path), "shape": "invoice_lines",
                                                          "date_format": "ISO8601"}}
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]), mapping


def test_usual_cleaning_removes_each_line_for_its_first_rule(tmp_path):
    raw, _ = _tiny_export(tmp_path)
    usual = usual_cleaning(raw, customer_id="CustomerID", quantity="Quantity", unit_price="UnitPrice")
    assert usual.tolist() == [KEPT, KEPT, USUAL_RULES[0], USUAL_RULES[1], USUAL_RULES[2], KEPT, KEPT, KEPT]


def test_every_line_is_in_one_cell_and_the_differences_show_off_the_diagonal(tmp_path):
    raw, mapping = _tiny_export(tmp_path)
    world = load_own_data(mapping)
    outcome = kit_outcomes(raw, world)
    assert outcome.tolist() == ["kept: sale", "kept: sale", "excluded: no customer id (guest checkout)",
                                "kept: return (cancellation or negative quantity)", "kept: sale",
                                "excluded: non-product line (code 'POST': postage, fees or manual entry)",
                                "kept: sale", "excluded: exact duplicate of an earlier row"]
    table = reconcile_lines(raw, world)
    assert table.loc["all lines", "all lines"] == len(raw)
    assert table.loc["kept: return (cancellation or negative quantity)", USUAL_RULES[1]] == 1
    assert table.loc["excluded: exact duplicate of an earlier row", KEPT] == 1
    assert (table.drop(index="all lines").drop(columns="all lines").sum().sum()) == len(raw)


def test_customers_compared_names_who_differs_and_why(tmp_path):
    raw, mapping = _tiny_export(tmp_path)
    world = load_own_data(mapping)
    compared = compare_customers(raw, world)
    assert compared.loc["in both", "customers"] == 2          # 10 and 13
    # 11 only returned goods and 12 only had a zero-price line: the usual cleaning removes both
    assert compared.loc["only in the kit", "customers"] == 2
    assert "quantity not above 0" in compared.loc["only in the kit", "their lines"]
    assert compared.loc["only in the usual cleaning", "customers"] == 0


def test_the_two_books_side_by_side_count_lines_customers_and_net_revenue(tmp_path):
    raw, mapping = _tiny_export(tmp_path)
    books = books_compared(raw, load_own_data(mapping))
    assert books.columns.tolist() == ["usual cleaning", "the kit"]
    assert books.loc["lines kept"].tolist() == [5, 5]
    assert books.loc["customers"].tolist() == [2, 4]          # the kit keeps 11 (a return) and 12 (a free line)
    # usual: 2x2.5 + 1 + 5 (postage) + 2x2.5 + 2x2.5 (a duplicate); the kit: 2x2.5 + 1 - 2.5 (the return) + 0 + 2x2.5
    assert books.loc["net revenue"].tolist() == [21.0, 8.5]


def test_the_revenue_gap_is_split_by_the_rule_behind_each_part_and_adds_up(tmp_path):
    raw, mapping = _tiny_export(tmp_path)
    gap = revenue_gap(raw, load_own_data(mapping))["amount"]
    assert gap["kit only: returns it nets out"] == 2.5
    assert gap["usual only: exact duplicate of an earlier row"] == 5.0
    assert gap["usual only: non-product line"] == 5.0
    assert gap["kit only: sales at a price of 0 or below"] == 0.0
    assert gap["both: lines valued differently"] == 0.0
    assert gap["the usual books' revenue minus the kit's"] == 21.0 - 8.5 == gap.drop(
        "the usual books' revenue minus the kit's").sum()


def test_the_orders_file_as_read_is_the_file_the_mapping_names_every_cell_text(tmp_path):
    raw, mapping = _tiny_export(tmp_path)
    world = load_own_data(mapping)
    pd.testing.assert_frame_equal(orders_as_read(world), raw)
    assert reconcile_lines(orders_as_read(world), world).equals(reconcile_lines(raw, world))


def test_kit_outcomes_refuse_a_frame_that_is_not_the_file_the_kit_read(tmp_path):
    raw, mapping = _tiny_export(tmp_path)
    world = load_own_data(mapping)
    with pytest.raises(ValueError, match="8 order lines"):
        kit_outcomes(raw.iloc[:5], world)


@pytest.fixture(scope="module")
def online_retail(tmp_path_factory):
    raw = pd.read_parquet(REAL / "online_retail.parquet")
    folder = tmp_path_factory.mktemp("online_retail")
    raw.to_csv(folder / "online_retail.csv", index=False)
    text = pd.read_csv(folder / "online_retail.csv", dtype=str, keep_default_na=False, na_values=[""])
    mapping = {"data": {"currency": "GBP"}, "orders": {"file": str(folder / "online_retail.csv"),
                                                          "shape": "invoice_lines", "date_format": "ISO8601"}}
    return text, load_own_data(mapping)


def test_the_usual_cleaning_of_online_retail_keeps_397884_lines_and_4338_customers(online_retail):
    raw, _ = online_retail
    usual = usual_cleaning(raw, customer_id="CustomerID", quantity="Quantity", unit_price="UnitPrice")
    assert len(usual) == 541_909
    assert (usual == KEPT).sum() == 397_884
    assert raw.loc[usual == KEPT, "CustomerID"].nunique() == 4_338
    assert (usual == USUAL_RULES[0]).sum() == 135_080


def test_online_retail_reconciles_line_by_line(online_retail):
    raw, world = online_retail
    table = reconcile_lines(raw, world)
    assert table.loc["all lines", "all lines"] == 541_909
    assert table.loc["all lines", KEPT] == 397_884
    kept_by_kit = table.loc[[i for i in table.index if i.startswith("kept")], "all lines"].sum()
    assert kept_by_kit == len(world.orders)
    # the cells lesson 09 explains, one rule each
    assert table.loc["kept: return (cancellation or negative quantity)", USUAL_RULES[1]] == 8_506
    assert table.loc["excluded: exact duplicate of an earlier row", KEPT] == 5_192
    assert table.loc["excluded: non-product line (postage, fees, manual entries)", KEPT] == 1_542
    assert table.loc["kept: sale", USUAL_RULES[2]] == 33


def test_online_retail_customers_differ_by_27_and_2_and_the_usual_books_overstate_revenue(online_retail):
    raw, world = online_retail
    compared = compare_customers(raw, world)
    assert compared["customers"].tolist() == [4_336, 2, 27]
    books = books_compared(raw, world)
    assert books.loc["lines kept"].tolist() == [397_884, 399_689]
    assert books.loc["customers"].tolist() == [4_338, 4_363]
    usual, kit = books.loc["net revenue"]
    assert round(usual) == 8_911_408 and round(kit) == 8_265_477
    gap = revenue_gap(raw, world)
    assert gap.loc["the usual books' revenue minus the kit's", "amount"] == pytest.approx(usual - kit, abs=0.01)
    assert round(gap.loc["kit only: returns it nets out", "amount"]) == 471_751
    assert round(gap.loc["usual only: exact duplicate of an earlier row", "amount"]) == 24_199
    assert round(gap.loc["usual only: non-product line", "amount"]) == 149_981
    assert gap.loc["both: lines valued differently", "amount"] == pytest.approx(0, abs=0.01)
    assert gap.loc["the usual books' revenue minus the kit's", "share of the kit's net revenue"] == pytest.approx(
        0.0781, abs=0.0001)
