"""The suspension job against a certification, and against itself, in real concurrent transactions: two
threads with their own connections, made to overlap by holding the job's advisory lock (SUSPENSION_LOCK)
until the other side is seen waiting for it in pg_locks."""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections, transaction

from certification.models import Certification, SuspensionRun
from certification.services import SUSPENSION_LOCK, certify, suspension_run
from pensions.models import WithheldRelease
from pensions.services import plan_draft
from pensions.services.transitions import plan_approve, plan_submit
from registry.models import ArrearsItem, Retiree, StatusChange
from registry.months import PensionMonth
from tests.certification.campaigns import campaign_of

AUG_1 = datetime.date(2026, 8, 1)
pytestmark = pytest.mark.django_db(transaction=True)


def wait_for_waiters(count: int, timeout: float = 20) -> None:
    """Until `count` sessions wait for the suspension lock (an advisory lock on SUSPENSION_LOCK not granted).
    Asked on a connection of its own: the asking thread may be inside a transaction holding the lock."""
    watcher = connections.create_connection("default")
    deadline = time.monotonic() + timeout
    try:
        while True:
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks"
                    " WHERE locktype = 'advisory' AND objid = %s AND NOT granted",
                    [SUSPENSION_LOCK],
                )
                if cursor.fetchone()[0] >= count:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {count} sessions waited for the suspension lock")
            time.sleep(0.02)
    finally:
        watcher.close()


def wait_for_row_waiter(timeout: float = 20) -> None:
    """Until another session waits for a row lock (a transaction's, as select_for_update on a locked row)."""
    watcher = connections.create_connection("default")
    deadline = time.monotonic() + timeout
    try:
        while True:
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')"
                )
                if cursor.fetchone()[0] >= 1:
                    return
            if time.monotonic() > deadline:
                raise AssertionError("nobody waited for the retiree's row")
            time.sleep(0.02)
    finally:
        watcher.close()


def in_thread(target: Callable[[], Any], results: dict[str, Any], key: str) -> threading.Thread:
    def run() -> None:
        try:
            results[key] = target()
        except Exception as error:  # kept for the test's assertions, which show it
            results[key] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=key)
    thread.start()
    return thread


def suspended_changes(retiree: Retiree) -> int:
    return StatusChange.objects.filter(retiree=retiree, to_status=Retiree.Status.SUSPENDED).count()


def test_a_certification_in_flight_when_the_job_starts_is_never_suspended(county):
    campaign_of(2026)
    certifying = threading.Event()
    results: dict[str, Any] = {}

    def certify_and_hold() -> bool:
        # The officer's transaction has recorded the certification (holding the shared lock) and is still
        # open when the job starts; it commits only once the job is seen waiting.
        with transaction.atomic():
            result = certify(
                retiree=county.retiree_a1,
                channel=Certification.Channel.IN_PERSON,
                certified_on=datetime.date(2026, 7, 31),
                by=county.officer_a,
            )
            certifying.set()
            wait_for_waiters(1)
        return result.created

    def job() -> SuspensionRun:
        assert certifying.wait(timeout=20)
        return suspension_run(year=2026, today=AUG_1)

    threads = [in_thread(certify_and_hold, results, "certify"), in_thread(job, results, "job")]
    for thread in threads:
        thread.join(timeout=60)

    assert results["certify"] is True
    run = results["job"]
    assert isinstance(run, SuspensionRun), run
    assert run.suspended_count == 2
    statuses = dict(Retiree.objects.values_list("name", "status"))
    assert statuses == {"张建国": "active", "李秀兰": "suspended", "王德胜": "suspended"}
    assert suspended_changes(county.retiree_a1) == 0
    assert StatusChange.objects.count() == 2


def test_a_certification_arriving_while_the_job_runs_waits_and_then_restores(county):
    campaign_of(2026)
    results: dict[str, Any] = {}
    release = threading.Event()

    def hold_the_lock() -> SuspensionRun:
        # Stands in for a long job statement: the exclusive lock is held until the officer is seen waiting.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SUSPENSION_LOCK])
            run = suspension_run(year=2026, today=AUG_1)
            release.set()
            wait_for_waiters(1)
            return run

    def certify_now() -> tuple[bool, bool]:
        assert release.wait(timeout=20)
        result = certify(
            retiree=county.retiree_a1,
            channel=Certification.Channel.IN_PERSON,
            certified_on=AUG_1,
            by=county.officer_a,
        )
        return result.created, result.restored

    threads = [in_thread(hold_the_lock, results, "job"), in_thread(certify_now, results, "certify")]
    for thread in threads:
        thread.join(timeout=60)

    assert results["job"].suspended_count == 3
    # The officer waited for the job's commit, then found the person suspended and restored them at once
    assert results["certify"] == (True, True)
    county.retiree_a1.refresh_from_db()
    assert county.retiree_a1.status == "active"
    assert list(
        StatusChange.objects.filter(retiree=county.retiree_a1)
        .order_by("id")
        .values_list("to_status", flat=True)
    ) == ["suspended", "active"]


def test_two_jobs_at_once_make_one_run_and_one_change_per_person(county, enrol):
    for _index in range(20):
        enrol()
    campaign_of(2026)
    results: dict[str, Any] = {}
    held = threading.Event()

    def gate() -> None:
        # Both jobs start while the lock is held here, so both really wait at the same moment.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [SUSPENSION_LOCK])
            held.set()
            wait_for_waiters(2)

    def job() -> SuspensionRun:
        assert held.wait(timeout=20)
        return suspension_run(year=2026, today=AUG_1)

    threads = [
        in_thread(gate, results, "gate"),
        in_thread(job, results, "one"),
        in_thread(job, results, "two"),
    ]
    for thread in threads:
        thread.join(timeout=60)

    one, two = results["one"], results["two"]
    assert isinstance(one, SuspensionRun) and isinstance(two, SuspensionRun), (one, two)
    assert one.pk == two.pk
    assert SuspensionRun.objects.count() == 1
    assert SuspensionRun.objects.get().suspended_count == 23
    assert Retiree.objects.filter(status="suspended").count() == 23
    per_person = StatusChange.objects.values("retiree").distinct().count()
    assert (StatusChange.objects.count(), per_person) == (23, 23)


def test_two_officers_certifying_a_suspended_person_at_once_restore_and_pay_back_once(county, enrol):
    retiree = enrol(rates=((PensionMonth(2018, 4), "2650.00"),))
    suspension_run(year=2026, today=AUG_1)
    august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
    plan_submit(plan=august, by=county.clerk)
    plan_approve(plan=august, by=county.reviewer)
    results: dict[str, Any] = {}
    first_in = threading.Event()

    def first() -> tuple[bool, bool]:
        # Restored, still uncommitted, until the second officer is seen waiting for the retiree's row.
        with transaction.atomic():
            result = certify(
                retiree=retiree,
                channel=Certification.Channel.IN_PERSON,
                certified_on=datetime.date(2026, 8, 20),
                by=county.officer_a,
            )
            first_in.set()
            wait_for_row_waiter()
        return result.created, result.restored

    def second() -> tuple[bool, bool]:
        assert first_in.wait(timeout=20)
        result = certify(
            retiree=Retiree.objects.get(pk=retiree.pk),
            channel=Certification.Channel.IN_PERSON,
            certified_on=datetime.date(2026, 8, 20),
            by=county.clerk,
        )
        return result.created, result.restored

    threads = [in_thread(first, results, "first"), in_thread(second, results, "second")]
    for thread in threads:
        thread.join(timeout=60)

    assert (results["first"], results["second"]) == ((True, True), (False, False))
    assert list(ArrearsItem.objects.filter(retiree=retiree).values_list("month", "reason")) == [
        (PensionMonth(2026, 8), "restoration")
    ]
    assert WithheldRelease.objects.count() == 1
    assert list(
        StatusChange.objects.filter(retiree=retiree)
        .order_by("id")
        .values_list("to_status", "actor__username")
    ) == [("suspended", "system"), ("active", "officer_a")]
    assert Certification.objects.filter(retiree=retiree).count() == 1
