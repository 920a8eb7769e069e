"""Background file exports (docs/exports.md): asked for on a page, made by the worker, downloaded from
“我的导出” by the person who asked.

The request only checks and queues: `export_job_start` checks the kind's permission and the numbers rule,
stores the parameters and queues the task on commit. The worker (`export_job_run`) claims the row
(queued → running, a new attempt), writes the file into a temporary file with progress and heartbeats, and
then, in one transaction that first locks the row and checks it is still this attempt's running job, stores
the file, the row count and the done status, and records a full-number file (sensitive_export_record). A
worker that dies leaves no file and no record; the sweeper marks the row 任务中断 and “重新生成” queues it
again. A redelivered message or a zombie of an earlier attempt finds the row no longer its own and writes
nothing.
"""

from __future__ import annotations

import datetime
import logging
import tempfile
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ExportJobError
from ..exports import ExportKind, ExportRecord, ExportRequest, export_kind
from ..jobs import job_claim, job_first_fields, job_heartbeat, job_is_stale, job_start_fields
from ..models import ExportJob, Staff
from .sensitive import MASKED, ExportNumbers, sensitive_export_record

logger = logging.getLogger("registry.exports")
Status = ExportJob.Status
RUNNING = frozenset({Status.QUEUED, Status.RUNNING})
# Heartbeats with progress at most this often (rows): one UPDATE per few thousand rows costs nothing.
_BEAT_EVERY_ROWS = 2000


def _kind(key: str) -> ExportKind:
    kind = export_kind(key)
    if kind is None:
        raise ExportJobError(_("没有“%(kind)s”这种导出。") % {"kind": key}, field="kind")
    return kind


def export_job_allowed(job: ExportJob, user: Staff) -> bool:
    """May `user` download this file: the person who asked, while their role still may make the export."""
    kind = export_kind(job.kind)
    return kind is not None and job.requested_by_id == user.pk and kind.allowed(user, job.parameters)


def export_job_stalled(job: ExportJob) -> bool:
    """Shown running, but the worker stopped beating: the button is offered before the sweeper comes."""
    return job_is_stale(job, running=RUNNING)


def _queue(job: ExportJob) -> None:
    from ..tasks import run_export_job  # noqa: PLC0415 - tasks import the services

    transaction.on_commit(lambda: run_export_job.delay(job.pk))


@transaction.atomic
def export_job_start(
    *, kind: str, parameters: dict[str, Any], by: Staff, numbers: ExportNumbers = MASKED
) -> ExportJob:
    """Queue an export of `kind` narrowed by `parameters` (JSON values) for `by`. Refused with
    PermissionDenied when `by` may not make it; `numbers` comes from sensitive_export_numbers."""
    export = _kind(kind)
    if not export.allowed(by, parameters):
        raise PermissionDenied(kind)
    now = timezone.now()
    job = ExportJob.objects.create(
        kind=kind,
        label=str(export.label(parameters))[:200],
        parameters=parameters,
        requested_by=by,
        created_at=now,
        status=Status.QUEUED,
        full_numbers=numbers.full,
        purpose=numbers.purpose,
        purpose_note=numbers.purpose_note,
        **job_first_fields(now),
    )
    _queue(job)
    return job


@transaction.atomic
def export_job_restart(*, job: ExportJob, by: Staff) -> ExportJob:
    """Make the file again after a failure or a dead worker (任务中断, or shown running with a stale
    heartbeat). Only the person who asked; everything an earlier attempt did is replaced, never added to."""
    locked = ExportJob.objects.select_for_update().get(pk=job.pk)
    if not export_job_allowed(locked, by):
        raise PermissionDenied("export job")
    if locked.status not in (Status.FAILED, Status.INTERRUPTED) and not export_job_stalled(locked):
        raise ExportJobError(
            _("该导出当前为“%(status)s”,只有任务中断或失败的导出可以重新生成。")
            % {"status": locked.get_status_display()},
            field="status",
        )
    for name, value in job_start_fields(locked).items():
        setattr(locked, name, value)
    locked.status, locked.progress, locked.row_count, locked.error = Status.QUEUED, 0, 0, ""
    locked.save(
        update_fields=[
            "status",
            "progress",
            "row_count",
            "error",
            "job_started_at",
            "job_heartbeat_at",
            "job_attempts",
        ]
    )
    _queue(locked)
    return locked


def _claim(job_id: int) -> ExportJob | None:
    """Queued → running, or None when a redelivered message finds it running, done, failed or expired."""
    return job_claim(ExportJob, job_id, queued=Status.QUEUED, running=Status.RUNNING)


def _numbers(job: ExportJob) -> ExportNumbers:
    if not job.full_numbers:
        return MASKED
    return ExportNumbers(full=True, purpose=job.purpose, purpose_note=job.purpose_note)


def export_job_run(*, job_id: int) -> ExportJob | None:
    """Make the file (the task's body). Returns the job, or None when it was not queued."""
    job = _claim(job_id)
    if job is None:
        return None
    attempt = job.job_attempts
    kind = export_kind(job.kind)
    try:
        if kind is None:
            raise ExportJobError(_("没有“%(kind)s”这种导出。") % {"kind": job.kind})
        user = job.requested_by
        # The role may have changed between asking and making: checked again.
        if not kind.allowed(user, job.parameters):
            raise ExportJobError(_("您的账号已无权生成这份导出。"))
        last_beat = [0]

        def progress(done: int, total: int) -> None:
            if done - last_beat[0] >= _BEAT_EVERY_ROWS or done == total:
                last_beat[0] = done
                percent = min(99, 100 * done // total) if total else 0
                job_heartbeat(ExportJob, job_id, progress=percent, row_count=done)

        with tempfile.TemporaryFile() as target:
            result = kind.write(
                ExportRequest(
                    user=user,
                    parameters=job.parameters,
                    numbers=_numbers(job),
                    target=target,
                    progress=progress,
                    job_id=job_id,
                )
            )
            target.seek(0)
            _finish(job_id, attempt, kind, target, result.rows, result.filename, result.content_type)
    except ExportJobError as refusal:
        ExportJob.objects.filter(pk=job_id, status=Status.RUNNING, job_attempts=attempt).update(
            status=Status.FAILED, error=refusal.message[:4000], finished_at=timezone.now()
        )
    except Exception as error:
        logger.exception("export job %s failed", job_id)
        ExportJob.objects.filter(pk=job_id, status=Status.RUNNING, job_attempts=attempt).update(
            status=Status.FAILED,
            error=(_("导出失败:%(error)s") % {"error": error})[:4000],
            finished_at=timezone.now(),
        )
        raise
    return ExportJob.objects.get(pk=job_id)


@transaction.atomic
def _finish(
    job_id: int,
    attempt: int,
    kind: ExportKind,
    target: Any,
    rows: int,
    filename: str,
    content_type: str,
) -> None:
    """The file, its count, the done status and the record of a full-number file, in one transaction that
    first checks the row is still this attempt's running job (else nothing is written)."""
    locked = ExportJob.objects.select_for_update().filter(pk=job_id).first()
    if locked is None or locked.status != Status.RUNNING or locked.job_attempts != attempt:
        logger.warning(
            "export job %s: attempt %s is no longer the running one; file dropped", job_id, attempt
        )
        return
    suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    # Stored under a plain name (the person's file name is kept in `filename`): no user text in paths.
    locked.file.save(f"export-{job_id}-{attempt}.{suffix}", File(target), save=False)
    locked.filename = filename[:200]
    locked.content_type = content_type
    locked.row_count = rows
    locked.progress = 100
    locked.status = Status.DONE
    locked.finished_at = timezone.now()
    locked.save(
        update_fields=["file", "filename", "content_type", "row_count", "progress", "status", "finished_at"]
    )
    if kind.record is not None:
        kind.record(
            ExportRecord(
                by=locked.requested_by,
                parameters=locked.parameters,
                rows=rows,
                job_id=locked.pk,
                download=False,
            )
        )
        return
    sensitive_export_record(
        by=locked.requested_by,
        numbers=_numbers(locked),
        export=kind.sensitive_name,
        label=locked.label,
        person_count=rows,
        detail={**locked.parameters, "export_job": locked.pk},
    )


@transaction.atomic
def export_job_download(*, job: ExportJob, by: Staff) -> File[bytes]:
    """The finished file, opened, for the person who asked while they still may make it (else
    PermissionDenied). A full-number file's download is recorded too (docs/personal-data.md)."""
    locked = ExportJob.objects.select_for_update().get(pk=job.pk)
    if not export_job_allowed(locked, by):
        raise PermissionDenied("export job")
    if locked.status != Status.DONE or not locked.file:
        raise ExportJobError(
            _("该导出当前为“%(status)s”,没有可下载的文件。") % {"status": locked.get_status_display()}
        )
    kind = _kind(locked.kind)
    if kind.record is not None:
        kind.record(
            ExportRecord(
                by=by, parameters=locked.parameters, rows=locked.row_count, job_id=locked.pk, download=True
            )
        )
        opened_file: File[bytes] = locked.file.open("rb")
        return opened_file
    sensitive_export_record(
        by=by,
        numbers=_numbers(locked),
        export=kind.sensitive_name,
        label=_("下载:%(label)s") % {"label": locked.label},
        person_count=locked.row_count,
        detail={**locked.parameters, "export_job": locked.pk, "download": True},
    )
    opened: File[bytes] = locked.file.open("rb")
    return opened


def export_jobs_expire(*, now: datetime.datetime | None = None) -> int:
    """Delete the files of exports finished more than settings.EXPORT_RETENTION_HOURS ago (beat): the row
    stays, as 已过期删除, so the list still says what was exported and when. Returns how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(hours=settings.EXPORT_RETENTION_HOURS)
    expired = 0
    for pk in ExportJob.objects.filter(status=Status.DONE, finished_at__lt=cutoff).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            locked = ExportJob.objects.select_for_update().filter(pk=pk, status=Status.DONE).first()
            if locked is None:
                continue
            name = locked.file.name
            locked.status = Status.EXPIRED
            locked.file = ""
            locked.save(update_fields=["status", "file"])
            if name:
                transaction.on_commit(partial(default_storage.delete, name))
            expired += 1
    return expired
