"""Return files (回盘): the bank's answer to a bank file marks each sent line paid or failed, never changing
an amount; failed plan lines are then re-issued into a later plan or paid by hand (docs/payouts.md); failed
one-off payments are re-issued by pensions.services.one_off. One import for plans and one-off batches
(pensions.services.payment_sources).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.errors import ImportBatchError
from registry.imports.sizing import csv_row_count, xlsx_row_count
from registry.models import ArrearsItem, Staff
from registry.selectors.changes import as_month
from registry.services.arrears import arrears_item_add

from ..bankfiles import BankFileProfile, ReturnFileError, ReturnMismatchError, match_return, parse_return_file
from ..errors import PlanError
from ..models import BankFile, FailedPaymentResolution, PayoutLine, PayoutPlan, ReturnFile
from ..reasons import RECONCILED
from .payment_sources import payment_source_of

Status = PayoutPlan.Status
Payment = PayoutLine.PaymentStatus


@dataclass(frozen=True)
class ReturnImport:
    """The outcome of an import. `already_imported`: this very file had been imported; nothing changed."""

    return_file: ReturnFile
    already_imported: bool
    plan_reconciled: bool


# A return file may carry a header and a trailer beyond one row per line sent.
_RETURN_EXTRA_ROWS = 10


def _check_size(bank_file: BankFile, content: bytes) -> None:
    """Refuse, before parsing, a file larger than settings.RETURN_FILE_MAX_UPLOAD_MB or with more rows than
    the bank file sent (counted without reading a cell: registry.imports.sizing)."""
    limit_mb = settings.RETURN_FILE_MAX_UPLOAD_MB
    if len(content) > limit_mb * 1024 * 1024:
        raise PlanError(
            _("回盘文件超过 %(limit)d MB 的上限,没有导入。请核对是否选错了文件。") % {"limit": limit_mb}
        )
    try:
        rows = xlsx_row_count(content) if content[:2] == b"PK" else csv_row_count(content)
    except ImportBatchError as error:
        raise PlanError(error.message) from None
    if rows > bank_file.line_count + _RETURN_EXTRA_ROWS:
        raise PlanError(
            _("回盘文件有 %(rows)s 行,而银行文件 %(name)s 只发出 %(sent)s 笔,不是这份银行文件的回盘。")
            % {"rows": f"{rows:,}", "name": bank_file.name, "sent": f"{bank_file.line_count:,}"}
        )


@transaction.atomic
def return_file_import(*, bank_file: BankFile, content: bytes, by: Staff, name: str = "") -> ReturnImport:
    """Read the bank's return file for `bank_file` (of a plan or a one-off batch) and mark each line it
    answers paid or failed.

    Refused (PlanError, nothing written): a file that cannot be read with the profile the bank file was
    written with, totals that differ from what was sent, a reference that was not sent (or one left out), an
    amount or account that differs. The same file again changes nothing and says so; a different second file
    for the same bank file is refused. When every bank file of the plan or batch has its answer, it is
    reconciled."""
    access.require(by, Action.PREPARE_PAYMENTS)
    _check_size(bank_file, content)
    sha256 = hashlib.sha256(content).hexdigest()
    # Lock the plan or batch: imports of two banks' files at once would each see the other's file missing,
    # and neither would reconcile it; the same file imported twice at once would mark its lines twice.
    source = payment_source_of(bank_file).locked()
    previous = ReturnFile.objects.filter(bank_file=bank_file).first()
    if previous is not None:
        if previous.sha256 == sha256:
            return ReturnImport(return_file=previous, already_imported=True, plan_reconciled=False)
        raise PlanError(
            _("银行文件 %(name)s 已于 %(at)s 导入过另一份回盘文件,不能再导入。")
            % {
                "name": bank_file.name,
                "at": timezone.localtime(previous.imported_at).strftime("%Y-%m-%d %H:%M"),
            }
        )
    if source.status != Status.EXPORTED:
        raise PlanError(
            _("%(month)s 的%(kind)s是“%(status)s”状态,不能导入回盘文件。")
            % {"month": source.month, "kind": source.kind_label, "status": Status(source.status).label}
        )

    profile = BankFileProfile.from_dict(bank_file.profile)
    sent = source.payment_lines(bank_id=bank_file.bank_id).get(bank_file.bank_id, [])
    if len(sent) != bank_file.line_count:
        raise PlanError(
            _("银行文件 %(name)s 的明细与%(kind)s不符。")
            % {"name": bank_file.name, "kind": source.kind_label}
        )
    try:
        parsed = parse_return_file(profile, content)
        result = match_return(sent, parsed)
    except (ReturnFileError, ReturnMismatchError) as error:
        raise PlanError(error.message, field="file") from error

    marked = source.mark_results(bank_id=bank_file.bank_id, sent=sent, failed=result.failed, by=by)
    if marked != len(sent):
        raise PlanError(
            _("回盘文件只能标记 %(marked)d 笔,应为 %(count)d 笔:部分明细已有发放结果。")
            % {"marked": marked, "count": len(sent)}
        )
    return_file = ReturnFile.objects.create(
        bank_file=bank_file,
        name=name[:200],
        content=content,
        sha256=sha256,
        paid_count=len(result.paid),
        paid_total=result.paid_total,
        failed_count=len(result.failed),
        failed_total=result.failed_total,
        imported_by=by,
        imported_at=timezone.now(),
    )
    unanswered = BankFile.objects.filter(**source.owner(), return_file__isnull=True).exists()
    if not unanswered:
        source.mark_reconciled(by=by, reason=RECONCILED)
    return ReturnImport(return_file=return_file, already_imported=False, plan_reconciled=not unanswered)


def _failed_line(line: PayoutLine) -> PayoutLine:
    """The line, locked, if the bank failed it and nothing has been done about it yet."""
    # Lock the line: a re-issue and a manual payment of the same line at once would both find it open.
    locked = PayoutLine.objects.select_for_update().select_related("plan").get(pk=line.pk)
    if locked.payment_status != Payment.FAILED:
        raise PlanError(_("%(name)s 的发放没有失败,不需要处理。") % {"name": locked.name})
    done = FailedPaymentResolution.objects.filter(line=locked).first()
    if done is not None:
        raise PlanError(
            _("%(name)s 的失败发放已处理过(%(kind)s)。")
            % {"name": locked.name, "kind": FailedPaymentResolution.Kind(done.kind).label}
        )
    return locked


def failed_line_reissue_as_arrears(*, line_id: int, note: str, by: Staff) -> FailedPaymentResolution:
    """The re-issue itself: an arrears item of the failed line's net for the plan's month (through the
    registry's service), and the line's resolution. `note` may name %(month)s and %(reason)s (the bank's).
    The callers decide who may: failed_line_reissue (PREPARE_PAYMENTS), and the family's claim approved by a
    reviewer (pensions.services.death_payables). The caller holds a transaction."""
    locked = _failed_line(PayoutLine(pk=line_id))
    item = arrears_item_add(
        retiree=locked.retiree,
        month=as_month(locked.plan.month),
        amount=locked.net,
        reason=ArrearsItem.Reason.FAILED_PAYMENT,
        note=note % {"month": locked.plan.month, "reason": locked.bank_reason},
        by=by,
    )
    return FailedPaymentResolution.objects.create(
        line=locked,
        kind=FailedPaymentResolution.Kind.REISSUED,
        arrears_item=item,
        by=by,
        at=timezone.now(),
    )


@transaction.atomic
def failed_line_reissue(*, line: PayoutLine, by: Staff) -> FailedPaymentResolution:
    """Re-issue a failed payment into the next plan: an arrears item of the line's net for the plan's month,
    which the next plan releases like any other arrears. Once per line, and not for a line paid by hand."""
    access.require(by, Action.PREPARE_PAYMENTS)
    return failed_line_reissue_as_arrears(line_id=line.pk, note=_("%(month)s 发放失败重发:%(reason)s"), by=by)


@transaction.atomic
def failed_line_paid_by_hand(
    *, line: PayoutLine, reference: str, by: Staff, paid_on: datetime.date | None = None
) -> FailedPaymentResolution:
    """Record that a failed payment was paid by hand (after fixing the account), with the payment's voucher
    or transfer reference. Once per line, and not for a line re-issued into a later plan."""
    access.require(by, Action.PREPARE_PAYMENTS)
    reference = reference.strip()
    if not reference:
        raise PlanError(_("请填写手工发放的凭证号。"), field="reference")
    if len(reference) > 64:
        raise PlanError(_("凭证号过长。"), field="reference")
    today = timezone.localdate()
    paid_on = paid_on or today
    if paid_on > today:
        raise PlanError(_("发放日期不能晚于今天。"), field="paid_on")
    locked = _failed_line(line)
    return FailedPaymentResolution.objects.create(
        line=locked,
        kind=FailedPaymentResolution.Kind.PAID_BY_HAND,
        reference=reference,
        paid_on=paid_on,
        by=by,
        at=timezone.now(),
    )
