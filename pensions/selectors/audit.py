"""What pensions adds to the county-wide audit log (registry.selectors.audit_log): every move of a payout plan
and of a one-off payment batch (who submitted, approved, rejected, funded, exported), every write-off of a
recovery and every rejected write-off request, every download of a bank file (the files that must carry full
account numbers), every version of the annual adjustment's parameters and every decisive move of an adjustment
run (submitted, approved, rejected, applied).
Registered from PensionsConfig.ready(), because the registry may not import pensions."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, DateTimeField, Exists, F, IntegerField, OuterRef, QuerySet, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.formats import thousands, yuan
from registry.models import Staff
from registry.selectors.audit_log import (
    AuditLogRow,
    AuditSource,
    masked_text,
    register_audit_source,
    retiree_text,
    staff_name,
)
from registry.selectors.changes import as_month

from ..models import (
    AdjustmentParameters,
    AdjustmentRun,
    BankFileDownload,
    OneOffBatchTransition,
    PayoutPlan,
    PlanTransition,
    RecoveryClawback,
    RecoveryDocumentPrint,
    RecoveryReferral,
    RecoveryWriteOff,
    WriteOffRequest,
)
from ..reasons import reason_text

_PLAN_LABEL = gettext_lazy("发放计划状态变更")
_WRITE_OFF_LABEL = gettext_lazy("追回核销")
_BANK_FILE_LABEL = gettext_lazy("银行文件下载")
_BATCH_LABEL = gettext_lazy("一次性支付批次状态变更")
_WRITE_OFF_REJECTION_LABEL = gettext_lazy("核销申请驳回")
_CLAWBACK_REQUEST_LABEL = gettext_lazy("银行协助退回")
_CLAWBACK_RESULT_LABEL = gettext_lazy("银行退回结果")
_REFERRAL_LABEL = gettext_lazy("移送司法")
_DOCUMENT_LABEL = gettext_lazy("追回文书打印")
_ADJUSTMENT_PARAMETERS_LABEL = gettext_lazy("调待参数设置")
_ADJUSTMENT_RUN_LABEL = gettext_lazy("年度调待审核执行")
# The moves of a run the log shows, each with the run's own field for who made it (a rejection records no
# one on the run: the history's request context names them).
_RUN_MOVES = {
    AdjustmentRun.Status.SUBMITTED: ("submitted_at", "prepared_by_id"),
    AdjustmentRun.Status.APPROVED: ("approved_at", "approved_by_id"),
    AdjustmentRun.Status.APPLIED: ("applied_at", "applied_by_id"),
}
_RUN_MOVE_ACTIONS = {
    AdjustmentRun.Status.SUBMITTED: gettext_lazy("提交审核"),
    AdjustmentRun.Status.APPROVED: gettext_lazy("审核通过"),
    AdjustmentRun.Status.REJECTED: gettext_lazy("退回"),
    AdjustmentRun.Status.APPLIED: gettext_lazy("执行调整"),
}


def _status(value: str) -> str:
    return str(PayoutPlan.Status(value).label) if value else _("新建")


def _transition_row(
    transition: PlanTransition | OneOffBatchTransition, *, kind: str, label: Any, subject: str, url: str
) -> AuditLogRow:
    """A move of a plan or of a one-off batch: the same row, named for what moved."""
    return AuditLogRow(
        at=transition.at,
        kind=kind,
        kind_label=str(label),
        pk=transition.pk,
        who=staff_name(transition.by),
        action=f"{_status(transition.from_status)} → {_status(transition.to_status)}",
        subject=subject,
        note=masked_text(reason_text(transition.reason)),
        url=url,
    )


def _plan_row(transition: PlanTransition) -> AuditLogRow:
    return _transition_row(
        transition,
        kind="plan_transition",
        label=_PLAN_LABEL,
        subject=_("%(month)s 发放计划") % {"month": transition.plan.month},
        url=reverse("payout-plan-detail", args=[transition.plan_id]),
    )


def _batch_row(transition: OneOffBatchTransition) -> AuditLogRow:
    return _transition_row(
        transition,
        kind="one_off_batch_transition",
        label=_BATCH_LABEL,
        subject=_("%(month)s 一次性支付批次") % {"month": transition.batch.month},
        url=reverse("one-off-batch-detail", args=[transition.batch_id]),
    )


def _write_off_row(write_off: RecoveryWriteOff) -> AuditLogRow:
    return AuditLogRow(
        at=write_off.at,
        kind="write_off",
        kind_label=str(_WRITE_OFF_LABEL),
        pk=write_off.pk,
        who=staff_name(write_off.by),
        action=_("核销"),
        subject=(
            _("核销 %(amount)s(追回项登记人:%(maker)s)")
            if write_off.request is None
            else _("核销 %(amount)s(追回项登记人:%(maker)s;申请人:%(requester)s)")
        )
        % {
            "amount": yuan(write_off.amount),
            "maker": staff_name(write_off.recovery_created_by),
            "requester": staff_name(write_off.request.requested_by) if write_off.request else "",
        },
        retiree=retiree_text(write_off.recovery.retiree),
        note=masked_text(write_off.reason),
        url=reverse("payout-recovery-detail", args=[write_off.recovery_id]),
    )


def _rejection_row(rejected: WriteOffRequest) -> AuditLogRow:
    return AuditLogRow(
        # A rejected request always has its decision time (writeoffrequest_decided_has_decider).
        at=rejected.decided_at or rejected.requested_at,
        kind="write_off_rejection",
        kind_label=str(_WRITE_OFF_REJECTION_LABEL),
        pk=rejected.pk,
        who=staff_name(rejected.decided_by),
        action=_("驳回核销申请"),
        subject=_("申请核销 %(amount)s(申请人:%(requester)s)")
        % {"amount": yuan(rejected.balance_at_request), "requester": staff_name(rejected.requested_by)},
        retiree=retiree_text(rejected.recovery.retiree),
        note=masked_text(rejected.decision_note),
        url=reverse("payout-recovery-detail", args=[rejected.recovery_id]),
    )


def _download_row(download: BankFileDownload) -> AuditLogRow:
    bank_file = download.bank_file
    # A bank file pays a plan or a one-off batch, never both (bankfile_of_plan_or_batch).
    if bank_file.plan is not None:
        month, url = bank_file.plan.month, reverse("payout-plan-detail", args=[bank_file.plan_id])
    else:
        assert bank_file.one_off_batch is not None  # noqa: S101
        month = bank_file.one_off_batch.month
        url = reverse("one-off-batch-detail", args=[bank_file.one_off_batch_id])
    return AuditLogRow(
        at=download.at,
        kind="bank_file_download",
        kind_label=str(_BANK_FILE_LABEL),
        pk=download.pk,
        who=staff_name(download.by),
        action=_("下载银行文件(完整账号)"),
        subject=_("%(month)s %(bank)s:%(name)s")
        % {"month": month, "bank": bank_file.bank.name, "name": bank_file.name},
        count=bank_file.line_count,
        url=url,
    )


def _recovery_url(recovery_id: int) -> str:
    return reverse("payout-recovery-detail", args=[recovery_id])


def _clawback_request_row(clawback: RecoveryClawback) -> AuditLogRow:
    return AuditLogRow(
        at=clawback.requested_at,
        kind="recovery_clawback_request",
        kind_label=str(_CLAWBACK_REQUEST_LABEL),
        pk=clawback.pk,
        who=staff_name(clawback.requested_by),
        action=_("请银行退回"),
        subject=_("%(bank)s 请求退回 %(amount)s")
        % {"bank": clawback.bank.name, "amount": yuan(clawback.requested_amount)},
        retiree=retiree_text(clawback.recovery.retiree),
        url=_recovery_url(clawback.recovery_id),
    )


def _clawback_result_row(clawback: RecoveryClawback) -> AuditLogRow:
    returned = clawback.status == RecoveryClawback.Status.RETURNED
    return AuditLogRow(
        # Only clawbacks with a result are listed (recoveryclawback_result_matches gives them result_at).
        at=clawback.result_at or clawback.requested_at,
        kind="recovery_clawback_result",
        kind_label=str(_CLAWBACK_RESULT_LABEL),
        pk=clawback.pk,
        who=staff_name(clawback.result_by),
        action=str(RecoveryClawback.Status(clawback.status).label),
        subject=(
            _("%(bank)s 退回 %(amount)s(凭证号 %(reference)s)")
            % {
                "bank": clawback.bank.name,
                "amount": yuan(clawback.returned_amount or 0),
                "reference": clawback.returned_reference,
            }
            if returned
            else _("%(bank)s 未能退回") % {"bank": clawback.bank.name}
        ),
        retiree=retiree_text(clawback.recovery.retiree),
        note=masked_text(clawback.result_note),
        url=_recovery_url(clawback.recovery_id),
    )


def _referral_row(referral: RecoveryReferral) -> AuditLogRow:
    return AuditLogRow(
        at=referral.at,
        kind="recovery_referral",
        kind_label=str(_REFERRAL_LABEL),
        pk=referral.pk,
        who=staff_name(referral.by),
        action=str(RecoveryReferral.Status(referral.status).label),
        subject=_("移送%(agency)s(%(on)s)%(case)s")
        % {
            "agency": referral.agency,
            "on": referral.referred_on.isoformat(),
            "case": f" {referral.case_number}" if referral.case_number else "",
        },
        retiree=retiree_text(referral.recovery.retiree),
        note=masked_text(referral.note),
        url=_recovery_url(referral.recovery_id),
    )


def _document_row(printed: RecoveryDocumentPrint) -> AuditLogRow:
    return AuditLogRow(
        at=printed.at,
        kind="recovery_document",
        kind_label=str(_DOCUMENT_LABEL),
        pk=printed.pk,
        who=staff_name(printed.by),
        action=_("打印%(document)s%(full)s")
        % {
            "document": RecoveryDocumentPrint.Kind(printed.kind).label,
            "full": _("(完整号码)") if printed.full_numbers else "",
        },
        subject=(
            _("收据:%(amount)s,凭证号 %(reference)s")
            % {"amount": yuan(printed.refund.amount), "reference": printed.refund.reference}
            if printed.refund is not None
            else _("追回项 %(amount)s") % {"amount": yuan(printed.recovery.amount)}
        ),
        retiree=retiree_text(printed.recovery.retiree),
        url=_recovery_url(printed.recovery_id),
    )


def _parameters_row(parameters: AdjustmentParameters) -> AuditLogRow:
    return AuditLogRow(
        at=parameters.set_at,
        kind="adjustment_parameters",
        kind_label=str(_ADJUSTMENT_PARAMETERS_LABEL),
        pk=parameters.pk,
        who=staff_name(parameters.set_by),
        action=_("设置调待参数"),
        subject=_("%(year)d 年度调待参数(自 %(month)s 起)")
        % {"year": parameters.year, "month": as_month(parameters.effective_month)},
        note=masked_text(parameters.note),
        url=reverse("adjustment-year", args=[parameters.year]),
    )


def _run_moves() -> QuerySet[Any]:
    """The first history event of each run in each decisive status (a run sent back to "approved" by a stale
    apply is not approved again), with when and by whom it moved."""
    events = AdjustmentRun.pgh_event_model.objects  # type: ignore[attr-defined]
    earlier = events.filter(
        pgh_obj_id=OuterRef("pgh_obj_id"), status=OuterRef("status"), pgh_id__lt=OuterRef("pgh_id")
    )
    moves: QuerySet[Any] = (
        events.filter(status__in=list(_RUN_MOVE_ACTIONS), pgh_label="update")
        .filter(~Exists(earlier))
        .annotate(
            moved_at=Case(
                *[When(status=status, then=F(at)) for status, (at, _by) in _RUN_MOVES.items()],
                default=F("pgh_created_at"),
                output_field=DateTimeField(),
            ),
            mover_id=Case(
                *[When(status=status, then=F(by)) for status, (_at, by) in _RUN_MOVES.items()],
                default=Cast(KeyTextTransform("user", "pgh_context__metadata"), IntegerField()),
                output_field=IntegerField(),
            ),
        )
        .select_related("prepared_by", "approved_by", "applied_by")
    )
    return moves


def _run_move_row(event: Any) -> AuditLogRow:
    status = AdjustmentRun.Status(event.status)
    who: Staff | None
    if status == AdjustmentRun.Status.SUBMITTED:
        who = event.prepared_by
    elif status == AdjustmentRun.Status.APPROVED:
        who = event.approved_by
    elif status == AdjustmentRun.Status.APPLIED:
        who = event.applied_by
    else:
        who = Staff.objects.filter(pk=event.mover_id).first() if event.mover_id else None
    figures = event.figures or {}
    subject = _("%(year)d 年度调待试算(编号 %(pk)d):调整 %(count)s 人,月增加 %(rise)s,补发 %(arrears)s") % {
        "year": event.year,
        "pk": event.pgh_obj_id,
        "count": thousands(int(figures.get("adjusted") or 0)),
        "rise": yuan(figures.get("rise_total") or "0"),
        "arrears": yuan(figures.get("arrears_total") or "0"),
    }
    return AuditLogRow(
        at=event.moved_at,
        kind="adjustment_run",
        kind_label=str(_ADJUSTMENT_RUN_LABEL),
        pk=event.pk,
        who=staff_name(who),
        action=str(_RUN_MOVE_ACTIONS[status]),
        subject=subject,
        note=masked_text(event.decision_comment)
        if status in (AdjustmentRun.Status.APPROVED, AdjustmentRun.Status.REJECTED)
        else "",
        url=reverse("adjustment-run-detail", args=[event.pgh_obj_id]),
    )


def register() -> None:
    register_audit_source(
        AuditSource(
            kind="plan_transition",
            label=_PLAN_LABEL,
            rank=50,
            queryset=lambda: PlanTransition.objects.select_related("by", "plan"),
            time_field="at",
            staff_field="by_id",
            retiree_field=None,
            row=_plan_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="one_off_batch_transition",
            label=_BATCH_LABEL,
            rank=55,
            queryset=lambda: OneOffBatchTransition.objects.select_related("by", "batch"),
            time_field="at",
            staff_field="by_id",
            retiree_field=None,
            row=_batch_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="write_off",
            label=_WRITE_OFF_LABEL,
            rank=60,
            queryset=lambda: RecoveryWriteOff.objects.select_related(
                "by", "recovery_created_by", "recovery__retiree", "request__requested_by"
            ),
            time_field="at",
            staff_field="by_id",
            retiree_field="recovery__retiree",
            row=_write_off_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="write_off_rejection",
            label=_WRITE_OFF_REJECTION_LABEL,
            rank=65,
            queryset=lambda: WriteOffRequest.objects.filter(
                status=WriteOffRequest.Status.REJECTED
            ).select_related("decided_by", "requested_by", "recovery__retiree"),
            time_field="decided_at",
            staff_field="decided_by_id",
            retiree_field="recovery__retiree",
            row=_rejection_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="bank_file_download",
            label=_BANK_FILE_LABEL,
            rank=70,
            # defer: the file's bytes stay in the database; the log needs only its name and count.
            queryset=lambda: BankFileDownload.objects.select_related(
                "by", "bank_file__plan", "bank_file__one_off_batch", "bank_file__bank"
            ).defer("bank_file__content", "bank_file__profile"),
            time_field="at",
            staff_field="by_id",
            retiree_field=None,
            row=_download_row,
        )
    )
    # Recovery follow-up (docs/recoveries.md): claw-backs and their results, referrals, receipts, letters.
    register_audit_source(
        AuditSource(
            kind="recovery_clawback_request",
            label=_CLAWBACK_REQUEST_LABEL,
            rank=71,
            queryset=lambda: RecoveryClawback.objects.select_related(
                "requested_by", "bank", "recovery__retiree"
            ),
            time_field="requested_at",
            staff_field="requested_by_id",
            retiree_field="recovery__retiree",
            row=_clawback_request_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="recovery_clawback_result",
            label=_CLAWBACK_RESULT_LABEL,
            rank=72,
            queryset=lambda: RecoveryClawback.objects.filter(result_at__isnull=False).select_related(
                "result_by", "bank", "recovery__retiree"
            ),
            time_field="result_at",
            staff_field="result_by_id",
            retiree_field="recovery__retiree",
            row=_clawback_result_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="recovery_referral",
            label=_REFERRAL_LABEL,
            rank=73,
            queryset=lambda: RecoveryReferral.objects.select_related("by", "recovery__retiree"),
            time_field="at",
            staff_field="by_id",
            retiree_field="recovery__retiree",
            row=_referral_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="recovery_document",
            label=_DOCUMENT_LABEL,
            rank=74,
            queryset=lambda: RecoveryDocumentPrint.objects.select_related(
                "by", "refund", "recovery__retiree"
            ),
            time_field="at",
            staff_field="by_id",
            retiree_field="recovery__retiree",
            row=_document_row,
        )
    )
    # The annual adjustment (docs/annual-adjustment.md): parameter versions and the runs' decisive moves.
    register_audit_source(
        AuditSource(
            kind="adjustment_parameters",
            label=_ADJUSTMENT_PARAMETERS_LABEL,
            rank=116,
            queryset=lambda: AdjustmentParameters.objects.select_related("set_by"),
            time_field="set_at",
            staff_field="set_by_id",
            retiree_field=None,
            row=_parameters_row,
        )
    )
    register_audit_source(
        AuditSource(
            kind="adjustment_run",
            label=_ADJUSTMENT_RUN_LABEL,
            rank=117,
            queryset=_run_moves,
            time_field="moved_at",
            staff_field="mover_id",
            retiree_field=None,
            row=_run_move_row,
        )
    )
