"""The annual adjustment's runs (调待试算): the year's page with its runs and the start of a dry run, a run
with its progress, figures, charts, exceptions and the moves (submit, approve, reject, discard, apply, run
again), its lines and their xlsx file. Views parse, call pensions.services.adjustments and redirect; a
refusal renders the page again with the message (400), nothing written.

Applying moves money (new rates and arrears): it sits behind a confirmation dialog that shows what the run
will write, as do the approval and the discard.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError, SensitiveExportError
from registry.jobs import job_is_stale
from registry.selectors.changes import as_month
from registry.selectors.exports import XLSX_CONTENT_TYPE
from registry.services import sensitive_export_record
from registry.views.common import (
    StaffRequest,
    export_in_background,
    export_numbers,
    export_refused,
    longer_than_inline,
)

from ..export_kinds import ADJUSTMENT_LINES
from ..forms_adjustment_runs import RunDecisionForm, RunLineFilterForm
from ..models import AdjustmentRun
from ..selectors import adjustment_runs as selectors
from ..selectors.adjustments import (
    exceptions_of,
    may_view_adjustments,
    open_run,
    parameters_in_force,
    runs_of,
    year_is_applied,
)
from ..services import adjustments as services
from .money import _form_message

Status = AdjustmentRun.Status
View = Callable[..., HttpResponse]
LINES_PAGE_SIZE = 50
# The exceptions listed on the run's page; the rest are on the lines page (filter "全部异常").
EXCEPTIONS_SHOWN = 100
# The statuses in which a run still says what an apply would do; the stale warning is shown for these.
LIVE = (Status.COMPUTED, Status.SUBMITTED, Status.APPROVED)


def adjustment_viewer(view: View) -> View:
    """Signed in and one of the roles that see the adjustment (may_view_adjustments), else 403."""

    @wraps(view)
    def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_view_adjustments(request.user):
            raise PermissionDenied("annual adjustment")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


# The year ---------------------------------------------------------------------------------------------------


def year_context(request: StaffRequest, year: int, *, action_error: str = "") -> dict[str, Any]:
    parameters = parameters_in_force(year)
    running = open_run(year)
    return {
        "year": year,
        "parameters": parameters,
        "effective_month": as_month(parameters.effective_month) if parameters else None,
        # 1.5, not 1.5000: the percentage as the announcement writes it.
        "pension_percent": f"{parameters.pension_percent.normalize():f}" if parameters else "",
        "runs": runs_of(year).order_by("-prepared_at", "-id"),
        "open_run": running,
        "applied": year_is_applied(year),
        "may_start": access.can(request.user, Action.PREPARE_PAYMENTS)
        and parameters is not None
        and running is None,
        "action_error": action_error,
    }


@adjustment_viewer
@require_GET
def adjustment_year(request: StaffRequest, year: int) -> HttpResponse:
    return render(request, "pensions/adjustments/year.html", year_context(request, year))


@adjustment_viewer
@require_POST
def adjustment_run_start(request: StaffRequest, year: int) -> HttpResponse:
    access.require(request.user, Action.PREPARE_PAYMENTS)
    try:
        run = services.adjustment_run_start(year=year, by=request.user)
    except DomainError as error:
        context = year_context(request, year, action_error=error.message)
        return render(request, "pensions/adjustments/year.html", context, status=400)
    messages.success(request, _("已开始试算,完成后本页显示结果。"))
    return redirect("adjustment-run-detail", pk=run.pk)


# The run ----------------------------------------------------------------------------------------------------


def _progress_context(run: AdjustmentRun) -> dict[str, Any]:
    return {
        "run": run,
        "in_progress": run.status in selectors.JOB_STATUSES,
        # The worker died and the sweeper has not come by yet.
        "stale_job": job_is_stale(run, running=selectors.JOB_STATUSES),
    }


def _chart_data(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "histogram": {
            "labels": [f"{row['from']}–{row['to']}" for row in figures.get("histogram", [])],
            "counts": [row["count"] for row in figures.get("histogram", [])],
        },
        "townships": {
            "labels": [row["name"] for row in figures.get("by_township", [])],
            "rise": [row["rise_total"] for row in figures.get("by_township", [])],
        },
    }


def run_context(
    request: StaffRequest,
    run: AdjustmentRun,
    *,
    action_error: str = "",
    decision_form: RunDecisionForm | None = None,
) -> dict[str, Any]:
    user = request.user
    may_prepare = access.can(user, Action.PREPARE_PAYMENTS)
    may_review = access.can(user, Action.APPROVE_PAYMENTS)
    is_preparer = run.prepared_by_id == user.pk
    figures = run.figures or {}
    labels = selectors.component_labels()
    components = [
        {"key": key, "label": labels[key], "total": figures.get("components", {}).get(key, "0.00")}
        for _field, key in selectors.COMPONENTS
    ]
    has_figures = run.status in selectors.WITH_LINES and bool(figures)
    stale = services.stale_reason(run) if run.status in LIVE else ""
    return {
        **_progress_context(run),
        "run": run,
        "figures": figures,
        "has_figures": has_figures,
        "components": components,
        "component_sum": sum((_decimal(row["total"]) for row in components), _decimal("0")),
        "chart_data": _chart_data(figures),
        "exceptions": list(exceptions_of(run)[:EXCEPTIONS_SHOWN]) if has_figures else [],
        "exceptions_more": max(0, int(figures.get("exceptions") or 0) - EXCEPTIONS_SHOWN),
        "arrears_to": as_month(run.arrears_to_month) if run.arrears_to_month else None,
        "effective_month": as_month(run.parameters.effective_month),
        "stale": stale,
        "may_submit": run.status == Status.COMPUTED and may_prepare and not stale,
        "may_approve": run.status == Status.SUBMITTED and may_review and not is_preparer,
        # The preparer who may approve other runs is told why this one is not theirs to decide.
        "awaiting_other": run.status == Status.SUBMITTED and may_review and is_preparer,
        "awaiting_reviewer": run.status == Status.SUBMITTED and not may_review,
        "may_discard": may_prepare
        and run.status
        in (Status.COMPUTED, Status.SUBMITTED, Status.APPROVED, Status.FAILED, Status.INTERRUPTED),
        "may_apply": run.status == Status.APPROVED and may_prepare,
        "may_restart": run.status in (Status.FAILED, Status.INTERRUPTED) and may_prepare,
        "decision_form": decision_form or RunDecisionForm(),
        "action_error": action_error,
    }


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


@adjustment_viewer
@require_GET
def adjustment_run_detail(request: StaffRequest, pk: int) -> HttpResponse:
    run = selectors.run_get_or_404(pk=pk)
    return render(request, "pensions/adjustments/run_detail.html", run_context(request, run))


@adjustment_viewer
@require_GET
def adjustment_run_progress(request: StaffRequest, pk: int) -> HttpResponse:
    """The progress bar (htmx, polled): once the job is over the whole page is loaded again for the result."""
    run = selectors.run_get_or_404(pk=pk)
    context = _progress_context(run)
    response = render(request, "pensions/adjustments/_run_progress.html", context)
    if not context["in_progress"] and request.htmx:
        response["HX-Refresh"] = "true"
    patch_vary_headers(response, ["HX-Request"])
    return response


def _refused(request: StaffRequest, run: AdjustmentRun, message: str, **extra: Any) -> HttpResponse:
    run.refresh_from_db()
    context = run_context(request, run, action_error=message, **extra)
    return render(request, "pensions/adjustments/run_detail.html", context, status=400)


def _move(
    request: StaffRequest,
    pk: int,
    action: Action,
    move: Callable[[AdjustmentRun], object],
    done: str,
) -> HttpResponse:
    run = selectors.run_get_or_404(pk=pk)
    access.require(request.user, action)
    try:
        move(run)
    except DomainError as error:
        return _refused(request, run, error.message)
    messages.success(request, done)
    return redirect("adjustment-run-detail", pk=run.pk)


@adjustment_viewer
@require_POST
def adjustment_run_submit(request: StaffRequest, pk: int) -> HttpResponse:
    return _move(
        request,
        pk,
        Action.PREPARE_PAYMENTS,
        lambda run: services.adjustment_submit(run=run, by=request.user),
        _("试算结果已提交,等待他人审核。"),
    )


@adjustment_viewer
@require_POST
def adjustment_run_approve(request: StaffRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@adjustment_viewer
@require_POST
def adjustment_run_reject(request: StaffRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


def _decide(request: StaffRequest, pk: int, *, approve: bool) -> HttpResponse:
    run = selectors.run_get_or_404(pk=pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    form = RunDecisionForm(request.POST)
    if not form.is_valid():
        return _refused(request, run, _form_message(form), decision_form=form)
    comment = form.cleaned_data["comment"]
    try:
        if approve:
            services.adjustment_approve(run=run, by=request.user, comment=comment)
        else:
            services.adjustment_reject(run=run, by=request.user, comment=comment)
    except DomainError as error:
        return _refused(request, run, error.message, decision_form=form)
    messages.success(
        request,
        _("已审核通过,经办人员可以执行调整。") if approve else _("已退回,经办人员作废后可重新试算。"),
    )
    return redirect("adjustment-run-detail", pk=run.pk)


@adjustment_viewer
@require_POST
def adjustment_run_discard(request: StaffRequest, pk: int) -> HttpResponse:
    return _move(
        request,
        pk,
        Action.PREPARE_PAYMENTS,
        lambda run: services.adjustment_discard(run=run, by=request.user),
        _("本次试算已作废,可以重新试算。"),
    )


@adjustment_viewer
@require_POST
def adjustment_run_apply(request: StaffRequest, pk: int) -> HttpResponse:
    return _move(
        request,
        pk,
        Action.PREPARE_PAYMENTS,
        lambda run: services.adjustment_apply_start(run=run, by=request.user),
        _("正在执行调整,完成后本页显示写入的标准和补发。"),
    )


@adjustment_viewer
@require_POST
def adjustment_run_restart(request: StaffRequest, pk: int) -> HttpResponse:
    return _move(
        request,
        pk,
        Action.PREPARE_PAYMENTS,
        lambda run: services.adjustment_run_restart(run=run, by=request.user),
        _("已重新开始运行。"),
    )


# The lines --------------------------------------------------------------------------------------------------


@adjustment_viewer
@require_GET
def adjustment_run_lines(request: StaffRequest, pk: int) -> HttpResponse:
    run = selectors.run_get_or_404(pk=pk)
    form = RunLineFilterForm(request.GET or None, townships=selectors.run_townships(run=run))
    lines = selectors.run_lines(run=run, filters=form.filters())
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "run": run,
        "filter_form": form,
        "page": Paginator(lines, LINES_PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query.urlencode(),
        "component_labels": [label for label in selectors.component_labels().values()],
    }
    template = "pensions/adjustments/run_lines.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = "pensions/adjustments/_run_lines_table.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@adjustment_viewer
@require_GET
def adjustment_run_export(request: StaffRequest, pk: int) -> HttpResponse:
    run = selectors.run_get_or_404(pk=pk)
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    if longer_than_inline(run.lines.all()):
        return export_in_background(
            request,
            kind=ADJUSTMENT_LINES,
            parameters={"run": run.pk, "year": run.year},
            message=_("明细较多,正在后台生成,完成后可在“我的导出”下载。"),
            numbers=numbers,
        )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    count = selectors.run_lines_xlsx(user=request.user, run=run, target=target, numbers=numbers)
    sensitive_export_record(
        by=request.user,
        numbers=numbers,
        export="pensions.adjustment_lines",
        label=_("%(year)d 年度调待试算明细(编号 %(pk)d)") % {"year": run.year, "pk": run.pk},
        person_count=count,
        detail={"run": run.pk, "year": run.year},
    )
    target.seek(0)
    filename = _("调待试算明细-%(year)d-%(pk)d.xlsx") % {"year": run.year, "pk": run.pk}
    response = FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    return cast(HttpResponse, response)
