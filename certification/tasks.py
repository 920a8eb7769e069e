"""Celery wrappers: take plain values, call a service, safe to run twice."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .services import campaign_for_year, suspension_run


@shared_task
def run_suspension(year: int | None = None) -> int | None:
    """The August suspension (beat, daily): does nothing before the campaign's suspension date, then runs
    once for the year; later days find the year's SuspensionRun and change nothing. Returns its id."""
    today = timezone.localdate()
    campaign = campaign_for_year(year or today.year)
    if today < campaign.suspension_date:
        return None
    return suspension_run(year=campaign.year, today=today).pk
