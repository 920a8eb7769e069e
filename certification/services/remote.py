"""Remote residents (异地居住人员, docs/domain.md "Annual eligibility certification"): the year's batch for
the national remote retiree system and the mailed form, its combined PDF, the record of who took the full ID
numbers out, and the returned forms recorded one by one as remote-assisted certifications."""

from __future__ import annotations

import datetime
import logging

from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.db.models import IntegerField, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import access
from registry.access import Action
from registry.jobs import job_beating, job_start_fields
from registry.models import SensitiveExport, SensitiveView, Staff
from registry.services import sensitive_views_record_many
from registry.services.sensitive import ExportNumbers, sensitive_export_record

from ..errors import CertificationError
from ..models import Campaign, Certification, RemoteBatch, RemoteBatchMember
from ..selectors.remote import remote_batch_candidates
from .certify import CertifyResult, campaign_for_year, certify, counting_year

logger = logging.getLogger("certification.remote")

Status = RemoteBatch.Status

# The snapshot columns of a member, in the order the INSERT … SELECT writes them.
_MEMBER_COLUMNS = (
    "batch_id",
    "retiree_id",
    "name",
    "remote_province",
    "remote_city",
    "remote_address",
    "phone",
)


def _require_remote_work(by: Staff) -> None:
    """Batches carry full ID numbers: clerks with the registry and sensitive-number rights only."""
    access.require(by, Action.EDIT_REGISTRY)
    access.require(by, Action.VIEW_SENSITIVE)


def _queue_render(batch_id: int) -> None:
    from ..tasks import render_remote_batch  # noqa: PLC0415 - the tasks module imports the services

    transaction.on_commit(lambda: render_remote_batch.delay(batch_id))


@transaction.atomic
def remote_batch_create(*, year: int, by: Staff, today: datetime.date | None = None) -> RemoteBatch:
    """Fix the year's remote residents who still need the form (selectors.remote_batch_candidates) in a new
    batch with one INSERT … SELECT, and queue the rendering of its combined PDF on commit. Refused, with
    nothing written, when nobody is left to include."""
    _require_remote_work(by)
    today = today or timezone.localdate()
    if not 2000 <= year <= today.year + 1:
        raise CertificationError(_("认证年度不正确。"), field="year")
    campaign = campaign_for_year(year)
    # Lock the year's campaign row: two clerks making a batch at the same moment are taken one after the
    # other, so the second sees the first's members as already in a batch and nobody is mailed twice.
    Campaign.objects.select_for_update().get(pk=campaign.pk)
    now = timezone.now()
    batch = RemoteBatch.objects.create(
        year=year,
        made_by=by,
        status=Status.RENDERING,
        render_started_at=now,
        job_started_at=now,
        job_heartbeat_at=now,
        job_attempts=1,
    )
    members = remote_batch_candidates(user=by, year=year, today=today).values_list(
        Value(batch.pk, output_field=IntegerField()),
        "pk",
        "name",
        "remote_province",
        "remote_city",
        "remote_address",
        "phone",
    )
    sql, params = members.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RemoteBatchMember._meta.db_table} ({', '.join(_MEMBER_COLUMNS)}) {sql}",  # noqa: S608  # names are constants, values are parameters
            params,
        )
        count: int = cursor.rowcount
    if count == 0:
        raise CertificationError(
            _("%(year)s年度没有需要协助认证的异地居住人员(均已认证或已在本年度批次中)。") % {"year": year},
            field="year",
        )
    batch.member_count = count
    batch.save(update_fields=["member_count"])
    _queue_render(batch.pk)
    logger.info(
        "remote batch %s made: user=%s (id %s) year=%s members=%d", batch.pk, by.username, by.pk, year, count
    )
    return batch


def _finish(batch_id: int, **fields: object) -> RemoteBatch:
    with transaction.atomic():
        # Lock the row: a redelivered task finishing at the same time writes after this one, not over it.
        locked = RemoteBatch.objects.select_for_update().get(pk=batch_id)
        if locked.status != Status.RENDERING:
            return locked
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(fields))
        return locked


def remote_batch_render(*, batch_id: int) -> RemoteBatch:
    """Render the batch's combined PDF (one form per member, one WeasyPrint run for the whole batch) and mark
    it ready, or failed with the error. A batch no longer rendering is left as it is (a redelivered task)."""
    batch = RemoteBatch.objects.get(pk=batch_id)
    if batch.status != Status.RENDERING:
        return batch
    from ..pdfs.remote_forms import remote_forms_pdf  # noqa: PLC0415 - WeasyPrint loads only in the worker

    started = timezone.now()
    try:
        # WeasyPrint reports nothing while it lays out the batch: a side thread beats for it.
        with job_beating(RemoteBatch, batch_id):
            pdf = remote_forms_pdf(batch=batch)
    except Exception as error:
        logger.exception("remote batch %s: rendering failed", batch_id)
        return _finish(
            batch_id, status=Status.FAILED, error=_("协助认证表生成失败:%(error)s") % {"error": error}
        )
    name = f"remote-forms-{batch.year}-{batch.pk}.pdf"
    stored = RemoteBatch(pk=batch.pk, year=batch.year)
    stored.forms_pdf.save(name, ContentFile(pdf), save=False)
    seconds = (timezone.now() - started).total_seconds()
    logger.info("remote batch %s rendered: %d forms in %.1f s", batch_id, batch.member_count, seconds)
    return _finish(batch_id, status=Status.READY, forms_pdf=stored.forms_pdf.name, error="")


@transaction.atomic
def remote_batch_retry(*, batch: RemoteBatch, by: Staff) -> RemoteBatch:
    """Render a failed or interrupted batch again, with the same members; or one still shown rendering whose
    heartbeat stopped before the sweeper came by (RemoteBatch.render_stalled). A live render is left alone."""
    _require_remote_work(by)
    locked = RemoteBatch.objects.select_for_update().get(pk=batch.pk)
    now = timezone.now()
    if locked.status not in (Status.FAILED, Status.INTERRUPTED) and not locked.render_stalled(now):
        raise CertificationError(
            _("该批次当前为“%(status)s”,只有生成失败或长时间未完成的批次可以重新生成。")
            % {"status": locked.get_status_display()},
            field="status",
        )
    locked.status, locked.error, locked.render_started_at = Status.RENDERING, "", now
    for name, value in job_start_fields(locked, now).items():
        setattr(locked, name, value)
    locked.save(
        update_fields=[
            "status",
            "error",
            "render_started_at",
            "job_started_at",
            "job_heartbeat_at",
            "job_attempts",
        ]
    )
    _queue_render(locked.pk)
    return locked


_REMOTE_FILES = {
    "forms_pdf": gettext_lazy("协助认证表PDF"),
    "upload_xlsx": gettext_lazy("上传文件 xlsx"),
    "upload_csv": gettext_lazy("上传文件 CSV"),
}


@transaction.atomic
def remote_export_record(*, batch: RemoteBatch, by: Staff, what: str, rows: int) -> int:
    """Record that `by` took the full ID numbers of the batch's members in their scope out of the system (the
    upload file or the forms PDF): one SensitiveView per person, as the record page does for one number, so
    each retiree's audit shows who had their number and when; and a log line with the count. Returns the
    number of people recorded."""
    _require_remote_work(by)
    members = RemoteBatchMember.objects.filter(batch=batch, retiree__in=access.retirees_visible_to(by))
    recorded = sensitive_views_record_many(
        retiree_ids=members.values_list("retiree_id"), field=SensitiveView.Field.ID_NUMBER, by=by
    )
    # The same record as every other file with full numbers, so the auditor sees it beside them; the
    # purpose is the file's only use (the national system and the assisting office need the full number).
    sensitive_export_record(
        by=by,
        numbers=ExportNumbers(full=True, purpose=SensitiveExport.Purpose.REMOTE_CERTIFICATION),
        export=f"certification.remote_{what}",
        label=_("%(year)s年度异地居住人员批次 %(pk)s(%(what)s)")
        % {"year": batch.year, "pk": batch.pk, "what": _REMOTE_FILES.get(what, what)},
        person_count=recorded,
        detail={"batch": batch.pk, "year": batch.year, "file": what},
    )
    logger.info(
        "remote batch %s exported: user=%s (id %s) what=%s rows=%d people recorded=%d",
        batch.pk,
        by.username,
        by.pk,
        what,
        rows,
        recorded,
    )
    return recorded


@transaction.atomic
def remote_form_return(
    *,
    member: RemoteBatchMember,
    certified_on: datetime.date,
    certifying_office: str,
    by: Staff,
    document: File[bytes] | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> CertifyResult:
    """A returned form (协助认证表): the social insurance office where the member lives certified them on
    `certified_on`. Recorded through certify() as a remote-assisted certification for the batch's year (which
    restores a suspended member and releases their withheld months). The date must count for the batch's year
    (counting_year: its calendar year in the campaign mode) and not be after today: certify() files the
    certification under that year."""
    _require_remote_work(by)
    today = today or timezone.localdate()
    year = member.batch.year
    if not certifying_office.strip():
        raise CertificationError(_("请填写协助认证的社保经办机构。"), field="certifying_office")
    if certified_on > today:
        raise CertificationError(_("认证日期不能晚于今天。"), field="certified_on")
    if counting_year(certified_on) != year:
        raise CertificationError(
            _("认证日期须计入%(year)s年度:这张认证表属于%(year)s年度。") % {"year": year},
            field="certified_on",
        )
    return certify(
        retiree=member.retiree,
        channel=Certification.Channel.REMOTE_ASSISTED,
        certified_on=certified_on,
        by=by,
        document=document,
        certifying_office=certifying_office,
        note=note,
    )
