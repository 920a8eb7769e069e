"""Recoveries (追回) are registry rows; the money against them (deductions, refunds, write-offs) is recorded
by pensions. The registry keeps their status: this is the one write of it from outside the admin."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, CharField, Expression, F, Value, When
from django.db.models.lookups import LessThanOrEqual

from ..models import Recovery


@transaction.atomic
def recoveries_status_sync(*, recovery_ids: Iterable[int], balance: Expression) -> int:
    """Mark these recoveries settled when `balance` is 0 or less, open again when it is above 0 (a regenerated
    draft gave back what it had deducted). `balance` is an expression over a Recovery row, built by the app
    that records the money (pensions.selectors.recovery_balance_expression). Written-off recoveries are left
    alone. One UPDATE; rows whose status is already right are not written. Returns how many changed."""
    ids = sorted(set(recovery_ids))
    if not ids:
        return 0
    status = Case(
        When(LessThanOrEqual(balance, Value(Decimal("0"))), then=Value(Recovery.Status.SETTLED)),
        default=Value(Recovery.Status.OPEN),
        output_field=CharField(),
    )
    return (
        Recovery.objects.filter(pk__in=ids, status__in=(Recovery.Status.OPEN, Recovery.Status.SETTLED))
        .alias(synced_status=status)
        .exclude(status=F("synced_status"))
        .update(status=status)
    )
