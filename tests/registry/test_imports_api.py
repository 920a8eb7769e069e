"""The bulk import API: the same services, scope and messages as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from registry.imports.columns import HEADERS
from registry.models import ImportBatch
from registry.services import import_batch_check
from tests.factories import StaffFactory
from tests.registry.import_files import banks_fixture, csv_text, good_row, upload  # noqa: F401

Status = ImportBatch.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def api_as(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_upload_check_and_confirm_through_the_api(county, banks, django_capture_on_commit_callbacks):
    client = api_as(county.clerk)
    rows = [good_row(), good_row(月养老金="2650.999")]

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("api-import-upload"),
            {"file": upload("a.csv", csv_text(rows).encode("gbk"))},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["total_rows"], len(queued)) == ("uploaded", 2, 1)
    batch_id = response.json()["id"]

    import_batch_check(batch_id=batch_id)
    detail = client.get(reverse("api-import-detail", args=[batch_id])).json()
    assert (detail["status"], detail["progress"], detail["good_rows"], detail["bad_rows"]) == (
        "checked",
        100,
        1,
        1,
    )
    assert detail["problems"][0]["row"] == 3
    assert detail["problems"][0]["reasons"] == ["月养老金“2650.999”超过两位小数"]
    assert detail["rejected_file_url"] == reverse("import-rejected", args=[batch_id])

    confirmed = client.post(reverse("api-import-confirm", args=[batch_id]))
    assert (confirmed.status_code, confirmed.json()["status"]) == (202, "importing")
    again = client.post(reverse("api-import-confirm", args=[batch_id]))
    assert (again.status_code, again.json()) == (400, {"status": ["该批次已确认导入,不能重复确认。"]})


def test_a_wrong_header_is_a_field_error(county, banks):
    response = api_as(county.clerk).post(
        reverse("api-import-upload"),
        {"file": upload("a.csv", csv_text([good_row()], HEADERS[:5]).encode())},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "表头缺少必需的列:退休时间、月养老金、起始月份、发放银行、银行账号。请使用导入模板,表头在第一行。"
        ]
    }
    assert not ImportBatch.objects.exists()


def test_township_staff_are_refused_and_other_units_batches_are_not_found(county, banks):
    batch = ImportBatch.objects.create(original_name="a.csv", uploaded_by=county.clerk, file="imports/a.csv")
    officer = api_as(county.officer_a)
    assert officer.post(reverse("api-import-upload"), {}, format="multipart").status_code == 403
    assert officer.get(reverse("api-import-detail", args=[batch.pk])).status_code == 403

    clerk_b = StaffFactory.create(username="clerk_b", role="bureau_clerk", org_unit=county.township_b)
    assert api_as(clerk_b).get(reverse("api-import-detail", args=[batch.pk])).status_code == 404
    assert api_as(clerk_b).post(reverse("api-import-confirm", args=[batch.pk])).status_code == 404
