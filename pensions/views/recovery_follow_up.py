"""Following up a recovery on its page (docs/recoveries.md): the receipt of a refund, a claw-back request to a
bank and the bank's answer, the letter and account list for the bank, the referral for legal action and its
letter; and the open recoveries by age (/pensions/recoveries/aging/) with their xlsx. Views parse, call
pensions.services (or the document issuer) and redirect; a refusal renders the recovery again with the message
(400), nothing written."""

from __future__ import annotations

import tempfile
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError, SensitiveExportError
from registry.formats import yuan
from registry.models import Bank, Recovery
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
from ..export_kinds import RECOVERY_AGING, recovery_aging_parameters
from ..models import RecoveryClawback, RecoveryDocumentPrint, RecoveryLine, RecoveryReferral, RecoveryRefund
from ..pdfs.recovery_documents import IssuedDocument, recovery_document_issue
from ..views.plans import plan_viewer
from .recoveries import _detail, _form_message, _recovery_or_404

Kind = RecoveryDocumentPrint.Kind


# Forms ------------------------------------------------------------------------------------------------------


def _styled(form: forms.Form) -> None:
    for bound in form.fields.values():
        css = (
            "form-select form-select-sm"
            if isinstance(bound.widget, forms.Select)
            else "form-control form-control-sm"
        )
        bound.widget.attrs.setdefault("class", css)


class ClawbackRequestForm(forms.Form):
    bank = forms.ModelChoiceField(label=gettext_lazy("银行"), queryset=Bank.objects.none(), empty_label=None)

    def __init__(self, *args: Any, recovery: Recovery, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"clawback-{recovery.pk}-%s"
        super().__init__(*args, **kwargs)
        banks = RecoveryLine.objects.filter(recovery=recovery).values("line__bank_id")
        self.fields["bank"].queryset = Bank.objects.filter(pk__in=banks).order_by("code")  # type: ignore[attr-defined]
        _styled(self)


class ClawbackResultForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("办理结果"),
        choices=[("returned", gettext_lazy("银行已退回")), ("refused", gettext_lazy("银行未能退回"))],
    )
    returned_amount = forms.DecimalField(
        label=gettext_lazy("退回金额(元)"), max_digits=12, decimal_places=2, required=False
    )
    returned_on = forms.DateField(
        label=gettext_lazy("退回日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reference = forms.CharField(label=gettext_lazy("退回凭证号"), max_length=64, required=False)
    note = forms.CharField(label=gettext_lazy("说明(未能退回时必填)"), max_length=200, required=False)

    def __init__(self, *args: Any, clawback_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"clawback-result-{clawback_id}-%s"
        super().__init__(*args, **kwargs)
        _styled(self)


class ReferralForm(forms.Form):
    agency = forms.CharField(label=gettext_lazy("移送机关"), max_length=100)
    referred_on = forms.DateField(
        label=gettext_lazy("移送日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    case_number = forms.CharField(label=gettext_lazy("案号"), max_length=60, required=False)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, recovery_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"referral-{recovery_id}-%s"
        super().__init__(*args, **kwargs)
        _styled(self)


class ReferralUpdateForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), choices=RecoveryReferral.Status.choices)
    case_number = forms.CharField(label=gettext_lazy("案号"), max_length=60, required=False)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=300, required=False)

    def __init__(self, *args: Any, referral_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"referral-update-{referral_id}-%s"
        super().__init__(*args, **kwargs)
        _styled(self)


def follow_up_context(user: Any, recovery: Any, history: Any) -> dict[str, Any]:
    """What the recovery page adds for the follow-up: the forms and who may use them."""
    preparer = access.can(user, Action.PREPARE_PAYMENTS)
    open_with_balance = recovery.status == Recovery.Status.OPEN and recovery.balance > 0
    after_death = recovery.reason == Recovery.Reason.AFTER_DEATH
    referral = history.referral
    return {
        "may_request_clawback": preparer and open_with_balance and after_death and bool(history.months),
        "may_record_clawback_result": preparer,
        "may_refer": preparer and open_with_balance and referral is None,
        "may_update_referral": preparer
        and referral is not None
        and referral.status != RecoveryReferral.Status.CLOSED,
        "clawback_form": ClawbackRequestForm(recovery=recovery),
        "clawback_result_forms": {
            item.pk: ClawbackResultForm(clawback_id=item.pk, initial={"returned_on": timezone.localdate()})
            for item in history.clawbacks
            if item.status == RecoveryClawback.Status.REQUESTED
        },
        "referral_form": ReferralForm(recovery_id=recovery.pk, initial={"referred_on": timezone.localdate()}),
        "referral_update_form": ReferralUpdateForm(
            referral_id=referral.pk,
            initial={"status": referral.status, "case_number": referral.case_number, "note": referral.note},
        )
        if referral is not None
        else None,
    }


# Scoped lookups ---------------------------------------------------------------------------------------------


def _refund_or_404(user: Any, pk: int) -> RecoveryRefund:
    refund = RecoveryRefund.objects.select_related("recovery__retiree", "by").filter(pk=pk).first()
    if refund is None:
        raise Http404
    _recovery_or_404(user, refund.recovery_id)
    return refund


def _clawback_or_404(user: Any, pk: int) -> RecoveryClawback:
    clawback = (
        RecoveryClawback.objects.select_related("recovery__retiree", "bank", "requested_by")
        .filter(pk=pk)
        .first()
    )
    if clawback is None:
        raise Http404
    _recovery_or_404(user, clawback.recovery_id)
    return clawback


def _referral_or_404(user: Any, pk: int) -> RecoveryReferral:
    referral = RecoveryReferral.objects.select_related("recovery__retiree", "by").filter(pk=pk).first()
    if referral is None:
        raise Http404
    _recovery_or_404(user, referral.recovery_id)
    return referral


def _file(document: IssuedDocument, *, inline: bool) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment=not inline, filename=document.filename) or "inline"
    )
    return response


def _numbered_file(request: StaffRequest, kind: str, *, inline: bool, **subject: Any) -> HttpResponse:
    """A document that shows account or ID numbers: masked, or whole for a stated purpose (export_numbers
    checks and records it; a bad purpose is refused before anything is issued). `subject`: the claw-back or
    referral it is about, already scoped to the user."""
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    return _file(
        recovery_document_issue(kind=kind, numbers=numbers, by=request.user, **subject), inline=inline
    )


# Documents --------------------------------------------------------------------------------------------------


@plan_viewer
@require_GET
def refund_receipt(request: StaffRequest, pk: int) -> HttpResponse:
    refund = _refund_or_404(request.user, pk)
    document = recovery_document_issue(kind=Kind.RECEIPT, refund=refund, by=request.user)
    return _file(document, inline=True)


@plan_viewer
@require_GET
def clawback_letter(request: StaffRequest, pk: int) -> HttpResponse:
    return _numbered_file(
        request, Kind.CLAWBACK_LETTER, inline=True, clawback=_clawback_or_404(request.user, pk)
    )


@plan_viewer
@require_GET
def clawback_list(request: StaffRequest, pk: int) -> HttpResponse:
    return _numbered_file(
        request, Kind.CLAWBACK_LIST, inline=False, clawback=_clawback_or_404(request.user, pk)
    )


@plan_viewer
@require_GET
def referral_letter(request: StaffRequest, pk: int) -> HttpResponse:
    return _numbered_file(
        request, Kind.REFERRAL_LETTER, inline=True, referral=_referral_or_404(request.user, pk)
    )


# Claw-backs and referral ------------------------------------------------------------------------------------


@plan_viewer
@require_POST
def clawback_request(request: StaffRequest, pk: int) -> HttpResponse:
    recovery = _recovery_or_404(request.user, pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = ClawbackRequestForm(request.POST, recovery=recovery)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form))
    try:
        clawback = services.recovery_clawback_request(
            recovery=recovery, bank=form.cleaned_data["bank"], by=request.user
        )
    except DomainError as error:
        return _detail(request, recovery, status=400, error=error.message)
    messages.success(
        request,
        _("已生成给%(bank)s的退回请求 %(amount)s,请打印退回函。")
        % {"bank": clawback.bank.name, "amount": yuan(clawback.requested_amount)},
    )
    return redirect("payout-recovery-detail", pk=recovery.pk)


@plan_viewer
@require_POST
def clawback_result(request: StaffRequest, pk: int) -> HttpResponse:
    clawback = _clawback_or_404(request.user, pk)
    recovery = _recovery_or_404(request.user, clawback.recovery_id)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = ClawbackResultForm(request.POST, clawback_id=clawback.pk)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form))
    data = form.cleaned_data
    returned = data["outcome"] == "returned"
    if returned and data["returned_amount"] is None:
        return _detail(request, recovery, status=400, error=_("请填写银行退回的金额。"))
    try:
        services.recovery_clawback_result(
            clawback=clawback,
            returned_amount=data["returned_amount"] if returned else None,
            returned_on=data["returned_on"] if returned else None,
            reference=data["reference"] if returned else "",
            note=data["note"],
            by=request.user,
        )
    except DomainError as error:
        return _detail(request, recovery, status=400, error=error.message)
    messages.success(request, _("已登记银行的办理结果。"))
    return redirect("payout-recovery-detail", pk=recovery.pk)


@plan_viewer
@require_POST
def referral_create(request: StaffRequest, pk: int) -> HttpResponse:
    recovery = _recovery_or_404(request.user, pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = ReferralForm(request.POST, recovery_id=recovery.pk)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form))
    try:
        services.recovery_referral_create(recovery=recovery, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _detail(request, recovery, status=400, error=error.message)
    messages.success(request, _("已登记移送司法。"))
    return redirect("payout-recovery-detail", pk=recovery.pk)


@plan_viewer
@require_POST
def referral_update(request: StaffRequest, pk: int) -> HttpResponse:
    referral = _referral_or_404(request.user, pk)
    recovery = _recovery_or_404(request.user, referral.recovery_id)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = ReferralUpdateForm(request.POST, referral_id=referral.pk)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form))
    try:
        services.recovery_referral_update(referral=referral, by=request.user, **form.cleaned_data)
    except DomainError as error:
        return _detail(request, recovery, status=400, error=error.message)
    messages.success(request, _("已更新移送情况。"))
    return redirect("payout-recovery-detail", pk=recovery.pk)


# Aging ------------------------------------------------------------------------------------------------------


class AgingFilterForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("原因"),
        required=False,
        choices=[("", gettext_lazy("全部原因")), *Recovery.Reason.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
    )


def _aging_reason(request: StaffRequest) -> tuple[AgingFilterForm, str | None]:
    form = AgingFilterForm(request.GET or None)
    reason = form.cleaned_data.get("reason") if form.is_bound and form.is_valid() else None
    return form, reason or None


@plan_viewer
@require_GET
def recovery_aging(request: StaffRequest) -> HttpResponse:
    form, reason = _aging_reason(request)
    report = selectors.recovery_aging(user=request.user, reason=reason)
    return render(
        request,
        "pensions/recoveries/aging.html",
        {"filters": form, "report": report, "query": urlencode({"reason": reason} if reason else {})},
    )


@plan_viewer
@require_GET
def recovery_aging_export(request: StaffRequest) -> HttpResponse:
    _form, reason = _aging_reason(request)
    try:
        numbers = export_numbers(request)
    except SensitiveExportError as error:
        return export_refused(request, error)
    today = timezone.localdate()
    if longer_than_inline(selectors.open_recoveries_aged(user=request.user, reason=reason, today=today)):
        return export_in_background(
            request,
            kind=RECOVERY_AGING,
            parameters=recovery_aging_parameters(reason=reason, today=today),
            message=_("明细较多,正在后台生成,完成后可在“我的导出”下载。"),
            numbers=numbers,
        )
    target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    count = selectors.recovery_aging_xlsx(
        user=request.user, target=target, reason=reason, today=today, numbers=numbers
    )
    sensitive_export_record(
        by=request.user,
        numbers=numbers,
        export=RECOVERY_AGING,
        label=_("追回账龄 %(day)s") % {"day": today.isoformat()},
        person_count=count,
        detail={"reason": reason or ""},
    )
    target.seek(0)
    filename = _("追回账龄-%(day)s.xlsx") % {"day": today.isoformat()}
    response = FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    return cast(HttpResponse, response)
