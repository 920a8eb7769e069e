"""Long jobs that survive a killed worker (registry.jobs, docs/jobs.md): the sweeper, the restart, and a real
worker process killed with SIGKILL in the middle of a confirmed import."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry.errors import ImportBatchError
from registry.jobs import job_is_stale, job_sweep
from registry.models import BankAccount, ImportBatch, PensionRate, Retiree, RetireeSearchKey
from registry.services import import_batch_confirm, import_batch_restart, import_batch_upload
from registry.services.imports import RUNNING
from registry.tasks import check_import_batch, run_export_job, run_import_batch
from retiree_mgmt import celery_app
from tests.factories import make_id_number
from tests.registry.import_files import banks_fixture, good_row, upload, xlsx_bytes  # noqa: F401

Status = ImportBatch.Status
ROOT = Path(__file__).resolve().parents[2]
INTERRUPTED_TEXT = "后台任务中断(处理进程意外停止),未写入任何数据,可以重新运行。"


def later(minutes: int) -> datetime.datetime:
    return timezone.now() + datetime.timedelta(minutes=minutes)


def make_batch(county, status: str, **fields: object) -> ImportBatch:
    batch = ImportBatch.objects.create(
        original_name="a.xlsx", uploaded_by=county.clerk, status=status, file="imports/a.xlsx", **fields
    )
    return batch


def snapshot(batch: ImportBatch) -> tuple[object, ...]:
    batch.refresh_from_db()
    return (batch.status, batch.progress, batch.error, batch.job_attempts, batch.job_heartbeat_at)


# The pattern ------------------------------------------------------------------------------------------------


def test_every_long_task_is_acknowledged_late_and_given_back_when_its_worker_dies():
    import certification.tasks as certification_tasks
    import pensions.tasks as pensions_tasks

    redelivered = [
        check_import_batch,
        run_import_batch,
        certification_tasks.apply_certification_import,
        certification_tasks.render_remote_batch,
        certification_tasks.render_suspension_notices,
        pensions_tasks.draft_payout_plan,
        pensions_tasks.redraft_payout_plans,
        pensions_tasks.run_plan_job,
        run_export_job,
    ]
    assert [(task.name, task.acks_late, task.reject_on_worker_lost) for task in redelivered] == [
        (task.name, True, True) for task in redelivered
    ]
    entry = settings.CELERY_BEAT_SCHEDULE["registry-sweep-stale-jobs"]
    assert entry["task"] == "registry.tasks.sweep_stale_jobs"
    assert settings.JOB_STALE_MINUTES == 10


def test_the_sweeper_marks_only_running_jobs_whose_heartbeat_stopped(county):
    now = timezone.now()
    old = now - datetime.timedelta(minutes=11)
    fresh = now - datetime.timedelta(minutes=9)
    dead_import = make_batch(county, Status.IMPORTING, progress=70, job_heartbeat_at=old, job_attempts=1)
    dead_check = make_batch(county, Status.CHECKING, progress=5, job_heartbeat_at=old, job_attempts=1)
    alive = make_batch(county, Status.IMPORTING, progress=30, job_heartbeat_at=fresh, job_attempts=1)
    queued = make_batch(county, Status.UPLOADED, job_heartbeat_at=old)
    done = make_batch(county, Status.IMPORTED, progress=100, job_heartbeat_at=old)
    untouched = [snapshot(batch) for batch in (alive, queued, done)]

    marked = job_sweep(now=now)

    assert marked["registry.ImportBatch"] == 2
    assert [snapshot(batch)[:3] for batch in (dead_import, dead_check)] == [
        (Status.INTERRUPTED, 70, INTERRUPTED_TEXT),
        (Status.INTERRUPTED, 5, INTERRUPTED_TEXT),
    ]
    assert [snapshot(batch) for batch in (alive, queued, done)] == untouched
    # A second sweep finds nothing more
    assert job_sweep(now=now)["registry.ImportBatch"] == 0


def test_a_running_job_is_stale_only_after_the_setting(county, settings):
    settings.JOB_STALE_MINUTES = 3
    batch = make_batch(county, Status.IMPORTING, job_heartbeat_at=timezone.now())
    assert job_is_stale(batch, running=RUNNING, now=later(2)) is False
    assert job_is_stale(batch, running=RUNNING, now=later(4)) is True
    batch.status = Status.CHECKED
    assert job_is_stale(batch, running=RUNNING, now=later(4)) is False


def test_restart_of_an_interrupted_confirmed_batch_queues_the_import_again(
    county, banks, django_capture_on_commit_callbacks
):
    batch = make_batch(
        county,
        Status.INTERRUPTED,
        confirmed_by=county.clerk,
        progress=70,
        error=INTERRUPTED_TEXT,
        job_attempts=1,
    )
    with django_capture_on_commit_callbacks() as callbacks:
        restarted = import_batch_restart(batch=batch, by=county.admin)
    assert len(callbacks) == 1
    assert (restarted.status, restarted.progress, restarted.error, restarted.job_attempts) == (
        Status.IMPORTING,
        0,
        "",
        2,
    )
    # Still imported as the clerk who confirmed it
    assert ImportBatch.objects.get(pk=batch.pk).confirmed_by == county.clerk


def test_restart_of_an_interrupted_check_checks_again_from_the_upload(county, banks):
    batch = make_batch(county, Status.INTERRUPTED, progress=40, error=INTERRUPTED_TEXT, job_attempts=1)
    restarted = import_batch_restart(batch=batch, by=county.clerk)
    assert (restarted.status, restarted.progress, restarted.error) == (Status.UPLOADED, 0, "")


def test_a_batch_shown_running_whose_heartbeat_stopped_may_be_restarted_before_the_sweep(county, banks):
    stopped = timezone.now() - datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    batch = make_batch(
        county, Status.IMPORTING, confirmed_by=county.clerk, job_heartbeat_at=stopped, job_attempts=1
    )
    restarted = import_batch_restart(batch=batch, by=county.clerk)
    assert (restarted.status, restarted.job_attempts) == (Status.IMPORTING, 2)
    assert restarted.job_heartbeat_at > stopped


@pytest.mark.parametrize("status", [Status.CHECKED, Status.IMPORTED, Status.FAILED, Status.UPLOADED])
def test_restart_is_refused_for_a_batch_that_did_not_die_and_nothing_changes(county, banks, status):
    batch = make_batch(
        county, status, confirmed_by=county.clerk, job_heartbeat_at=timezone.now(), job_attempts=1
    )
    before = snapshot(batch)
    with pytest.raises(ImportBatchError) as refused:
        import_batch_restart(batch=batch, by=county.clerk)
    assert refused.value.message == f"该批次当前为“{Status(status).label}”,只有任务中断的批次可以重新运行。"
    assert snapshot(batch) == before


def test_a_live_import_is_refused_a_restart(county, banks):
    batch = make_batch(
        county, Status.IMPORTING, confirmed_by=county.clerk, job_heartbeat_at=timezone.now(), job_attempts=1
    )
    before = snapshot(batch)
    with pytest.raises(ImportBatchError, match="“导入中”,只有任务中断的批次可以重新运行"):
        import_batch_restart(batch=batch, by=county.clerk)
    assert snapshot(batch) == before


@pytest.mark.parametrize("who", ["officer_a", "reviewer", "auditor"])
def test_only_registry_editors_may_restart(county, banks, who):
    batch = make_batch(county, Status.INTERRUPTED, confirmed_by=county.clerk, error=INTERRUPTED_TEXT)
    before = snapshot(batch)
    client = Client()
    client.force_login(getattr(county, who))
    assert client.post(reverse("import-restart", args=[batch.pk])).status_code == 403
    api = APIClient()
    api.force_authenticate(getattr(county, who))
    assert api.post(reverse("api-import-restart", args=[batch.pk])).status_code == 403
    assert snapshot(batch) == before


def test_the_page_says_the_job_died_and_offers_to_run_it_again(
    county, banks, django_capture_on_commit_callbacks
):
    batch = make_batch(
        county, Status.INTERRUPTED, confirmed_by=county.clerk, progress=70, error=INTERRUPTED_TEXT
    )
    client = Client()
    client.force_login(county.clerk)

    html = client.get(reverse("import-detail", args=[batch.pk])).content.decode()
    assert "任务中断" in html and INTERRUPTED_TEXT in html
    assert 'id="restart-import"' in html and "重新运行导入" in html

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("import-restart", args=[batch.pk]))
    assert (response.status_code, response["Location"]) == (302, reverse("import-detail", args=[batch.pk]))
    assert len(callbacks) == 1
    assert ImportBatch.objects.get(pk=batch.pk).status == Status.IMPORTING


def test_the_api_restarts_an_interrupted_batch(county, banks, django_capture_on_commit_callbacks):
    batch = make_batch(county, Status.INTERRUPTED, confirmed_by=county.clerk, error=INTERRUPTED_TEXT)
    api = APIClient()
    api.force_authenticate(county.clerk)
    with django_capture_on_commit_callbacks():
        response = api.post(reverse("api-import-restart", args=[batch.pk]))
    assert response.status_code == 202
    assert response.json()["status"] == "importing"
    again = api.post(reverse("api-import-restart", args=[batch.pk]))
    assert again.status_code == 400
    assert again.json() == {"status": ["该批次当前为“导入中”,只有任务中断的批次可以重新运行。"]}


# A real worker killed mid-import ---------------------------------------------------------------------------


@pytest.fixture
def worker_process() -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """Start `celery worker` as a process of its own on the test database and Redis; all killed at the end."""
    started: list[subprocess.Popen[bytes]] = []
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "retiree_mgmt.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "TEST_REDIS_URL": settings.REDIS_URL,
        # Progress (and so the heartbeat) every 100 rows, so the test sees the job moving.
        "IMPORT_PROGRESS_EVERY": "100",
    }

    def start() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(  # noqa: S603 - the queue names are the settings' constants
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "retiree_mgmt",
                "worker",
                "-Q",
                ",".join(settings.TASK_QUEUE_NAMES),
                "--pool=solo",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    celery_app.control.purge()
    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    celery_app.control.purge()


def wait_until(check, *, seconds: float = 120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("waited too long")


def waiting_for_the_retiree_table() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks"
            " WHERE relation = 'registry_retiree'::regclass AND NOT granted)"
        )
        return bool(cursor.fetchone()[0])


def written() -> tuple[int, int, int, int]:
    return (
        Retiree.objects.count(),
        PensionRate.objects.count(),
        BankAccount.objects.count(),
        RetireeSearchKey.objects.count(),
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_is_marked_interrupted_and_a_rerun_writes_every_row_once(
    county, banks, worker_process
):
    # make_id_number has 500 sequence numbers a day and good_row takes one more: 200 people per birth date
    first_birth = datetime.date(1957, 1, 1)
    rows = [
        good_row(身份证号码=make_id_number(first_birth + datetime.timedelta(days=index // 200)))
        for index in range(3000)
    ]
    before = written()
    batch = import_batch_upload(file=upload("三千人.xlsx", xlsx_bytes(rows)), by=county.clerk)
    first = worker_process()
    checked = wait_until(lambda: ImportBatch.objects.filter(pk=batch.pk, status=Status.CHECKED).first())
    assert (checked.good_rows, checked.bad_rows) == (3000, 0), checked.problems[:2]

    # Given the confirmed import is inside its write in the worker (its progress has moved, and it waits for
    # a lock on the retiree table that another session holds, so the kill cannot come after the commit: the
    # write from the staged rows takes a fraction of a second)
    blocker = psycopg2.connect(**connection.get_connection_params())
    with blocker.cursor() as cursor:
        cursor.execute("LOCK TABLE registry_retiree IN EXCLUSIVE MODE")
    import_batch_confirm(batch=checked, by=county.clerk)
    wait_until(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=Status.IMPORTING, progress__gt=0).exists()
    )
    wait_until(waiting_for_the_retiree_table)

    # When the worker process is killed outright
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    blocker.rollback()
    blocker.close()

    # Then the batch is left importing with nothing written, and the sweeper marks it interrupted once stale
    dead = ImportBatch.objects.get(pk=batch.pk)
    assert dead.status == Status.IMPORTING and 0 < dead.progress < 100
    assert written() == before
    assert job_sweep(now=timezone.now())["registry.ImportBatch"] == 0  # not yet stale
    assert job_sweep(now=later(settings.JOB_STALE_MINUTES + 1))["registry.ImportBatch"] == 1
    interrupted = ImportBatch.objects.get(pk=batch.pk)
    # Attempts: the check, then the import that died
    assert (interrupted.status, interrupted.error, interrupted.job_attempts) == (
        Status.INTERRUPTED,
        INTERRUPTED_TEXT,
        2,
    )
    # Confirming again is refused; the restart is the way
    with pytest.raises(ImportBatchError):
        import_batch_confirm(batch=interrupted, by=county.clerk)

    # When the clerk runs it again and a new worker takes it
    import_batch_restart(batch=interrupted, by=county.clerk)
    worker_process()
    # (imported, then its people's search keys written by the same job)
    imported = wait_until(
        lambda: (
            ImportBatch.objects.filter(pk=batch.pk)
            .filter(Q(status=Status.IMPORTED, names_indexed_at__isnull=False) | Q(status=Status.FAILED))
            .first()
        )
    )

    # Then every row is written exactly once: 3,000 retirees, one rate and one account each, and their keys
    assert (imported.status, imported.imported_rows, imported.progress, imported.job_attempts) == (
        Status.IMPORTED,
        3000,
        100,
        3,
    )
    imported_people = Retiree.objects.filter(name="赵国庆")
    assert written()[:3] == (before[0] + 3000, before[1] + 3000, before[2] + 3000)
    assert imported_people.values("id_number").distinct().count() == 3000
    assert RetireeSearchKey.objects.filter(key="zhaoguoqing").count() == 3000
    # Every imported person has the same keys (same name, same kind of ID), once each
    keys_each = set(
        RetireeSearchKey.objects.filter(retiree__in=imported_people)
        .values("retiree_id")
        .annotate(keys=Count("key"))
        .values_list("keys", flat=True)
    )
    assert len(keys_each) == 1
    assert written()[3] == before[3] + 3000 * keys_each.pop()


@pytest.mark.django_db(transaction=True)
def test_a_restart_while_the_import_still_writes_is_refused_at_once(county, banks):
    """The import's write holds the batch row for its whole transaction: a clerk who clicks the button offered
    by a stale heartbeat is told it is still writing, without waiting for the write, and nothing changes."""
    stopped = timezone.now() - datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    batch = make_batch(
        county, Status.IMPORTING, confirmed_by=county.clerk, job_heartbeat_at=stopped, job_attempts=2
    )
    holding, release = threading.Event(), threading.Event()

    def write() -> None:
        try:
            with transaction.atomic():
                ImportBatch.objects.select_for_update().get(pk=batch.pk)
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert holding.wait(30)
        with pytest.raises(ImportBatchError) as refused:
            import_batch_restart(batch=batch, by=county.clerk)
    finally:
        release.set()
        writer.join(30)
    assert refused.value.message == "该批次正在写入,请稍候刷新页面查看结果。"
    batch.refresh_from_db()
    assert (batch.status, batch.job_attempts, batch.job_heartbeat_at) == (Status.IMPORTING, 2, stopped)


def test_the_page_offers_the_button_as_soon_as_the_heartbeat_is_stale(county, banks):
    now = timezone.now()
    batch = make_batch(county, Status.IMPORTING, confirmed_by=county.clerk, progress=30, job_heartbeat_at=now)
    client = Client()
    client.force_login(county.clerk)
    url = reverse("import-detail", args=[batch.pk])

    live = client.get(url).content.decode()
    assert 'id="import-stale"' not in live and 'id="restart-import"' not in live

    stopped = now - datetime.timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    ImportBatch.objects.filter(pk=batch.pk).update(job_heartbeat_at=stopped)
    stale = client.get(url).content.decode()
    assert 'id="import-stale"' in stale and 'id="restart-import"' in stale
    assert ImportBatch.objects.get(pk=batch.pk).status == Status.IMPORTING  # reading changes nothing
