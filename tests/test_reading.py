"""Reading real exports: CSV, Parquet and Excel alike, separators detected, and every bad file a message (exit 2)."""
from __future__ import annotations

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
def run_bad(tmp_path, capsys, text: str | bytes, name: str = "orders.csv", **settings) -> tuple[str, Path]:
    """main() on a mapping whose orders file holds ``text``: exit 2, the message, the report written anyway."""
    from helpers.pipeline import main
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    lines = "\n".join(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"'
                      for key, value in settings.items())
    mapping = tmp_path / "mapping.toml"
    data = 'currency = "GBP"\n' if "currency" not in settings else ""
    mapping.write_text(f'[data]\n{data}\n[orders]\nfile = "{name}"\nshape = "invoice_lines"\n{lines}\n')
    out = tmp_path / "out"
    code = main([str(mapping), "--out", str(out), "--quiet"])
    message = capsys.readouterr().err
    assert code == 2, message
    assert "Traceback" not in message
    report = (out / "validation_report.txt").read_text()
    assert "THE RUN STOPPED" in report and "table:   orders" in report
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
