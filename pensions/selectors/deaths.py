"""What a retiree's death means for each month of money (docs/deaths.md "What confirmation does to money").

Pension is due up to and including the death month. For a death month D:
- a month after D that an approved (or later) plan paid is recovered (冒领/多发): its regular amount plus any
  arrears for months after D the line released; a month the bank returned as failed was never paid, so it
  is neither recovered nor paid again (FailedPaymentResolution "not due");
- months up to D go to the family with the claim: withheld lines not yet released, arrears items not yet
  released, months no approved plan paid (the plan was made after the death was registered), and failed
  payments not yet re-issued;
- withheld months and unreleased arrears after D are dropped (not due). They stay unreleased, so correcting
  a wrong death releases them once.

One reader for the death confirmation (which opens the recovery), the claim (which pays the rest) and the
death tab; nothing here writes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from registry.models import ArrearsItem, PensionRate, Retiree
from registry.months import PensionMonth
from registry.selectors.changes import as_month, rate_in_force

from ..models import ArrearsRelease, FailedPaymentResolution, PayoutLine, PayoutPlan, RecoveryLine
from ..services.plans import first_payout_month

ZERO = Decimal("0.00")
_NOT_PAID = (PayoutPlan.Status.DRAFT, PayoutPlan.Status.SUBMITTED)


@dataclass(frozen=True)
class MonthAmount:
    """One month's amount and where it comes from: a plan line, an arrears item, or neither (a month no
    approved plan paid)."""

    month: PensionMonth
    amount: Decimal
    line_id: int | None = None
    arrears_item_id: int | None = None


@dataclass(frozen=True)
class DeathMonths:
    death_month: PensionMonth
    recovered: tuple[MonthAmount, ...] = ()  # paid after the death month: the after-death recovery
    failed_not_due: tuple[MonthAmount, ...] = ()  # after the death month, returned failed: not due
    withheld_payable: tuple[MonthAmount, ...] = ()  # withheld lines up to the death month
    unpaid_due: tuple[MonthAmount, ...] = ()  # up to the death month, no approved plan paid them
    arrears_payable: tuple[MonthAmount, ...] = ()  # unreleased arrears items up to the death month
    failed_payable: tuple[MonthAmount, ...] = ()  # failed payments up to the death month, not re-issued
    withheld_dropped: tuple[MonthAmount, ...] = ()
    arrears_dropped: tuple[MonthAmount, ...] = ()

    @property
    def recovered_total(self) -> Decimal:
        return sum((item.amount for item in self.recovered), ZERO)

    @property
    def withheld_total(self) -> Decimal:
        return sum((item.amount for item in self.withheld_payable), ZERO)

    @property
    def unpaid_total(self) -> Decimal:
        """Due to the family besides the withheld months: months no plan paid, unreleased arrears, failed
        payments not re-issued."""
        parts = (*self.unpaid_due, *self.arrears_payable, *self.failed_payable)
        return sum((item.amount for item in parts), ZERO)

    @property
    def dropped_total(self) -> Decimal:
        return sum((item.amount for item in (*self.withheld_dropped, *self.arrears_dropped)), ZERO)


def death_months(*, retiree: Retiree, died_on: datetime.date) -> DeathMonths:
    """The months of `retiree` as a death on `died_on` (a date) sorts them. Reads the lines of approved (or
    later) plans only: a draft or submitted plan is made again before it pays anyone."""
    death_month = PensionMonth.of(died_on)
    paid_lines = PayoutLine.objects.filter(retiree=retiree).exclude(plan__status__in=_NOT_PAID)

    recovered: list[MonthAmount] = []
    failed_not_due: list[MonthAmount] = []
    after = paid_lines.filter(plan__month__gt=death_month.number, is_withheld=False, regular__gt=0)
    late_arrears = dict(
        ArrearsRelease.objects.filter(line__in=after, arrears_item__month__gt=death_month.number)
        .values_list("line_id")
        .annotate(total=Sum("arrears_item__amount"))
    )
    already_recovered = set(RecoveryLine.objects.filter(line__in=after).values_list("line_id", flat=True))
    for line_id, month, regular, status, resolution in after.order_by("plan__month").values_list(
        "id", "plan__month", "regular", "payment_status", "failure_resolution__kind"
    ):
        if status == PayoutLine.PaymentStatus.FAILED:
            if resolution is None:
                failed_not_due.append(MonthAmount(as_month(month), regular, line_id=line_id))
            # A failed month paid by hand afterwards was paid after the death all the same: recovered. One
            # re-issued as arrears is recovered with the line that released it (late arrears above).
            if resolution != FailedPaymentResolution.Kind.PAID_BY_HAND:
                continue
        if line_id in already_recovered:
            continue  # a month is recovered once (a death corrected, then registered again)
        amount = regular + late_arrears.get(line_id, ZERO)
        recovered.append(MonthAmount(as_month(month), amount, line_id=line_id))

    withheld_payable: list[MonthAmount] = []
    withheld_dropped: list[MonthAmount] = []
    for line_id, month, withheld in (
        paid_lines.filter(is_withheld=True, withheld__gt=0, withheld_release__isnull=True)
        .order_by("plan__month")
        .values_list("id", "plan__month", "withheld")
    ):
        item = MonthAmount(as_month(month), withheld, line_id=line_id)
        (withheld_payable if item.month <= death_month else withheld_dropped).append(item)

    arrears_payable: list[MonthAmount] = []
    arrears_dropped: list[MonthAmount] = []
    for item_id, month, amount in (
        ArrearsItem.objects.filter(retiree=retiree, release__isnull=True)
        .order_by("month", "id")
        .values_list("id", "month", "amount")
    ):
        entry = MonthAmount(as_month(month), amount, arrears_item_id=item_id)
        (arrears_payable if entry.month <= death_month else arrears_dropped).append(entry)

    failed_payable = [
        MonthAmount(as_month(month), net, line_id=line_id)
        for line_id, month, net in paid_lines.filter(
            plan__month__lte=death_month.number,
            payment_status=PayoutLine.PaymentStatus.FAILED,
            failure_resolution__isnull=True,
        )
        .order_by("plan__month")
        .values_list("id", "plan__month", "net")
    ]

    return DeathMonths(
        death_month=death_month,
        recovered=tuple(recovered),
        failed_not_due=tuple(failed_not_due),
        withheld_payable=tuple(withheld_payable),
        unpaid_due=tuple(_unpaid_due(retiree, death_month, paid_lines)),
        arrears_payable=tuple(arrears_payable),
        failed_payable=tuple(failed_payable),
        withheld_dropped=tuple(withheld_dropped),
        arrears_dropped=tuple(arrears_dropped),
    )


def _unpaid_due(
    retiree: Retiree, death_month: PensionMonth, paid_lines: QuerySet[PayoutLine]
) -> list[MonthAmount]:
    """Months up to the death month that no approved plan has a line for: from the first month plans pay
    this person (PAYOUT_FIRST_MONTH, or regular_payment_from when later) to the death month, at the rate in
    force each month. An arrears item already covering the month (e.g. a re-issue) is not counted twice:
    those are in arrears_payable."""
    start = first_payout_month()
    if retiree.regular_payment_from is not None:
        start = max(start, as_month(retiree.regular_payment_from))
    if start > death_month:
        return []
    covered = {
        as_month(month)
        for month in paid_lines.filter(
            plan__month__gte=start.number, plan__month__lte=death_month.number
        ).values_list("plan__month", flat=True)
    }
    covered |= {
        as_month(month)
        for month in ArrearsItem.objects.filter(
            retiree=retiree, reason=ArrearsItem.Reason.DUE_BEFORE_DEATH
        ).values_list("month", flat=True)
    }
    rates = list(PensionRate.objects.filter(retiree=retiree))
    out: list[MonthAmount] = []
    month = start
    while month <= death_month:
        rate = rate_in_force(rates, month)
        if month not in covered and rate is not None and rate.amount > 0:
            out.append(MonthAmount(month, rate.amount))
        month = month.next()
    return out
