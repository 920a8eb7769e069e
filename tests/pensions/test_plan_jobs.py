"""Plan drafting and bank-file export in the worker (pensions.services.plan_jobs, docs/jobs.md): a job whose
worker died says so on its page and runs again writing exactly once; a rerun never drafts or exports twice;
a real worker drafts the plan the clerk asked for."""

from __future__ import annotations

import datetime
import io
import time
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from pensions.errors import PlanError
from pensions.models import BankFile, PayoutPlan, PlanJob, PlanTransition
from pensions.services import bank_files_export, plan_draft
from pensions.services.plan_jobs import (
    _claim,
    _finish,
    _SupersededError,
    bank_files_start,
    plan_draft_start,
    plan_job_run,
)
from registry.jobs import job_sweep
from registry.models import ExportJob, SensitiveExport
from registry.months import PensionMonth
from registry.services.export_jobs import export_job_run
from tests.clients import signed_in

from .conftest import NOV, M
from .payout_flow import approved_plan, enrol_month, fund_all, set_profiles

S = PayoutPlan.Status
Status = PlanJob.Status
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 5, 9, 30, tzinfo=TZ)
INTERRUPTED_TEXT = "后台任务中断(处理进程意外停止),未写入任何数据,可以重新运行。"


def page(job: PlanJob) -> str:
    return f"/pensions/plan-jobs/{job.pk}/"


def transitions(plan: PayoutPlan) -> list[tuple[str, str]]:
    return list(
        PlanTransition.objects.filter(plan=plan).order_by("id").values_list("from_status", "to_status")
    )


def worker_died(job: PlanJob) -> None:
    """The worker took the job, then died: its heartbeat stopped 11 minutes ago."""
    assert _claim(job.pk) is not None
    PlanJob.objects.filter(pk=job.pk).update(job_heartbeat_at=timezone.now() - datetime.timedelta(minutes=11))


@pytest.fixture
def _calendar(settings):
    settings.PAYOUT_PLAN_DAY = 10
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.django_db
@pytest.mark.usefixtures("_calendar")
def test_a_drafting_job_whose_worker_died_says_so_and_runs_again_writing_once(
    county, enrol, django_capture_on_commit_callbacks
):
    enrol(name="赵一明", rates=((M(2018, 4), "2650.00"),))
    enrol(name="钱二", rates=((M(2018, 4), "3100.00"),))
    client = signed_in(county.clerk)
    client.post("/pensions/plans/", {"month": "2026-11"})
    job = PlanJob.objects.get()
    worker_died(job)

    # The page offers the button as soon as the heartbeat is stale, before the sweeper comes.
    stale = client.get(page(job)).content.decode()
    assert 'id="plan-job-stale"' in stale and 'id="restart-plan-job"' in stale
    assert job_sweep()["pensions.PlanJob"] == 1

    html = client.get(page(job)).content.decode()
    assert "任务中断" in html and INTERRUPTED_TEXT in html
    assert 'id="restart-plan-job"' in html and "重新运行" in html and "every 2s" not in html
    assert PayoutPlan.objects.count() == 0
    # Only a role that prepares payments may run it again.
    assert signed_in(county.reviewer).post(f"{page(job)}restart/").status_code == 403
    assert PlanJob.objects.get(pk=job.pk).status == Status.INTERRUPTED

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(f"{page(job)}restart/")
    assert (response.status_code, response["Location"], len(queued)) == (302, page(job), 1)
    job.refresh_from_db()
    assert (job.status, job.job_attempts, job.error) == (Status.QUEUED, 2, "")
    assert "正在编制…" in client.get(page(job)).content.decode()

    # The first attempt's zombie finishing its draft late: its whole transaction is rolled back.
    with pytest.raises(_SupersededError), transaction.atomic():
        zombie = plan_draft(month=NOV, by=county.clerk)
        _finish(job.pk, 1, plan=zombie, result={})
    assert PayoutPlan.objects.count() == 0

    done = plan_job_run(job_id=job.pk)

    plan = PayoutPlan.objects.get()
    assert (done.status, done.plan, done.job_attempts) == (Status.DONE, plan, 2)
    assert (plan.line_count, plan.net_total, plan.created_by) == (2, Decimal("5750.00"), county.clerk)
    assert transitions(plan) == [("", S.DRAFT)]
    # A redelivered message finds it done; a restart of a finished job is refused; nothing changes.
    assert plan_job_run(job_id=job.pk) is None
    refused = client.post(f"{page(job)}restart/", follow=True)
    assert "只有任务中断的任务可以重新运行" in refused.content.decode()
    assert (PayoutPlan.objects.count(), transitions(plan)) == (1, [("", S.DRAFT)])
    # A finished job's page goes on to the plan, with the result as a message.
    finished = client.get(page(job), follow=True)
    assert finished.redirect_chain == [(f"/pensions/plans/{plan.pk}/", 302)]
    assert "已生成 2026-11 发放计划:2 笔。" in finished.content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("_calendar")
def test_a_drafting_job_that_finds_the_month_drafted_does_not_draft_it_again(county, enrol):
    enrol(name="赵一明")
    job = plan_draft_start(month=NOV, by=county.clerk)
    # Meanwhile the beat drafted the month (as the system).
    beat = plan_draft(month=NOV, by=None)
    enrol(name="钱二")

    done = plan_job_run(job_id=job.pk)

    assert (done.status, done.plan, done.result) == (
        Status.DONE,
        beat,
        {"line_count": 1, "already_drafted": True},
    )
    plan = PayoutPlan.objects.get()
    assert (plan.line_count, plan.created_by, plan.generated_at) == (1, None, beat.generated_at)
    assert transitions(plan) == [("", S.DRAFT)]
    html = signed_in(county.clerk).get(page(job), follow=True).content.decode()
    assert "2026-11 的发放计划已经生成过,未重复编制。" in html


@pytest.mark.django_db
def test_a_bank_file_job_for_a_plan_exported_meanwhile_writes_no_second_file(county, enrol, banks):
    enrol_month(county, enrol)
    set_profiles(banks)
    plan = approved_plan(county)
    fund_all(plan, banks, county.reviewer)
    job = bank_files_start(plan=plan, by=county.clerk)
    # Meanwhile the files were written another way (the API): the plan is exported.
    files = sorted(file.pk for file in bank_files_export(plan=plan, by=county.clerk))
    exported = list(
        PlanTransition.objects.filter(plan=plan, to_status=S.EXPORTED).values_list("pk", flat=True)
    )

    done = plan_job_run(job_id=job.pk)

    assert (done.status, done.result["file_count"]) == (Status.DONE, 3)
    assert sorted(BankFile.objects.values_list("pk", flat=True)) == files
    assert list(
        PlanTransition.objects.filter(plan=plan, to_status=S.EXPORTED).values_list("pk", flat=True)
    ) == (exported)
    # A new export of the exported plan is refused at once.
    with pytest.raises(PlanError, match="2026-11 的银行文件已经生成,不会再次生成;请在计划页面下载。"):
        bank_files_start(plan=plan, by=county.clerk)
    assert PlanJob.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_drafts_the_plan_the_clerk_asked_for(county, enrol, worker, settings):
    settings.PAYOUT_FIRST_MONTH = "2020-01"
    month = PensionMonth.of(timezone.localdate())
    enrol(name="赵一明", rates=((M(2018, 4), "2650.00"),))
    client = signed_in(county.clerk)

    response = client.post("/pensions/plans/", {"month": str(month)})

    job = PlanJob.objects.get()
    assert response["Location"] == page(job)
    deadline = time.monotonic() + 60
    while PlanJob.objects.get(pk=job.pk).status in (Status.QUEUED, Status.RUNNING):
        assert time.monotonic() < deadline, "draft still running"
        time.sleep(0.1)
    job.refresh_from_db()
    plan = PayoutPlan.objects.get()
    assert (job.status, job.plan, job.job_attempts, job.error) == (Status.DONE, plan, 1, "")
    assert (plan.month, plan.line_count, plan.net_total, plan.created_by) == (
        month,
        1,
        Decimal("2650.00"),
        county.clerk,
    )
    assert f"已生成 {month} 发放计划:1 笔。" in client.get(page(job), follow=True).content.decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("_calendar")
def test_a_long_plan_line_list_is_exported_by_the_worker(county, enrol, settings, tmp_path):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    settings.MEDIA_ROOT = tmp_path
    zhao = enrol(name="赵一明")
    qian = enrol(name="钱二")
    plan = plan_draft(month=NOV, by=county.clerk)
    client = signed_in(county.clerk)

    response = client.get(f"/pensions/plans/{plan.pk}/lines.xlsx", {"purpose": "audit"})

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/exports/?job={job.pk}")
    assert (job.kind, job.label, job.parameters["plan"]) == (
        "pensions.plan_lines",
        "2026-11 发放明细",
        plan.pk,
    )
    assert export_job_run(job_id=job.pk).row_count == 2
    download = client.get(f"/exports/{job.pk}/file/")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    ids = sorted(row[2] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert ids == sorted([zhao.id_number, qian.id_number])
    assert list(SensitiveExport.objects.values_list("export", "person_count")) == [
        ("pensions.plan_lines", 2),
        ("pensions.plan_lines", 2),
    ]
