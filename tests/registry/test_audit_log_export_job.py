"""The audit log's xlsx over EXPORT_INLINE_MAX_ROWS is made by the worker (docs/exports.md): the same rows as
the inline file, masked, nothing recorded; only an auditor (or the admin) makes and downloads it."""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.urls import reverse

from registry.export_kinds import AUDIT_LOG, audit_log_filters, audit_log_parameters
from registry.models import ExportJob, SensitiveExport, Staff
from registry.selectors.audit_log import AuditLogFilters
from registry.services.export_jobs import export_job_run
from tests.clients import signed_in

from .test_audit_log import trail  # noqa: F401 - the fixture: one event of every kind

pytestmark = pytest.mark.django_db
Status = ExportJob.Status


@pytest.fixture(autouse=True)
def _two_is_long(settings, tmp_path):
    settings.EXPORT_INLINE_MAX_ROWS = 2
    settings.MEDIA_ROOT = tmp_path


def rows_of(content: bytes) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_a_long_log_is_made_by_the_worker_as_the_inline_file(county, trail, settings):  # noqa: F811
    auditor = signed_in(county.auditor)
    recorded = SensitiveExport.objects.count()

    response = auditor.get(reverse("audit-log-export"), {"retiree": "张建国"})

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/exports/?job={job.pk}")
    assert (job.kind, job.requested_by, job.full_numbers, job.parameters) == (
        AUDIT_LOG,
        county.auditor,
        False,
        {"kind": "", "staff_id": None, "date_from": None, "date_to": None, "retiree": "张建国"},
    )
    done = export_job_run(job_id=job.pk)
    assert (done.status, done.row_count, done.progress, done.error) == (Status.DONE, 3, 100, "")
    background = rows_of(b"".join(auditor.get(reverse("export-job-file", args=[job.pk])).streaming_content))

    settings.EXPORT_INLINE_MAX_ROWS = 3
    inline = auditor.get(reverse("audit-log-export"), {"retiree": "张建国"})
    assert inline.status_code == 200 and ExportJob.objects.count() == 1
    assert background == rows_of(b"".join(inline.streaming_content))
    assert [(row[0], row[1], row[2]) for row in background[1:]] == [
        ("2026-05-06 09:00:00", "追回核销", "r"),
        ("2026-05-03 09:00:00", "信息变更审批", "r"),
        ("2026-05-01 09:00:00", "查看完整号码", "c"),
    ]
    assert {row[5] for row in background[1:]} == {f"张建国 {county.retiree_a1.masked_id_number}"}
    # The log holds no full number: neither the file nor its download is recorded.
    assert SensitiveExport.objects.count() == recorded


def test_only_an_auditor_downloads_and_the_right_is_checked_in_the_worker(county, trail):  # noqa: F811
    auditor = signed_in(county.auditor)
    auditor.get(reverse("audit-log-export"))
    first = ExportJob.objects.get()
    export_job_run(job_id=first.pk)
    auditor.get(reverse("audit-log-export"))
    second = ExportJob.objects.latest("id")

    assert signed_in(county.admin).get(reverse("export-job-file", args=[first.pk])).status_code == 404
    Staff.objects.filter(pk=county.auditor.pk).update(role=Staff.Role.BUREAU_CLERK)

    assert signed_in(county.auditor).get(reverse("export-job-file", args=[first.pk])).status_code == 403
    failed = export_job_run(job_id=second.pk)
    assert (failed.status, failed.error, bool(failed.file)) == (
        Status.FAILED,
        "您的账号已无权生成这份导出。",
        False,
    )


def test_the_filters_go_through_the_job_unchanged():
    filters = AuditLogFilters(
        kind="plan_transition",
        staff_id=7,
        date_from=datetime.date(2026, 5, 1),
        date_to=datetime.date(2026, 5, 31),
        retiree="3607",
    )
    parameters = audit_log_parameters(filters)
    assert parameters["date_from"] == "2026-05-01"
    assert audit_log_filters(parameters) == filters
    assert audit_log_filters(audit_log_parameters(AuditLogFilters())) == AuditLogFilters()
