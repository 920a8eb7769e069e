"""Bulk import pages: upload and history, a batch's progress and preview, confirm, the template and the
rejected rows. Thin: parse, call registry.services.imports, render."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ..access import Action
from ..errors import DomainError
from ..imports.columns import COLUMNS
from ..imports.workbooks import template_workbook
from ..jobs import job_is_stale
from ..models import ImportBatch
from ..selectors.imports import get_visible_import_batch_or_404, import_batches_visible_to
from ..services import import_batch_confirm, import_batch_restart, import_batch_upload
from ..services.imports import IN_PROGRESS, RUNNING
from .common import StaffRequest, requires

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HISTORY_SIZE = 50


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("导入文件"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
        error_messages={"required": gettext_lazy("请选择要导入的 .xlsx 或 .csv 文件。")},
    )


@requires(Action.EDIT_REGISTRY)
def import_list(request: StaffRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = import_batch_upload(file=form.cleaned_data["file"], by=request.user)
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            messages.success(request, _("文件已上传,正在校验。"))
            return redirect("import-detail", pk=batch.pk)
    context = {
        "form": form,
        "batches": import_batches_visible_to(request.user)[:HISTORY_SIZE],
        "columns": COLUMNS,
        "max_mb": settings.IMPORT_MAX_UPLOAD_MB,
    }
    return render(request, "registry/imports/import_list.html", context, status=400 if form.errors else 200)


@requires(Action.EDIT_REGISTRY)
@require_GET
def import_detail(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_visible_import_batch_or_404(request.user, pk)
    # Imported, the search keys being written right after (import_batch_index_names): seconds.
    names_pending = batch.status == ImportBatch.Status.IMPORTED and batch.names_indexed_at is None
    context = {
        "batch": batch,
        "Status": ImportBatch.Status,
        "in_progress": batch.status in IN_PROGRESS,
        "names_pending": names_pending,
        # The worker died and the sweeper has not come by yet: the button is offered already.
        "stale": job_is_stale(batch, running=RUNNING),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    template = "registry/imports/_batch.html" if partial else "registry/imports/import_detail.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
@requires(Action.EDIT_REGISTRY)
def import_confirm(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_visible_import_batch_or_404(request.user, pk)
    try:
        import_batch_confirm(batch=batch, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已确认导入,正在写入。"))
    return redirect("import-detail", pk=batch.pk)


@require_POST
@requires(Action.EDIT_REGISTRY)
def import_restart(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_visible_import_batch_or_404(request.user, pk)
    try:
        import_batch_restart(batch=batch, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已重新开始运行。"))
    return redirect("import-detail", pk=batch.pk)


@requires(Action.EDIT_REGISTRY)
@require_GET
def import_rejected(request: StaffRequest, pk: int) -> HttpResponse:
    batch = get_visible_import_batch_or_404(request.user, pk)
    if not batch.rejected_file:
        raise Http404
    with batch.rejected_file.open("rb") as handle:
        response = HttpResponse(handle.read(), content_type=XLSX)
    name = f"{batch.original_name.rsplit('.', 1)[0]}-问题行.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


@requires(Action.EDIT_REGISTRY)
@require_GET
def import_template(request: StaffRequest) -> HttpResponse:
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, "退休人员导入模板.xlsx")
    return response
