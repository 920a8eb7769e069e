"""Following up an after-death recovery (追回, docs/recoveries.md): the bank asked to return money from the
deceased's account (银行协助退回) and its answer, the referral for legal action (移送司法), a month whose
payment the bank failed (never paid, so not owed), and the record of each receipt or letter printed.

Refunds at the counter are pensions.services.recoveries.recovery_refund_record; offsets against a family's
claim are recovery_offset_record (called by benefits); write-offs go through pensions.services.write_offs.
Everything that lowers a balance holds the plan-generation lock first, then the recovery's row lock (the
order pensions.services.recoveries._locked_open_recovery explains).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

import pghistory
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.formats import yuan
from registry.models import Bank, Recovery, Staff

from ..bankfiles import payment_reference
from ..errors import PlanError
from ..models import (
    FailedPaymentResolution,
    PayoutLine,
    RecoveryClawback,
    RecoveryDocumentPrint,
    RecoveryLine,
    RecoveryReferral,
    RecoveryRefund,
)
from .locks import plan_generation_lock
from .recoveries import _locked_open_recovery, recoveries_sync_status

_CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The reference of a claw-back recorded for a month the bank failed to pay: "回盘失败" + the line's reference.
FAILED_RETURN_REFERENCE = "回盘失败"


def _text(value: str, *, field: str, max_length: int, label: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise PlanError(_("请填写%(label)s。") % {"label": label}, field=field)
    if len(value) > max_length:
        raise PlanError(
            _("%(label)s不能超过 %(max)d 个字。") % {"label": label, "max": max_length}, field=field
        )
    return value


def _money(amount: Decimal, *, field: str) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount != amount.quantize(_CENT):
        raise PlanError(_("金额必须是精确到分的金额。"), field=field)
    if amount <= 0:
        raise PlanError(_("金额必须大于 0。"), field=field)
    return amount


def clawback_attributable(*, recovery: Recovery, bank_id: int) -> Decimal:
    """What of the recovery's months was paid through `bank_id` and not yet returned by that bank: the sum of
    the RecoveryLines whose plan line went to the bank, less what the bank already returned. Not capped by
    the balance (the caller does that)."""
    paid = RecoveryLine.objects.filter(recovery=recovery, line__bank_id=bank_id).aggregate(
        total=Sum("amount")
    )["total"]
    returned = RecoveryClawback.objects.filter(
        recovery=recovery, bank_id=bank_id, status=RecoveryClawback.Status.RETURNED
    ).aggregate(total=Sum("returned_amount"))["total"]
    return (paid or ZERO) - (returned or ZERO)


@transaction.atomic
def recovery_clawback_request(*, recovery: Recovery, bank: Bank, by: Staff) -> RecoveryClawback:
    """Ask `bank` to return from the deceased's account what the after-death months paid there
    (PREPARE_PAYMENTS): the amount attributable to that bank's months, capped by the balance, to the account
    the latest of those months was paid to. One request waiting per recovery and bank. The letter and the
    account list are printed from the request (pensions.pdfs.recovery_documents)."""
    access.require(by, Action.PREPARE_PAYMENTS)
    # The row lock alone: a request changes no balance. Two clerks asking at once are serialized here and
    # the second finds the first one's request (the partial unique constraint is the last line behind it).
    locked, balance = _locked_open_recovery(recovery)
    if locked.reason != Recovery.Reason.AFTER_DEATH:
        raise PlanError(_("只有死亡后多发的追回项可以请银行协助退回。"), field="bank")
    if RecoveryClawback.objects.filter(
        recovery=locked, bank=bank, status=RecoveryClawback.Status.REQUESTED
    ).exists():
        raise PlanError(
            _("已向%(bank)s发出退回函,请先登记银行的办理结果。") % {"bank": bank.name}, field="bank"
        )
    last = (
        RecoveryLine.objects.filter(recovery=locked, line__bank_id=bank.pk)
        .select_related("line")
        .order_by("-month")
        .first()
    )
    if last is None:
        raise PlanError(
            _("该追回项没有经%(bank)s发放的月份,不能请该银行退回。") % {"bank": bank.name}, field="bank"
        )
    amount = min(clawback_attributable(recovery=locked, bank_id=bank.pk), balance)
    if amount <= 0:
        raise PlanError(_("经%(bank)s发放的月份已全部退回。") % {"bank": bank.name}, field="bank")
    try:
        with transaction.atomic(), pghistory.context(source="recovery_clawback_request", user=by.pk):
            return RecoveryClawback.objects.create(
                recovery=locked,
                bank=bank,
                account_number=last.line.account_number,
                holder_name=last.line.holder_name or last.line.name,
                requested_amount=amount,
                requested_by=by,
                requested_at=timezone.now(),
            )
    except IntegrityError as error:  # pragma: no cover - the row lock above keeps this from happening
        raise PlanError(_("已向%(bank)s发出退回函。") % {"bank": bank.name}, field="bank") from error


def _locked_requested(clawback: RecoveryClawback) -> RecoveryClawback:
    locked = RecoveryClawback.objects.select_for_update().select_related("bank").get(pk=clawback.pk)
    if locked.status != RecoveryClawback.Status.REQUESTED:
        raise PlanError(
            _("该退回请求已是“%(status)s”状态。") % {"status": RecoveryClawback.Status(locked.status).label}
        )
    return locked


@transaction.atomic
def recovery_clawback_result(
    *,
    clawback: RecoveryClawback,
    returned_amount: Decimal | None,
    returned_on: datetime.date | None,
    reference: str,
    by: Staff,
    note: str = "",
) -> RecoveryClawback:
    """Record the bank's answer to a claw-back request (PREPARE_PAYMENTS). Returned: an amount above 0, at
    most the amount requested and at most the balance, the day it came back and the bank's voucher
    reference; the balance falls by it and a balance brought to 0 settles the recovery. Refused
    (`returned_amount` None): the bank's reason in `note`; the balance is unchanged and a new request to
    the bank may follow."""
    access.require(by, Action.PREPARE_PAYMENTS)
    note = _text(note, field="note", max_length=200, label=_("说明"), required=returned_amount is None)
    if returned_amount is None:
        locked = _locked_requested(clawback)
        with pghistory.context(source="recovery_clawback_result", user=by.pk):
            locked.status = RecoveryClawback.Status.REFUSED
            locked.result_note = note
            locked.result_by = by
            locked.result_at = timezone.now()
            locked.save(update_fields=["status", "result_note", "result_by", "result_at"])
        return locked

    amount = _money(returned_amount, field="returned_amount")
    reference = _text(reference, field="reference", max_length=64, label=_("退回凭证号"))
    if returned_on is None:
        raise PlanError(_("请填写退回日期。"), field="returned_on")
    if returned_on > timezone.localdate():
        raise PlanError(_("退回日期不能晚于今天。"), field="returned_on")
    plan_generation_lock()
    locked = _locked_requested(clawback)
    if returned_on < timezone.localtime(locked.requested_at).date():
        raise PlanError(_("退回日期不能早于发函日期。"), field="returned_on")
    recovery, balance = _locked_open_recovery(locked.recovery)
    if amount > locked.requested_amount:
        raise PlanError(
            _("退回金额 %(amount)s 超过请求退回金额 %(requested)s。")
            % {"amount": yuan(amount), "requested": yuan(locked.requested_amount)},
            field="returned_amount",
        )
    if amount > balance:
        raise PlanError(
            _("退回金额 %(amount)s 超过待追回余额 %(balance)s。")
            % {"amount": yuan(amount), "balance": yuan(balance)},
            field="returned_amount",
        )
    with pghistory.context(source="recovery_clawback_result", user=by.pk):
        locked.status = RecoveryClawback.Status.RETURNED
        locked.returned_amount = amount
        locked.returned_on = returned_on
        locked.returned_reference = reference
        locked.result_note = note
        locked.result_by = by
        locked.result_at = timezone.now()
        locked.save(
            update_fields=[
                "status",
                "returned_amount",
                "returned_on",
                "returned_reference",
                "result_note",
                "result_by",
                "result_at",
            ]
        )
        recoveries_sync_status(recovery_ids=[recovery.pk])
    return locked


# Referral for legal action ----------------------------------------------------------------------------------

_REFERRAL_MOVES = {
    RecoveryReferral.Status.REFERRED: {
        RecoveryReferral.Status.REFERRED,
        RecoveryReferral.Status.IN_PROCEEDINGS,
        RecoveryReferral.Status.CLOSED,
    },
    RecoveryReferral.Status.IN_PROCEEDINGS: {
        RecoveryReferral.Status.IN_PROCEEDINGS,
        RecoveryReferral.Status.CLOSED,
    },
    RecoveryReferral.Status.CLOSED: set(),
}


@transaction.atomic
def recovery_referral_create(
    *,
    recovery: Recovery,
    agency: str,
    referred_on: datetime.date,
    case_number: str = "",
    note: str = "",
    by: Staff,
) -> RecoveryReferral:
    """Record that an open recovery was referred for legal action (PREPARE_PAYMENTS): to which agency, when,
    the case number if one was given. Once per recovery; its later course is recovery_referral_update. The
    money the court recovers comes back as a refund; the balance is unchanged by the referral itself."""
    access.require(by, Action.PREPARE_PAYMENTS)
    agency = _text(agency, field="agency", max_length=100, label=_("移送机关"))
    case_number = _text(case_number, field="case_number", max_length=60, label=_("案号"), required=False)
    note = _text(note, field="note", max_length=300, label=_("说明"), required=False)
    if referred_on > timezone.localdate():
        raise PlanError(_("移送日期不能晚于今天。"), field="referred_on")
    locked, _balance = _locked_open_recovery(recovery)
    if RecoveryReferral.objects.filter(recovery=locked).exists():
        raise PlanError(_("该追回项已移送司法,请更新移送情况。"), field="agency")
    with pghistory.context(source="recovery_referral", user=by.pk):
        return RecoveryReferral.objects.create(
            recovery=locked,
            agency=agency,
            referred_on=referred_on,
            case_number=case_number,
            note=note,
            by=by,
            at=timezone.now(),
        )


@transaction.atomic
def recovery_referral_update(
    *, referral: RecoveryReferral, status: str, case_number: str = "", note: str = "", by: Staff
) -> RecoveryReferral:
    """Move a referral along (已移送 → 诉讼中 → 已结案, or straight to 已结案) and keep its case number and
    note
    current (PREPARE_PAYMENTS). A closed referral is not moved again. Every change is kept in its history
    (pghistory) and the audit log shows the latest."""
    access.require(by, Action.PREPARE_PAYMENTS)
    if status not in RecoveryReferral.Status.values:
        raise PlanError(_("请选择移送状态。"), field="status")
    case_number = _text(case_number, field="case_number", max_length=60, label=_("案号"), required=False)
    note = _text(note, field="note", max_length=300, label=_("说明"), required=False)
    locked = RecoveryReferral.objects.select_for_update().get(pk=referral.pk)
    current = RecoveryReferral.Status(locked.status)
    if status not in _REFERRAL_MOVES[current]:
        raise PlanError(
            _("移送状态不能从“%(from)s”改为“%(to)s”。")
            % {"from": current.label, "to": RecoveryReferral.Status(status).label},
            field="status",
        )
    if status == RecoveryReferral.Status.IN_PROCEEDINGS and not case_number:
        raise PlanError(_("诉讼中的移送须填写案号。"), field="case_number")
    with pghistory.context(source="recovery_referral", user=by.pk):
        locked.status = status
        locked.case_number = case_number
        locked.note = note
        locked.by = by
        locked.at = timezone.now()
        locked.save(update_fields=["status", "case_number", "note", "by", "at"])
    return locked


# A month the bank failed to pay -----------------------------------------------------------------------------


@transaction.atomic
def after_death_failed_lines_settle(*, line_ids: Iterable[int], by: Staff) -> int:
    """Of these failed plan lines, those that paid a month of an after-death recovery: the month was never
    paid, so it is not owed and never paid again. For each, a FailedPaymentResolution NOT_DUE (so it is not
    re-issued) and, while the recovery is open, a claw-back RETURNED for the line's bank of the month's
    amount (capped by the balance; reference "回盘失败" + the line's reference), which lowers the balance;
    then
    the status is synced. Lines without such a month, or already resolved, are left alone. Called by
    return_file_import after it marks lines failed. Returns how many lines were settled."""
    access.require(by, Action.PREPARE_PAYMENTS)
    ids = sorted(set(line_ids))
    if not ids:
        return 0
    months = list(
        RecoveryLine.objects.filter(
            line_id__in=ids,
            line__payment_status=PayoutLine.PaymentStatus.FAILED,
            line__failure_resolution__isnull=True,
            recovery__reason=Recovery.Reason.AFTER_DEATH,
        )
        .exclude(recovery__status=Recovery.Status.CANCELLED)
        .select_related("line", "line__plan", "recovery")
        .order_by("recovery_id", "month")
    )
    if not months:
        return 0
    from ..selectors.recoveries import recovery_balance

    # Changes balances: the generation lock first, then each recovery's row (the order of every refund).
    plan_generation_lock()
    now = timezone.now()
    touched: set[int] = set()
    with pghistory.context(source="after_death_failed_lines", user=by.pk):
        for month in months:
            line = month.line
            recovery = Recovery.objects.select_for_update().get(pk=month.recovery_id)
            if recovery.status == Recovery.Status.OPEN and line.bank_id is not None:
                amount = min(month.amount, recovery_balance(recovery=recovery))
                if amount > 0:
                    RecoveryClawback.objects.create(
                        recovery=recovery,
                        bank_id=line.bank_id,
                        account_number=line.account_number,
                        holder_name=line.holder_name or line.name,
                        requested_amount=amount,
                        status=RecoveryClawback.Status.RETURNED,
                        requested_by=by,
                        requested_at=now,
                        returned_amount=amount,
                        returned_on=timezone.localdate(),
                        returned_reference=(
                            FAILED_RETURN_REFERENCE + payment_reference(plan_id=line.plan_id, line_id=line.pk)
                        )[:64],
                        result_note=_("%(month)s 银行发放失败,该月未实际支付,不再追回。")
                        % {"month": month.month},
                        result_by=by,
                        result_at=now,
                    )
                    touched.add(recovery.pk)
            FailedPaymentResolution.objects.create(
                line=line, kind=FailedPaymentResolution.Kind.NOT_DUE, by=by, at=now
            )
    recoveries_sync_status(recovery_ids=touched)
    return len(months)


# Documents printed ------------------------------------------------------------------------------------------


@transaction.atomic
def recovery_document_print_record(
    *,
    recovery: Recovery,
    kind: str,
    by: Staff,
    refund: RecoveryRefund | None = None,
    clawback: RecoveryClawback | None = None,
    full_numbers: bool = False,
) -> RecoveryDocumentPrint:
    """Record that `by` printed (downloaded) a receipt or a letter of this recovery, before it is handed over;
    the audit log lists these rows."""
    if kind not in RecoveryDocumentPrint.Kind.values:
        raise PlanError(_("没有这种追回文书。"), field="kind")
    return RecoveryDocumentPrint.objects.create(
        recovery=recovery,
        kind=kind,
        refund=refund,
        clawback=clawback,
        full_numbers=full_numbers,
        by=by,
        at=timezone.now(),
    )
