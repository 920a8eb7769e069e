"""The funding request (拨付申请): the A4 sheet finance signs and seals to move each bank's total from the
fiscal special account to the bank's special account. Every figure comes from the plan's stored bank totals,
which plan_totals_check keeps equal to the lines."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import Bank, OrgUnit
from registry.pdfs.rendering import render_pdf

from ..errors import PlanError
from ..models import Funding, OneOffBatch, PayoutLine, PayoutPlan, PlanTotal
from ..selectors import one_off as selectors_one_off

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def rmb_upper(amount: Decimal) -> str:
    """An amount in Chinese capital numerals as on a cheque or a voucher (人民币大写), e.g.
    Decimal("10305.20") → "壹万零叁佰零伍元贰角整"."""
    if amount < 0:
        raise ValueError("negative amount")
    fen_total = int((amount * 100).to_integral_value())
    yuan, fen = divmod(fen_total, 100)
    jiao, fen = divmod(fen, 10)
    text = ""
    if yuan:
        groups: list[int] = []
        while yuan:
            yuan, group = divmod(yuan, 10_000)
            groups.append(group)
        parts: list[str] = []
        zero_pending = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                zero_pending = bool(parts)
                continue
            if parts and (zero_pending or group < 1000):
                parts.append("零")
            parts.append(_group_upper(group) + _BIG_UNITS[index])
            zero_pending = False
        text = "".join(parts) + "元"
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return text


def _group_upper(group: int) -> str:
    """A number below 10,000 in capitals, inner zeros read once (1005 → 壹仟零伍)."""
    out = ""
    zero = False
    for position in range(3, -1, -1):
        digit = (group // 10**position) % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL_UNITS[position]
    return out


@dataclass(frozen=True)
class FundingRow:
    bank: Bank
    line_count: int
    amount: Decimal
    funding: Funding | None


def funding_request_context(*, plan: PayoutPlan) -> dict[str, Any]:
    """What the funding request shows: one row per bank paying anything this month."""
    if plan.status in (PayoutPlan.Status.DRAFT, PayoutPlan.Status.SUBMITTED):
        raise PlanError(_("发放计划审批后才能打印拨付申请。"))
    totals = (
        PlanTotal.objects.filter(plan=plan, kind=PlanTotal.Kind.BANK, bank__isnull=False, net_total__gt=0)
        .select_related("bank")
        .order_by("bank__code")
    )
    # The count on the request is of the payments the bank will make: withheld lines (net 0) are not sent.
    counts = dict(
        PayoutLine.objects.filter(plan=plan, is_withheld=False, net__gt=0)
        .values_list("bank_id")
        .annotate(n=Count("id"))
        .values_list("bank_id", "n")
    )
    fundings = {funding.bank_id: funding for funding in Funding.objects.filter(plan=plan)}
    rows = []
    for total in totals:
        bank = total.bank
        assert bank is not None  # noqa: S101  # filtered to rows with a bank
        rows.append(
            FundingRow(
                bank=bank,
                line_count=counts.get(bank.pk, 0),
                amount=total.net_total,
                funding=fundings.get(bank.pk),
            )
        )
    amount = sum((row.amount for row in rows), Decimal("0.00"))
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    return {
        "plan": plan,
        "month": plan.month,
        "rows": rows,
        "line_count": sum(row.line_count for row in rows),
        "total": amount,
        "total_upper": rmb_upper(amount),
        "county_name": county.name if county else "",
        "prepared_by": plan.submitted_by,
        "approved_by": plan.approved_by,
        "printed_on": timezone.localdate(),
        "funding_day": settings.PAYOUT_FUNDING_DAY,
    }


def one_off_funding_request_context(*, batch: OneOffBatch) -> dict[str, Any]:
    """The same sheet for a one-off batch: one row per bank, from the batch's payments (frozen since
    submission, their digest checked at every move)."""
    if batch.status in (OneOffBatch.Status.DRAFT, OneOffBatch.Status.SUBMITTED):
        raise PlanError(_("一次性支付批次审批后才能打印拨付申请。"))
    totals = selectors_one_off.one_off_batch_totals(batch=batch)
    banks = Bank.objects.in_bulk([row.key_id for row in totals.banks])
    fundings = {funding.bank_id: funding for funding in Funding.objects.filter(one_off_batch=batch)}
    rows = [
        FundingRow(
            bank=banks[row.key_id], line_count=row.count, amount=row.total, funding=fundings.get(row.key_id)
        )
        for row in totals.banks
    ]
    county = OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).order_by("sort_order", "code").first()
    return {
        "batch": batch,
        "month": batch.month,
        "rows": rows,
        "line_count": totals.count,
        "total": totals.total,
        "total_upper": rmb_upper(totals.total),
        "county_name": county.name if county else "",
        "prepared_by": batch.submitted_by,
        "approved_by": batch.approved_by,
        "printed_on": timezone.localdate(),
        "funding_day": settings.PAYOUT_FUNDING_DAY,
    }


def one_off_funding_request_pdf(*, batch: OneOffBatch) -> bytes:
    """The one-off batch's funding request as an A4 PDF (the plan's template and layout)."""
    context = one_off_funding_request_context(batch=batch)
    return render_pdf(template="pensions/funding_request_pdf.html", context=context)


def funding_request_pdf(*, plan: PayoutPlan) -> bytes:
    """The funding request as an A4 PDF."""
    context = funding_request_context(plan=plan)
    return render_pdf(template="pensions/funding_request_pdf.html", context=context)
