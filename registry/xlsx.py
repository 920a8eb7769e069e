"""The one xlsx writer of the project (docs/adr/0008-xlsx-writer.md): every xlsx file it hands out, from the
import template to a million-line bank file, is written here, by xlsxwriter in constant-memory mode.

Rows are written as they come and flushed row by row (inline strings, a temporary file per sheet), so a
county-wide export keeps memory flat; the formats are made once per workbook and shared by every cell.

    with xlsx_book(target) as book:  # a path or a binary file object (BytesIO, a temporary file)
        sheet = book.sheet("退休人员", widths=(10, 22), text_columns={1}, freeze_header=True)
        sheet.append(headers, style=HEADER)
        sheet.append_all(rows)                            # each cell by its type, as `append`
        sheet.append_all(rows, columns=(NUMBER, TEXT, PLAIN, MONEY))  # or by column kind: the fast path

Cells by type: str as a string cell (never a formula, whatever it starts with), int and float as numbers,
Decimal as a number in "#,##0.00", a date (or datetime) in "yyyy-mm-dd", None as no cell. A column in
`text_columns` is in the text format "@" (ID, account and phone numbers: digits that are not numbers, Excel
keeps 15 significant digits of a number). Formula injection: text starting with = + - @ or a tab or carriage
return also gets Excel's quote prefix (the apostrophe a clerk types before such text), so that editing the
cell and pressing Enter does not turn it into a formula either.

Rows must be appended in order: constant-memory mode cannot go back to a row it has written.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from typing import IO, Any, Literal

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
TEXT_FORMAT = "@"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
SHEET_NAME_MAX = 31  # Excel refuses longer sheet names

Value = str | int | float | Decimal | datetime.date | None
# How `append_all(columns=...)` writes a column: AUTO by each value's type (as `append`), TEXT a string in the
# text format, PLAIN a string without a format, NUMBER an int or float, MONEY a number in "#,##0.00".
Kind = Literal["auto", "text", "plain", "number", "money"]
AUTO: Kind = "auto"
TEXT: Kind = "text"
PLAIN: Kind = "plain"
NUMBER: Kind = "number"
MONEY: Kind = "money"


@dataclass(frozen=True, slots=True)
class Style:
    """What a cell looks like beyond its type: bold, a solid fill colour ("FFF2CC"), the text format."""

    bold: bool = False
    fill: str = ""
    text: bool = False


HEADER = Style(bold=True)
PLAIN_STYLE = Style()
_FormatKey = tuple[bool, str, str, bool]  # bold, fill, number format, quote prefix


class XlsxBook:
    """A workbook being written; made by `xlsx_book`, which closes it."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._formats: dict[_FormatKey, Format | None] = {}

    def format(
        self, *, bold: bool = False, fill: str = "", number: str = "", quote: bool = False
    ) -> Format | None:
        """The workbook's one format for these properties (None for none at all), made on first use."""
        key = (bold, fill, number, quote)
        if key not in self._formats:
            properties: dict[str, Any] = {}
            if bold:
                properties["bold"] = True
            if fill:
                properties.update(pattern=1, bg_color=f"#{fill}")
            if number:
                properties["num_format"] = number
            if quote:
                properties["quote_prefix"] = True
            self._formats[key] = self._workbook.add_format(properties) if properties else None
        return self._formats[key]

    def sheet(
        self,
        title: str,
        *,
        widths: Sequence[float] = (),
        text_columns: Iterable[int] = (),
        freeze_header: bool = False,
        columns_as_text: bool = False,
    ) -> XlsxSheet:
        """A new sheet. `widths` of the first columns in characters; `freeze_header` keeps the first row in
        view; `columns_as_text` gives the columns of `widths` the text format themselves, so that what a
        clerk types or pastes into an empty cell later stays text too (the templates)."""
        worksheet = self._workbook.add_worksheet(str(title)[:SHEET_NAME_MAX])
        column_format = self.format(number=TEXT_FORMAT) if columns_as_text else None
        for index, width in enumerate(widths):
            worksheet.set_column(index, index, width, column_format)
        if freeze_header:
            worksheet.freeze_panes(1, 0)
        return XlsxSheet(self, worksheet, frozenset(text_columns))


class XlsxSheet:
    """One sheet, written row after row."""

    def __init__(self, book: XlsxBook, worksheet: Worksheet, text_columns: frozenset[int]) -> None:
        self._book = book
        self._worksheet = worksheet
        self._text_columns = text_columns
        self.rows = 0  # rows appended so far; the next one goes to this 0-based row
        self._money = book.format(number=MONEY_FORMAT)
        self._date = book.format(number=DATE_FORMAT)
        self._text = book.format(number=TEXT_FORMAT)
        self._text_quoted = book.format(number=TEXT_FORMAT, quote=True)
        self._quoted = book.format(quote=True)

    def append(self, values: Sequence[Value], *, style: Style | Sequence[Style | None] | None = None) -> None:
        """One row, each cell by its type; `style` for every cell of the row or one per column."""
        row = self.rows
        self.rows += 1
        if style is None:
            write = self._auto
            for column, value in enumerate(values):
                write(row, column, value)
            return
        styles = [style] * len(values) if isinstance(style, Style) else style
        for column, (value, cell_style) in enumerate(zip(values, styles, strict=True)):
            self._styled(row, column, value, cell_style or PLAIN_STYLE)

    def append_all(self, rows: Iterable[Sequence[Value]], *, columns: Sequence[Kind] | None = None) -> int:
        """Every row of `rows`; with `columns`, each column written as its kind says without looking at the
        value's type (the fast path of the bank files). Returns the number of rows written."""
        if columns is None:
            write = self._auto
            first = self.rows
            for row, values in enumerate(rows, first):
                for column, value in enumerate(values):
                    write(row, column, value)
                self.rows = row + 1
            return self.rows - first
        writers = [self._writer(kind, column) for column, kind in enumerate(columns)]
        first = self.rows
        for row, values in enumerate(rows, first):
            for column, value in enumerate(values):
                writers[column](row, column, value)
            self.rows = row + 1
        return self.rows - first

    def _writer(self, kind: Kind, column: int) -> Callable[[int, int, Any], object]:
        """The writer of one column kind: made once per column, not per cell."""
        worksheet = self._worksheet
        write_string, write_number, write_blank = (
            worksheet.write_string,
            worksheet.write_number,
            worksheet.write_blank,
        )
        if kind == AUTO:
            return self._auto
        if kind in (TEXT, PLAIN):
            plain, quoted = (self._text, self._text_quoted) if kind == TEXT else (None, self._quoted)

            def string(row: int, column: int, value: str | None) -> None:
                if value:
                    write_string(row, column, value, quoted if value.startswith(FORMULA_TRIGGERS) else plain)
                elif value is not None and plain is not None:
                    write_blank(row, column, None, plain)

            return string
        number_format = self._money if kind == MONEY else None

        def number(row: int, column: int, value: float | Decimal | None) -> None:
            if value is not None:
                write_number(row, column, value, number_format)

        return number

    def _auto(self, row: int, column: int, value: Value) -> None:
        worksheet = self._worksheet
        kind = value.__class__
        if kind is str:
            text = column in self._text_columns
            if not value:  # an empty text is no value, but keeps its column's format
                if text:
                    worksheet.write_blank(row, column, None, self._text)
            elif value.startswith(FORMULA_TRIGGERS):  # type: ignore[union-attr]  # a str here
                worksheet.write_string(row, column, value, self._text_quoted if text else self._quoted)
            else:
                worksheet.write_string(row, column, value, self._text if text else None)
        elif value is None:
            return
        elif kind is Decimal:
            worksheet.write_number(row, column, value, self._money)
        elif kind is int or kind is float:
            worksheet.write_number(row, column, value)
        elif kind is bool:
            worksheet.write_boolean(row, column, value)
        elif isinstance(value, datetime.date):
            worksheet.write_datetime(row, column, value, self._date)
        elif isinstance(value, str):  # a lazy translation or another str subclass
            self._auto(row, column, str(value))
        else:
            raise TypeError(f"an xlsx cell cannot hold {kind.__name__}: {value!r}")

    def _styled(self, row: int, column: int, value: Value, style: Style) -> None:
        """A cell with its own style: the type's number format, text only when the style says so (a header
        of a text column is a plain label)."""
        worksheet, book = self._worksheet, self._book
        text = style.text
        if value is None or isinstance(value, str):
            string = "" if value is None else str(value)
            number = TEXT_FORMAT if text else ""
            cell_format = book.format(
                bold=style.bold, fill=style.fill, number=number, quote=string.startswith(FORMULA_TRIGGERS)
            )
            if string:
                worksheet.write_string(row, column, string, cell_format)
            elif cell_format is not None:
                worksheet.write_blank(row, column, None, cell_format)
            return
        if isinstance(value, bool):
            worksheet.write_boolean(row, column, value, book.format(bold=style.bold, fill=style.fill))
        elif isinstance(value, datetime.date):
            cell_format = book.format(bold=style.bold, fill=style.fill, number=DATE_FORMAT)
            worksheet.write_datetime(row, column, value, cell_format)
        else:
            number = MONEY_FORMAT if isinstance(value, Decimal) else ""
            cell_format = book.format(bold=style.bold, fill=style.fill, number=number)
            worksheet.write_number(row, column, value, cell_format)


@contextmanager
def xlsx_book(target: IO[bytes] | str | PathLike[str]) -> Iterator[XlsxBook]:
    """A workbook written to `target` when the block ends without an exception (nothing usable otherwise)."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            # Text is text: never turned into a formula, a number or a link behind the caller's back.
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    yield XlsxBook(workbook)
    workbook.close()


def xlsx_table(
    *,
    target: IO[bytes],
    title: str,
    headers: Sequence[str],
    widths: Sequence[float],
    text_columns: Iterable[int],
    rows: Iterable[Sequence[Value]],
) -> int:
    """One sheet: widths, a frozen header row, then every row by its cells' types, the columns in
    `text_columns` as text. Returns the number of rows written (without the header)."""
    with xlsx_book(target) as book:
        sheet = book.sheet(title, widths=widths, text_columns=text_columns, freeze_header=True)
        sheet.append([str(header) for header in headers], style=PLAIN_STYLE)
        return sheet.append_all(rows)
