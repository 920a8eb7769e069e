"""Campaigns (认证年度) and each year's suspension run: the list every role with VIEW_REGISTRY
reads, the admin's new campaign and edits, the run's figures per township, the people it suspended
(scoped, masked) and the township notices files. Views parse, call certification.services or selectors,
and render."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.id_numbers import mask_resident_id
from registry.views.common import StaffRequest, requires

from .. import selectors, services
from ..forms_campaigns import CampaignCreateForm, CampaignForm, SuspendedFilterForm
from ..models import Campaign, Mode, SuspensionNotice, SuspensionRun, default_mode

PAGE_SIZE = 50


def _campaign_or_404(year: int) -> Campaign:
    try:
        return selectors.campaign_get(year=year)
    except Campaign.DoesNotExist:
        raise Http404 from None


def _next_year(campaigns: list[Any]) -> int:
    """The year the admin's "new campaign" button makes: the year after the newest, this year if none."""
    this_year = timezone.localdate().year
    return max(campaign.year for campaign in campaigns) + 1 if campaigns else this_year


def _list(request: StaffRequest, *, status: int = 200, error: str = "") -> HttpResponse:
    campaigns = list(selectors.campaign_list())
    next_year = _next_year(campaigns)
    return render(
        request,
        "certification/campaigns/list.html",
        {
            "campaigns": campaigns,
            "may_manage": access.can(request.user, Action.MANAGE_SETTINGS),
            "next_year": next_year,
            "next_year_allowed": next_year <= timezone.localdate().year + 1,
            "next_defaults": Campaign.default_dates(next_year),
            "next_mode": Mode(default_mode()).label,
            "error": error,
        },
        status=status,
    )


@requires(Action.VIEW_REGISTRY)
@require_GET
def campaign_list(request: StaffRequest) -> HttpResponse:
    return _list(request)


@requires(Action.MANAGE_SETTINGS)
@require_POST
def campaign_create(request: StaffRequest) -> HttpResponse:
    form = CampaignCreateForm(request.POST)
    if not form.is_valid():
        return _list(request, status=400, error=_("请选择要建立的年度。"))
    try:
        campaign = services.campaign_create(year=form.cleaned_data["year"], by=request.user)
    except DomainError as error:
        return _list(request, status=400, error=error.message)
    messages.success(request, _("已建立 %(year)s 年度资格认证。") % {"year": campaign.year})
    return redirect("certification-campaign-list")


@requires(Action.MANAGE_SETTINGS)
@require_http_methods(["GET", "POST"])
def campaign_edit(request: StaffRequest, year: int) -> HttpResponse:
    campaign = _campaign_or_404(year)
    run = selectors.suspension_run_of(year=year)
    error = ""
    if request.method == "POST":
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                services.campaign_update(campaign=campaign, by=request.user, **form.cleaned_data)
            except DomainError as refused:
                error = refused.message
                if refused.field in form.fields:
                    form.add_error(refused.field, refused.message)
            else:
                messages.success(request, _("已保存 %(year)s 年度资格认证设置。") % {"year": year})
                return redirect("certification-campaign-list")
        else:
            error = _("请检查填写的内容。")
    else:
        form = CampaignForm(initial={name: getattr(campaign, name) for name in CampaignForm.base_fields})
    return render(
        request,
        "certification/campaigns/edit.html",
        {"campaign": campaign, "form": form, "run": run, "error": error},
        status=400 if error else 200,
    )


def _notices_context(request: StaffRequest, campaign: Campaign) -> dict[str, Any]:
    run = selectors.suspension_run_of(year=campaign.year)
    townships = selectors.run_townships(run=run, user=request.user) if run is not None else []
    # Only the user's townships count: an officer's page stops polling once their own file is made.
    pending = sum(1 for row in townships if row.notice is None)
    rendering = run is not None and run.notices_status == SuspensionRun.NoticesStatus.RENDERING
    return {
        "campaign": campaign,
        "run": run,
        "townships": townships,
        # Polls only while the job runs: a failed or dead job shows its state and the button instead.
        "pending": pending if rendering else 0,
        "missing": pending,
        "notices_stopped": run is not None and run.notices_may_restart(timezone.now()),
        "may_manage": access.can(request.user, Action.MANAGE_SETTINGS),
    }


@requires(Action.VIEW_REGISTRY)
@require_GET
def suspension_detail(request: StaffRequest, year: int) -> HttpResponse:
    campaign = _campaign_or_404(year)
    context = _notices_context(request, campaign)
    run = context["run"]
    filters = SuspendedFilterForm(request.GET or None, townships=access.visible_townships(request.user))
    township = filters.cleaned_data.get("township") if filters.is_valid() else None
    rows: list[dict[str, Any]] = []
    page = None
    if run is not None:
        suspended = selectors.run_suspended(
            run=run, user=request.user, township_id=township.pk if township is not None else None
        )
        page = Paginator(suspended, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [
            {"change": change, "id_number_masked": mask_resident_id(change.retiree.id_number)}
            for change in page.object_list
        ]
    query = urlencode({"township": township.pk} if township is not None else {})
    return render(
        request,
        "certification/campaigns/suspension.html",
        {**context, "filters": filters, "page": page, "rows": rows, "query": query},
    )


@requires(Action.VIEW_REGISTRY)
@require_GET
def suspension_notices(request: StaffRequest, year: int) -> HttpResponse:
    """The notices card alone: the suspension page polls it while files are still being made."""
    campaign = _campaign_or_404(year)
    return render(request, "certification/campaigns/_notices.html", _notices_context(request, campaign))


@requires(Action.MANAGE_SETTINGS)
@require_POST
def suspension_notices_render(request: StaffRequest, year: int) -> HttpResponse:
    """The "重新生成告知书" button: start a failed, interrupted or stalled notices job again (it makes only
    the townships missing); a live or finished one is refused with the service's message."""
    campaign = _campaign_or_404(year)
    run = selectors.suspension_run_of(year=campaign.year)
    if run is None:
        raise Http404
    try:
        services.suspension_notices_restart(run=run, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, _("已开始重新生成缺少的暂停发放告知书。"))
    return redirect("certification-suspension", year=campaign.year)


@requires(Action.VIEW_REGISTRY)
@require_GET
def suspension_notice_download(request: StaffRequest, pk: int) -> HttpResponse:
    """One township's notices PDF, for those who see that township (others get the same 404 as a file
    that does not exist)."""
    try:
        notice = selectors.notice_visible_to(user=request.user, pk=pk)
    except SuspensionNotice.DoesNotExist:
        raise Http404(_("没有这个告知书文件,或不在本人管辖范围内。")) from None
    filename = _("暂停发放告知书-%(year)s-%(township)s.pdf") % {
        "year": notice.run.year,
        "township": notice.township.name,
    }
    response = FileResponse(
        notice.pdf.open("rb"), as_attachment=True, filename=filename, content_type="application/pdf"
    )
    return cast(HttpResponse, response)
