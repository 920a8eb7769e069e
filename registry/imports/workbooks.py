"""The xlsx files the import hands out: the template and the rejected rows.

Every cell is written as text with the text number format ("@"), so Excel and WPS keep ID and account numbers
as typed instead of turning them into 3.60721E+17. Every cell is a stored string, never a formula, whatever it
starts with: a crafted name cannot run anything when the file is opened.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from ..xlsx import HEADER, Style, xlsx_book
from .columns import COLUMNS, REASON_HEADER
from .validation import RejectedRow

_HEADER = Style(bold=True, text=True)
_TEXT = Style(text=True)


def template_workbook() -> bytes:
    """The header, one example row, and every column formatted as text for the rows a clerk pastes in."""
    buffer = io.BytesIO()
    with xlsx_book(buffer) as book:
        # The whole column is text, so numbers pasted later stay text too (what keeps IDs intact).
        sheet = book.sheet(
            "退休人员",
            widths=[22 if column.text else 14 for column in COLUMNS],
            freeze_header=True,
            columns_as_text=True,
        )
        sheet.append(
            [column.header for column in COLUMNS],
            style=[Style(bold=True, fill="FFF2CC") if column.required else HEADER for column in COLUMNS],
        )
        sheet.append([column.example for column in COLUMNS], style=_TEXT)
    return buffer.getvalue()


def rejected_workbook(headers: Sequence[str], rows: Sequence[RejectedRow]) -> bytes:
    """The rejected rows with the file's own columns and the reasons last, ready to be corrected and
    uploaded again (the extra column is ignored on upload)."""
    buffer = io.BytesIO()
    with xlsx_book(buffer) as book:
        sheet = book.sheet("问题行", freeze_header=True)
        sheet.append([*headers, REASON_HEADER], style=_HEADER)
        for row in rows:
            sheet.append([*row.cells, ";".join(row.reasons)], style=_TEXT)
    return buffer.getvalue()
