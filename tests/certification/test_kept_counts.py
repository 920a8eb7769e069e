"""The kept counts (registry.RetireeCount, certification.CertifiedCount) against a fresh COUNT after each
kind of change: certify, undo, suspend (one and many), restore, death and its correction, termination, a move,
a retirement-date fix, an import, deletions in either order, and the rebuild command."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction

from certification.models import Certification, CertifiedCount
from certification.selectors.progress import certification_progress, progress_unit
from certification.services import certify
from registry.models import Retiree, RetireeCount
from registry.selectors import community_counts, status_counts, township_counts
from registry.services import (
    retiree_change_status,
    retiree_death_correct,
    retiree_record_death,
    retiree_terminate,
    retirees_suspend_many,
)
from tests.certification.campaigns import campaign_of
from tests.conftest import County
from tests.factories import RetireeFactory

Status = Retiree.Status
IN_PERSON = Certification.Channel.IN_PERSON
D = datetime.date
TODAY = D(2026, 8, 10)

FRESH_RETIREES = """
SELECT community_id, status, extract(year FROM retirement_date)::int, count(*)
  FROM registry_retiree GROUP BY 1, 2, 3
"""
FRESH_CERTIFIED = """
SELECT c.year, r.community_id, r.status, extract(year FROM r.retirement_date)::int < c.year, c.certified_on,
       count(*)
  FROM certification_certification c JOIN registry_retiree r ON r.id = c.retiree_id
 GROUP BY 1, 2, 3, 4, 5
"""


def fresh() -> tuple[set[tuple], set[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(FRESH_RETIREES)
        retirees = set(cursor.fetchall())
        cursor.execute(FRESH_CERTIFIED)
        certified = set(cursor.fetchall())
    return retirees, certified


def kept() -> tuple[set[tuple], set[tuple]]:
    retirees = set(
        RetireeCount.objects.exclude(n=0).values_list("community_id", "status", "retired_year", "n")
    )
    certified = set(
        CertifiedCount.objects.exclude(n=0).values_list(
            "year", "community_id", "status", "retired_before_year", "certified_on", "n"
        )
    )
    return retirees, certified


def assert_kept_is_fresh() -> None:
    assert kept() == fresh()


@pytest.fixture
def people(county: County) -> list[Retiree]:
    campaign_of(2026)
    a1, a2, b1 = county.community_a1, county.community_a2, county.community_b1
    extra = [
        RetireeFactory.create(community=a1, name="钱伟"),
        RetireeFactory.create(community=a2, name="郑洁", retirement_date=D(2026, 2, 28)),
        RetireeFactory.create(community=b1, name="吴刚", status=Status.SUSPENDED),
    ]
    everyone = [county.retiree_a1, county.retiree_a2, county.retiree_b1, *extra]
    for retiree in everyone[:4]:
        certify(retiree=retiree, channel=IN_PERSON, certified_on=D(2026, 4, 10), by=county.clerk)
    return everyone


def _county_total(county: County) -> tuple[int, int]:
    unit = progress_unit(user=county.clerk, unit_id=None)
    progress = certification_progress(user=county.clerk, year=2026, unit=unit, today=TODAY)
    return progress.total.due, progress.total.certified


def test_the_counts_follow_certifying_and_undoing(county, people):
    assert_kept_is_fresh()
    # Six people; 郑洁 retired in 2026 (not due); the other five are due, four of them certified.
    assert _county_total(county) == (5, 4)
    wu = people[5]
    certify(retiree=wu, channel=IN_PERSON, certified_on=D(2026, 5, 6), by=county.clerk)
    assert_kept_is_fresh()
    assert _county_total(county) == (5, 5)
    Certification.objects.filter(retiree=wu).delete()
    assert_kept_is_fresh()
    assert _county_total(county) == (5, 4)
    # A certification moved to another day and year (a correction) moves its count.
    Certification.objects.filter(retiree=people[0]).update(certified_on=D(2025, 6, 1), year=2025)
    assert_kept_is_fresh()
    assert _county_total(county) == (5, 3)


def test_the_counts_follow_suspending_restoring_and_death(county, people):
    zhang, li = people[0], people[1]
    retiree_change_status(
        retiree=zhang,
        to_status=Status.SUSPENDED,
        effective_date=D(2026, 7, 1),
        reason="未认证",
        by=county.clerk,
    )
    assert_kept_is_fresh()
    assert status_counts(user=county.clerk)[Status.SUSPENDED] == 2
    retiree_change_status(
        retiree=zhang, to_status=Status.ACTIVE, effective_date=D(2026, 7, 2), reason="已认证", by=county.clerk
    )
    assert_kept_is_fresh()
    retiree_record_death(retiree=li, died_on=D(2026, 7, 3), reason="死亡", by=county.clerk)
    assert_kept_is_fresh()
    # The dead are not due: one fewer due and one fewer certified.
    assert _county_total(county) == (4, 3)
    retiree_death_correct(retiree=Retiree.objects.get(pk=li.pk), reason="误报", by=county.clerk)
    assert_kept_is_fresh()
    assert _county_total(county) == (5, 4)
    retiree_terminate(
        retiree=Retiree.objects.get(pk=li.pk), effective_date=D(2026, 8, 1), reason="终止", by=county.clerk
    )
    assert_kept_is_fresh()
    assert status_counts(user=county.clerk) == {
        Status.ACTIVE: 4,
        Status.SUSPENDED: 1,
        Status.DECEASED: 0,
        Status.TERMINATED: 1,
    }


def test_the_counts_follow_a_suspension_of_many(county, people):
    retirees = Retiree.objects.filter(status=Status.ACTIVE)
    suspended = retirees_suspend_many(
        retirees=retirees, effective_date=D(2026, 8, 1), reason="未认证", by=county.clerk
    )
    assert suspended == 5
    assert_kept_is_fresh()
    assert status_counts(user=county.clerk)[Status.SUSPENDED] == 6
    # Suspended people stay due, and their certifications still count.
    assert _county_total(county) == (5, 4)


def test_the_counts_follow_a_move_and_a_retirement_date_fix(county, people):
    zhang = people[0]
    Retiree.objects.filter(pk=zhang.pk).update(community=county.community_b1)
    assert_kept_is_fresh()
    rows = {row["township"].pk: row["total"] for row in township_counts(user=county.clerk)}
    assert rows == {county.township_a.pk: 3, county.township_b.pk: 3}
    # Retired during 2026 after the fix: no longer due for 2026, with their certification.
    Retiree.objects.filter(pk=zhang.pk).update(retirement_date=D(2026, 1, 31))
    assert_kept_is_fresh()
    assert _county_total(county) == (4, 3)
    # An update that changes none of the counted columns leaves the counts alone.
    before = kept()
    Retiree.objects.update(phone="13900000000")
    assert kept() == before == fresh()


def test_the_counts_follow_a_bulk_insert_and_a_copy(county, people):
    RetireeFactory.create_batch(3, community=county.community_a2)
    Retiree.objects.bulk_create(
        [
            RetireeFactory.build(community=county.community_b1, status=Status.SUSPENDED),
            RetireeFactory.build(community=county.community_b1),
        ]
    )
    assert_kept_is_fresh()
    template = RetireeFactory.build(community=county.community_a1)
    with connection.cursor() as cursor:
        # The import writes its rows with COPY: the statement triggers fire for it too.
        cursor.copy_expert(
            "COPY registry_retiree (id_number, id_number_original, name, sex, birth_date, phone, address, "
            "community_id, residence, remote_province, remote_city, remote_address, retirement_date, "
            "contribution_months, photo, status, created_at, updated_at) FROM STDIN",
            io.StringIO(
                f"{template.id_number}\t\t{template.name}\t{template.sex}\t{template.birth_date}\t\t\t"
                f"{county.community_a1.pk}\tlocal\t\t\t\t2010-05-31\t300\t\tactive\tnow\tnow\n"
            ),
        )
    assert_kept_is_fresh()
    assert status_counts(user=county.clerk)[Status.ACTIVE] == 10
    community_rows = {
        unit.pk: (unit.active, unit.suspended, unit.total) for unit in community_counts(user=county.officer_b)
    }
    assert community_rows == {county.community_b1.pk: (2, 2, 4)}


def test_deleting_in_either_order_keeps_the_counts(county, people):
    zhang, li = people[0], people[1]
    with transaction.atomic():
        # Foreign keys are checked at commit: the retiree may go first, then the certification.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("DELETE FROM registry_retiree WHERE id = %s", [zhang.pk])
        assert_kept_is_fresh()
        Certification.objects.filter(retiree_id=zhang.pk).delete()
        assert_kept_is_fresh()
        transaction.set_rollback(True)
    assert_kept_is_fresh()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("DELETE FROM certification_certification WHERE retiree_id = %s", [li.pk])
            assert_kept_is_fresh()
            cursor.execute("DELETE FROM registry_retiree WHERE id = %s", [li.pk])
        assert_kept_is_fresh()
        transaction.set_rollback(True)


def test_the_rebuild_command_remakes_wrong_counts(county, people):
    expected = fresh()
    RetireeCount.objects.update(n=99)
    CertifiedCount.objects.all().delete()
    assert kept() != expected
    out = io.StringIO()
    call_command("rebuild_progress_counts", stdout=out)
    assert kept() == expected
    assert out.getvalue() == (
        f"retiree counts: {len(expected[0])} rows; certification counts: {len(expected[1])} rows\n"
    )


def test_a_write_that_fails_leaves_the_counts_as_they_were(county, people):
    before = kept()
    with pytest.raises(RuntimeError), transaction.atomic():
        Retiree.objects.update(status=Status.TERMINATED)
        assert kept() != before
        raise RuntimeError
    assert kept() == before == fresh()


@time_machine.travel(datetime.datetime(2026, 8, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_the_home_page_shows_the_kept_counts(county, people, client):
    client.force_login(county.clerk)
    retiree_record_death(retiree=people[2], died_on=D(2026, 8, 1), reason="死亡", by=county.clerk)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["status_counts"] == [
        (Status.ACTIVE, "正常发放", 4),
        (Status.SUSPENDED, "暂停发放", 1),
        (Status.DECEASED, "死亡", 1),
        (Status.TERMINATED, "终止", 0),
    ]
    assert response.context["total"] == 6
