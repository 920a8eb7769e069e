"""Reading what the adjustment notices (养老金调整通知单) and the summary table for the HR bureau (调待汇总表)
print: the people of a township with the run's figures and the arrears the apply actually wrote, the
townships with their latest notices batch, and the summary by township (docs/annual-adjustment.md).

The arrears are read from the registry's arrears items of the year (reason annual_adjustment), never from the
dry run's estimate: the notice tells the retiree what is paid. Before the apply the summary shows the dry
run's estimate instead, marked 试算."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import ArrearsItem, OrgUnit, Retiree
from registry.months import PensionMonth
from registry.selectors.exports import xlsx_table
from registry.selectors.units import in_unit_order
from registry.sql import with_names

from ..models import AdjustmentLine, AdjustmentNoticeBatch, AdjustmentRun

Status = AdjustmentRun.Status
Batch = AdjustmentNoticeBatch.Status
# A run whose figures the summary may show: the dry run's (试算) until it is applied, then the real ones.
SUMMARY_TRIAL_STATUSES = (Status.COMPUTED, Status.SUBMITTED, Status.APPROVED, Status.APPLYING)
# A batch in these statuses is on its way: it is not started again until its heartbeat has stopped.
ACTIVE_BATCH_STATUSES = (Batch.QUEUED, Batch.RENDERING)
ZERO = Decimal("0.00")


# The notices of one township --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticePerson:
    """One person's notice: the run's line and the arrears of the year written for them."""

    retiree_id: int
    name: str
    id_number: str  # full: the PDF module masks it
    community: str
    age: int
    contribution_years: Decimal
    old_amount: Decimal
    flat_part: Decimal
    pension_part: Decimal
    years_part: Decimal
    age_part: Decimal
    flag_part: Decimal
    minimum_part: Decimal
    rise: Decimal
    new_amount: Decimal
    arrears_from: PensionMonth | None
    arrears_to: PensionMonth | None
    arrears_months: int
    arrears_total: Decimal
    status: str  # the person's status when the run was computed (Retiree.Status)
    died_on: datetime.date | None


# The people of a township (lines without a problem), each with the arrears items of the year for them: one
# LEFT JOIN on the items grouped by retiree, in community order, then name.
_PEOPLE = with_names(
    """
WITH arrears AS (
    SELECT a.{arrears.retiree} AS retiree_id, min(a.{arrears.month}) AS first_month,
           max(a.{arrears.month}) AS last_month, count(*) AS months, sum(a.{arrears.amount}) AS total
      FROM {arrears} a
     WHERE a.{arrears.reason} = %(reason)s AND a.{arrears.adjustment_year} = %(year)s
       AND a.{arrears.retiree} IN (SELECT l.{line.retiree} FROM {line} l
                                    WHERE l.{line.run} = %(run)s AND l.{line.township} = %(township)s)
     GROUP BY a.{arrears.retiree}
)
SELECT p.{retiree.id}, p.{retiree.name}, p.{retiree.id_number}, c.{unit.name}, l.{line.age},
       l.{line.contribution_years}, l.{line.old_amount}, l.{line.flat_part}, l.{line.pension_part},
       l.{line.years_part}, l.{line.age_part}, l.{line.flag_part}, l.{line.minimum_part}, l.{line.rise},
       l.{line.new_amount}, a.first_month, a.last_month, coalesce(a.months, 0), coalesce(a.total, 0),
       l.{line.status}, l.{line.died_on}
  FROM {line} l
  JOIN {retiree} p ON p.{retiree.id} = l.{line.retiree}
  JOIN {unit} c ON c.{unit.id} = p.{retiree.community}
  LEFT JOIN arrears a ON a.retiree_id = l.{line.retiree}
 WHERE l.{line.run} = %(run)s AND l.{line.township} = %(township)s AND l.{line.problem} = ''
 ORDER BY c.{unit.sort_order}, c.{unit.code}, p.{retiree.name}, p.{retiree.id}
""",
    arrears=ArrearsItem,
    line=AdjustmentLine,
    retiree=Retiree,
    unit=OrgUnit,
)


def _month(number: int | None) -> PensionMonth | None:
    return PensionMonth.from_number(number) if number is not None else None


def notice_people(*, run: AdjustmentRun, township_id: int) -> list[NoticePerson]:
    """The notices of `township_id` for `run`, in community order, then name."""
    params: dict[str, Any] = {
        "run": run.pk,
        "township": township_id,
        "year": run.year,
        "reason": str(ArrearsItem.Reason.ANNUAL_ADJUSTMENT),
    }
    with connection.cursor() as cursor:
        cursor.execute(_PEOPLE, params)
        rows = cursor.fetchall()
    return [
        NoticePerson(
            retiree_id=row[0],
            name=row[1],
            id_number=row[2],
            community=row[3],
            age=row[4],
            contribution_years=row[5],
            old_amount=row[6],
            flat_part=row[7],
            pension_part=row[8],
            years_part=row[9],
            age_part=row[10],
            flag_part=row[11],
            minimum_part=row[12],
            rise=row[13],
            new_amount=row[14],
            arrears_from=_month(row[15]),
            arrears_to=_month(row[16]),
            arrears_months=row[17],
            arrears_total=row[18],
            status=row[19],
            died_on=row[20],
        )
        for row in rows
    ]


# The notices page: townships and their latest batch ---------------------------------------------------------


@dataclass(frozen=True)
class TownshipNotices:
    township: OrgUnit
    people: int
    batch: AdjustmentNoticeBatch | None  # the latest, or None before the first

    @property
    def may_start(self) -> bool:
        """No batch yet, or the latest is finished (done, failed, interrupted) or has lost its worker."""
        return self.batch is None or not batch_is_active(self.batch)


def batch_is_active(batch: AdjustmentNoticeBatch, now: datetime.datetime | None = None) -> bool:
    """Queued or rendering, with a sign of life (the request or a heartbeat) within JOB_STALE_MINUTES."""
    if batch.status not in ACTIVE_BATCH_STATUSES:
        return False
    seen = batch.job_heartbeat_at or batch.requested_at
    limit = datetime.timedelta(minutes=settings.JOB_STALE_MINUTES)
    return (now or timezone.now()) - seen <= limit


def township_people_counts(run: AdjustmentRun) -> dict[int, int]:
    """Adjusted people (lines without a problem) per township id."""
    rows = (
        AdjustmentLine.objects.filter(run=run, problem="")
        .values_list("township_id")
        .order_by()
        .annotate(n=Count("id"))
    )
    return {township_id: count for township_id, count in rows}


def latest_batches(run: AdjustmentRun) -> dict[int, AdjustmentNoticeBatch]:
    """The newest notices batch of each township of `run`."""
    batches = (
        AdjustmentNoticeBatch.objects.filter(run=run)
        .select_related("requested_by")
        .order_by("township_id", "-requested_at", "-id")
        .distinct("township_id")
    )
    return {batch.township_id: batch for batch in batches}


def notice_townships(run: AdjustmentRun) -> list[TownshipNotices]:
    """Every township with adjusted people in `run`, in the unit tree's order, with its latest batch."""
    counts = township_people_counts(run)
    batches = latest_batches(run)
    townships = in_unit_order(OrgUnit.objects.filter(pk__in=counts))
    return [
        TownshipNotices(township=township, people=counts[township.pk], batch=batches.get(township.pk))
        for township in townships
    ]


def notice_batch_get(*, pk: int) -> AdjustmentNoticeBatch:
    """Raises AdjustmentNoticeBatch.DoesNotExist."""
    return AdjustmentNoticeBatch.objects.select_related("run", "township", "requested_by").get(pk=pk)


def notice_batches_of(run: AdjustmentRun) -> list[AdjustmentNoticeBatch]:
    """Every batch of `run`, newest first (the API's list)."""
    return list(
        AdjustmentNoticeBatch.objects.filter(run=run)
        .select_related("township", "requested_by")
        .order_by("-requested_at", "-id")
    )


# The summary table for the HR bureau (调待汇总表) ----------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    township_id: int | None  # None for the total row
    name: str
    people: int
    exceptions: int
    old_total: Decimal
    rise_total: Decimal
    new_total: Decimal
    arrears_months: int
    arrears_total: Decimal


@dataclass(frozen=True)
class AdjustmentSummary:
    run: AdjustmentRun
    trial: bool  # the dry run's figures (试算): the run is not applied yet, arrears are its estimate
    rows: tuple[SummaryRow, ...]
    total: SummaryRow

    @property
    def exceptions(self) -> int:
        return self.total.exceptions


# Per township: the adjusted people (problem "") and their old, rise and new totals from the lines; the
# arrears either from the items the apply wrote for the year (actual) or from the lines' estimate (trial).
_SUMMARY = with_names(
    """
WITH arrears AS (
    SELECT a.{arrears.retiree} AS retiree_id, count(*) AS months, sum(a.{arrears.amount}) AS total
      FROM {arrears} a
     WHERE a.{arrears.reason} = %(reason)s AND a.{arrears.adjustment_year} = %(year)s
       AND a.{arrears.retiree} IN (SELECT l.{line.retiree} FROM {line} l
                                    WHERE l.{line.run} = %(run)s AND l.{line.problem} = '')
     GROUP BY a.{arrears.retiree}
)
SELECT t.{unit.id}, t.{unit.name},
       count(*) FILTER (WHERE l.{line.problem} = ''),
       count(*) FILTER (WHERE l.{line.problem} <> ''),
       coalesce(sum(l.{line.old_amount}) FILTER (WHERE l.{line.problem} = ''), 0),
       coalesce(sum(l.{line.rise}), 0),
       coalesce(sum(l.{line.new_amount}), 0),
       CASE WHEN %(trial)s
            THEN coalesce(sum(l.{line.arrears_months}) FILTER (WHERE l.{line.problem} = ''), 0)
            ELSE coalesce(sum(a.months) FILTER (WHERE l.{line.problem} = ''), 0) END,
       CASE WHEN %(trial)s
            THEN coalesce(sum(l.{line.arrears_amount}) FILTER (WHERE l.{line.problem} = ''), 0)
            ELSE coalesce(sum(a.total) FILTER (WHERE l.{line.problem} = ''), 0) END
  FROM {line} l
  JOIN {unit} t ON t.{unit.id} = l.{line.township}
  LEFT JOIN arrears a ON a.retiree_id = l.{line.retiree}
 WHERE l.{line.run} = %(run)s
 GROUP BY t.{unit.id}, t.{unit.name}, t.{unit.sort_order}, t.{unit.code}
 ORDER BY t.{unit.sort_order}, t.{unit.code}
""",
    arrears=ArrearsItem,
    line=AdjustmentLine,
    unit=OrgUnit,
)


def summary_available(run: AdjustmentRun) -> bool:
    return run.status == Status.APPLIED or run.status in SUMMARY_TRIAL_STATUSES


def adjustment_summary(run: AdjustmentRun) -> AdjustmentSummary:
    """The summary by township of a computed or applied run; the total row is the sum of the township rows
    (so it always adds up). The caller checks summary_available first (the service refuses otherwise)."""
    trial = run.status != Status.APPLIED
    params: dict[str, Any] = {
        "run": run.pk,
        "year": run.year,
        "reason": str(ArrearsItem.Reason.ANNUAL_ADJUSTMENT),
        "trial": trial,
    }
    with connection.cursor() as cursor:
        cursor.execute(_SUMMARY, params)
        rows = tuple(
            SummaryRow(
                township_id=row[0],
                name=row[1],
                people=row[2],
                exceptions=row[3],
                old_total=row[4],
                rise_total=row[5],
                new_total=row[6],
                arrears_months=int(row[7]),
                arrears_total=row[8],
            )
            for row in cursor.fetchall()
        )
    total = SummaryRow(
        township_id=None,
        name="",
        people=sum(row.people for row in rows),
        exceptions=sum(row.exceptions for row in rows),
        old_total=sum((row.old_total for row in rows), ZERO),
        rise_total=sum((row.rise_total for row in rows), ZERO),
        new_total=sum((row.new_total for row in rows), ZERO),
        arrears_months=sum(row.arrears_months for row in rows),
        arrears_total=sum((row.arrears_total for row in rows), ZERO),
    )
    return AdjustmentSummary(run=run, trial=trial, rows=rows, total=total)


def adjustment_summary_xlsx(*, summary: AdjustmentSummary, target: IO[bytes]) -> int:
    """The summary table as xlsx, one row per township and the total row (plain numbers, the column titles
    say the unit); no personal numbers. Returns the township rows written."""
    rows: list[list[Any]] = [
        [
            row.name,
            row.people,
            row.old_total,
            row.rise_total,
            row.new_total,
            row.arrears_months,
            row.arrears_total,
            row.exceptions,
        ]
        for row in summary.rows
    ]
    total = summary.total
    rows.append(
        [
            _("合计"),
            total.people,
            total.old_total,
            total.rise_total,
            total.new_total,
            total.arrears_months,
            total.arrears_total,
            total.exceptions,
        ]
    )
    title = _("调待汇总表(试算)") if summary.trial else _("调待汇总表")
    xlsx_table(
        target=target,
        title=title,
        headers=[
            _("乡镇(街道)"),
            _("调整人数"),
            _("调整前月养老金合计(元)"),
            _("月增加额合计(元)"),
            _("调整后月养老金合计(元)"),
            _("补发月数"),
            _("补发合计(元)"),
            _("异常(未调整)人数"),
        ],
        widths=(16, 10, 22, 18, 22, 10, 16, 16),
        text_columns=frozenset({0}),
        rows=rows,
    )
    return len(summary.rows)
