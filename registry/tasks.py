"""Celery wrappers: take ids or dates, call a service, safe to run twice.

Long jobs that are safe to run twice are declared `acks_late=True, reject_on_worker_lost=True`: acknowledged
only when they finish and given back to the broker when their worker process dies, so the job is run again
(docs/jobs.md)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.utils import timezone

from .jobs import job_sweep
from .services import (
    import_batch_check,
    import_batch_index_names,
    import_batch_run,
    import_batches_index_pending,
    registry_snapshot_take,
)
from .services.export_jobs import export_job_run, export_jobs_expire


@shared_task
def take_registry_snapshot(on: str | None = None) -> int:
    """Nightly head count per township and status (beat schedule in settings). `on` is an ISO date."""
    day = datetime.date.fromisoformat(on) if on else timezone.localdate()
    return registry_snapshot_take(on=day)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def check_import_batch(batch_id: int) -> str:
    """The dry run of an uploaded file (queued on commit by import_batch_upload). Returns the status."""
    return import_batch_check(batch_id=batch_id).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_import_batch(batch_id: int) -> str:
    """The import of a confirmed batch (queued on commit by import_batch_confirm), then, once it has
    committed, its people's search keys. Redelivered after a worker died, each step does only what is left.
    Returns the status."""
    status = import_batch_run(batch_id=batch_id).status
    import_batch_index_names(batch_id=batch_id)
    return status


@shared_task
def index_pending_import_names() -> int:
    """The search keys of imported batches whose own job did not write them (beat, every few minutes).
    Returns the number of batches indexed."""
    return import_batches_index_pending()


@shared_task
def sweep_stale_jobs() -> dict[str, int]:
    """Mark every job whose worker died (no heartbeat for settings.JOB_STALE_MINUTES) as interrupted (beat,
    every few minutes), so its page says so and offers to run it again. Returns the count per kind."""
    return job_sweep()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_export_job(job_id: int) -> str | None:
    """Make one background export's file (queued on commit by export_job_start / export_job_restart). A
    redelivered message finds the job no longer queued and does nothing. Returns the status."""
    job = export_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task
def expire_exports() -> int:
    """Delete the files of exports older than settings.EXPORT_RETENTION_HOURS (beat, hourly)."""
    return export_jobs_expire()
