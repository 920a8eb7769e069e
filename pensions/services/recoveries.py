"""Recoveries (追回): their status kept in step with the balance, money paid back directly, and the balance
written off when a reviewer approves a clerk's request (pensions.services.write_offs).

A recovery's balance is its amount less what plan lines deducted
(pensions.RecoveryDeduction), less what was refunded (RecoveryRefund), returned by a bank (RecoveryClawback)
or set off against a family's claim (RecoveryOffset), less what was written off (RecoveryWriteOff);
pensions.selectors.recovery_balance reads it, plan generation reads the same sum.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

import pghistory
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.formats import yuan
from registry.models import Recovery, Staff
from registry.services import recoveries_status_sync

from ..errors import PlanError
from ..models import (
    PayoutPlan,
    RecoveryDeduction,
    RecoveryOffset,
    RecoveryRefund,
    RecoveryWriteOff,
    WriteOffRequest,
)
from .locks import plan_generation_lock

_CENT = Decimal("0.01")


def recoveries_sync_status(*, recovery_ids: Iterable[int]) -> int:
    """Mark these recoveries settled when their balance is 0, and open again when a regenerated draft gave
    back what it had deducted. Written-off recoveries are left alone. Returns how many changed. The status
    is the registry's row: registry.services.recoveries_status_sync writes it, from the balance pensions
    knows."""
    from ..selectors.recoveries import recovery_settling_balance

    return recoveries_status_sync(recovery_ids=recovery_ids, balance=recovery_settling_balance())


def _locked_open_recovery(recovery: Recovery) -> tuple[Recovery, Decimal]:
    """The recovery row locked, refused unless open with a balance above 0; with its balance.

    A caller that changes the balance (a refund, a write-off) holds the plan-generation lock first (always in
    that order, so two of these never wait on each other crosswise): generation reads the open balances and
    records deductions against them in one statement, and a refund or write-off read between the two would
    leave the retiree charged twice. The row lock keeps two refunds, or a refund and a write-off, of the same
    recovery from both reading the same balance. A write-off request changes no balance: it takes the row
    lock alone and waits for nothing after it."""
    from ..selectors.recoveries import recovery_balance

    locked = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if locked.status != Recovery.Status.OPEN:
        raise PlanError(
            _("该追回项是“%(status)s”状态,只能处理待追回的追回项。")
            % {"status": Recovery.Status(locked.status).label}
        )
    balance = recovery_balance(recovery=locked)
    if balance <= 0:
        raise PlanError(_("该追回项已没有待追回余额。"))
    return locked, balance


@transaction.atomic
def recovery_refund_record(
    *,
    recovery: Recovery,
    amount: Decimal,
    reference: str,
    paid_on: datetime.date,
    by: Staff,
    payer: str = "",
) -> RecoveryRefund:
    """Record money of a recovery paid back directly by the retiree or the family (`payer`, printed on the
    receipt; empty for the retiree themself). At most the balance; a balance brought to 0 settles the
    recovery."""
    access.require(by, Action.PREPARE_PAYMENTS)
    payer = payer.strip()
    if len(payer) > RecoveryRefund._meta.get_field("payer").max_length:  # type: ignore[operator]
        raise PlanError(_("缴款人姓名过长。"), field="payer")
    reference = reference.strip()
    if not reference:
        raise PlanError(_("请填写收款凭证号。"), field="reference")
    if len(reference) > RecoveryRefund._meta.get_field("reference").max_length:  # type: ignore[operator]
        raise PlanError(_("收款凭证号过长。"), field="reference")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(_CENT):
        raise PlanError(_("退款金额必须是精确到分的金额。"), field="amount")
    if amount <= 0:
        raise PlanError(_("退款金额必须大于 0。"), field="amount")
    if paid_on > timezone.localdate():
        raise PlanError(_("退款日期不能晚于今天。"), field="paid_on")

    plan_generation_lock()
    locked, balance = _locked_open_recovery(recovery)
    if amount > balance:
        raise PlanError(
            _("退款金额 %(amount)s 超过待追回余额 %(balance)s。")
            % {"amount": yuan(amount), "balance": yuan(balance)},
            field="amount",
        )
    with pghistory.context(source="recovery_refund", user=by.pk):
        refund = RecoveryRefund.objects.create(
            recovery=locked,
            amount=amount,
            reference=reference,
            paid_on=paid_on,
            payer=payer,
            by=by,
            at=timezone.now(),
        )
        recoveries_sync_status(recovery_ids=[locked.pk])
    return refund


def recovery_offset_record(
    *, recovery: Recovery, claim_id: int, amount: Decimal, consent: str, by: Staff
) -> RecoveryOffset:
    """Set `amount` of an open recovery off against a family's claim (benefits calls this when it approves the
    claim, in its transaction). Only with the applicant's consent recorded, at most the balance; a balance
    brought to 0 settles the recovery. Once per recovery and claim."""
    access.require(by, Action.APPROVE_PAYMENTS)
    consent = consent.strip()
    if not consent:
        raise PlanError(_("抵扣须有申请人同意抵扣的记录。"), field="offset_consent")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(_CENT):
        raise PlanError(_("抵扣金额必须是精确到分的金额。"), field="amount")
    if amount <= 0:
        raise PlanError(_("抵扣金额必须大于 0。"), field="amount")
    plan_generation_lock()
    locked, balance = _locked_open_recovery(recovery)
    if amount > balance:
        raise PlanError(
            _("抵扣金额 %(amount)s 超过待追回余额 %(balance)s。")
            % {"amount": yuan(amount), "balance": yuan(balance)},
            field="amount",
        )
    with pghistory.context(source="recovery_offset", user=by.pk):
        offset = RecoveryOffset.objects.create(
            recovery=locked, claim_id=claim_id, amount=amount, consent=consent, by=by, at=timezone.now()
        )
        recoveries_sync_status(recovery_ids=[locked.pk])
    return offset


def recovery_write_off(
    *, write_off_request: WriteOffRequest, by: Staff, expected_balance: Decimal | None = None
) -> RecoveryWriteOff:
    """Give up the balance of an open recovery (核销): the step an approved write-off request takes, and only
    that (pensions.services.write_offs.write_off_request_approve calls it inside its transaction, holding the
    plan-generation lock and the request's row lock). Never by whoever recorded the recovery (four eyes).
    Refused while a plan not yet approved deducts from it: that plan may still be made again, and the
    write-off would then have written off less than the balance it leaves. `expected_balance` is the balance
    the confirmation showed: a balance changed since (a refund, a plan) is refused."""
    access.require(by, Action.APPROVE_PAYMENTS)
    recovery = write_off_request.recovery
    if recovery.created_by_id == by.pk:
        raise PlanError(_("不能核销自己登记的追回项,请由其他审核人员核销。"))

    plan_generation_lock()
    locked, balance = _locked_open_recovery(recovery)
    pending = (
        RecoveryDeduction.objects.filter(
            recovery=locked,
            line__plan__status__in=[PayoutPlan.Status.DRAFT, PayoutPlan.Status.SUBMITTED],
        )
        .values_list("line__plan__month", flat=True)
        .first()
    )
    if expected_balance is not None and expected_balance != balance:
        raise PlanError(
            _("待追回余额已变为 %(balance)s,请核对后重新核销。") % {"balance": yuan(balance)},
            field="expected_balance",
        )
    if pending is not None:
        raise PlanError(
            _("%(month)s 的发放计划尚未审批,其中有对该追回项的扣款。请在计划审批后再核销。")
            % {"month": pending}
        )
    with pghistory.context(source="recovery_write_off", user=by.pk):
        write_off = RecoveryWriteOff.objects.create(
            recovery=locked,
            request=write_off_request,
            amount=balance,
            reason=write_off_request.reason,
            recovery_created_by_id=locked.created_by_id,
            by=by,
            at=timezone.now(),
        )
        locked.status = Recovery.Status.WRITTEN_OFF
        locked.save(update_fields=["status"])
    return write_off
