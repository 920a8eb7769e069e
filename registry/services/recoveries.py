"""Recoveries (追回) are registry rows; the money against them (deductions, refunds, write-offs) is recorded
by pensions. The registry keeps their status: this is the one write of it from outside the admin."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.db.models import Case, CharField, Expression, F, Value, When
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext as _

from ..errors import RecoveryError
from ..models import Recovery, Retiree, Staff
from ..months import PensionMonth


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


@transaction.atomic
def recovery_open(
    *,
    retiree: Retiree,
    reason: str,
    from_month: PensionMonth,
    to_month: PensionMonth,
    amount: Decimal,
    by: Staff,
    note: str = "",
) -> Recovery:
    """A new recovery (追回) of `amount` for the months from `from_month` to `to_month`, e.g. the pension paid
    after a death (pensions.services.after_death). The app that knows the months records them with it."""
    if amount <= 0:
        raise RecoveryError(_("追回金额必须大于0。"), field="amount")
    if from_month > to_month:
        raise RecoveryError(_("追回的起始月份不能晚于截止月份。"), field="from_month")
    return Recovery.objects.create(
        retiree=retiree,
        amount=amount,
        from_month=from_month.number,
        to_month=to_month.number,
        reason=reason,
        note=note[:200],
        created_by=by,
    )


@transaction.atomic
def recovery_cancel(*, recovery: Recovery, note: str = "") -> Recovery:
    """An open recovery that was never owed (a death corrected: the person is alive) → cancelled. The caller
    checks that no money was recorded against it (pensions knows the balance)."""
    # Lock the row: a deduction or a refund recorded at the same moment syncs this status too.
    locked = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if locked.status != Recovery.Status.OPEN:
        raise RecoveryError(
            _("追回项状态为“%(status)s”,不能撤销。") % {"status": Recovery.Status(locked.status).label}
        )
    locked.status = Recovery.Status.CANCELLED
    update_fields = ["status"]
    if note:
        locked.note = note[:200]
        update_fields.append("note")
    locked.save(update_fields=update_fields)
    recovery.status, recovery.note = locked.status, locked.note
    return recovery
