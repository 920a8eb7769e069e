"""The documents of a recovery's follow-up (docs/recoveries.md): the receipt for money paid back at the
counter (收款收据), the letter asking a bank to return money from a deceased retiree's account (退回函)
with its account list (xlsx), and the letter referring a recovery for legal action (移送函).

Every figure comes from the recorded rows (the refund, the claw-back request, the recovery's months and its
balance annotations). Personal numbers are masked unless the caller passes full ExportNumbers (decided by
registry.services.sensitive_export_numbers); the view or API that serves a document records it
(pensions.services.recovery_document_print_record, and registry.services.sensitive_export_record for a file
with full numbers).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.id_numbers import mask_account_number, mask_resident_id
from registry.models import OrgUnit, Recovery, Staff
from registry.pdfs.rendering import render_pdf
from registry.selectors.exports import xlsx_table
from registry.services.sensitive import MASKED, ExportNumbers, sensitive_export_record

from ..errors import PlanError
from ..models import RecoveryClawback, RecoveryDocumentPrint, RecoveryLine, RecoveryReferral, RecoveryRefund
from ..selectors.recoveries import recoveries_with_balance
from ..services.recovery_follow_up import recovery_document_print_record
from .funding_request import rmb_upper


@dataclass(frozen=True)
class MonthRow:
    month: str
    amount: Decimal
    bank: str
    account: str


def _county_name() -> str:
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    return county.name if county else ""


def _months(recovery: Recovery, *, bank_id: int | None = None, full: bool = False) -> list[MonthRow]:
    lines = (
        RecoveryLine.objects.filter(recovery=recovery).select_related("line__bank").order_by("month", "id")
    )
    if bank_id is not None:
        lines = lines.filter(line__bank_id=bank_id)
    return [
        MonthRow(
            month=str(item.month),
            amount=item.amount,
            bank=item.line.bank.name if item.line.bank else "",
            account=item.line.account_number if full else mask_account_number(item.line.account_number),
        )
        for item in lines
    ]


def _period(recovery: Recovery) -> str:
    if recovery.from_month == recovery.to_month:
        return str(recovery.from_month)
    return f"{recovery.from_month}–{recovery.to_month}"


def _id_number(recovery: Recovery, full: bool) -> str:
    number = recovery.retiree.id_number
    return number if full else mask_resident_id(number)


def refund_receipt_context(*, refund: RecoveryRefund) -> dict[str, Any]:
    recovery = refund.recovery
    months = _months(recovery)
    return {
        "refund": refund,
        "recovery": recovery,
        "retiree": recovery.retiree,
        "id_number": _id_number(recovery, False),
        "payer": refund.payer or recovery.retiree.name,
        "months": ", ".join(row.month for row in months) if months else _period(recovery),
        "amount": refund.amount,
        "amount_upper": rmb_upper(refund.amount),
        "number": f"SK{refund.paid_on:%Y}-{refund.pk:06d}",
        "county_name": _county_name(),
        "printed_on": timezone.localdate(),
    }


def refund_receipt_pdf(*, refund: RecoveryRefund) -> bytes:
    """The receipt of one refund (收款收据), A5 landscape, ID masked."""
    return render_pdf(
        template="pensions/recoveries/receipt_pdf.html", context=refund_receipt_context(refund=refund)
    )


def clawback_letter_context(*, clawback: RecoveryClawback, numbers: ExportNumbers = MASKED) -> dict[str, Any]:
    recovery = clawback.recovery
    full = numbers.full
    return {
        "clawback": clawback,
        "recovery": recovery,
        "retiree": recovery.retiree,
        "id_number": _id_number(recovery, full),
        "account": clawback.account_number if full else mask_account_number(clawback.account_number),
        "full": full,
        "months": _months(recovery, bank_id=clawback.bank_id, full=full),
        "amount": clawback.requested_amount,
        "amount_upper": rmb_upper(clawback.requested_amount),
        "number": f"TH{timezone.localtime(clawback.requested_at):%Y}-{clawback.pk:06d}",
        "county_name": _county_name(),
        "printed_on": timezone.localdate(),
    }


def clawback_letter_pdf(*, clawback: RecoveryClawback, numbers: ExportNumbers = MASKED) -> bytes:
    """The letter to the bank (退回函) of one claw-back request."""
    return render_pdf(
        template="pensions/recoveries/clawback_letter_pdf.html",
        context=clawback_letter_context(clawback=clawback, numbers=numbers),
    )


def clawback_xlsx(*, clawback: RecoveryClawback, target: IO[bytes], numbers: ExportNumbers = MASKED) -> int:
    """The bank's list of the claw-back (one row per month paid there: account, name, month, amount), for the
    bank's own system. Returns the rows written."""
    recovery = clawback.recovery
    full = numbers.full
    account = clawback.account_number if full else mask_account_number(clawback.account_number)
    rows: list[list[Any]] = [
        [
            account,
            clawback.holder_name or recovery.retiree.name,
            recovery.retiree.name,
            _id_number(recovery, full),
            row.month,
            row.amount,
        ]
        for row in _months(recovery, bank_id=clawback.bank_id, full=full)
    ]
    return xlsx_table(
        target=target,
        title=_("退回明细"),
        headers=[_("账号/存折号"), _("户名"), _("姓名"), _("身份证号码"), _("所属月份"), _("多发金额")],
        widths=(24, 10, 10, 22, 10, 14),
        text_columns=frozenset({0, 3, 4}),
        rows=rows,
    )


def referral_letter_context(*, referral: RecoveryReferral, numbers: ExportNumbers = MASKED) -> dict[str, Any]:
    recovery: Any = recoveries_with_balance(Recovery.objects.filter(pk=referral.recovery_id)).get()
    full = numbers.full
    return {
        "referral": referral,
        "recovery": recovery,
        "retiree": recovery.retiree,
        "id_number": _id_number(recovery, full),
        "months": _months(recovery, full=full),
        "period": _period(recovery),
        "amount_upper": rmb_upper(recovery.amount),
        "recovered": recovery.amount - recovery.balance,
        "balance": recovery.balance,
        "balance_upper": rmb_upper(max(recovery.balance, Decimal("0.00"))),
        "number": f"YS{referral.referred_on:%Y}-{referral.pk:06d}",
        "county_name": _county_name(),
        "printed_on": timezone.localdate(),
    }


def referral_letter_pdf(*, referral: RecoveryReferral, numbers: ExportNumbers = MASKED) -> bytes:
    """The referral letter (移送函) with the person, the months and the amounts."""
    return render_pdf(
        template="pensions/recoveries/referral_letter_pdf.html",
        context=referral_letter_context(referral=referral, numbers=numbers),
    )


@dataclass(frozen=True)
class IssuedDocument:
    content: bytes
    filename: str
    content_type: str


XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@transaction.atomic
def recovery_document_issue(
    *,
    kind: str,
    by: Staff,
    refund: RecoveryRefund | None = None,
    clawback: RecoveryClawback | None = None,
    referral: RecoveryReferral | None = None,
    numbers: ExportNumbers = MASKED,
) -> IssuedDocument:
    """Render one document of a recovery and record it before it is handed over (the page and the API both
    come here): a RecoveryDocumentPrint row for the audit log, and, for a file with full numbers, the
    SensitiveExport row of registry.services.sensitive_export_record (which checks VIEW_SENSITIVE again).
    The receipt has no full variant."""
    Kind = RecoveryDocumentPrint.Kind  # noqa: N806 - the model's choices, as everywhere else
    if kind == Kind.RECEIPT and refund is not None:
        recovery = refund.recovery
        content = refund_receipt_pdf(refund=refund)
        filename = _("收款收据-%(name)s-%(number)s.pdf") % {
            "name": recovery.retiree.name,
            "number": refund.pk,
        }
        content_type = "application/pdf"
        numbers = MASKED
    elif kind in (Kind.CLAWBACK_LETTER, Kind.CLAWBACK_LIST) and clawback is not None:
        recovery = clawback.recovery
        if kind == Kind.CLAWBACK_LETTER:
            content = clawback_letter_pdf(clawback=clawback, numbers=numbers)
            filename = _("退回函-%(bank)s-%(name)s.pdf")
            content_type = "application/pdf"
        else:
            target = io.BytesIO()
            clawback_xlsx(clawback=clawback, target=target, numbers=numbers)
            content = target.getvalue()
            filename = _("退回明细-%(bank)s-%(name)s.xlsx")
            content_type = XLSX_CONTENT_TYPE
        filename %= {"bank": clawback.bank.name, "name": recovery.retiree.name}
    elif kind == Kind.REFERRAL_LETTER and referral is not None:
        recovery = referral.recovery
        content = referral_letter_pdf(referral=referral, numbers=numbers)
        filename = _("移送函-%(name)s.pdf") % {"name": recovery.retiree.name}
        content_type = "application/pdf"
    else:
        raise PlanError(_("没有这种追回文书。"), field="kind")
    sensitive_export_record(
        by=by,
        numbers=numbers,
        export=f"pensions.recovery_{kind}",
        label=str(Kind(kind).label) + " " + recovery.retiree.name,
        person_count=1,
        detail={"recovery": recovery.pk, "clawback": clawback.pk if clawback else None},
    )
    recovery_document_print_record(
        recovery=recovery,
        kind=kind,
        by=by,
        refund=refund if kind == Kind.RECEIPT else None,
        clawback=clawback,
        full_numbers=numbers.full,
    )
    return IssuedDocument(content=content, filename=filename, content_type=content_type)
