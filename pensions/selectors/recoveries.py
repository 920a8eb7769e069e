"""Reads of recoveries (追回) with their balance: amount − deducted by plan lines − refunded − returned by a
bank (claw-back) − set off against a family's claim − written off.
Scoped to the retirees the user may see (registry.access.retirees_visible_to)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, Exists, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Coalesce

from registry import access
from registry.access import Action
from registry.models import Recovery
from registry.months import PensionMonth
from registry.selectors.changes import as_month

from ..models import (
    PayoutPlan,
    RecoveryClawback,
    RecoveryDeduction,
    RecoveryLine,
    RecoveryOffset,
    RecoveryReferral,
    RecoveryRefund,
    RecoveryWriteOff,
    WriteOffRequest,
)

ZERO = Decimal("0.00")
_MONEY = DecimalField(max_digits=12, decimal_places=2)


def _sum_of(model: Any, field: str = "amount", **where: Any) -> Coalesce:
    """The sum of `field` over `model`'s rows of the outer recovery (those matching `where`), 0 when there
    are none. A subquery each, so deductions, refunds and the write-off never multiply each other's rows in a
    join."""
    rows = (
        model.objects.filter(recovery=OuterRef("pk"), **where)
        .order_by()
        .values("recovery")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=_MONEY), Value(ZERO), output_field=_MONEY)


def _clawed_back() -> Coalesce:
    return _sum_of(RecoveryClawback, "returned_amount", status=RecoveryClawback.Status.RETURNED)


def recoveries_with_balance(queryset: QuerySet[Recovery] | None = None) -> QuerySet[Recovery]:
    """Recoveries annotated with `deducted`, `refunded`, `clawed_back`, `offset`, `written_off` and
    `balance` (all Decimal)."""
    queryset = Recovery.objects.all() if queryset is None else queryset
    return queryset.annotate(
        deducted=_sum_of(RecoveryDeduction),
        refunded=_sum_of(RecoveryRefund),
        clawed_back=_clawed_back(),
        offset=_sum_of(RecoveryOffset),
        written_off=_sum_of(RecoveryWriteOff),
    ).annotate(
        balance=F("amount")
        - F("deducted")
        - F("refunded")
        - F("clawed_back")
        - F("offset")
        - F("written_off")
    )


def recovery_settling_balance() -> CombinedExpression:
    """The balance that settles or reopens a recovery, as an expression over the Recovery row: amount −
    deducted − refunded − returned by a bank − set off (registry.services.recoveries_status_sync leaves
    written-off recoveries alone, so write-offs are not part of it)."""
    balance = F("amount") - _sum_of(RecoveryDeduction)
    for part in (_sum_of(RecoveryRefund), _clawed_back(), _sum_of(RecoveryOffset)):
        balance = CombinedExpression(balance, "-", part, output_field=_MONEY)
    return balance


def recovery_balance(*, recovery: Recovery) -> Decimal:
    """What is still owed on this recovery, to the fen."""
    # Annotations are invisible to the stubs: read the attribute off the one row.
    row: Any = recoveries_with_balance(Recovery.objects.filter(pk=recovery.pk)).get()
    return Decimal(row.balance)


def recovery_list(
    *,
    user: Any,
    status: str | None = None,
    reason: str | None = None,
    write_off_pending: bool = False,
) -> QuerySet[Recovery]:
    """The recoveries of the retirees `user` may see, with their balance, the oldest first (the order
    deductions take them), optionally of one status and one reason, or only those with a write-off request
    waiting for approval."""
    queryset = Recovery.objects.filter(retiree__in=access.retirees_visible_to(user))
    if status:
        queryset = queryset.filter(status=status)
    if reason:
        queryset = queryset.filter(reason=reason)
    if write_off_pending:
        queryset = queryset.filter(write_off_requests__status=WriteOffRequest.Status.PENDING)
    pending = WriteOffRequest.objects.filter(recovery=OuterRef("pk"), status=WriteOffRequest.Status.PENDING)
    return (
        recoveries_with_balance(queryset)
        .annotate(write_off_pending=Exists(pending))
        .select_related("retiree", "created_by", "write_off__by")
        .order_by("created_at", "id")
    )


def recovery_get(*, user: Any, pk: int) -> Recovery:
    """One recovery the user may see, with its balance (Recovery.DoesNotExist otherwise)."""
    return recovery_list(user=user).get(pk=pk)


@dataclass(frozen=True)
class HistoryDeduction:
    month: PensionMonth
    plan_id: int
    plan_status: str
    plan_status_label: str
    amount: Decimal


@dataclass(frozen=True)
class RecoveryHistory:
    deductions: tuple[HistoryDeduction, ...]
    refunds: tuple[RecoveryRefund, ...]
    write_off: RecoveryWriteOff | None
    write_off_requests: tuple[WriteOffRequest, ...]  # newest first; at most one pending
    # An after-death recovery's months (with the plan line that paid each), oldest first.
    months: tuple[RecoveryLine, ...] = ()
    clawbacks: tuple[RecoveryClawback, ...] = ()  # in the order requested
    offsets: tuple[RecoveryOffset, ...] = ()
    referral: RecoveryReferral | None = None

    @property
    def pending_request(self) -> WriteOffRequest | None:
        return next(
            (item for item in self.write_off_requests if item.status == WriteOffRequest.Status.PENDING), None
        )


def recovery_history(*, recovery: Recovery) -> RecoveryHistory:
    """What happened to a recovery: deductions by plan month, refunds in the order recorded, the write-off."""
    deductions = tuple(
        HistoryDeduction(
            month=as_month(month),
            plan_id=plan_id,
            plan_status=status,
            plan_status_label=str(PayoutPlan.Status(status).label),
            amount=amount,
        )
        for month, plan_id, status, amount in RecoveryDeduction.objects.filter(recovery=recovery)
        .order_by("line__plan__month", "id")
        .values_list("line__plan__month", "line__plan_id", "line__plan__status", "amount")
    )
    refunds = tuple(
        RecoveryRefund.objects.filter(recovery=recovery).select_related("by").order_by("at", "id")
    )
    write_off = RecoveryWriteOff.objects.filter(recovery=recovery).select_related("by").first()
    requests = tuple(
        WriteOffRequest.objects.filter(recovery=recovery)
        .select_related("requested_by", "decided_by")
        .order_by("-requested_at", "-id")
    )
    months = tuple(
        RecoveryLine.objects.filter(recovery=recovery)
        .select_related("line__plan", "line__bank")
        .order_by("month", "id")
    )
    clawbacks = tuple(
        RecoveryClawback.objects.filter(recovery=recovery)
        .select_related("bank", "requested_by", "result_by")
        .order_by("requested_at", "id")
    )
    offsets = tuple(
        RecoveryOffset.objects.filter(recovery=recovery).select_related("by").order_by("at", "id")
    )
    referral = RecoveryReferral.objects.filter(recovery=recovery).select_related("by").first()
    return RecoveryHistory(
        deductions=deductions,
        refunds=refunds,
        write_off=write_off,
        write_off_requests=requests,
        months=months,
        clawbacks=clawbacks,
        offsets=offsets,
        referral=referral,
    )


def write_off_request_pending(*, recovery: Recovery) -> WriteOffRequest | None:
    """The request of this recovery waiting for approval, if any."""
    return (
        WriteOffRequest.objects.filter(recovery=recovery, status=WriteOffRequest.Status.PENDING)
        .select_related("requested_by")
        .first()
    )


def write_off_request_get(*, user: Any, pk: int) -> WriteOffRequest:
    """One request whose retiree the user may see (WriteOffRequest.DoesNotExist otherwise)."""
    return WriteOffRequest.objects.select_related("recovery", "requested_by").get(
        pk=pk, recovery__retiree__in=access.retirees_visible_to(user)
    )


def write_off_requests_awaiting(*, user: Any) -> QuerySet[WriteOffRequest]:
    """Pending write-off requests this reviewer may decide, oldest first: APPROVE_PAYMENTS, the retiree in
    their scope, neither requested by them nor of a recovery they recorded (the rule
    services.write_offs enforces)."""
    if not access.can(user, Action.APPROVE_PAYMENTS):
        return WriteOffRequest.objects.none()
    return (
        WriteOffRequest.objects.filter(
            status=WriteOffRequest.Status.PENDING,
            recovery__retiree__in=access.retirees_visible_to(user),
        )
        .exclude(requested_by=user.pk)
        .exclude(recovery_created_by=user.pk)
        .order_by("requested_at", "id")
    )
