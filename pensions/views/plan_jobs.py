"""A clerk's plan drafting or bank-file export running in the worker (docs/jobs.md): its page polls itself
while the job runs (“正在编制…”, “正在生成银行文件…”), then shows the result, the refusal or, when the worker
died, 任务中断 with the button that runs it again."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.formats import yuan
from registry.views.common import StaffRequest

from ..models import PlanJob
from ..services.plan_jobs import RUNNING, plan_job_restart, plan_job_stalled
from .plans import plan_viewer


def _job_or_404(pk: int) -> PlanJob:
    job = PlanJob.objects.select_related("plan", "requested_by").filter(pk=pk).first()
    if job is None:
        raise Http404("plan job")
    return job


@plan_viewer
@require_GET
def plan_job_detail(request: StaffRequest, pk: int) -> HttpResponse:
    job = _job_or_404(pk)
    if job.status == PlanJob.Status.DONE and job.plan is not None:
        # Done, whether the page was polling or the worker finished before the page first loaded (a small
        # county's plan takes less than the redirect): on to the plan, with the result as a message.
        messages.success(request, _done_message(job))
        anchor = "#bank-files" if job.kind == PlanJob.Kind.BANK_FILES else ""
        target = reverse("payout-plan-detail", args=[job.plan.pk]) + anchor
        if not request.htmx:
            return redirect(target)
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    context = {
        "job": job,
        "Status": PlanJob.Status,
        "Kind": PlanJob.Kind,
        "in_progress": job.status in RUNNING,
        "stalled": plan_job_stalled(job),
        "may_restart": access.can(request.user, Action.PREPARE_PAYMENTS),
    }
    template = "pensions/_plan_job.html" if request.htmx else "pensions/plan_job.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _done_message(job: PlanJob) -> str:
    result = job.result
    if job.kind == PlanJob.Kind.BANK_FILES:
        return _("银行文件已生成:%(count)d 个,合计 %(total)s。") % {
            "count": result.get("file_count", 0),
            "total": yuan(result.get("total", "0")),
        }
    if result.get("already_drafted"):
        return _("%(month)s 的发放计划已经生成过,未重复编制。") % {"month": job.month}
    return _("已生成 %(month)s 发放计划:%(count)d 笔。") % {
        "month": job.month,
        "count": result.get("line_count", 0),
    }


@plan_viewer
@require_POST
def plan_job_restart_view(request: StaffRequest, pk: int) -> HttpResponse:
    job = _job_or_404(pk)
    try:
        plan_job_restart(job=job, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("payout-plan-job", pk=job.pk)
