"""One-off payments (一次性支付): money to a payee who is not one of the month's pensioners, such as the
family of a deceased retiree paid their approved claim (docs/one-off-payments.md). Payments are gathered in
one batch per month, which moves like a payout plan and goes out through the same bank files and return files.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

import pghistory
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.formats import yuan
from registry.models import ArrearsItem, Bank, Retiree, Staff
from registry.months import PensionMonth

from ..errors import PlanError
from ..models import ArrearsRelease, OneOffBatch, OneOffBatchTransition, OneOffPayment

_CENT = Decimal("0.01")
Status = OneOffBatch.Status
Payment = OneOffPayment.PaymentStatus


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


# ---- the batch's state: one door (docs/one-off-payments.md)

_MOVES: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: frozenset({Status.APPROVED, Status.DRAFT}),
    Status.APPROVED: frozenset({Status.FUNDED}),
    Status.FUNDED: frozenset({Status.EXPORTED}),
    Status.EXPORTED: frozenset({Status.RECONCILED}),
    Status.RECONCILED: frozenset(),
}


def one_off_batch_digest(*, batch: OneOffBatch) -> str:
    """sha256 of the batch's payees, accounts and amounts, one text line per payment in id order. Stored at
    submission; recomputed at approval and funding, it shows the payments are still what was submitted (the
    database also refuses any change to them from submission on: migration
    0015_submitted_one_off_batches_are_frozen). The payment result (filled by return files) is not part of
    it."""
    digest = hashlib.sha256()
    rows = (
        OneOffPayment.objects.filter(batch=batch)
        .order_by("id")
        .values_list(
            "id",
            "kind",
            "source_id",
            "retiree_id",
            "payee_name",
            "payee_id_number",
            "bank_id",
            "account_number",
            "holder_name",
            "amount",
            "reissue_of_id",
        )  # fmt: skip
    )
    for row in rows:
        digest.update(("|".join("" if value is None else str(value) for value in row) + "\n").encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class BatchFigures:
    """What a person was shown of a batch before acting on it: its payment count and total. Pages and the API
    pass them; the service compares them with the locked batch, so a batch that changed in between is never
    submitted, approved or rejected on figures nobody saw."""

    payment_count: int
    total: Decimal

    @classmethod
    def of(cls, batch: OneOffBatch) -> BatchFigures:
        return cls(payment_count=batch.payment_count, total=batch.total)


def one_off_batch_figures_check(*, batch: OneOffBatch, seen: BatchFigures) -> None:
    if BatchFigures.of(batch) != seen:
        raise PlanError(
            _(
                "一次性支付批次在您核对后已有变化:现为 %(count)d 笔、合计 %(total)s。"
                "请核对最新的笔数和金额后再操作。"
            )
            % {"count": batch.payment_count, "total": yuan(batch.total)},
            field="total",
        )


def _totals_check(batch: OneOffBatch) -> None:
    """The stored count and total equal the payments' (they are what the approver and the funding saw)."""
    sums = OneOffPayment.objects.filter(batch=batch).aggregate(count=Count("id"), total=Sum("amount"))
    if (sums["count"], sums["total"] or Decimal("0.00")) != (batch.payment_count, batch.total):
        raise PlanError(_("%(month)s 一次性支付批次的合计与明细不符。") % {"month": batch.month})


def _unchanged_since_submission(batch: OneOffBatch) -> None:
    if one_off_batch_digest(batch=batch) != batch.lines_hash:
        raise PlanError(_("%(month)s 一次性支付批次的明细与提交时不一致。") % {"month": batch.month})
    _totals_check(batch)


def _transition(
    *,
    batch: OneOffBatch,
    to_status: str,
    by: Staff,
    action: Action,
    reason: str = "",
    check: Callable[[OneOffBatch], list[str]] | None = None,
) -> OneOffBatch:
    """Move `batch` to `to_status`. `check` validates the locked batch and returns the fields it changed."""
    access.require(by, action)
    with transaction.atomic(), pghistory.context(source="one_off_batch_transition", user=by.pk):
        # Lock the batch row: two reviewers approving at once, or an approval racing a payment being added
        # (one_off_payment_add locks the same row), would each read the old state and both succeed.
        locked = OneOffBatch.objects.select_for_update().get(pk=batch.pk)
        from_status = locked.status
        if to_status not in _MOVES[from_status]:
            raise PlanError(
                _("%(month)s 的一次性支付批次不能从“%(from)s”变为“%(to)s”。")
                % {"month": locked.month, "from": Status(from_status).label, "to": Status(to_status).label}
            )
        changed = check(locked) if check else []
        locked.status = to_status
        locked.save(update_fields=["status", *changed])
        OneOffBatchTransition.objects.create(
            batch=locked,
            from_status=from_status,
            to_status=to_status,
            by=by,
            at=timezone.now(),
            reason=reason,
        )
    for name in ("status", *changed):
        setattr(batch, name, getattr(locked, name))
    return batch


def one_off_batch_submit(*, batch: OneOffBatch, by: Staff, seen: BatchFigures | None = None) -> OneOffBatch:
    """A clerk hands the draft batch over for approval; its payments are frozen from here (a claim approved
    now goes into next month's batch, `_open_batch`)."""

    def check(locked: OneOffBatch) -> list[str]:
        if seen is not None:
            one_off_batch_figures_check(batch=locked, seen=seen)
        if locked.payment_count == 0:
            raise PlanError(_("一次性支付批次没有支付明细,不能提交。"))
        _totals_check(locked)
        locked.submitted_by, locked.submitted_at = by, timezone.now()
        locked.rejection_reason = ""
        locked.lines_hash = one_off_batch_digest(batch=locked)
        return ["submitted_by", "submitted_at", "rejection_reason", "lines_hash"]

    return _transition(
        batch=batch, to_status=Status.SUBMITTED, by=by, action=Action.PREPARE_PAYMENTS, check=check
    )


def one_off_batch_approve(*, batch: OneOffBatch, by: Staff, seen: BatchFigures | None = None) -> OneOffBatch:
    """Someone other than the submitter approves (the database refuses it too:
    oneoffbatch_approver_is_not_submitter). `seen`: the figures the approver confirmed."""

    def check(locked: OneOffBatch) -> list[str]:
        if locked.submitted_by_id == by.pk:
            raise PlanError(_("不能审批自己提交的一次性支付批次,请由其他审核人员办理。"))
        if seen is not None:
            one_off_batch_figures_check(batch=locked, seen=seen)
        _unchanged_since_submission(locked)
        locked.approved_by, locked.approved_at = by, timezone.now()
        return ["approved_by", "approved_at"]

    return _transition(
        batch=batch, to_status=Status.APPROVED, by=by, action=Action.APPROVE_PAYMENTS, check=check
    )


def one_off_batch_reject(
    *, batch: OneOffBatch, by: Staff, reason: str, seen: BatchFigures | None = None
) -> OneOffBatch:
    """The reviewer sends a submitted batch back to draft, saying why; payments may be added again."""
    reason = reason.strip()
    if not reason:
        raise PlanError(_("请填写退回原因。"), field="reason")

    def check(locked: OneOffBatch) -> list[str]:
        if locked.submitted_by_id == by.pk:
            raise PlanError(_("不能退回自己提交的一次性支付批次,请由其他审核人员办理。"))
        if seen is not None:
            one_off_batch_figures_check(batch=locked, seen=seen)
        locked.submitted_by, locked.submitted_at = None, None
        locked.rejection_reason = reason[:300]
        locked.lines_hash = ""
        return ["submitted_by", "submitted_at", "rejection_reason", "lines_hash"]

    return _transition(
        batch=batch, to_status=Status.DRAFT, by=by, action=Action.APPROVE_PAYMENTS, reason=reason, check=check
    )


def one_off_batch_mark_funded(*, batch: OneOffBatch, by: Staff, reason: str = "") -> OneOffBatch:
    """Every bank's transfer is recorded (pensions.services.funding checks each amount); this is the move."""

    def check(locked: OneOffBatch) -> list[str]:
        _unchanged_since_submission(locked)
        return []

    return _transition(
        batch=batch,
        to_status=Status.FUNDED,
        by=by,
        action=Action.APPROVE_PAYMENTS,
        reason=reason,
        check=check,
    )


def one_off_batch_mark_exported(*, batch: OneOffBatch, by: Staff, reason: str = "") -> OneOffBatch:
    """The bank files have been made from the submitted payments: frozen by the database since submission
    and proven against the hash at approval and funding, as a plan's lines are (plan_mark_exported)."""
    return _transition(
        batch=batch, to_status=Status.EXPORTED, by=by, action=Action.PREPARE_PAYMENTS, reason=reason
    )


def one_off_batch_mark_reconciled(*, batch: OneOffBatch, by: Staff, reason: str = "") -> OneOffBatch:
    def check(locked: OneOffBatch) -> list[str]:
        waiting = OneOffPayment.objects.filter(batch=locked, payment_status=Payment.PENDING).count()
        if waiting:
            raise PlanError(_("还有 %(count)d 笔支付没有银行回盘结果,不能对账完成。") % {"count": waiting})
        return []

    return _transition(
        batch=batch,
        to_status=Status.RECONCILED,
        by=by,
        action=Action.PREPARE_PAYMENTS,
        reason=reason,
        check=check,
    )


# ---- a failed payment, fixed and paid again once


@transaction.atomic
def one_off_payment_reissue(
    *, payment: OneOffPayment, bank: Bank, account_number: str, holder_name: str, by: Staff
) -> OneOffPayment:
    """Pay a failed payment again, once, to the corrected account: a new payment of the same amount, payee and
    source in the open draft batch (this month's, or a later one if this month's is already submitted).
    Refused for a payment that did not fail or was already re-issued (the database keeps `reissue_of`
    one-to-one as the last line of defence)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    account_number = account_number.strip()
    holder_name = holder_name.strip()
    if not account_number.isdigit() or len(account_number) > 32:
        raise PlanError(_("账号只能是数字,最长 32 位。"), field="account_number")
    if not holder_name or len(holder_name) > 50:
        raise PlanError(_("请填写户名(最长 50 个字)。"), field="holder_name")
    # Lock the failed payment: two clerks re-issuing it at once would both find it without a re-issue.
    locked = OneOffPayment.objects.select_for_update().get(pk=payment.pk)
    if locked.payment_status != Payment.FAILED:
        raise PlanError(
            _("%(name)s 的支付没有失败(%(status)s),不能重发。")
            % {"name": locked.payee_name, "status": Payment(locked.payment_status).label}
        )
    if OneOffPayment.objects.filter(reissue_of=locked).exists():
        raise PlanError(_("%(name)s 的失败支付已重发过,不能再次重发。") % {"name": locked.payee_name})
    batch = _open_batch(from_month=PensionMonth.of(timezone.localdate()))
    with pghistory.context(source="one_off_payment_reissue", user=by.pk):
        reissue = OneOffPayment.objects.create(
            batch=batch,
            kind=locked.kind,
            source_id=locked.source_id,
            retiree_id=locked.retiree_id,
            township_id=locked.township_id,
            payee_name=locked.payee_name,
            payee_id_number=locked.payee_id_number,
            bank=bank,
            account_number=account_number,
            holder_name=holder_name,
            amount=locked.amount,
            reissue_of=locked,
            created_by=by,
            created_at=timezone.now(),
        )
        one_off_batch_totals_store(batch=batch)
    return reissue
