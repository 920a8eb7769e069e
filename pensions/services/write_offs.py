"""Write-off requests (申请核销 → 审批): a clerk asks to give up the balance of a recovery, with the reason; a
reviewer who is neither the requester nor whoever recorded the recovery approves (which writes the
RecoveryWriteOff through recovery_write_off) or rejects with a note (docs/approvals.md, "Recovery
write-offs").
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.models import Recovery, Staff

from ..errors import PlanError
from ..models import RecoveryWriteOff, WriteOffRequest
from .locks import plan_generation_lock
from .recoveries import _locked_open_recovery, recovery_write_off

_NOTE_MAX = 300


def _checked_text(text: str, *, field: str, empty: str, too_long: str) -> str:
    text = text.strip()
    if not text:
        raise PlanError(empty, field=field)
    if len(text) > _NOTE_MAX:
        raise PlanError(too_long, field=field)
    return text


@transaction.atomic
def write_off_request(*, recovery: Recovery, reason: str, by: Staff) -> WriteOffRequest:
    """Ask for the balance of an open recovery to be written off (PREPARE_PAYMENTS: the clerks who record
    recoveries and refunds). Refused for a recovery that is not open or has no balance, and while another
    request of it waits."""
    access.require(by, Action.PREPARE_PAYMENTS)
    reason = _checked_text(reason, field="reason", empty=_("请填写核销原因。"), too_long=_("核销原因过长。"))
    # The recovery's row lock: two clerks asking at once are serialized here, and the second one sees the
    # first one's pending request (the partial unique constraint is the last line behind it).
    locked, balance = _locked_open_recovery(recovery)
    if WriteOffRequest.objects.filter(recovery=locked, status=WriteOffRequest.Status.PENDING).exists():
        raise PlanError(_("该追回项已有待审批的核销申请。"))
    try:
        with transaction.atomic(), pghistory.context(source="write_off_request", user=by.pk):
            return WriteOffRequest.objects.create(
                recovery=locked,
                reason=reason,
                balance_at_request=balance,
                recovery_created_by_id=locked.created_by_id,
                requested_by=by,
                requested_at=timezone.now(),
            )
    except IntegrityError as error:  # pragma: no cover - the row lock above keeps this from happening
        raise PlanError(_("该追回项已有待审批的核销申请。")) from error


def _locked_pending(request: WriteOffRequest, by: Staff) -> WriteOffRequest:
    """The request row locked (two reviewers deciding at once: the second waits, then finds it decided),
    refused unless still pending and unless `by` may decide it (four eyes: neither the requester nor the
    recovery's creator; the database holds the same rule)."""
    access.require(by, Action.APPROVE_PAYMENTS)
    locked = WriteOffRequest.objects.select_for_update().select_related("recovery").get(pk=request.pk)
    if locked.status != WriteOffRequest.Status.PENDING:
        raise PlanError(
            _("该核销申请已是“%(status)s”状态。") % {"status": WriteOffRequest.Status(locked.status).label}
        )
    if locked.requested_by_id == by.pk:
        raise PlanError(_("不能审批自己提交的核销申请,请由其他审核人员审批。"))
    if locked.recovery_created_by_id == by.pk:
        raise PlanError(_("不能核销自己登记的追回项,请由其他审核人员核销。"))
    return locked


@transaction.atomic
def write_off_request_approve(
    *, request: WriteOffRequest, by: Staff, expected_balance: Decimal
) -> RecoveryWriteOff:
    """Approve a pending request: the recovery's whole balance is written off (recovery_write_off, with its
    checks: open, no unapproved plan deducting from it, the balance the reviewer confirmed is still the
    balance). Any refusal leaves both the request and the recovery as they were."""
    access.require(by, Action.APPROVE_PAYMENTS)  # before waiting for any lock
    # The plan-generation lock before any row lock, the order every recovery write takes (recoveries.py).
    plan_generation_lock()
    locked = _locked_pending(request, by)
    write_off = recovery_write_off(write_off_request=locked, by=by, expected_balance=expected_balance)
    with pghistory.context(source="write_off_request_approve", user=by.pk):
        locked.status = WriteOffRequest.Status.APPROVED
        locked.decided_by = by
        locked.decided_at = write_off.at
        locked.save(update_fields=["status", "decided_by", "decided_at"])
    return write_off


@transaction.atomic
def write_off_request_reject(*, request: WriteOffRequest, by: Staff, note: str) -> WriteOffRequest:
    """Reject a pending request, saying why. The recovery stays open and is collected as before; the clerk
    may ask again."""
    note = _checked_text(note, field="note", empty=_("请填写驳回理由。"), too_long=_("驳回理由过长。"))
    locked = _locked_pending(request, by)
    with pghistory.context(source="write_off_request_reject", user=by.pk):
        locked.status = WriteOffRequest.Status.REJECTED
        locked.decided_by = by
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return locked
