"""The money pages of a payout plan: funding each bank, the funding request PDF, the bank files'
export and download, the banks' return files, and what is done about failed payments. Shown as panels of the
plan page (templatetag `money_panels`), by the plan's status. Views parse, call pensions.services and
redirect; a refusal renders the plan page again with the message (400) and nothing written.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
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
from registry.id_numbers import mask_resident_id
from registry.models import Bank, Staff
from registry.views.common import StaffRequest

from .. import selectors, services
from ..downloads import bank_file_response, inline_pdf_response
from ..models import BankFile, Funding, PayoutLine, PayoutPlan, PlanJob, PlanTotal, ReturnFile
from ..pdfs.funding_request import funding_request_pdf
from ..services.plan_jobs import RUNNING as PLAN_JOB_RUNNING
from ..services.plan_jobs import bank_files_start
from ..views.plans import plan_detail_context, plan_viewer

Status = PayoutPlan.Status
# Return files are a few megabytes at most; a larger upload is a wrong file.
RETURN_FILE_MAX_BYTES = 50 * 1024 * 1024


# Forms ------------------------------------------------------------------------------------------------------


class FundingForm(forms.Form):
    bank = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=gettext_lazy("拨付金额(元)"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    reference_number = forms.CharField(label=gettext_lazy("拨付凭证号"), max_length=64)
    transferred_on = forms.DateField(
        label=gettext_lazy("拨付日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, bank_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"funding-{bank_id}-%s"
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            if not isinstance(bound.widget, forms.HiddenInput):
                bound.widget.attrs.setdefault("class", "form-control form-control-sm")


class ReturnFileForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("回盘文件"))

    def __init__(self, *args: Any, bank_file_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"return-{bank_file_id}-%s"
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["class"] = "form-control form-control-sm"

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > RETURN_FILE_MAX_BYTES:
            raise forms.ValidationError(_("回盘文件过大,请确认是否选错了文件。"))
        return upload


class PaidByHandForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("发放凭证号"), max_length=64)
    paid_on = forms.DateField(
        label=gettext_lazy("发放日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, line_id: int, **kwargs: Any) -> None:
        kwargs["auto_id"] = f"hand-{line_id}-%s"
        super().__init__(*args, **kwargs)
        for bound in self.fields.values():
            bound.widget.attrs.setdefault("class", "form-control form-control-sm")


def _form_message(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label if name in form.fields else ''}:{error}".lstrip(":")
        for name, errors in form.errors.items()
        for error in errors
    )


# The panels' context ----------------------------------------------------------------------------------------


@dataclass
class FundingRow:
    bank: Bank
    total: PlanTotal
    funding: Funding | None
    form: FundingForm | None


@dataclass
class FailedRow:
    line: PayoutLine
    id_number_masked: str
    form: PaidByHandForm | None


@dataclass
class Overrides:
    """Bound forms with their errors, for the plan page rendered again after a refusal."""

    funding: dict[int, FundingForm] = field(default_factory=dict)
    returns: dict[int, ReturnFileForm] = field(default_factory=dict)
    by_hand: dict[int, PaidByHandForm] = field(default_factory=dict)
    unencodable: list[dict[str, str]] = field(default_factory=list)


def money_context(user: Staff, plan: PayoutPlan, overrides: Overrides | None = None) -> dict[str, Any]:
    """What the funding, bank-file and failed-line panels of the plan page show, by the plan's status."""
    overrides = overrides or Overrides()
    may_fund = access.can(user, Action.APPROVE_PAYMENTS)
    may_prepare = access.can(user, Action.PREPARE_PAYMENTS)
    status = plan.status
    context: dict[str, Any] = {
        "plan": plan,
        "show_funding": status in (Status.APPROVED, Status.FUNDED, Status.EXPORTED, Status.RECONCILED),
        "show_files": status in (Status.EXPORTED, Status.RECONCILED),
        "may_fund": may_fund and status == Status.APPROVED,
        "may_export": may_prepare and status == Status.FUNDED,
        "may_import": may_prepare and status == Status.EXPORTED,
        "may_resolve": may_prepare,
        "may_download": may_prepare or may_fund,
        "unencodable": overrides.unencodable,
        # A bank-file export the worker is doing now: the button gives way to its busy state.
        "export_job": PlanJob.objects.filter(
            plan=plan, kind=PlanJob.Kind.BANK_FILES, status__in=PLAN_JOB_RUNNING
        ).first(),
    }
    if not context["show_funding"]:
        return context
    fundings = {funding.bank_id: funding for funding in selectors.plan_fundings(plan=plan)}
    today = timezone.localdate()
    rows = []
    for bank_id, total in services.funding_banks(plan=plan).items():
        funding = fundings.get(bank_id)
        form = None
        if context["may_fund"] and funding is None:
            form = overrides.funding.get(bank_id) or FundingForm(
                bank_id=bank_id,
                initial={"bank": bank_id, "amount": total.net_total, "transferred_on": today},
            )
        assert total.bank is not None  # noqa: S101  # funding_banks keeps totals with a bank
        rows.append(FundingRow(bank=total.bank, total=total, funding=funding, form=form))
    rows.sort(key=lambda row: row.bank.code)
    context["funding_rows"] = rows
    context["funding_total"] = sum((row.total.net_total for row in rows), Decimal("0.00"))
    if context["show_files"]:
        files = list(selectors.plan_bank_files(plan=plan))
        context["bank_files"] = [
            {
                "file": bank_file,
                "return_file": getattr(bank_file, "return_file", None),
                "form": overrides.returns.get(bank_file.pk) or ReturnFileForm(bank_file_id=bank_file.pk),
            }
            for bank_file in files
        ]
        context["failed_rows"] = [
            FailedRow(
                line=line,
                id_number_masked=mask_resident_id(line.id_number),
                form=overrides.by_hand.get(line.pk)
                or PaidByHandForm(line_id=line.pk, initial={"paid_on": today}),
            )
            for line in selectors.plan_failed_lines(plan=plan)
        ]
    return context


def _refused(
    request: StaffRequest, plan: PayoutPlan, message: str, overrides: Overrides | None = None
) -> HttpResponse:
    plan.refresh_from_db()
    context = {**plan_detail_context(request, plan, action_error=message), "money_overrides": overrides}
    return render(request, "pensions/plan_detail.html", context, status=400)


def _to_plan(plan_id: int, anchor: str) -> HttpResponse:
    response = redirect("payout-plan-detail", pk=plan_id)
    response["Location"] += f"#{anchor}"
    return response


# Funding ----------------------------------------------------------------------------------------------------


def record_posted_funding(
    request: StaffRequest,
    *,
    record: Callable[..., Funding],
    refuse: Callable[[str, dict[int, FundingForm] | None], HttpResponse],
) -> HttpResponse | None:
    """The funding form's handling, the same for a payout plan and a one-off batch. `record` is the
    service bound to the plan or batch; `refuse` renders its page again with the message and the bank's
    bound form (None when there is no bank to show it under). None: recorded and said so, the caller
    redirects to its own page."""
    try:
        bank_id = int(request.POST.get("bank", ""))
    except ValueError:
        bank_id = 0
    form = FundingForm(request.POST, bank_id=bank_id)
    if not form.is_valid():
        return refuse(_form_message(form), {bank_id: form})
    bank = Bank.objects.filter(pk=bank_id).first()
    if bank is None:
        return refuse(_("没有这家银行。"), None)
    try:
        funding = record(
            bank=bank,
            amount=form.cleaned_data["amount"],
            reference_number=form.cleaned_data["reference_number"],
            transferred_on=form.cleaned_data["transferred_on"],
            by=request.user,
        )
    except DomainError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
        return refuse(error.message, {bank_id: form})
    messages.success(
        request,
        _("已登记 %(bank)s 拨付 %(amount)s(凭证号 %(reference)s)。")
        % {"bank": bank.name, "amount": yuan(funding.amount), "reference": funding.reference_number},
    )
    return None


@plan_viewer
@require_POST
def funding_record(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    access.require(request.user, Action.APPROVE_PAYMENTS)
    refused = record_posted_funding(
        request,
        record=partial(services.funding_record, plan=plan),
        refuse=lambda message, forms: _refused(
            request, plan, message, Overrides(funding=forms) if forms is not None else None
        ),
    )
    if refused is not None:
        return refused
    return _to_plan(plan.pk, "funding")


@plan_viewer
@require_GET
def funding_request(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    try:
        content = funding_request_pdf(plan=plan)
    except DomainError as error:
        return _refused(request, plan, error.message)
    return inline_pdf_response(content, _("拨付申请-%(month)s.pdf") % {"month": plan.month})


# Bank files -------------------------------------------------------------------------------------------------


@plan_viewer
@require_POST
def bank_files_export(request: StaffRequest, pk: int) -> HttpResponse:
    plan = selectors.plan_get_or_404(pk=pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    try:
        # Writing every bank's file for a county takes a while: the worker does it (docs/jobs.md), the
        # job's page shows it busy and then the files, or the lines a bank's encoding cannot hold.
        job = bank_files_start(plan=plan, by=request.user)
    except DomainError as error:
        return _refused(request, plan, error.message)
    return redirect("payout-plan-job", pk=job.pk)


def bank_files_made_message(files: Sequence[BankFile]) -> str:
    return _("银行文件已生成:%(count)d 个,合计 %(total)s。") % {
        "count": len(files),
        "total": yuan(sum((file.total for file in files), Decimal("0.00"))),
    }


def _bank_file_or_404(pk: int) -> tuple[BankFile, PayoutPlan]:
    """A plan's bank file with its plan (a one-off batch's files have their own pages: views.one_off)."""
    bank_file = (
        BankFile.objects.defer("content")
        .select_related("plan", "bank")
        .filter(pk=pk, plan__isnull=False)
        .first()
    )
    if bank_file is None or bank_file.plan is None:
        raise Http404
    return bank_file, bank_file.plan


@plan_viewer
@require_GET
def bank_file_download(request: StaffRequest, pk: int) -> HttpResponse:
    bank_file, plan = _bank_file_or_404(pk)
    try:
        content = services.bank_file_download(bank_file=bank_file, by=request.user)
    except DomainError as error:
        return _refused(request, plan, error.message)
    return bank_file_response(bank_file, content)


def import_posted_return_file(
    request: StaffRequest,
    bank_file: BankFile,
    *,
    refuse: Callable[[str, ReturnFileForm], HttpResponse],
) -> services.ReturnImport | HttpResponse:
    """The return-file form's handling, the same for a plan's and a one-off batch's bank file: the
    import's outcome, or `refuse` (the caller's page again with the message and the bound form)."""
    form = ReturnFileForm(request.POST, request.FILES, bank_file_id=bank_file.pk)
    if not form.is_valid():
        return refuse(_form_message(form), form)
    upload = form.cleaned_data["file"]
    try:
        return services.return_file_import(
            bank_file=bank_file, content=upload.read(), by=request.user, name=upload.name or ""
        )
    except DomainError as error:
        form.add_error("file", error.message)
        return refuse(error.message, form)


def return_file_imported_message(bank_file: BankFile, imported: ReturnFile) -> str:
    return _("%(bank)s 回盘已导入:成功 %(paid)d 笔,失败 %(failed)d 笔。") % {
        "bank": bank_file.bank.name,
        "paid": imported.paid_count,
        "failed": imported.failed_count,
    }


@plan_viewer
@require_POST
def return_file_import(request: StaffRequest, pk: int) -> HttpResponse:
    bank_file, plan = _bank_file_or_404(pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    result = import_posted_return_file(
        request,
        bank_file,
        refuse=lambda message, form: _refused(
            request, plan, message, Overrides(returns={bank_file.pk: form})
        ),
    )
    if isinstance(result, HttpResponse):
        return result
    imported = result.return_file
    if result.already_imported:
        messages.info(
            request,
            _("%(name)s 的这份回盘文件已导入过(%(at)s),没有变化。")
            % {
                "name": bank_file.name,
                "at": timezone.localtime(imported.imported_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    else:
        messages.success(request, return_file_imported_message(bank_file, imported))
        if result.plan_reconciled:
            messages.success(request, _("全部回盘文件已导入,发放计划已对账完成。"))
    return _to_plan(plan.pk, "bank-files")


# Failed lines -----------------------------------------------------------------------------------------------


def _line_or_404(pk: int) -> PayoutLine:
    line = PayoutLine.objects.select_related("plan").filter(pk=pk).first()
    if line is None:
        raise Http404
    return line


@plan_viewer
@require_POST
def failed_line_reissue(request: StaffRequest, pk: int) -> HttpResponse:
    line = _line_or_404(pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    try:
        services.failed_line_reissue(line=line, by=request.user)
    except DomainError as error:
        return _refused(request, line.plan, error.message)
    messages.success(
        request, _("%(name)s 的 %(amount)s 已转入下月补发。") % {"name": line.name, "amount": yuan(line.net)}
    )
    return _to_plan(line.plan_id, "failed-lines")


@plan_viewer
@require_POST
def failed_line_paid_by_hand(request: StaffRequest, pk: int) -> HttpResponse:
    line = _line_or_404(pk)
    access.require(request.user, Action.PREPARE_PAYMENTS)
    form = PaidByHandForm(request.POST, line_id=line.pk)
    if not form.is_valid():
        return _refused(request, line.plan, _form_message(form), Overrides(by_hand={line.pk: form}))
    paid_on: datetime.date = form.cleaned_data["paid_on"]
    try:
        services.failed_line_paid_by_hand(
            line=line, reference=form.cleaned_data["reference"], paid_on=paid_on, by=request.user
        )
    except DomainError as error:
        if error.field in form.fields:
            form.add_error(error.field, error.message)
        return _refused(request, line.plan, error.message, Overrides(by_hand={line.pk: form}))
    messages.success(
        request, _("已登记 %(name)s 手工发放 %(amount)s。") % {"name": line.name, "amount": yuan(line.net)}
    )
    return _to_plan(line.plan_id, "failed-lines")
