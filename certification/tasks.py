"""Celery wrappers: take plain values, call a service, safe to run twice.

The services queue these tasks on commit and import this module inside the function that does it: this
module imports the services, not the other way round.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.utils import timezone

from registry.jobs import job_heartbeat
from registry.models import Staff

from .errors import CertificationError
from .models import Campaign, CertificationImport
from .services import suspension_run
from .services.imports import certification_import_apply, certification_import_check_run
from .services.notices import suspension_notices_render
from .services.remote import remote_batch_render


@shared_task
def run_suspension(year: int | None = None) -> int | None:
    """The August suspension (beat, daily): does nothing before the campaign's suspension date, then runs
    once for the year; later days find the year's SuspensionRun and change nothing. Returns its id."""
    today = timezone.localdate()
    campaign = Campaign.or_default(year or today.year)
    if today < campaign.suspension_date:
        return None
    return suspension_run(year=campaign.year, today=today).pk


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_suspension_notices(run_id: int) -> str:
    """The combined suspension notices of a run, one PDF per township (queued when the run commits or by
    suspension_notices_restart). Makes only the townships still missing; notices no longer rendering are
    left as they are. Returns the notices status."""
    return suspension_notices_render(run_id=run_id).notices_status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def render_remote_batch(batch_id: int) -> str:
    """The combined forms PDF of a remote batch (queued on commit by remote_batch_create / _retry).
    Returns the batch's status; a batch already rendered is left as it is."""
    return remote_batch_render(batch_id=batch_id).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def apply_certification_import(import_id: int, by_id: int) -> dict[str, Any]:
    """A confirmed certification import, written (queued on commit by certification_import_queue; safe to
    run twice: the second finds the import confirmed and reports the refusal). The page polls its result."""
    # A sign of life before the one long transaction of the write (registry.jobs).
    job_heartbeat(CertificationImport, import_id)
    certification_import = CertificationImport.objects.get(pk=import_id)
    by = Staff.objects.get(pk=by_id)
    try:
        done = certification_import_apply(certification_import=certification_import, by=by)
    except CertificationError as error:
        return {"error": error.message}
    return {"applied": done.summary.get("applied", {})}


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_certification_import(import_id: int) -> str:
    """The check of a large certification import file (queued on commit by certification_import_check; safe
    to run twice: only an import still checking is checked). Returns its status."""
    return certification_import_check_run(import_id=import_id).status
