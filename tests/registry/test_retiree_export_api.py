"""POST /api/retirees/export/: the retiree list as a background export for scripts (docs/exports.md): the
job at once (202), the same scope and numbers rule as the page, the file from /api/exports/<id>/file/."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from registry.models import ExportJob, SensitiveExport, Staff
from registry.services.export_jobs import export_job_run

pytestmark = pytest.mark.django_db
URL = "/api/retirees/export/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def client_for(staff: Staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def rows_of(content: bytes) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_a_script_gets_the_job_then_the_file(county):
    api = client_for(county.clerk)

    response = api.post(URL, {"township": county.township_a.pk, "purpose": "audit"}, format="json")

    assert response.status_code == 202
    job = ExportJob.objects.get()
    body = response.json()
    assert (body["id"], body["kind"], body["status"], body["full_numbers"], body["file_url"]) == (
        job.pk,
        "registry.retiree_list",
        "queued",
        True,
        None,
    )
    assert response["Location"] == reverse("api-export-job-detail", args=[job.pk])
    assert job.parameters["township_id"] == county.township_a.pk and job.purpose == "audit"
    assert not SensitiveExport.objects.exists()

    export_job_run(job_id=job.pk)
    done = api.get(response["Location"]).json()
    assert (done["status"], done["row_count"]) == ("done", 2)
    rows = rows_of(b"".join(api.get(done["file_url"]).streaming_content))
    assert sorted(row[0] for row in rows[1:]) == sorted([county.retiree_a1.name, county.retiree_a2.name])
    assert county.retiree_a1.id_number in [row[1] for row in rows]
    assert SensitiveExport.objects.filter(export="registry.retiree_list").count() == 2  # made, downloaded


def test_masked_without_a_purpose_and_scoped_to_the_officer(county):
    api = client_for(county.officer_a)
    response = api.post(URL, {}, format="json")
    assert response.status_code == 202
    export_job_run(job_id=response.json()["id"])
    file_url = api.get(response["Location"]).json()["file_url"]
    rows = rows_of(b"".join(api.get(file_url).streaming_content))
    assert sorted(row[0] for row in rows[1:]) == sorted([county.retiree_a1.name, county.retiree_a2.name])
    assert county.retiree_a1.id_number not in [row[1] for row in rows]
    assert not SensitiveExport.objects.exists()


def test_refusals_queue_nothing(county):
    # A purpose from a role that may not see full numbers is 403, never a quietly masked file.
    assert client_for(county.officer_a).post(URL, {"purpose": "audit"}, format="json").status_code == 403
    other = client_for(county.clerk).post(URL, {"purpose": "other"}, format="json")
    assert other.status_code == 400 and "purpose_note" in other.json()
    assert client_for(county.clerk).post(URL, {"status": "retired"}, format="json").status_code == 400
    assert APIClient().post(URL, {}, format="json").status_code in (401, 403)
    assert not ExportJob.objects.exists()
