"""The adjustment notices (养老金调整通知单) of an applied run: one PDF per township, made by a Celery task
(docs/annual-adjustment.md). Each township's file is a job row, AdjustmentNoticeBatch (registry.jobs,
docs/jobs.md): queued by a clerk, rendering in the worker (a side thread beats while WeasyPrint lays it out),
then done, failed or, when the sweeper finds its worker dead, interrupted.

A failed, interrupted or stalled batch is started again as the same row (one more attempt); a township
whose file is done gets a new batch when the clerk asks for it again (the registry may have changed since,
e.g. a back-dated recalculation), and the page shows the newest. The file is saved in one transaction that
locks the row and checks it is still rendering in this attempt, so a redelivered task, a second run or a
zombie attempt never writes a second file.
"""

from __future__ import annotations

import datetime
import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.jobs import job_beating, job_heartbeat, job_start_fields
from registry.models import Staff
from registry.selectors import county_name

from ..errors import AdjustmentError
from ..models import AdjustmentNoticeBatch, AdjustmentRun
from ..selectors.adjustment_notices import TownshipNotices, notice_people, notice_townships

logger = logging.getLogger("pensions.adjustment_notices")
Batch = AdjustmentNoticeBatch.Status


def _queue_render(batch_id: int) -> None:
    from ..tasks import render_adjustment_notices  # noqa: PLC0415 - the tasks module imports the services

    transaction.on_commit(lambda: render_adjustment_notices.delay(batch_id))


def _queue_township(
    *, run: AdjustmentRun, row: TownshipNotices, by: Staff, now: datetime.datetime
) -> AdjustmentNoticeBatch:
    """A new batch for the township, or its failed / interrupted / stalled one queued again."""
    batch = row.batch
    if batch is None or batch.status == Batch.DONE:
        batch = AdjustmentNoticeBatch.objects.create(
            run=run,
            township=row.township,
            status=Batch.QUEUED,
            people=row.people,
            requested_by=by,
            requested_at=now,
        )
    else:
        batch.status, batch.error, batch.progress, batch.people = Batch.QUEUED, "", 0, row.people
        batch.requested_by, batch.requested_at, batch.job_heartbeat_at = by, now, None
        batch.save(
            update_fields=[
                "status",
                "error",
                "progress",
                "people",
                "requested_by",
                "requested_at",
                "job_heartbeat_at",
            ]
        )
    _queue_render(batch.pk)
    return batch


@transaction.atomic
def adjustment_notices_start(
    *, run: AdjustmentRun, by: Staff, township_id: int | None = None
) -> list[AdjustmentNoticeBatch]:
    """Queue the notices of one township (`township_id`: made again even when its file is done), or of every
    township whose file is missing, failed or interrupted (None). Only for an applied run: the notice tells
    the retiree the arrears actually written. A township still being made is refused (one township) or left
    alone (every township). Returns the batches queued."""
    access.require(by, Action.PREPARE_PAYMENTS)
    # Lock the run: two clicks at once are taken one after the other, and the second finds the first's batch.
    locked = AdjustmentRun.objects.select_for_update().get(pk=run.pk)
    if locked.status != AdjustmentRun.Status.APPLIED:
        raise AdjustmentError(
            _(
                "调整通知单只能在调待执行后生成(通知单上的补发金额以实际写入的为准);本次调待当前为“%(status)s”。"
            )
            % {"status": locked.get_status_display()},
            field="run",
        )
    townships = notice_townships(locked)
    if township_id is not None:
        chosen = [row for row in townships if row.township.pk == township_id]
        if not chosen:
            raise AdjustmentError(_("该乡镇在本次调待中没有调整人员,无需生成通知单。"), field="township")
        if not chosen[0].may_start:
            raise AdjustmentError(
                _("%(township)s的通知单正在生成,请等待完成。") % {"township": chosen[0].township.name},
                field="township",
            )
    else:
        chosen = [
            row
            for row in townships
            if row.may_start and (row.batch is None or row.batch.status != Batch.DONE)
        ]
        if not chosen:
            raise AdjustmentError(
                _("各乡镇的通知单都已生成或正在生成;需要重新生成某个乡镇的,请点该乡镇的“重新生成”。"),
                field="township",
            )
    now = timezone.now()
    batches = [_queue_township(run=locked, row=row, by=by, now=now) for row in chosen]
    logger.info(
        "adjustment run %s: notices of %d township(s) queued by %s (id %s)",
        locked.pk,
        len(batches),
        by.username,
        by.pk,
    )
    return batches


def _begin(batch_id: int) -> AdjustmentNoticeBatch | None:
    """Move a queued batch to rendering (a new attempt); None when it is not queued (a redelivered task, a
    second run, a batch already done)."""
    with transaction.atomic():
        locked = AdjustmentNoticeBatch.objects.select_for_update().get(pk=batch_id)
        if locked.status != Batch.QUEUED:
            return None
        now = timezone.now()
        locked.status, locked.progress = Batch.RENDERING, 0
        for name, value in job_start_fields(locked, now).items():
            setattr(locked, name, value)
        locked.save(
            update_fields=["status", "progress", "job_started_at", "job_heartbeat_at", "job_attempts"]
        )
        return locked


def _finish(
    batch: AdjustmentNoticeBatch, *, pdf: bytes | None = None, **fields: object
) -> AdjustmentNoticeBatch:
    """Write the attempt's result, once: only a batch still rendering in this attempt is finished (the
    sweeper may have marked it interrupted, and a restart may have begun another attempt)."""
    with transaction.atomic():
        locked = AdjustmentNoticeBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != Batch.RENDERING or locked.job_attempts != batch.job_attempts:
            return locked
        if pdf is not None:
            township = batch.township
            locked.file.save(
                f"adjustment-notices-{batch.run.year}-{batch.run_id}-{township.code}.pdf",
                ContentFile(pdf),
                save=False,
            )
            fields["file"] = locked.file.name
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.finished_at = timezone.now()
        locked.save(update_fields=[*fields, "finished_at"])
        return locked


def adjustment_notices_render(*, batch_id: int) -> AdjustmentNoticeBatch:
    """The job: lay out the township's notices and save the file, or mark the batch failed with the error.
    A batch that is not queued is left as it is."""
    batch = _begin(batch_id)
    if batch is None:
        return AdjustmentNoticeBatch.objects.get(pk=batch_id)
    from ..pdfs.adjustment_notices import adjustment_notices_pdf, notice_file  # noqa: PLC0415 - WeasyPrint loads only in the worker

    run = AdjustmentRun.objects.select_related("parameters").get(pk=batch.run_id)
    started = timezone.now()
    try:
        people = notice_people(run=run, township_id=batch.township_id)
        job_heartbeat(AdjustmentNoticeBatch, batch_id, progress=10)
        document = notice_file(
            run=run,
            township=batch.township.name,
            people=people,
            dated=timezone.localdate(),
            bureau=county_name(),
        )
        # WeasyPrint reports nothing while it lays out the township: a side thread beats (no lock held).
        with job_beating(AdjustmentNoticeBatch, batch_id):
            pdf = adjustment_notices_pdf(document)
    except Exception as error:
        logger.exception("adjustment notices batch %s: rendering failed", batch_id)
        return _finish(batch, status=Batch.FAILED, error=_("通知单生成失败:%(error)s") % {"error": error})
    seconds = (timezone.now() - started).total_seconds()
    logger.info("adjustment notices batch %s: %d notices in %.1f s", batch_id, len(people), seconds)
    return _finish(batch, pdf=pdf, status=Batch.DONE, error="", progress=100, people=len(people))
