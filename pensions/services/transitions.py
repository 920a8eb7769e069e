"""A plan's state changes through one door, `_transition`, which locks the plan, checks the move and who
makes it, and records a PlanTransition. Each public function is one move with its own checks:

draft → submitted → approved → funded → exported → reconciled, and submitted → draft (rejection).
Approval and rejection are refused to anyone who prepared the plan (pensions.preparers, docs/approvals.md).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pghistory
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.formats import yuan
from registry.models import PensionRate, Retiree, Staff

from ..errors import PlanError
from ..models import PayoutLine, PayoutPlan, PlanTransition
from ..preparers import plan_is_prepared_by
from .plans import plan_lines_digest, plan_totals_check

Status = PayoutPlan.Status

_MOVES: dict[str, frozenset[str]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED}),
    Status.SUBMITTED: frozenset({Status.APPROVED, Status.DRAFT}),
    Status.APPROVED: frozenset({Status.FUNDED}),
    Status.FUNDED: frozenset({Status.EXPORTED}),
    Status.EXPORTED: frozenset({Status.RECONCILED}),
    Status.RECONCILED: frozenset(),
}


def _transition(
    *,
    plan: PayoutPlan,
    to_status: str,
    by: Staff,
    action: Action,
    reason: str = "",
    check: Callable[[PayoutPlan], list[str]] | None = None,
) -> PayoutPlan:
    """Move `plan` to `to_status`. `check` validates the locked plan and returns the fields it changed."""
    access.require(by, action)
    with transaction.atomic(), pghistory.context(source="plan_transition", user=by.pk):
        # Lock the plan row: two reviewers approving at once, or an approval racing a regeneration of the
        # lines or a rejection, would each read the old state and both succeed.
        locked = PayoutPlan.objects.select_for_update().get(pk=plan.pk)
        from_status = locked.status
        if to_status not in _MOVES[from_status]:
            raise PlanError(
                _("%(month)s 的发放计划不能从“%(from)s”变为“%(to)s”。")
                % {"month": locked.month, "from": Status(from_status).label, "to": Status(to_status).label}
            )
        changed = check(locked) if check else []
        now = timezone.now()
        locked.status = to_status
        locked.save(update_fields=["status", *changed])
        PlanTransition.objects.create(
            plan=locked, from_status=from_status, to_status=to_status, by=by, at=now, reason=reason
        )
    for field in ("status", *changed):
        setattr(plan, field, getattr(locked, field))
    return plan


@dataclass(frozen=True)
class PlanFigures:
    """What a person was shown of a plan before acting on it: its line count, its net total and when its
    lines were made. The page's confirmation dialog and the API's input both carry these three; the service
    compares them with the locked plan, so a plan made again (or changed) in between is never approved,
    rejected or submitted on figures nobody saw."""

    line_count: int
    net_total: Decimal
    generated_at: datetime.datetime

    @classmethod
    def of(cls, plan: PayoutPlan) -> PlanFigures:
        return cls(line_count=plan.line_count, net_total=plan.net_total, generated_at=plan.generated_at)


def plan_figures_check(*, plan: PayoutPlan, seen: PlanFigures) -> None:
    """The one check of "what the person saw", for the page and the API alike. Raises PlanError naming the
    current figures."""
    if PlanFigures.of(plan) != seen:
        raise PlanError(
            _(
                "发放计划在您核对后已有变化:现为 %(count)d 笔、实发合计 %(total)s(%(at)s 生成)。"
                "请核对最新的笔数和金额后再操作。"
            )
            % {
                "count": plan.line_count,
                "total": yuan(plan.net_total),
                "at": timezone.localtime(plan.generated_at).strftime("%Y-%m-%d %H:%M:%S"),
            },
            field="net_total",
        )


def _refuse_preparer(locked: PayoutPlan, by: Staff, *, rejecting: bool) -> None:
    """Four eyes between preparer and approver (pensions.preparers): whoever drafted, made again or
    submitted the plan neither approves nor rejects it, whatever their role. Two whole sentences, so each
    language words them its own way."""
    if plan_is_prepared_by(plan=locked, staff_id=by.pk):
        if rejecting:
            raise PlanError(
                _("您参与了该发放计划的编制(生成、重新生成或提交),不能退回,请由其他审核人员办理。")
            )
        raise PlanError(_("您参与了该发放计划的编制(生成、重新生成或提交),不能审批,请由其他审核人员办理。"))


def _refuse_if_statuses_changed(locked: PayoutPlan, *, submitted: bool) -> None:
    """A plan is a picture of the registry when it was made. Two changes since then make it wrong, so it must
    be made again before it moves on (a submitted one is sent back first):
    - a retiree restored by a certification keeps a withheld line that restoration did not release (it
      releases approved plans only): approved, that month would be neither paid nor owed;
    - a retiree suspended since (the August job) keeps a paid line: approved, the month would be paid to
      someone whose payments are suspended;
    - a retiree who died, was terminated or transferred out since (registry.services.life_events) keeps a
      line: approved, the month would be paid to someone no longer entitled (a death would be recovered);
    - an annual adjustment applied since, effective by the plan's month: the lines pay the old amount."""
    lines = PayoutLine.objects.filter(plan=locked)
    restored = lines.filter(is_withheld=True, retiree__status=Retiree.Status.ACTIVE)
    if names := list(restored.values_list("name", flat=True)[:5]):
        message = (
            _("编制计划后,%(names)s 等人已恢复发放:请退回并重新生成计划。")
            if submitted
            else _("编制计划后,%(names)s 等人已恢复发放:请重新生成计划后再提交。")
        )
        raise PlanError(message % {"names": "、".join(names)})
    suspended = lines.filter(is_withheld=False, retiree__status=Retiree.Status.SUSPENDED)
    if names := list(suspended.values_list("name", flat=True)[:5]):
        message = (
            _("编制计划后,%(names)s 等人已暂停发放:请退回并重新生成计划。")
            if submitted
            else _("编制计划后,%(names)s 等人已暂停发放:请重新生成计划后再提交。")
        )
        raise PlanError(message % {"names": "、".join(names)})
    # An annual adjustment applied since, effective by the plan's month: its arrears run only to the last
    # approved month, so the lines' old amounts would leave this month's rise neither paid nor owed. (A
    # back-dated information change owes arrears up to the first open month itself.)
    changed_rates = PensionRate.objects.filter(
        created_at__gt=locked.generated_at,
        effective_month__lte=locked.month,
        reason=PensionRate.Reason.ANNUAL_ADJUSTMENT,
    )
    if changed_rates.exists():
        raise PlanError(
            _("编制计划后,部分人员的养老金标准已调整(如年度调待):请退回并重新生成计划。")
            if submitted
            else _("编制计划后,部分人员的养老金标准已调整(如年度调待):请重新生成计划后再提交。")
        )
    ended = lines.filter(retiree__status__in=(Retiree.Status.DECEASED, Retiree.Status.TERMINATED))
    if names := list(ended.values_list("name", flat=True)[:5]):
        message = (
            _("编制计划后,%(names)s 等人已死亡或终止发放:请退回并重新生成计划。")
            if submitted
            else _("编制计划后,%(names)s 等人已死亡或终止发放:请重新生成计划后再提交。")
        )
        raise PlanError(message % {"names": "、".join(names)})


def plan_submit(*, plan: PayoutPlan, by: Staff, seen: PlanFigures | None = None) -> PayoutPlan:
    """A clerk hands the draft over for approval. `seen`: what the confirmation showed (pages and API pass
    it)."""

    def check(locked: PayoutPlan) -> list[str]:
        if seen is not None:
            plan_figures_check(plan=locked, seen=seen)
        if locked.line_count == 0:
            raise PlanError(_("发放计划没有明细,不能提交。"))
        unpaid = PayoutLine.objects.filter(plan=locked, is_withheld=False, net__gt=0, bank__isnull=True)
        names = list(unpaid.order_by("id").values_list("name", flat=True)[:10])
        if names:
            raise PlanError(
                _("%(count)d 人没有当前银行账户,不能提交:%(names)s")
                % {"count": unpaid.count(), "names": "、".join(names)}
            )
        plan_totals_check(plan=locked)
        _refuse_if_statuses_changed(locked, submitted=False)
        locked.submitted_by, locked.submitted_at = by, timezone.now()
        locked.rejection_reason = ""
        return ["submitted_by", "submitted_at", "rejection_reason"]

    return _transition(
        plan=plan, to_status=Status.SUBMITTED, by=by, action=Action.PREPARE_PAYMENTS, check=check
    )


def plan_approve(*, plan: PayoutPlan, by: Staff, seen: PlanFigures | None = None) -> PayoutPlan:
    """Someone who did not prepare the plan approves, which freezes it: its totals are checked against the
    lines once more and a hash of the lines is stored. `seen`: the figures the approver confirmed (the page
    and the API always pass them; compared under the lock)."""

    def check(locked: PayoutPlan) -> list[str]:
        if locked.submitted_by_id == by.pk:
            raise PlanError(_("不能审批自己提交的发放计划。"))
        _refuse_preparer(locked, by, rejecting=False)
        if seen is not None:
            plan_figures_check(plan=locked, seen=seen)
        plan_totals_check(plan=locked)
        _refuse_if_statuses_changed(locked, submitted=True)
        locked.approved_by, locked.approved_at = by, timezone.now()
        locked.lines_hash = plan_lines_digest(plan=locked)
        return ["approved_by", "approved_at", "lines_hash"]

    return _transition(
        plan=plan, to_status=Status.APPROVED, by=by, action=Action.APPROVE_PAYMENTS, check=check
    )


def plan_reject(*, plan: PayoutPlan, by: Staff, reason: str, seen: PlanFigures | None = None) -> PayoutPlan:
    """The reviewer sends a submitted plan back to draft, saying why. Not the plan's preparers: sending
    back one's own plan is the preparer's wish, not a review."""
    reason = reason.strip()
    if not reason:
        raise PlanError(_("请填写退回原因。"), field="reason")

    def check(locked: PayoutPlan) -> list[str]:
        if locked.submitted_by_id == by.pk:
            raise PlanError(_("不能退回自己提交的发放计划。"))
        _refuse_preparer(locked, by, rejecting=True)
        if seen is not None:
            plan_figures_check(plan=locked, seen=seen)
        locked.submitted_by, locked.submitted_at = None, None
        locked.rejection_reason = reason[:300]
        return ["submitted_by", "submitted_at", "rejection_reason"]

    return _transition(
        plan=plan, to_status=Status.DRAFT, by=by, action=Action.APPROVE_PAYMENTS, reason=reason, check=check
    )


def _unchanged_since_approval(locked: PayoutPlan) -> None:
    if plan_lines_digest(plan=locked) != locked.lines_hash:
        raise PlanError(_("%(month)s 发放计划的明细与审批时不一致。") % {"month": locked.month})
    plan_totals_check(plan=locked)


def plan_mark_funded(*, plan: PayoutPlan, by: Staff, reason: str = "") -> PayoutPlan:
    """Funds have gone to each bank's special account. The funding records (and the check that each bank's
    transfer equals its total) belong to the caller; this is the move itself.

    From approval on, the database refuses any change to the plan's lines and totals (migration
    0014_approved_plans_are_frozen). Funding, when the money leaves the fund's account, also proves it by
    the approval's digest and a fresh sum of the lines: a change made around the database's guard (its
    triggers disabled) stops here."""

    def check(locked: PayoutPlan) -> list[str]:
        _unchanged_since_approval(locked)
        return []

    return _transition(
        plan=plan, to_status=Status.FUNDED, by=by, action=Action.APPROVE_PAYMENTS, reason=reason, check=check
    )


def plan_mark_exported(*, plan: PayoutPlan, by: Staff, reason: str = "") -> PayoutPlan:
    """The bank files have been made from the approved lines. The lines are not hashed again here: they
    were proven at funding and the database has kept them frozen since (plan_mark_funded), and each file's
    statement checks its count and total against the bank's approved total. Hashing a million lines again
    was a third of the export's time (docs/bank-files.md "Speed")."""
    return _transition(
        plan=plan, to_status=Status.EXPORTED, by=by, action=Action.PREPARE_PAYMENTS, reason=reason
    )


def plan_mark_reconciled(*, plan: PayoutPlan, by: Staff, reason: str = "") -> PayoutPlan:
    """Every line that was sent has the bank's answer (paid or failed)."""

    def check(locked: PayoutPlan) -> list[str]:
        waiting = PayoutLine.objects.filter(
            plan=locked, is_withheld=False, payment_status=PayoutLine.PaymentStatus.PENDING, net__gt=0
        ).count()
        if waiting:
            raise PlanError(_("还有 %(count)d 笔发放没有银行回盘结果,不能对账完成。") % {"count": waiting})
        return []

    return _transition(
        plan=plan,
        to_status=Status.RECONCILED,
        by=by,
        action=Action.PREPARE_PAYMENTS,
        reason=reason,
        check=check,
    )
