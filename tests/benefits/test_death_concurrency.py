"""The same death confirmed by two reviewers at once, or recorded by two clerks at once, changes money once:
two threads with their own connections, the first holding its transaction open until the second is seen
waiting for the row lock (as tests/certification/test_concurrency.py does)."""

from __future__ import annotations

import datetime
import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from benefits.errors import BenefitError
from benefits.models import DeathRegistration
from benefits.services import death_registration_confirm
from pensions.models import RecoveryLine
from registry.models import Recovery, Retiree, StatusChange
from tests.benefits.deaths_flow import NOV, OCT, RATE, SEP, approve_month, record
from tests.certification.test_concurrency import in_thread, wait_for_row_waiter
from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]
pytestmark = pytest.mark.django_db(transaction=True)
DIED = datetime.date(2026, 9, 20)


@pytest.fixture
def retiree(county, enrol, settings) -> Retiree:
    settings.PAYOUT_FIRST_MONTH = "2026-09"
    person = enrol(rates=((SEP.plus(-60), RATE),), name="周德海")
    for month in (SEP, OCT, NOV):
        approve_month(county, month)
    return person


def test_two_reviewers_confirming_at_once_settle_the_money_once(county, retiree):
    registration = record(county, retiree, DIED)
    confirming = threading.Event()
    results: dict[str, Any] = {}

    def first() -> str:
        with transaction.atomic():
            done = death_registration_confirm(registration=registration, by=county.reviewer)
            confirming.set()
            wait_for_row_waiter()  # the admin's confirmation waits for the registration's row
        return done.status

    def second() -> str:
        assert confirming.wait(timeout=20)
        return death_registration_confirm(registration=registration, by=county.admin).status

    threads = [in_thread(first, results, "first"), in_thread(second, results, "second")]
    for thread in threads:
        thread.join(timeout=60)

    assert results["first"] == "confirmed"
    assert isinstance(results["second"], BenefitError), results["second"]
    assert "已是“已确认”状态,不能确认" in results["second"].message
    assert Recovery.objects.get().amount == Decimal("5600.00")
    assert RecoveryLine.objects.count() == 2
    assert StatusChange.objects.filter(retiree=retiree, to_status="deceased").count() == 1
    assert DeathRegistration.objects.get().decided_by == county.reviewer


def test_two_clerks_recording_the_same_death_at_once_make_one_registration(county, retiree):
    recording = threading.Event()
    results: dict[str, Any] = {}

    def first() -> int:
        with transaction.atomic():
            done = record(county, retiree, DIED)
            recording.set()
            wait_for_row_waiter()  # the second clerk waits for the retiree's row
        return done.pk

    def second() -> int:
        assert recording.wait(timeout=20)
        return record(county, retiree, DIED).pk

    threads = [in_thread(first, results, "first"), in_thread(second, results, "second")]
    for thread in threads:
        thread.join(timeout=60)

    assert isinstance(results["first"], int), results["first"]
    assert isinstance(results["second"], BenefitError), results["second"]
    assert "不能重复登记" in results["second"].message
    assert list(DeathRegistration.objects.values_list("pk", flat=True)) == [results["first"]]
