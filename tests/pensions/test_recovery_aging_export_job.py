"""The recovery aging list over EXPORT_INLINE_MAX_ROWS is made by the worker (docs/exports.md): the same file
as the inline download, its full numbers recorded when made and at each download, the right checked again."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from pensions.export_kinds import RECOVERY_AGING
from registry.models import ExportJob, SensitiveExport, Staff
from registry.services.export_jobs import export_job_run
from tests.clients import signed_in

from .conftest import recovery

pytestmark = pytest.mark.django_db
Status = ExportJob.Status


@pytest.fixture(autouse=True)
def _two_is_long(settings, tmp_path):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def three_open(county):
    for retiree, amount in (
        (county.retiree_a1, "120.00"),
        (county.retiree_a2, "80.50"),
        (county.retiree_b1, "7.00"),
    ):
        recovery(retiree, amount, county.clerk)


def rows_of(content: bytes) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_a_long_aging_list_is_made_by_the_worker_as_the_inline_file(county, three_open, settings):
    clerk = signed_in(county.clerk)

    response = clerk.get(reverse("payout-recovery-aging-export"), {"purpose": "audit"})

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/exports/?job={job.pk}")
    assert (job.kind, job.status, job.full_numbers, job.purpose, job.parameters["reason"]) == (
        RECOVERY_AGING,
        Status.QUEUED,
        True,
        "audit",
        "",
    )
    assert not SensitiveExport.objects.exists()

    done = export_job_run(job_id=job.pk)

    assert (done.status, done.row_count, done.progress) == (Status.DONE, 3, 100)
    made = SensitiveExport.objects.get()
    assert (made.staff, made.export, made.person_count, made.purpose, made.detail["export_job"]) == (
        county.clerk,
        "pensions.recovery_aging",
        3,
        "audit",
        job.pk,
    )
    background = rows_of(b"".join(clerk.get(reverse("export-job-file", args=[job.pk])).streaming_content))
    assert SensitiveExport.objects.count() == 2  # the download is recorded too

    settings.EXPORT_INLINE_MAX_ROWS = 3
    inline = clerk.get(reverse("payout-recovery-aging-export"), {"purpose": "audit"})
    assert inline.status_code == 200 and ExportJob.objects.count() == 1
    assert background == rows_of(b"".join(inline.streaming_content))
    assert len(background) == 4
    assert county.retiree_a1.id_number in [row[2] for row in background]
    assert sorted(row[8] for row in background[1:]) == [7, 80.5, 120]


def test_masked_without_a_purpose_and_nothing_recorded(county, three_open):
    clerk = signed_in(county.clerk)
    clerk.get(reverse("payout-recovery-aging-export"))
    job = ExportJob.objects.get()
    assert job.full_numbers is False
    export_job_run(job_id=job.pk)
    rows = rows_of(b"".join(clerk.get(reverse("export-job-file", args=[job.pk])).streaming_content))
    assert county.retiree_a1.masked_id_number in [row[2] for row in rows]
    assert county.retiree_a1.id_number not in [row[2] for row in rows]
    assert not SensitiveExport.objects.exists()


def test_the_right_is_checked_in_the_worker_and_at_download(county, three_open):
    clerk = signed_in(county.clerk)
    clerk.get(reverse("payout-recovery-aging-export"), {"purpose": "audit"})
    first = ExportJob.objects.get()
    export_job_run(job_id=first.pk)
    clerk.get(reverse("payout-recovery-aging-export"), {"purpose": "audit"})
    second = ExportJob.objects.latest("id")
    assert SensitiveExport.objects.count() == 1

    # Someone else's export does not exist for them.
    assert signed_in(county.reviewer).get(reverse("export-job-file", args=[first.pk])).status_code == 404
    Staff.objects.filter(pk=county.clerk.pk).update(role="")

    assert signed_in(county.clerk).get(reverse("export-job-file", args=[first.pk])).status_code == 403
    failed = export_job_run(job_id=second.pk)
    assert (failed.status, failed.error, bool(failed.file)) == (
        Status.FAILED,
        "您的账号已无权生成这份导出。",
        False,
    )
    assert SensitiveExport.objects.count() == 1
