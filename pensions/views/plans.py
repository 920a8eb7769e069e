"""Payout plan pages: the list with the draft form, the plan with its totals, lines and actions, the lines'
export. Views parse, call pensions.services and render; a DomainError becomes a message on the page.

Every action that moves a plan on carries what the confirmation dialog showed (line count, net total, when the
lines were made): a plan regenerated in the meantime is refused, never approved on figures nobody saw.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError, SensitiveExportError
from registry.months import PensionMonth, first_open_month
from registry.selectors.exports import XLSX_CONTENT_TYPE
from registry.services import sensitive_export_record
from registry.views.common import (
    StaffRequest,
    export_in_background,
    export_numbers,
    export_refused,
    longer_than_inline,
)

from .. import selectors, services
from ..export_kinds import PLAN_LINES, plan_lines_parameters
from ..forms import DraftForm, LineFilterForm, PlanConfirmForm, RejectForm, confirm_initial
from ..models import PayoutPlan
from ..preparers import plan_is_prepared_by
from ..selectors.exports import plan_lines_xlsx
from ..services.plan_jobs import plan_draft_start, plan_jobs_active

Status = PayoutPlan.Status
LINES_PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def plan_viewer(view: View) -> View:
    """Signed in and one of the roles that work with payouts (selectors.PLAN_VIEWER_ACTIONS), else 403."""

    @wraps(view)
    def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_view_plans(request.user):
            raise PermissionDenied("payout plans")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


# The list and the draft form --------------------------------------------------------------------------------


@plan_viewer
@require_http_methods(["GET", "POST"])
def plan_list(request: StaffRequest) -> HttpResponse:
    user = request.user
    may_prepare = access.can(user, Action.PREPARE_PAYMENTS)
    open_month = first_open_month(timezone.localdate(), settings.PAYOUT_PLAN_DAY)
    form = DraftForm(request.POST if request.method == "POST" else None, initial={"month": open_month})
    try:
        # The months the service accepts, said up front by the month picker (the service still decides).
        first, last = services.draftable_months()
        form.fields["month"].widget.attrs.update(min=str(first), max=str(last))
    except DomainError:
        pass  # a malformed setting: drafting says why
    status = 200
    if request.method == "POST":
        access.require(user, Action.PREPARE_PAYMENTS)
        if form.is_valid():
            month = form.cleaned_data["month"]
            existing = selectors.plan_for_month(month=month)
            if existing is not None:
                # Regenerating replaces every line: only from the plan's own page, behind its confirmation.
                form.add_error(
                    "month",
                    _("%(month)s 的发放计划已存在(%(status)s),请在计划页面查看或重新生成。")
                    % {"month": month, "status": existing.get_status_display()},
                )
            else:
                try:
                    job = plan_draft_start(month=month, by=user)
                except DomainError as error:
                    form.add_error(error.field if error.field in form.fields else None, error.message)
                else:
                    # Drafting a county takes a while: the worker does it, the job's page shows it busy.
                    url = reverse("payout-plan-job", args=[job.pk])
                    if request.htmx:
                        response = HttpResponse(status=204)
                        response["HX-Redirect"] = url
                        return response
                    return redirect(url)
        # htmx swaps 2xx answers only: the form with its errors comes back as 200 to a htmx request.
        status = 200 if request.htmx else 400
        if request.htmx:
            return render(request, "pensions/_draft_form.html", {"form": form}, status=status)
    context = {
        "plans": selectors.plan_list(),
        # The months being drafted now: the page says so and links to each job's page.
        "active_jobs": plan_jobs_active(),
        "form": form,
        "may_prepare": may_prepare,
        "open_month": open_month,
    }
    return render(request, "pensions/plan_list.html", context, status=status)


# The plan ---------------------------------------------------------------------------------------------------


class KnownCountPaginator(Paginator):
    """A paginator told its count (the plan's stored line counts, or a count capped at LINE_COUNT_CAP), so a
    page of a million lines is not preceded by COUNT(*) of them. `capped`: more lines than the count."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, capped: bool) -> None:
        super().__init__(object_list, per_page)
        self.__dict__["count"] = count  # the cached_property's slot
        self.capped = capped


def _line_filter_form(request: StaffRequest, plan: PayoutPlan) -> LineFilterForm:
    return LineFilterForm(
        request.GET or None,
        townships=selectors.plan_line_townships(plan=plan),
        banks=selectors.plan_line_banks(plan=plan),
    )


def _lines_context(request: StaffRequest, plan: PayoutPlan) -> dict[str, Any]:
    filter_form = _line_filter_form(request, plan)
    filters = filter_form.filters()
    lines = selectors.plan_lines(plan=plan, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    counted = selectors.plan_line_count(plan=plan, filters=filters, lines=lines)
    paginator = KnownCountPaginator(lines, LINES_PAGE_SIZE, count=counted.count, capped=counted.capped)
    return {
        "plan": plan,
        "filter_form": filter_form,
        "page": paginator.get_page(request.GET.get("page")),
        "query": query.urlencode(),
    }


def plan_detail_context(
    request: StaffRequest,
    plan: PayoutPlan,
    *,
    reject_form: RejectForm | None = None,
    action_error: str = "",
) -> dict[str, Any]:
    user = request.user
    # The same rule the service applies (pensions.preparers): whoever drafted, made again or submitted the
    # plan is not offered the approval.
    is_preparer = plan.status == Status.SUBMITTED and plan_is_prepared_by(plan=plan, staff_id=user.pk)
    may_approve = (
        plan.status == Status.SUBMITTED and access.can(user, Action.APPROVE_PAYMENTS) and not is_preparer
    )
    return {
        **_lines_context(request, plan),
        # Adds the lines up again (one scan) to show that the stored totals still equal them.
        "totals": selectors.plan_totals(plan=plan, reuse_check=True),
        "transitions": selectors.plan_transitions(plan=plan),
        "may_regenerate": plan.status == Status.DRAFT and access.can(user, Action.PREPARE_PAYMENTS),
        "may_submit": plan.status == Status.DRAFT and access.can(user, Action.PREPARE_PAYMENTS),
        "may_approve": may_approve,
        "awaiting_other": plan.status == Status.SUBMITTED
        and is_preparer
        and access.can(user, Action.APPROVE_PAYMENTS),
        # Whoever cannot approve it (the clerk who submitted it, an auditor) is told whom it waits for.
        "awaiting_reviewer": plan.status == Status.SUBMITTED
        and not access.can(user, Action.APPROVE_PAYMENTS),
        "confirm_initial": confirm_initial(plan),
        "reject_form": reject_form or RejectForm(initial=confirm_initial(plan)),
        "action_error": action_error,
    }


@plan_viewer
@require_GET
def plan_detail(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    # The filters and pages of the lines come as a fragment (htmx): the lines only, not the totals again.
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "pensions/_plan_lines.html", _lines_context(request, plan))
    else:
        response = render(request, "pensions/plan_detail.html", plan_detail_context(request, plan))
    patch_vary_headers(response, ["HX-Request"])
    return response


@plan_viewer
@require_GET
def plan_export(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    form = _line_filter_form(request, plan)
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    filters = form.filters()
    if longer_than_inline(selectors.plan_lines(plan=plan, filters=filters)):
        return export_in_background(
            request,
            kind=PLAN_LINES,
            parameters=plan_lines_parameters(plan=plan, filters=filters),
            message=_("明细较多,正在后台生成,完成后可在“我的导出”下载。"),
            numbers=numbers,
        )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    count = plan_lines_xlsx(user=request.user, plan=plan, filters=filters, target=target, numbers=numbers)
    sensitive_export_record(
        by=request.user,
        numbers=numbers,
        export="pensions.plan_lines",
        label=_("%(month)s 发放明细") % {"month": plan.month},
        person_count=count,
        detail={"plan": plan.pk, "month": str(plan.month), **dataclasses.asdict(filters)},
    )
    target.seek(0)
    filename = _("发放明细-%(month)s.xlsx") % {"month": plan.month}
    response = FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    return cast(HttpResponse, response)


def _refused(request: StaffRequest, plan: PayoutPlan, message: str, **extra: Any) -> HttpResponse:
    plan.refresh_from_db()
    context = plan_detail_context(request, plan, action_error=message, **extra)
    return render(request, "pensions/plan_detail.html", context, status=400)


def _stale_message() -> str:
    return _("发放计划在您打开页面后已有变化,请核对最新的笔数和金额后再操作。")


@plan_viewer
@require_POST
def plan_regenerate(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    confirm = PlanConfirmForm(request.POST)
    url = reverse("payout-plan-detail", args=[plan.pk])
    error = ""
    if not confirm.is_valid() or not confirm.matches(plan):
        error = _stale_message()
    else:
        try:
            # PensionMonthField reads a PensionMonth; its stubs say int.
            job = plan_draft_start(month=cast(PensionMonth, plan.month), by=request.user, regenerate=True)
        except DomainError as refused:
            error = refused.message
        else:
            url = reverse("payout-plan-job", args=[job.pk])
    if request.htmx:
        # The dialog posts with htmx (for its busy state); the answer is the job's page, or the plan page
        # with the refusal.
        if error:
            messages.error(request, error)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    if error:
        return _refused(request, plan, error)
    return redirect(url)


@plan_viewer
@require_POST
def plan_submit(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    seen = PlanConfirmForm(request.POST).figures()
    if seen is None:
        return _refused(request, plan, _stale_message())
    try:
        services.plan_submit(plan=plan, by=request.user, seen=seen)
    except DomainError as error:
        return _refused(request, plan, error.message)
    messages.success(request, _("发放计划已提交,等待他人审批。"))
    return redirect("payout-plan-detail", pk=plan.pk)


@plan_viewer
@require_POST
def plan_approve(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    # The figures the dialog showed are compared by the service, under its lock: the same check as the API.
    seen = PlanConfirmForm(request.POST).figures()
    if seen is None:
        return _refused(request, plan, _stale_message())
    try:
        services.plan_approve(plan=plan, by=request.user, seen=seen)
    except DomainError as error:
        return _refused(request, plan, error.message)
    messages.success(request, _("发放计划已审批,明细已冻结。"))
    return redirect("payout-plan-detail", pk=plan.pk)


@plan_viewer
@require_POST
def plan_reject(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    form = RejectForm(request.POST)
    if not form.is_valid():
        errors = [str(error) for errors in form.errors.values() for error in errors]
        return _refused(request, plan, " ".join(errors), reject_form=form)
    seen = form.figures()
    if seen is None:
        return _refused(request, plan, _stale_message(), reject_form=form)
    try:
        services.plan_reject(plan=plan, by=request.user, reason=form.cleaned_data["reason"], seen=seen)
    except DomainError as error:
        return _refused(request, plan, error.message, reject_form=form)
    messages.success(request, _("发放计划已退回草稿。"))
    return redirect("payout-plan-detail", pk=plan.pk)
