"""Reading an import file into a header and rows of cells.

xlsx is read with python-calamine (a Rust reader, about ten times openpyxl's speed; docs/technical-notes.md).
Its numeric cells come back as float, so the validation decides per column what a number means and refuses an
ID or account number that Excel has already turned into one. CSV files from Excel or WPS are GBK more often
than UTF-8: UTF-8 (with or without BOM) is tried strictly first, then GB18030, the superset of GBK that also
has the rare name characters GBK lacks (䶮). Nothing is ever decoded with replacement characters.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.core.files.base import File
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from ..errors import ImportBatchError
from .columns import BY_HEADER, REQUIRED_HEADERS, normalise_header
from .sizing import count_rows, xlsx_header

Cell = (
    str | float | int | bool | datetime.date | datetime.datetime | datetime.time | datetime.timedelta | None
)

EXTENSIONS = (".xlsx", ".csv")
# The header of a CSV is looked for in its first 64 KB.
_CSV_HEAD_BYTES = 64 * 1024


def upload_bytes(
    file: File[bytes], *, max_mb: int | None = None, max_rows: int | None = None
) -> tuple[str, bytes]:
    """An uploaded table file's own name (no path) and its bytes, or ImportBatchError for a file of another
    kind, too large, with more data rows than the limit, or empty. The limits are the caller's kind's
    settings (by default the registry import's IMPORT_MAX_UPLOAD_MB and IMPORT_MAX_ROWS); the rows are counted
    without parsing a cell (imports.sizing). Shared by every import of a table."""
    name = PurePath(file.name or "").name
    if PurePath(name).suffix.lower() not in EXTENSIONS:
        raise ImportBatchError(_("只能导入 .xlsx 或 .csv 文件。"), field="file")
    limit_mb = settings.IMPORT_MAX_UPLOAD_MB if max_mb is None else max_mb
    if (file.size or 0) > limit_mb * 1024 * 1024:
        raise ImportBatchError(
            _("文件超过 %(limit)d MB,请分成几个文件导入。") % {"limit": limit_mb}, field="file"
        )
    data = file.read()
    if not data:
        raise ImportBatchError(_("文件是空的:没有表头,也没有数据行。"), field="file")
    check_row_limit(data, name, max_rows=settings.IMPORT_MAX_ROWS if max_rows is None else max_rows)
    return name, data


def check_row_limit(data: bytes, name: str, *, max_rows: int, exact: bool = False) -> int:
    """The file's data rows (its rows less the header), or ImportBatchError when there are more than
    `max_rows`; counted streaming (imports.sizing), before any parsing of the cells."""
    data_rows = max(count_rows(data, name, exact=exact) - 1, 0)
    if data_rows > max_rows:
        raise ImportBatchError(
            _("文件有 %(rows)s 行数据,超过每个文件 %(limit)s 行的上限,请分成几个文件导入。")
            % {"rows": f"{data_rows:,}", "limit": f"{max_rows:,}"},
            field="file",
        )
    return data_rows


def header_row(data: bytes, filename: str) -> list[str]:
    """The header of a table file, read without reading its data rows: the xlsx sheet's first row streaming
    (imports.sizing), or the first line of the CSV decoded as read_table would decode it."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        return xlsx_header(data)
    if suffix != ".csv":
        raise ImportBatchError(_("只能导入 .xlsx 或 .csv 文件。"), field="file")
    head = data[:_CSV_HEAD_BYTES]
    if len(data) > _CSV_HEAD_BYTES:
        # Whole lines only, so a multi-byte character is never cut in two.
        head = head[: head.rfind(b"\n") + 1] or head
    text, _encoding = decode_csv(head)
    for _number, cells in csv_records(text):
        if not all(is_blank(cell) for cell in cells):
            return ["" if is_blank(cell) else str(cell).strip() for cell in cells]
    return []


def check_header(data: bytes, filename: str) -> None:
    """Refuse, at once and without reading the data rows, a file whose header is not the import's."""
    headers = header_row(data, filename)
    if not headers:
        raise ImportBatchError(_("文件是空的:没有表头,也没有数据行。"), field="file")
    _header_index(headers)


@dataclass
class Table:
    headers: list[str]  # as written in the file, for the rejected-rows file
    index: dict[str, int]  # column key → position in a row
    rows: list[tuple[int, list[Cell]]]  # (row number as a spreadsheet shows it, cells); blank rows left out
    encoding: str = ""  # CSV only: the encoding found


def read_table(data: bytes, filename: str) -> Table:
    """The file's header and data rows, or ImportBatchError with a message for the clerk."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".xlsx":
        return _table(xlsx_records(data), encoding="")
    if suffix == ".csv":
        text, encoding = decode_csv(data)
        return _table(csv_records(text), encoding=encoding)
    raise ImportBatchError(_("只能导入 .xlsx 或 .csv 文件。"), field="file")


def decode_csv(data: bytes) -> tuple[str, str]:
    """The text and the name of the encoding that read it. UTF-8 first (strict: GBK bytes are rarely valid
    UTF-8), then GB18030; never a silent replacement of a character."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030"
    except UnicodeDecodeError:
        raise ImportBatchError(
            _("无法识别CSV文件的编码,请另存为UTF-8或GBK(GB18030)编码后重新上传。"), field="file"
        ) from None


def xlsx_records(data: bytes) -> list[tuple[int, list[Cell]]]:
    """The first sheet's rows as (row number as Excel shows it, cells); also read by certification imports."""
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            return []
        sheet = workbook.get_sheet_by_index(0)
        # The used range may start below row 1 (blank rows on top): keep the numbers the clerk sees in Excel.
        start_row = (sheet.start or (0, 0))[0]
        return [(start_row + offset + 1, list(row)) for offset, row in enumerate(sheet.iter_rows())]
    except (CalamineError, ValueError, OSError):  # its Zip, Xml and Password errors are CalamineErrors
        raise ImportBatchError(
            _("无法读取该Excel文件,请确认是未加密、未损坏的 .xlsx 文件(旧的 .xls 请另存为 .xlsx)。"),
            field="file",
        ) from None


def csv_records(text: str) -> list[tuple[int, list[Cell]]]:
    """The rows of decoded CSV text as (line number, cells); also read by certification imports."""
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        return [(number, list(row)) for number, row in enumerate(reader, start=1)]
    except csv.Error:
        raise ImportBatchError(_("无法读取该CSV文件:格式有误(例如引号不成对)。"), field="file") from None


def is_blank(cell: Cell) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(records: Iterable[tuple[int, list[Cell]]], *, encoding: str) -> Table:
    rows = [(number, cells) for number, cells in records if not all(is_blank(cell) for cell in cells)]
    if not rows:
        raise ImportBatchError(_("文件是空的:没有表头,也没有数据行。"), field="file")
    _header_number, header_cells = rows[0]
    headers = ["" if is_blank(cell) else str(cell).strip() for cell in header_cells]
    index = _header_index(headers)
    data_rows = rows[1:]
    if not data_rows:
        raise ImportBatchError(_("文件只有表头,没有数据行。"), field="file")
    return Table(headers=headers, index=index, rows=data_rows, encoding=encoding)


def _header_index(headers: list[str]) -> dict[str, int]:
    """Column key → position for the import's columns, or ImportBatchError naming what is missing or
    repeated."""
    index: dict[str, int] = {}
    repeated: list[str] = []
    for position, header in enumerate(headers):
        column = BY_HEADER.get(normalise_header(header))
        if column is None:
            continue  # an extra column: ignored, but kept in the rejected-rows file
        if column.key in index:
            repeated.append(column.header)
        index[column.key] = position
    missing = [header for header in REQUIRED_HEADERS if BY_HEADER[header].key not in index]
    if missing:
        raise ImportBatchError(
            _("表头缺少必需的列:%(columns)s。请使用导入模板,表头在第一行。")
            % {"columns": "、".join(missing)},
            field="file",
        )
    if repeated:
        raise ImportBatchError(
            _("表头中这些列出现了不止一次:%(columns)s。") % {"columns": "、".join(repeated)}, field="file"
        )
    return index
