"""“我的导出”: the background exports a person asked for, their progress, and the download when done
(docs/exports.md). Only the person who asked sees a row, downloads its file or makes it again."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ..errors import DomainError
from ..models import ExportJob
from ..services.export_jobs import (
    RUNNING,
    export_job_download,
    export_job_restart,
    export_job_stalled,
)
from .common import StaffRequest

Status = ExportJob.Status
LIST_SIZE = 50


def _own_job_or_404(request: StaffRequest, pk: int) -> ExportJob:
    # Someone else's export looks the same as one that does not exist.
    job = ExportJob.objects.filter(pk=pk, requested_by=request.user).first()
    if job is None:
        raise Http404("export job")
    return job


@login_required
@require_GET
def export_job_list(request: StaffRequest) -> HttpResponse:
    jobs = list(
        ExportJob.objects.filter(requested_by=request.user).order_by("-created_at", "-id")[:LIST_SIZE]
    )
    rows = [(job, export_job_stalled(job)) for job in jobs]
    context = {
        "rows": rows,
        "Status": Status,
        "in_progress": any(job.status in RUNNING for job in jobs),
        "highlight": request.GET.get("job", ""),
    }
    # The table polls itself while an export is being made, and gets only the partial back.
    if request.htmx:
        return render(request, "registry/exports/_jobs.html", context)
    context["retention_hours"] = settings.EXPORT_RETENTION_HOURS
    template = "registry/exports/export_list.html"
    return render(request, template, context)


@login_required
@require_GET
def export_job_file(request: StaffRequest, pk: int) -> HttpResponse:
    job = _own_job_or_404(request, pk)
    try:
        opened = export_job_download(job=job, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("export-job-list")
    response = FileResponse(opened, as_attachment=True, filename=job.filename, content_type=job.content_type)
    # Streamed from the file; the views are typed for HttpResponse, which a streaming response is not.
    return cast(HttpResponse, response)


@login_required
@require_POST
def export_job_restart_view(request: StaffRequest, pk: int) -> HttpResponse:
    job = _own_job_or_404(request, pk)
    try:
        export_job_restart(job=job, by=request.user)
    except PermissionDenied:
        raise
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(f"{reverse('export-job-list')}?job={job.pk}")
