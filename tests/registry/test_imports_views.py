"""The bulk import pages: upload errors, the progress partial, preview, confirm, downloads, access."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from registry.imports.columns import HEADERS
from registry.models import ImportBatch, Retiree
from registry.services import import_batch_check, import_batch_index_names, import_batch_run
from tests.registry.import_files import banks_fixture, csv_text, good_row, upload, xlsx_bytes  # noqa: F401

Status = ImportBatch.Status


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk_client(client, county):
    client.force_login(county.clerk)
    return client


def post_file(client, name, data):
    return client.post(reverse("import-list"), {"file": upload(name, data)})


@pytest.mark.parametrize("who", ["officer_a", "station_a1", "reviewer", "auditor"])
def test_only_roles_that_edit_the_registry_reach_the_import_pages(client, county, banks, who):
    batch = ImportBatch.objects.create(original_name="a.csv", uploaded_by=county.clerk, file="imports/a.csv")
    client.force_login(getattr(county, who))

    for url in (
        reverse("import-list"),
        reverse("import-template"),
        reverse("import-detail", args=[batch.pk]),
        reverse("import-rejected", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("import-confirm", args=[batch.pk])).status_code == 403
    assert "批量导入" not in client.get(reverse("home")).content.decode()


def test_the_clerk_sees_the_nav_link_and_the_upload_page(clerk_client):
    assert reverse("import-list") in clerk_client.get(reverse("home")).content.decode()

    response = clerk_client.get(reverse("import-list"))

    assert response.status_code == 200
    assert "上传并校验" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.csv", csv_text([good_row()], HEADERS[2:]).encode(), "表头缺少必需的列:姓名、身份证号码。"),
        ("a.xlsx", b"\x00\x01 not a workbook", "无法读取该Excel文件"),
        ("a.csv", b"\r\n", "文件是空的"),
        ("a.pdf", b"%PDF", "只能导入 .xlsx 或 .csv 文件。"),
    ],
)
def test_a_bad_file_is_refused_on_the_upload_page_with_a_clear_message(
    clerk_client, banks, name, data, message
):
    response = post_file(clerk_client, name, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_then_progress_partial_preview_confirm(
    clerk_client, county, banks, django_capture_on_commit_callbacks
):
    rows = [good_row(), good_row(姓名="钱秀英", 月养老金="abc")]
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = post_file(clerk_client, "旧系统.xlsx", xlsx_bytes(rows))
    batch = ImportBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("import-detail", args=[batch.pk])
    assert len(queued) == 1  # the dry run, queued on commit
    detail = reverse("import-detail", args=[batch.pk])

    # While it waits to be checked, the partial polls every second
    partial = clerk_client.get(detail, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in partial and "progress-bar" in partial and "<html" not in partial

    import_batch_check(batch_id=batch.pk)
    page = clerk_client.get(detail).content.decode()
    assert 'hx-trigger="every 1s"' not in page
    assert "确认导入 1 条合格记录" in page
    assert "月养老金“abc”不是数字" in page

    download = clerk_client.get(reverse("import-rejected", args=[batch.pk]))
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(download.content)).get_sheet_by_index(0).to_python()
    assert [line[0] for line in sheet] == ["姓名", "钱秀英"]
    assert sheet[1][-1] == "月养老金“abc”不是数字"

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = clerk_client.post(reverse("import-confirm", args=[batch.pk]))
    assert response.status_code == 302 and len(queued) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.confirmed_by) == (Status.IMPORTING, county.clerk)
    again = clerk_client.post(reverse("import-confirm", args=[batch.pk]), follow=True)
    assert "该批次已确认导入,不能重复确认。" in again.content.decode()
    assert Retiree.objects.count() == 3

    # Imported: found by ID at once; the page says the names are being indexed and keeps polling until then.
    import_batch_run(batch_id=batch.pk)
    page = clerk_client.get(detail).content.decode()
    assert "已导入 1 名退休人员" in page
    assert "正在建立姓名、拼音检索" in page and 'hx-trigger="every 1s"' in page
    import_batch_index_names(batch_id=batch.pk)
    page = clerk_client.get(detail).content.decode()
    assert "已导入 1 名退休人员" in page
    assert "正在建立姓名、拼音检索" not in page and 'hx-trigger="every 1s"' not in page


def test_the_template_has_the_header_an_example_and_text_id_columns(clerk_client):
    response = clerk_client.get(reverse("import-template"))

    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert sheet[0] == list(HEADERS)
    assert sheet[1][1] == "360721195803140010"
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(response.content))
    id_cell = workbook.active.cell(row=2, column=2)
    assert (id_cell.data_type, id_cell.number_format) == ("s", "@")
    assert workbook.active.column_dimensions["B"].number_format == "@"


def test_a_batch_of_another_unit_is_not_found(client, county, banks):
    from tests.factories import StaffFactory

    township_clerk = StaffFactory.create(username="clerk_b", role="bureau_clerk", org_unit=county.township_b)
    batch = ImportBatch.objects.create(original_name="a.csv", uploaded_by=county.clerk, file="imports/a.csv")
    client.force_login(township_clerk)

    assert client.get(reverse("import-detail", args=[batch.pk])).status_code == 404
    assert "a.csv" not in client.get(reverse("import-list")).content.decode()
