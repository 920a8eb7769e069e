"""The finance card on the home page: this month's plan and the next payout deadline.

A template tag, so the registry's home view never imports pensions (registry imports none of the apps)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from registry import access
from registry.access import Action

from .. import reasons, selectors
from ..models import PayoutPlan
from ..preparers import plan_is_prepared_by

register = template.Library()


@register.filter
def transition_reason(stored: str) -> str:
    """A plan history reason in the reader's language (pensions.reasons)."""
    return reasons.reason_text(stored)


@register.inclusion_tag("pensions/_payout_calendar_card.html")
def payout_calendar_card(user: Any) -> dict[str, Any]:
    """Empty for anyone who neither prepares nor approves payments."""
    if not (access.can(user, Action.PREPARE_PAYMENTS) or access.can(user, Action.APPROVE_PAYMENTS)):
        return {"calendar": None}
    calendar = selectors.payout_calendar(today=timezone.localdate())
    plan = calendar.plan
    awaiting_you = (
        plan is not None
        and plan.status == PayoutPlan.Status.SUBMITTED
        and access.can(user, Action.APPROVE_PAYMENTS)
        # The inbox's rule: none of the people who prepared it (pensions.preparers).
        and not plan_is_prepared_by(plan=plan, staff_id=user.pk)
    )
    return {"calendar": calendar, "awaiting_you": awaiting_you}
