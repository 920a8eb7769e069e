"""The death registration pages (docs/deaths.md "Pages"): the list, the clerk's registration form (from the
record page, a township report or a deaths-list match), the registration page with the reviewer's confirm and
reject dialogs and the correction, the township officer's report form and their list, and the record page's
death tab. The services decide; these pages parse, call them and show their refusals."""

from __future__ import annotations

import mimetypes
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from certification.models import DeathMatch
from pensions.selectors.recoveries import recovery_balance
from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.models import Retiree
from registry.views.common import StaffRequest, requires

from .. import services
from ..forms_deaths import ConfirmForm, DeathFilterForm, DeathRecordForm, DeathReportForm, ReasonForm
from ..models import DeathRegistration
from ..selectors import deaths as selectors

Status = DeathRegistration.Status


def _require_registrations(user: Any) -> None:
    if not selectors.may_see_registrations(user):
        raise PermissionDenied("death registrations")


def _registration(user: Any, pk: int) -> DeathRegistration:
    _require_registrations(user)
    try:
        return selectors.registration_get(user=user, pk=pk)
    except DeathRegistration.DoesNotExist:
        raise Http404 from None


def _show(form: Any, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


@requires(Action.VIEW_REGISTRY)
@require_GET
def death_list(request: StaffRequest) -> HttpResponse:
    _require_registrations(request.user)
    form = DeathFilterForm(request.GET or None, townships=access.visible_townships(request.user))
    status, township = "", None
    if form.is_valid():
        status, township = form.cleaned_data["status"], form.cleaned_data["township"]
    registrations = selectors.registration_list(
        user=request.user, status=status, township_id=township.pk if township else None
    )
    page = Paginator(registrations, 50).get_page(request.GET.get("page"))
    return render(request, "benefits/death_list.html", {"form": form, "page": page})


def _record(
    request: StaffRequest,
    *,
    retiree: Retiree,
    initial: dict[str, Any],
    source: dict[str, Any],
    context: dict[str, Any],
) -> HttpResponse:
    form = DeathRecordForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.death_registration_record(
                by=request.user, **source, **form.service_arguments()
            )
        except DomainError as error:
            _show(form, error)
        else:
            messages.success(
                request, _("死亡登记已提交(编号 %(pk)d),等待他人复核确认。") % {"pk": registration.pk}
            )
            return redirect("death-detail", pk=registration.pk)
    if form.errors and request.FILES:
        # Browsers cannot refill a file input: say so rather than let it look kept.
        messages.warning(request, _("页面有错误,请重新选择扫描件后再提交。"))
    context = {
        **context,
        "retiree": retiree,
        "form": form,
        "open_registration": selectors.open_registration_of(retiree=retiree),
    }
    return render(request, "benefits/death_record.html", context, status=400 if form.errors else 200)


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def death_record(request: StaffRequest, pk: int) -> HttpResponse:
    """A death reported by the family at the counter (from the record page's "登记死亡")."""
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    return _record(request, retiree=retiree, initial={}, source={"retiree": retiree}, context={})


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def death_record_report(request: StaffRequest, pk: int) -> HttpResponse:
    """A township report completed by the clerk with the documents."""
    report = _registration(request.user, pk)
    if report.status != Status.REPORTED:
        messages.info(request, _("该报告已登记。"))
        return redirect("death-detail", pk=report.pk)
    initial = {
        "died_on": report.died_on,
        "reporter_name": report.reporter_name,
        "reporter_relation": report.reporter_relation,
        "reporter_phone": report.reporter_phone,
        "note": report.note,
    }
    return _record(
        request,
        retiree=report.retiree,
        initial=initial,
        source={"report": report},
        context={"report": report},
    )


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def death_record_match(request: StaffRequest, pk: int) -> HttpResponse:
    """A death found in a deaths list (certification's deaths review), the date prefilled from the list."""
    match = get_object_or_404(
        DeathMatch.objects.select_related("retiree"),
        pk=pk,
        retiree__in=access.retirees_visible_to(request.user),
    )
    initial = {
        "died_on": match.reported_died_on,
        "note": _("死亡名单比对:%(name)s") % {"name": match.reported_name},
    }
    return _record(
        request,
        retiree=match.retiree,
        initial=initial,
        source={"death_match": match},
        context={"match": match},
    )


def _detail_context(request: StaffRequest, registration: DeathRegistration) -> dict[str, Any]:
    user = request.user
    preview = None
    if registration.status == Status.PENDING:
        preview = services.death_registration_preview(registration=registration)
    recovery = registration.recovery
    claim = selectors.claim_of(registration)
    return {
        "registration": registration,
        "retiree": registration.retiree,
        "preview": preview,
        "figures": services.DeathFigures.of(preview) if preview else None,
        "settlement": registration.settlement or {},
        "recovery": recovery,
        "recovery_balance": recovery_balance(recovery=recovery) if recovery else None,
        "claim": claim,
        "documents": [
            (
                field,
                getattr(DeathRegistration._meta.get_field(field), "verbose_name", field),
                getattr(registration, field),
            )
            for field in services.deaths.DOCUMENT_FIELDS
        ],
        "may_decide": registration.status == Status.PENDING
        and access.can(user, Action.APPROVE_CHANGES)
        and registration.recorded_by_id != user.pk,
        "is_recorder": registration.recorded_by_id == user.pk,
        "may_record": registration.status == Status.REPORTED and access.can(user, Action.EDIT_REGISTRY),
        "may_correct": registration.status == Status.CONFIRMED and access.can(user, Action.APPROVE_CHANGES),
        "reason_form": ReasonForm(),
    }


@requires(Action.VIEW_REGISTRY)
@require_GET
def death_detail(request: StaffRequest, pk: int) -> HttpResponse:
    registration = _registration(request.user, pk)
    return render(request, "benefits/death_detail.html", _detail_context(request, registration))


def _decided(request: StaffRequest, registration: DeathRegistration, error: DomainError) -> HttpResponse:
    context = _detail_context(request, registration)
    context["error"] = error.message
    return render(request, "benefits/death_detail.html", context, status=400)


@requires(Action.APPROVE_CHANGES)
@require_POST
def death_confirm(request: StaffRequest, pk: int) -> HttpResponse:
    registration = _registration(request.user, pk)
    form = ConfirmForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("请在确认对话框中核对死亡后多发的月份和金额后再确认。"))
        months = form.cleaned_data["recovered_months"]
        seen = services.DeathFigures(
            recovered_months=tuple(month for month in months.split(",") if month),
            recovered_total=Decimal(form.cleaned_data["recovered_total"]).quantize(Decimal("0.01")),
        )
        services.death_registration_confirm(registration=registration, by=request.user, seen=seen)
    except DomainError as error:
        return _decided(request, registration, error)
    messages.success(request, _("已确认死亡:状态已改为“死亡”,死亡后多发已登记追回。"))
    return redirect("death-detail", pk=registration.pk)


@requires(Action.APPROVE_CHANGES)
@require_POST
def death_reject(request: StaffRequest, pk: int) -> HttpResponse:
    registration = _registration(request.user, pk)
    try:
        services.death_registration_reject(
            registration=registration, reason=request.POST.get("reason", ""), by=request.user
        )
    except DomainError as error:
        return _decided(request, registration, error)
    messages.success(request, _("已退回该死亡登记。"))
    return redirect("death-detail", pk=registration.pk)


@requires(Action.APPROVE_CHANGES)
@require_POST
def death_correct(request: StaffRequest, pk: int) -> HttpResponse:
    registration = _registration(request.user, pk)
    try:
        services.death_registration_correct(
            registration=registration, reason=request.POST.get("reason", ""), by=request.user
        )
    except DomainError as error:
        return _decided(request, registration, error)
    messages.success(request, _("已更正误报死亡:人员恢复正常发放,追回项已撤销,应发月份已转入补发。"))
    return redirect("death-detail", pk=registration.pk)


@requires(Action.VIEW_REGISTRY)
@require_GET
def death_document(request: StaffRequest, pk: int, field: str) -> FileResponse:
    """A scan, to the same people who may open the registration; never a public media URL."""
    registration = _registration(request.user, pk)
    if field not in services.deaths.DOCUMENT_FIELDS:
        raise Http404
    document = getattr(registration, field)
    if not document:
        raise Http404
    try:
        handle = document.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = (document.name or "").rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@requires(Action.CERTIFY)
@require_http_methods(["GET", "POST"])
def death_report(request: StaffRequest, pk: int) -> HttpResponse:
    """A township officer reports the death of a retiree of their township (报告死亡)."""
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    form = DeathReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.death_report(retiree=retiree, by=request.user, **form.service_arguments())
        except DomainError as error:
            _show(form, error)
        else:
            messages.success(
                request, _("已报告 %(name)s 死亡,等待县社保局登记确认。") % {"name": retiree.name}
            )
            return redirect("death-my-reports")
    context = {
        "retiree": retiree,
        "form": form,
        "open_registration": selectors.open_registration_of(retiree=retiree),
    }
    return render(request, "benefits/death_report.html", context, status=400 if form.errors else 200)


@requires(Action.CERTIFY)
@require_GET
def death_my_reports(request: StaffRequest) -> HttpResponse:
    """我报告的死亡: what this officer reported and how far it has got (registration, claim)."""
    page = Paginator(selectors.reports_of(user=request.user), 50).get_page(request.GET.get("page"))
    return render(request, "benefits/death_my_reports.html", {"page": page})


@requires(Action.VIEW_REGISTRY)
@require_GET
def death_retiree_tab(request: StaffRequest, pk: int) -> HttpResponse:
    """The record page's death tab (registry.record_tabs): the registrations, the date of death, the
    settlement, the recovery with its balance and the claim."""
    _require_registrations(request.user)
    retiree = access.get_visible_retiree_or_404(request.user, pk)
    rows = []
    for registration in selectors.registrations_of(retiree=retiree):
        recovery = registration.recovery
        rows.append(
            {
                "registration": registration,
                "settlement": registration.settlement or {},
                "recovery": recovery,
                "recovery_balance": recovery_balance(recovery=recovery) if recovery else None,
                "claim": selectors.claim_of(registration),
            }
        )
    return render(request, "benefits/_death_tab.html", {"retiree": retiree, "rows": rows})
