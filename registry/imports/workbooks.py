"""The xlsx files the import hands out: the template and the rejected rows.

Every cell is written as text with the text number format ("@"), so Excel and WPS keep ID and account numbers
as typed instead of turning them into 3.60721E+17. Every cell is a stored string, never a formula, whatever it
starts with: a crafted name cannot run anything when the file is opened.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from .columns import COLUMNS, REASON_HEADER
from .validation import RejectedRow

TEXT_FORMAT = "@"
_HEADER_FONT = Font(bold=True)
_REQUIRED_FILL = PatternFill("solid", fgColor="FFF2CC")


def _text_cell(sheet: Worksheet, value: str, *, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    # openpyxl makes any string starting with "=" a formula; a stored string is never evaluated by Excel.
    cell.data_type = "s"
    cell.number_format = TEXT_FORMAT
    if bold:
        cell.font = _HEADER_FONT
    return cell


def template_workbook() -> bytes:
    """The header, one example row, and every column formatted as text for the rows a clerk pastes in."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook has one sheet
    sheet.title = "退休人员"
    for position, column in enumerate(COLUMNS, start=1):
        header = sheet.cell(row=1, column=position, value=column.header)
        header.font = _HEADER_FONT
        if column.required:
            header.fill = _REQUIRED_FILL
        sheet.cell(row=2, column=position, value=column.example).number_format = TEXT_FORMAT
        letter = header.column_letter
        # The whole column is text, so numbers pasted later stay text too (what keeps IDs intact).
        sheet.column_dimensions[letter].number_format = TEXT_FORMAT
        sheet.column_dimensions[letter].width = 22 if column.text else 14
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rejected_workbook(headers: Sequence[str], rows: Sequence[RejectedRow]) -> bytes:
    """The rejected rows with the file's own columns and the reasons last, ready to be corrected and
    uploaded again (the extra column is ignored on upload)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("问题行")
    sheet.freeze_panes = "A2"
    sheet.append([_text_cell(sheet, header, bold=True) for header in [*headers, REASON_HEADER]])
    for row in rows:
        sheet.append([_text_cell(sheet, value) for value in [*row.cells, ";".join(row.reasons)]])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
