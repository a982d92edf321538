"""Reading real exports: CSV, Parquet and Excel alike, separators detected, and every bad file a message (exit 2)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from helpers.owndata import load_own_data
from helpers.owndata.shapes import detect_separator, read_table_file
from helpers.validation.report import DataContractError, MappingError

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "datasets" / "real"
LINES = ("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
         "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
         "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom\n"
         "536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,,United Kingdom\n"
         "C536379,22633,HAND WARMER UNION JACK,-1,2010-12-01 09:41:00,1.85,14527,United Kingdom\n"
         "536380,22961,JAM MAKING SET PRINTED,24,2010-12-02 09:41:00,1.45,14527,France\n")


def typed_lines() -> pd.DataFrame:
    """LINES as a typed frame, as Online Retail's Parquet file holds it (ids float because of the gaps)."""
    frame = pd.read_csv(pd.io.common.StringIO(LINES), dtype={"InvoiceNo": str, "StockCode": str})
    frame["InvoiceDate"] = pd.to_datetime(frame["InvoiceDate"])
    assert frame["CustomerID"].dtype == float
    return frame


def orders_spec(path: Path, **more) -> dict:
    return {"orders": {"file": str(path), "shape": "invoice_lines", **more}}


def test_parquet_and_excel_read_exactly_like_the_csv(tmp_path):
    (tmp_path / "lines.csv").write_text(LINES)
    typed_lines().to_parquet(tmp_path / "lines.parquet")
    typed_lines().to_excel(tmp_path / "lines.xlsx", index=False)
    from_csv = read_table_file({"file": str(tmp_path / "lines.csv")}, "orders")
    for name in ("lines.parquet", "lines.xlsx"):
        raw = read_table_file({"file": str(tmp_path / name)}, "orders")
        pd.testing.assert_frame_equal(raw, from_csv, check_dtype=False)
        assert raw.loc[0, "CustomerID"] == "17850" and raw.loc[0, "InvoiceDate"] == "2010-12-01 08:26:00"
    worlds = [load_own_data(orders_spec(tmp_path / name)) for name in ("lines.csv", "lines.parquet", "lines.xlsx")]
    for world in worlds[1:]:
        pd.testing.assert_frame_equal(world.orders, worlds[0].orders)
        assert world.report.summary()["repaired"].sum() == 0   # a float id or a timestamp is not a repair
        assert str(world.report) == str(worlds[0].report)


def test_a_parquet_text_cell_of_spaces_is_empty_as_in_a_csv(tmp_path):
    frame = typed_lines()
    frame.loc[1, "Description"], frame.loc[2, "Country"] = "   ", ""
    frame.to_parquet(tmp_path / "lines.parquet")
    raw = read_table_file({"file": str(tmp_path / "lines.parquet")}, "orders")
    assert raw["Description"].isna().tolist() == [False, True, False, False, False]
    assert raw["Country"].isna().tolist() == [False, False, True, False, False]
    assert raw.loc[0, "Description"] == frame.loc[0, "Description"]


def test_the_format_key_overrides_the_extension(tmp_path):
    typed_lines().to_parquet(tmp_path / "lines.dat")
    assert len(read_table_file({"file": str(tmp_path / "lines.dat"), "format": "parquet"}, "orders")) == 5
    with pytest.raises(MappingError, match=r"format = 'xml': choose \"csv\", \"parquet\" or \"excel\""):
        read_table_file({"file": str(tmp_path / "lines.dat"), "format": "xml"}, "orders")


@pytest.mark.parametrize("write, what, fix", [
    (lambda frame, path: frame.to_parquet(path), "a Parquet file", 'format = "parquet"'),
    (lambda frame, path: frame.to_excel(path, index=False), r"an Excel workbook \(.xlsx\)", 'format = "excel"')])
def test_a_binary_file_read_as_csv_is_named_by_its_first_bytes(tmp_path, write, what, fix):
    write(typed_lines(), tmp_path / "export.csv")
    with pytest.raises(MappingError, match=rf"export.csv is {what} .*set {fix}") as caught:
        read_table_file({"file": str(tmp_path / "export.csv")}, "orders")
    assert "UTF-8" not in str(caught.value) and "latin-1" not in str(caught.value)
    write(typed_lines(), tmp_path / "export.bin")
    with pytest.raises(MappingError, match=rf"{what}.*but format = 'csv' has it read as CSV"):
        read_table_file({"file": str(tmp_path / "export.bin"), "format": "csv"}, "orders")


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_the_separator_is_detected(tmp_path, separator):
    text = LINES.replace(",", separator)
    (tmp_path / "lines.txt").write_text(text)
    raw = read_table_file({"file": str(tmp_path / "lines.txt")}, "orders")
    assert raw.shape == (5, 8) and raw.loc[4, "Country"] == "France"


def test_a_decimal_comma_does_not_look_like_a_separator():
    assert detect_separator(["id;price;qty", "1;2,55;3", "2;3,10;1"]) == ";"


def test_two_separators_that_both_fit_are_named():
    with pytest.raises(MappingError, match=r"could be split by ',' or ';'.*set separator"):
        detect_separator(["a;b,c;d", "1;2,3;4"], "x.csv")


def test_cdnow_reads_with_whitespace_detected_or_set():
    detected = read_table_file({"file": str(REAL / "CDNOW_master.txt")}, "orders")
    for separator in (" ", "whitespace"):
        pd.testing.assert_frame_equal(read_table_file({"file": str(REAL / "CDNOW_master.txt"),
                                                       "separator": separator}, "orders"), detected)
    assert detected.shape == (69_659, 4)
    assert list(detected.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert detected.iloc[0].tolist() == ["00001", "19970101", "1", "11.77"]


def test_online_retail_parquet_reads_as_text_without_float_ids():
    raw = read_table_file({"file": str(REAL / "online_retail.parquet")}, "orders")
    assert len(raw) == 541_909
    assert raw.loc[0, ["CustomerID", "InvoiceDate", "Quantity", "UnitPrice"]].tolist() == [
        "17850", "2010-12-01 08:26:00", "6", "2.55"]
    assert not raw["CustomerID"].str.endswith(".0", na=False).any()
    assert raw["CustomerID"].isna().sum() == 135_080 and raw["Description"].isna().sum() == 1_454


# --------------------------------------------------------------------------- every failure a message, exit 2
def toml(section: str, values: dict) -> str:
    import json
    return f"[{section}]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def run_main(tmp_path, capsys, text: str | bytes, name: str = "orders.csv", data: dict | None = None,
             **settings) -> tuple[int, str, Path]:
    """main() on a mapping whose orders file holds ``text``: exit code, what it printed, the output folder."""
    from helpers.pipeline import main
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(toml("data", {"currency": "GBP", **(data or {})})
                       + toml("orders", {"file": name, "shape": "invoice_lines", **settings}))
    out = tmp_path / "out"
    code = main([str(mapping), "--out", str(out), "--quiet"])
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    assert (out / "validation_report.txt").exists()
    return code, printed.out + printed.err, out


def run_bad(tmp_path, capsys, text: str | bytes, name: str = "orders.csv", data: dict | None = None,
            **settings) -> tuple[str, Path]:
    """main() on a bad file: exit 2, the message, and the report saying what stopped the run written anyway."""
    code, message, out = run_main(tmp_path, capsys, text, name, data, **settings)
    assert code == 2, message
    report = (out / "validation_report.txt").read_text()
    assert "THE RUN STOPPED" in report and "table:   orders" in report
    assert json.loads((out / "run_log.json").read_text())["runner"] == "kit-pipeline (stopped on its input)"
    return message, out


def test_an_empty_file(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, b"")
    assert "orders.csv is empty (0 bytes)" in message


def test_a_header_only_file(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, LINES.splitlines()[0] + "\n")
    assert "orders.csv has no data rows (only a header" in message


def test_an_unknown_separator(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, LINES.replace(",", "~"))
    assert "could not tell the separator of orders.csv" in message and 'set separator = "..."' in message


def test_a_wrong_encoding(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, LINES.replace("WHITE METAL", "CAFÉ").encode("latin-1"))
    assert 'orders.csv is not UTF-8' in message and 'encoding = "latin-1"' in message


def test_parquet_given_as_csv(tmp_path, capsys):
    import io
    buffer = io.BytesIO()
    typed_lines().to_parquet(buffer)
    message, out = run_bad(tmp_path, capsys, buffer.getvalue())
    assert "orders.csv is a Parquet file" in message and 'set format = "parquet"' in message
    assert "UTF-8" not in message


def test_a_file_pandas_cannot_parse_names_the_file(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, LINES + "536381,1,TOO,MANY,FIELDS,1,2010-12-02 09:41:00,1,1,UK\n",
                           separator=",")
    assert "orders.csv could not be read as csv" in message


def test_a_repeated_header_line_is_excluded_as_such(tmp_path, capsys):
    header = LINES.splitlines()[0]
    code, printed, out = run_main(tmp_path, capsys, LINES + header + "\n" + LINES.split("\n", 1)[1].replace("5363", "5364"))
    assert code == 0, printed
    excluded = pd.read_csv(out / "excluded_orders.csv", dtype=str)
    again = excluded[excluded["reason"].str.startswith("a repeated header line")]
    assert again["csv_line"].tolist() == ["7"] and again["InvoiceNo"].tolist() == ["InvoiceNo"]
    report = (out / "validation_report.txt").read_text()
    assert "excluded 1 row(s): a repeated header line" in report and "unreadable dates" not in report


def test_the_declared_currency_symbol_is_removed_and_reported(tmp_path, capsys):
    code, printed, out = run_main(tmp_path, capsys, LINES.replace(",2.55,", ",£2.55,").replace(",3.39,", ", £3.39,"))
    assert code == 0, printed
    report = (out / "validation_report.txt").read_text()
    assert "repaired 2 row(s): UnitPrice: currency symbol '£' removed (GBP, the declared currency)" in report


def test_a_decimal_comma_amount_with_the_euro_sign(tmp_path, capsys):
    text = LINES.replace(",", ";").replace(";2.55;", ";2,55 €;").replace(".", ",")
    code, printed, out = run_main(tmp_path, capsys, text, data={"currency": "EUR"}, decimal=",")
    assert code == 0, printed
    assert "UnitPrice: currency symbol '€' removed" in (out / "validation_report.txt").read_text()


def test_another_currency_symbol_is_refused_by_name(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, LINES.replace(",2.55,", ",$3,"))
    assert "currency symbol(s) '$' but [data] currency is 'GBP' (symbol '£')" in message
    assert "decimal" not in message
    rejected = pd.read_csv(out / "rejected_rows.csv", dtype=str)
    assert rejected[["column", "csv_line", "value"]].values.tolist() == [["UnitPrice", "2", "$3"]]


def test_ambiguous_dates_are_refused_with_both_readings(tmp_path, capsys):
    text = LINES.replace("2010-12-01 08:26:00", "01/02/2011 08:26").replace("2010-12-01 08:28:00", "01/02/2011 08:28")
    text = text.replace("2010-12-01 09:41:00", "03/02/2011 09:41").replace("2010-12-02 09:41:00", "04/02/2011 09:41")
    message, out = run_bad(tmp_path, capsys, text)
    assert "01/02/2011 08:26 could be 2 Jan (%m/%d/%Y %H:%M) or 1 Feb (%d/%m/%Y %H:%M)" in message
    assert "date_format" in message


def test_date_format_mixed_never_reaches_pandas_guessing(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, LINES, date_format="mixed")
    assert 'date_format = "mixed" would let pandas guess each date on its own' in message


def test_mixed_date_formats_in_one_column_are_named(tmp_path, capsys):
    text = LINES.replace("2010-12-01 08:26:00", "01.12.2010").replace("2010-12-01 08:28:00", "01.12.2010")
    message, out = run_bad(tmp_path, capsys, text)
    assert ("the column mixes formats (share of its distinct values): 67% read as 'ISO8601', 33% read as '%d.%m.%Y'"
            in message)


def test_lines_after_the_as_of_date_are_excluded_and_reported(tmp_path, capsys):
    code, printed, out = run_main(tmp_path, capsys, LINES, data={"as_of": "2010-12-01"})
    assert code == 0, printed
    excluded = pd.read_csv(out / "excluded_orders.csv", dtype=str)
    assert excluded.loc[excluded["reason"] == "dated after the as-of date 2010-12-01", "csv_line"].tolist() == ["6"]


def many_lines(n: int = 200) -> str:
    rows = [f"5{i:05d},2{i % 7:04d},ITEM {i % 7},{1 + i % 12},2010-12-{1 + i % 20:02d} 10:00:00,1.25,{12000 + i % 40},UK"
            for i in range(n)]
    return LINES.splitlines()[0] + "\n" + "\n".join(rows) + "\n"


def test_quantities_far_outside_the_rest_are_noted_with_their_rows_and_kept(tmp_path, capsys):
    text = many_lines() + "581483,23843,PAPER CRAFT LITTLE BIRDIE,80995,2010-12-09 09:15:00,2.08,16446,UK\n"
    code, printed, out = run_main(tmp_path, capsys, text)
    assert code == 0, printed
    report = (out / "validation_report.txt").read_text()
    assert "1 line(s) with a Quantity far outside the rest (above 1,200" in report
    assert "order 581483 80,995 (line 202)" in report
    assert "excluded" in report and not (out / "excluded_orders.csv").exists()   # nothing left out


def test_an_entirely_blank_column_is_named(tmp_path, capsys):
    text = "\n".join(line + ("," if i else ",Notes") for i, line in enumerate(LINES.splitlines())) + "\n"
    code, printed, out = run_main(tmp_path, capsys, text)
    assert code == 0, printed
    assert "note: orders: column 'Notes' is empty on every row" in (out / "validation_report.txt").read_text()


def test_a_role_of_another_shape_says_which_shape_has_it(tmp_path, capsys):
    message, out = run_bad(tmp_path, capsys, LINES, status="Status")
    assert ('status is a role of shape = "order_lines", and this mapping\'s shape is "invoice_lines" '
            '(invoice_lines marks cancellations by an invoice number starting with cancelled_prefix') in message


def test_negative_lines_counted_as_returns_are_the_kept_ones(tmp_path, capsys):
    text = LINES + ("536390,22633,HAND WARMER UNION JACK,-2,2010-12-02 10:00:00,1.85,,United Kingdom\n"
                    "536391,22633,HAND WARMER UNION JACK,-3,2010-12-02 10:00:00,1.85,14527,United Kingdom\n")
    code, printed, out = run_main(tmp_path, capsys, text)
    assert code == 0, printed
    assert "1 line(s) with a negative quantity on an invoice without the 'C' prefix are counted as returns" in (
        out / "validation_report.txt").read_text()


def test_online_retail_outliers_and_returns_notes():
    world = load_own_data({"data": {"currency": "GBP"},
                           "orders": {"file": str(REAL / "online_retail.parquet"), "shape": "invoice_lines"}})
    notes = " ".join(world.report.notes)
    assert "5 line(s) with a Quantity far outside the rest (above 10,000" in notes
    assert "order 581483 80,995" in notes and "order C541433 -74,215" in notes
    assert "counted as returns" not in notes.replace("(negative quantity) so that", "")  # all 1,336 lack an id
    assert len(world.orders) > 0


# --------------------------------------------------------------------------- shop formats
FIXTURES = ROOT / "templates" / "examples"


def test_the_shopify_fixture_is_the_generators_output():
    from helpers.messy_exports import SHOPIFY_MAPPING, shopify_orders_export
    stored = pd.read_csv(FIXTURES / "shopify_orders.csv", dtype=str)
    pd.testing.assert_frame_equal(stored, shopify_orders_export().astype(object).where(lambda f: f.notna())
                                  .map(lambda v: v if pd.isna(v) else str(v)), check_dtype=False)
    assert (FIXTURES / "shopify.toml").read_text() == SHOPIFY_MAPPING


def test_a_shopify_export_runs_with_customers_keyed_by_pseudonymized_email(tmp_path, capsys, monkeypatch):
    from helpers.pipeline import main
    monkeypatch.setenv("KIT_ID_SALT", "a test salt")
    export = pd.read_csv(FIXTURES / "shopify_orders.csv", dtype=str)
    out = tmp_path / "out"
    code = main([str(FIXTURES / "shopify.toml"), "--out", str(out), "--quiet"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    segments = pd.read_csv(out / "segments.csv")
    emails = export["Email"].dropna()
    quantity, price = export["Lineitem quantity"].astype(float), export["Lineitem price"].astype(float)
    refunds = export["Refunded Amount"].astype(float).sum()
    assert len(segments) == emails.nunique() == 11
    assert segments["frequency"].sum() == export["Name"].nunique() == 30
    assert segments["monetary_EUR"].sum() == pytest.approx((quantity * price).sum() - refunds)
    assert refunds > 0
    report = (out / "validation_report.txt").read_text()
    assert "Email: filled from the order's first line" in report and "order-level refund(s)" in report
    assert "negative quantity" not in report   # the refund lines are not counted again as plain returns
    for path in out.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace").lower()
            assert "@example.com" not in text, path.name
            assert not any(email in text for email in emails.str.lower()), path.name


def test_emails_without_a_salt_stop_the_run_with_a_message(tmp_path, capsys, monkeypatch):
    from helpers.pipeline import main
    monkeypatch.delenv("KIT_ID_SALT", raising=False)
    monkeypatch.delenv("KIT_EXPORT_SALT", raising=False)
    code = main([str(FIXTURES / "shopify.toml"), "--out", str(tmp_path / "out"), "--quiet"])
    message = capsys.readouterr().err
    assert code == 2 and "hold email addresses" in message and "KIT_ID_SALT" in message
    assert "@example.com" not in (tmp_path / "out" / "validation_report.txt").read_text()


# --------------------------------------------------------------------------- orders in two files
ORDER_LEVEL = ["Name", "Email", "Created at", "Currency", "Billing Country", "Refunded Amount"]
LINE_LEVEL = ["Name", "Lineitem sku", "Lineitem name", "Lineitem quantity", "Lineitem price"]


def _two_files(folder: Path, headers: pd.DataFrame | None = None, lines: pd.DataFrame | None = None) -> Path:
    """The Shopify fixture as a headers file (one row per order) and a lines file, joined by Name."""
    export = pd.read_csv(FIXTURES / "shopify_orders.csv", dtype=str)
    first = export.dropna(subset=["Email"])
    (first[ORDER_LEVEL] if headers is None else headers).to_csv(folder / "orders.csv", index=False)
    (export[LINE_LEVEL] if lines is None else lines).to_csv(folder / "order_lines.csv", index=False)
    mapping = (FIXTURES / "shopify.toml").read_text()
    mapping = (mapping.replace('file = "shopify_orders.csv"', 'file = "order_lines.csv"\nheaders_file = "orders.csv"')
               .replace('order_fields = ["Email", "Billing Country", "Currency"]\n', ""))
    (folder / "two_files.toml").write_text(mapping)
    return folder / "two_files.toml"


def test_orders_in_a_headers_file_and_a_lines_file_read_as_the_one_file_export(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_ID_SALT", "a test salt")
    one = load_own_data(FIXTURES / "shopify.toml")
    two = load_own_data(_two_files(tmp_path))
    pd.testing.assert_frame_equal(two.orders.reset_index(drop=True), one.orders.reset_index(drop=True))
    assert two.report.read["orders"] == one.report.read["orders"]
    assert any("joined to its headers file orders.csv by 'Name'" in note for note in two.report.notes)


def test_a_line_whose_order_is_not_in_the_headers_file_is_left_out_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_ID_SALT", "a test salt")
    export = pd.read_csv(FIXTURES / "shopify_orders.csv", dtype=str)
    headers = export.dropna(subset=["Email"])[ORDER_LEVEL]
    world = load_own_data(_two_files(tmp_path, headers=headers[headers["Name"] != "#1002"]))
    excluded = world.report.excluded["orders"]
    lost = excluded[excluded["reason"].str.startswith("order id not in the headers file")]
    assert len(lost) == (export["Name"] == "#1002").sum() == 2
    assert lost["csv_line"].tolist() == [i + 2 for i in export.index[export["Name"] == "#1002"]]
    assert "#1002" not in set(world.orders["order_id"])


def test_an_order_twice_in_the_headers_file_stops_the_run_naming_it(tmp_path, monkeypatch, capsys):
    from helpers.pipeline import main
    monkeypatch.setenv("KIT_ID_SALT", "a test salt")
    export = pd.read_csv(FIXTURES / "shopify_orders.csv", dtype=str)
    headers = export.dropna(subset=["Email"])[ORDER_LEVEL]
    mapping = _two_files(tmp_path, headers=pd.concat([headers, headers.iloc[[2]]]))
    code = main([str(mapping), "--out", str(tmp_path / "out"), "--quiet"])
    message = capsys.readouterr().err
    assert code == 2 and "orders.csv" in message and "#1003" in message and "more than once" in message
    assert (tmp_path / "out" / "validation_report.txt").exists()


def test_a_headers_file_without_the_order_id_column_names_both_files(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_ID_SALT", "a test salt")
    export = pd.read_csv(FIXTURES / "shopify_orders.csv", dtype=str)
    headers = export.dropna(subset=["Email"])[ORDER_LEVEL].rename(columns={"Name": "Order"})
    with pytest.raises(MappingError, match="orders.csv has no column 'Name'"):
        load_own_data(_two_files(tmp_path, headers=headers))


def test_a_column_in_both_files_is_taken_from_the_lines_and_said(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_ID_SALT", "a test salt")
    export = pd.read_csv(FIXTURES / "shopify_orders.csv", dtype=str)
    lines = export[[*LINE_LEVEL, "Created at"]]
    world = load_own_data(_two_files(tmp_path, lines=lines))
    assert any("'Created at' is in both files: the lines file's values are used" in n for n in world.report.notes)
