"""Celery wrappers: take ids or dates, call a service, safe to run twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from .services import registry_snapshot_take


@shared_task
def take_registry_snapshot(on: str | None = None) -> int:
    """Nightly head count per township and status (beat schedule in settings). `on` is an ISO date."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return registry_snapshot_take(on=day)
