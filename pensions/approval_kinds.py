"""The payouts' kinds of approval for the inbox (registry.approvals): submitted payout plans.

Recovery write-offs are not a kind: a write-off is decided at once by a reviewer who did not record the
recovery, so nothing waits (docs/approvals.md, "Recovery write-offs").
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from registry import access
from registry.access import Action
from registry.approvals import ApprovalItem, ApprovalKind, register

from .models import PayoutPlan
from .preparers import plan_prepared_by_q

KEY = "payout_plan"


def plans_awaiting(*, user: Any) -> QuerySet[PayoutPlan]:
    """Submitted plans this reviewer may approve: none they prepared (the rule plan_approve enforces). Plans
    are county-wide, so there is no further scope."""
    if not access.can(user, Action.APPROVE_PAYMENTS):
        return PayoutPlan.objects.none()
    return (
        PayoutPlan.objects.filter(status=PayoutPlan.Status.SUBMITTED)
        .exclude(plan_prepared_by_q(user.pk))
        .order_by("submitted_at", "id")
    )


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
            title=gettext("%(month)s 发放计划 · %(count)s 笔 · 实发 ¥%(total)s")
            % {"month": plan.month, "count": f"{plan.line_count:,}", "total": f"{plan.net_total:,}"},
            # A submitted plan always has its submission time (the submit move sets both).
            since=plan.submitted_at or plan.generated_at,
            prepared_by=_prepared_by(plan),
            url=reverse("payout-plan-detail", args=[plan.pk]),
        )
        for plan in plans
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
