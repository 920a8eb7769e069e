"""Celery wrappers: take plain values, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from registry.months import PensionMonth, first_open_month

from .models import PayoutPlan
from .services import plan_draft


@shared_task
def draft_payout_plan(month: int | None = None) -> int:
    """Draft the plan for `month` (yyyymm), by default the first month still open (beat, on day P: the
    current month has just closed, so the next one is drafted). A plan that exists, in any state, is left
    as it is: a rerun never replaces lines a clerk has regenerated or someone has approved. Returns its id.
    The actor is the system (created_by empty, docs/payouts.md)."""
    target = (
        PensionMonth.from_number(month)
        if month
        else first_open_month(timezone.localdate(), settings.PAYOUT_PLAN_DAY)
    )
    existing = PayoutPlan.objects.filter(month=target.number).values_list("pk", flat=True).first()
    if existing is not None:
        return existing
    return plan_draft(month=target, by=None).pk
