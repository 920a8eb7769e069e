"""Reading import files: xlsx through calamine, CSV in every encoding clerks' tools write, header errors."""

from __future__ import annotations

import datetime

import pytest

from registry.errors import ImportBatchError
from registry.imports.columns import HEADERS
from registry.imports.reading import decode_csv, read_table
from registry.imports.validation import cell_text, parse_amount, parse_date, parse_month
from registry.months import PensionMonth
from tests.registry.import_files import csv_text, good_row, xlsx_bytes

RARE = "王䶮"  # 䶮 (U+4DAE) is in GB18030 but not in GBK


def names_and_ids(table):
    name, id_number = table.index["name"], table.index["id_number"]
    return [(cells[name], cells[id_number]) for _number, cells in table.rows]


def test_xlsx_keeps_id_and_account_numbers_as_text_and_numbers_rows_as_excel_does():
    rows = [good_row(身份证号码="36072119580314001X"), good_row(姓名="钱秀英")]

    table = read_table(xlsx_bytes(rows), "导入.xlsx")

    assert [number for number, _cells in table.rows] == [2, 3]
    assert names_and_ids(table) == [("赵国庆", "36072119580314001X"), ("钱秀英", rows[1]["身份证号码"])]
    account = table.rows[0][1][table.index["account_number"]]
    assert account == rows[0]["银行账号"] and isinstance(account, str)


def test_blank_rows_are_skipped_but_row_numbers_stay_those_excel_shows():
    data = xlsx_bytes([good_row(), {}, good_row(姓名="钱秀英")])

    table = read_table(data, "a.xlsx")

    assert [number for number, _cells in table.rows] == [2, 4]


@pytest.mark.parametrize(
    ("encoding", "expected_encoding"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8"), ("gbk", "GB18030"), ("gb18030", "GB18030")],
)
def test_csv_is_read_in_utf8_with_or_without_bom_and_in_gbk(encoding, expected_encoding):
    rows = [good_row(姓名="曾国华"), good_row(姓名="单立新")]
    data = csv_text(rows).encode(encoding)

    table = read_table(data, "导出.CSV")

    assert table.encoding == expected_encoding
    assert names_and_ids(table) == [("曾国华", rows[0]["身份证号码"]), ("单立新", rows[1]["身份证号码"])]
    assert table.headers == list(HEADERS)


def test_gb18030_keeps_a_name_character_that_gbk_lacks():
    text = csv_text([good_row(姓名=RARE)])
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")

    table = read_table(text.encode("gb18030"), "a.csv")

    assert names_and_ids(table)[0][0] == RARE


def test_bytes_that_are_neither_utf8_nor_gb18030_are_refused_not_replaced():
    with pytest.raises(ImportBatchError, match="无法识别CSV文件的编码"):
        decode_csv(b"\xff\xff\xff\xff")


def test_a_missing_required_column_is_named():
    headers = [header for header in HEADERS if header not in ("身份证号码", "月养老金")]

    with pytest.raises(ImportBatchError) as refused:
        read_table(csv_text([good_row()], headers).encode(), "a.csv")

    assert refused.value.message == "表头缺少必需的列:身份证号码、月养老金。请使用导入模板,表头在第一行。"


def test_half_width_brackets_and_spaces_in_headers_are_accepted():
    headers = [header.replace("(", "(").replace(")", ")") for header in HEADERS]
    headers[0] = " 姓 名 "
    row = good_row()
    rows = [{new: row.get(old, "") for old, new in zip(HEADERS, headers, strict=True)}]

    table = read_table(csv_text(rows, headers).encode(), "a.csv")

    assert set(table.index) >= {"name", "township", "community"}


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "a.csv", "文件是空的"),
        (b"\r\n\r\n", "a.csv", "文件是空的"),
        (",".join(HEADERS).encode(), "a.csv", "文件只有表头,没有数据行。"),
        (b"PK\x03\x04not really a zip", "a.xlsx", "无法读取该Excel文件"),
        (b"hello", "a.xls", "只能导入 .xlsx 或 .csv 文件。"),
    ],
)
def test_empty_unreadable_and_wrong_kind_of_file_get_a_clear_message(data, name, message):
    with pytest.raises(ImportBatchError, match=message):
        read_table(data, name)


def test_cells_read_as_a_clerk_reads_them():
    assert cell_text(12.0) == "12"
    assert cell_text(2650.5) == "2650.5"
    assert cell_text(datetime.date(2018, 3, 31)) == "2018-03-31"
    assert cell_text(None) == ""
    assert parse_amount(2650.1) == parse_amount("2,650.10")
    assert str(parse_amount(2650.1)) == "2650.1"


@pytest.mark.parametrize(
    "value",
    # calamine gives naive datetimes for date cells with a time part
    ["2018-03-31", "2018/3/31", "20180331", datetime.date(2018, 3, 31), datetime.datetime(2018, 3, 31)],  # noqa: DTZ001
)
def test_dates_in_every_accepted_form(value):
    assert parse_date(value) == datetime.date(2018, 3, 31)


@pytest.mark.parametrize("value", ["2026-01", "202601", "2026/1", datetime.date(2026, 1, 1), 202601.0])
def test_start_months_in_every_accepted_form(value):
    assert parse_month(value) == PensionMonth(2026, 1)
