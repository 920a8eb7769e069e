"""Combined suspension notices (暂停发放基本养老金告知书): one PDF per township with one page per person
the run suspended, made once; queued when a run that suspended someone commits; downloads scoped to the
township."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from certification.errors import CertificationError
from certification.models import Certification, SuspensionNotice, SuspensionRun
from certification.services import (
    certify,
    suspended_from_month,
    suspension_notices_make,
    suspension_notices_restart,
    suspension_run,
)
from certification.tasks import render_suspension_notices
from pensions.models import PayoutPlan
from registry.jobs import job_sweep
from registry.models import Retiree
from registry.months import PensionMonth
from tests.certification.campaigns import campaign_of
from tests.factories import RetireeFactory
from tests.pdfs import pdf_info, pdf_text

AUG_1 = datetime.date(2026, 8, 1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.BUREAU_PHONE = "0797-6321234"


def web(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def run(county) -> SuspensionRun:
    """Township A: 张建国, 李秀兰 and 欧阳䶮 (a remote resident) suspended; township B: 王德胜 suspended; one
    certified retiree of township A is not."""
    RetireeFactory.create(
        name="欧阳䶮",
        community=county.community_a2,
        residence=Retiree.Residence.REMOTE,
        remote_province="广东省",
        remote_city="深圳市",
        remote_address="南山区科技园路8号",
    )
    campaign_of(2026, window_end=datetime.date(2026, 6, 15))
    certified = RetireeFactory.create(name="赵认证", community=county.community_a1)
    certify(
        retiree=certified, channel=Certification.Channel.IN_PERSON, certified_on=AUG_1, by=county.officer_a
    )
    return suspension_run(year=2026, today=AUG_1)


def pdf_path(notice: SuspensionNotice) -> Path:
    return Path(notice.pdf.path)


def test_one_file_per_township_with_one_page_per_suspended_person(run, county):
    made = suspension_notices_make(run=run)

    assert sorted((n.township.name, n.notice_count) for n in made) == [("城关镇", 3), ("梅林镇", 1)]
    a = SuspensionNotice.objects.get(township=county.township_a)
    b = SuspensionNotice.objects.get(township=county.township_b)
    assert (pdf_info(pdf_path(a))["Pages"], pdf_info(pdf_path(b))["Pages"]) == ("3", "1")
    # Sentences wrap at the line end: read the text without the line breaks
    text_a = pdf_text(pdf_path(a)).replace("\n", "")
    for name in ("张建国", "李秀兰", "欧阳䶮"):
        assert f"{name} 同志:" in text_a
    assert "王德胜" not in text_a and "赵认证" not in text_a
    assert text_a.count("暂停发放基本养老金告知书") == 3
    assert "2026 年度资格认证时间为 2026年4月1日 至 2026年6月15日" in text_a
    assert "自 2026 年 8 月起暂停发放您的基本养老金" in text_a
    assert "请您本人携带居民身份证和养老金待遇证,到城关镇社保经办窗口办理领取资格认证" in text_a
    assert "暂停期间应发的养老金将在恢复后的发放中一次补发" in text_a
    assert "广东省深圳市南山区科技园路8号" in text_a  # a remote resident's notice goes where they live
    assert "示范县社保局" in text_a and "2026年8月1日" in text_a and "0797-6321234" in text_a
    assert county.retiree_a1.id_number not in text_a  # masked: township staff download it
    assert "王德胜 同志:" in pdf_text(pdf_path(b))


def test_a_second_task_run_adds_nothing(run, county):
    suspension_notices_make(run=run)
    before = list(SuspensionNotice.objects.order_by("pk").values_list("pk", "pdf", "notice_count"))
    files = sorted(p.name for p in Path(SuspensionNotice.objects.first().pdf.path).parent.iterdir())

    assert suspension_notices_make(run=run) == []

    assert list(SuspensionNotice.objects.order_by("pk").values_list("pk", "pdf", "notice_count")) == before
    assert sorted(p.name for p in Path(SuspensionNotice.objects.first().pdf.path).parent.iterdir()) == files


def test_the_month_suspended_from_is_the_first_not_yet_planned(run, county):
    now = timezone.now()
    PayoutPlan.objects.create(month=PensionMonth(2026, 9), generated_at=now)  # a draft is made again
    assert suspended_from_month(run=run) == PensionMonth(2026, 8)

    PayoutPlan.objects.create(
        month=PensionMonth(2026, 8),
        generated_at=now,
        status=PayoutPlan.Status.SUBMITTED,
        submitted_by=county.clerk,
        submitted_at=now,
    )
    assert suspended_from_month(run=run) == PensionMonth(2026, 9)
    suspension_notices_make(run=run)
    notice = SuspensionNotice.objects.get(township=county.township_b)
    assert "自 2026 年 9 月起暂停发放您的基本养老金" in pdf_text(pdf_path(notice)).replace("\n", "")


def test_a_run_that_suspended_someone_queues_the_notices_on_commit(
    county, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        suspension_run(year=2026, today=AUG_1)
    # The notices, and the draft plans made again (tests/certification/test_services.py)
    assert len(queued) == 2


def test_a_run_that_suspended_nobody_queues_nothing(county, django_capture_on_commit_callbacks):
    for retiree in (county.retiree_a1, county.retiree_a2):
        certify(
            retiree=retiree, channel=Certification.Channel.IN_PERSON, certified_on=AUG_1, by=county.officer_a
        )
    certify(
        retiree=county.retiree_b1,
        channel=Certification.Channel.IN_PERSON,
        certified_on=AUG_1,
        by=county.officer_b,
    )
    with django_capture_on_commit_callbacks() as queued:
        run = suspension_run(year=2026, today=AUG_1)
    assert (run.suspended_count, queued) == (0, [])
    assert suspension_notices_make(run=run) == []


def test_downloads_are_scoped_to_the_township(run, county):
    suspension_notices_make(run=run)
    a = SuspensionNotice.objects.get(township=county.township_a)
    b = SuspensionNotice.objects.get(township=county.township_b)
    url_a = reverse("certification-suspension-notice-pdf", args=[a.pk])

    own = web(county.officer_a).get(url_a)
    assert own.status_code == 200 and own["Content-Type"] == "application/pdf"
    assert b"".join(own.streaming_content) == pdf_path(a).read_bytes()

    other = web(county.officer_a).get(reverse("certification-suspension-notice-pdf", args=[b.pk]))
    assert other.status_code == 404
    assert "梅林镇" not in other.content.decode() and "王德胜" not in other.content.decode()
    assert (
        web(county.clerk).get(reverse("certification-suspension-notice-pdf", args=[b.pk])).status_code == 200
    )


def test_the_page_polls_while_notices_are_being_made_and_stops_when_done(run, county):
    url = reverse("certification-suspension", args=[2026])
    page = web(county.officer_a).get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert "正在生成告知书,还有 1 个乡镇" in page  # their own
    assert "正在生成告知书,还有 2 个乡镇" in web(county.clerk).get(url).content.decode()

    suspension_notices_make(run=run)

    partial = web(county.officer_a).get(reverse("certification-suspension-notices", args=[2026]))
    html = partial.content.decode()
    assert "<html" not in html and 'hx-trigger="every 2s"' not in html
    assert "告知书已生成" in html and "下载(3 份)" in html
    assert "梅林镇" not in html


def test_only_the_admin_may_queue_the_missing_notices_again(run, county, django_capture_on_commit_callbacks):
    # Only a stopped job may be started again (tests below): this one's worker died.
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status="interrupted")
    url = reverse("certification-suspension-notices-render", args=[2026])
    assert web(county.clerk).post(url).status_code == 403
    assert SuspensionRun.objects.get(pk=run.pk).notices_status == "interrupted"
    with django_capture_on_commit_callbacks() as queued:
        response = web(county.admin).post(url)
    assert response.status_code == 302 and len(queued) == 1
    assert SuspensionRun.objects.get(pk=run.pk).notices_status == "rendering"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_makes_the_notices_after_the_run_commits(county, worker, settings, tmp_path):
    run = suspension_run(year=2026, today=AUG_1)

    deadline = time.monotonic() + 60
    while SuspensionNotice.objects.filter(run=run).count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)

    assert sorted(SuspensionNotice.objects.values_list("township__name", "notice_count")) == [
        ("城关镇", 2),
        ("梅林镇", 1),
    ]
    wait_for_notices(run, "ready")

    # The worker died after township A's file (as if); the admin's restart makes township B's on the worker
    SuspensionNotice.objects.filter(township=county.township_b).delete()
    kept = SuspensionNotice.objects.get(township=county.township_a)
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status="interrupted")
    suspension_notices_restart(run=run, by=county.admin)
    wait_for_notices(run, "ready")

    assert notices_state(run) == ("ready", "", 2)
    assert sorted(SuspensionNotice.objects.values_list("township__name", "notice_count")) == [
        ("城关镇", 2),
        ("梅林镇", 1),
    ]
    assert SuspensionNotice.objects.get(township=county.township_a).pk == kept.pk


def wait_for_notices(run: SuspensionRun, status: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while SuspensionRun.objects.get(pk=run.pk).notices_status != status and time.monotonic() < deadline:
        time.sleep(0.1)


# The notices job: its state, the sweeper and the restart (docs/jobs.md) ------------------------------------


def notices_state(run: SuspensionRun) -> tuple[str, str, int]:
    fresh = SuspensionRun.objects.get(pk=run.pk)
    return fresh.notices_status, fresh.notices_error, fresh.job_attempts


def test_a_run_starts_its_notices_job_and_the_task_marks_it_ready(run, county):
    assert notices_state(run) == ("rendering", "", 1)
    assert run.job_started_at == run.job_heartbeat_at == run.finished_at

    assert render_suspension_notices(run.pk) == "ready"

    assert notices_state(run) == ("ready", "", 1)
    assert sorted(SuspensionNotice.objects.values_list("township__name", "notice_count")) == [
        ("城关镇", 3),
        ("梅林镇", 1),
    ]
    # A redelivered message finds the job done and makes nothing
    assert render_suspension_notices(run.pk) == "ready"
    assert SuspensionNotice.objects.count() == 2


def test_a_run_that_suspended_nobody_has_its_notices_done(county):
    for retiree in (county.retiree_a1, county.retiree_a2, county.retiree_b1):
        certify(retiree=retiree, channel=Certification.Channel.IN_PERSON, certified_on=AUG_1, by=county.clerk)
    run = suspension_run(year=2026, today=AUG_1)
    assert notices_state(run) == ("ready", "", 0)
    assert job_sweep(now=timezone.now() + datetime.timedelta(hours=1))["certification.SuspensionRun"] == 0


def test_the_sweeper_marks_a_dead_render_interrupted_and_only_that(run, county):
    now = timezone.now()
    SuspensionRun.objects.filter(pk=run.pk).update(job_heartbeat_at=now - datetime.timedelta(minutes=9))
    assert job_sweep(now=now)["certification.SuspensionRun"] == 0
    assert notices_state(run) == ("rendering", "", 1)

    SuspensionRun.objects.filter(pk=run.pk).update(job_heartbeat_at=now - datetime.timedelta(minutes=11))
    assert job_sweep(now=now)["certification.SuspensionRun"] == 1
    # The townships already made are kept: no error text that would say otherwise
    assert notices_state(run) == ("interrupted", "", 1)

    # A finished job is never marked, however old its heartbeat
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status="ready")
    assert job_sweep(now=now + datetime.timedelta(days=1))["certification.SuspensionRun"] == 0
    assert notices_state(run) == ("ready", "", 1)


def test_a_zombie_worker_stops_once_its_job_is_marked_interrupted(run, county):
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status="interrupted")
    assert suspension_notices_make(run=run) == []
    assert render_suspension_notices(run.pk) == "interrupted"
    assert not SuspensionNotice.objects.exists()


def test_the_restart_makes_only_the_missing_township_and_finishes(
    run, county, django_capture_on_commit_callbacks
):
    # The worker made township A's file, then died; the sweeper marked the job
    suspension_notices_make(run=run)
    SuspensionNotice.objects.filter(township=county.township_b).delete()
    kept = SuspensionNotice.objects.get(township=county.township_a)
    SuspensionRun.objects.filter(pk=run.pk).update(
        job_heartbeat_at=timezone.now() - datetime.timedelta(minutes=30)
    )
    job_sweep()
    assert notices_state(run) == ("interrupted", "", 1)

    with django_capture_on_commit_callbacks() as queued:
        restarted = suspension_notices_restart(run=run, by=county.admin)
    assert (restarted.notices_status, restarted.job_attempts, len(queued)) == ("rendering", 2, 1)

    # The queued task, run here as the worker would
    assert render_suspension_notices(run.pk) == "ready"

    assert notices_state(run) == ("ready", "", 2)
    assert sorted(SuspensionNotice.objects.values_list("township__name", "notice_count")) == [
        ("城关镇", 3),
        ("梅林镇", 1),
    ]
    again = SuspensionNotice.objects.get(township=county.township_a)
    assert (again.pk, again.pdf.name, again.made_at) == (kept.pk, kept.pdf.name, kept.made_at)


def test_a_render_that_stalled_before_the_sweeper_came_may_be_restarted(
    run, county, django_capture_on_commit_callbacks
):
    SuspensionRun.objects.filter(pk=run.pk).update(
        job_heartbeat_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    with django_capture_on_commit_callbacks() as queued:
        suspension_notices_restart(run=run, by=county.admin)
    assert notices_state(run) == ("rendering", "", 2) and len(queued) == 1


@pytest.mark.parametrize(
    ("status", "label"), [("ready", "已生成"), ("rendering", "正在生成")], ids=["ready", "live"]
)
def test_the_restart_is_refused_for_a_finished_or_live_render(
    run, county, status, label, django_capture_on_commit_callbacks
):
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status=status)
    before = SuspensionRun.objects.filter(pk=run.pk).values().get()

    with django_capture_on_commit_callbacks() as queued, pytest.raises(CertificationError) as refused:
        suspension_notices_restart(run=run, by=county.admin)

    assert refused.value.message == (
        f"告知书当前为“{label}”,只有生成失败、任务中断或长时间没有进展的告知书可以重新生成。"
    )
    assert SuspensionRun.objects.filter(pk=run.pk).values().get() == before
    assert queued == []

    # The page's button says the same and changes nothing
    response = web(county.admin).post(
        reverse("certification-suspension-notices-render", args=[2026]), follow=True
    )
    assert "只有生成失败、任务中断或长时间没有进展的告知书可以重新生成。" in response.content.decode()
    assert SuspensionRun.objects.filter(pk=run.pk).values().get() == before


def test_the_restart_needs_the_admin(run, county):
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status="interrupted")
    with pytest.raises(PermissionDenied):
        suspension_notices_restart(run=run, by=county.clerk)
    assert notices_state(run) == ("interrupted", "", 1)


def test_a_failed_render_keeps_its_error_and_may_be_restarted(run, county, monkeypatch):
    def broken(batch):
        raise OSError("磁盘已满")

    monkeypatch.setattr("certification.services.notices.suspension_notices_pdf", broken)
    assert render_suspension_notices(run.pk) == "failed"
    assert notices_state(run) == ("failed", "告知书生成失败:磁盘已满", 1)
    assert not SuspensionNotice.objects.exists()

    html = web(county.admin).get(reverse("certification-suspension", args=[2026])).content.decode()
    assert "告知书生成失败:磁盘已满" in html and 'id="notices-restart"' in html


def test_the_page_shows_an_interrupted_job_and_the_button_to_the_admin_only(run, county):
    suspension_notices_make(run=run)
    SuspensionNotice.objects.filter(township=county.township_b).delete()
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status="interrupted")
    url = reverse("certification-suspension", args=[2026])

    admin = web(county.admin).get(url).content.decode()
    assert '<span class="badge text-bg-danger" id="notices-status">任务中断</span>' in admin
    assert "后台任务中断(处理进程意外停止),已生成的告知书都已保存,可以重新生成缺少的告知书。" in admin
    assert "还有 1 个乡镇的告知书未生成,已生成的不会重复生成。" in admin
    assert 'id="notices-restart"' in admin and "重新生成告知书" in admin
    assert 'action="/certification/campaigns/2026/suspension/notices/render/"' in admin
    # A dead job is not polled: nothing would change
    assert 'hx-trigger="every 2s"' not in admin

    clerk = web(county.clerk).get(url).content.decode()
    assert "任务中断" in clerk and 'id="notices-restart"' not in clerk
    api = web(county.clerk).get("/api/certification/campaigns/2026/suspension/").json()
    assert (api["notices_status"], api["notices_pending"]) == ("interrupted", 1)
    # The officer of township A, whose file exists, still sees the job stopped (the county's job)
    officer = web(county.officer_a).get(url).content.decode()
    assert "任务中断" in officer and 'id="notices-restart"' not in officer
