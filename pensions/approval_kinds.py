"""The payouts' kinds of approval for the inbox (registry.approvals): submitted payout plans, submitted
one-off payment batches, pending recovery write-off requests and submitted annual adjustment runs
(docs/approvals.md).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import access
from registry.access import Action
from registry.approvals import ApprovalItem, ApprovalKind, register
from registry.formats import thousands, yuan

from .models import PayoutPlan
from .selectors.adjustment_runs import runs_awaiting
from .selectors.one_off import one_off_batches_awaiting
from .selectors.plans import plans_awaiting
from .selectors.recoveries import write_off_requests_awaiting

KEY = "payout_plan"
WRITE_OFF_KEY = "write_off"
ONE_OFF_KEY = "one_off_batch"
ADJUSTMENT_KEY = "annual_adjustment"


def _prepared_by(plan: PayoutPlan) -> str:
    submitter = plan.submitted_by.display_name if plan.submitted_by else ""
    if plan.created_by_id == plan.submitted_by_id:
        return submitter
    creator = plan.created_by.display_name if plan.created_by else gettext("系统")
    return gettext("%(submitter)s(生成:%(creator)s)") % {"submitter": submitter, "creator": creator}


def _items(user: Any, limit: int) -> list[ApprovalItem]:
    plans = plans_awaiting(user=user).select_related("created_by", "submitted_by")[:limit]
    label = gettext("发放计划")
    return [
        ApprovalItem(
            kind=KEY,
            kind_label=label,
            title=gettext("%(month)s 发放计划 · %(count)s 笔 · 实发 %(total)s")
            % {"month": plan.month, "count": thousands(plan.line_count), "total": yuan(plan.net_total)},
            # A submitted plan always has its submission time (the submit move sets both).
            since=plan.submitted_at or plan.generated_at,
            prepared_by=_prepared_by(plan),
            url=reverse("payout-plan-detail", args=[plan.pk]),
        )
        for plan in plans
    ]


def _write_off_items(user: Any, limit: int) -> list[ApprovalItem]:
    requests = write_off_requests_awaiting(user=user).select_related("recovery__retiree", "requested_by")[
        :limit
    ]
    label = gettext("追回核销")
    return [
        ApprovalItem(
            kind=WRITE_OFF_KEY,
            kind_label=label,
            title=gettext("%(name)s 追回项核销 · 申请时余额 %(balance)s")
            % {"name": item.recovery.retiree.name, "balance": yuan(item.balance_at_request)},
            since=item.requested_at,
            prepared_by=item.requested_by.display_name,
            url=reverse("payout-recovery-detail", args=[item.recovery_id]),
        )
        for item in requests
    ]


def _one_off_items(user: Any, limit: int) -> list[ApprovalItem]:
    batches = one_off_batches_awaiting(user=user).select_related("submitted_by")[:limit]
    label = gettext("一次性支付")
    return [
        ApprovalItem(
            kind=ONE_OFF_KEY,
            kind_label=label,
            title=gettext("%(month)s 一次性支付批次 · %(count)s 笔 · 合计 %(total)s")
            % {"month": batch.month, "count": thousands(batch.payment_count), "total": yuan(batch.total)},
            # A submitted batch always has its submission time (the submit move sets both).
            since=batch.submitted_at or batch.created_at,
            prepared_by=batch.submitted_by.display_name if batch.submitted_by else "",
            url=reverse("one-off-batch-detail", args=[batch.pk]),
        )
        for batch in batches
    ]


def _adjustment_items(user: Any, limit: int) -> list[ApprovalItem]:
    runs = runs_awaiting(user=user).select_related("prepared_by")[:limit]
    label = gettext("年度调待")
    return [
        ApprovalItem(
            kind=ADJUSTMENT_KEY,
            kind_label=label,
            title=gettext("%(year)d 年度调待试算 · 调整 %(count)s 人 · 月增加 %(rise)s · 补发 %(arrears)s")
            % {
                "year": run.year,
                "count": thousands(int(run.figures.get("adjusted") or 0)),
                "rise": yuan(run.figures.get("rise_total") or "0"),
                "arrears": yuan(run.figures.get("arrears_total") or "0"),
            },
            # A submitted run always has its submission time (the submit move sets both).
            since=run.submitted_at or run.prepared_at,
            prepared_by=run.prepared_by.display_name,
            url=reverse("adjustment-run-detail", args=[run.pk]),
        )
        for run in runs
    ]


def register_kinds() -> None:
    register(
        ApprovalKind(
            key=KEY,
            label=_("发放计划"),
            may_approve=lambda user: access.can(user, Action.APPROVE_PAYMENTS),
            count=lambda user: plans_awaiting(user=user).count(),
            items=_items,
            list_url=lambda: reverse("payout-plan-list"),
            order=10,
        )
    )
    register(
        ApprovalKind(
            key=WRITE_OFF_KEY,
            label=_("追回核销"),
            may_approve=lambda user: access.can(user, Action.APPROVE_PAYMENTS),
            count=lambda user: write_off_requests_awaiting(user=user).count(),
            items=_write_off_items,
            list_url=lambda: reverse("payout-recovery-list") + "?write_off=pending",
            order=30,
        )
    )
    register(
        ApprovalKind(
            key=ONE_OFF_KEY,
            label=_("一次性支付"),
            may_approve=lambda user: access.can(user, Action.APPROVE_PAYMENTS),
            count=lambda user: one_off_batches_awaiting(user=user).count(),
            items=_one_off_items,
            list_url=lambda: reverse("one-off-batch-list"),
            order=20,
        )
    )
    register(
        ApprovalKind(
            key=ADJUSTMENT_KEY,
            label=_("年度调待"),
            may_approve=lambda user: access.can(user, Action.APPROVE_PAYMENTS),
            count=lambda user: runs_awaiting(user=user).count(),
            items=_adjustment_items,
            list_url=lambda: reverse("adjustment-year", args=[timezone.localdate().year]),
            order=50,
        )
    )
