"""manage.py seed_demo_certifications: the demo county's campaigns, as far as the date has come."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.db.models import Count

from certification.demo import seed_demo_certifications
from certification.models import Certification, SuspensionRun
from certification.selectors.campaigns import run_changes
from certification.services import due_before, suspension_run
from registry.models import Retiree

RETIREES = 400
TZ = ZoneInfo("Asia/Shanghai")


def seed(on: datetime.date) -> str:
    out = io.StringIO()
    with time_machine.travel(datetime.datetime.combine(on, datetime.time(9, 30), tzinfo=TZ), tick=False):
        call_command("seed_demo", retirees=RETIREES, stdout=io.StringIO())
        call_command("seed_demo_certifications", stdout=out)
    return out.getvalue()


def due(year: int) -> set[int]:
    return set(
        Retiree.objects.filter(
            status__in=[Retiree.Status.ACTIVE, Retiree.Status.SUSPENDED], retirement_date__lt=due_before(year)
        ).values_list("pk", flat=True)
    )


def certified(year: int) -> set[int]:
    return set(Certification.objects.filter(year=year).values_list("retiree_id", flat=True))


def test_after_the_suspension_date_every_active_due_retiree_is_certified_and_the_run_is_on_record(db):
    seed(datetime.date(2026, 11, 23))

    active_due = due(2026) - set(Retiree.objects.filter(status="suspended").values_list("pk", flat=True))
    assert certified(2026) == active_due
    assert certified(2025) == due(2025)
    suspended = Retiree.objects.filter(status="suspended").count()
    run = SuspensionRun.objects.get()
    assert (run.year, run.suspended_count) == (2026, suspended)
    assert suspended > 0
    # The suspension page finds the run's people (their status changes)
    assert set(run_changes(run=run).values_list("retiree_id", flat=True)) == set(
        Retiree.objects.filter(status="suspended").values_list("pk", flat=True)
    )
    # Inside the window, remote residents by the assisting office, home visits by a named visitor
    rows = Certification.objects.filter(year=2026)
    assert not rows.exclude(certified_on__range=(datetime.date(2026, 4, 1), datetime.date(2026, 5, 31)))
    remote = rows.filter(retiree__residence=Retiree.Residence.REMOTE)
    assert remote and not remote.exclude(channel="remote_assisted").exclude(certifying_office="")
    assert not rows.filter(channel="home_visit", visitor_name="")
    assert set(rows.values_list("channel", flat=True)) == {
        "in_person",
        "home_visit",
        "online",
        "data_comparison",
        "remote_assisted",
    }
    # The daily job finds the year done and changes nothing
    assert suspension_run(year=2026, today=datetime.date(2026, 11, 24)).pk == run.pk


def test_while_the_window_is_open_some_are_still_missing_and_no_day_is_in_the_future(db):
    seed(datetime.date(2026, 4, 20))

    # The suspended missed 2025's campaign (its suspension date has passed, 2026's has not)
    suspended = set(Retiree.objects.filter(status="suspended").values_list("pk", flat=True))
    assert suspended and certified(2025) == due(2025) - suspended
    assert SuspensionRun.objects.get().year == 2025
    this_year = certified(2026)
    assert this_year < due(2026)
    assert 0.75 < len(this_year) / len(due(2026)) < 0.97
    latest = Certification.objects.filter(year=2026).order_by("-certified_on").first()
    assert latest is not None and latest.certified_on <= datetime.date(2026, 4, 20)


def test_a_second_run_adds_nothing(db):
    first = seed(datetime.date(2026, 11, 23))
    before = list(Certification.objects.values("year").annotate(n=Count("id")).order_by("year"))

    # The inserts themselves add nothing a second time (ON CONFLICT DO NOTHING) ...
    assert [year.created for year in seed_demo_certifications(as_of=datetime.date(2026, 11, 23))] == [0, 0]
    # ... and the command does not even run them once the window has closed.
    second = seed(datetime.date(2026, 11, 23))

    assert list(Certification.objects.values("year").annotate(n=Count("id")).order_by("year")) == before
    assert "本次新增 0 条" not in first
    assert second == "资格认证演示数据已生成,认证期已结束,跳过。\n"


def test_while_the_window_is_open_a_second_run_is_not_skipped(db):
    seed(datetime.date(2026, 4, 20))
    before = Certification.objects.filter(year=2026).count()

    later = seed(datetime.date(2026, 5, 10))

    # The quick check only trusts a closed window; the inserts run and find everyone there already.
    assert Certification.objects.filter(year=2026).count() == before
    assert later.count("本次新增 0 条") == 2
    assert "跳过" not in later
