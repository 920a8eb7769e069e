"""Annual eligibility certification (领取养老金资格认证, docs/domain.md "Annual eligibility certification").

A campaign per year with its dates, the certifications recorded for it, and the record of the August
suspension job. Writes go through certification.services.
"""

from __future__ import annotations

import datetime

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.jobs import JobFields, job_is_stale
from registry.models import OrgUnit, Retiree, Staff


class Mode(models.TextChoices):
    # One window a year; a certification counts for the campaign year it is recorded for.
    CAMPAIGN = "campaign", _("年度集中认证")
    # Today's national practice: a certification is valid for 12 months from its date.
    ROLLING_12_MONTHS = "rolling_12_months", _("12个月滚动认证")


def default_mode() -> str:
    """The county's choice (settings.CERTIFICATION_MODE), copied onto each new campaign."""
    return str(getattr(settings, "CERTIFICATION_MODE", Mode.CAMPAIGN))


# Audited: a campaign's dates and mode decide who is suspended when.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Campaign(models.Model):
    """One year's certification campaign. The dates are defaults the admin may change per year."""

    year = models.PositiveIntegerField(_("年度"), unique=True)
    window_start = models.DateField(_("认证开始日期"))
    window_end = models.DateField(_("认证截止日期"))
    remote_export_deadline = models.DateField(_("异地人员数据导出截止日期"))
    suspension_date = models.DateField(_("暂停发放日期"))
    mode = models.CharField(_("认证方式"), max_length=20, choices=Mode.choices, default=default_mode)

    class Meta:
        verbose_name = _("认证年度")
        verbose_name_plural = _("认证年度")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)

    @staticmethod
    def or_default(year: int) -> Campaign:
        """The year's campaign, or an unsaved one with the default dates and the county's mode: for reads,
        which write nothing (certification.services.campaign_for_year creates the row)."""
        campaign = Campaign.objects.filter(year=year).first()
        if campaign is None:
            campaign = Campaign(year=year, mode=default_mode(), **Campaign.default_dates(year))
        return campaign

    @staticmethod
    def default_dates(year: int) -> dict[str, datetime.date]:
        """Window April 1 – May 31, remote export by March 31, suspension on August 1 (seed 000)."""
        return {
            "window_start": datetime.date(year, 4, 1),
            "window_end": datetime.date(year, 5, 31),
            "remote_export_deadline": datetime.date(year, 3, 31),
            "suspension_date": datetime.date(year, 8, 1),
        }


# Audited like the registry: a certification can restore a pension, a death match starts a death.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Certification(models.Model):
    """A retiree shown to be alive and entitled, for one year. The first record of a year is kept."""

    class Channel(models.TextChoices):
        IN_PERSON = "in_person", _("乡镇经办窗口认证")
        HOME_VISIT = "home_visit", _("上门认证")
        CERTIFICATE = "certificate", _("村(居)委会或医院证明")
        REMOTE_ASSISTED = "remote_assisted", _("异地协助认证")
        ONLINE = "online", _("网上自助认证")
        DATA_COMPARISON = "data_comparison", _("数据比对认证")

    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="certifications")
    year = models.PositiveIntegerField(_("认证年度"))
    certified_on = models.DateField(_("认证日期"))
    channel = models.CharField(_("认证方式"), max_length=20, choices=Channel.choices)
    visitor_name = models.CharField(_("上门人员"), max_length=50, blank=True)
    document = models.FileField(_("证明材料扫描件"), upload_to="certifications/%Y/", blank=True)
    # Remote assisted: the social insurance office where the retiree lives that certified them.
    certifying_office = models.CharField(_("协助认证机构"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    # Set when the record came from an imported file (online results, data comparison, remote results).
    source_import = models.ForeignKey(
        "CertificationImport",
        verbose_name=_("来源导入批次"),
        on_delete=models.PROTECT,
        related_name="certifications",
        null=True,
        blank=True,
    )
    recorded_by = models.ForeignKey(
        Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("资格认证记录")
        verbose_name_plural = _("资格认证记录")
        ordering = ["-certified_on", "-id"]
        constraints = [
            # The last line of defence behind certify(): certifying twice in a year keeps the first.
            models.UniqueConstraint(fields=["retiree", "year"], name="certification_once_per_year"),
        ]
        indexes = [models.Index(fields=["retiree", "-certified_on"], name="certification_latest")]

    def __str__(self) -> str:
        return f"{self.year} {self.get_channel_display()} {self.certified_on}"


class SuspensionRun(JobFields):
    """The August suspension job's record for a year. Its unique year makes a second run a no-op.

    The run itself is one transaction; the notices PDFs that follow it are a job of their own (registry.jobs):
    `notices_status` and the JobFields say whether that job is rendering, done, failed or died."""

    class NoticesStatus(models.TextChoices):
        RENDERING = "rendering", _("正在生成")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")
        # The worker died while rendering (registry.jobs sweeper); "重新生成告知书" starts it again.
        INTERRUPTED = "interrupted", _("任务中断")

    year = models.PositiveIntegerField(_("认证年度"), unique=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    suspended_count = models.PositiveIntegerField(_("暂停人数"), default=0)
    notices_status = models.CharField(
        _("告知书状态"), max_length=12, choices=NoticesStatus.choices, default=NoticesStatus.RENDERING
    )
    notices_error = models.TextField(_("告知书错误信息"), blank=True)

    class Meta:
        verbose_name = _("暂停发放批处理")
        verbose_name_plural = _("暂停发放批处理")
        ordering = ["-year"]

    def __str__(self) -> str:
        # The job runs as the system account (shown as "系统", like the beat job's payout plans).
        return f"{self.year}: {self.suspended_count}"

    def notices_stalled(self, now: datetime.datetime) -> bool:
        """Rendering, and no heartbeat for JOB_STALE_MINUTES: its worker died (registry.jobs)."""
        return job_is_stale(
            self, running={self.NoticesStatus.RENDERING}, now=now, status_field="notices_status"
        )

    def notices_may_restart(self, now: datetime.datetime) -> bool:
        """Failed, interrupted, or stalled before the sweeper came by: "重新生成告知书" may start it again."""
        stopped = (self.NoticesStatus.FAILED, self.NoticesStatus.INTERRUPTED)
        return self.notices_status in stopped or self.notices_stalled(now)


class SuspensionNotice(models.Model):
    """The combined PDF of one township's suspension notices (暂停发放告知书) for a year's suspension run,
    rendered by a Celery job after the run: one file per township, not one per person."""

    run = models.ForeignKey(SuspensionRun, on_delete=models.PROTECT, related_name="notices")
    township = models.ForeignKey(
        OrgUnit, verbose_name=_("乡镇(街道)"), on_delete=models.PROTECT, related_name="+"
    )
    notice_count = models.PositiveIntegerField(_("告知书份数"))
    pdf = models.FileField(_("告知书PDF"), upload_to="certification/notices/%Y/")
    made_at = models.DateTimeField(_("生成时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("暂停发放告知书")
        verbose_name_plural = _("暂停发放告知书")
        ordering = ["run", "township__sort_order", "township__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "township"], name="suspension_notice_once_per_township")
        ]

    def __str__(self) -> str:
        return f"{self.run.year} {self.township}"


class RemoteBatch(JobFields):
    """The remote residents (异地居住人员) of a year as exported for the national remote retiree system and
    mailed the form 《异地居住人员领取社会保险待遇资格协助认证表》: the member list is fixed when the batch is
    made, so the upload file and the combined PDF describe the same people."""

    class Status(models.TextChoices):
        RENDERING = "rendering", _("正在生成")
        READY = "ready", _("已生成")
        FAILED = "failed", _("生成失败")
        # The worker died while rendering (registry.jobs sweeper); "重新生成PDF" starts it again.
        INTERRUPTED = "interrupted", _("任务中断")

    year = models.PositiveIntegerField(_("认证年度"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.RENDERING)
    member_count = models.PositiveIntegerField(_("人数"), default=0)
    forms_pdf = models.FileField(_("协助认证表PDF"), upload_to="certification/remote/%Y/", blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    made_by = models.ForeignKey(Staff, verbose_name=_("经办人"), on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    # When the PDF was (last) queued: the progress estimate counts from it. Whether the worker died is the
    # heartbeat's business (registry.jobs): the render beats from a side thread while WeasyPrint lays out.
    render_started_at = models.DateTimeField(_("开始生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("异地认证批次")
        verbose_name_plural = _("异地认证批次")
        ordering = ["-made_at"]

    def __str__(self) -> str:
        return f"{self.year}-{self.pk}"

    def render_expected_seconds(self) -> float:
        """How long the PDF should take at the measured speed (CERTIFICATION_REMOTE_FORMS_PER_SECOND):
        WeasyPrint lays out the whole batch in one run and reports nothing on the way."""
        return max(self.member_count / settings.CERTIFICATION_REMOTE_FORMS_PER_SECOND, 2.0)

    def render_stalled(self, now: datetime.datetime) -> bool:
        """Rendering, and no heartbeat for JOB_STALE_MINUTES: its worker died (registry.jobs)."""
        return job_is_stale(self, running={self.Status.RENDERING}, now=now)


class RemoteBatchMember(models.Model):
    """One remote resident in a batch, with the mailing address as it was when the batch was made."""

    batch = models.ForeignKey(RemoteBatch, on_delete=models.CASCADE, related_name="members")
    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("姓名"), max_length=50)
    remote_province = models.CharField(_("居住省份"), max_length=30, blank=True)
    remote_city = models.CharField(_("居住城市"), max_length=50, blank=True)
    remote_address = models.CharField(_("异地居住地址"), max_length=200, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("异地认证人员")
        verbose_name_plural = _("异地认证人员")
        ordering = ["batch", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "retiree"], name="remote_member_once")]

    def __str__(self) -> str:
        return self.name


class CertificationImport(JobFields):
    """A file of results from elsewhere: online self-service results, IDs seen alive in other records (data
    comparison), returned remote forms, or a deaths list. Checked first (the preview), then confirmed once;
    the confirmed write is a worker job (registry.jobs)."""

    class Kind(models.TextChoices):
        ONLINE = "online", _("网上自助认证结果")
        DATA_COMPARISON = "data_comparison", _("数据比对(生存)名单")
        REMOTE_RESULTS = "remote_results", _("异地协助认证结果")
        DEATHS = "deaths", _("死亡名单(比对待核)")

    class Status(models.TextChoices):
        # A file above CERTIFICATION_IMPORT_INLINE_MAX_ROWS is checked by the worker (docs/jobs.md).
        CHECKING = "checking", _("校验中")
        CHECKED = "checked", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        CANCELLED = "cancelled", _("已取消")
        INTERRUPTED = "interrupted", _("任务中断")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    year = models.PositiveIntegerField(_("认证年度"))
    source = models.CharField(_("数据来源"), max_length=100, blank=True)
    file = models.FileField(_("文件"), upload_to="certification/imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.CHECKED)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    matched_rows = models.PositiveIntegerField(_("匹配行数"), default=0)
    applied_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    # Counts by outcome and the first problem rows, for the preview page.
    summary = models.JSONField(_("核对结果"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        Staff, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        Staff, verbose_name=_("确认人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("认证数据导入")
        verbose_name_plural = _("认证数据导入")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class DeathMatch(models.Model):
    """A retiree found in a deaths list, waiting for a clerk to confirm the death or dismiss the match.
    Confirmed deaths are what the benefits work (death registration, recovery) starts from."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待核实")
        CONFIRMED = "confirmed", _("确认死亡")
        DISMISSED = "dismissed", _("排除")

    source_import = models.ForeignKey(
        CertificationImport, on_delete=models.PROTECT, related_name="death_matches"
    )
    retiree = models.ForeignKey(Retiree, on_delete=models.PROTECT, related_name="death_matches")
    reported_name = models.CharField(_("名单姓名"), max_length=50)
    reported_died_on = models.DateField(_("名单死亡日期"), null=True, blank=True)
    status = models.CharField(_("核实结果"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        Staff, verbose_name=_("核实人"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    decision_note = models.CharField(_("核实说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("死亡比对待核")
        verbose_name_plural = _("死亡比对待核")
        ordering = ["status", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_import", "retiree"], name="death_match_once_per_import"),
            # A decision names who took it and when; a pending match has neither.
            models.CheckConstraint(
                condition=(
                    models.Q(status="pending", decided_by__isnull=True, decided_at__isnull=True)
                    | (
                        ~models.Q(status="pending")
                        & models.Q(decided_by__isnull=False, decided_at__isnull=False)
                    )
                ),
                name="death_match_decision_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reported_name} ({self.get_status_display()})"


class CertifiedCount(models.Model):
    """Certifications per community, retiree status, due or not (retired before the year), campaign year and
    day: the campaign mode's progress page (certified per unit and the series by day) reads these few
    thousand rows instead of joining every certification of the year to the registry (docs/page-speed.md).

    Derived, never written by Python: statement-level triggers (migration 0007_certified_counts) on
    certification_certification add, move and take away the rows' certifications, and triggers on
    registry_retiree move a person's certifications when their community, status or retirement date changes
    (a death, a suspension, a restore, a move), all in the writing statement. `manage.py
    rebuild_progress_counts` remakes it from the tables. The 12-month mode counts distinct people over a
    sliding window, which these sums cannot give; it still reads the certifications."""

    community_id = models.BigIntegerField()
    status = models.CharField(max_length=12)
    # Whether the retiree retired before January 1 of the certification's year (due_before): only those are
    # due. A flag rather than the retirement year keeps the rows few (about 6,000 a year for a county).
    retired_before_year = models.BooleanField()
    year = models.IntegerField()
    certified_on = models.DateField()
    n = models.BigIntegerField()

    class Meta:
        verbose_name = _("认证人数统计")
        verbose_name_plural = _("认证人数统计")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "community_id", "status", "retired_before_year", "certified_on"],
                name="certified_count_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}/{self.community_id}/{self.status}/{self.certified_on}: {self.n}"
