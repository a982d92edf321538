"""The data contract: every kind of bad input gets a clear error or a reported repair, and counts reconcile."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import DataContractError, validate
from helpers.grading import load_hidden_truth
from helpers.world import AS_OF as GENERATED_AS_OF  # the generator's day, for tables it wrote
from helpers.schema import SCHEMA, data_dictionary, dictionary_markdown


def _error(raw) -> DataContractError:
    with pytest.raises(DataContractError) as info:
        validate(raw, GENERATED_AS_OF)
    return info.value


def test_clean_world_validates_and_every_row_is_accounted_for(raw):
    world = validate(raw, GENERATED_AS_OF)
    summary = world.report.summary()
    assert (summary["kept unchanged"] + summary["repaired"] + summary["excluded"] == summary["read"]).all()
    for table in SCHEMA:
        assert len(getattr(world, table)) == summary.loc[table, "read"] - summary.loc[table, "excluded"]
        assert len(world.report.excluded[table]) == summary.loc[table, "excluded"]
    actions = world.report.actions()
    for table, rows in actions[actions["action"] == "excluded"].groupby("table"):
        assert rows["rows"].sum() == summary.loc[table, "excluded"]


def test_types_after_validation(raw):
    world = validate(raw, GENERATED_AS_OF)
    assert str(world.orders["order_ts"].dtype) == "datetime64[ns]"
    assert world.orders["customer_id"].dtype == "int64"
    assert list(world.customers["income_band"].cat.categories)[0] == "<25k"
    assert world.customers["income_band"].cat.ordered
    assert world.campaign["converted"].dtype == bool


@pytest.mark.parametrize("table,column", [("orders", "quantity"), ("customers", "signup_date"), ("products", "price")])
def test_missing_column_is_named(raw, table, column):
    raw[table] = raw[table].drop(columns=column)
    err = _error(raw)
    assert err.table == table and err.column == column and "missing" in str(err)


def test_misspelled_column_gets_a_suggestion(raw):
    raw["orders"] = raw["orders"].rename(columns={"customer_id": "custmer_id"})
    assert "found 'custmer_id': misspelled?" in str(_error(raw))


def test_text_in_a_number_column_names_the_rows(raw):
    raw["orders"].loc[[3, 8], "quantity"] = ["two", "1.5kg"]
    err = _error(raw)
    assert (err.table, err.column, err.rows) == ("orders", "quantity", [3, 8])
    assert "row 3: 'two'" in str(err) and "expected numbers" in str(err)


def test_fractional_ids_are_refused(raw):
    raw["orders"].loc[4, "order_id"] = "100004.5"
    assert "whole numbers" in str(_error(raw))


def test_unparseable_dates_name_the_rows(raw):
    raw["orders"].loc[10, "order_ts"] = "31/02/2026 25:00"
    err = _error(raw)
    assert err.column == "order_ts" and err.rows == [10] and "ISO 8601" in str(err)


def test_negative_prices_are_refused(raw):
    raw["products"].loc[0, "price"] = "-5.00"
    err = _error(raw)
    assert (err.table, err.column) == ("products", "price") and "negative" in str(err)
    raw = raw.copy()


def test_negative_unit_price_on_an_order_line(raw):
    raw["orders"].loc[1, "unit_price"] = "-1"
    assert _error(raw).column == "unit_price"


def test_discount_above_one_is_refused(raw):
    raw["orders"].loc[2, "discount"] = "20"
    assert "above 1" in str(_error(raw))


@pytest.mark.parametrize("table", ["customers", "orders", "campaign"])
def test_empty_table(raw, table):
    raw[table] = raw[table].iloc[:0]
    err = _error(raw)
    assert err.table == table and "empty" in str(err)


def test_missing_table(raw):
    del raw["events"]
    assert _error(raw).table == "events"


def test_unknown_category_codes_are_listed(raw):
    raw["orders"].loc[[5, 6], "channel"] = ["fax", "carrier pigeon"]
    err = _error(raw)
    assert err.column == "channel" and "'carrier pigeon'" in str(err) and "allowed" in str(err)


def test_codes_in_the_wrong_case_are_repaired_and_reported(raw):
    clean_count = validate(raw, GENERATED_AS_OF).report.summary().loc["orders", "repaired"]
    raw["orders"].loc[0:9, "channel"] = "  WEB "
    world = validate(raw, GENERATED_AS_OF)
    assert world.report.summary().loc["orders", "repaired"] >= clean_count + 1
    assert set(world.orders["channel"].cat.categories) == {"web", "app", "store"}
    assert world.orders.loc[0, "channel"] == "web"


def test_emails_are_trimmed_and_lower_cased(raw):
    raw["customers"].loc[0, "email"] = "  Someone.X@Example.COM "
    world = validate(raw, GENERATED_AS_OF)
    assert world.customers.loc[0, "email"] == "someone.x@example.com"
    assert world.report.actions().query("reason == 'email: tidied case/spaces'")["rows"].iloc[0] >= 1


def test_product_that_does_not_join_is_an_error(raw):
    raw["orders"].loc[7, "product_id"] = "P9999"
    err = _error(raw)
    assert err.column == "product_id" and "'P9999'" in str(err) and "products" in str(err)


def test_unknown_customer_raises_or_is_excluded_on_request(raw):
    raw["orders"].loc[[11, 12], "customer_id"] = "999999"
    err = _error(raw)
    assert err.column == "customer_id" and "unknown_customers='exclude'" in str(err)
    world = validate(raw, GENERATED_AS_OF, unknown_customers="exclude")
    excluded = world.report.excluded["orders"]
    assert {11, 12} <= set(excluded.index)
    assert (excluded.loc[[11, 12], "reason"] == "customer id not in the customers table").all()


def test_referral_to_a_missing_customer_is_an_error(raw):
    raw["customers"].loc[3, "referred_by"] = "424242"
    assert _error(raw).column == "referred_by"


def test_same_customer_id_with_different_content_is_an_error(raw):
    raw["customers"].loc[5, "customer_id"] = raw["customers"].loc[4, "customer_id"]
    err = _error(raw)
    assert err.table == "customers" and "different content" in str(err)


def test_required_value_empty(raw):
    raw["products"].loc[2, "category"] = np.nan
    err = _error(raw)
    assert err.column == "category" and "empty" in str(err)


def test_bad_boolean(raw):
    raw["customers"].loc[0, "consent_email"] = "maybe"
    assert "true/false" in str(_error(raw))


def test_exact_duplicates_guests_and_late_rows_are_excluded_with_reasons(raw):
    orders = raw["orders"]
    late = orders.iloc[[0]].assign(order_ts="2027-01-01 10:00:00", order_id="999001")
    raw["orders"] = pd.concat([orders, orders.iloc[[1, 1]], late], ignore_index=True)
    world = validate(raw, GENERATED_AS_OF)
    excluded = world.report.excluded["orders"]
    n = len(orders)
    assert excluded.loc[n, "reason"] == excluded.loc[n + 1, "reason"] == "exact duplicate of an earlier row"
    assert excluded.loc[n + 2, "reason"].startswith("dated after the as-of date")
    assert excluded.loc[n + 2, "csv_line"] == n + 4  # the header is line 1, row 0 is line 2
    assert (excluded["reason"] == "no customer id (guest checkout)").any()
    assert (world.report.excluded["events"]["reason"] == "no customer id (anonymous session)").any()


def test_extra_columns_travel_along_and_are_reported(raw):
    raw["customers"]["loyalty_tier"] = "gold"
    world = validate(raw, GENERATED_AS_OF)
    assert "loyalty_tier" in world.customers.columns
    assert any("loyalty_tier" in note for note in world.report.notes)
    assert "note: customers: extra column(s) ['loyalty_tier']" in str(world.report)


def test_error_message_is_readable():
    err = DataContractError("orders", "quantity", "expected numbers", pd.Series(["x"] * 7))
    text = str(err)
    assert text.startswith("table 'orders', column 'quantity': expected numbers. 7 row(s) at fault")
    assert "(and 2 more)" in text and "row r is line r + 2 of the CSV file" in text


def test_hidden_truth_loads_typed(small_world_dir):
    truth = load_hidden_truth(small_world_dir)
    assert truth["persona"].dtype == "category" and truth["true_uplift"].between(-1, 1).all()


def test_data_dictionary_covers_every_column_and_readme_is_current():
    from pathlib import Path
    frame = data_dictionary()
    assert len(frame) == sum(len(c) for c in SCHEMA.values())
    assert (frame["meaning"].str.len() > 5).all()
    readme = (Path(__file__).resolve().parent.parent / "datasets" / "README.md").read_text()
    assert dictionary_markdown() in readme, "regenerate with: python -m helpers.schema > datasets/README dictionary part"


def test_rows_equal_after_tidying_are_duplicates_not_key_clashes(raw):
    orders = raw["orders"]
    copy = orders.iloc[[0]].copy()
    copy["channel"] = " " + copy["channel"].str.upper()
    raw["orders"] = pd.concat([orders, copy], ignore_index=True)
    world = validate(raw, GENERATED_AS_OF)
    assert world.report.excluded["orders"].loc[len(orders), "reason"] == "exact duplicate of an earlier row"


def test_hidden_truth_follows_the_world_it_belongs_to(small_world_dir):
    from helpers.data import load_world
    world = load_world(small_world_dir)
    assert world.meta["folder"] == str(small_world_dir)
    assert len(load_hidden_truth(world)) == 600  # the small world's, not the committed sample's


def test_an_as_of_outside_the_orders_is_refused_and_a_world_without_one_has_no_default(raw):
    with pytest.raises(DataContractError, match=r"days after the last order"):
        validate(raw, "2041-09-30")
    with pytest.raises(DataContractError, match=r"before the first order"):
        validate(raw, "2001-01-01")
    world = validate(raw, GENERATED_AS_OF)
    world.meta = {}
    with pytest.raises(ValueError, match="no as-of date"):
        world.as_of


def test_stray_spaces_in_any_value_are_a_reported_repair_not_a_failed_join(raw):
    raw["orders"].loc[[0, 1], "product_id"] = " " + raw["orders"].loc[[0, 1], "product_id"] + " "
    raw["orders"].loc[2, "quantity"] = f" {raw['orders'].loc[2, 'quantity']} "
    world = validate(raw, GENERATED_AS_OF)
    actions = world.report.actions().set_index("reason")["rows"]
    assert actions["product_id: tidied case/spaces"] == 2 and actions["quantity: tidied case/spaces"] == 1
    assert world.orders.loc[0, "product_id"] == raw["orders"].loc[0, "product_id"].strip()
    assert str(world.orders["product_id"].dtype) == str(raw["orders"]["product_id"].dtype)
