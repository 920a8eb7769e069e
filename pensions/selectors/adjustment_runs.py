"""Reading a dry run for its pages, API and file: one run, its lines filtered and paged, the runs waiting for
a reviewer, and every line as xlsx with a totals row (docs/annual-adjustment.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.models import OrgUnit, Staff
from registry.selectors.exports import xlsx_table
from registry.services.sensitive import MASKED, ExportNumbers

from ..models import AdjustmentLine, AdjustmentRun
from .adjustments import lines_of
from .plans import name_or_id_prefix

Status = AdjustmentRun.Status
# The statuses whose background job the page follows with a progress bar.
JOB_STATUSES = (Status.QUEUED, Status.RUNNING, Status.APPLYING)
# Lines exist (and figures) from "computed" on; a discarded or rejected run keeps them to be read.
WITH_LINES = (
    Status.COMPUTED,
    Status.SUBMITTED,
    Status.APPROVED,
    Status.APPLYING,
    Status.APPLIED,
    Status.REJECTED,
    Status.DISCARDED,
)
# The components of a rise, in the order the parameters name them: (line field, key in figures).
COMPONENTS = (
    ("flat_part", "flat"),
    ("pension_part", "pension"),
    ("years_part", "years"),
    ("age_part", "age"),
    ("flag_part", "flag"),
    ("minimum_part", "minimum"),
)
_CENT = Decimal("0.01")
logger = logging.getLogger("pensions.exports")


def run_get_or_404(*, pk: int) -> AdjustmentRun:
    run = (
        AdjustmentRun.objects.select_related("parameters", "prepared_by", "approved_by", "applied_by")
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404
    return run


def runs_awaiting(*, user: Any) -> QuerySet[AdjustmentRun]:
    """Submitted runs this staff member may approve: APPROVE_PAYMENTS, and never a run they prepared."""
    if not access.can(user, Action.APPROVE_PAYMENTS):
        return AdjustmentRun.objects.none()
    return (
        AdjustmentRun.objects.filter(status=Status.SUBMITTED)
        .exclude(prepared_by=user)
        .order_by("submitted_at", "id")
    )


def component_labels() -> dict[str, str]:
    """Each component's name, from the line's own field names."""
    fields = {field.name: field for field in AdjustmentLine._meta.concrete_fields}
    return {key: str(fields[name].verbose_name) for name, key in COMPONENTS}


@dataclass(frozen=True)
class RunLineFilters:
    q: str = ""
    township_id: int | None = None
    # A Problem code; "any" for every exception; "none" for the lines that will be adjusted.
    problem: str = ""


def run_lines(*, run: AdjustmentRun, filters: RunLineFilters) -> QuerySet[AdjustmentLine]:
    """The run's lines in township then person order, filtered. `q` is an ID prefix (4+ digits) or the start
    of a name."""
    lines = lines_of(run)
    if filters.township_id is not None:
        lines = lines.filter(township_id=filters.township_id)
    if filters.problem == "any":
        lines = lines.exclude(problem="")
    elif filters.problem == "none":
        lines = lines.filter(problem="")
    elif filters.problem:
        lines = lines.filter(problem=filters.problem)
    search = name_or_id_prefix(filters.q, id_field="retiree__id_number", name_fields=("retiree__name",))
    if search is not None:
        lines = lines.filter(search)
    return lines.order_by("township__sort_order", "township__code", "retiree_id")


def run_townships(*, run: AdjustmentRun) -> QuerySet[OrgUnit]:
    """The townships of the run (from its figures), in unit order, for the filter."""
    ids = [row["township_id"] for row in (run.figures or {}).get("by_township", [])]
    return OrgUnit.objects.filter(id__in=ids).order_by("sort_order", "code")


# The file ---------------------------------------------------------------------------------------------------

_WIDTHS = (8, 10, 22, 14, 10, 8, 10, 10, 12, 10, 10, 10, 10, 10, 10, 10, 12, 8, 12, 22)
# The ID: digits that are not a number.
_TEXT_COLUMNS = frozenset({2})


def _headers() -> list[str]:
    labels = component_labels()
    return [
        _("序号"),
        _("姓名"),
        _("身份证号码"),
        _("乡镇(街道)"),
        _("人员状态"),
        _("年底年龄"),
        _("缴费月数"),
        _("计算年限"),
        _("调整前月养老金"),
        *[labels[key] for _field, key in COMPONENTS],
        _("月增加额"),
        _("调整后月养老金"),
        _("补发月数"),
        _("补发金额"),
        _("异常"),
    ]


def _row(index: int, line: AdjustmentLine, *, full_numbers: bool) -> list[Any]:
    id_number = line.retiree.id_number
    return [
        index,
        line.retiree.name,
        id_number if full_numbers else mask_resident_id(id_number),
        line.township.name,
        line.get_status_display(),
        line.age,
        line.contribution_months,
        line.contribution_years,
        line.old_amount,
        *[getattr(line, field).quantize(_CENT, rounding=ROUND_HALF_UP) for field, _key in COMPONENTS],
        line.rise,
        line.new_amount,
        line.arrears_months,
        line.arrears_amount,
        line.get_problem_display(),
    ]


def _rows(run: AdjustmentRun, *, full_numbers: bool) -> Iterator[list[Any]]:
    """Every line, then a totals row summed from the very cells above it (components as shown, to the fen),
    so the file adds up as it reads."""
    sums: dict[str, Decimal] = {name: Decimal(0) for name in ("old", "rise", "new", "arrears")}
    parts = [Decimal(0)] * len(COMPONENTS)
    months = 0
    count = 0
    for line in run_lines(run=run, filters=RunLineFilters()).iterator(chunk_size=2000):
        count += 1
        row = _row(count, line, full_numbers=full_numbers)
        sums["old"] += line.old_amount or 0
        for index in range(len(COMPONENTS)):
            parts[index] += row[9 + index]
        sums["rise"] += line.rise or 0
        sums["new"] += line.new_amount or 0
        sums["arrears"] += line.arrears_amount
        months += line.arrears_months
        yield row
    yield [
        _("合计"),
        _("%(count)d 人") % {"count": count},
        "",
        "",
        "",
        "",
        "",
        "",
        sums["old"],
        *parts,
        sums["rise"],
        sums["new"],
        months,
        sums["arrears"],
        "",
    ]


def _counted(
    rows: Iterator[list[Any]], total: int, progress: Callable[[int, int], None]
) -> Iterator[list[Any]]:
    for done, row in enumerate(rows, start=1):
        yield row
        progress(min(done, total), total)


def run_lines_xlsx(
    *,
    user: Staff,
    run: AdjustmentRun,
    target: IO[bytes],
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write every line of the run and a totals row to `target`; returns the number of lines written.
    `progress(done, total)` (a background export) is told for every line, after counting them."""
    rows = _rows(run, full_numbers=numbers.full)
    if progress is not None:
        rows = _counted(rows, run.lines.count(), progress)
    written = xlsx_table(
        target=target,
        title=_("%(year)d 年度调待试算明细") % {"year": run.year},
        headers=_headers(),
        widths=_WIDTHS,
        text_columns=_TEXT_COLUMNS,
        rows=rows,
    )
    logger.info(
        "adjustment lines exported: user=%s (id %s) run=%s rows=%d full_numbers=%s",
        user.username,
        user.pk,
        run.pk,
        written - 1,
        numbers.full,
    )
    return written - 1  # the totals row is not a person
