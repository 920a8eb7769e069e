"""Remote residents (异地居住人员) pages: the year's batches with the export deadline, making a batch after a
confirmation, a batch with its members and the returned forms, the combined forms PDF and the upload file.
County clerks and admins only (EDIT_REGISTRY + VIEW_SENSITIVE: the files carry full ID numbers). Thin: parse,
call certification.services.remote, render."""

from __future__ import annotations

import datetime
import io
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from registry.access import Action
from registry.errors import DomainError
from registry.id_numbers import mask_resident_id
from registry.models import SensitiveExport
from registry.selectors.exports import XLSX_CONTENT_TYPE
from registry.services.sensitive import ExportNumbers
from registry.views.common import StaffRequest, export_in_background, longer_than_inline, requires

from ..export_kinds import REMOTE_UPLOAD, remote_upload_parameters
from ..forms_entry import validate_certificate_scan
from ..models import Campaign, Certification, RemoteBatch, RemoteBatchMember
from ..selectors import remote as selectors
from ..selectors.remote import remote_upload_rows
from ..selectors.remote_export import remote_upload_filename, upload_csv, upload_xlsx
from ..services.remote import (
    remote_batch_create,
    remote_batch_retry,
    remote_export_record,
    remote_form_return,
)

PAGE_SIZE = 50
Status = RemoteBatch.Status


# A role that may both edit the registry and see full ID numbers (the upload file holds them).
remote_clerk = requires(Action.EDIT_REGISTRY, Action.VIEW_SENSITIVE)


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)


class MemberFilterForm(forms.Form):
    returned = forms.ChoiceField(
        label=gettext_lazy("认证表"),
        required=False,
        choices=[
            ("", gettext_lazy("全部人员")),
            ("no", gettext_lazy("未返回")),
            ("yes", gettext_lazy("已返回")),
        ],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )


class ReturnForm(forms.Form):
    certified_on = forms.DateField(
        label=gettext_lazy("认证日期(认证表上的日期)"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    certifying_office = forms.CharField(
        label=gettext_lazy("协助认证机构"),
        max_length=100,
        widget=forms.TextInput(
            attrs={"class": "form-control", "placeholder": gettext_lazy("如:海口市社会保险事业局")}
        ),
    )
    document = forms.FileField(
        label=gettext_lazy("认证表扫描件(可选)"),
        required=False,
        validators=[validate_certificate_scan],
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".pdf,.jpg,.jpeg,.png"}),
    )
    note = forms.CharField(
        label=gettext_lazy("备注"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


def _year(request: StaffRequest) -> int:
    form = YearForm(request.GET)
    return form.cleaned_data["year"] if form.is_valid() else timezone.localdate().year


def _batch_or_404(request: StaffRequest, pk: int) -> RemoteBatch:
    try:
        return selectors.remote_batch_get(user=request.user, pk=pk)
    except RemoteBatch.DoesNotExist:
        raise Http404 from None


def _member_or_404(request: StaffRequest, batch: RemoteBatch, pk: int) -> RemoteBatchMember:
    try:
        return selectors.remote_batch_member_get(user=request.user, batch=batch, pk=pk)
    except RemoteBatchMember.DoesNotExist:
        raise Http404 from None


def _deadline(deadline: datetime.date, today: datetime.date) -> dict[str, Any]:
    days = (deadline - today).days
    return {"date": deadline, "days_left": max(days, 0), "overdue_days": max(-days, 0), "overdue": days < 0}


def _partial(request: StaffRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


@remote_clerk
@require_GET
def remote_list(request: StaffRequest) -> HttpResponse:
    today = timezone.localdate()
    year = _year(request)
    batches = list(selectors.remote_batch_list(user=request.user, year=year))
    context: dict[str, Any] = {
        "year": year,
        "batches": batches,
        "rendering": any(batch.status == Status.RENDERING for batch in batches),
        "Status": Status,
    }
    if _partial(request):
        # The table polled while a batch renders: the head count (a scan of the remote residents) waits for
        # the next full page.
        response = render(request, "certification/remote/_batches.html", context)
        patch_vary_headers(response, ["HX-Request"])
        return response
    campaign = Campaign.or_default(year)
    context |= {
        "years": sorted({today.year, today.year + 1, year}, reverse=True),
        "campaign": campaign,
        "deadline": _deadline(campaign.remote_export_deadline, today),
        "candidates": selectors.remote_batch_candidates(user=request.user, year=year, today=today).count(),
    }
    response = render(request, "certification/remote/list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@remote_clerk
@require_POST
def remote_create(request: StaffRequest) -> HttpResponse:
    form = YearForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("认证年度不正确。"))
        return redirect("certification-remote-list")
    year = form.cleaned_data["year"]
    try:
        batch = remote_batch_create(year=year, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect(f"{reverse('certification-remote-list')}?{urlencode({'year': year})}")
    messages.success(
        request,
        _("已生成%(year)s年度异地认证批次,共 %(count)s 人,正在生成协助认证表PDF。")
        % {"year": year, "count": batch.member_count},
    )
    return redirect("certification-remote-detail", pk=batch.pk)


def _status_context(batch: RemoteBatch) -> dict[str, Any]:
    """The rendering card: while rendering, an estimate of the progress from the time spent so far and the
    measured speed (RemoteBatch.render_expected_seconds); a stalled render offers to start again."""
    now = timezone.now()
    expected = batch.render_expected_seconds()
    elapsed = max((now - (batch.render_started_at or batch.made_at)).total_seconds(), 0.0)
    return {
        "batch": batch,
        "Status": Status,
        "elapsed": int(elapsed),
        "expected": int(round(expected)),
        "percent": min(95, int(elapsed * 100 / expected)),
        "stalled": batch.render_stalled(now),
    }


@remote_clerk
@require_GET
def remote_detail(request: StaffRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    filters = MemberFilterForm(request.GET)
    returned_filter = filters.cleaned_data.get("returned") if filters.is_valid() else ""
    returned = {"yes": True, "no": False}.get(returned_filter or "")
    members = selectors.remote_batch_members(user=request.user, batch=batch, returned=returned)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    campaign = Campaign.or_default(batch.year)
    context = {
        **_status_context(batch),
        "counts": selectors.remote_batch_counts(batch=batch),
        "campaign": campaign,
        "deadline": _deadline(campaign.remote_export_deadline, timezone.localdate()),
        "filters": filters,
        "page": page,
        "rows": [
            {"member": member, "id_number_masked": mask_resident_id(member.retiree.id_number)}
            for member in page.object_list
        ],
        "query": urlencode({"returned": returned_filter} if returned_filter else {}),
        "remote_channel": Certification.Channel.REMOTE_ASSISTED,
    }
    return render(request, "certification/remote/detail.html", context)


@remote_clerk
@require_GET
def remote_status(request: StaffRequest, pk: int) -> HttpResponse:
    """The batch's rendering card, polled by htmx while the PDF is being made."""
    return render(request, "certification/remote/_status.html", _status_context(_batch_or_404(request, pk)))


@remote_clerk
@require_POST
def remote_retry(request: StaffRequest, pk: int) -> HttpResponse:
    batch = _batch_or_404(request, pk)
    try:
        remote_batch_retry(batch=batch, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已重新开始生成协助认证表PDF。"))
    return redirect("certification-remote-detail", pk=batch.pk)


@remote_clerk
@require_GET
def remote_forms_pdf(request: StaffRequest, pk: int) -> HttpResponseBase:
    """The combined forms PDF (full ID numbers: every download is recorded)."""
    batch = _batch_or_404(request, pk)
    if batch.status != Status.READY or not batch.forms_pdf:
        raise Http404
    remote_export_record(batch=batch, by=request.user, what="forms_pdf", rows=batch.member_count)
    name = _("异地居住人员资格协助认证表-%(year)s-%(pk)s.pdf") % {"year": batch.year, "pk": batch.pk}
    return FileResponse(
        batch.forms_pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
    )


@remote_clerk
@require_GET
def remote_upload_file(request: StaffRequest, pk: int, fmt: str) -> HttpResponse:
    """The upload file for the national remote retiree system, xlsx or CSV (full ID numbers, recorded)."""
    if fmt not in ("xlsx", "csv"):
        raise Http404
    batch = _batch_or_404(request, pk)
    if longer_than_inline(remote_upload_rows(user=request.user, batch=batch)):
        return export_in_background(
            request,
            kind=REMOTE_UPLOAD,
            parameters=remote_upload_parameters(batch=batch, fmt=fmt),
            message=_("人员较多,正在后台生成,完成后可在“我的导出”下载。"),
            numbers=ExportNumbers(full=True, purpose=SensitiveExport.Purpose.REMOTE_CERTIFICATION),
        )
    buffer = io.BytesIO()
    if fmt == "xlsx":
        count = upload_xlsx(user=request.user, batch=batch, target=buffer)
        content_type = XLSX_CONTENT_TYPE
    else:
        count = upload_csv(user=request.user, batch=batch, target=buffer)
        content_type = "text/csv; charset=gb18030"
    remote_export_record(batch=batch, by=request.user, what=f"upload_{fmt}", rows=count)
    name = remote_upload_filename(batch, fmt)
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


def _return_form_response(
    request: StaffRequest, batch: RemoteBatch, member: RemoteBatchMember, form: ReturnForm, *, error: str = ""
) -> HttpResponse:
    context = {"batch": batch, "member": member, "form": form, "error": error}
    if _partial(request):
        # 200 so that htmx swaps the form with its messages into the dialog.
        return render(request, "certification/remote/_return_form.html", context)
    status = 400 if form.errors or error else 200
    return render(request, "certification/remote/return.html", context, status=status)


@remote_clerk
def remote_return(request: StaffRequest, pk: int, member_pk: int) -> HttpResponse:
    """Record one returned form: GET the form (a dialog's body under htmx), POST it."""
    batch = _batch_or_404(request, pk)
    member = _member_or_404(request, batch, member_pk)
    if request.method != "POST":
        return _return_form_response(request, batch, member, ReturnForm())
    form = ReturnForm(request.POST, request.FILES)
    if not form.is_valid():
        return _return_form_response(request, batch, member, form)
    try:
        result = remote_form_return(member=member, by=request.user, **form.cleaned_data)
    except DomainError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
            return _return_form_response(request, batch, member, form)
        return _return_form_response(request, batch, member, form, error=error.message)
    record = result.certification
    if not result.created:
        messages.info(
            request,
            _("%(name)s 已于 %(date)s 完成%(year)s年度认证(%(channel)s),保留首次认证记录,本次未登记。")
            % {
                "name": member.name,
                "date": record.certified_on.isoformat(),
                "year": record.year,
                "channel": record.get_channel_display(),
            },
        )
    elif result.restored:
        messages.success(
            request,
            _("已登记 %(name)s 的异地协助认证,已恢复发放,暂停期间的养老金将在下一期发放计划中补发。")
            % {"name": member.name},
        )
    else:
        messages.success(request, _("已登记 %(name)s 的异地协助认证。") % {"name": member.name})
    target = reverse("certification-remote-detail", kwargs={"pk": batch.pk})
    if _partial(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)
