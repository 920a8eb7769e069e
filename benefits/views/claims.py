"""The family's claim pages (丧葬抚恤待遇, docs/claims.md): the list, a claim with its breakdown, the prepare
and edit forms, and the moves (recompute, submit, approve, reject, cancel), plus the approval form PDF.
Views parse, call benefits.services.claims and redirect; a refusal renders the page again with the message
(400), nothing written. Township officers see the list's progress column only (status, masked)."""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.id_numbers import mask_account_number, mask_resident_id
from registry.views.common import StaffRequest, requires

from ..forms_claims import ClaimApproveForm, ClaimForm, ReasonForm
from ..models import DeathRegistration, SurvivorClaim
from ..pdfs.claim_form import claim_form_pdf
from ..selectors import claims as selectors
from ..services import claims as services

PAGE_SIZE = 50
Status = SurvivorClaim.Status


def _claim_or_404(request: StaffRequest, pk: int) -> SurvivorClaim:
    try:
        return selectors.claim_get(user=request.user, pk=pk)
    except SurvivorClaim.DoesNotExist:
        raise Http404 from None


def _details_or_403(request: StaffRequest) -> None:
    """Amounts, the applicant and the months: bureau staff only; a township officer follows the progress on
    the list."""
    if not selectors.may_see_claim_details(request.user):
        raise PermissionDenied("claim details")


def _registration_or_404(request: StaffRequest, pk: int) -> DeathRegistration:
    registration = (
        DeathRegistration.objects.select_related("retiree__community__parent", "recovery")
        .filter(pk=pk, retiree__in=access.retirees_visible_to(request.user))
        .first()
    )
    if registration is None:
        raise Http404
    return registration


@requires(Action.VIEW_REGISTRY)
@require_GET
def claim_list(request: StaffRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *Status.values):
        status = None
    township = request.GET.get("township") or ""
    township_id = int(township) if township.isdigit() else None
    claims = selectors.claim_list(user=request.user, status=status, township_id=township_id)
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "benefits/claims/list.html",
        {
            "page": page,
            "rows": [
                {"claim": claim, "id_masked": mask_resident_id(claim.registration.retiree.id_number)}
                for claim in page.object_list
            ],
            "statuses": Status.choices,
            "status": status or "",
            "townships": access.visible_townships(request.user).order_by("code"),
            "township": township_id,
            "details": selectors.may_see_claim_details(request.user),
        },
    )


def _detail(
    request: StaffRequest, claim: SurvivorClaim, *, status: int = 200, error: str = ""
) -> HttpResponse:
    user = request.user
    own = claim.prepared_by_id == user.pk
    preparer = access.can(user, Action.EDIT_REGISTRY)
    reviewer = access.can(user, Action.APPROVE_PAYMENTS)
    figures = services.ClaimFigures.of(claim)
    return render(
        request,
        "benefits/claims/detail.html",
        {
            "claim": claim,
            "registration": claim.registration,
            "retiree": claim.registration.retiree,
            "id_masked": mask_resident_id(claim.registration.retiree.id_number),
            "applicant_id_masked": mask_resident_id(claim.applicant_id_number),
            "account_masked": mask_account_number(claim.account_number),
            "breakdown": selectors.claim_breakdown(claim=claim),
            "transitions": selectors.claim_transitions(claim=claim),
            "figures": figures,
            "approve_form": ClaimApproveForm(initial=figures.__dict__),
            "reason_form": ReasonForm(),
            "may_edit": preparer and claim.status == Status.DRAFT,
            "may_cancel": preparer and claim.status in (Status.DRAFT, Status.SUBMITTED),
            "may_decide": reviewer and claim.status == Status.SUBMITTED and not own,
            "awaiting_other": reviewer and claim.status == Status.SUBMITTED and own,
            "payment_failed": claim.payment is not None
            and claim.status == Status.APPROVED
            and claim.payment.payment_status == claim.payment.PaymentStatus.FAILED,
            "action_error": error,
        },
        status=status,
    )


@requires(Action.VIEW_REGISTRY)
@require_GET
def claim_detail(request: StaffRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    _details_or_403(request)
    return _detail(request, claim)


def _form_page(
    request: StaffRequest,
    *,
    form: ClaimForm,
    registration: DeathRegistration,
    claim: SurvivorClaim | None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    return render(
        request,
        "benefits/claims/form.html",
        {
            "form": form,
            "registration": registration,
            "retiree": registration.retiree,
            "id_masked": mask_resident_id(registration.retiree.id_number),
            "claim": claim,
            "error": error,
        },
        status=status,
    )


def _refused(form: ClaimForm, error: DomainError) -> str:
    if error.field and error.field in form.fields:
        form.add_error(error.field, error.message)
    return error.message


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def claim_prepare(request: StaffRequest, pk: int) -> HttpResponseBase:
    registration = _registration_or_404(request, pk)
    existing = selectors.claim_for_registration(registration_id=registration.pk)
    if existing is not None:
        return redirect("benefit-claim-detail", existing.pk)
    if request.method == "GET":
        return _form_page(request, form=ClaimForm(), registration=registration, claim=None)
    form = ClaimForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, form=form, registration=registration, claim=None, status=400)
    try:
        claim = services.claim_prepare(
            registration=registration,
            applicant=form.applicant(),
            applicant_id_copy=form.cleaned_data.get("applicant_id_copy"),
            relation_proof=form.cleaned_data.get("relation_proof"),
            by=request.user,
        )
    except DomainError as error:
        message = _refused(form, error)
        return _form_page(
            request, form=form, registration=registration, claim=None, status=400, error=message
        )
    messages.success(request, _("已办理丧葬抚恤待遇(草稿),请核对金额后提交审批。"))
    return redirect("benefit-claim-detail", claim.pk)


@requires(Action.EDIT_REGISTRY)
@require_http_methods(["GET", "POST"])
def claim_edit(request: StaffRequest, pk: int) -> HttpResponseBase:
    claim = _claim_or_404(request, pk)
    if claim.status != Status.DRAFT:
        messages.error(request, _("只有草稿状态的丧葬抚恤待遇可以修改。"))
        return redirect("benefit-claim-detail", claim.pk)
    registration = claim.registration
    if request.method == "GET":
        form = ClaimForm(initial=ClaimForm.initial_of(claim))
        return _form_page(request, form=form, registration=registration, claim=claim)
    form = ClaimForm(request.POST, request.FILES)
    if not form.is_valid():
        return _form_page(request, form=form, registration=registration, claim=claim, status=400)
    try:
        services.claim_update(
            claim=claim,
            applicant=form.applicant(),
            applicant_id_copy=form.cleaned_data.get("applicant_id_copy"),
            relation_proof=form.cleaned_data.get("relation_proof"),
            by=request.user,
        )
    except DomainError as error:
        message = _refused(form, error)
        return _form_page(
            request, form=form, registration=registration, claim=claim, status=400, error=message
        )
    messages.success(request, _("已保存并重新计算。"))
    return redirect("benefit-claim-detail", claim.pk)


def _move(request: StaffRequest, pk: int, action: Action, do: Any, done: str) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    access.require(request.user, action)
    try:
        do(claim)
    except DomainError as error:
        return _detail(request, _claim_or_404(request, pk), status=400, error=error.message)
    messages.success(request, done)
    return redirect("benefit-claim-detail", claim.pk)


@requires(Action.VIEW_REGISTRY)
@require_POST
def claim_recompute(request: StaffRequest, pk: int) -> HttpResponse:
    return _move(
        request,
        pk,
        Action.EDIT_REGISTRY,
        lambda claim: services.claim_recompute(claim=claim, by=request.user),
        _("已按当前参数和发放情况重新计算。"),
    )


@requires(Action.VIEW_REGISTRY)
@require_POST
def claim_submit(request: StaffRequest, pk: int) -> HttpResponse:
    return _move(
        request,
        pk,
        Action.EDIT_REGISTRY,
        lambda claim: services.claim_submit(claim=claim, by=request.user),
        _("已提交审批。"),
    )


@requires(Action.VIEW_REGISTRY)
@require_POST
def claim_approve(request: StaffRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    form = ClaimApproveForm(request.POST)
    if not form.is_valid():
        return _detail(request, claim, status=400, error=_("审批页面缺少金额信息,请刷新页面后再审批。"))
    return _move(
        request,
        pk,
        Action.APPROVE_PAYMENTS,
        lambda locked: services.claim_approve(claim=locked, by=request.user, seen=form.figures()),
        _("已审批,实付金额已列入一次性支付批次。"),
    )


def _with_reason(request: StaffRequest, pk: int, action: Action, do: Any, done: str) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    access.require(request.user, action)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _detail(request, claim, status=400, error=_("请填写原因(不超过 300 个字)。"))
    reason = form.cleaned_data["reason"]
    return _move(request, pk, action, lambda locked: do(locked, reason), done)


@requires(Action.VIEW_REGISTRY)
@require_POST
def claim_reject(request: StaffRequest, pk: int) -> HttpResponse:
    return _with_reason(
        request,
        pk,
        Action.APPROVE_PAYMENTS,
        lambda claim, reason: services.claim_reject(claim=claim, by=request.user, reason=reason),
        _("已退回经办人。"),
    )


@requires(Action.VIEW_REGISTRY)
@require_POST
def claim_cancel(request: StaffRequest, pk: int) -> HttpResponse:
    return _with_reason(
        request,
        pk,
        Action.EDIT_REGISTRY,
        lambda claim, reason: services.claim_cancel(claim=claim, by=request.user, reason=reason),
        _("已撤销。"),
    )


@requires(Action.VIEW_REGISTRY)
@require_GET
def claim_pdf(request: StaffRequest, pk: int) -> HttpResponse:
    claim = _claim_or_404(request, pk)
    _details_or_403(request)
    response = HttpResponse(claim_form_pdf(claim=claim), content_type="application/pdf")
    name = _("丧葬抚恤费审批表-%(name)s.pdf") % {"name": claim.registration.retiree.name}
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{escape_uri_path(name)}"
    return response


_DOCUMENTS = {"applicant-id": "applicant_id_copy", "relation-proof": "relation_proof"}


@requires(Action.VIEW_REGISTRY)
@require_GET
def claim_document(request: StaffRequest, pk: int, document: str) -> FileResponse:
    """A scan of the claim (the applicant's ID copy, the relation proof) for the clerk and the approver who
    check it; never a public media URL."""
    claim = _claim_or_404(request, pk)
    _details_or_403(request)
    field = _DOCUMENTS.get(document)
    stored = getattr(claim, field) if field else None
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = (stored.name or "").rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type, as_attachment=False, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
