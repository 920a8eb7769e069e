"""Imports of results from elsewhere (docs/certification-imports.md): online self-service results, data
comparison (people seen alive in other records), returned remote forms, and deaths lists.

A file is checked first (certification_import_check): every row gets one outcome, the counts and the problem
rows go on the import row, nothing else is written. Confirming (certification_import_apply) reads the file
again, checks again against the registry as it is now, and writes in one transaction: one INSERT … SELECT from
unnest arrays for the many certifications, certify() one by one for the few retirees the suspension job
suspended (it restores them and releases the withheld months), or the death matches for the review list.
A clerk then confirms or dismisses each death match (death_match_decide).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import pghistory
from celery.result import AsyncResult
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from registry import access
from registry.access import Action
from registry.errors import ImportBatchError
from registry.imports.reading import check_row_limit, header_row, upload_bytes
from registry.imports.sizing import count_rows
from registry.jobs import INTERRUPTED_MESSAGE, job_heartbeat, job_is_stale, job_start_fields
from registry.models import OrgUnit, Retiree, Staff, StatusChange
from registry.services import retiree_change_status
from registry.sql import with_names

from ..errors import CertificationError, RetireeNotVisibleError
from ..importfiles import FileRow, header_index, read_rows
from ..models import Certification, CertificationImport, DeathMatch
from .certify import (
    SUSPENSION_LOCK,
    certify,
    counting_year,
    counting_years,
    suspended_by_job,
)

Kind = CertificationImport.Kind
ImportStatus = CertificationImport.Status

# Stored on the status change as data, in Chinese whatever the language of the request.
DEATH_SUSPENSION_REASON = gettext_noop("死亡比对确认,暂停发放,待办理死亡登记")

CHANNELS: dict[str, str] = {
    Kind.ONLINE: Certification.Channel.ONLINE,
    Kind.DATA_COMPARISON: Certification.Channel.DATA_COMPARISON,
    Kind.REMOTE_RESULTS: Certification.Channel.REMOTE_ASSISTED,
}
_CHUNK = 10_000


class Outcome:
    """What confirming does with a row. Each row has exactly one; the labels are the preview's."""

    CERTIFY = "certify"
    RESTORE = "restore"
    SUSPENDED_OTHER = "suspended_other"
    ALREADY = "already"
    DEATH_MATCH = "death_match"
    ALREADY_LISTED = "already_listed"
    NOT_FOUND = "not_found"
    BAD_ID = "bad_id"
    NAME_DIFFERS = "name_differs"
    INACTIVE = "inactive"
    DUPLICATE = "duplicate"
    BAD_DATE = "bad_date"
    OUT_OF_YEAR = "out_of_year"
    INCOMPLETE = "incomplete"


OUTCOME_LABELS: dict[str, str] = {
    Outcome.CERTIFY: gettext_noop("将记录认证"),
    Outcome.RESTORE: gettext_noop("暂停发放人员,将恢复发放并补发"),
    Outcome.SUSPENDED_OTHER: gettext_noop("因其他原因暂停发放,只记录认证,不恢复发放"),
    Outcome.ALREADY: gettext_noop("本年度已认证(保留首次记录)"),
    Outcome.DEATH_MATCH: gettext_noop("将列入死亡比对待核名单"),
    Outcome.ALREADY_LISTED: gettext_noop("已在死亡比对名单中"),
    Outcome.NOT_FOUND: gettext_noop("未找到该退休人员"),
    Outcome.BAD_ID: gettext_noop("身份证号码有误"),
    Outcome.NAME_DIFFERS: gettext_noop("姓名与登记不符"),
    Outcome.INACTIVE: gettext_noop("已死亡或已终止发放"),
    Outcome.DUPLICATE: gettext_noop("文件内重复行"),
    Outcome.BAD_DATE: gettext_noop("日期缺失或有误"),
    Outcome.OUT_OF_YEAR: gettext_noop("日期不在认证年度内"),
    Outcome.INCOMPLETE: gettext_noop("缺少必填项"),
}
# Outcomes per kind, in the order the preview shows them; the first ones are what confirming does.
CERTIFICATION_OUTCOMES = (
    Outcome.CERTIFY,
    Outcome.RESTORE,
    Outcome.SUSPENDED_OTHER,
    Outcome.ALREADY,
    Outcome.NOT_FOUND,
    Outcome.BAD_ID,
    Outcome.NAME_DIFFERS,
    Outcome.INACTIVE,
    Outcome.DUPLICATE,
    Outcome.BAD_DATE,
    Outcome.OUT_OF_YEAR,
    Outcome.INCOMPLETE,
)
DEATH_OUTCOMES = (
    Outcome.DEATH_MATCH,
    Outcome.ALREADY_LISTED,
    Outcome.NOT_FOUND,
    Outcome.BAD_ID,
    Outcome.INACTIVE,
    Outcome.DUPLICATE,
    Outcome.BAD_DATE,
    Outcome.INCOMPLETE,
)
# Rows that are neither written nor problems: not listed row by row (a second file of 100,000 people already
# certified would otherwise list them all), only counted.
_UNLISTED = frozenset({Outcome.CERTIFY, Outcome.RESTORE, Outcome.ALREADY, Outcome.DEATH_MATCH})


def outcomes_for(kind: str) -> tuple[str, ...]:
    return DEATH_OUTCOMES if kind == Kind.DEATHS else CERTIFICATION_OUTCOMES


@dataclass(frozen=True)
class _Known:
    """A registry record matched by ID number, with what the outcome depends on."""

    retiree_id: int
    name: str
    status: str
    community: str
    township: str


@dataclass
class _Classified:
    counts: dict[str, int]
    problems: list[dict[str, Any]] = field(default_factory=list)
    restorations: list[dict[str, Any]] = field(default_factory=list)
    matches: list[dict[str, Any]] = field(default_factory=list)
    # What confirming writes: (retiree id, date, certifying office) and (retiree id, reported name, died on).
    to_certify: list[tuple[int, datetime.date, str]] = field(default_factory=list)
    to_restore: list[tuple[int, datetime.date, str]] = field(default_factory=list)
    to_list: list[tuple[int, str, datetime.date | None]] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.to_certify) + len(self.to_restore) + len(self.to_list)

    def summary(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "problems": sorted(self.problems, key=lambda problem: problem["row"]),
            "restorations": self.restorations,
            "matches": self.matches,
        }


def _require(user: Staff) -> None:
    """County clerks and the admin: importing certifies many people (CERTIFY) and a deaths list starts
    registry work (EDIT_REGISTRY). A township officer has only CERTIFY: 403."""
    access.require(user, Action.EDIT_REGISTRY)
    access.require(user, Action.CERTIFY)


def _any_of(column: str, values: list[Any]) -> RawSQL:
    """`column = ANY(array)`: one parameter for 10,000 values, where `__in` builds 10,000 (a third of the
    check's time at 100,000 rows)."""
    # The column is a constant of this module; the values travel as one parameter.
    return RawSQL(f"{column} = ANY(%s)", (values,), output_field=BooleanField())  # noqa: S611


_RETIREE_ID_NUMBER = with_names("{retiree}.{retiree.id_number}", retiree=Retiree)


def _known(user: Staff, numbers: Iterable[str]) -> dict[str, _Known]:
    """The registry records of these ID numbers that `user` may see, one query per 10,000 numbers. A number
    outside the user's scope is simply not found: the preview says nothing about that person."""
    found: dict[str, _Known] = {}
    numbers = list(numbers)
    visible = access.retirees_visible_to(user)
    units = {unit.pk: unit for unit in OrgUnit.objects.filter(kind=OrgUnit.Kind.COMMUNITY)}
    townships = dict(OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP).values_list("id", "name"))
    for start in range(0, len(numbers), _CHUNK):
        rows = visible.filter(_any_of(_RETIREE_ID_NUMBER, numbers[start : start + _CHUNK]))
        for number, pk, name, status, community_id in rows.values_list(
            "id_number", "id", "name", "status", "community_id"
        ):
            unit = units.get(community_id)
            community = unit.name if unit else ""
            township = townships.get(unit.parent_id, "") if unit and unit.parent_id else ""
            found[number] = _Known(pk, name, status, community, township)
    return found


def _ids_with(queryset: Any, retiree_ids: list[int]) -> set[int]:
    result: set[int] = set()
    table = queryset.model._meta.db_table
    for start in range(0, len(retiree_ids), _CHUNK):
        chunk = retiree_ids[start : start + _CHUNK]
        matching = queryset.filter(_any_of(f'"{table}"."retiree_id"', chunk))
        result.update(matching.values_list("retiree_id", flat=True))
    return result


def _suspended_by_job_after(year: int, by_job: set[int]) -> set[int]:
    """Of the retirees the suspension job suspended, those it suspended for a year after `year`: certify()
    lifts the job's suspension only with a certification of the suspension's year or later, so a late file of
    an earlier year records the certification and restores nobody."""
    later = StatusChange.objects.filter(
        to_status=Retiree.Status.SUSPENDED,
        actor__username=settings.SYSTEM_STAFF_USERNAME,
        effective_date__year__gt=year,
    )
    return _ids_with(later, sorted(by_job))


def _classify(rows: list[FileRow], *, kind: str, year: int, user: Staff, today: datetime.date) -> _Classified:
    """One outcome per row, in this order: the ID, a repeat in the file, the date, the required cells, the
    registry (found, name, status), and what is already recorded."""
    deaths = kind == Kind.DEATHS
    # The year each date is recorded for (certify() does the same): its calendar year in the campaign mode.
    year_of = counting_years()
    counts = dict.fromkeys(outcomes_for(kind), 0)
    result = _Classified(counts=counts)
    first_row: dict[str, int] = {}
    candidates: list[tuple[FileRow, datetime.date | None]] = []

    def problem(row: FileRow, outcome: str, reason: str = "") -> None:
        counts[outcome] += 1
        if outcome not in _UNLISTED:
            result.problems.append(
                {
                    "row": row.row_number,
                    "id_number": row.id_masked,
                    "name": row.name,
                    "outcome": outcome,
                    "reason": reason or _(OUTCOME_LABELS[outcome]),
                }
            )

    for row in rows:
        if row.id_problem:
            problem(row, Outcome.BAD_ID, row.id_problem)
            continue
        if row.id_number in first_row:
            problem(
                row,
                Outcome.DUPLICATE,
                _("身份证号码与第 %(row)s 行重复,以第一行为准") % {"row": first_row[row.id_number]},
            )
            continue
        first_row[row.id_number] = row.row_number
        date = row.date
        if row.date_problem:
            problem(row, Outcome.BAD_DATE, row.date_problem)
            continue
        if date is None and kind == Kind.DATA_COMPARISON:
            date = today  # the comparison date defaults to the upload date
        if date is None:
            problem(row, Outcome.BAD_DATE, _("缺少日期"))
            continue
        if date > today:
            problem(row, Outcome.BAD_DATE, _("日期 %(date)s 晚于今天") % {"date": date.isoformat()})
            continue
        if not deaths and year_of(date) != year:
            problem(
                row,
                Outcome.OUT_OF_YEAR,
                _("日期 %(date)s 不在 %(year)s 年度内") % {"date": date.isoformat(), "year": year},
            )
            continue
        if kind == Kind.REMOTE_RESULTS and not row.office:
            problem(row, Outcome.INCOMPLETE, _("缺少协助认证机构"))
            continue
        if deaths and not row.name:
            problem(row, Outcome.INCOMPLETE, _("缺少姓名"))
            continue
        candidates.append((row, date))

    known = _known(user, (row.id_number for row, _date in candidates))
    found_ids = [record.retiree_id for record in known.values()]
    if deaths:
        listed = _ids_with(DeathMatch.objects.exclude(status=DeathMatch.Status.DISMISSED), found_ids)
        certified: set[int] = set()
        death_confirmed: set[int] = set()
        by_job: set[int] = set()
    else:
        listed = set()
        certified = _ids_with(Certification.objects.filter(year=year), found_ids)
        death_confirmed = _ids_with(DeathMatch.objects.filter(status=DeathMatch.Status.CONFIRMED), found_ids)
        by_job = suspended_by_job(
            [record.retiree_id for record in known.values() if record.status == Retiree.Status.SUSPENDED]
        )
        suspended_later = _suspended_by_job_after(year, by_job)

    for row, date in candidates:
        record = known.get(row.id_number)
        if record is None:
            problem(row, Outcome.NOT_FOUND, _("登记中没有这个身份证号码(或不在本人管辖范围内)"))
            continue
        name_differs = bool(row.name) and row.name != record.name
        if name_differs and not deaths:
            problem(row, Outcome.NAME_DIFFERS, _("姓名与登记不符(登记为“%(name)s”)") % {"name": record.name})
            continue
        if record.status in (Retiree.Status.DECEASED, Retiree.Status.TERMINATED):
            status = Retiree.Status(record.status).label
            problem(row, Outcome.INACTIVE, _("登记状态为“%(status)s”") % {"status": status})
            continue
        if record.retiree_id in death_confirmed:
            problem(row, Outcome.INACTIVE, _("死亡比对已确认,待办理死亡登记,不能认证"))
            continue
        assert date is not None  # noqa: S101 - every row without a date was a problem above
        if deaths:
            if record.retiree_id in listed:
                problem(row, Outcome.ALREADY_LISTED, _("已在死亡比对名单中(待核实或已确认)"))
                continue
            counts[Outcome.DEATH_MATCH] += 1
            result.to_list.append((record.retiree_id, row.name, date))
            result.matches.append(
                {
                    "row": row.row_number,
                    "retiree_id": record.retiree_id,
                    "name": record.name,
                    "id_number": row.id_masked,
                    "community": f"{record.township}{record.community}",
                    "status": record.status,
                    "reported_name": row.name,
                    "reported_died_on": date.isoformat(),
                    "name_differs": name_differs,
                }
            )
            continue
        if record.retiree_id in by_job and record.retiree_id not in suspended_later:
            counts[Outcome.RESTORE] += 1
            result.to_restore.append((record.retiree_id, date, row.office))
            result.restorations.append(
                {
                    "row": row.row_number,
                    "retiree_id": record.retiree_id,
                    "name": record.name,
                    "id_number": row.id_masked,
                    "community": f"{record.township}{record.community}",
                    "certified_on": date.isoformat(),
                }
            )
        elif record.retiree_id in certified:
            problem(row, Outcome.ALREADY)
        elif record.retiree_id in suspended_later:
            problem(row, Outcome.SUSPENDED_OTHER, _("已因之后年度未认证暂停发放:只记录本年度认证,不恢复发放"))
            result.to_certify.append((record.retiree_id, date, row.office))
        elif record.status == Retiree.Status.SUSPENDED:
            problem(row, Outcome.SUSPENDED_OTHER)
            result.to_certify.append((record.retiree_id, date, row.office))
        else:
            counts[Outcome.CERTIFY] += 1
            result.to_certify.append((record.retiree_id, date, row.office))
    return result


def _read(certification_import: CertificationImport) -> list[FileRow]:
    with certification_import.file.open("rb") as handle:
        data = handle.read()
    return read_rows(data, certification_import.original_name, kind=certification_import.kind, today=_today())


def _today() -> datetime.date:
    return timezone.localdate()


@transaction.atomic
def certification_import_check(
    *, file: UploadedFile[bytes], kind: str, year: int, source: str, by: Staff
) -> CertificationImport:
    """Keep the file and record what confirming it would do: the counts by outcome and every problem row.
    Writes nothing but the import row (status checked). A wrong file is refused at once with a message."""
    _require(by)
    if kind not in Kind.values:
        raise CertificationError(_("请选择导入类型。"), field="kind")
    today = _today()
    # In the 12-month mode a date after this year's suspension date counts for next year.
    latest = counting_year(today)
    if not 2000 <= year <= latest:
        raise CertificationError(_("认证年度应在 2000 至 %(year)s 之间。") % {"year": latest}, field="year")
    source = source.strip()
    if len(source) > 100:
        raise CertificationError(_("数据来源不能超过100个字。"), field="source")
    try:
        name, data = upload_bytes(
            file,
            max_mb=settings.CERTIFICATION_IMPORT_MAX_UPLOAD_MB,
            max_rows=settings.CERTIFICATION_IMPORT_MAX_ROWS,
        )
    except ImportBatchError as error:
        raise CertificationError(error.message, field="file") from None
    data_rows = max(count_rows(data, name) - 1, 0)
    if data_rows > settings.CERTIFICATION_IMPORT_INLINE_MAX_ROWS:
        return _queue_check(data, name, kind=kind, year=year, source=source, by=by, data_rows=data_rows)
    rows = read_rows(data, name, kind=kind, today=today)
    result = _classify(rows, kind=kind, year=year, user=by, today=today)
    certification_import = CertificationImport(
        kind=kind,
        year=year,
        source=source,
        original_name=name[:200],
        total_rows=len(rows),
        matched_rows=result.matched,
        summary=result.summary(),
        uploaded_by=by,
    )
    certification_import.file.save(f"{kind}{PurePath(name).suffix.lower()}", ContentFile(data), save=False)
    certification_import.save()
    return certification_import


def _queue_check(
    data: bytes, name: str, *, kind: str, year: int, source: str, by: Staff, data_rows: int
) -> CertificationImport:
    """A large file: only its header is read here (a wrong file is still refused at once); the file is kept
    and its check queued for the worker, which the page follows (status checking)."""
    try:
        header = header_row(data, name)
    except ImportBatchError as error:
        raise CertificationError(error.message, field="file") from None
    if not header:
        raise CertificationError(_("文件是空的:没有表头,也没有数据行。"), field="file")
    header_index(list(header), kind)
    certification_import = CertificationImport(
        kind=kind,
        year=year,
        source=source,
        original_name=name[:200],
        total_rows=data_rows,
        status=ImportStatus.CHECKING,
        uploaded_by=by,
    )
    for name_, value in job_start_fields(certification_import).items():
        setattr(certification_import, name_, value)
    certification_import.file.save(f"{kind}{PurePath(name).suffix.lower()}", ContentFile(data), save=False)
    certification_import.save()
    _queue_check_task(certification_import.pk)
    return certification_import


def _queue_check_task(import_id: int) -> None:
    from ..tasks import check_certification_import  # noqa: PLC0415 - the tasks module imports the services

    transaction.on_commit(lambda: check_certification_import.delay(import_id))


def certification_import_check_run(*, import_id: int) -> CertificationImport:
    """The worker's check of a large file: the same reading and classification as the request's, as the
    uploader. Writes only the import row; a file refused now ends the import cancelled with the reason in its
    summary. Safe to run twice: only an import still checking is checked."""
    with transaction.atomic():
        locked = CertificationImport.objects.select_for_update().get(pk=import_id)
        if locked.status != ImportStatus.CHECKING:
            return locked
    job_heartbeat(CertificationImport, import_id)
    by = locked.uploaded_by
    today = _today()
    try:
        with locked.file.open("rb") as handle:
            data = handle.read()
        # Counted row by row before the parser loads the sheet (an xlsx whose dimension understates it).
        check_row_limit(
            data, locked.original_name, max_rows=settings.CERTIFICATION_IMPORT_MAX_ROWS, exact=True
        )
        rows = read_rows(data, locked.original_name, kind=locked.kind, today=today)
        job_heartbeat(CertificationImport, import_id)
        result = _classify(rows, kind=locked.kind, year=locked.year, user=by, today=today)
        outcome: dict[str, Any] = {
            "status": ImportStatus.CHECKED,
            "total_rows": len(rows),
            "matched_rows": result.matched,
            "summary": result.summary(),
        }
    except (CertificationError, ImportBatchError) as error:
        outcome = {"status": ImportStatus.CANCELLED, "summary": {"error": error.message}}
    with transaction.atomic():
        locked = CertificationImport.objects.select_for_update().get(pk=import_id)
        if locked.status != ImportStatus.CHECKING:
            return locked
        for name, value in outcome.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(outcome))
    return locked


@transaction.atomic
def certification_import_restart(
    *, certification_import: CertificationImport, by: Staff
) -> CertificationImport:
    """Check an interrupted import again (its worker died while checking: registry.jobs), or one still shown
    checking whose heartbeat stopped. Anything else is refused with nothing changed."""
    _require(by)
    locked = _locked(certification_import)
    running = {ImportStatus.CHECKING}
    if locked.status != ImportStatus.INTERRUPTED and not job_is_stale(locked, running=running):
        raise CertificationError(
            _("该批次当前为“%(status)s”,只有任务中断的批次可以重新运行。")
            % {"status": locked.get_status_display()},
            field="status",
        )
    locked.status = ImportStatus.CHECKING
    for name, value in job_start_fields(locked).items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "job_started_at", "job_heartbeat_at", "job_attempts"])
    _queue_check_task(locked.pk)
    return locked


_INSERT_CERTIFICATIONS = with_names(
    """
INSERT INTO certification_certification (
    retiree_id, year, certified_on, channel, visitor_name, document, certifying_office, note,
    source_import_id, recorded_by_id, recorded_at
)
SELECT t.retiree_id, %(year)s, t.certified_on, %(channel)s, '', '', t.office, %(note)s,
       %(import)s, %(by)s, %(now)s
  FROM unnest(%(ids)s::bigint[], %(dates)s::date[], %(offices)s::text[])
       AS t(retiree_id, certified_on, office)
  JOIN {retiree} r ON r.{retiree.id} = t.retiree_id
 WHERE r.{retiree.status} IN (%(active)s, %(suspended)s)
   -- A death a clerk confirmed after the check: certify() refuses it too.
   AND NOT EXISTS (SELECT 1 FROM certification_deathmatch d
                    WHERE d.retiree_id = t.retiree_id AND d.status = %(confirmed)s)
ON CONFLICT (retiree_id, year) DO NOTHING
""",
    retiree=Retiree,
)

_INSERT_DEATH_MATCHES = with_names(
    """
INSERT INTO certification_deathmatch (
    source_import_id, retiree_id, reported_name, reported_died_on, status, decision_note
)
SELECT %(import)s, t.retiree_id, t.reported_name, t.died_on, %(pending)s, ''
  FROM unnest(%(ids)s::bigint[], %(names)s::text[], %(dates)s::date[])
       AS t(retiree_id, reported_name, died_on)
  JOIN {retiree} r ON r.{retiree.id} = t.retiree_id
 WHERE r.{retiree.status} IN (%(active)s, %(suspended)s)
ON CONFLICT (source_import_id, retiree_id) DO NOTHING
""",
    retiree=Retiree,
)


def _insert_certifications(
    certification_import: CertificationImport, rows: list[tuple[int, datetime.date, str]], *, by: Staff
) -> int:
    """One statement for all: the status is checked again in the statement, and the unique (retiree, year)
    keeps a certification recorded since the check (the first one is kept)."""
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_CERTIFICATIONS,
            {
                "year": certification_import.year,
                "channel": CHANNELS[certification_import.kind],
                "note": certification_import.source[:200],
                "import": certification_import.pk,
                "by": by.pk,
                "now": timezone.now(),
                "ids": [retiree_id for retiree_id, _date, _office in rows],
                "dates": [date for _retiree_id, date, _office in rows],
                "offices": [office for _retiree_id, _date, office in rows],
                "active": Retiree.Status.ACTIVE,
                "suspended": Retiree.Status.SUSPENDED,
                "confirmed": DeathMatch.Status.CONFIRMED,
            },
        )
        return int(cursor.rowcount)


def _insert_death_matches(
    certification_import: CertificationImport, rows: list[tuple[int, str, datetime.date | None]]
) -> int:
    if not rows:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_DEATH_MATCHES,
            {
                "import": certification_import.pk,
                "pending": DeathMatch.Status.PENDING,
                "ids": [retiree_id for retiree_id, _name, _date in rows],
                "names": [name[:50] for _retiree_id, name, _date in rows],
                "dates": [date for _retiree_id, _name, date in rows],
                "active": Retiree.Status.ACTIVE,
                "suspended": Retiree.Status.SUSPENDED,
            },
        )
        return int(cursor.rowcount)


def _locked(certification_import: CertificationImport) -> CertificationImport:
    # Lock the import row: two clicks, or two clerks at once, must not both apply the same file.
    return CertificationImport.objects.select_for_update().get(pk=certification_import.pk)


@transaction.atomic
def certification_import_apply(
    *, certification_import: CertificationImport, by: Staff
) -> CertificationImport:
    """Confirm a checked import, once. The file is checked again against the registry as it is now, then
    written in this transaction: certifications for everyone still entitled (one statement), restoration with
    back pay for those the suspension job suspended (certify() one by one), or the deaths review list."""
    _require(by)
    locked = _locked(certification_import)
    if locked.status == ImportStatus.CONFIRMED:
        raise CertificationError(_("该批次已确认,不能重复确认。"), field="status")
    if locked.status == ImportStatus.CANCELLED:
        raise CertificationError(_("该批次已取消,不能确认。请重新上传文件。"), field="status")
    # Shared, as certify() takes it: the suspension job never runs between this check and the writes.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [SUSPENSION_LOCK])
    today = _today()
    result = _classify(_read(locked), kind=locked.kind, year=locked.year, user=by, today=today)
    applied: dict[str, int] = {}
    with pghistory.context(source="certification_import", certification_import=locked.pk, user=by.pk):
        if locked.kind == Kind.DEATHS:
            applied["death_matches"] = _insert_death_matches(locked, result.to_list)
        else:
            applied["certified"] = _insert_certifications(locked, result.to_certify, by=by)
            restored = 0
            for retiree_id, date, office in result.to_restore:
                outcome = certify(
                    retiree=Retiree.objects.get(pk=retiree_id),
                    channel=CHANNELS[locked.kind],
                    certified_on=date,
                    by=by,
                    certifying_office=office,
                    note=locked.source,
                    source_import=locked,
                )
                restored += int(outcome.restored)
            applied["restored"] = restored
    locked.status = ImportStatus.CONFIRMED
    locked.confirmed_by = by
    locked.confirmed_at = timezone.now()
    locked.matched_rows = result.matched
    locked.applied_rows = sum(applied.values())
    locked.summary = {**result.summary(), "applied": applied, "checked_counts": locked.summary.get("counts")}
    locked.save(
        update_fields=["status", "confirmed_by", "confirmed_at", "matched_rows", "applied_rows", "summary"]
    )
    return locked


@transaction.atomic
def certification_import_queue(
    *, certification_import: CertificationImport, by: Staff
) -> CertificationImport:
    """The page's confirmation: the same refusals as certification_import_apply, then the work runs as a
    Celery job (100,000 rows take seconds) and the page polls it. The job's id is kept on the import row
    (summary "job"); the apply itself locks the row again, so a second job for the same import is refused
    there and writes nothing."""
    _require(by)
    locked = _locked(certification_import)
    if locked.status == ImportStatus.CONFIRMED:
        raise CertificationError(_("该批次已确认,不能重复确认。"), field="status")
    if locked.status == ImportStatus.CANCELLED:
        raise CertificationError(_("该批次已取消,不能确认。请重新上传文件。"), field="status")
    job_id = str(uuid.uuid4())
    locked.summary = {**locked.summary, "job": job_id}
    for name, value in job_start_fields(locked).items():
        setattr(locked, name, value)
    locked.save(update_fields=["summary", "job_started_at", "job_heartbeat_at", "job_attempts"])
    import_id, by_id = locked.pk, by.pk
    from ..tasks import apply_certification_import  # noqa: PLC0415 - the tasks module imports the services

    transaction.on_commit(
        lambda: apply_certification_import.apply_async(args=(import_id, by_id), task_id=job_id)
    )
    return locked


def import_job_state(certification_import: CertificationImport) -> tuple[str, str]:
    """("", "") with no job; ("running", "") while it is queued or running; ("failed", message) when it was
    refused or failed (the import is still checked and can be confirmed again); ("done", "") when finished."""
    job_id = certification_import.summary.get("job")
    if certification_import.status == ImportStatus.CONFIRMED:
        return ("done", "")
    if certification_import.status == ImportStatus.CHECKING:
        return ("checking", "")
    if not job_id or certification_import.status != ImportStatus.CHECKED:
        return ("", "")
    result: AsyncResult[Any] = AsyncResult(job_id)
    if not result.ready():
        # Its worker died (the write is one transaction, so nothing was written): say so, and the page offers
        # the confirmation again, which runs the job anew (docs/jobs.md).
        if job_is_stale(certification_import, running={ImportStatus.CHECKED}):
            return ("failed", str(INTERRUPTED_MESSAGE))
        return ("running", "")
    if result.failed():
        return ("failed", _("写入时出错,未写入任何数据,请重新确认。"))
    outcome = result.result
    return ("failed", str(outcome.get("error", ""))) if isinstance(outcome, dict) else ("", "")


@transaction.atomic
def certification_import_cancel(
    *, certification_import: CertificationImport, by: Staff
) -> CertificationImport:
    """Drop a checked import without writing anything; a confirmed one cannot be cancelled."""
    _require(by)
    locked = _locked(certification_import)
    if locked.status == ImportStatus.CONFIRMED:
        raise CertificationError(_("该批次已确认,不能取消。"), field="status")
    if locked.status == ImportStatus.CANCELLED:
        return locked
    locked.status = ImportStatus.CANCELLED
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def death_match_decide(*, match: DeathMatch, confirm: bool, note: str, by: Staff) -> DeathMatch:
    """Record a clerk's decision on a death match, once. Confirming suspends an active retiree at once, so
    no further month is paid; the death registration itself (date of death, recovery of what was paid after
    it, funeral and survivor claims) is the benefits work, which starts from the confirmed matches."""
    access.require(by, Action.EDIT_REGISTRY)
    if not access.retirees_visible_to(by).filter(pk=match.retiree_id).exists():
        raise RetireeNotVisibleError(_("不是本人管辖范围内的退休人员。"))
    note = note.strip()
    if len(note) > 200:
        raise CertificationError(_("核实说明不能超过200个字。"), field="note")
    if not confirm and not note:
        raise CertificationError(
            _("排除时请填写核实说明(例如:同名不同人、号码有误、本人已来认证)。"), field="note"
        )
    # Lock the match: two clerks deciding at once are taken one after the other; the second is refused.
    locked = DeathMatch.objects.select_for_update().get(pk=match.pk)
    if locked.status != DeathMatch.Status.PENDING:
        raise CertificationError(
            _("该记录已核实为“%(status)s”,不能再次核实。")
            % {"status": DeathMatch.Status(locked.status).label},
            field="status",
        )
    locked.status = DeathMatch.Status.CONFIRMED if confirm else DeathMatch.Status.DISMISSED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if confirm:
        retiree = Retiree.objects.select_for_update().get(pk=locked.retiree_id)
        if retiree.status == Retiree.Status.ACTIVE:
            with override(settings.LANGUAGE_CODE):
                reason = _(DEATH_SUSPENSION_REASON)
            retiree_change_status(
                retiree=retiree,
                to_status=Retiree.Status.SUSPENDED,
                effective_date=_today(),
                reason=reason,
                by=by,
            )
    match.status, match.decided_by, match.decided_at = locked.status, by, locked.decided_at
    match.decision_note = note
    return locked


__all__ = [
    "CERTIFICATION_OUTCOMES",
    "DEATH_OUTCOMES",
    "DEATH_SUSPENSION_REASON",
    "OUTCOME_LABELS",
    "Outcome",
    "certification_import_apply",
    "certification_import_cancel",
    "certification_import_check",
    "certification_import_queue",
    "import_job_state",
    "death_match_decide",
    "outcomes_for",
]
