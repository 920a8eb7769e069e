"""The nightly snapshot task, run by a real Celery worker that takes it from Redis."""

import datetime

import pytest

from registry.models import RegistrySnapshot, Retiree
from registry.tasks import take_registry_snapshot
from retiree_mgmt import celery_app
from tests.factories import RetireeFactory

Status = Retiree.Status


def snapshot_rows(day):
    return sorted(
        RegistrySnapshot.objects.filter(taken_on=day).values_list("township__name", "status", "count"),
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_takes_the_snapshot_from_redis_and_a_second_run_replaces_it(county, worker):
    # Given township A with 2 active (A1, A2) + 1 suspended, township B with 1 active (B1) + 1 deceased
    RetireeFactory(community=county.community_a2, status=Status.SUSPENDED)
    RetireeFactory(community=county.community_b1, status=Status.DECEASED, died_on=datetime.date(2026, 9, 2))
    # and yesterday's snapshot, which the run for another day must leave alone
    yesterday = RegistrySnapshot.objects.create(
        taken_on=datetime.date(2026, 11, 19), township=county.township_a, status=Status.ACTIVE, count=7
    )
    expected = [
        ("城关镇", Status.ACTIVE, 2),
        ("城关镇", Status.SUSPENDED, 1),
        ("梅林镇", Status.ACTIVE, 1),
        ("梅林镇", Status.DECEASED, 1),
    ]
    day = datetime.date(2026, 11, 20)
    assert take_registry_snapshot.app is celery_app

    # When the task is queued and the worker runs it
    result = take_registry_snapshot.delay("2026-11-20")
    assert result.get(timeout=30) == 4

    # Then one row per township and status, with exact counts
    assert result.state == "SUCCESS"
    assert snapshot_rows(day) == expected

    # When it is queued again (a retry, or beat firing twice), the day's rows are replaced, not doubled
    again = take_registry_snapshot.delay("2026-11-20")
    assert again.id != result.id
    assert again.get(timeout=30) == 4
    assert snapshot_rows(day) == expected
    assert RegistrySnapshot.objects.filter(taken_on=day).count() == 4

    # And the other day's row is untouched
    assert list(RegistrySnapshot.objects.exclude(taken_on=day).values_list("id", "count")) == [
        (yesterday.id, 7)
    ]
