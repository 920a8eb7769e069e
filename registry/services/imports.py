"""Bulk import of existing retirees (docs/import.md): upload → dry run → confirm → import, whole or nothing.

An ImportBatch moves uploaded → checking → checked → importing → imported, or to failed, only through
`_move`. The dry run and the import are long (100,000 rows) and run as Celery jobs (registry.tasks); they
write their progress to the batch as they go, which is why `import_batch_check` and `import_batch_run`
are not one transaction each: the registry itself is written in a single transaction at the end of the import.

The dry run leaves its rows in a staging table (registry.imports.writing), written in the same transaction as
the batch's move to checked; the import moves them from there without reading the file again, re-checking only
what may have changed meanwhile, and deletes them in its own transaction.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence
from pathlib import PurePath
from typing import Any

import pghistory
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import access, collector
from ..access import Action
from ..errors import ImportBatchError
from ..id_numbers import mask_resident_id
from ..imports.reading import Table, check_header, check_row_limit, read_table, upload_bytes
from ..imports.validation import CheckResult, RejectedRow, check_table
from ..imports.workbooks import rejected_workbook
from ..imports.writing import (
    delete_staged,
    has_staged,
    move_staged,
    recheck_staged,
    stage_rows,
    staged_rejected,
    write_search_keys,
)
from ..jobs import INTERRUPTED_MESSAGE, job_heartbeat, job_is_stale, job_start_fields
from ..models import ImportBatch, Staff

logger = logging.getLogger(__name__)
Status = ImportBatch.Status

_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.UPLOADED: frozenset({Status.CHECKING, Status.FAILED}),
    Status.CHECKING: frozenset({Status.CHECKED, Status.FAILED, Status.INTERRUPTED}),
    Status.CHECKED: frozenset({Status.IMPORTING}),
    Status.IMPORTING: frozenset({Status.IMPORTED, Status.FAILED, Status.INTERRUPTED}),
    Status.IMPORTED: frozenset(),
    Status.FAILED: frozenset(),
    # Run again (import_batch_restart): the check from the start, or the confirmed import.
    Status.INTERRUPTED: frozenset({Status.UPLOADED, Status.IMPORTING}),
}
IN_PROGRESS = frozenset({Status.UPLOADED, Status.CHECKING, Status.IMPORTING})
# The statuses in which a worker holds the batch: the sweeper marks them interrupted when the heartbeat stops.
RUNNING = frozenset({Status.CHECKING, Status.IMPORTING})


def _move(batch: ImportBatch, to: str, **fields: Any) -> None:
    """The one door for a batch's status: refuses a move the state machine does not have, and saves the
    status together with what goes with it (counts, who confirmed, when it finished)."""
    if to not in _TRANSITIONS[batch.status]:
        raise ImportBatchError(
            _("导入批次不能从“%(from)s”变为“%(to)s”。")
            % {"from": Status(batch.status).label, "to": Status(to).label},
            field="status",
        )
    if to in (Status.IMPORTED, Status.FAILED):
        fields.setdefault("finished_at", timezone.now())
    batch.status = to
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=["status", *fields])


def _set_progress(batch: ImportBatch, percent: int) -> None:
    # Outside any transaction, so the page polling the batch (and the stale-job sweeper) sees it at once.
    job_heartbeat(ImportBatch, batch.pk, progress=max(0, min(100, percent)))


def _fail(batch_id: int, message: str) -> ImportBatch:
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status in IN_PROGRESS:
            _move(batch, Status.FAILED, error=message)
            # A failed batch is never imported: its staged rows go with it.
            delete_staged(batch_id=batch_id)
        return batch


@transaction.atomic
def import_batch_upload(*, file: UploadedFile[bytes], by: Staff) -> ImportBatch:
    """Keep the file and queue its dry run. Only what needs no parsing of the rows is done in the request
    (docs/jobs.md "Uploads"): the size, the row count against settings.IMPORT_MAX_ROWS and the header, so a
    wrong or oversized file is refused at once; the rows are read and checked by the worker."""
    access.require(by, Action.EDIT_REGISTRY)
    name, data = upload_bytes(file)
    suffix = PurePath(name).suffix.lower()
    check_header(data, name)
    # Counted as the file says (the xlsx dimension): the dry run counts the rows it reads.
    rows = check_row_limit(data, name, max_rows=settings.IMPORT_MAX_ROWS)
    batch = ImportBatch(original_name=name[:200], uploaded_by=by, total_rows=rows)
    batch.file.save(f"import{suffix}", ContentFile(data), save=False)
    batch.save()

    from ..tasks import check_import_batch  # noqa: PLC0415 - the tasks module imports the services

    batch_id = batch.pk
    transaction.on_commit(lambda: check_import_batch.delay(batch_id))
    return batch


def _read(batch: ImportBatch) -> Table:
    with batch.file.open("rb") as handle:
        data = handle.read()
    # Counted again, row by row, before the cells are loaded: an xlsx whose dimension understates its rows
    # is stopped here, not after the parser has taken the memory.
    check_row_limit(data, batch.original_name, max_rows=settings.IMPORT_MAX_ROWS, exact=True)
    return read_table(data, batch.original_name)


def _problems(rejected: Sequence[RejectedRow]) -> list[dict[str, Any]]:
    """The preview's first problems. ID numbers masked: the row number is enough to find the row."""
    return [
        {
            "row": row.row_number,
            "name": row.name,
            "id_number": mask_resident_id(row.id_number) if row.id_number else "",
            "reasons": row.reasons,
        }
        for row in rejected[: settings.IMPORT_PREVIEW_PROBLEMS]
    ]


def _checked(batch: ImportBatch, *, by: Staff, start: int, end: int) -> CheckResult:
    """Read and check the file, reporting progress between `start` and `end` percent."""
    table = _read(batch)
    _set_progress(batch, start + (end - start) // 10)
    span = end - start

    def report(done: int, total: int) -> None:
        _set_progress(batch, start + span // 10 + (span * 8 // 10) * done // max(total, 1))

    return check_table(
        table,
        user=by,
        today=timezone.localdate(),
        progress=report,
        progress_every=settings.IMPORT_PROGRESS_EVERY,
    )


def _rejected_file(batch: ImportBatch, headers: Sequence[str], rejected: Sequence[RejectedRow]) -> None:
    if rejected:
        stem = PurePath(batch.original_name).stem[:80]
        content = ContentFile(rejected_workbook(headers, rejected))
        batch.rejected_file.save(f"{stem}-问题行.xlsx", content, save=False)
    else:
        batch.rejected_file = ""


def _guarded(batch_id: int, work: Callable[[], ImportBatch], *, what: str) -> ImportBatch:
    """Run a job's work; any failure ends the batch as failed with a message, never leaves it spinning."""
    try:
        return work()
    except ImportBatchError as error:
        return _fail(batch_id, error.message)
    except IntegrityError:
        logger.exception("import batch %s: integrity error", batch_id)
        return _fail(
            batch_id,
            _("导入时发现重复的身份证号码或待遇证号(可能刚被他人登记),本批已全部撤销,请重新上传校验。"),
        )
    except Exception as error:
        logger.exception("import batch %s failed", batch_id)
        return _fail(
            batch_id, _("%(what)s时出错,本批未写入任何数据:%(error)s") % {"what": what, "error": error}
        )


def import_batch_check(*, batch_id: int) -> ImportBatch:
    """The dry run: check every row and record the counts, the first problems and the rejected-rows file,
    and stage every row for the import (replacing an earlier check's). Writes nothing to the registry. A
    second run of the same batch (a redelivered task) does nothing."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != Status.UPLOADED:
            return batch
        _move(batch, Status.CHECKING, progress=0, **job_start_fields(batch))

    def work() -> ImportBatch:
        # The file's cells, their texts and the checked rows (millions of objects) live until the rows are
        # staged: with the cyclic collector walking them again and again the dry run took a second longer
        # on 100,000 rows (bench/import_retirees.py).
        with collector.paused():
            result = _checked(batch, by=batch.uploaded_by, start=0, end=90)
            _rejected_file(batch, result.headers, result.rejected)
            with transaction.atomic():
                locked = ImportBatch.objects.select_for_update().get(pk=batch_id)
                # Staged with the move to checked: a check that dies leaves no rows, one that is run again
                # replaces them.
                stage_rows(batch_id=batch_id, result=result)
                _move(
                    locked,
                    Status.CHECKED,
                    progress=100,
                    total_rows=result.total,
                    good_rows=len(result.good),
                    bad_rows=len(result.rejected),
                    problems=_problems(result.rejected),
                    headers=result.headers,
                    rejected_file=batch.rejected_file,
                    error="",
                )
        return locked

    return _guarded(batch_id, work, what=_("校验"))


@transaction.atomic
def import_batch_confirm(*, batch: ImportBatch, by: Staff) -> ImportBatch:
    """Confirm a checked batch and queue its import; recorded with who confirmed."""
    access.require(by, Action.EDIT_REGISTRY)
    # Lock the batch row: two clicks, or two clerks at once, must not both queue an import of the same rows.
    locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status in (Status.IMPORTING, Status.IMPORTED):
        raise ImportBatchError(_("该批次已确认导入,不能重复确认。"), field="status")
    if locked.status != Status.CHECKED:
        raise ImportBatchError(
            _("该批次当前为“%(status)s”,校验完成后才能确认导入。") % {"status": Status(locked.status).label},
            field="status",
        )
    if locked.good_rows == 0:
        raise ImportBatchError(_("该批次没有合格记录,无可导入。"), field="status")
    _move(locked, Status.IMPORTING, confirmed_by=by, progress=0, **job_start_fields(locked))

    from ..tasks import run_import_batch  # noqa: PLC0415 - the tasks module imports the services

    batch_id = locked.pk
    transaction.on_commit(lambda: run_import_batch.delay(batch_id))
    batch.status, batch.confirmed_by, batch.progress = locked.status, by, 0
    return locked


def import_batch_run(*, batch_id: int) -> ImportBatch:
    """The import of a confirmed batch from the rows its dry run staged, in one transaction: re-check what
    the registry may have changed since (an ID or certificate number registered meanwhile, a bank disabled,
    the confirmer's scope), move every row still good into the registry with INSERT … SELECT. A row that
    became a duplicate is skipped and reported in the rejected-rows file. The file is not read again. Safe
    to run twice: only a batch still importing is written, under its row lock. The staged rows stay for
    import_batch_index_names, which the same job runs right after this commits."""
    batch = ImportBatch.objects.select_related("confirmed_by").get(pk=batch_id)
    if batch.status != Status.IMPORTING or batch.confirmed_by is None:
        return batch
    confirmed_by = batch.confirmed_by
    # The worker has it: the time between the confirmation and now was the queue's, not this job's.
    job_heartbeat(ImportBatch, batch_id)

    def work() -> ImportBatch:
        _set_progress(batch, 10)
        now = timezone.now()
        # No heartbeat during the write: the batch row is locked by it, so the sweeper's UPDATE waits for the
        # commit and then finds the batch imported; a worker that dies here releases the lock and rolls back,
        # the staged rows with it, so a rerun starts from them again.
        with (
            transaction.atomic(),
            pghistory.context(source="import", import_batch=batch_id, user=confirmed_by.pk),
        ):
            locked = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if locked.status != Status.IMPORTING:
                return locked
            if not has_staged(batch_id=batch_id):
                # Only a batch checked before the staging table existed (or by hand in the database).
                raise ImportBatchError(_("该批次的校验结果已不存在,请重新上传文件校验。"), field="status")
            newly = recheck_staged(batch_id=batch_id, by=confirmed_by)
            problems, rejected_file = locked.problems, locked.rejected_file
            if newly:
                rejected = staged_rejected(batch_id=batch_id)
                _rejected_file(locked, locked.headers, rejected)
                problems, rejected_file = _problems(rejected), locked.rejected_file
            written = move_staged(batch_id=batch_id, by=confirmed_by, now=now)
            _move(
                locked,
                Status.IMPORTED,
                progress=100,
                good_rows=locked.good_rows - len(newly),
                bad_rows=locked.bad_rows + len(newly),
                imported_rows=written.imported,
                problems=problems,
                rejected_file=rejected_file,
                error="",
                finished_at=now,
            )
        return locked

    return _guarded(batch_id, work, what=_("导入"))


@transaction.atomic
def import_batch_index_names(*, batch_id: int) -> int:
    """Write the search keys of an imported batch's people and delete its staged rows: the import's second
    step, run by the same job right after the import commits (registry.tasks.run_import_batch). Until it
    has run, the people are in the registry and found by ID number, not yet by name or pinyin (about 5 s
    for 100,000 people, docs/import.md). Safe to run twice, and run again when the job is redelivered after
    its worker died: a batch whose names are indexed is left alone. Returns the number of keys written."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status != Status.IMPORTED or batch.names_indexed_at is not None:
        return 0
    written = write_search_keys(batch_id=batch_id)
    delete_staged(batch_id=batch_id)
    batch.names_indexed_at = timezone.now()
    batch.save(update_fields=["names_indexed_at"])
    return written


# The batches the beat job picks up: imported at least this long ago (their own job has had its chance).
NAMES_PENDING_AFTER = datetime.timedelta(minutes=2)


def import_batches_index_pending(*, now: datetime.datetime | None = None) -> int:
    """Write the search keys of every imported batch whose own job did not (it failed or its worker was lost
    after the import's commit, and no redelivery came): beat, every few minutes. Each batch is locked by
    import_batch_index_names, so a job still writing is waited for and then left alone. Returns the number
    of batches indexed."""
    cutoff = (now or timezone.now()) - NAMES_PENDING_AFTER
    pending = ImportBatch.objects.filter(
        status=Status.IMPORTED, names_indexed_at__isnull=True, finished_at__lt=cutoff
    ).order_by("pk")
    indexed = 0
    for batch_id in pending.values_list("pk", flat=True):
        try:
            import_batch_index_names(batch_id=batch_id)
        except Exception:
            # One batch's failure must not keep the others unfindable; it is tried again next time.
            logger.exception("import batch %s: search keys not written", batch_id)
            continue
        indexed += 1
    return indexed


@transaction.atomic
def import_batch_restart(*, batch: ImportBatch, by: Staff) -> ImportBatch:
    """Run an interrupted batch again (its worker died: registry.jobs), or one still shown running whose
    heartbeat stopped before the sweeper came by. A confirmed batch is imported again as confirmed (the
    first attempt's transaction was rolled back with its worker, so nothing is written twice); an
    unconfirmed one is checked again from the start. Anything else is refused, with nothing changed."""
    access.require(by, Action.EDIT_REGISTRY)
    # Lock the batch: two clicks must not queue two attempts, and a job finishing now is seen finished. Not
    # waiting: an import writing for longer than the stale limit holds the row; the clerk is told so at once.
    try:
        locked = ImportBatch.objects.select_for_update(nowait=True).get(pk=batch.pk)
    except OperationalError:
        raise ImportBatchError(_("该批次正在写入,请稍候刷新页面查看结果。"), field="status") from None
    if locked.status in RUNNING and job_is_stale(locked, running=RUNNING):
        _move(locked, Status.INTERRUPTED, error=str(INTERRUPTED_MESSAGE))
    if locked.status != Status.INTERRUPTED:
        raise ImportBatchError(
            _("该批次当前为“%(status)s”,只有任务中断的批次可以重新运行。")
            % {"status": Status(locked.status).label},
            field="status",
        )
    from ..tasks import check_import_batch, run_import_batch  # noqa: PLC0415 - the tasks module imports the services

    batch_id = locked.pk
    if locked.confirmed_by_id is not None:
        _move(locked, Status.IMPORTING, progress=0, error="", **job_start_fields(locked))
        transaction.on_commit(lambda: run_import_batch.delay(batch_id))
    else:
        _move(locked, Status.UPLOADED, progress=0, error="")
        transaction.on_commit(lambda: check_import_batch.delay(batch_id))
    logger.info("import batch %s restarted by %s (attempt %d)", batch_id, by.username, locked.job_attempts)
    batch.status, batch.progress = locked.status, 0
    return locked
