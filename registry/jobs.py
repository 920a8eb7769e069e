"""Long jobs that survive a killed worker (docs/jobs.md): one pattern for every job row.

A job row (a registry ImportBatch, a certification import, a remote batch's PDF render…) carries the
`JobFields`: when its current attempt started, when it last showed a sign of life, and how many attempts it
has had. The worker calls `job_heartbeat` as it goes (outside any transaction, so the page and the sweeper
see it at once). A row in a running status whose heartbeat has not moved for settings.JOB_STALE_MINUTES is
taken to have lost its worker: the beat task `registry.tasks.sweep_stale_jobs` moves it to its
"interrupted" status (任务中断), with one UPDATE per kind whose WHERE repeats the running status and the stale
heartbeat, so a job that finishes at the same moment is never marked. The page then offers a button that runs
the job again through the owner's restart service (e.g. import_batch_restart), which checks the state machine
and queues the task on commit.

Each app registers its job rows in its AppConfig.ready (`register_job`); registry imports no app.
Writes stay idempotent: every job writes its result in one transaction that first locks its row and checks
it is still running, so a rerun after a crash, a redelivered message and a late zombie never write twice.
"""

from __future__ import annotations

import datetime
import logging
import threading
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("registry.jobs")

# The Chinese label every job's interrupted status uses, so the pages read the same everywhere.
INTERRUPTED_LABEL = _("任务中断")
INTERRUPTED_MESSAGE = _("后台任务中断(处理进程意外停止),未写入任何数据,可以重新运行。")


class JobFields(models.Model):
    """Fields every job row has (abstract)."""

    job_started_at = models.DateTimeField(_("本次运行开始时间"), null=True, blank=True)
    job_heartbeat_at = models.DateTimeField(_("最近心跳时间"), null=True, blank=True)
    job_attempts = models.PositiveSmallIntegerField(_("运行次数"), default=0)

    class Meta:
        abstract = True


@dataclass(frozen=True)
class JobKind:
    """A registered kind of job row: its running statuses and the status that says it died."""

    model: type[models.Model]
    running: frozenset[str]
    interrupted: str
    # Extra fields the sweeper writes with the interrupted status (e.g. an error message field).
    error_field: str = "error"
    # A job that cannot beat while it works (a WeasyPrint layout) may be given longer, in minutes.
    stale_minutes: int | None = None
    # The field holding the job's status: a row that is not only a job (a suspension run and its notices)
    # keeps the job's status beside its own.
    status_field: str = "status"


_KINDS: list[JobKind] = []


def register_job(kind: JobKind) -> None:
    """Add a kind of job row to the sweeper (called from an AppConfig.ready; a second call is ignored)."""
    if all(existing.model is not kind.model for existing in _KINDS):
        _KINDS.append(kind)


def registered_jobs() -> tuple[JobKind, ...]:
    return tuple(_KINDS)


def stale_limit(kind_minutes: int | None = None) -> datetime.timedelta:
    return datetime.timedelta(minutes=kind_minutes or settings.JOB_STALE_MINUTES)


def job_start_fields(row: JobFields, now: datetime.datetime | None = None) -> dict[str, object]:
    """The fields a service sets (with its status) when it starts or queues an attempt of `row`, which it
    holds locked: a fresh start and heartbeat, one more attempt."""
    return {**job_first_fields(now), "job_attempts": row.job_attempts + 1}


def job_first_fields(now: datetime.datetime | None = None) -> dict[str, object]:
    """job_start_fields of a job row created queued: its first attempt, started and beating now."""
    now = now or timezone.now()
    return {"job_started_at": now, "job_heartbeat_at": now, "job_attempts": 1}


Job = TypeVar("Job", bound=models.Model)


def job_claim(model: type[Job], pk: int, *, queued: str, running: str) -> Job | None:
    """A worker takes a queued job row: queued → running with a fresh heartbeat, or None when a redelivered
    message finds it running, finished or gone (the row's lock makes two deliveries take it once)."""
    with transaction.atomic():
        locked = model._default_manager.select_for_update().filter(pk=pk).first()
        if locked is None or getattr(locked, "status") != queued:  # noqa: B009 - any job model's column
            return None
        locked.status = running  # type: ignore[attr-defined]
        locked.job_heartbeat_at = timezone.now()  # type: ignore[attr-defined]
        locked.save(update_fields=["status", "job_heartbeat_at"])
        return locked


def job_heartbeat(model: type[models.Model], pk: int, **fields: object) -> None:
    """A sign of life from the worker, with any progress fields; autocommit, so it is seen at once."""
    model._default_manager.filter(pk=pk).update(job_heartbeat_at=timezone.now(), **fields)


@contextmanager
def job_beating(model: type[models.Model], pk: int, *, every: float | None = None) -> Iterator[None]:
    """Heartbeats from a side thread while a call that cannot report runs (a WeasyPrint layout). The thread
    has its own connection, so its beats are committed at once; it stops with the block and dies with the
    process, which is exactly what the sweeper needs to tell a slow job from a dead one. Not for a block that
    holds the job row's lock: the beats would wait for it."""
    stop = threading.Event()
    interval = every if every is not None else max(settings.JOB_STALE_MINUTES * 60 / 4, 1.0)

    def beat() -> None:
        try:
            while not stop.wait(interval):
                job_heartbeat(model, pk)
        finally:
            connections.close_all()  # this thread's own connection only

    thread = threading.Thread(target=beat, name=f"heartbeat-{model._meta.label}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def job_is_stale(
    row: JobFields,
    *,
    running: Collection[str],
    now: datetime.datetime | None = None,
    minutes: int | None = None,
    status_field: str = "status",
) -> bool:
    """True when the row is in a running status and its heartbeat is older than the limit."""
    if getattr(row, status_field, None) not in running:
        return False
    beat = row.job_heartbeat_at or row.job_started_at
    if beat is None:
        return False
    return (now or timezone.now()) - beat > stale_limit(minutes)


def job_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Mark every registered job row whose worker died as interrupted. Returns the count per model."""
    now = now or timezone.now()
    marked: dict[str, int] = {}
    for kind in _KINDS:
        cutoff = now - stale_limit(kind.stale_minutes)
        stale = Q(job_heartbeat_at__lt=cutoff) | Q(job_heartbeat_at__isnull=True, job_started_at__lt=cutoff)
        fields: dict[str, object] = {kind.status_field: kind.interrupted}
        if kind.error_field:
            fields[kind.error_field] = str(INTERRUPTED_MESSAGE)
        # One statement: its WHERE is evaluated again on a row another transaction is finishing, so a job
        # that commits its result while the sweep runs keeps that result.
        running = {f"{kind.status_field}__in": kind.running}
        count = kind.model._default_manager.filter(stale, **running).update(**fields)
        if count:
            logger.warning(
                "%s: %d job(s) interrupted (no heartbeat since %s)", kind.model._meta.label, count, cutoff
            )
        marked[kind.model._meta.label] = count
    return marked
