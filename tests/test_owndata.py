"""The column mapping and the adapters for an analyst's own files: messy rows handled, every mapping error named."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from helpers.data import DataContractError, load_world
from helpers.owndata import (MappingError, check_mapping, invoice_lines_from, load_mapping, load_own_data,
                             resolve_columns, write_example_exports)
from helpers.sales import net_line_value

INVOICES = """\
InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom
536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom
536365,POST,POSTAGE,1,12/1/2010 8:26,18.00,17850.0,United Kingdom
536366,22633,HAND WARMER,6,12/1/2010 8:28,1.85,,United Kingdom
C536379,85123A,WHITE HANGING HEART,-2,12/1/2010 9:41,2.55,17850.0,United Kingdom
536380,22633,HAND WARMER,-3,12/2/2010 9:41,1.85,13047.0,United Kingdom
C536381,22633,HAND WARMER,3,12/2/2010 9:41,1.85,13047.0,United Kingdom
536382,M,Manual,1,12/2/2010 10:00,-11062.06,,United Kingdom
536383,22633,HAND WARMER,2,not a date,1.85,13047.0,United Kingdom
536384,71053,WHITE METAL LANTERN,4,12/3/2010 11:00,3.39,13047.0,United Kingdom
536384,71053,WHITE METAL LANTERN,4,12/3/2010 11:00,3.39,13047.0,United Kingdom
536385,71053,WHITE METAL LANTERN,0,12/3/2010 11:05,3.39,13047.0,United Kingdom
"""


def write(folder, name, text):
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def invoice_mapping(folder, rows=INVOICES, extra="", data="", date_format="%m/%d/%Y %H:%M"):
    write(folder, "invoices.csv", rows)
    return write(folder, "mapping.toml", f"""
        [data]
        bad_row_limit = 0.1
        {data}
        [orders]
        file = "invoices.csv"
        shape = "invoice_lines"
        date_format = "{date_format}"
        {extra}
        """)


# --------------------------------------------------------------------------- invoice lines
def test_invoice_lines_messy_rows_are_handled_and_reported(tmp_path):
    world = load_own_data(invoice_mapping(tmp_path))
    report = world.report
    reasons = report.excluded["orders"].set_index("csv_line")["reason"]
    assert "non-product line (code 'POST'" in reasons[4]
    assert reasons[5] == "no customer id (guest checkout)"
    assert "not negative" in reasons[8]                      # a cancellation invoice with a positive quantity
    assert "non-product line (code 'M'" in reasons[9]
    assert reasons[10] == "empty or unreadable dates in column 'InvoiceDate'"
    assert reasons[12] == "exact duplicate of an earlier row"
    assert reasons[13] == "zero quantity"
    summary = report.summary().loc["orders"]
    assert summary["read"] == 12 and summary["excluded"] == 7 and summary["kept unchanged"] == 5
    orders = world.orders.set_index("order_id")
    assert orders.loc["C536379", "status"] == "returned" and orders.loc["C536379", "quantity"] == -2
    assert orders.loc["536380", "status"] == "returned"        # negative quantity on a plain invoice: a return
    assert any("negative quantity on an invoice without" in n for n in report.notes)
    assert world.orders["customer_id"].dtype == "int64"         # "17850.0" read as the id 17850
    assert sorted(world.customers["customer_id"]) == [13047, 17850]
    assert world.customers.set_index("customer_id").loc[17850, "signup_date"] == pd.Timestamp("2010-12-01")
    net = net_line_value(world.orders).groupby(world.orders["customer_id"]).sum().round(2)
    assert net[17850] == round(6 * 2.55 + 6 * 3.39 - 2 * 2.55, 2)  # the cancellation nets the sale out
    assert world.meta["as_of"] == "2010-12-03" and world.meta["missing"] == ["customers", "events", "campaign"]


def test_too_many_unreadable_dates_stop_the_run_naming_the_column_and_format(tmp_path):
    with pytest.raises(DataContractError, match=r"column 'InvoiceDate'.*unreadable dates.*'%d/%m/%Y'.*row 0: '12/1/2010 8:26'"):
        load_own_data(invoice_mapping(tmp_path, date_format="%d/%m/%Y"))


def test_ambiguous_dates_ask_for_a_date_format(tmp_path):
    rows = "customer,date,amount\n1,01/02/2024,10\n2,03/04/2024,12\n"
    write(tmp_path, "t.csv", rows)
    mapping = {"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"}}
    with pytest.raises(MappingError, match=r"more than one way.*date_format"):
        load_own_data(mapping)
    mapping["orders"]["date_format"] = "%d/%m/%Y"
    assert load_own_data(mapping).orders["order_ts"].tolist() == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-04-03")]


def test_an_unambiguous_date_format_is_detected(tmp_path):
    write(tmp_path, "t.csv", "customer,date,amount\n1,25/12/2024 10:00,10\n2,03/04/2024 11:30,12\n")
    world = load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"}})
    assert world.orders["order_ts"].iloc[0] == pd.Timestamp("2024-12-25 10:00")


def test_mixed_currencies_are_refused_with_the_rows(tmp_path):
    rows = INVOICES.replace("Country\n", "Country,Currency\n").replace("Kingdom\n", "Kingdom,GBP\n")
    rows = rows.replace("13047.0,United Kingdom,GBP\n", "13047.0,United Kingdom,EUR\n", 1)
    with pytest.raises(DataContractError, match=r"column 'Currency': mixed currencies \['EUR', 'GBP'\].*does not convert.*row 5"):
        load_own_data(invoice_mapping(tmp_path, rows=rows))


def test_a_currency_other_than_the_declared_one_is_refused(tmp_path):
    rows = INVOICES.replace("Country\n", "Country,Currency\n").replace("Kingdom\n", "Kingdom,GBP\n")
    with pytest.raises(DataContractError, match=r"amounts are in GBP but \[data\] currency says 'USD'"):
        load_own_data(invoice_mapping(tmp_path, rows=rows, data='currency = "USD"'))
    assert len(load_own_data(invoice_mapping(tmp_path, rows=rows, data='currency = "GBP"')).orders) == 5


def test_decimal_commas_and_thousands(tmp_path):
    write(tmp_path, "t.csv", "kunde;datum;betrag\n1;2024-01-05;1.234,50\n2;2024-01-06;-10,25\n")
    spec = {"file": str(tmp_path / "t.csv"), "shape": "transactions", "separator": ";", "decimal": ",",
            "customer_id": "kunde", "timestamp": "datum", "amount": "betrag"}
    world = load_own_data({"orders": spec})
    assert net_line_value(world.orders).tolist() == [1234.5, -10.25]
    assert world.orders["status"].tolist() == ["completed", "returned"]


# --------------------------------------------------------------------------- transaction logs
def test_a_comma_is_a_thousands_separator_only_where_it_groups_thousands(tmp_path):
    write(tmp_path, "t.csv", 'customer,date,amount\n1,2024-01-05,"1,234.50"\n2,2024-01-06,"12,50"\n3,2024-01-07,7\n')
    spec = {"file": str(tmp_path / "t.csv"), "shape": "transactions"}
    with pytest.raises(DataContractError, match=r"column 'amount'.*unreadable numbers.*is decimal = \",\" needed\?.*'12,50'"):
        load_own_data({"data": {"bad_row_limit": 0.1}, "orders": spec})
    world = load_own_data({"data": {"bad_row_limit": 0.5}, "orders": spec})
    assert net_line_value(world.orders).tolist() == [1234.5, 7.0]
    assert world.report.excluded["orders"]["csv_line"].tolist() == [3]


def test_a_bare_transaction_log_gives_orders_and_buyers(tmp_path):
    write(tmp_path, "t.csv", "cust,when,amount\nA7,2024-01-05,20\nA7,2024-02-05,-5\nB2,2024-02-01,7.5\n,2024-02-02,3\n")
    world = load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions",
                                      "customer_id": "cust", "timestamp": "when"}})
    assert world.orders["customer_id"].tolist() == ["A7", "A7", "B2"]    # text ids stay text
    assert world.products is None and world.events is None and world.campaign is None
    assert world.meta["missing"] == ["customers", "products", "events", "campaign"]
    assert world.report.excluded["orders"]["reason"].tolist() == ["no customer id (guest checkout)"]
    assert net_line_value(world.orders).sum() == 22.5


# --------------------------------------------------------------------------- the mapping itself
def test_unknown_sections_and_keys_are_named_with_a_suggestion(tmp_path):
    with pytest.raises(MappingError, match=r"unknown section \[custmers\] \(did you mean 'customers'\?\)"):
        check_mapping({"orders": {"file": "x"}, "custmers": {"file": "y"}})
    with pytest.raises(MappingError, match=r"unknown key 'costumer_id' in \[orders\] \(did you mean 'customer_id'\?\)"):
        check_mapping({"orders": {"file": "x", "costumer_id": "id"}})
    with pytest.raises(MappingError, match=r"\[events\] needs file"):
        check_mapping({"orders": {"file": "x"}, "events": {"customer_id": "id"}})
    with pytest.raises(MappingError, match=r"needs an \[orders\] section"):
        check_mapping({"customers": {"file": "x"}})
    with pytest.raises(MappingError, match=r"unknown shape 'invoices'"):
        check_mapping({"orders": {"file": "x", "shape": "invoices"}})


def test_mapping_file_errors(tmp_path):
    with pytest.raises(MappingError, match="no mapping file"):
        load_mapping(tmp_path / "missing.toml")
    with pytest.raises(MappingError, match="not valid TOML"):
        load_mapping(write(tmp_path, "bad.toml", "[orders\nfile = 1"))
    with pytest.raises(MappingError, match="no file at"):
        load_own_data(write(tmp_path, "m.toml", '[orders]\nfile = "nowhere.csv"\nshape = "transactions"\n'))
    mapping = load_mapping(write(tmp_path, "m.toml", '[orders]\nfile = "sub/t.csv"\n'))
    assert mapping["orders"]["file"] == str((tmp_path / "sub" / "t.csv").resolve())  # relative to the mapping


def test_column_roles_missing_ambiguous_or_misspelled():
    spec = {"file": "t.csv"}
    with pytest.raises(MappingError, match=r"column 'amount'.*no column for the amount: set amount = \"<column>\""):
        resolve_columns("orders", spec, ["customer_id", "date", "paid"], "transactions")
    with pytest.raises(MappingError, match=r"several columns could be the timestamp: \['order_date', 'date'\]"):
        resolve_columns("orders", spec, ["customer_id", "order_date", "date", "amount"], "transactions")
    with pytest.raises(MappingError, match=r"'Custmer' is not a column of t.csv \(did you mean 'Customer'\?\)"):
        resolve_columns("orders", {**spec, "customer_id": "Custmer"}, ["Customer", "date", "amount"], "transactions")
    roles, notes = resolve_columns("orders", {**spec, "timestamp": "date", "order_id": ""},
                                   ["customer_id", "order_date", "date", "amount", "order_id"], "transactions")
    assert roles == {"customer_id": "customer_id", "timestamp": "date", "amount": "amount"}   # "" switches a role off
    assert notes == ["orders: column 'customer_id' taken as customer_id (auto-detected)",
                     "orders: column 'amount' taken as amount (auto-detected)"]


def test_status_values_must_cover_every_status(tmp_path):
    write(tmp_path, "o.csv", "order_id,customer_id,order_ts,product_id,quantity,unit_price,status\n"
          "1,5,2024-01-01,P1,1,10,shipped\n2,5,2024-01-02,P1,1,10,refunded\n3,5,2024-01-03,P1,1,10,lost\n")
    spec = {"file": str(tmp_path / "o.csv"), "shape": "order_lines",
            "status_values": {"shipped": "completed", "refunded": "returned"}}
    with pytest.raises(DataContractError, match=r"status value\(s\) \['lost'\] are not in status_values"):
        load_own_data({"orders": spec})
    spec["status_values"]["lost"] = "cancelled"
    assert load_own_data({"orders": spec}).orders["status"].tolist() == ["completed", "returned", "cancelled"]
    spec["status_values"]["lost"] = "gone"
    with pytest.raises(MappingError, match="status_values may map to"):
        load_own_data({"orders": spec})


def test_orders_of_customers_not_in_the_customers_file_are_excluded(tmp_path):
    write(tmp_path, "t.csv", "customer_id,date,amount\n1,2024-01-05,20\n9,2024-01-06,5\n")
    write(tmp_path, "c.csv", "customer_id,email,consent_email,do_not_contact,segment_note\n1,A@Example.com ,yes,no,x\n")
    world = load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"},
                           "customers": {"file": str(tmp_path / "c.csv")}})
    assert world.orders["customer_id"].tolist() == [1]
    assert world.report.excluded["orders"]["reason"].tolist() == ["customer id not in the customers file"]
    customer = world.customers.iloc[0]
    assert customer["email"] == "a@example.com" and customer["consent_email"] and not customer["do_not_contact"]
    assert customer["segment_note"] == "x"                      # other columns travel along
    assert customer["signup_date"] == pd.Timestamp("2024-01-05")  # no signup date: the first order


def test_ids_with_leading_zeros_stay_text_and_ids_that_do_not_join_are_refused(tmp_path):
    write(tmp_path, "t.csv", "customer_id,date,amount\n00123,2024-01-05,20\n123,2024-01-06,5\n")
    world = load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"}})
    assert world.orders["customer_id"].tolist() == ["00123", "123"]
    assert any("no as_of date set" in note and "2024-01-06" in note for note in world.report.notes)
    write(tmp_path, "c.csv", "customer_id\nC-1\nC-2\n")
    with pytest.raises(DataContractError, match=r"table 'orders', column 'customer_id': 100% of the rows name a "
                                                 r"customer id that is not in the customers file"):
        load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"},
                       "customers": {"file": str(tmp_path / "c.csv")}})


def test_a_product_takes_its_most_frequent_description(tmp_path):
    rows = INVOICES + "536390,85123A,CREAM HANGING HEART,1,12/3/2010 12:00,2.55,17850.0,United Kingdom\n"
    world = load_own_data(invoice_mapping(tmp_path, rows=rows))
    names = world.products.set_index("product_id")["name"]
    assert names["85123A"] == "WHITE HANGING HEART" and names["71053"] == "WHITE METAL LANTERN"


# --------------------------------------------------------------------------- campaigns with several arms
def test_a_campaign_with_several_arms_compares_the_chosen_ones(tmp_path):
    rng = np.random.default_rng(0)
    n = 3000
    arm = rng.choice(["Mens E-Mail", "Womens E-Mail", "No E-Mail"], n)
    visit = rng.random(n) < np.select([arm == "Mens E-Mail", arm == "Womens E-Mail"], [0.18, 0.15], 0.10)
    pd.DataFrame({"recency": rng.integers(1, 13, n), "channel": rng.choice(["Web", "Phone"], n), "segment": arm,
                  "visit": visit.astype(int), "conversion": visit & (rng.random(n) < 0.1),
                  "spend": np.where(visit, rng.gamma(2, 50, n), 0).round(2)}).to_csv(tmp_path / "arms.csv", index=False)
    write(tmp_path, "t.csv", "customer_id,date,amount\n1,2024-01-05,20\n")
    world = load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"},
                           "campaign": {"file": str(tmp_path / "arms.csv"), "arm": "segment",
                                        "treatment_arms": ["Mens E-Mail"], "outcomes": ["visit", "conversion", "spend"],
                                        "features": ["recency", "channel"]}})
    campaign = world.campaign
    assert set(campaign["arm"]) == {"Mens E-Mail", "No E-Mail"}
    assert world.report.excluded["campaign"]["reason"].unique().tolist() == [
        "arm not compared (only 'No E-Mail' and ['Mens E-Mail'] are)"]
    assert any("'No E-Mail' taken as the control" in note for note in world.report.notes)
    assert campaign["conversion"].isin([0.0, 1.0]).all()       # true/false read as 1/0
    assert pd.api.types.is_string_dtype(campaign["channel"]) and pd.api.types.is_numeric_dtype(campaign["recency"])
    with pytest.raises(MappingError, match=r"arm 'Men E-Mail' is not in column 'segment' \(did you mean 'Mens E-Mail'\?\)"):
        load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"},
                       "campaign": {"file": str(tmp_path / "arms.csv"), "arm": "segment",
                                    "treatment_arms": ["Men E-Mail"], "outcomes": ["visit"]}})
    with pytest.raises(MappingError, match="name the outcome columns"):
        load_own_data({"orders": {"file": str(tmp_path / "t.csv"), "shape": "transactions"},
                       "campaign": {"file": str(tmp_path / "arms.csv"), "arm": "segment"}})


# --------------------------------------------------------------------------- the sample, three ways
def test_the_sample_through_the_template_mapping_matches_the_kit_loader():
    own = load_own_data("templates/mapping.toml")
    kit = load_world()
    assert len(own.orders) == len(kit.orders) and len(own.customers) == len(kit.customers)
    assert net_line_value(own.orders).sum() == pytest.approx(net_line_value(kit.orders).sum())
    assert len(own.events) == len(kit.events) and len(own.campaign) == len(kit.campaign)


def test_example_exports_read_back_with_their_mappings(small_world_dir, tmp_path):
    world = load_world(small_world_dir, unknown_customers="exclude")
    paths = write_example_exports(world, tmp_path)
    invoices = load_own_data(paths["mapping_invoices.toml"])
    reasons = set(invoices.report.excluded["orders"]["reason"])
    assert {"no customer id (guest checkout)", "empty or unreadable dates in column 'InvoiceDate'",
            "non-product line (code 'POST': postage, fees or manual entry)"} <= reasons
    transactions = load_own_data(paths["mapping_transactions.toml"])
    kit_total = net_line_value(world.orders).sum()
    assert net_line_value(transactions.orders).sum() == pytest.approx(kit_total, rel=1e-4)  # amounts rounded to cents per order
    guests = invoice_lines_from(world)["CustomerID"].isna()
    assert 0 < guests.mean() < 0.02
