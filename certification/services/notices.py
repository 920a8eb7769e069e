"""The suspension notices (暂停发放基本养老金告知书) of a suspension run: one combined PDF per
township with one page per person the run suspended, made by a Celery task queued when the run commits
(docs/certification.md). The render is a job (registry.jobs, docs/jobs.md): SuspensionRun.notices_status says
whether it is rendering, ready, failed or interrupted, and suspension_notices_restart starts a failed or dead
one again, which makes only the townships still missing.
"""

from __future__ import annotations

import datetime
import logging
from typing import cast

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pensions.models import PayoutPlan
from registry import access
from registry.access import Action
from registry.id_numbers import mask_resident_id
from registry.jobs import job_beating, job_heartbeat, job_start_fields
from registry.models import Retiree, Staff, StatusChange
from registry.months import PensionMonth
from registry.selectors import county_name

from ..errors import CertificationError
from ..models import Campaign, SuspensionNotice, SuspensionRun
from ..pdfs.suspension_notices import NoticeBatch, NoticeRow, suspension_notices_pdf
from ..selectors.campaigns import run_changes

logger = logging.getLogger("certification.notices")
Status = SuspensionRun.NoticesStatus


def _run_day(run: SuspensionRun) -> datetime.date:
    """The effective date the run wrote on its status changes (the day it ran, local time)."""
    first_change = run_changes(run=run).order_by("id").first()
    return first_change.effective_date if first_change is not None else timezone.localdate(run.started_at)


def suspended_from_month(*, run: SuspensionRun) -> PensionMonth:
    """The first month the suspension withholds: the month of the run's effective date, or, when a plan for
    that month or later is already past its draft (submitted, approved, paid), the month after the last such
    plan. A draft is made again from the registry, where the person is now suspended."""
    month = PensionMonth.of(_run_day(run))
    planned = (
        PayoutPlan.objects.exclude(status=PayoutPlan.Status.DRAFT)
        .filter(month__gte=month)
        .order_by("-month")
        .first()
    )
    if planned is None:
        return month
    # PensionMonthField gives a PensionMonth; the stubs see the IntegerField it is built on.
    return cast(PensionMonth, planned.month).next()


def _address(retiree: Retiree) -> str:
    """Where the notice is mailed: a remote resident's address where they live, else the local address."""
    if retiree.residence == Retiree.Residence.REMOTE and retiree.remote_address:
        return f"{retiree.remote_province}{retiree.remote_city}{retiree.remote_address}"
    return retiree.address


def _row(change: StatusChange) -> NoticeRow:
    retiree = change.retiree
    return NoticeRow(
        name=retiree.name,
        masked_id_number=mask_resident_id(retiree.id_number),
        certificate_number=retiree.certificate_number or "",
        community=retiree.community.name,
        address=_address(retiree),
    )


def suspension_notices_make(*, run: SuspensionRun) -> list[SuspensionNotice]:
    """Make the notices file of every township with people suspended by `run` that has none yet; returns the
    files made (none on a second call). Each file is laid out outside any transaction (a side thread beats
    for WeasyPrint) and then saved in one transaction that locks the run, so it appears on the suspension page
    as soon as it is ready and a failure keeps the townships already done. Stops when the run's notices are
    no longer rendering (the sweeper took the job for dead)."""
    changes = run_changes(run=run)
    parents = changes.values_list("retiree__community__parent_id", flat=True).order_by()
    township_ids = sorted({pk for pk in parents if pk is not None})
    if not township_ids:
        return []
    campaign = Campaign.or_default(run.year)
    suspended_from = suspended_from_month(run=run)
    dated = _run_day(run)
    bureau = county_name()
    phone = settings.BUREAU_PHONE
    made: list[SuspensionNotice] = []
    for township_id in township_ids:
        if SuspensionNotice.objects.filter(run=run, township_id=township_id).exists():
            continue
        people = (
            changes.filter(retiree__community__parent_id=township_id)
            .select_related("retiree", "retiree__community", "retiree__community__parent")
            .order_by("retiree__community__sort_order", "retiree__community__code", "retiree__name", "id")
        )
        rows = tuple(_row(change) for change in people)
        township = people[0].retiree.community.parent
        assert township is not None  # noqa: S101  # a community always has its township
        # WeasyPrint reports nothing while it lays out a township: a side thread beats for it. No lock is
        # held here (the beats update the run row), so two runs at once may both lay out a township; only
        # the first one saves it below.
        with job_beating(SuspensionRun, run.pk):
            pdf = suspension_notices_pdf(
                NoticeBatch(
                    township=township.name,
                    year=run.year,
                    window_start=campaign.window_start,
                    window_end=campaign.window_end,
                    suspended_from=suspended_from,
                    bureau=bureau,
                    bureau_phone=phone,
                    dated=dated,
                    rows=rows,
                )
            )
        with transaction.atomic():
            # Lock the run row: two task runs at once save each township's file one after the other, and the
            # second finds the first's row (the unique run + township is the last line of defence). A job
            # the sweeper marked interrupted stops: its restart makes what is missing.
            locked = SuspensionRun.objects.select_for_update().get(pk=run.pk)
            if locked.notices_status != Status.RENDERING:
                return made
            if SuspensionNotice.objects.filter(run=run, township_id=township_id).exists():
                continue
            notice = SuspensionNotice(run=run, township=township, notice_count=len(rows))
            notice.pdf.save(
                f"suspension-notices-{run.year}-{township.code}.pdf", ContentFile(pdf), save=False
            )
            notice.save()
            made.append(notice)
        job_heartbeat(SuspensionRun, run.pk)
    return made


def _finish(run_id: int, **fields: object) -> SuspensionRun:
    with transaction.atomic():
        # Lock the row: a job the sweeper marked or a redelivered task finishing at once writes after this
        # one, and only a render still running is finished.
        locked = SuspensionRun.objects.select_for_update().get(pk=run_id)
        if locked.notices_status != Status.RENDERING:
            return locked
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        return locked


def suspension_notices_render(*, run_id: int) -> SuspensionRun:
    """The notices job: make every missing township's file, then mark the notices ready, or failed with the
    error. Notices no longer rendering (done, failed, interrupted) are left as they are (a redelivered
    task)."""
    run = SuspensionRun.objects.get(pk=run_id)
    if run.notices_status != Status.RENDERING:
        return run
    job_heartbeat(SuspensionRun, run_id)
    started = timezone.now()
    try:
        made = suspension_notices_make(run=run)
    except Exception as error:
        logger.exception("suspension run %s: notices failed", run_id)
        return _finish(
            run_id,
            notices_status=Status.FAILED,
            notices_error=_("告知书生成失败:%(error)s") % {"error": error},
        )
    seconds = (timezone.now() - started).total_seconds()
    logger.info("suspension run %s: %d notices file(s) made in %.1f s", run_id, len(made), seconds)
    return _finish(run_id, notices_status=Status.READY, notices_error="")


@transaction.atomic
def suspension_notices_restart(*, run: SuspensionRun, by: Staff) -> SuspensionRun:
    """Start the notices job of `run` again when it failed, was interrupted, or stalled before the sweeper
    came by; the rerun makes only the townships still missing. A live or finished render is refused."""
    access.require(by, Action.MANAGE_SETTINGS)
    # Lock the run: two clicks at once queue one job, the second finds it rendering and is refused.
    locked = SuspensionRun.objects.select_for_update().get(pk=run.pk)
    now = timezone.now()
    if not locked.notices_may_restart(now):
        raise CertificationError(
            _("告知书当前为“%(status)s”,只有生成失败、任务中断或长时间没有进展的告知书可以重新生成。")
            % {"status": locked.get_notices_status_display()},
            field="notices_status",
        )
    locked.notices_status, locked.notices_error = Status.RENDERING, ""
    for name, value in job_start_fields(locked, now).items():
        setattr(locked, name, value)
    locked.save(
        update_fields=[
            "notices_status",
            "notices_error",
            "job_started_at",
            "job_heartbeat_at",
            "job_attempts",
        ]
    )
    from ..tasks import render_suspension_notices  # noqa: PLC0415 - the tasks module imports the services

    run_id = locked.pk
    transaction.on_commit(lambda: render_suspension_notices.delay(run_id))
    logger.info("suspension run %s: notices restarted by %s (id %s)", run_id, by.username, by.pk)
    return locked
