"""Certifying (with restoration and back pay), campaigns, and the August suspension job (docs/domain.md
"Annual eligibility certification")."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pghistory
from django.conf import settings
from django.core.files.base import File
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from pensions.services import withheld_release
from pensions.tasks import redraft_payout_plans
from registry import access
from registry.access import Action
from registry.models import Retiree, Staff, StatusChange
from registry.services import retiree_change_status, retirees_suspend_many, system_staff

from ..errors import NOT_IN_SCOPE_MESSAGE, CertificationError, RetireeNotVisibleError
from ..models import (
    Campaign,
    Certification,
    CertificationImport,
    DeathMatch,
    Mode,
    SuspensionRun,
)

# pg_advisory_xact_lock key of the suspension job ("CERT" in ASCII). The job holds it exclusively; every
# certification holds it shared, so a certification and the job never interleave (see suspension_run).
SUSPENSION_LOCK = 0x43455254

# Stored on the status change as data, in Chinese whatever the language of the request or worker.
SUSPENSION_REASON = gettext_noop("未在%(year)s年度认证期内完成领取资格认证")
RESTORATION_REASON = gettext_noop("已完成领取资格认证,恢复发放")


@dataclass(frozen=True)
class CertifyResult:
    certification: Certification
    created: bool  # False: the retiree was already certified for the year; the first record is kept
    restored: bool  # True: a suspension for missing certification was lifted and back pay released


def due_before(year: int) -> datetime.date:
    """Who must certify in `year`'s campaign: those retired before this date (January 1 of the year). Someone
    who retires during the year has just been checked at intake, so the job does not suspend them, and the
    progress pages do not count them as due (docs/certification.md)."""
    return datetime.date(year, 1, 1)


def campaign_for_year(year: int) -> Campaign:
    """The year's campaign as the admin made it, or CertificationError saying who must make it first.

    Only campaign_create (services/campaigns.py, with MANAGE_SETTINGS) makes a campaign row: a path that
    needs one for real work (a remote batch) uses the existing one or refuses; reads and the system's jobs
    that only need the dates use Campaign.or_default, which writes nothing (docs/certification.md)."""
    campaign = Campaign.objects.filter(year=year).first()
    if campaign is None:
        raise CertificationError(
            _("%(year)s 年度的认证尚未建立,请系统管理员先在“认证年度”中建立该年度。") % {"year": year},
            field="year",
        )
    return campaign


def counting_year(certified_on: datetime.date) -> int:
    """The campaign year a certification dated `certified_on` is recorded for (Certification.year, one per
    person and year, the first kept).

    Campaign mode: its calendar year. Rolling 12-month mode: the year of the first suspension date on or after
    it, i.e. the one run whose 12 months look back over it. So a person certified in January and again in
    December keeps both records (December counts for next August's run), and a second record is only ever
    kept out when it counts for the same run as the first. Reads only: a year without a campaign row is read
    with the default dates and the county's mode."""
    return counting_years()(certified_on)


def counting_years() -> Callable[[datetime.date], int]:
    """counting_year for many dates (an import's rows), reading each calendar year's campaign once."""
    campaigns: dict[int, Campaign] = {}

    def year_of(certified_on: datetime.date) -> int:
        calendar_year = certified_on.year
        if calendar_year not in campaigns:
            campaigns[calendar_year] = Campaign.or_default(calendar_year)
        campaign = campaigns[calendar_year]
        if campaign.mode == Mode.ROLLING_12_MONTHS and certified_on > campaign.suspension_date:
            return calendar_year + 1
        return calendar_year

    return year_of


def certified_since(campaign: Campaign, today: datetime.date) -> datetime.date | None:
    """In the 12-month mode, the earliest date a certification may have to count on `today`; None in the
    campaign mode, where a certification counts for the year it was recorded for."""
    if campaign.mode != Mode.ROLLING_12_MONTHS:
        return None
    try:
        year_ago = today.replace(year=today.year - 1)
    except ValueError:  # February 29
        year_ago = today.replace(year=today.year - 1, day=28)
    return year_ago + datetime.timedelta(days=1)


def suspended_by_job(retiree_ids: Iterable[int]) -> set[int]:
    """Of these retirees, those whose latest suspension is the suspension job's (made by the system account),
    not one a clerk made for another reason: only that one a certification lifts. Callers pass suspended
    retirees; the status itself is theirs to check."""
    ids = list(retiree_ids)
    if not ids:
        return set()
    latest = (
        StatusChange.objects.filter(retiree_id__in=ids, to_status=Retiree.Status.SUSPENDED)
        .order_by("retiree_id", "-created_at", "-id")
        .distinct("retiree_id")
        .values_list("retiree_id", "actor__username")
    )
    return {retiree_id for retiree_id, username in latest if username == settings.SYSTEM_STAFF_USERNAME}


def _job_suspension_year(retiree: Retiree) -> int | None:
    """The year of `retiree`'s latest suspension if the suspension job made it (its effective date is the
    run's day), else None: a clerk's suspension for another reason is not lifted by certifying."""
    latest = (
        StatusChange.objects.filter(retiree=retiree, to_status=Retiree.Status.SUSPENDED)
        .order_by("-created_at", "-id")
        .values_list("effective_date", "actor__username")
        .first()
    )
    if latest is None or latest[1] != settings.SYSTEM_STAFF_USERNAME:
        return None
    return latest[0].year


@transaction.atomic
def certify(
    *,
    retiree: Retiree,
    channel: str,
    certified_on: datetime.date,
    by: Staff,
    visitor_name: str = "",
    document: File[bytes] | None = None,
    certifying_office: str = "",
    note: str = "",
    source_import: CertificationImport | None = None,
) -> CertifyResult:
    """Record that `retiree` is alive and entitled on `certified_on`, for the year that date counts for
    (counting_year: its calendar year in the campaign mode; a certification after the window still counts).
    Certifying twice in a year keeps the first record (created False). A retiree suspended by the job for
    missing certification is made active again and every withheld month is released as arrears, exactly
    once."""
    access.require(by, Action.CERTIFY)
    if not access.retirees_visible_to(by).filter(pk=retiree.pk).exists():
        raise RetireeNotVisibleError(str(NOT_IN_SCOPE_MESSAGE))
    if certified_on > timezone.localdate():
        raise CertificationError(_("认证日期不能晚于今天。"), field="certified_on")
    if channel not in Certification.Channel.values:
        raise CertificationError(_("请选择认证方式。"), field="channel")
    if channel == Certification.Channel.HOME_VISIT and not visitor_name.strip():
        raise CertificationError(_("上门认证请填写上门人员姓名。"), field="visitor_name")
    if channel == Certification.Channel.CERTIFICATE and not document:
        raise CertificationError(_("请上传证明材料扫描件。"), field="document")
    if channel == Certification.Channel.REMOTE_ASSISTED and not certifying_office.strip():
        raise CertificationError(_("请填写协助认证的社保经办机构。"), field="certifying_office")
    # Shared: certifications run side by side, but never while the suspension job's statement runs.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [SUSPENSION_LOCK])
    # Lock the row: two officers certifying the same person at once are taken one after the other, so the
    # second finds the first's record (and the restoration already done).
    locked = Retiree.objects.select_for_update().get(pk=retiree.pk)
    if locked.status in (Retiree.Status.DECEASED, Retiree.Status.TERMINATED):
        raise CertificationError(
            _("该退休人员状态为“%(status)s”,不能认证。") % {"status": Retiree.Status(locked.status).label}
        )
    if DeathMatch.objects.filter(retiree=locked, status=DeathMatch.Status.CONFIRMED).exists():
        # A clerk confirmed the death from a deaths list: a certification would contradict it.
        raise CertificationError(_("该退休人员已经死亡比对确认,不能认证;如有错误,请与社保局经办人员联系。"))
    # Recorded by its counting year; no campaign row is needed (nor made): the dates are read, not kept.
    year = counting_year(certified_on)
    certification = Certification.objects.filter(retiree=locked, year=year).first()
    created = certification is None
    if certification is None:
        certification = Certification(
            retiree=locked,
            year=year,
            certified_on=certified_on,
            channel=channel,
            visitor_name=visitor_name.strip(),
            certifying_office=certifying_office.strip(),
            note=note.strip(),
            source_import=source_import,
            recorded_by=by,
        )
        if document is not None:
            certification.document = document
        certification.save()
    # Only a certification for the suspension's year or later lifts it: the retiree's record of an earlier
    # year (a late-returned form of last year's remote batch) says nothing about them since.
    suspended_in = _job_suspension_year(locked) if locked.status == Retiree.Status.SUSPENDED else None
    restored = suspended_in is not None and certification.year >= suspended_in
    if restored:
        with override(settings.LANGUAGE_CODE):
            reason = _(RESTORATION_REASON)
        retiree_change_status(
            retiree=locked, to_status=Retiree.Status.ACTIVE, effective_date=certified_on, reason=reason, by=by
        )
        withheld_release(retiree=locked, by=by)
    retiree.status = locked.status
    return CertifyResult(certification=certification, created=created, restored=restored)


def suspension_run(*, year: int, today: datetime.date) -> SuspensionRun:
    """Suspend every active retiree without a certification for `year` (in the 12-month mode: none in the
    12 months up to `today`), from `today`: plans not yet made pay them nothing and record the amount as
    withheld. Once per year: the SuspensionRun row makes a second run return the first run's record.

    Set-based: registry.services.retirees_suspend_many, one UPDATE … WHERE NOT EXISTS joined to the INSERT of
    the status changes, under an exclusive transaction-level advisory lock (SUSPENSION_LOCK), so two runs
    never overlap and no certification is half-recorded while the statement reads."""
    # The system's job reads the dates (the admin's campaign, or the defaults) and never makes a campaign;
    # campaign_create refuses a year whose run exists, so the dates the run used cannot change after it.
    campaign = Campaign.or_default(year)
    since = certified_since(campaign, today)
    actor = system_staff()
    started = timezone.now()
    with transaction.atomic(), pghistory.context(source="suspension_run", year=year):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SUSPENSION_LOCK])
        done = SuspensionRun.objects.filter(year=year).first()
        if done is not None:
            return done
        with override(settings.LANGUAGE_CODE):
            reason = _(SUSPENSION_REASON) % {"year": year}
        certified = Certification.objects.filter(retiree=OuterRef("pk"))
        if since is None:
            certified = certified.filter(year=year)
        else:
            certified = certified.filter(certified_on__range=(since, today))
        count = retirees_suspend_many(
            retirees=Retiree.objects.filter(
                status=Retiree.Status.ACTIVE, retirement_date__lt=due_before(year)
            ).filter(~Exists(certified)),
            effective_date=today,
            reason=reason,
            by=actor,
        )
        finished = timezone.now()
        # The notices job starts with the run (its heartbeat counts from the queueing); nobody suspended,
        # no notices to make.
        notices = SuspensionRun.NoticesStatus.RENDERING if count else SuspensionRun.NoticesStatus.READY
        run = SuspensionRun.objects.create(
            year=year,
            started_at=started,
            finished_at=finished,
            suspended_count=count,
            notices_status=notices,
            job_started_at=finished if count else None,
            job_heartbeat_at=finished if count else None,
            job_attempts=1 if count else 0,
        )
        if count:
            from ..tasks import render_suspension_notices  # noqa: PLC0415 - the tasks module imports the services

            run_id = run.pk
            # The notices are made from the committed run; a rolled-back run queues nothing. A draft plan made
            # before the run (the beat drafts August in July) is made again, so it withholds their months.
            transaction.on_commit(lambda: render_suspension_notices.delay(run_id))
            transaction.on_commit(redraft_payout_plans.delay)
        return run
