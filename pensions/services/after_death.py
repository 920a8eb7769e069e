"""What a confirmed death does to money at once, and what correcting a wrong death gives back
(docs/deaths.md "What confirmation does to money", "The correction").

- after_death_settle: the months a plan paid after the death month are recovered (冒领/多发): ONE recovery
  (reason after_death) through the registry, one RecoveryLine per month on the paid line; a month after the
  death month that the bank returned failed was never paid, so it gets a "not due" resolution (never
  re-issued, not recovered). The months up to the death month (withheld, unpaid, unreleased arrears) are paid
  to the family with the claim (benefits); nothing is written for them here.
- death_correction_release: the person is alive. Every month an approved plan left them out while they were
  recorded deceased becomes an arrears item (恢复发放补发), every month a "not due" resolution stopped is
  re-issued, and every withheld line not yet released is released (withheld_release), each exactly once.

Both read pensions.selectors.deaths.death_months, the one reader of what a death does to each month.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import ArrearsItem, PensionRate, Recovery, Retiree, Staff
from registry.months import PensionMonth
from registry.selectors.changes import as_month, rate_in_force
from registry.services import recovery_open

from ..models import FailedPaymentResolution, PayoutLine, PayoutPlan, RecoveryLine
from ..selectors.deaths import DeathMonths, death_months
from .plans import first_payout_month
from .withheld import withheld_release

_NOT_PAID = (PayoutPlan.Status.DRAFT, PayoutPlan.Status.SUBMITTED)
# The note on the arrears items a correction makes, so a later correction (the same person wrongly
# registered dead twice) never pays a month twice.
CORRECTION_NOTE = "误报死亡更正补发"


@dataclass(frozen=True)
class AfterDeathSettlement:
    """What after_death_settle found (the months) and did (the recovery, the not-due resolutions)."""

    months: DeathMonths
    recovery: Recovery | None
    not_due_line_ids: tuple[int, ...]


@transaction.atomic
def after_death_settle(*, retiree: Retiree, died_on: datetime.date, by: Staff) -> AfterDeathSettlement:
    """Open the after-death recovery and stop the failed months after the death month. The caller has
    recorded the death (registry) and holds the retiree's row lock, so two confirmations never both get
    here; the one-to-one keys of RecoveryLine and FailedPaymentResolution refuse a month twice anyway."""
    months = death_months(retiree=retiree, died_on=died_on)
    recovery = None
    if months.recovered:
        recovery = recovery_open(
            retiree=retiree,
            reason=Recovery.Reason.AFTER_DEATH,
            from_month=months.recovered[0].month,
            to_month=months.recovered[-1].month,
            amount=months.recovered_total,
            note=_("%(date)s 死亡,死亡次月起多发养老金") % {"date": died_on.isoformat()},
            by=by,
        )
        RecoveryLine.objects.bulk_create(
            RecoveryLine(recovery=recovery, line_id=item.line_id, month=item.month.number, amount=item.amount)
            for item in months.recovered
            if item.line_id is not None
        )
    now = timezone.now()
    FailedPaymentResolution.objects.bulk_create(
        FailedPaymentResolution(
            line_id=item.line_id, kind=FailedPaymentResolution.Kind.NOT_DUE, by=by, at=now
        )
        for item in months.failed_not_due
        if item.line_id is not None
    )
    return AfterDeathSettlement(
        months=months,
        recovery=recovery,
        not_due_line_ids=tuple(item.line_id for item in months.failed_not_due if item.line_id),
    )


@dataclass(frozen=True)
class CorrectionRelease:
    unpaid: tuple[ArrearsItem, ...]  # months approved plans left out while recorded deceased
    reissued: tuple[ArrearsItem, ...]  # failed months a "not due" resolution had stopped
    withheld: tuple[ArrearsItem, ...]  # withheld lines released

    @property
    def total(self) -> Decimal:
        return sum((item.amount for item in (*self.unpaid, *self.reissued, *self.withheld)), Decimal("0.00"))


@transaction.atomic
def death_correction_release(*, retiree: Retiree, died_on: datetime.date, by: Staff) -> CorrectionRelease:
    """The money of a wrong death on `died_on`, given back once the retiree is active again (the caller has
    corrected the status and holds the retiree's row lock). Returns the arrears items made; a second call
    makes none."""
    Retiree.objects.select_for_update().filter(pk=retiree.pk).first()
    paid = PayoutLine.objects.filter(retiree=retiree).exclude(plan__status__in=_NOT_PAID)
    corrected_months = {
        as_month(month)
        for month in ArrearsItem.objects.filter(retiree=retiree)
        .filter(Q(note=CORRECTION_NOTE) | Q(reason=ArrearsItem.Reason.DUE_BEFORE_DEATH))
        .values_list("month", flat=True)
    }

    # Months an approved plan made without them while they were recorded deceased: from the death month (the
    # plans before it had their line; a month before they were in the system is not owed here) and from the
    # first month plans pay this person.
    start = max(first_payout_month(), PensionMonth.of(died_on))
    if retiree.regular_payment_from is not None:
        start = max(start, as_month(retiree.regular_payment_from))
    lined = {as_month(month) for month in paid.values_list("plan__month", flat=True)}
    rates = list(PensionRate.objects.filter(retiree=retiree))
    unpaid: list[ArrearsItem] = []
    for month_value in (
        PayoutPlan.objects.exclude(status__in=_NOT_PAID)
        .filter(month__gte=start.number)
        .order_by("month")
        .values_list("month", flat=True)
    ):
        month = as_month(month_value)
        rate = rate_in_force(rates, month)
        if month in lined or month in corrected_months or rate is None or rate.amount <= 0:
            continue
        unpaid.append(_arrears(retiree, month, rate.amount, ArrearsItem.Reason.RESTORATION, by))

    reissued: list[ArrearsItem] = []
    for month_value, amount in (
        paid.filter(failure_resolution__kind=FailedPaymentResolution.Kind.NOT_DUE)
        .order_by("plan__month")
        .values_list("plan__month", "net")
    ):
        month = as_month(month_value)
        if month not in corrected_months and amount > 0:
            reissued.append(_arrears(retiree, month, amount, ArrearsItem.Reason.FAILED_PAYMENT, by))

    withheld = withheld_release(retiree=retiree, by=by)
    return CorrectionRelease(unpaid=tuple(unpaid), reissued=tuple(reissued), withheld=tuple(withheld))


def _arrears(retiree: Retiree, month: PensionMonth, amount: Decimal, reason: str, by: Staff) -> ArrearsItem:
    return ArrearsItem.objects.create(
        retiree=retiree, month=month.number, amount=amount, reason=reason, note=CORRECTION_NOTE, created_by=by
    )
