"""registry.xlsx, the one xlsx writer: cells by type, text columns, formula-like text, styles, fast path."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from registry.xlsx import AUTO, MONEY, NUMBER, PLAIN, TEXT, Style, xlsx_book, xlsx_table


def _sheet(content: bytes, index: int = 0):  # noqa: ANN202 - an openpyxl worksheet
    return load_workbook(io.BytesIO(content)).worksheets[index]


def test_cells_by_type_with_text_columns_and_a_frozen_header():
    target = io.BytesIO()
    count = xlsx_table(
        target=target,
        title="退休人员名单",
        headers=["姓名", "身份证号码", "月养老金(元)", "出生日期", "人数", "比例"],
        widths=(10, 22, 14, 12, 8, 8),
        text_columns={1},
        rows=[
            ["李秀兰", "36072119580314001X", Decimal("3126.50"), datetime.date(1958, 3, 14), 3, 0.25],
            ["=1+1", "360721195803140010", None, None, 0, -1.5],
        ],
    )
    assert count == 2
    sheet = _sheet(target.getvalue())
    assert sheet.title == "退休人员名单"
    assert sheet.freeze_panes == "A2"
    header = sheet["B1"]
    assert (header.value, header.number_format) == ("身份证号码", "General")
    id_cell = sheet["B2"]
    assert (id_cell.value, id_cell.data_type, id_cell.number_format) == ("36072119580314001X", "s", "@")
    money = sheet["C2"]
    assert (money.value, money.data_type, money.number_format) == (3126.5, "n", "#,##0.00")
    born = sheet["D2"]
    assert (born.value.date(), born.number_format) == (datetime.date(1958, 3, 14), "yyyy-mm-dd")
    assert (sheet["E2"].value, sheet["F2"].value, sheet["F3"].value) == (3, 0.25, -1.5)
    formula_like = sheet["A3"]
    assert (formula_like.value, formula_like.data_type, formula_like.quotePrefix) == ("=1+1", "s", True)
    assert sheet["A2"].quotePrefix is False
    assert (sheet["C3"].value, sheet["D3"].value) == (None, None)
    assert sheet.max_row == 3


def test_empty_text_is_no_value_but_keeps_a_text_column_format():
    target = io.BytesIO()
    xlsx_table(target=target, title="表", headers=["a", "b"], widths=(), text_columns={1}, rows=[["", ""]])
    sheet = _sheet(target.getvalue())
    assert (sheet["A2"].value, sheet["B2"].value, sheet["B2"].number_format) == (None, None, "@")


def test_styles_column_formats_and_several_sheets():
    target = io.BytesIO()
    with xlsx_book(target) as book:
        sheet = book.sheet("人员标记", widths=(28, 28), freeze_header=True, columns_as_text=True)
        sheet.append(["身份证号码", "备注"], style=[Style(bold=True, fill="FFF2CC"), Style(bold=True)])
        sheet.append(["360721195803140010", "-3"], style=Style(text=True))
        other = book.sheet("标记一览" + "很长的名字" * 10)
        other.append(["代码"])
    workbook = load_workbook(io.BytesIO(target.getvalue()))
    first, second = workbook.worksheets
    assert second.title == ("标记一览" + "很长的名字" * 10)[:31]
    assert first.column_dimensions["A"].number_format == "@"
    required, optional = first["A1"], first["B1"]
    assert required.font.b and required.fill.fill_type == "solid"
    assert required.fill.fgColor.rgb.endswith("FFF2CC")
    assert optional.font.b and optional.fill.fill_type is None
    example, quoted = first["A2"], first["B2"]
    assert (example.value, example.data_type, example.number_format) == ("360721195803140010", "s", "@")
    assert (quoted.value, quoted.number_format, quoted.quotePrefix) == ("-3", "@", True)


def test_columns_fast_path_writes_each_kind():
    target = io.BytesIO()
    with xlsx_book(target) as book:
        sheet = book.sheet("代发明细")
        written = sheet.append_all(
            [
                (1, "6217990000000001", "张建国", Decimal("3126.50"), "+86", 7),
                (2, "", "@某", Decimal("0.01"), None, "x"),
            ],
            columns=(NUMBER, TEXT, PLAIN, MONEY, TEXT, AUTO),
        )
        sheet.append(["合计", 2, Decimal("3126.51")])
    assert written == 2
    sheet = _sheet(target.getvalue())
    row = [sheet.cell(row=1, column=column) for column in range(1, 7)]
    assert [cell.value for cell in row] == [1, "6217990000000001", "张建国", 3126.5, "+86", 7]
    assert [cell.number_format for cell in row] == ["General", "@", "General", "#,##0.00", "@", "General"]
    assert [cell.quotePrefix for cell in row] == [False, False, False, False, True, False]
    second = [sheet.cell(row=2, column=column) for column in range(1, 7)]
    assert [cell.value for cell in second] == [2, None, "@某", 0.01, None, "x"]
    assert (second[1].number_format, second[2].quotePrefix) == ("@", True)
    assert [cell.value for cell in sheet[3]][:3] == ["合计", 2, 3126.51]
    # calamine, the project's reader, reads the inline strings alike
    rows = CalamineWorkbook.from_filelike(io.BytesIO(target.getvalue())).get_sheet_by_index(0).to_python()
    assert rows[0][:3] == [1.0, "6217990000000001", "张建国"]


def test_a_value_without_a_cell_type_is_refused_and_nothing_is_written():
    target = io.BytesIO()
    with pytest.raises(TypeError, match="cannot hold"), xlsx_book(target) as book:
        book.sheet("表").append([object()])
    assert target.getvalue() == b""
