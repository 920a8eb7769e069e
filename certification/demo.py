"""The demo county's certifications (docs/demo-county.md): last year's campaign done by everyone, this
year's as far as the date has come, and the suspension run on record once its date has passed.

Set-based like the rest of the demo: one INSERT … SELECT per year, deterministic (the day and channel of each
person come from a hash of their ID number, never from the clock), and a second run adds nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pghistory
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from registry.models import OrgUnit, Retiree, Staff, StatusChange
from registry.services import system_staff
from registry.sql import with_names

from .models import Campaign, Certification, SuspensionRun
from .services import campaign_create, due_before

# Share of the due still missing while this year's window is open (the progress page then has work to show).
STILL_MISSING_SHARE = 0.12
# The login that records certifications of townships without their own demo login.
FALLBACK_RECORDER = "clerk"

# Each person's day in the window and channel come from hashes of their ID number: stable across runs. The
# day is skewed towards the start of the window, as queues at township offices are in the first weeks.
_INSERT = with_names(
    """
INSERT INTO certification_certification (
    retiree_id, year, certified_on, channel, visitor_name, document, certifying_office, note,
    recorded_by_id, recorded_at
)
SELECT r.{retiree.id}, %(year)s, day.certified_on, pick.channel,
       CASE WHEN pick.channel = 'home_visit' THEN recorder.name ELSE '' END,
       '',
       CASE WHEN pick.channel = 'remote_assisted' THEN r.{retiree.remote_city} || '社会保险事业管理局'
            ELSE '' END,
       '', recorder.id,
       (day.certified_on + time '09:00' + draw.minute * interval '1 minute') AT TIME ZONE %(time_zone)s
  FROM {retiree} r
  JOIN {unit} community ON community.{unit.id} = r.{retiree.community}
  CROSS JOIN LATERAL (
      SELECT abs(hashtext(r.{retiree.id_number} || 'day')) / 2147483647.0 AS day,
             abs(hashtext(r.{retiree.id_number} || 'channel')) %% 100 AS channel,
             abs(hashtext(r.{retiree.id_number} || 'missing')) / 2147483647.0 AS missing,
             abs(hashtext(r.{retiree.id_number} || 'minute')) %% 480 AS minute
  ) draw
  CROSS JOIN LATERAL (
      SELECT (%(first)s::date + floor(power(draw.day, 1.8) * %(days)s)::int) AS certified_on
  ) day
  CROSS JOIN LATERAL (
      SELECT CASE WHEN r.{retiree.residence} = 'remote' THEN 'remote_assisted'
                  WHEN draw.channel < 74 THEN 'in_person'
                  WHEN draw.channel < 84 THEN 'home_visit'
                  WHEN draw.channel < 93 THEN 'online'
                  ELSE 'data_comparison' END AS channel
  ) pick
  CROSS JOIN LATERAL (
      SELECT s.{staff.id} AS id, s.{staff.last_name} || s.{staff.first_name} AS name
        FROM {staff} s
       WHERE s.{staff.org_unit} = community.{unit.parent} OR s.{staff.id} = %(fallback)s
       ORDER BY (s.{staff.id} = %(fallback)s), s.{staff.id}
       LIMIT 1
  ) recorder
 WHERE r.{retiree.status} = ANY(%(statuses)s)
   AND r.{retiree.retirement_date} < %(due_before)s
   AND draw.missing >= %(missing_share)s
ON CONFLICT (retiree_id, year) DO NOTHING
""",
    retiree=Retiree,
    unit=OrgUnit,
    staff=Staff,
)


@dataclass(frozen=True)
class DemoCertifications:
    year: int
    created: int


def _certify_year(
    *, campaign: Campaign, last_day: datetime.date, statuses: list[str], missing_share: float
) -> DemoCertifications:
    fallback = Staff.objects.get(username=FALLBACK_RECORDER)
    days = (last_day - campaign.window_start).days + 1
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT,
            {
                "year": campaign.year,
                "first": campaign.window_start,
                "days": days,
                "fallback": fallback.pk,
                "statuses": statuses,
                "missing_share": missing_share,
                "due_before": due_before(campaign.year),
                "time_zone": settings.TIME_ZONE,
            },
        )
        return DemoCertifications(year=campaign.year, created=cursor.rowcount)


def _campaign(year: int) -> Campaign:
    """The year's campaign, made as the demo county's admin would make it (only campaign_create makes one)."""
    campaign = Campaign.objects.filter(year=year).first()
    if campaign is not None:
        return campaign
    admin = Staff.objects.filter(role=Staff.Role.BUREAU_ADMIN, is_active=True).order_by("pk").first()
    if admin is None:
        raise RuntimeError("the demo county has no bureau admin: run seed_demo first")
    return campaign_create(year=year, by=admin)


def demo_certifications_seeded(*, as_of: datetime.date) -> bool:
    """Whether seed_demo_certifications would add nothing on `as_of`, in one query over existing rows instead
    of the two INSERT … SELECT over every retiree: both years have certifications, the latest window has
    closed (while it is open, the days given to people depend on the date, so the inserts run and let
    ON CONFLICT decide), and the suspension run is on record."""
    window_start = Campaign.default_dates(as_of.year)["window_start"]
    current = as_of.year if as_of >= window_start else as_of.year - 1
    latest = Campaign.objects.filter(year=current).first()
    previous = Campaign.objects.filter(year=current - 1).first()
    if latest is None or previous is None or as_of <= latest.window_end:
        return False
    missed = latest if as_of >= latest.suspension_date else previous
    years = set(
        Certification.objects.filter(year__in=[previous.year, latest.year])
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    return years == {previous.year, latest.year} and SuspensionRun.objects.filter(year=missed.year).exists()


@transaction.atomic
def seed_demo_certifications(*, as_of: datetime.date) -> list[DemoCertifications]:
    """Certify the demo county for the latest campaign that has begun by `as_of` and the one before it.

    Everyone due and active is certified in the window of each campaign, except: while the latest window is
    open, STILL_MISSING_SHARE of the due have not come yet; and the suspended (whom seed_demo suspended as the
    job would, for the latest campaign whose suspension date has passed) are missing from that campaign, whose
    SuspensionRun is recorded with them, so the daily job finds the year done as in a county that ran it."""
    if not OrgUnit.objects.filter(kind=OrgUnit.Kind.COUNTY).exists():
        return []
    current = as_of.year if as_of >= Campaign.default_dates(as_of.year)["window_start"] else as_of.year - 1
    previous = _campaign(current - 1)
    latest = _campaign(current)
    # seed_demo suspended its ~1 % for the latest campaign whose suspension date has passed: they are the
    # ones missing from that campaign, and certified for the one before it.
    missed = latest if as_of >= latest.suspension_date else previous
    active_only: list[str] = [Retiree.Status.ACTIVE]
    both: list[str] = [Retiree.Status.ACTIVE, Retiree.Status.SUSPENDED]
    with pghistory.context(source="seed_demo_certifications"):
        done = [
            _certify_year(
                campaign=previous,
                last_day=previous.window_end,
                statuses=active_only if missed == previous else both,
                missing_share=0,
            ),
            _certify_year(
                campaign=latest,
                last_day=min(as_of, latest.window_end),
                statuses=active_only,
                missing_share=STILL_MISSING_SHARE if as_of <= latest.window_end else 0,
            ),
        ]
        if not SuspensionRun.objects.filter(year=missed.year).exists():
            _record_suspension_run(missed)
    return done


def _record_suspension_run(campaign: Campaign) -> None:
    at = timezone.make_aware(datetime.datetime.combine(campaign.suspension_date, datetime.time(3, 0)))
    suspended = StatusChange.objects.filter(
        to_status=Retiree.Status.SUSPENDED,
        actor=system_staff(),
        effective_date__year=campaign.year,
    ).count()
    run = SuspensionRun.objects.create(
        year=campaign.year, started_at=at, finished_at=at, suspended_count=suspended
    )
    if suspended:
        # As the job does: the suspension page then offers the townships' notices files.
        from .tasks import render_suspension_notices  # noqa: PLC0415 - the tasks module imports the services

        transaction.on_commit(lambda: render_suspension_notices.delay(run.pk))
