"""Certification progress (认证进度) pages: the table per township and community with the chart by day, the
list of who is still missing, and that list printed (PDF) or exported (xlsx). Views parse the year and the
unit, call certification.selectors.progress and render; a unit outside the user's scope is 404.
"""

from __future__ import annotations

import datetime
import tempfile
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from registry import access
from registry.access import Action
from registry.errors import SensitiveExportError
from registry.models import OrgUnit
from registry.replica import replica_reads_view
from registry.selectors.exports import XLSX_CONTENT_TYPE
from registry.services import ExportNumbers, sensitive_export_record
from registry.views.common import (
    StaffRequest,
    export_in_background,
    export_numbers,
    export_refused,
    longer_than_inline,
    requires,
)

from ..export_kinds import MISSING_PDF, MISSING_XLSX, missing_parameters
from ..models import Campaign
from ..pdfs.missing_list import missing_filename, missing_pdf_counted, missing_xlsx
from ..selectors import progress as selectors

PAGE_SIZE = 50


class ProgressQueryForm(forms.Form):
    """?year=&unit=: a year out of range or unreadable falls back to the current one; a unit is checked
    against the user's scope by the selector."""

    year = forms.IntegerField(required=False, min_value=2000, max_value=2100)
    unit = forms.IntegerField(required=False, min_value=1)


def _query(request: StaffRequest, today: datetime.date) -> tuple[int, OrgUnit]:
    form = ProgressQueryForm(request.GET)
    form.is_valid()  # the fields that are valid are in cleaned_data either way
    if "unit" in form.errors:
        raise Http404
    cleaned: dict[str, Any] = form.cleaned_data
    year = cleaned.get("year") or today.year
    try:
        unit = selectors.progress_unit(user=request.user, unit_id=cleaned.get("unit"))
    except OrgUnit.DoesNotExist:
        raise Http404 from None
    return year, unit


def _chart_data(progress: selectors.Progress) -> dict[str, list[Any]]:
    return {
        "days": [point.day.isoformat() for point in progress.by_day],
        "certifications": [point.certifications for point in progress.by_day],
        "cumulative": [point.cumulative for point in progress.by_day],
    }


@replica_reads_view
@requires(Action.VIEW_REGISTRY)
@require_GET
def progress_page(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    year, unit = _query(request, today)
    progress = selectors.certification_progress(user=request.user, year=year, unit=unit, today=today)
    context = {"progress": progress, "query": urlencode({"year": year, "unit": unit.pk})}
    # The table polls itself (htmx, every 30 s) and gets only the partial back.
    if request.htmx:
        return render(request, "certification/_progress_table.html", context)
    context |= {
        "may_certify": access.can(request.user, Action.CERTIFY),
        "years": selectors.progress_years(today=today),
        "chart_data": _chart_data(progress),
    }
    return render(request, "certification/progress.html", context)


@replica_reads_view
@requires(Action.VIEW_REGISTRY)
@require_GET
def missing_list(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    year, unit = _query(request, today)
    retirees = selectors.missing_retirees(user=request.user, year=year, unit=unit, today=today)
    page = Paginator(retirees, PAGE_SIZE).get_page(request.GET.get("page"))
    campaign = Campaign.or_default(year)
    return render(
        request,
        "certification/progress_missing.html",
        {
            "year": year,
            "unit": unit,
            "campaign": campaign,
            "as_of": selectors.as_of_date(year, today),
            "page": page,
            "query": urlencode({"year": year, "unit": unit.pk}),
        },
    )


def _record_full_export(
    request: StaffRequest, numbers: ExportNumbers, *, kind: str, year: int, unit: OrgUnit, count: int
) -> None:
    sensitive_export_record(
        by=request.user,
        numbers=numbers,
        export=f"certification.missing_{kind}",
        label=_("%(year)s年度未认证人员名单(%(unit)s)") % {"year": year, "unit": unit.name},
        person_count=count,
        detail={"year": year, "unit": unit.pk, "format": kind},
    )


def _in_background(
    request: StaffRequest,
    kind: str,
    numbers: ExportNumbers,
    *,
    year: int,
    unit: OrgUnit,
    today: datetime.date,
) -> HttpResponse:
    """The missing list (PDF or xlsx) made by the worker: its parameters and message are the same."""
    return export_in_background(
        request,
        kind=kind,
        parameters=missing_parameters(year=year, unit=unit, today=today),
        message=_("名单较长,正在后台生成,完成后可在“我的导出”下载。"),
        numbers=numbers,
    )


@replica_reads_view
@requires(Action.VIEW_REGISTRY)
@require_GET
def missing_list_pdf(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    year, unit = _query(request, today)
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    count = selectors.missing_retirees(user=request.user, year=year, unit=unit, today=today).count()
    if count > settings.EXPORT_INLINE_MAX_PDF_ROWS:
        return _in_background(request, MISSING_PDF, numbers, year=year, unit=unit, today=today)
    printed = missing_pdf_counted(user=request.user, year=year, unit=unit, today=today, numbers=numbers)
    _record_full_export(request, numbers, kind="pdf", year=year, unit=unit, count=printed.count)
    response = HttpResponse(printed.pdf, content_type="application/pdf")
    filename = missing_filename(unit=unit, year=year, extension="pdf")
    response["Content-Disposition"] = content_disposition_header(False, filename) or "inline"
    return response


@replica_reads_view
@requires(Action.VIEW_REGISTRY)
@require_GET
def missing_list_xlsx(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    year, unit = _query(request, today)
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    missing = selectors.missing_retirees(user=request.user, year=year, unit=unit, today=today)
    if longer_than_inline(missing):
        return _in_background(request, MISSING_XLSX, numbers, year=year, unit=unit, today=today)
    # A temporary file rather than memory: registry.xlsx writes row by row, so memory stays flat.
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    count = missing_xlsx(user=request.user, year=year, unit=unit, today=today, target=target, numbers=numbers)
    _record_full_export(request, numbers, kind="xlsx", year=year, unit=unit, count=count)
    target.seek(0)
    response = FileResponse(
        target,
        as_attachment=True,
        filename=missing_filename(unit=unit, year=year, extension="xlsx"),
        content_type=XLSX_CONTENT_TYPE,
    )
    # Streamed from the file; `requires` is typed for HttpResponse, which a streaming response is not.
    return cast(HttpResponse, response)
