"""Funding (拨付): the transfer of each bank's total from the fiscal special account (财政专户) to the bank's
special account (银行专户). When every bank that pays anything is funded, the plan (or one-off batch) is
funded. One code path for both (pensions.services.payment_sources).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.formats import yuan
from registry.models import Bank, Staff

from .. import reasons
from ..errors import PlanError
from ..models import Funding, OneOffBatch, PayoutPlan, PlanTotal
from .payment_sources import BatchSource, PaymentSource, PlanSource

Status = PayoutPlan.Status
_CENT = Decimal("0.01")


def funding_banks(*, plan: PayoutPlan) -> dict[int, PlanTotal]:
    """The bank totals of a plan that need a transfer: every bank with a net total above zero."""
    totals = PlanTotal.objects.filter(
        plan=plan, kind=PlanTotal.Kind.BANK, bank__isnull=False, net_total__gt=0
    ).select_related("bank")
    return {total.bank_id: total for total in totals if total.bank_id is not None}


def funding_record(
    *,
    plan: PayoutPlan,
    bank: Bank,
    amount: Decimal,
    reference_number: str,
    transferred_on: datetime.date,
    by: Staff,
) -> Funding:
    """Record one bank's transfer for a plan (source_funding_record)."""
    return source_funding_record(
        source=PlanSource(plan),
        bank=bank,
        amount=amount,
        reference_number=reference_number,
        transferred_on=transferred_on,
        by=by,
    )


def one_off_funding_record(
    *,
    batch: OneOffBatch,
    bank: Bank,
    amount: Decimal,
    reference_number: str,
    transferred_on: datetime.date,
    by: Staff,
) -> Funding:
    """Record one bank's transfer for a one-off batch (source_funding_record)."""
    return source_funding_record(
        source=BatchSource(batch),
        bank=bank,
        amount=amount,
        reference_number=reference_number,
        transferred_on=transferred_on,
        by=by,
    )


@transaction.atomic
def source_funding_record(
    *,
    source: PaymentSource,
    bank: Bank,
    amount: Decimal,
    reference_number: str,
    transferred_on: datetime.date,
    by: Staff,
) -> Funding:
    """Record one bank's transfer. The amount must be that bank's total exactly; a bank is funded once. The
    last bank's record moves the plan or batch to funded (whose move checks the lines are still the approved
    ones)."""
    access.require(by, Action.APPROVE_PAYMENTS)
    reference_number = reference_number.strip()
    if not reference_number:
        raise PlanError(_("请填写拨付凭证号。"), field="reference_number")
    if len(reference_number) > Funding._meta.get_field("reference_number").max_length:  # type: ignore[operator]
        raise PlanError(_("拨付凭证号过长。"), field="reference_number")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(_CENT):
        raise PlanError(_("拨付金额必须是精确到分的金额。"), field="amount")
    if transferred_on > timezone.localdate():
        raise PlanError(_("拨付日期不能晚于今天。"), field="transferred_on")

    # Lock the plan or batch: two banks' last transfers recorded at once would each see the other still
    # unfunded, and neither would move it to funded.
    locked = source.locked()
    if locked.status != Status.APPROVED:
        raise PlanError(
            _("%(month)s 的%(kind)s是“%(status)s”状态,只有已审批的%(short)s才能登记拨付。")
            % {
                "month": locked.month,
                "kind": locked.kind_label,
                "short": locked.short_label,
                "status": Status(locked.status).label,
            }
        )
    totals = locked.bank_totals()
    total = totals.get(bank.pk)
    if total is None:
        raise PlanError(
            _("%(bank)s 在 %(title)s中没有需要拨付的金额。") % {"bank": bank, "title": locked.title},
            field="bank",
        )
    if amount != total[1]:
        raise PlanError(
            _("拨付金额 %(amount)s 与 %(bank)s 的实发合计 %(total)s 不一致。")
            % {"amount": yuan(amount), "bank": bank, "total": yuan(total[1])},
            field="amount",
        )
    if Funding.objects.filter(**locked.owner(), bank=bank).exists():
        raise PlanError(
            _("%(bank)s 在 %(title)s的拨付已登记过。") % {"bank": bank, "title": locked.title}, field="bank"
        )
    funding = Funding.objects.create(
        **locked.owner(),
        bank=bank,
        amount=amount,
        reference_number=reference_number,
        transferred_on=transferred_on,
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    funded = set(Funding.objects.filter(**locked.owner()).values_list("bank_id", flat=True))
    if totals.keys() <= funded:
        source.mark_funded(
            by=by,
            reason=reasons.FUNDED
            % {
                "count": len(totals),
                "total": yuan(sum((bank_total for _bank, bank_total in totals.values()), Decimal("0.00"))),
            },
        )
    return funding
