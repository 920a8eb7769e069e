"""Recoveries (追回) with their balance: the list with filters, one recovery with its history, a refund
recorded by a clerk, and a write-off asked for by a clerk (申请核销) and approved or rejected by a reviewer
who is neither the requester nor whoever recorded the recovery. Views parse, call pensions.services and
redirect; a refusal renders the recovery again with the message (400), nothing written.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from registry import access
from registry.access import Action
from registry.errors import DomainError
from registry.formats import yuan
from registry.id_numbers import mask_resident_id
from registry.models import Recovery, Staff
from registry.views.common import StaffRequest

from .. import selectors, services
from ..models import WriteOffRequest
from ..views.plans import plan_viewer

PAGE_SIZE = 50


class RecoveryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部状态")), *Recovery.Status.choices],
    )
    reason = forms.ChoiceField(
        label=gettext_lazy("原因"),
        required=False,
        choices=[("", gettext_lazy("全部原因")), *Recovery.Reason.choices],
    )
    write_off = forms.ChoiceField(
        label=gettext_lazy("核销申请"),
        required=False,
        choices=[("", gettext_lazy("全部")), ("pending", gettext_lazy("核销待审批"))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            bound.widget.attrs["class"] = "form-select form-select-sm"


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("退款金额(元)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reference = forms.CharField(label=gettext_lazy("收款凭证号"), max_length=64)
    paid_on = forms.DateField(
        label=gettext_lazy("退款日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    payer = forms.CharField(label=gettext_lazy("缴款人(本人退回可不填)"), max_length=50, required=False)

    def __init__(self, *args: Any, recovery_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"refund-{recovery_id}-%s"
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            bound.widget.attrs.setdefault("class", "form-control form-control-sm")


class WriteOffRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("核销原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, recovery_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"write-off-{recovery_id}-%s"
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["class"] = "form-control form-control-sm"


class WriteOffApproveForm(forms.Form):
    # The balance the dialog showed: a balance changed since is refused (services.recovery_write_off).
    expected_balance = forms.DecimalField(max_digits=12, decimal_places=2, widget=forms.HiddenInput)

    def __init__(self, *args: Any, recovery_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"write-off-approve-{recovery_id}-%s"
        super().__init__(*args, **kwargs)


class WriteOffRejectForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("驳回理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, recovery_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"write-off-reject-{recovery_id}-%s"
        super().__init__(*args, **kwargs)
        self.fields["note"].widget.attrs["class"] = "form-control form-control-sm"


def _recovery_or_404(user: Staff, pk: int) -> Recovery:
    try:
        return selectors.recovery_get(user=user, pk=pk)
    except Recovery.DoesNotExist:
        raise Http404 from None


def _actions(user: Staff, recovery: Any, pending: WriteOffRequest | None) -> dict[str, Any]:
    """What `user` may do with `recovery` (annotated with its balance) on this page. `pending` is its
    write-off request waiting for approval, if any (the same four-eyes rule as services.write_offs)."""
    open_with_balance = recovery.status == Recovery.Status.OPEN and recovery.balance > 0
    reviewer = access.can(user, Action.APPROVE_PAYMENTS)
    own = pending is not None and user.pk in (pending.requested_by_id, pending.recovery_created_by_id)
    return {
        "may_refund": open_with_balance and access.can(user, Action.PREPARE_PAYMENTS),
        "may_request_write_off": open_with_balance
        and pending is None
        and access.can(user, Action.PREPARE_PAYMENTS),
        "may_decide_write_off": pending is not None and reviewer and not own,
        # A reviewer who asked for it or recorded the recovery: four eyes, someone else decides.
        "awaiting_other": pending is not None and reviewer and own,
    }


def _row(
    user: Staff, recovery: Any, pending: WriteOffRequest | None = None, **forms_: forms.Form | None
) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "recovery": recovery,
        "pending": pending,
        "id_number_masked": mask_resident_id(recovery.retiree.id_number),
        "refund_form": forms_.get("refund_form")
        or RefundForm(recovery_id=recovery.pk, initial={"paid_on": today}),
        "write_off_form": forms_.get("write_off_form") or WriteOffRequestForm(recovery_id=recovery.pk),
        "approve_form": forms_.get("approve_form")
        or WriteOffApproveForm(recovery_id=recovery.pk, initial={"expected_balance": recovery.balance}),
        "reject_form": forms_.get("reject_form") or WriteOffRejectForm(recovery_id=recovery.pk),
        **_actions(user, recovery, pending),
    }


@plan_viewer
@require_GET
def recovery_list(request: StaffRequest) -> HttpResponse:
    user = request.user
    data = request.GET.copy() if request.GET else {"status": Recovery.Status.OPEN}
    filters = RecoveryFilterForm(data)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    recoveries = selectors.recovery_list(
        user=user,
        status=cleaned.get("status") or None,
        reason=cleaned.get("reason") or None,
        write_off_pending=cleaned.get("write_off") == "pending",
    )
    page = Paginator(recoveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "pensions/recoveries/list.html",
        {
            "filters": filters,
            "page": page,
            # The list offers refunds only; a write-off is asked for and decided on the recovery's page.
            "rows": [_row(user, recovery) for recovery in page.object_list],
            "query": urlencode({key: value for key, value in filters.data.items() if key != "page"}),
        },
    )


def _detail(
    request: StaffRequest, recovery: Recovery, *, status: int = 200, error: str = "", **forms_: forms.Form
) -> HttpResponse:
    # Imported here: the follow-up views import this module for _detail.
    from .recovery_follow_up import follow_up_context

    history = selectors.recovery_history(recovery=recovery)
    return render(
        request,
        "pensions/recoveries/detail.html",
        {
            "row": _row(request.user, recovery, history.pending_request, **forms_),
            "history": history,
            "follow_up": follow_up_context(request.user, recovery, history),
            "action_error": error,
        },
        status=status,
    )


@plan_viewer
@require_GET
def recovery_detail(request: StaffRequest, pk: int) -> HttpResponse:
    return _detail(request, _recovery_or_404(request.user, pk))


def _form_message(form: forms.Form) -> str:
    messages_ = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        messages_ += [f"{label}:{error}" if label else str(error) for error in errors]
    return " ".join(messages_)


@plan_viewer
@require_POST
def recovery_refund(request: StaffRequest, pk: int) -> HttpResponse:
    recovery = _recovery_or_404(request.user, pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = RefundForm(request.POST, recovery_id=recovery.pk)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form), refund_form=form)
    try:
        refund = services.recovery_refund_record(recovery=recovery, by=request.user, **form.cleaned_data)
    except DomainError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
        return _detail(request, recovery, status=400, error=error.message, refund_form=form)
    messages.success(
        request,
        _("已登记退款 %(amount)s(凭证号 %(reference)s)。")
        % {"amount": yuan(refund.amount), "reference": refund.reference},
    )
    return redirect("payout-recovery-detail", pk=recovery.pk)


@plan_viewer
@require_POST
def recovery_write_off_request(request: StaffRequest, pk: int) -> HttpResponse:
    recovery = _recovery_or_404(request.user, pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = WriteOffRequestForm(request.POST, recovery_id=recovery.pk)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form), write_off_form=form)
    try:
        services.write_off_request(recovery=recovery, reason=form.cleaned_data["reason"], by=request.user)
    except DomainError as error:
        if error.field == "reason":
            form.add_error("reason", error.message)
        return _detail(request, recovery, status=400, error=error.message, write_off_form=form)
    messages.success(request, _("已提交核销申请,等待审核人员审批。"))
    return redirect("payout-recovery-detail", pk=recovery.pk)


def _write_off_request_or_404(user: Staff, pk: int) -> WriteOffRequest:
    try:
        return selectors.write_off_request_get(user=user, pk=pk)
    except WriteOffRequest.DoesNotExist:
        raise Http404 from None


@plan_viewer
@require_POST
def write_off_request_approve(request: StaffRequest, pk: int) -> HttpResponse:
    write_off_request = _write_off_request_or_404(request.user, pk)
    recovery = _recovery_or_404(request.user, write_off_request.recovery_id)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    form = WriteOffApproveForm(request.POST, recovery_id=recovery.pk)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form), approve_form=form)
    try:
        write_off = services.write_off_request_approve(
            request=write_off_request,
            expected_balance=form.cleaned_data["expected_balance"],
            by=request.user,
        )
    except DomainError as error:
        return _detail(request, recovery, status=400, error=error.message)
    messages.success(request, _("已批准核销 %(amount)s。") % {"amount": yuan(write_off.amount)})
    return redirect("payout-recovery-detail", pk=recovery.pk)


@plan_viewer
@require_POST
def write_off_request_reject(request: StaffRequest, pk: int) -> HttpResponse:
    write_off_request = _write_off_request_or_404(request.user, pk)
    recovery = _recovery_or_404(request.user, write_off_request.recovery_id)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    form = WriteOffRejectForm(request.POST, recovery_id=recovery.pk)
    if not form.is_valid():
        return _detail(request, recovery, status=400, error=_form_message(form), reject_form=form)
    try:
        services.write_off_request_reject(
            request=write_off_request, note=form.cleaned_data["note"], by=request.user
        )
    except DomainError as error:
        if error.field == "note":
            form.add_error("note", error.message)
        return _detail(request, recovery, status=400, error=error.message, reject_form=form)
    messages.success(request, _("已驳回核销申请。"))
    return redirect("payout-recovery-detail", pk=recovery.pk)
