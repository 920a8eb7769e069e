"""Reads of the township entry screen (扫码认证): the card shown after an ID is scanned, and the officer's
certifications of the day. Every read starts from what the officer may see (registry.access)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from registry import access
from registry.id_numbers import mask_resident_id, parse_resident_id
from registry.models import OrgUnit, Retiree, Staff

from ..errors import NOT_IN_SCOPE_MESSAGE, CertificationError, RetireeNotVisibleError
from ..models import Campaign, Certification, DeathMatch, Mode
from ..services.certify import counting_year, suspended_by_job
from .progress import age_on

if TYPE_CHECKING:
    from ..services import CertifyResult

# The officer's list under the scan box shows this many rows; the count above it covers the whole day.
TODAY_LIST_SIZE = 50


class RetireeNotFoundError(CertificationError):
    """A valid ID number that no retiree in the officer's scope carries, whether or not someone elsewhere in
    the county carries it (a page or the API answers 404 with NOT_IN_SCOPE_MESSAGE)."""


@dataclass(frozen=True)
class EntryCard:
    """What the officer sees after a scan, and whether the certify button is offered."""

    retiree: Retiree
    id_number_masked: str
    age: int
    township: OrgUnit | None
    last: Certification | None  # the latest certification of any year
    this_year: Certification | None  # the year's record: a second certification keeps this one
    year: int
    # Suspended by the August job: certifying restores and releases the withheld months (恢复并补发).
    suspended_for_certification: bool
    # Why no certification can be recorded (deceased, terminated, death confirmed); empty when it can.
    refusal: str
    valid_until: datetime.date | None  # rolling 12-month mode: the last day the latest certification counts

    @property
    def can_certify(self) -> bool:
        return not self.refusal and self.this_year is None


def normalised_id_number(raw: str, *, today: datetime.date) -> str:
    """The stored 18-character form of what a reader or an officer typed (15 digits are converted, x is
    upper-cased); CertificationError with the registry's own message when the number is not valid."""
    try:
        return parse_resident_id(raw, today=today).number
    except ValidationError as error:
        raise CertificationError(" ".join(error.messages), field="id_number") from None


def retiree_for_entry(*, user: Staff, raw_id_number: str, today: datetime.date) -> Retiree:
    """The retiree carrying the scanned number, if the officer may certify them.

    One indexed single-row read on the unique id_number within what the officer may see (an old 15-digit
    number is converted first: records store the 18-character form). A number nobody carries and a retiree of
    another township get the same answer, from the same single query, so neither the message nor the work done
    tells the officer that the number exists elsewhere (docs/adr/0002-access-scoping.md)."""
    number = normalised_id_number(raw_id_number, today=today)
    retiree = (
        access.retirees_visible_to(user)
        .select_related("community", "community__parent")
        .filter(id_number=number)
        .first()
    )
    if retiree is None:
        raise RetireeNotFoundError(str(NOT_IN_SCOPE_MESSAGE), field="id_number")
    return retiree


def visible_retiree_for_entry(*, user: Staff, pk: int) -> Retiree:
    """The retiree the card was shown for, when the certify button posts back its id."""
    retiree = (
        access.retirees_visible_to(user)
        .select_related("community", "community__parent")
        .filter(pk=pk)
        .first()
    )
    if retiree is None:
        raise RetireeNotVisibleError(str(NOT_IN_SCOPE_MESSAGE), field="retiree")
    return retiree


def _refusal(retiree: Retiree) -> str:
    """Why certify() would refuse this retiree, so the card offers no button it would refuse."""
    if retiree.status in (Retiree.Status.DECEASED, Retiree.Status.TERMINATED):
        return _("该退休人员状态为“%(status)s”,不能认证。") % {"status": Retiree.Status(retiree.status).label}
    if DeathMatch.objects.filter(retiree=retiree, status=DeathMatch.Status.CONFIRMED).exists():
        return _("该退休人员已经死亡比对确认,不能认证;如有错误,请与社保局经办人员联系。")
    return ""


def _valid_until(campaign: Campaign, last: Certification | None) -> datetime.date | None:
    if campaign.mode != Mode.ROLLING_12_MONTHS or last is None:
        return None
    try:
        year_on = last.certified_on.replace(year=last.certified_on.year + 1)
    except ValueError:  # certified on February 29
        year_on = last.certified_on.replace(year=last.certified_on.year + 1, month=3, day=1)
    return year_on - datetime.timedelta(days=1)


def entry_card(*, retiree: Retiree, today: datetime.date) -> EntryCard:
    """The card for a retiree the officer may see (retiree_for_entry). Reads only."""
    latest = list(
        Certification.objects.filter(retiree=retiree)
        .select_related("recorded_by")
        .order_by("-certified_on", "-id")[:1]
    )
    last = latest[0] if latest else None
    # The year a certification made today would be recorded for (in the 12-month mode, after the suspension
    # date, next year's): if it has a record, a second one would be kept out.
    year = counting_year(today)
    this_year = last if last is not None and last.year == year else None
    if last is not None and this_year is None and last.year > year:
        # Only a record dated in a later year (never made by the screen) would come first; look it up.
        this_year = Certification.objects.filter(retiree=retiree, year=year).first()
    community = retiree.community
    return EntryCard(
        retiree=retiree,
        id_number_masked=mask_resident_id(retiree.id_number),
        age=age_on(retiree.birth_date, today),
        township=community.parent if community.kind == OrgUnit.Kind.COMMUNITY else None,
        last=last,
        this_year=this_year,
        year=year,
        suspended_for_certification=(
            retiree.status == Retiree.Status.SUSPENDED and bool(suspended_by_job([retiree.pk]))
        ),
        refusal=_refusal(retiree),
        # A year without a campaign row yet is read with the county's mode (and not made: certify() makes it).
        valid_until=_valid_until(Campaign.or_default(today.year), last),
    )


def certified_today_by(*, user: Staff, today: datetime.date) -> QuerySet[Certification]:
    """The officer's own certifications recorded today, newest first. Their own records: each was in their
    scope when they recorded it, so no second scope filter (it would cost a join on every certify)."""
    return (
        Certification.objects.filter(recorded_by=user, certified_on=today)
        .select_related("retiree", "retiree__community")
        .order_by("-recorded_at", "-id")
    )


def certify_message(result: CertifyResult) -> str:
    """The line shown after the certify button (and returned by the API): who, when, how, and whether the
    pension was restored; or that the year's first record was kept."""
    record = result.certification
    values = {
        "name": record.retiree.name,
        "date": record.certified_on.isoformat(),
        "channel": record.get_channel_display(),
        "who": record.recorded_by.display_name,
    }
    if not result.created:
        return _("%(name)s 本年度已于 %(date)s 认证(%(channel)s,经办人 %(who)s),无需重复认证。") % values
    message = _("%(name)s 已认证:%(channel)s,%(date)s,经办人 %(who)s。") % values
    if result.restored:
        message += " " + _("已恢复发放,暂停期间的养老金将在下一期发放计划中补发。")
    return message
