"""The adjustment notices page (养老金调整通知单) of a run, with each township's latest batch and its progress
(the table polls itself while a file is being made), the buttons that queue them, their download, and the
summary table for the HR bureau (调待汇总表) as PDF and xlsx. Viewers: may_view_adjustments; queuing notices:
PREPARE_PAYMENTS (checked again by the service). The notices hold masked ID numbers only; each download is
logged."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.views.common import StaffRequest

from ..bankfiles.writer import XLSX_CONTENT_TYPE
from ..downloads import inline_pdf_response
from ..models import AdjustmentNoticeBatch, AdjustmentRun
from ..pdfs.adjustment_summary import adjustment_summary_pdf
from ..selectors.adjustment_notices import (
    adjustment_summary,
    adjustment_summary_xlsx,
    batch_is_active,
    notice_batch_get,
    notice_townships,
    summary_available,
)
from ..selectors.adjustments import may_view_adjustments
from ..services.adjustment_notices import adjustment_notices_start

logger = logging.getLogger("pensions.adjustment_notices")
View = Callable[..., HttpResponse]


def adjustment_viewer(view: View) -> View:
    """Signed in and one of the roles that see the adjustment pages, else 403."""

    @wraps(view)
    def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_view_adjustments(request.user):
            raise PermissionDenied("adjustments")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


def _run_or_404(pk: int) -> AdjustmentRun:
    return get_object_or_404(AdjustmentRun.objects.select_related("parameters"), pk=pk)


def _page_context(request: StaffRequest, run: AdjustmentRun) -> dict[str, Any]:
    applied = run.status == AdjustmentRun.Status.APPLIED
    rows = notice_townships(run) if applied else []
    now = timezone.now()
    return {
        "run": run,
        "applied": applied,
        "rows": rows,
        "pending": sum(1 for row in rows if row.batch is not None and batch_is_active(row.batch, now)),
        "missing": sum(
            1 for row in rows if row.may_start and (row.batch is None or row.batch.status != "done")
        ),
        "people": sum(row.people for row in rows),
        "summary_available": summary_available(run),
        "may_prepare": access.can(request.user, Action.PREPARE_PAYMENTS),
    }


@adjustment_viewer
@require_GET
def adjustment_notices(request: StaffRequest, pk: int) -> HttpResponse:
    """The page; asked by htmx (the table polling while files are made), the table alone."""
    run = _run_or_404(pk)
    context = _page_context(request, run)
    if request.htmx:
        return render(request, "pensions/adjustments/notices_table.html", context)
    return render(request, "pensions/adjustments/notices.html", context)


@adjustment_viewer
@require_POST
def adjustment_notices_start_view(request: StaffRequest, pk: int) -> HttpResponse:
    """生成通知单 / 重新生成 for one township (`township`), or 全部乡镇 (no township): queue and come back."""
    run = _run_or_404(pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    raw = request.POST.get("township", "")
    township_id: int | None = None
    if raw:
        if not raw.isdigit():
            messages.error(request, _("乡镇不正确。"))
            return redirect("adjustment-notices", pk=run.pk)
        township_id = int(raw)
    try:
        batches = adjustment_notices_start(run=run, by=request.user, township_id=township_id)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(
            request,
            _("已开始生成 %(count)s 个乡镇的调整通知单,完成后可在下表下载。") % {"count": len(batches)},
        )
    return redirect("adjustment-notices", pk=run.pk)


@adjustment_viewer
@require_GET
def adjustment_notice_download(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        batch = notice_batch_get(pk=pk)
    except AdjustmentNoticeBatch.DoesNotExist:
        raise Http404(_("没有这个通知单文件。")) from None
    if batch.status != AdjustmentNoticeBatch.Status.DONE or not batch.file:
        raise Http404(_("该乡镇的通知单还没有生成完成。"))
    # The file holds masked numbers only: a log line, as for the other masked documents.
    logger.info(
        "adjustment notices batch %s (run %s, township %s, %d people) downloaded by %s (id %s)",
        batch.pk,
        batch.run_id,
        batch.township_id,
        batch.people,
        request.user.username,
        request.user.pk,
    )
    filename = _("养老金调整通知单-%(year)s-%(township)s.pdf") % {
        "year": batch.run.year,
        "township": batch.township.name,
    }
    response = FileResponse(
        batch.file.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
    return cast(HttpResponse, response)


def _summary_refused(request: StaffRequest, run: AdjustmentRun) -> HttpResponse:
    messages.error(
        request,
        _("本次调待当前为“%(status)s”,还没有试算结果,不能生成汇总表。")
        % {"status": run.get_status_display()},
    )
    return redirect("adjustment-notices", pk=run.pk)


def _summary_name(run: AdjustmentRun, trial: bool, extension: str) -> str:
    if trial:
        return _("调待汇总表(试算)-%(year)s-%(run)s.%(ext)s") % {
            "year": run.year,
            "run": run.pk,
            "ext": extension,
        }
    return _("调待汇总表-%(year)s-%(run)s.%(ext)s") % {"year": run.year, "run": run.pk, "ext": extension}


@adjustment_viewer
@require_GET
def adjustment_summary_pdf_view(request: StaffRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    if not summary_available(run):
        return _summary_refused(request, run)
    summary = adjustment_summary(run)
    return inline_pdf_response(
        adjustment_summary_pdf(summary=summary), _summary_name(run, summary.trial, "pdf")
    )


@adjustment_viewer
@require_GET
def adjustment_summary_xlsx_view(request: StaffRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    if not summary_available(run):
        return _summary_refused(request, run)
    summary = adjustment_summary(run)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    adjustment_summary_xlsx(summary=summary, target=target)
    target.seek(0)
    response = FileResponse(
        target,
        as_attachment=True,
        filename=_summary_name(run, summary.trial, "xlsx"),
        content_type=XLSX_CONTENT_TYPE,
    )
    return cast(HttpResponse, response)
