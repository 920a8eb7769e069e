"""Background exports (docs/exports.md): a long list goes to the worker, “我的导出” shows it busy and then
offers the file to the person who asked; full numbers are recorded when the file is made and when it is
downloaded; a job whose worker died says so and is made again exactly once; old files are removed."""

from __future__ import annotations

import datetime
import io
import time

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry.exports import export_kind
from registry.jobs import job_sweep
from registry.models import ExportJob, SensitiveExport, Staff
from registry.services.export_jobs import _claim, _finish, export_job_run, export_jobs_expire
from tests.clients import signed_in

Status = ExportJob.Status
INTERRUPTED_TEXT = "后台任务中断(处理进程意外停止),未写入任何数据,可以重新运行。"
MY_EXPORTS = "/exports/"


@pytest.fixture(autouse=True)
def _small_lists(settings, tmp_path):
    # The county fixture has three retirees: two rows is "a long list".
    settings.EXPORT_INLINE_MAX_ROWS = 2
    settings.MEDIA_ROOT = tmp_path


def rows_of(content: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def ask_full_list(client: Client) -> ExportJob:
    response = client.get(reverse("retiree-export"), {"purpose": "audit"})
    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"{MY_EXPORTS}?job={job.pk}")
    return job


@pytest.mark.django_db
def test_a_long_list_is_made_by_the_worker_and_offered_to_its_requester(county):
    client = signed_in(county.clerk)

    job = ask_full_list(client)

    assert (job.kind, job.status, job.requested_by, job.full_numbers, job.purpose) == (
        "registry.retiree_list",
        Status.QUEUED,
        county.clerk,
        True,
        "audit",
    )
    # Nothing is made or recorded in the request.
    assert SensitiveExport.objects.count() == 0 and not job.file
    busy = client.get(MY_EXPORTS).content.decode()
    assert "正在生成…" in busy and 'hx-trigger="every 2s"' in busy and "export-download" not in busy

    done = export_job_run(job_id=job.pk)

    assert (done.status, done.row_count, done.progress) == (Status.DONE, 3, 100)
    # The full-number file is recorded when it is made, with the people in it.
    made = SensitiveExport.objects.get()
    assert (made.staff, made.export, made.person_count, made.purpose) == (
        county.clerk,
        "registry.retiree_list",
        3,
        "audit",
    )
    assert made.detail["export_job"] == job.pk
    page = client.get(MY_EXPORTS).content.decode()
    assert "every 2s" not in page and reverse("export-job-file", args=[job.pk]) in page

    response = client.get(reverse("export-job-file", args=[job.pk]))

    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = rows_of(b"".join(response.streaming_content))
    assert sorted(row[0] for row in rows[1:]) == sorted(
        [county.retiree_a1.name, county.retiree_a2.name, county.retiree_b1.name]
    )
    assert county.retiree_a1.id_number in [row[1] for row in rows]
    # The download of a full-number file is recorded too.
    assert SensitiveExport.objects.count() == 2
    downloaded = SensitiveExport.objects.latest("id")
    assert (downloaded.staff, downloaded.person_count, downloaded.detail["download"]) == (
        county.clerk,
        3,
        True,
    )


@pytest.mark.django_db
def test_a_short_list_is_still_written_in_the_request(county, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 3
    response = signed_in(county.clerk).get(reverse("retiree-export"))
    assert response.status_code == 200
    assert len(rows_of(b"".join(response.streaming_content))) == 4
    assert ExportJob.objects.count() == 0


@pytest.mark.django_db
def test_only_the_requester_downloads_and_only_while_their_role_may(county):
    job = ask_full_list(signed_in(county.clerk))
    export_job_run(job_id=job.pk)
    assert SensitiveExport.objects.count() == 1

    # Someone else's export does not exist for them, in the list or at the link.
    other = signed_in(county.reviewer)
    assert other.get(reverse("export-job-file", args=[job.pk])).status_code == 404
    assert f"export-job-{job.pk}" not in other.get(MY_EXPORTS).content.decode()
    assert other.post(reverse("export-job-restart", args=[job.pk])).status_code == 404

    # The requester whose role was taken away may no longer take the file.
    Staff.objects.filter(pk=county.clerk.pk).update(role="")
    assert signed_in(county.clerk).get(reverse("export-job-file", args=[job.pk])).status_code == 403
    assert SensitiveExport.objects.count() == 1


@pytest.mark.django_db
def test_an_export_whose_worker_died_says_so_and_is_made_again_exactly_once(
    county, django_capture_on_commit_callbacks
):
    client = signed_in(county.clerk)
    job = ask_full_list(client)
    # The worker took it, then died: no heartbeat since.
    assert _claim(job.pk) is not None
    ExportJob.objects.filter(pk=job.pk).update(
        job_heartbeat_at=timezone.now() - datetime.timedelta(minutes=11)
    )

    assert job_sweep()["registry.ExportJob"] == 1

    page = client.get(MY_EXPORTS).content.decode()
    assert "任务中断" in page and INTERRUPTED_TEXT in page
    assert "export-restart" in page and "重新生成" in page
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(reverse("export-job-restart", args=[job.pk]))
    assert response.status_code == 302 and len(queued) == 1
    job.refresh_from_db()
    assert (job.status, job.job_attempts, job.error) == (Status.QUEUED, 2, "")

    # The zombie of the first attempt finishing late writes nothing; the new attempt writes once.
    kind = export_kind(job.kind)
    _finish(job.pk, 1, kind, io.BytesIO(b"late"), 3, "late.xlsx", "application/octet-stream")
    job.refresh_from_db()
    assert (job.status, bool(job.file)) == (Status.QUEUED, False)
    done = export_job_run(job_id=job.pk)
    assert (done.status, done.row_count, done.filename.endswith(".xlsx")) == (Status.DONE, 3, True)
    assert SensitiveExport.objects.count() == 1
    # A redelivered message finds it done and does nothing.
    assert export_job_run(job_id=job.pk) is None
    assert SensitiveExport.objects.count() == 1

    again = client.post(reverse("export-job-restart", args=[job.pk]))
    assert again.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.job_attempts) == (Status.DONE, 2)


@pytest.mark.django_db
def test_files_are_removed_after_the_retention_time(county, settings):
    settings.EXPORT_RETENTION_HOURS = 72
    job = ask_full_list(signed_in(county.clerk))
    done = export_job_run(job_id=job.pk)
    name = done.file.name
    assert default_storage.exists(name)

    assert export_jobs_expire(now=timezone.now() + datetime.timedelta(hours=71)) == 0
    assert export_jobs_expire(now=timezone.now() + datetime.timedelta(hours=73)) == 1

    done.refresh_from_db()
    assert (done.status, done.file.name) == (Status.EXPIRED, "")
    response = signed_in(county.clerk).get(reverse("export-job-file", args=[job.pk]))
    assert response.status_code == 302
    assert SensitiveExport.objects.count() == 1


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_makes_the_export_and_the_page_offers_it(county, worker):
    client = signed_in(county.clerk)
    response = client.get(reverse("retiree-export"))
    job = ExportJob.objects.get()
    assert response.status_code == 302

    deadline = time.monotonic() + 60
    while ExportJob.objects.get(pk=job.pk).status in (Status.QUEUED, Status.RUNNING):
        assert time.monotonic() < deadline, "export still running"
        time.sleep(0.1)

    job.refresh_from_db()
    assert (job.status, job.row_count, job.job_attempts, job.full_numbers) == (Status.DONE, 3, 1, False)
    download = client.get(reverse("export-job-file", args=[job.pk]))
    rows = rows_of(b"".join(download.streaming_content))
    assert len(rows) == 4
    # Masked: no full-number record at make or download time.
    assert county.retiree_a1.id_number not in [row[1] for row in rows]
    assert SensitiveExport.objects.count() == 0


@pytest.mark.django_db
def test_the_api_follows_downloads_and_restarts_only_ones_own_exports(county):
    job = ask_full_list(signed_in(county.clerk))
    api = APIClient()
    api.force_authenticate(county.clerk)

    queued = api.get(reverse("api-export-job-detail", args=[job.pk])).json()
    assert (queued["status"], queued["progress"], queued["file_url"], queued["full_numbers"]) == (
        "queued",
        0,
        None,
        True,
    )
    export_job_run(job_id=job.pk)
    listed = api.get(reverse("api-export-job-list")).json()
    assert [(row["id"], row["name"], row["status"], row["row_count"]) for row in listed] == [
        (job.pk, "退休人员名单", "done", 3)
    ]
    assert listed[0]["file_url"] == reverse("api-export-job-file", args=[job.pk])
    download = api.get(listed[0]["file_url"])
    assert download.status_code == 200
    assert len(rows_of(b"".join(download.streaming_content))) == 4
    assert SensitiveExport.objects.count() == 2
    refused = api.post(reverse("api-export-job-restart", args=[job.pk]))
    assert refused.status_code == 400
    assert refused.json() == {"status": ["该导出当前为“已完成”,只有任务中断或失败的导出可以重新生成。"]}

    other = APIClient()
    other.force_authenticate(county.auditor)
    assert other.get(reverse("api-export-job-list")).json() == []
    assert other.get(reverse("api-export-job-file", args=[job.pk])).status_code == 404
    assert SensitiveExport.objects.count() == 2
