"""Celery wrappers: take plain values, call a service, safe to run twice."""

from __future__ import annotations

from typing import cast

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from registry.months import PensionMonth, first_open_month

from .models import PayoutPlan
from .services import plan_draft
from .services.adjustment_comparisons import adjustment_compare
from .services.adjustment_notices import adjustment_notices_render
from .services.adjustments import adjustment_apply, adjustment_dry_run
from .services.plan_jobs import plan_job_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def redraft_payout_plans() -> list[int]:
    """Make every draft plan again from the registry as it is now, as the system (queued after a change to
    many retirees at once, such as the August suspension job, so a draft made before it does not pay the
    people it suspended). Submitted and later plans are left alone: they are refused at approval instead.
    Safe to run twice. Returns the months (yyyymm) made again."""
    drafts = PayoutPlan.objects.filter(status=PayoutPlan.Status.DRAFT).order_by("month")
    # The stubs see the IntegerField under PensionMonthField; the value is a PensionMonth.
    months = [cast(PensionMonth, plan.month) for plan in drafts]
    for month in months:
        plan_draft(month=month, by=None)
    return [month.number for month in months]


@shared_task(acks_late=True, reject_on_worker_lost=True)
def adjustment_dry_run_task(run_id: int) -> int | None:
    """The annual adjustment's dry run (pensions.services.adjustments). A redelivered message finds the run
    no longer queued and does nothing."""
    run = adjustment_dry_run(run_id=run_id)
    return run.pk if run is not None else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def adjustment_apply_task(run_id: int) -> int | None:
    """Apply an approved annual adjustment run, in one transaction; a second delivery changes nothing."""
    run = adjustment_apply(run_id=run_id)
    return run.pk if run is not None else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_adjustment_notices(batch_id: int) -> str:
    """One township's adjustment notices PDF (queued on commit by adjustment_notices_start). Safe to run
    twice: only a queued batch is rendered, and only the attempt that began it saves the file. Returns the
    batch's status."""
    return adjustment_notices_render(batch_id=batch_id).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def adjustment_compare_task(comparison_id: int) -> int | None:
    """Compare the province's result file with a dry run (pensions.services.adjustment_comparisons). A
    redelivered message finds the comparison no longer queued and does nothing."""
    comparison = adjustment_compare(comparison_id=comparison_id)
    return comparison.pk if comparison is not None else None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_plan_job(job_id: int) -> str | None:
    """Draft a plan or write its bank files for a clerk (queued on commit by plan_draft_start,
    bank_files_start or plan_job_restart). A redelivered message finds the job no longer queued and does
    nothing. Returns the status."""
    job = plan_job_run(job_id=job_id)
    return job.status if job is not None else None
