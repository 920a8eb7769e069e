"""The province's result file for a dry run (docs/adjustment-province-file.md): upload and the list of
comparisons of a run, one comparison's differences (paged, by kind), their xlsx, and running a failed
comparison again. Viewers: pensions.selectors.adjustments.may_view_adjustments; uploads and reruns:
PREPARE_PAYMENTS (checked by the service). A refusal shows the page again with the message (400), nothing
written."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError, SensitiveExportError
from registry.selectors.exports import XLSX_CONTENT_TYPE
from registry.services import sensitive_export_record
from registry.views.common import (
    StaffRequest,
    export_in_background,
    export_numbers,
    export_refused,
    longer_than_inline,
)

from ..export_kinds import COMPARISON_DIFFERENCES, comparison_parameters
from ..models import AdjustmentComparison, AdjustmentDifference, AdjustmentRun
from ..selectors import adjustment_comparisons as selectors
from ..selectors.adjustments import may_view_adjustments
from ..services import adjustment_comparisons as services

View = Callable[..., HttpResponse]
PAGE_SIZE = 50
Kind = AdjustmentDifference.Kind


def adjustment_viewer(view: View) -> View:
    """Signed in and one of the roles that see the adjustment pages, else 403."""

    @wraps(view)
    def wrapped(request: StaffRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_view_adjustments(request.user):
            raise PermissionDenied("adjustments")
        return view(request, *args, **kwargs)

    return login_required(wrapped)


class ProvinceFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("省厅结果文件(.xlsx 或 .csv)"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )


def _run_or_404(pk: int) -> AdjustmentRun:
    run = AdjustmentRun.objects.filter(pk=pk).first()
    if run is None:
        raise Http404("run")
    return run


def _list_context(request: StaffRequest, run: AdjustmentRun) -> dict[str, Any]:
    comparisons = list(selectors.comparisons_of(run)[:50])
    return {
        "run": run,
        "comparisons": comparisons,
        "polling": any(item.status in selectors.RUNNING for item in comparisons),
        "Status": AdjustmentComparison.Status,
        "may_upload": access.can(request.user, Action.PREPARE_PAYMENTS),
        "max_mb": services.MAX_UPLOAD_MB,
    }


@adjustment_viewer
@require_http_methods(["GET", "POST"])
def comparison_list(request: StaffRequest, pk: int) -> HttpResponse:
    run = _run_or_404(pk)
    if request.method == "GET":
        if request.GET.get("partial"):
            return render(
                request, "pensions/adjustments/comparison_list_rows.html", _list_context(request, run)
            )
        context = _list_context(request, run) | {"form": ProvinceFileForm()}
        return render(request, "pensions/adjustments/comparison_list.html", context)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = ProvinceFileForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            comparison = services.adjustment_comparison_upload(
                run=run, file=form.cleaned_data["file"], by=request.user
            )
        except DomainError as error:
            form.add_error("file", error.message)
        else:
            messages.success(
                request, _("已上传“%(name)s”,正在后台比对。") % {"name": comparison.original_name}
            )
            return redirect("adjustment-comparison-detail", pk=comparison.pk)
    context = _list_context(request, run) | {"form": form}
    return render(request, "pensions/adjustments/comparison_list.html", context, status=400)


@adjustment_viewer
@require_GET
def comparison_detail(request: StaffRequest, pk: int) -> HttpResponse:
    comparison = selectors.comparison_get_or_404(pk)
    stalled = selectors.comparison_stalled(comparison)
    context: dict[str, Any] = {
        "comparison": comparison,
        "Status": AdjustmentComparison.Status,
        "stalled": stalled,
        "may_restart": access.can(request.user, Action.PREPARE_PAYMENTS),
        "polling": comparison.status in selectors.RUNNING and not stalled,
    }
    if request.GET.get("partial"):
        return render(request, "pensions/adjustments/comparison_status.html", context)
    kind = request.GET.get("kind", "")
    if kind not in Kind.values:
        kind = ""
    page = Paginator(selectors.differences_of(comparison, kind=kind or None), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for item in page.object_list:
        # The difference beside each pair, province less ours.
        item.rise_gap = selectors.gap(item.ours_rise, item.province_rise)  # type: ignore[attr-defined]
        item.new_gap = selectors.gap(item.ours_new_amount, item.province_new_amount)  # type: ignore[attr-defined]
    context |= {
        "kinds": selectors.kind_counts(comparison),
        "kind": kind,
        "page": page,
        "query": urlencode({"kind": kind} if kind else {}),
    }
    return render(request, "pensions/adjustments/comparison_detail.html", context)


@adjustment_viewer
@require_GET
def comparison_export(request: StaffRequest, pk: int) -> HttpResponse:
    comparison = selectors.comparison_get_or_404(pk)
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    if longer_than_inline(selectors.differences_of(comparison)):
        return export_in_background(
            request,
            kind=COMPARISON_DIFFERENCES,
            parameters=comparison_parameters(comparison),
            message=_("明细较多,正在后台生成,完成后可在“我的导出”下载。"),
            numbers=numbers,
        )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    count = selectors.differences_xlsx(comparison, target=target, numbers=numbers)
    sensitive_export_record(
        by=request.user,
        numbers=numbers,
        export=COMPARISON_DIFFERENCES,
        label=_("调待省厅结果比对差异 %(pk)d") % {"pk": comparison.pk},
        person_count=count,
        detail={"comparison": comparison.pk, "run": comparison.run_id},
    )
    target.seek(0)
    filename = _("调待比对差异-试算%(run)d-%(pk)d.xlsx") % {"run": comparison.run_id, "pk": comparison.pk}
    response = FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    return cast(HttpResponse, response)


@adjustment_viewer
@require_POST
def comparison_restart(request: StaffRequest, pk: int) -> HttpResponse:
    comparison = selectors.comparison_get_or_404(pk)
    try:
        services.adjustment_comparison_restart(comparison=comparison, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已重新开始比对。"))
    return redirect("adjustment-comparison-detail", pk=comparison.pk)
