"""Reading the comparisons of a run with the province's result file: the list, one comparison's counts and
differences, and the differences as xlsx (docs/adjustment-province-file.md)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import IO, Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from registry.id_numbers import mask_resident_id
from registry.jobs import job_is_stale
from registry.selectors.exports import xlsx_table
from registry.services.sensitive import MASKED, ExportNumbers

from ..models import AdjustmentComparison, AdjustmentDifference, AdjustmentRun

Kind = AdjustmentDifference.Kind
Status = AdjustmentComparison.Status
RUNNING = frozenset({Status.QUEUED, Status.RUNNING})


def comparisons_of(run: AdjustmentRun) -> QuerySet[AdjustmentComparison]:
    return (
        AdjustmentComparison.objects.filter(run=run)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def comparison_get_or_404(pk: int) -> AdjustmentComparison:
    found = AdjustmentComparison.objects.select_related("run", "uploaded_by").filter(pk=pk).first()
    if found is None:
        raise Http404("comparison")
    return found


def comparison_stalled(comparison: AdjustmentComparison) -> bool:
    """Running (or queued) and no sign of life for JOB_STALE_MINUTES: its worker died; run it again."""
    return job_is_stale(comparison, running=RUNNING)


def differences_of(
    comparison: AdjustmentComparison, *, kind: str | None = None
) -> QuerySet[AdjustmentDifference]:
    queryset = AdjustmentDifference.objects.filter(comparison=comparison).select_related("retiree")
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("kind", "id_number", "id")


def kind_counts(comparison: AdjustmentComparison) -> list[tuple[str, str, int]]:
    """(kind, label, count) for every kind, in the order of the kinds, zero included."""
    counts = dict(
        AdjustmentDifference.objects.filter(comparison=comparison)
        .values_list("kind")
        .annotate(count=Count("id"))
        .values_list("kind", "count")
    )
    return [(kind.value, str(kind.label), counts.get(kind.value, 0)) for kind in Kind]


def gap(ours: Decimal | None, province: Decimal | None) -> Decimal | None:
    """Province less ours, or None when either side has no figure."""
    return None if ours is None or province is None else province - ours


_WIDTHS = (18, 10, 22, 14, 14, 12, 16, 16, 14)
_TEXT_COLUMNS = frozenset({2})


def differences_xlsx(
    comparison: AdjustmentComparison,
    *,
    target: IO[bytes],
    numbers: ExportNumbers = MASKED,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Every difference one per row, IDs masked unless `numbers` is full (the view records a full file).
    Returns the rows written. With `progress(done, total)` (a background export) the differences are
    counted first, so the total is known."""
    labels = dict(Kind.choices)
    total = differences_of(comparison).count() if progress is not None else 0

    def rows() -> Any:
        for done, item in enumerate(differences_of(comparison).iterator(chunk_size=2000), start=1):
            if progress is not None:
                progress(done, total)
            yield [
                str(labels[item.kind]),
                item.retiree.name if item.retiree else "",
                item.id_number if numbers.full else mask_resident_id(item.id_number),
                item.ours_rise,
                item.province_rise,
                gap(item.ours_rise, item.province_rise),
                item.ours_new_amount,
                item.province_new_amount,
                gap(item.ours_new_amount, item.province_new_amount),
            ]

    return xlsx_table(
        target=target,
        title=_("比对差异"),
        headers=[
            _("差异类型"),
            _("姓名"),
            _("身份证号码"),
            _("本系统月增加额"),
            _("省厅月增加额"),
            _("增加额差额(省厅−本系统)"),
            _("本系统调整后金额"),
            _("省厅调整后金额"),
            _("调整后金额差额(省厅−本系统)"),
        ],
        widths=_WIDTHS,
        text_columns=_TEXT_COLUMNS,
        rows=rows(),
    )
