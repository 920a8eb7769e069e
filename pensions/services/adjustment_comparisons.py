"""The province's own per-person results for a dry run, compared with ours to the fen (docs/adjustment-
province-file.md).

The upload only measures the file (type, size, rows without parsing) and reads its header, so a wrong file is
refused at once; the worker reads every row, refuses the whole file when a row is wrong (the clerk fixes it
and uploads again: half a comparison would hide people), and then compares set-based: the rows go into a
temporary table with COPY and three INSERT … SELECT write the differences, all in one transaction that
replaces whatever an earlier attempt wrote and ends by marking the comparison done.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.errors import ImportBatchError
from registry.id_numbers import mask_resident_id, parse_resident_id
from registry.imports.columns import normalise_header
from registry.imports.reading import (
    Cell,
    check_row_limit,
    csv_records,
    decode_csv,
    header_row,
    is_blank,
    upload_bytes,
    xlsx_records,
)
from registry.imports.validation import cell_text
from registry.jobs import job_first_fields, job_heartbeat, job_start_fields
from registry.models import Retiree, Staff
from registry.sql import with_names

from ..errors import AdjustmentError
from ..models import AdjustmentComparison, AdjustmentDifference, AdjustmentLine, AdjustmentRun
from ..selectors.adjustment_comparisons import comparison_stalled

logger = logging.getLogger("pensions.adjustments")
Status = AdjustmentComparison.Status
Kind = AdjustmentDifference.Kind

# A county's file of 100,000 people is about 5 MB as xlsx and 4 MB as CSV.
MAX_UPLOAD_MB = 20
MAX_ROWS = 200_000
# At most this many examples of one kind of problem in the refusal message.
_EXAMPLES = 10
_PROGRESS_EVERY = 5_000
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?[eE]\+?\d+$")
_CENT = Decimal("0.01")
_LARGEST = Decimal("9999999999.99")  # numeric(12,2)

# The header a column is known by (after normalise_header), and the synonyms a province's file uses.
ID_HEADERS = ("身份证号码", "身份证号", "公民身份号码")
RISE_HEADERS = ("月增加额", "增加额", "调整额")
NEW_AMOUNT_HEADERS = ("调整后金额", "调整后养老金", "调整后月养老金")
NAME_HEADERS = ("姓名",)
_COLUMNS = {
    "id_number": ID_HEADERS,
    "rise": RISE_HEADERS,
    "new_amount": NEW_AMOUNT_HEADERS,
    "name": NAME_HEADERS,
}
# Runs with lines to compare with: computed and everything after it except a discarded run.
COMPARABLE_RUN_STATUSES = (
    AdjustmentRun.Status.COMPUTED,
    AdjustmentRun.Status.SUBMITTED,
    AdjustmentRun.Status.APPROVED,
    AdjustmentRun.Status.APPLYING,
    AdjustmentRun.Status.APPLIED,
    AdjustmentRun.Status.REJECTED,
)


def columns_of(headers: list[str]) -> dict[str, int]:
    """Column key → position, or AdjustmentError naming what the header lacks. The first of repeated
    synonyms counts."""
    index: dict[str, int] = {}
    by_header = {header: key for key, headers_ in _COLUMNS.items() for header in headers_}
    for position, header in enumerate(headers):
        key = by_header.get(normalise_header(header))
        if key is not None and key not in index:
            index[key] = position
    if "id_number" not in index:
        raise AdjustmentError(
            _("表头缺少“身份证号码”列。表头应在第一行,例如:身份证号码、姓名、月增加额、调整后金额。"),
            field="file",
        )
    if "rise" not in index and "new_amount" not in index:
        raise AdjustmentError(
            _(
                "表头中既没有“月增加额”(或“增加额”“调整额”)列,也没有“调整后金额”(或“调整后养老金”)列,无法比对。"
            ),
            field="file",
        )
    return index


# Upload -----------------------------------------------------------------------------------------------------


def _queue(comparison: AdjustmentComparison) -> None:
    from ..tasks import adjustment_compare_task  # noqa: PLC0415

    transaction.on_commit(lambda: adjustment_compare_task.delay(comparison.pk))


def _measured(file: File[bytes]) -> tuple[str, bytes]:
    """The file's name and bytes once its type, size, row count and header are right."""
    try:
        name, data = upload_bytes(file, max_mb=MAX_UPLOAD_MB, max_rows=MAX_ROWS)
        headers = header_row(data, name)
    except ImportBatchError as error:
        raise AdjustmentError(error.message, field="file") from None
    if not any(headers):
        raise AdjustmentError(
            _("文件第一行没有表头。表头应在第一行,例如:身份证号码、姓名、月增加额。"), field="file"
        )
    columns_of(headers)
    return name, data


@transaction.atomic
def adjustment_comparison_upload(*, run: AdjustmentRun, file: File[bytes], by: Staff) -> AdjustmentComparison:
    """A clerk uploads the province's result file for a computed run: checked at once for its type, size and
    header, then compared by a background job (progress on the page)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = AdjustmentRun.objects.select_for_update().get(pk=run.pk)
    if locked.status not in COMPARABLE_RUN_STATUSES:
        raise AdjustmentError(
            _("该试算%(status)s,没有可比对的试算结果。") % {"status": locked.get_status_display()},
            field="file",
        )
    name, data = _measured(file)
    now = timezone.now()
    comparison = AdjustmentComparison(
        run=locked,
        original_name=name[:200],
        status=Status.QUEUED,
        uploaded_by=by,
        uploaded_at=now,
        **job_first_fields(now),
    )
    # Stored under a plain name: the clerk's file name is kept in original_name.
    comparison.file.save(
        f"province-{locked.pk}{PurePath(name).suffix.lower()}", ContentFile(data), save=False
    )
    comparison.save()
    _queue(comparison)
    return comparison


@transaction.atomic
def adjustment_comparison_restart(*, comparison: AdjustmentComparison, by: Staff) -> AdjustmentComparison:
    """Compare again after a failure, an interrupted job or one whose worker has stopped beating (the
    differences are replaced, never added to)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    locked = AdjustmentComparison.objects.select_for_update().get(pk=comparison.pk)
    if locked.status not in (Status.FAILED, Status.INTERRUPTED) and not comparison_stalled(locked):
        raise AdjustmentError(
            _("该比对%(status)s,不能重新运行。") % {"status": locked.get_status_display()}, field="status"
        )
    for name, value in job_start_fields(locked).items():
        setattr(locked, name, value)
    locked.status, locked.progress, locked.error = Status.QUEUED, 0, ""
    locked.save(
        update_fields=["status", "progress", "error", "job_started_at", "job_heartbeat_at", "job_attempts"]
    )
    _queue(locked)
    return locked


# Reading the rows -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ProvinceRow:
    id_number: str
    rise: Decimal | None
    new_amount: Decimal | None


class _Problems:
    """The file's wrong rows, by kind, each kept to a few examples for the message."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {}

    def add(self, kind: str, example: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        examples = self.found.setdefault(kind, [])
        if len(examples) < _EXAMPLES:
            examples.append(example)

    def message(self) -> str:
        parts = []
        for kind, examples in self.found.items():
            more = self.counts[kind] - len(examples)
            text = "、".join(examples) + (
                _(" 等共 %(count)d 处") % {"count": self.counts[kind]} if more else ""
            )
            parts.append(f"{kind}:{text}")
        return _("文件有错误,未比对,请改正后重新上传。") + ";".join(parts) + "。"


def _amount(cell: Cell) -> Decimal | None:
    """A money cell: None when blank; ValueError when not a number, InvalidOperation when it has more than
    two decimals. A float from Excel is read as its shortest form (127.98, not 127.980000000000004)."""
    if is_blank(cell):
        return None
    if isinstance(cell, bool):
        raise ValueError(cell)
    text = repr(cell) if isinstance(cell, float) else cell_text(cell).replace(",", "").replace("¥", "")
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite() or abs(value) > _LARGEST:
        raise ValueError(text)
    if value != value.quantize(_CENT):
        raise InvalidOperation(text)
    return value.quantize(_CENT)


def read_province_rows(
    data: bytes, name: str, *, progress: Callable[[int, int], None] | None = None
) -> tuple[list[ProvinceRow], set[str]]:
    """Every data row of the file and the amount columns it has ("rise", "new_amount"), or AdjustmentError
    listing the wrong rows: an ID that is missing, malformed or turned into a number by Excel, an amount that
    is not a number or has more than two decimals, an ID given twice. `progress(done, total)` is called every
    few thousand rows."""
    try:
        check_row_limit(data, name, max_rows=MAX_ROWS, exact=True)
        if PurePath(name).suffix.lower() == ".xlsx":
            records = xlsx_records(data)
        else:
            text, _encoding = decode_csv(data)
            records = csv_records(text)
    except ImportBatchError as error:
        raise AdjustmentError(error.message, field="file") from None
    rows = [(number, cells) for number, cells in records if not all(is_blank(cell) for cell in cells)]
    if not rows:
        raise AdjustmentError(_("文件是空的:没有表头,也没有数据行。"), field="file")
    index = columns_of(["" if is_blank(cell) else cell_text(cell) for cell in rows[0][1]])
    today = timezone.localdate()
    problems = _Problems()
    seen: dict[str, int] = {}
    result: list[ProvinceRow] = []

    def get(cells: list[Cell], key: str) -> Cell:
        position = index.get(key)
        return cells[position] if position is not None and position < len(cells) else None

    # Translated once, not per row (a gettext call per row was most of the time of a 100,000-row file).
    row_word = _("第%(row)d行")
    amount_labels = (("rise", _("月增加额")), ("new_amount", _("调整后金额")))
    for done, (number, cells) in enumerate(rows[1:], start=1):
        if progress is not None and done % _PROGRESS_EVERY == 0:
            progress(done, len(rows) - 1)
        where = row_word % {"row": number}
        id_cell = get(cells, "id_number")
        raw = cell_text(id_cell)
        id_number = ""
        if isinstance(id_cell, float | int) or _SCIENTIFIC.match(raw):
            problems.add(_("身份证号码被Excel转成了数字(请将该列设为文本)"), where)
        elif not raw:
            problems.add(_("缺少身份证号码"), where)
        else:
            try:
                id_number = parse_resident_id(raw, today=today).number
            except ValidationError:
                problems.add(_("身份证号码无效"), f"{where}({mask_resident_id(raw.upper())})")
        amounts: dict[str, Decimal | None] = {}
        for key, label in amount_labels:
            try:
                amounts[key] = _amount(get(cells, key))
            except InvalidOperation:
                problems.add(_("%(column)s超过两位小数") % {"column": label}, where)
            except ValueError:
                problems.add(_("%(column)s不是数字") % {"column": label}, where)
        if id_number:
            if id_number in seen:
                problems.add(
                    _("身份证号码重复"),
                    _("%(number)s(第%(first)d行和第%(row)d行)")
                    % {"number": mask_resident_id(id_number), "first": seen[id_number], "row": number},
                )
            else:
                seen[id_number] = number
        result.append(
            ProvinceRow(id_number=id_number, rise=amounts.get("rise"), new_amount=amounts.get("new_amount"))
        )
    if len(rows) == 1:
        raise AdjustmentError(_("文件只有表头,没有数据行。"), field="file")
    if problems.found:
        raise AdjustmentError(problems.message(), field="file")
    return result, {key for key in ("rise", "new_amount") if key in index}


# The job ----------------------------------------------------------------------------------------------------


def _claim(comparison_id: int) -> AdjustmentComparison | None:
    """Queued → running, or None when a redelivered message finds it running, done or failed."""
    with transaction.atomic():
        locked = AdjustmentComparison.objects.select_for_update().filter(pk=comparison_id).first()
        if locked is None or locked.status != Status.QUEUED:
            return None
        locked.status = Status.RUNNING
        locked.job_heartbeat_at = timezone.now()
        locked.save(update_fields=["status", "job_heartbeat_at"])
        return locked


def adjustment_compare(*, comparison_id: int) -> AdjustmentComparison | None:
    """The comparison (the task's body). A file with wrong rows fails with the message for the clerk; the
    differences are written with the counts and the done status in one transaction. Returns the comparison,
    or None when it was not queued."""
    comparison = _claim(comparison_id)
    if comparison is None:
        return None
    try:
        with comparison.file.open("rb") as handle:
            data = handle.read()
        job_heartbeat(AdjustmentComparison, comparison.pk, progress=5)
        rows, columns = read_province_rows(
            data,
            comparison.original_name,
            # Reading is the long part: 5 % to 50 %; the set-based compare after it takes seconds.
            progress=lambda done, total: job_heartbeat(
                AdjustmentComparison, comparison_id, progress=5 + 45 * done // max(total, 1)
            ),
        )
        job_heartbeat(AdjustmentComparison, comparison.pk, progress=50)
        _write(comparison, rows, columns)
    except AdjustmentError as refusal:
        AdjustmentComparison.objects.filter(pk=comparison_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=refusal.message[:4000]
        )
    except Exception as error:
        logger.exception("adjustment comparison %s failed", comparison_id)
        AdjustmentComparison.objects.filter(pk=comparison_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=(_("比对失败:%(error)s") % {"error": error})[:4000]
        )
        raise
    comparison.refresh_from_db()
    return comparison


_ROWS_TABLE = "adjustment_province_rows"
# Differences, set-based. {compare} is the rise comparison and {compare_new} the new amount's, each "false"
# when the file has no such column (the province then says nothing about it).
_AMOUNTS = with_names(
    """
    INSERT INTO {difference} ({difference.comparison}, {difference.kind}, {difference.id_number},
        {difference.retiree}, {difference.ours_rise}, {difference.province_rise},
        {difference.ours_new_amount}, {difference.province_new_amount})
    SELECT %(comparison)s, %(amount)s, p.id_number, l.{line.retiree}, l.{line.rise}, p.rise,
        l.{line.new_amount}, p.new_amount
    FROM adjustment_province_rows p
    JOIN {retiree} r ON r.{retiree.id_number} = p.id_number
    JOIN {line} l ON l.{line.retiree} = r.id AND l.{line.run} = %(run)s
    WHERE {{compare_rise}} OR {{compare_new}}
    """,
    difference=AdjustmentDifference,
    line=AdjustmentLine,
    retiree=Retiree,
)
_ONLY_PROVINCE = with_names(
    """
    INSERT INTO {difference} ({difference.comparison}, {difference.kind}, {difference.id_number},
        {difference.retiree}, {difference.province_rise}, {difference.province_new_amount})
    SELECT %(comparison)s,
        CASE WHEN r.id IS NULL THEN %(unknown)s ELSE %(only_province)s END,
        p.id_number, r.id, p.rise, p.new_amount
    FROM adjustment_province_rows p
    LEFT JOIN {retiree} r ON r.{retiree.id_number} = p.id_number
    WHERE NOT EXISTS (
        SELECT 1 FROM {line} l WHERE l.{line.run} = %(run)s AND l.{line.retiree} = r.id
    )
    """,
    difference=AdjustmentDifference,
    line=AdjustmentLine,
    retiree=Retiree,
)
_ONLY_OURS = with_names(
    """
    INSERT INTO {difference} ({difference.comparison}, {difference.kind}, {difference.id_number},
        {difference.retiree}, {difference.ours_rise}, {difference.ours_new_amount})
    SELECT %(comparison)s, %(only_ours)s, r.{retiree.id_number}, r.id, l.{line.rise}, l.{line.new_amount}
    FROM {line} l
    JOIN {retiree} r ON r.id = l.{line.retiree}
    WHERE l.{line.run} = %(run)s AND l.{line.rise} IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM adjustment_province_rows p WHERE p.id_number = r.{retiree.id_number})
    """,
    difference=AdjustmentDifference,
    line=AdjustmentLine,
    retiree=Retiree,
)
# People in both, the same to the fen.
_MATCHED = with_names(
    """
    SELECT count(*) FROM adjustment_province_rows p
    JOIN {retiree} r ON r.{retiree.id_number} = p.id_number
    JOIN {line} l ON l.{line.retiree} = r.id AND l.{line.run} = %(run)s
    """,
    line=AdjustmentLine,
    retiree=Retiree,
)


def _write(comparison: AdjustmentComparison, rows: list[ProvinceRow], columns: set[str]) -> None:
    compare_rise = "p.rise IS DISTINCT FROM l.rise" if "rise" in columns else "false"
    compare_new = "p.new_amount IS DISTINCT FROM l.new_amount" if "new_amount" in columns else "false"
    params: dict[str, Any] = {
        "comparison": comparison.pk,
        "run": comparison.run_id,
        "amount": Kind.AMOUNT,
        "unknown": Kind.UNKNOWN_PERSON,
        "only_province": Kind.ONLY_PROVINCE,
        "only_ours": Kind.ONLY_OURS,
    }
    null = "\\N"
    buffer = io.StringIO()
    for row in rows:
        rise = null if row.rise is None else str(row.rise)
        new_amount = null if row.new_amount is None else str(row.new_amount)
        buffer.write(f"{row.id_number}\t{rise}\t{new_amount}\n")
    buffer.seek(0)
    with transaction.atomic():
        locked = AdjustmentComparison.objects.select_for_update().filter(pk=comparison.pk).first()
        if locked is None or locked.status != Status.RUNNING:
            return  # swept as interrupted meanwhile, or finished by another delivery
        with connection.cursor() as cursor:
            # Dropped first as well: inside an outer transaction (a test's) ON COMMIT has not come yet.
            cursor.execute(f"DROP TABLE IF EXISTS {_ROWS_TABLE}")
            cursor.execute(
                f'CREATE TEMPORARY TABLE {_ROWS_TABLE} (id_number varchar(18) COLLATE "C" PRIMARY KEY,'
                " rise numeric(12, 2), new_amount numeric(12, 2)) ON COMMIT DROP"
            )
            cursor.copy_expert(f"COPY {_ROWS_TABLE} (id_number, rise, new_amount) FROM STDIN", buffer)
            cursor.execute(f"ANALYZE {_ROWS_TABLE}")
            # A second attempt replaces the first one's differences: each person is listed once.
            AdjustmentDifference.objects.filter(comparison_id=comparison.pk).delete()
            cursor.execute(
                _AMOUNTS.replace("{compare_rise}", compare_rise).replace("{compare_new}", compare_new), params
            )
            cursor.execute(_ONLY_PROVINCE, params)
            cursor.execute(_ONLY_OURS, params)
            cursor.execute(_MATCHED, params)
            in_both = cursor.fetchone()[0]
        differing = AdjustmentDifference.objects.filter(comparison_id=comparison.pk).count()
        amount_differences = AdjustmentDifference.objects.filter(
            comparison_id=comparison.pk, kind=Kind.AMOUNT
        ).count()
        AdjustmentComparison.objects.filter(pk=comparison.pk).update(
            status=Status.DONE,
            progress=100,
            rows=len(rows),
            matched=in_both - amount_differences,
            differing=differing,
            error="",
            job_heartbeat_at=timezone.now(),
        )
