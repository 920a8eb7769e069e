"""Who prepared a payout plan: the one rule that the approval service, the plan page and the approvals inbox
all read, so none of them can disagree about who may approve (docs/approvals.md).

A plan's preparers are whoever drafted it (created_by; empty when the beat job drafted it), whoever made its
lines again at any time (each regeneration is a PlanTransition draft → draft; the last one is also kept in
regenerated_by, where the database constraint can see it) and whoever submitted it. None of them may
approve or reject it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from .models import PayoutPlan, PlanTransition

Status = PayoutPlan.Status


def plan_prepared_by_q(staff_id: int) -> Q:
    """PayoutPlans that the staff member `staff_id` prepared."""
    made_lines = PlanTransition.objects.filter(
        plan=OuterRef("pk"), by_id=staff_id, to_status=Status.DRAFT, from_status__in=["", Status.DRAFT]
    )
    return (
        Q(created_by_id=staff_id)
        | Q(regenerated_by_id=staff_id)
        | Q(submitted_by_id=staff_id)
        | Q(Exists(made_lines))
    )


def plan_is_prepared_by(*, plan: PayoutPlan, staff_id: int) -> bool:
    return PayoutPlan.objects.filter(plan_prepared_by_q(staff_id), pk=plan.pk).exists()
