"""The files of a certification import (docs/certification-imports.md): their columns per kind, reading them
into typed rows, and the template a clerk downloads.

Reading reuses the registry import's readers (registry.imports.reading): python-calamine for xlsx, CSV tried
as UTF-8 (with or without BOM) and then GB18030, the superset of GBK; never a silent replacement character.
Only the header is different: each kind has its own few columns.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from registry.errors import ImportBatchError
from registry.id_numbers import mask_resident_id, parse_resident_id
from registry.imports.columns import normalise_header
from registry.imports.reading import Cell, csv_records, decode_csv, is_blank, xlsx_records
from registry.imports.validation import cell_text, parse_date
from registry.search import normalise_name
from registry.xlsx import Style, xlsx_book

from .errors import CertificationError
from .models import CertificationImport

Kind = CertificationImport.Kind
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?[eE]\+?\d+$")
_TEXT_FORMAT = "@"


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool  # the column must be in the header row
    example: str = ""


_ID = Column("id_number", "身份证号码", True, "360721195803140010")
COLUMNS: dict[str, tuple[Column, ...]] = {
    Kind.ONLINE: (_ID, Column("date", "认证日期", True, "2026-04-18")),
    # The date defaults to the upload date: a list of people seen alive is often just the IDs.
    Kind.DATA_COMPARISON: (
        _ID,
        Column("date", "比对日期", False, "2026-04-30"),
        Column("name", "姓名", False, "张建国"),
    ),
    Kind.REMOTE_RESULTS: (
        _ID,
        Column("date", "认证日期", True, "2026-05-06"),
        Column("office", "协助认证机构", True, "海口市社会保险事业局"),
    ),
    Kind.DEATHS: (
        _ID,
        Column("name", "姓名", True, "张建国"),
        Column("date", "死亡日期", True, "2026-03-02"),
    ),
}
TEMPLATE_NAMES: dict[str, str] = {
    Kind.ONLINE: "网上自助认证结果导入模板.xlsx",
    Kind.DATA_COMPARISON: "数据比对生存名单导入模板.xlsx",
    Kind.REMOTE_RESULTS: "异地协助认证结果导入模板.xlsx",
    Kind.DEATHS: "死亡名单导入模板.xlsx",
}


@dataclass(slots=True)
class FileRow:
    """One data row as read: the ID normalised when valid, else `id_problem` says why (a clerk's message,
    with the number masked). `date_problem` likewise for the date column."""

    row_number: int
    id_number: str  # normalised 18 characters, or "" when invalid
    id_masked: str  # for the preview: the number as given, masked
    id_problem: str
    name: str
    date: datetime.date | None
    date_problem: str
    office: str


def read_rows(data: bytes, filename: str, *, kind: str, today: datetime.date) -> list[FileRow]:
    """Every non-blank data row, or CertificationError for an unreadable file or a wrong header."""
    try:
        suffix = PurePath(filename).suffix.lower()
        if suffix == ".xlsx":
            records = xlsx_records(data)
        elif suffix == ".csv":
            text, _encoding = decode_csv(data)
            records = csv_records(text)
        else:
            raise CertificationError(_("只能导入 .xlsx 或 .csv 文件。"), field="file")
    except ImportBatchError as error:
        raise CertificationError(error.message, field="file") from None
    rows = [(number, cells) for number, cells in records if not all(is_blank(cell) for cell in cells)]
    if not rows:
        raise CertificationError(_("文件是空的:没有表头,也没有数据行。"), field="file")
    index = header_index(rows[0][1], kind)
    if len(rows) == 1:
        raise CertificationError(_("文件只有表头,没有数据行。"), field="file")
    return [_row(number, cells, index, today=today) for number, cells in rows[1:]]


def header_index(header_cells: list[Cell], kind: str) -> dict[str, int]:
    """Column key → position for the kind's columns, or CertificationError naming the missing ones."""
    by_header = {column.header: column for column in COLUMNS[kind]}
    index: dict[str, int] = {}
    for position, cell in enumerate(header_cells):
        column = by_header.get(normalise_header(cell_text(cell)))
        if column is not None and column.key not in index:  # a repeated column: the first one counts
            index[column.key] = position
    missing = [column.header for column in COLUMNS[kind] if column.required and column.key not in index]
    if missing:
        raise CertificationError(
            _("表头缺少必需的列:%(columns)s。请使用该类型的导入模板,表头在第一行。")
            % {"columns": "、".join(missing)},
            field="file",
        )
    return index


def _row(row_number: int, cells: list[Cell], index: dict[str, int], *, today: datetime.date) -> FileRow:
    def get(key: str) -> Cell:
        position = index.get(key)
        return cells[position] if position is not None and position < len(cells) else None

    id_cell = get("id_number")
    raw = cell_text(id_cell)
    masked = mask_resident_id(raw.upper()) if raw else ""
    number, problem = "", ""
    if isinstance(id_cell, float | int) or _SCIENTIFIC.match(raw):
        problem = _("身份证号码被Excel转成了数字,请将该列设为文本后重新导出")
    elif not raw:
        problem = _("缺少身份证号码")
    else:
        try:
            number = parse_resident_id(raw, today=today).number
        except ValidationError as error:
            # The messages quote the number as given: the preview shows it masked.
            problem = ";".join(message.replace(raw, masked) for message in error.messages)
        else:
            masked = mask_resident_id(number)

    date_cell = get("date")
    date, date_problem = None, ""
    try:
        date = parse_date(date_cell)
    except ValueError:
        date_problem = _("日期“%(value)s”不是有效日期,应写作 2026-04-18、2026/4/18 或 20260418") % {
            "value": cell_text(date_cell)
        }
    return FileRow(
        row_number=row_number,
        id_number=number,
        id_masked=masked,
        id_problem=problem,
        name=normalise_name(cell_text(get("name"))),
        date=date,
        date_problem=date_problem,
        office=cell_text(get("office"))[:100],
    )


def template_workbook(kind: str) -> bytes:
    """The kind's header (required columns shaded), one example row, every column formatted as text so that
    pasted ID numbers stay text (Excel keeps 15 significant digits of a number)."""
    columns = COLUMNS[kind]
    buffer = io.BytesIO()
    with xlsx_book(buffer) as book:
        sheet = book.sheet(
            str(Kind(kind).label)[:31], widths=[24] * len(columns), freeze_header=True, columns_as_text=True
        )
        sheet.append(
            [column.header for column in columns],
            style=[Style(bold=True, fill="FFF2CC" if column.required else "") for column in columns],
        )
        sheet.append([column.example for column in columns], style=Style(text=True))
    return buffer.getvalue()
