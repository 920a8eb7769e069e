"""One-off payments (一次性支付): money to a payee who is not one of the month's pensioners, such as the
family of a deceased retiree paid their approved claim (docs/one-off-payments.md). Payments are gathered in
one batch per month, which moves like a payout plan and goes out through the same bank files and return files.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import cast

import pghistory
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import ArrearsItem, Bank, Retiree, Staff
from registry.months import PensionMonth

from ..errors import PlanError
from ..models import ArrearsRelease, OneOffBatch, OneOffPayment

_CENT = Decimal("0.01")


def _open_batch(*, from_month: PensionMonth) -> OneOffBatch:
    """The draft batch payments are added to, locked: this month's, or the first later month whose batch is
    still a draft or not made yet (a batch already submitted is never changed under its approver)."""
    month = from_month
    while True:
        OneOffBatch.objects.get_or_create(month=month.number)
        batch = OneOffBatch.objects.select_for_update().get(month=month.number)
        if batch.status == OneOffBatch.Status.DRAFT:
            return batch
        month = month.next()


def one_off_batch_totals_store(*, batch: OneOffBatch) -> OneOffBatch:
    """Store the batch's count and total from its payments (the caller holds the batch's row lock)."""
    sums = OneOffPayment.objects.filter(batch=batch).aggregate(count=Count("id"), total=Sum("amount"))
    batch.payment_count = sums["count"]
    batch.total = sums["total"] or Decimal("0.00")
    batch.save(update_fields=["payment_count", "total"])
    return batch


@transaction.atomic
def one_off_payment_add(
    *,
    kind: str,
    source_id: int,
    retiree: Retiree,
    payee_name: str,
    payee_id_number: str,
    bank: Bank,
    account_number: str,
    holder_name: str,
    amount: Decimal,
    by: Staff,
    arrears_items: Sequence[ArrearsItem] = (),
) -> OneOffPayment:
    """Add the payment of an approved source (a claim) to the open batch, releasing `arrears_items` (the
    deceased's months it pays) into it. The caller checked the source's approval; the database keeps a source
    to one original payment (oneoffpayment_source_paid_once) and an arrears item to one release."""
    if not isinstance(amount, Decimal) or amount != amount.quantize(_CENT) or amount <= 0:
        raise PlanError(_("一次性支付的金额必须是大于 0 且精确到分的金额。"), field="amount")
    if OneOffPayment.objects.filter(kind=kind, source_id=source_id, reissue_of__isnull=True).exists():
        raise PlanError(_("该事项已列入一次性支付,不能重复支付。"))
    batch = _open_batch(from_month=PensionMonth.of(timezone.localdate()))
    with pghistory.context(source="one_off_payment_add", user=by.pk):
        payment = OneOffPayment.objects.create(
            batch=batch,
            kind=kind,
            source_id=source_id,
            retiree=retiree,
            # A community always sits in a township (registry.OrgUnit); the stubs see the nullable parent.
            township_id=cast(int, retiree.community.parent_id),
            payee_name=payee_name,
            payee_id_number=payee_id_number,
            bank=bank,
            account_number=account_number,
            holder_name=holder_name,
            amount=amount,
            created_by=by,
            created_at=timezone.now(),
        )
        ArrearsRelease.objects.bulk_create(
            ArrearsRelease(arrears_item=item, one_off_payment=payment) for item in arrears_items
        )
        one_off_batch_totals_store(batch=batch)
    return payment
