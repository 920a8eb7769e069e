"""Annual eligibility certification (领取养老金资格认证, DOMAIN.md "Annual eligibility certification").

A campaign per year with its dates, the certifications recorded for it, and the record of the August
suspension job. Writes go through certification.services.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import Retiree, Staff


class Mode(models.TextChoices):
    # One window a year; a certification counts for the campaign year it is recorded for.
    CAMPAIGN = "campaign", _("年度集中认证")
    # Today's national practice: a certification is valid for 12 months from its date.
    ROLLING_12_MONTHS = "rolling_12_months", _("12个月滚动认证")


def default_mode() -> str:
    """The county's choice (settings.CERTIFICATION_MODE), copied onto each new campaign."""
    return str(getattr(settings, "CERTIFICATION_MODE", Mode.CAMPAIGN))


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
    def default_dates(year: int) -> dict[str, datetime.date]:
        """Window April 1 – May 31, remote export by March 31, suspension on August 1 (seed 000)."""
        return {
            "window_start": datetime.date(year, 4, 1),
            "window_end": datetime.date(year, 5, 31),
            "remote_export_deadline": datetime.date(year, 3, 31),
            "suspension_date": datetime.date(year, 8, 1),
        }


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
    note = models.CharField(_("备注"), max_length=200, blank=True)
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


class SuspensionRun(models.Model):
    """The August suspension job's record for a year. Its unique year makes a second run a no-op."""

    year = models.PositiveIntegerField(_("认证年度"), unique=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("完成时间"))
    suspended_count = models.PositiveIntegerField(_("暂停人数"), default=0)

    class Meta:
        verbose_name = _("暂停发放批处理")
        verbose_name_plural = _("暂停发放批处理")
        ordering = ["-year"]

    def __str__(self) -> str:
        # The job runs as the system account (shown as "系统", like the beat job's payout plans).
        return f"{self.year}: {self.suspended_count}"
