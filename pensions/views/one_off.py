"""One-off payment batch pages (一次性支付): the list of batches, and a batch with its payments, totals
by bank and by township, history and actions: submit, approve, reject, funding per bank, bank files (export,
download, return import) and the re-issue of a failed payment. Views parse, call pensions.services and
redirect; a refusal renders the batch page again with the message (400), nothing written.

Every action that moves money is behind a confirmation dialog showing the batch's count and total; submit,
approve and reject carry those figures and the service compares them with the batch under its lock.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
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
from registry.models import Bank, Staff
from registry.views.common import StaffRequest

from .. import services
from ..downloads import bank_file_response, inline_pdf_response
from ..models import BankFile, OneOffBatch, OneOffPayment
from ..one_off_kinds import one_off_kind
from ..pdfs.funding_request import one_off_funding_request_pdf
from ..selectors import one_off as selectors
from .money import (
    FundingForm,
    ReturnFileForm,
    _form_message,
    bank_files_made_message,
    import_posted_return_file,
    record_posted_funding,
    return_file_imported_message,
)
from .plans import plan_viewer

Status = OneOffBatch.Status
Payment = OneOffPayment.PaymentStatus


# Forms ------------------------------------------------------------------------------------------------------


class BatchConfirmForm(forms.Form):
    """The figures the confirmation dialog showed (hidden fields)."""

    payment_count = forms.IntegerField(min_value=0)
    total = forms.DecimalField(max_digits=14, decimal_places=2)

    def figures(self) -> services.BatchFigures | None:
        if not self.is_valid():
            return None
        return services.BatchFigures(
            payment_count=self.cleaned_data["payment_count"], total=self.cleaned_data["total"]
        )


class BatchRejectForm(BatchConfirmForm):
    reason = forms.CharField(
        label=gettext_lazy("退回原因"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )


class ReissueForm(forms.Form):
    bank = forms.ModelChoiceField(
        label=gettext_lazy("银行"),
        queryset=Bank.objects.order_by("code"),
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    account_number = forms.CharField(label=gettext_lazy("更正后的账号"), max_length=32)
    holder_name = forms.CharField(label=gettext_lazy("户名"), max_length=50)

    def __init__(self, *args: Any, payment_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"reissue-{payment_id}-%s"
        super().__init__(*args, **kwargs)
        for name in ("account_number", "holder_name"):
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"


# The page ---------------------------------------------------------------------------------------------------


def _payment_rows(batch: OneOffBatch, reissue_forms: dict[int, ReissueForm]) -> list[dict[str, Any]]:
    rows = []
    for payment in selectors.one_off_batch_payments(batch=batch):
        kind = one_off_kind(payment.kind)
        reissue = getattr(payment, "reissue", None)
        form = None
        if payment.payment_status == Payment.FAILED and reissue is None:
            form = reissue_forms.get(payment.pk) or ReissueForm(
                payment_id=payment.pk,
                initial={
                    "bank": payment.bank_id,
                    "account_number": "",
                    "holder_name": payment.holder_name,
                },
            )
        rows.append(
            {
                "payment": payment,
                "kind_label": kind.label if kind else payment.get_kind_display(),
                "source_url": kind.source_url(payment) if kind else "",
                "reissue": reissue,
                "reissue_form": form,
            }
        )
    return rows


def batch_detail_context(
    user: Staff,
    batch: OneOffBatch,
    *,
    action_error: str = "",
    reject_form: BatchRejectForm | None = None,
    funding_forms: dict[int, FundingForm] | None = None,
    return_forms: dict[int, ReturnFileForm] | None = None,
    reissue_forms: dict[int, ReissueForm] | None = None,
    unencodable: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    may_prepare = access.can(user, Action.PREPARE_PAYMENTS)
    may_review = access.can(user, Action.APPROVE_PAYMENTS)
    status = batch.status
    confirm = {"payment_count": batch.payment_count, "total": batch.total}
    context: dict[str, Any] = {
        "batch": batch,
        "confirm_initial": confirm,
        "totals": selectors.one_off_batch_totals(batch=batch),
        "transitions": selectors.one_off_batch_transitions(batch=batch),
        "may_submit": status == Status.DRAFT and may_prepare and batch.payment_count > 0,
        # The same rule as the service: never the submitter.
        "may_approve": status == Status.SUBMITTED and may_review and batch.submitted_by_id != user.pk,
        "awaiting_other": status == Status.SUBMITTED and batch.submitted_by_id == user.pk,
        "may_fund": status == Status.APPROVED and may_review,
        "may_export": status == Status.FUNDED and may_prepare,
        "may_import": status == Status.EXPORTED and may_prepare,
        "may_download": may_prepare or may_review,
        "may_reissue": may_prepare,
        "reject_form": reject_form or BatchRejectForm(initial=confirm),
        "action_error": action_error,
        "unencodable": unencodable or [],
        "payments": _payment_rows(batch, reissue_forms or {}),
    }
    show_funding = status in (Status.APPROVED, Status.FUNDED, Status.EXPORTED, Status.RECONCILED)
    context["show_funding"] = show_funding
    if show_funding:
        fundings = {funding.bank_id: funding for funding in selectors.one_off_batch_fundings(batch=batch)}
        today = timezone.localdate()
        funding_rows = []
        for row in context["totals"].banks:
            funding = fundings.get(row.key_id)
            form = None
            if context["may_fund"] and funding is None:
                form = (funding_forms or {}).get(row.key_id) or FundingForm(
                    bank_id=row.key_id,
                    initial={"bank": row.key_id, "amount": row.total, "transferred_on": today},
                )
            funding_rows.append({"total": row, "funding": funding, "form": form})
        context["funding_rows"] = funding_rows
    if status in (Status.EXPORTED, Status.RECONCILED):
        context["bank_files"] = [
            {
                "file": bank_file,
                "return_file": getattr(bank_file, "return_file", None),
                "form": (return_forms or {}).get(bank_file.pk) or ReturnFileForm(bank_file_id=bank_file.pk),
            }
            for bank_file in selectors.one_off_batch_bank_files(batch=batch)
        ]
    return context


@plan_viewer
@require_GET
def batch_list(request: StaffRequest) -> HttpResponse:
    return render(request, "pensions/one_off/batch_list.html", {"batches": selectors.one_off_batch_list()})


@plan_viewer
@require_GET
def batch_detail(request: StaffRequest, pk: int) -> HttpResponse:
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    return render(request, "pensions/one_off/batch_detail.html", batch_detail_context(request.user, batch))


def _refused(request: StaffRequest, batch: OneOffBatch, message: str, **extra: Any) -> HttpResponse:
    batch.refresh_from_db()
    context = batch_detail_context(request.user, batch, action_error=message, **extra)
    return render(request, "pensions/one_off/batch_detail.html", context, status=400)


def _to_batch(batch_id: int, anchor: str = "") -> HttpResponse:
    response = redirect("one-off-batch-detail", pk=batch_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _stale_message() -> str:
    return _("一次性支付批次在您打开页面后已有变化,请核对最新的笔数和金额后再操作。")


# Moves ------------------------------------------------------------------------------------------------------


@plan_viewer
@require_POST
def batch_submit(request: StaffRequest, pk: int) -> HttpResponse:
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    seen = BatchConfirmForm(request.POST).figures()
    if seen is None:
        return _refused(request, batch, _stale_message())
    try:
        services.one_off_batch_submit(batch=batch, by=request.user, seen=seen)
    except DomainError as error:
        return _refused(request, batch, error.message)
    messages.success(request, _("一次性支付批次已提交,等待他人审批。"))
    return _to_batch(batch.pk)


@plan_viewer
@require_POST
def batch_approve(request: StaffRequest, pk: int) -> HttpResponse:
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    seen = BatchConfirmForm(request.POST).figures()
    if seen is None:
        return _refused(request, batch, _stale_message())
    try:
        services.one_off_batch_approve(batch=batch, by=request.user, seen=seen)
    except DomainError as error:
        return _refused(request, batch, error.message)
    messages.success(request, _("一次性支付批次已审批,明细已冻结。"))
    return _to_batch(batch.pk)


@plan_viewer
@require_POST
def batch_reject(request: StaffRequest, pk: int) -> HttpResponse:
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    form = BatchRejectForm(request.POST)
    if not form.is_valid():
        return _refused(request, batch, _form_message(form), reject_form=form)
    seen = form.figures()
    assert seen is not None  # noqa: S101  # the form is valid
    try:
        services.one_off_batch_reject(
            batch=batch, by=request.user, reason=form.cleaned_data["reason"], seen=seen
        )
    except DomainError as error:
        return _refused(request, batch, error.message, reject_form=form)
    messages.success(request, _("一次性支付批次已退回草稿。"))
    return _to_batch(batch.pk)


# Money ------------------------------------------------------------------------------------------------------


@plan_viewer
@require_POST
def batch_funding_record(request: StaffRequest, pk: int) -> HttpResponse:
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    refused = record_posted_funding(
        request,
        record=partial(services.one_off_funding_record, batch=batch),
        refuse=lambda message, forms: _refused(request, batch, message, funding_forms=forms),
    )
    if refused is not None:
        return refused
    return _to_batch(batch.pk, "funding")


@plan_viewer
@require_GET
def batch_funding_request(request: StaffRequest, pk: int) -> HttpResponse:
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    try:
        content = one_off_funding_request_pdf(batch=batch)
    except DomainError as error:
        return _refused(request, batch, error.message)
    return inline_pdf_response(content, _("一次性支付拨付申请-%(month)s.pdf") % {"month": batch.month})


@plan_viewer
@require_POST
def batch_bank_files_export(request: StaffRequest, pk: int) -> HttpResponse:
    batch = selectors.one_off_batch_get_or_404(pk=pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    try:
        files = services.one_off_bank_files_export(batch=batch, by=request.user)
    except services.UnencodableNamesError as error:
        return _refused(request, batch, error.message, unencodable=error.rows())
    except DomainError as error:
        return _refused(request, batch, error.message)
    messages.success(request, bank_files_made_message(files))
    return _to_batch(batch.pk, "bank-files")


def _batch_file_or_404(pk: int) -> tuple[BankFile, OneOffBatch]:
    bank_file = (
        BankFile.objects.defer("content")
        .select_related("one_off_batch", "bank")
        .filter(pk=pk, one_off_batch__isnull=False)
        .first()
    )
    if bank_file is None or bank_file.one_off_batch is None:
        raise Http404
    return bank_file, bank_file.one_off_batch


@plan_viewer
@require_GET
def batch_bank_file_download(request: StaffRequest, pk: int) -> HttpResponse:
    bank_file, batch = _batch_file_or_404(pk)
    try:
        content = services.bank_file_download(bank_file=bank_file, by=request.user)
    except DomainError as error:
        return _refused(request, batch, error.message)
    return bank_file_response(bank_file, content)


@plan_viewer
@require_POST
def batch_return_file_import(request: StaffRequest, pk: int) -> HttpResponse:
    bank_file, batch = _batch_file_or_404(pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    result = import_posted_return_file(
        request,
        bank_file,
        refuse=lambda message, form: _refused(request, batch, message, return_forms={bank_file.pk: form}),
    )
    if isinstance(result, HttpResponse):
        return result
    if result.already_imported:
        messages.info(request, _("%(name)s 的这份回盘文件已导入过,没有变化。") % {"name": bank_file.name})
    else:
        messages.success(request, return_file_imported_message(bank_file, result.return_file))
        if result.plan_reconciled:
            messages.success(request, _("全部回盘文件已导入,一次性支付批次已对账完成。"))
    return _to_batch(batch.pk, "bank-files")


@plan_viewer
@require_POST
def payment_reissue(request: StaffRequest, pk: int) -> HttpResponse:
    payment = OneOffPayment.objects.select_related("batch").filter(pk=pk).first()
    if payment is None:
        raise Http404
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = ReissueForm(request.POST, payment_id=payment.pk)
    if not form.is_valid():
        return _refused(request, payment.batch, _form_message(form), reissue_forms={payment.pk: form})
    try:
        reissue = services.one_off_payment_reissue(
            payment=payment,
            bank=form.cleaned_data["bank"],
            account_number=form.cleaned_data["account_number"],
            holder_name=form.cleaned_data["holder_name"],
            by=request.user,
        )
    except DomainError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
        return _refused(request, payment.batch, error.message, reissue_forms={payment.pk: form})
    messages.success(
        request,
        _("%(name)s 的 %(amount)s 已重发,列入 %(month)s 一次性支付批次。")
        % {"name": payment.payee_name, "amount": yuan(payment.amount), "month": reissue.batch.month},
    )
    return _to_batch(payment.batch_id, "payments")
