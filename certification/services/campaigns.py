"""Campaigns (认证年度): the admin makes next year's and changes its dates or mode until its suspension ran.

Campaign is tracked by pghistory: every create and change is an event carrying who made it (the context's
"user") and the values after it (docs/certification.md).
"""

from __future__ import annotations

import datetime
from typing import Any

import pghistory
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import access
from registry.access import Action
from registry.models import Staff

from ..errors import CertificationError
from ..models import Campaign, Mode, SuspensionRun, default_mode

DATE_FIELDS = ("window_start", "window_end", "remote_export_deadline", "suspension_date")
EDITABLE_FIELDS = (*DATE_FIELDS, "mode")


def _check(*, year: int, values: dict[str, Any]) -> None:
    """The rules every campaign keeps (in the order a person reads the form), first failure raised."""
    for name in DATE_FIELDS:
        value = values[name]
        if not isinstance(value, datetime.date):
            raise CertificationError(_("请填写日期。"), field=name)
        if value.year != year:
            raise CertificationError(
                _("日期须在 %(year)s 年内。") % {"year": year},
                field=name,
            )
    if values["window_start"] > values["window_end"]:
        raise CertificationError(_("认证开始日期不能晚于认证截止日期。"), field="window_start")
    if values["remote_export_deadline"] > values["window_end"]:
        raise CertificationError(
            _("异地人员数据导出截止日期不能晚于认证截止日期。"), field="remote_export_deadline"
        )
    if values["suspension_date"] <= values["window_end"]:
        raise CertificationError(_("暂停发放日期须在认证截止日期之后。"), field="suspension_date")
    if values["mode"] not in Mode.values:
        raise CertificationError(_("请选择认证方式。"), field="mode")


@transaction.atomic
def campaign_create(*, year: int, by: Staff, **fields: Any) -> Campaign:
    """Make the campaign of `year` with the default dates (Campaign.default_dates) and the county's mode
    (settings.CERTIFICATION_MODE), or the values given. Only up to next year: a campaign further ahead
    would be made with dates nobody has looked at."""
    access.require(by, Action.MANAGE_SETTINGS)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise CertificationError(_("不能修改这些项目:%(names)s") % {"names": ", ".join(sorted(unknown))})
    next_year = timezone.localdate().year + 1
    if not 2000 <= year <= next_year:
        raise CertificationError(
            _("只能建立 2000 年至 %(year)s 年的认证年度。") % {"year": next_year}, field="year"
        )
    values: dict[str, Any] = {**Campaign.default_dates(year), "mode": default_mode()}
    values.update({name: value for name, value in fields.items() if value is not None})
    _check(year=year, values=values)
    # Lock nothing: the unique year is the guard; a second create at the same moment fails on it.
    if Campaign.objects.filter(year=year).exists():
        raise CertificationError(_("%(year)s 年度的认证已经建立。") % {"year": year}, field="year")
    if SuspensionRun.objects.filter(year=year).exists():
        # The job ran with the default dates (Campaign.or_default): a campaign made now could say otherwise.
        raise CertificationError(
            _("%(year)s 年度已按默认日期执行暂停发放,不能再建立该年度。") % {"year": year}, field="year"
        )
    with pghistory.context(source="campaign_create", user=by.pk, year=year):
        campaign = Campaign.objects.create(year=year, **values)
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, by: Staff, **fields: Any) -> Campaign:
    """Change a campaign's dates or mode. Refused once the year's suspension run exists: the run was made
    with these dates and mode, and the notices quote them."""
    access.require(by, Action.MANAGE_SETTINGS)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise CertificationError(_("不能修改这些项目:%(names)s") % {"names": ", ".join(sorted(unknown))})
    # Lock the campaign row: two admins saving at once are taken one after the other, each checking the
    # rules against what the other saved.
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    current = {name: getattr(locked, name) for name in EDITABLE_FIELDS}
    values = {**current, **{name: value for name, value in fields.items() if value is not None}}
    changes = {
        name: (current[name], values[name]) for name in EDITABLE_FIELDS if values[name] != current[name]
    }
    if not changes:
        return locked
    if SuspensionRun.objects.filter(year=locked.year).exists():
        raise CertificationError(
            _("%(year)s 年度已执行暂停发放,不能再修改认证日期或认证方式。") % {"year": locked.year}
        )
    _check(year=locked.year, values=values)
    if "suspension_date" in changes and values["suspension_date"] < timezone.localdate():
        # The daily beat job would suspend the year's uncertified retirees at its next run, with no notice
        # period: the suspension date can move, but not into the past.
        raise CertificationError(_("暂停发放日期不能改为今天以前的日期。"), field="suspension_date")
    for name, (_old, new) in changes.items():
        setattr(locked, name, new)
    with pghistory.context(source="campaign_update", user=by.pk, year=locked.year):
        locked.save(update_fields=list(changes))
    return locked
