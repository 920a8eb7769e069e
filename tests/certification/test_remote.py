"""Remote residents (异地居住人员): the year's batch, its combined forms PDF rendered by a real Celery worker,
the upload file for the national remote retiree system, returned forms recorded one by one, and who may do
it."""

from __future__ import annotations

import csv
import datetime
import io
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from certification.errors import CertificationError
from certification.models import Campaign, Certification, RemoteBatch, RemoteBatchMember
from certification.selectors.remote import remote_batch_candidates, remote_batch_list
from certification.services import certify, suspension_run
from certification.services.remote import (
    remote_batch_create,
    remote_batch_render,
    remote_batch_retry,
    remote_export_record,
    remote_form_return,
)
from registry.models import ExportJob, SensitiveExport, SensitiveView, Staff, StatusChange
from registry.services.export_jobs import export_job_run
from tests.certification import remote_people
from tests.certification.remote_people import REMOTE, remote
from tests.clients import signed_in
from tests.pdfs import pdf_info, pdf_text

MARCH_10 = datetime.date(2026, 3, 10)
NOW = datetime.datetime(2026, 3, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
# The remote residents of both townships (shared with tests/browser/test_remote_forms.py).
people = remote_people.people


def member_names(batch):
    return list(batch.members.order_by("id").values_list("name", flat=True))


# The batch --------------------------------------------------------------------------------------------------


def test_a_batch_holds_exactly_the_remote_due_uncertified_people_of_the_year(county, people):
    due = people["due"]

    batch = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)

    assert (batch.year, batch.status, batch.member_count, batch.made_by) == (
        2026,
        "rendering",
        4,
        county.clerk,
    )
    assert set(batch.members.values_list("retiree_id", flat=True)) == {retiree.pk for retiree in due.values()}
    # The mailing address is a snapshot taken with the batch
    row = batch.members.get(retiree=due["active_b"])
    assert (row.name, row.remote_province, row.remote_city, row.remote_address, row.phone) == (
        "孙志强",
        "海南省",
        "广州市",
        "天河区体育西路2号",
        "",
    )


def test_a_second_batch_takes_only_people_not_yet_in_one(county, people):
    first = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)

    # Nobody is left: refused, and no empty batch is left behind
    with pytest.raises(CertificationError) as refused:
        remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)
    assert refused.value.message == "2026年度没有需要协助认证的异地居住人员(均已认证或已在本年度批次中)。"
    assert list(RemoteBatch.objects.values_list("pk", flat=True)) == [first.pk]

    # Someone who moved away since is the second batch's only member
    moved = remote(county.community_a2, "何丽萍", city="深圳市")
    second = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)
    assert (second.member_count, member_names(second)) == (1, ["何丽萍"])
    assert RemoteBatchMember.objects.filter(retiree=moved).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_clerks_making_a_batch_at_once_mail_nobody_twice(county, people):
    barrier = threading.Barrier(2)
    counts = []

    def make(staff):
        try:
            barrier.wait(timeout=10)
            counts.append(remote_batch_create(year=2026, by=staff, today=MARCH_10).member_count)
        except CertificationError:
            counts.append(0)
        finally:
            connection.close()

    threads = [threading.Thread(target=make, args=(staff,)) for staff in (county.clerk, county.admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(counts) == [0, 4]
    assert RemoteBatch.objects.count() == 1
    assert RemoteBatchMember.objects.count() == 4


def test_the_candidates_in_the_rolling_mode_are_those_without_a_certification_in_12_months(county, people):
    Campaign.objects.filter(year=2026).update(mode="rolling_12_months")

    names = set(
        remote_batch_candidates(user=county.clerk, year=2026, today=MARCH_10).values_list("name", flat=True)
    )

    # 周桂芳 certified on 2025-04-20: within the 12 months up to 2026-03-10, so not due yet
    assert names == {"赵文华", "钱玉兰", "孙志强"}


@pytest.mark.parametrize("persona", ["officer_a", "station_a1", "reviewer", "auditor"])
def test_only_clerks_and_admins_make_batches(county, people, persona):
    with pytest.raises(PermissionDenied):
        remote_batch_create(year=2026, by=county.staff_by_role()[persona], today=MARCH_10)
    assert not RemoteBatch.objects.exists()
    assert not RemoteBatchMember.objects.exists()


def test_a_year_far_ahead_is_refused(county, people):
    with pytest.raises(CertificationError) as refused:
        remote_batch_create(year=2028, by=county.clerk, today=MARCH_10)
    assert (refused.value.field, refused.value.message) == ("year", "认证年度不正确。")
    assert not RemoteBatch.objects.exists()


def test_the_list_counts_returned_forms_per_batch(county, people):
    batch = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)
    certify(
        retiree=people["due"]["active_a"],
        channel=REMOTE,
        certified_on=datetime.date(2026, 4, 2),
        by=county.clerk,
        certifying_office="海口市社会保险事业局",
    )

    [row] = remote_batch_list(user=county.clerk, year=2026)

    assert (row.pk, row.member_count, row.returned_count, row.outstanding_count) == (batch.pk, 4, 1, 3)
    assert list(remote_batch_list(user=county.clerk, year=2025)) == []


# The combined PDF -------------------------------------------------------------------------------------------


def wait_for(batch_id, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = RemoteBatch.objects.get(pk=batch_id)
        if batch.status != RemoteBatch.Status.RENDERING:
            return batch
        time.sleep(0.1)
    raise AssertionError(f"batch {batch_id} still rendering")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_renders_one_pdf_with_a_page_per_member(county, people, worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.BUREAU_ADDRESS = "示范县人民路8号社保局二楼"
    settings.BUREAU_PHONE = "0797-1234567"
    due = people["due"]

    # The rendering is queued on commit and the worker takes it from Redis
    batch = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)
    ready = wait_for(batch.pk)

    assert (ready.status, ready.error) == ("ready", "")
    path = Path(ready.forms_pdf.path)
    assert path.name == f"remote-forms-2026-{batch.pk}.pdf"
    info = pdf_info(path)
    assert info["Pages"] == "4"
    assert info["Page size"].startswith("595.276 x 841.89")  # A4
    text = pdf_text(path)
    for retiree in due.values():
        assert text.count(retiree.name) == 2  # the window and the form
        assert retiree.id_number in text  # in full: the assisting office checks it
    assert text.count("异地居住人员领取社会保险待遇资格协助认证表") == 4
    assert "海南省海口市龙华区滨海大道1号" in text
    assert "示范机械厂" in text
    assert "示范县人民路8号社保局二楼" in text and "0797-1234567" in text
    assert "居住地社会保险经办机构认证意见" in text
    assert "本人承诺" in text
    # Nobody outside the batch is in it
    for retiree in people["out"].values():
        assert retiree.name not in text

    # A redelivered task leaves the rendered batch as it is
    assert remote_batch_render(batch_id=batch.pk).forms_pdf.name == ready.forms_pdf.name


def test_a_failed_render_is_recorded_and_can_be_retried(
    county, people, monkeypatch, django_capture_on_commit_callbacks
):
    batch = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)

    def broken(**_kwargs):
        raise OSError("磁盘已满")

    monkeypatch.setattr("certification.pdfs.remote_forms.remote_forms_pdf", broken)
    failed = remote_batch_render(batch_id=batch.pk)
    assert (failed.status, failed.error, failed.forms_pdf.name) == (
        "failed",
        "协助认证表生成失败:磁盘已满",
        "",
    )

    # A batch that did not fail cannot be retried; a failed one goes back to rendering with a new task
    with pytest.raises(CertificationError):
        remote_batch_retry(batch=RemoteBatch.objects.create(year=2026, made_by=county.clerk), by=county.clerk)
    with django_capture_on_commit_callbacks() as callbacks:
        retried = remote_batch_retry(batch=failed, by=county.clerk)
    assert (retried.status, retried.error, len(callbacks)) == ("rendering", "", 1)


# The upload file --------------------------------------------------------------------------------------------


HEADERS = [
    "序号",
    "姓名",
    "性别",
    "公民身份号码",
    "出生日期",
    "退休时间",
    "参保地行政区划代码",
    "待遇发放机构",
    "居住地省份",
    "居住地城市",
    "居住地详细地址",
    "联系电话",
    "待遇状态",
    "上次认证日期",
]


@pytest.fixture
def batch(county, people):
    return remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)


def as_date(value):
    """openpyxl reads date cells back as midnight datetimes."""
    return value.date() if isinstance(value, datetime.datetime) else value


def test_the_xlsx_upload_file_has_the_documented_columns_and_values(county, people, batch):
    due = people["due"]

    response = signed_in(county.clerk).get(f"/certification/remote/{batch.pk}/upload.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[as_date(cell.value) for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == HEADERS
    assert len(rows) == 5
    first = due["active_a"]
    assert rows[1] == [
        1,
        "赵文华",
        first.get_sex_display(),
        first.id_number,
        datetime.date(1958, 3, 14),
        datetime.date(2018, 3, 31),
        "360721",
        "示范县社保局",
        "海南省",
        "海口市",
        "龙华区滨海大道1号",
        "13800000001",
        "正常发放",
        None,
    ]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["钱玉兰"][12] == "暂停发放"
    assert by_name["周桂芳"][13] == datetime.date(2025, 4, 20)
    # ID numbers are text cells, never numbers
    assert sheet.cell(row=2, column=4).data_type == "s"


def test_the_csv_upload_file_is_gb18030_and_keeps_rare_characters(county, people, batch):
    rare = remote(county.community_a1, "王䶮", city="成都市")
    second = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)

    response = signed_in(county.clerk).get(f"/certification/remote/{second.pk}/upload.csv")

    assert response.status_code == 200
    text = response.content.decode("gb18030")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == HEADERS
    assert rows[1] == [
        "1",
        "王䶮",
        rare.get_sex_display(),
        rare.id_number,
        "1958-03-14",
        "2018-03-31",
        "360721",
        "示范县社保局",
        "海南省",
        "成都市",
        "龙华区滨海大道1号",
        "13800000001",
        "正常发放",
        "",
    ]
    assert response.content.endswith(b"\r\n")
    # Characters GBK has are GBK bytes
    assert "示范县社保局".encode("gbk") in response.content


def test_each_download_records_who_took_the_full_numbers(county, people, batch):
    client = signed_in(county.admin)
    with time_machine.travel(NOW, tick=False):
        client.get(f"/certification/remote/{batch.pk}/upload.xlsx")

    views = SensitiveView.objects.filter(staff=county.admin)
    assert views.count() == 4
    assert set(views.values_list("retiree_id", "field", "viewed_at")) == {
        (retiree.pk, "id_number", NOW) for retiree in people["due"].values()
    }

    client.get(f"/certification/remote/{batch.pk}/upload.csv")
    assert SensitiveView.objects.filter(staff=county.admin).count() == 8
    # The same export record as every other file with full numbers, with the file's fixed purpose.
    assert list(
        SensitiveExport.objects.order_by("id").values_list(
            "staff", "export", "person_count", "purpose", "detail"
        )
    ) == [
        (county.admin.pk, f"certification.remote_upload_{fmt}", 4, "remote_certification", detail)
        for fmt, detail in [
            ("xlsx", {"batch": batch.pk, "year": batch.year, "file": "upload_xlsx"}),
            ("csv", {"batch": batch.pk, "year": batch.year, "file": "upload_csv"}),
        ]
    ]


@pytest.mark.parametrize("persona", ["officer_a", "officer_b", "station_a1", "reviewer", "auditor"])
def test_other_roles_get_403_and_nothing_is_recorded(county, people, batch, persona):
    client = signed_in(county.staff_by_role()[persona])

    for url in [
        "/certification/remote/",
        f"/certification/remote/{batch.pk}/",
        f"/certification/remote/{batch.pk}/upload.xlsx",
        f"/certification/remote/{batch.pk}/upload.csv",
        f"/certification/remote/{batch.pk}/forms.pdf",
        "/api/certification/remote/batches/",
        f"/api/certification/remote/batches/{batch.pk}/members/",
    ]:
        assert client.get(url).status_code == 403, url
    member = batch.members.first()
    before = Certification.objects.count()
    returned = {"certified_on": "2026-03-09", "certifying_office": "海口市社保局"}
    for url, data in [
        (f"/certification/remote/{batch.pk}/members/{member.pk}/return/", returned),
        (f"/api/certification/remote/batches/{batch.pk}/members/{member.pk}/return/", returned),
        ("/certification/remote/create/", {"year": "2026"}),
        ("/api/certification/remote/batches/", {"year": "2026"}),
        (f"/certification/remote/{batch.pk}/retry/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert list(RemoteBatch.objects.values_list("pk", "status")) == [(batch.pk, "rendering")]
    assert not SensitiveView.objects.exists()
    assert not SensitiveExport.objects.exists()
    # Which member comes first depends on the batch's insert order; some were certified last year
    assert Certification.objects.count() == before
    assert not Certification.objects.filter(retiree=member.retiree, year=2026).exists()


def test_remote_export_record_needs_view_sensitive(county, batch):
    with pytest.raises(PermissionDenied):
        remote_export_record(batch=batch, by=county.officer_a, what="upload_xlsx", rows=4)
    assert not SensitiveView.objects.exists()


# Returned forms ---------------------------------------------------------------------------------------------


def test_a_returned_form_is_a_remote_assisted_certification_of_the_year(county, people, batch):
    member = batch.members.get(retiree=people["due"]["active_a"])

    result = remote_form_return(
        member=member,
        certified_on=datetime.date(2026, 4, 8),
        certifying_office=" 海口市社会保险事业局 ",
        note="挂号信寄回",
        by=county.clerk,
        today=datetime.date(2026, 4, 20),
    )

    assert (result.created, result.restored) == (True, False)
    record = Certification.objects.get(retiree=member.retiree)
    assert (
        record.year,
        record.certified_on,
        record.channel,
        record.certifying_office,
        record.note,
        record.recorded_by,
    ) == (
        2026,
        datetime.date(2026, 4, 8),
        "remote_assisted",
        "海口市社会保险事业局",
        "挂号信寄回",
        county.clerk,
    )
    [row] = remote_batch_list(user=county.clerk, year=2026)
    assert (row.returned_count, row.outstanding_count) == (1, 3)


def test_a_returned_form_restores_a_member_the_job_suspended(county, people, batch):
    active_b = people["due"]["active_b"]
    suspension_run(year=2026, today=datetime.date(2026, 8, 1))
    active_b.refresh_from_db()
    assert active_b.status == "suspended"
    member = batch.members.get(retiree=active_b)

    result = remote_form_return(
        member=member,
        certified_on=datetime.date(2026, 8, 20),
        certifying_office="广州市社会保险基金管理中心",
        by=county.clerk,
        today=datetime.date(2026, 8, 25),
    )

    assert (result.created, result.restored) == (True, True)
    active_b.refresh_from_db()
    assert active_b.status == "active"
    assert list(
        StatusChange.objects.filter(retiree=active_b).values_list("to_status", flat=True).order_by("id")
    ) == [
        "suspended",
        "active",
    ]


@pytest.mark.parametrize(
    ("certified_on", "office", "field", "message"),
    [
        (datetime.date(2026, 4, 21), "海口市社保局", "certified_on", "认证日期不能晚于今天。"),
        (
            datetime.date(2025, 12, 30),
            "海口市社保局",
            "certified_on",
            "认证日期须计入2026年度:这张认证表属于2026年度。",
        ),
        (datetime.date(2026, 4, 8), "  ", "certifying_office", "请填写协助认证的社保经办机构。"),
    ],
)
def test_a_returned_form_is_refused_with_nothing_written(
    county, people, batch, certified_on, office, field, message
):
    member = batch.members.get(retiree=people["due"]["suspended_a"])
    before = Certification.objects.count()

    with pytest.raises(CertificationError) as refused:
        remote_form_return(
            member=member,
            certified_on=certified_on,
            certifying_office=office,
            by=county.clerk,
            today=datetime.date(2026, 4, 20),
        )

    assert (refused.value.field, refused.value.message) == (field, message)
    assert Certification.objects.count() == before
    member.retiree.refresh_from_db()
    assert member.retiree.status == "suspended"


def test_a_second_certification_in_the_year_keeps_the_first(county, people, batch):
    retiree = people["due"]["active_a"]
    certify(retiree=retiree, channel="in_person", certified_on=datetime.date(2026, 4, 2), by=county.clerk)
    member = batch.members.get(retiree=retiree)

    result = remote_form_return(
        member=member,
        certified_on=datetime.date(2026, 4, 8),
        certifying_office="海口市社保局",
        by=county.clerk,
        today=datetime.date(2026, 4, 20),
    )

    assert result.created is False
    assert list(Certification.objects.filter(retiree=retiree).values_list("channel", "certified_on")) == [
        ("in_person", datetime.date(2026, 4, 2))
    ]


# Pages ------------------------------------------------------------------------------------------------------


def test_the_list_shows_the_deadline_and_confirms_with_the_count(county, people):
    client = signed_in(county.clerk)
    with time_machine.travel(NOW, tick=False):
        html = client.get("/certification/remote/").content.decode()
        assert "2026年3月31日" in html
        assert "还剩 21 天" in html
        assert 'id="candidate-count">4<' in html
        assert "将为 4 名异地居住人员生成批次" in html
        # Looking at next year's page (or the API) makes no campaign: only the admin or a batch does
        assert "2027年3月31日" in client.get("/certification/remote/?year=2027").content.decode()
        # 2027 also holds 陈小红 (retired in 2026) and 吴国平 (certified for 2026 only)
        assert client.get("/api/certification/remote/batches/?year=2027").json()["candidates"] == 6
        assert not Campaign.objects.filter(year=2027).exists()

        response = client.post("/certification/remote/create/", {"year": "2026"})

    batch = RemoteBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/certification/remote/{batch.pk}/"
    assert batch.member_count == 4

    with time_machine.travel(datetime.datetime(2026, 4, 3, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        html = client.get("/certification/remote/?year=2026").content.decode()
    assert "已逾期 3 天" in html
    assert 'id="candidate-count">0<' in html
    assert f'data-batch="{batch.pk}"' in html


def test_the_detail_page_polls_while_rendering_and_filters_members(county, people, batch):
    client = signed_in(county.clerk)
    certify(
        retiree=people["due"]["active_a"],
        channel=REMOTE,
        certified_on=datetime.date(2026, 4, 2),
        by=county.clerk,
        certifying_office="海口市社会保险事业局",
    )

    html = client.get(f"/certification/remote/{batch.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "海口市社会保险事业局" in html
    assert html.count('data-action="return"') == 3
    # Masked ID numbers on the page
    assert people["due"]["active_a"].id_number not in html

    returned = client.get(f"/certification/remote/{batch.pk}/?returned=yes").content.decode()
    assert returned.count("data-member=") == 1
    outstanding = client.get(f"/certification/remote/{batch.pk}/?returned=no").content.decode()
    assert outstanding.count("data-member=") == 3

    RemoteBatch.objects.filter(pk=batch.pk).update(status="ready", forms_pdf="x.pdf")
    status = client.get(f"/certification/remote/{batch.pk}/status/").content.decode()
    assert "hx-trigger" not in status
    assert 'id="forms-download"' in status


def test_recording_a_return_through_the_dialog(county, people, batch):
    client = signed_in(county.clerk)
    member = batch.members.get(retiree=people["due"]["suspended_a"])
    url = f"/certification/remote/{batch.pk}/members/{member.pk}/return/"

    with time_machine.travel(datetime.datetime(2026, 4, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        form = client.get(url, headers={"HX-Request": "true"}).content.decode()
        assert "登记返回:钱玉兰" in form
        # A refusal comes back into the dialog, nothing written
        refused = client.post(
            url, {"certified_on": "2026-04-08", "certifying_office": ""}, headers={"HX-Request": "true"}
        )
        assert refused.status_code == 200
        assert "该字段是必填项。" in refused.content.decode()
        future = client.post(
            url,
            {"certified_on": "2026-05-01", "certifying_office": "三亚市社保局"},
            headers={"HX-Request": "true"},
        )
        assert "认证日期不能晚于今天。" in future.content.decode()
        assert not Certification.objects.filter(retiree=member.retiree).exists()

        done = client.post(
            url,
            {"certified_on": "2026-04-08", "certifying_office": "三亚市社保局"},
            headers={"HX-Request": "true"},
        )
    assert (done.status_code, done["HX-Redirect"]) == (204, f"/certification/remote/{batch.pk}/")
    record = Certification.objects.get(retiree=member.retiree)
    assert (record.channel, record.certifying_office, record.certified_on) == (
        "remote_assisted",
        "三亚市社保局",
        datetime.date(2026, 4, 8),
    )


def test_a_returned_form_scan_must_be_a_pdf_or_an_image(county, people, batch):
    member = batch.members.get(retiree=people["due"]["active_a"])
    client = signed_in(county.clerk)
    data = {"certified_on": "2026-04-08", "certifying_office": "海口市社保局"}

    with time_machine.travel(datetime.datetime(2026, 4, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        page = client.post(
            f"/certification/remote/{batch.pk}/members/{member.pk}/return/",
            {**data, "document": SimpleUploadedFile("认证表.pdf", b"<html>not a scan</html>")},
        )
        api = client.post(
            f"/api/certification/remote/batches/{batch.pk}/members/{member.pk}/return/",
            {**data, "document": SimpleUploadedFile("认证表.jpg", b"MZ\x90\x00")},
        )

    assert page.status_code == 400
    assert "证明材料扫描件应为 PDF、JPG 或 PNG 文件。" in page.content.decode()
    assert (api.status_code, api.json()) == (400, {"document": ["证明材料扫描件应为 PDF、JPG 或 PNG 文件。"]})
    assert not Certification.objects.filter(retiree=member.retiree).exists()


def test_a_member_of_another_batch_is_not_found(county, people, batch):
    other = RemoteBatch.objects.create(year=2026, made_by=county.clerk)
    member = batch.members.first()
    response = signed_in(county.clerk).post(
        f"/certification/remote/{other.pk}/members/{member.pk}/return/",
        {"certified_on": "2026-03-09", "certifying_office": "海口市社保局"},
    )
    assert response.status_code == 404
    assert not Certification.objects.filter(retiree=member.retiree).exists()


# API --------------------------------------------------------------------------------------------------------


def test_a_batch_for_a_year_without_a_campaign_is_refused_and_makes_no_campaign(county, people):
    """The clerk's path (page or API) never makes a campaign row: only the admin's campaign service does."""
    client = signed_in(county.clerk)
    with time_machine.travel(NOW, tick=False):
        refused = client.post(
            "/api/certification/remote/batches/", {"year": 2000}, content_type="application/json"
        )
        page = client.post("/certification/remote/create/", {"year": "2025"})
    assert refused.status_code == 400
    assert refused.json() == {"year": ["2000 年度的认证尚未建立,请系统管理员先在“认证年度”中建立该年度。"]}
    assert (page.status_code, page["Location"]) == (302, "/certification/remote/?year=2025")
    assert list(Campaign.objects.values_list("year", flat=True)) == [2026]
    assert not RemoteBatch.objects.exists()
    assert not RemoteBatchMember.objects.exists()


def test_the_api_lists_makes_and_records(county, people):
    client = signed_in(county.clerk)
    with time_machine.travel(NOW, tick=False):
        listed = client.get("/api/certification/remote/batches/?year=2026").json()
        assert (
            listed["year"],
            listed["remote_export_deadline"],
            listed["days_left"],
            listed["candidates"],
        ) == (
            2026,
            "2026-03-31",
            21,
            4,
        )
        made = client.post(
            "/api/certification/remote/batches/", {"year": 2026}, content_type="application/json"
        )
    assert made.status_code == 201
    body = made.json()
    batch_id = body["id"]
    assert (body["status"], body["member_count"], body["returned_count"], body["forms_pdf_url"]) == (
        "rendering",
        4,
        0,
        None,
    )
    assert body["upload_xlsx_url"] == f"/certification/remote/{batch_id}/upload.xlsx"

    again = client.post("/api/certification/remote/batches/", {"year": 2026}, content_type="application/json")
    assert again.status_code == 400
    assert again.json() == {"year": ["2026年度没有需要协助认证的异地居住人员(均已认证或已在本年度批次中)。"]}

    members = client.get(f"/api/certification/remote/batches/{batch_id}/members/?returned=false").json()
    assert members["count"] == 4
    first = members["results"][0]
    assert first["name"] == "赵文华" and "*" in first["id_number_masked"] and first["certified_on"] is None

    with time_machine.travel(datetime.datetime(2026, 4, 20, 9, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        url = f"/api/certification/remote/batches/{batch_id}/members/{first['id']}/return/"
        refused = client.post(
            url,
            {"certified_on": "2026-04-21", "certifying_office": "海口市社保局"},
            content_type="application/json",
        )
        assert refused.status_code == 400
        assert refused.json() == {"certified_on": ["认证日期不能晚于今天。"]}
        recorded = client.post(
            url,
            {"certified_on": "2026-04-08", "certifying_office": "海口市社保局"},
            content_type="application/json",
        )
        assert recorded.status_code == 201
        assert recorded.json()["channel"] == "remote_assisted"
        twice = client.post(
            url,
            {"certified_on": "2026-04-09", "certifying_office": "海口市社保局"},
            content_type="application/json",
        )
    assert (twice.status_code, twice.json()["created"], twice.json()["certified_on"]) == (
        200,
        False,
        "2026-04-08",
    )

    detail = client.get(f"/api/certification/remote/batches/{batch_id}/").json()
    assert (detail["returned_count"], detail["outstanding_count"]) == (1, 3)
    assert client.get("/api/certification/remote/batches/999999/").status_code == 404


def test_the_forms_pdf_download_is_recorded_and_only_when_ready(county, people, batch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = signed_in(county.clerk)
    assert client.get(f"/certification/remote/{batch.pk}/forms.pdf").status_code == 404
    assert not SensitiveView.objects.exists()

    remote_batch_render(batch_id=batch.pk)
    response = client.get(f"/certification/remote/{batch.pk}/forms.pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert SensitiveView.objects.filter(staff=county.clerk, field="id_number").count() == 4


def test_the_list_polls_while_a_batch_renders(county, people, batch):
    client = signed_in(county.clerk)
    with time_machine.travel(NOW, tick=False):
        partial = client.get(
            "/certification/remote/?year=2026", headers={"HX-Request": "true"}
        ).content.decode()
    assert partial.lstrip().startswith('<div class="card" id="remote-batches"')
    assert 'hx-trigger="every 2s"' in partial
    assert "<html" not in partial

    RemoteBatch.objects.filter(pk=batch.pk).update(status="ready")
    with time_machine.travel(NOW, tick=False):
        done = client.get("/certification/remote/?year=2026", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in done


def test_the_retry_button_renders_a_failed_batch_again(county, people, batch):
    RemoteBatch.objects.filter(pk=batch.pk).update(status="failed", error="磁盘已满")
    client = signed_in(county.clerk)

    response = client.post(f"/certification/remote/{batch.pk}/retry/")

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.error) == ("rendering", "")
    again = client.post(f"/certification/remote/{batch.pk}/retry/", follow=True).content.decode()
    assert "只有生成失败或长时间未完成的批次可以重新生成" in again


def test_a_render_whose_worker_died_can_be_started_again(county, people, batch):
    # The render beats while it works (registry.jobs): stalled once no heartbeat for JOB_STALE_MINUTES (10)
    started = timezone.now() - datetime.timedelta(minutes=9)
    RemoteBatch.objects.filter(pk=batch.pk).update(
        status="rendering", render_started_at=started, job_heartbeat_at=started
    )
    client = signed_in(county.clerk)
    status = client.get(f"/certification/remote/{batch.pk}/status/").content.decode()
    assert 'id="batch-stalled"' not in status
    refused = client.post(f"/certification/remote/{batch.pk}/retry/", follow=True).content.decode()
    assert "只有生成失败或长时间未完成的批次可以重新生成" in refused

    RemoteBatch.objects.filter(pk=batch.pk).update(job_heartbeat_at=started - datetime.timedelta(minutes=2))
    status = client.get(f"/certification/remote/{batch.pk}/status/").content.decode()
    assert 'id="batch-stalled"' in status and 'id="retry-batch"' in status
    assert client.post(f"/certification/remote/{batch.pk}/retry/").status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.job_attempts) == ("rendering", 2)
    assert timezone.now() - batch.render_started_at < datetime.timedelta(minutes=1)
    assert timezone.now() - batch.job_heartbeat_at < datetime.timedelta(minutes=1)


def test_the_sweeper_marks_a_dead_render_interrupted_and_it_can_be_started_again(county, people, batch):
    from registry.jobs import job_sweep

    stopped = timezone.now() - datetime.timedelta(minutes=11)
    RemoteBatch.objects.filter(pk=batch.pk).update(job_heartbeat_at=stopped)

    assert job_sweep()["certification.RemoteBatch"] == 1

    batch.refresh_from_db()
    assert (batch.status, batch.get_status_display(), batch.error) == (
        "interrupted",
        "任务中断",
        "后台任务中断(处理进程意外停止),未写入任何数据,可以重新运行。",
    )
    client = signed_in(county.clerk)
    status = client.get(f"/certification/remote/{batch.pk}/status/").content.decode()
    assert "后台任务中断" in status and 'id="retry-batch"' in status
    assert client.post(f"/certification/remote/{batch.pk}/retry/").status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.error, batch.job_attempts) == ("rendering", "", 2)


@pytest.mark.django_db(transaction=True)
def test_a_live_render_beats_and_is_not_swept(county, people, batch, settings):
    """The beats come from a thread with its own connection: committed rows only, hence transaction=True."""
    from registry.jobs import job_beating, job_sweep

    stopped = timezone.now() - datetime.timedelta(minutes=11)
    RemoteBatch.objects.filter(pk=batch.pk).update(job_heartbeat_at=stopped)
    with job_beating(RemoteBatch, batch.pk, every=0.05):
        deadline = time.monotonic() + 10
        while (
            RemoteBatch.objects.get(pk=batch.pk).job_heartbeat_at == stopped and time.monotonic() < deadline
        ):
            time.sleep(0.05)
    assert job_sweep()["certification.RemoteBatch"] == 0
    assert RemoteBatch.objects.get(pk=batch.pk).status == "rendering"


def test_a_batch_is_shown_only_to_those_who_see_all_its_members(county, people):
    from certification.selectors.remote import remote_batches_visible_to

    whole = remote_batch_create(year=2026, by=county.clerk, today=MARCH_10)  # townships A and B
    only_a = RemoteBatch.objects.create(year=2026, made_by=county.clerk)
    RemoteBatchMember.objects.create(batch=only_a, retiree=people["out"]["certified"], name="吴国平")

    assert set(remote_batches_visible_to(county.clerk)) == {whole, only_a}
    assert set(remote_batches_visible_to(county.officer_a)) == {only_a}
    assert set(remote_batches_visible_to(county.officer_b)) == set()


def test_a_long_batch_upload_file_is_made_by_the_worker_and_recorded_as_the_inline_one(
    county, people, batch, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 3  # four members: a long batch
    client = signed_in(county.clerk)

    response = client.get(f"/certification/remote/{batch.pk}/upload.xlsx")

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/exports/?job={job.pk}")
    assert (job.kind, job.parameters, job.full_numbers, job.purpose) == (
        "certification.remote_upload",
        {"batch": batch.pk, "year": batch.year, "fmt": "xlsx"},
        True,
        "remote_certification",
    )
    assert not SensitiveView.objects.exists() and not SensitiveExport.objects.exists()

    with time_machine.travel(NOW, tick=False):
        done = export_job_run(job_id=job.pk)
    assert (done.status, done.row_count, done.filename) == (
        ExportJob.Status.DONE,
        4,
        f"异地退管系统上传-{batch.year}-{batch.pk}.xlsx",
    )
    # Recorded when made exactly as the inline download records: one view per person and the export row.
    assert set(SensitiveView.objects.values_list("staff", "retiree_id", "field", "viewed_at")) == {
        (county.clerk.pk, retiree.pk, "id_number", NOW) for retiree in people["due"].values()
    }
    assert list(
        SensitiveExport.objects.values_list("staff", "export", "person_count", "purpose", "detail")
    ) == [
        (
            county.clerk.pk,
            "certification.remote_upload_xlsx",
            4,
            "remote_certification",
            {"batch": batch.pk, "year": batch.year, "file": "upload_xlsx"},
        )
    ]

    background = b"".join(client.get(f"/exports/{job.pk}/file/").streaming_content)
    assert SensitiveView.objects.count() == 8 and SensitiveExport.objects.count() == 2  # the download too
    settings.EXPORT_INLINE_MAX_ROWS = 4
    inline = client.get(f"/certification/remote/{batch.pk}/upload.xlsx").content

    def cells(content: bytes) -> list[list[object]]:
        return [[cell.value for cell in row] for row in load_workbook(io.BytesIO(content)).active.iter_rows()]

    assert cells(background) == cells(inline)
    assert people["due"]["active_a"].id_number in [row[3] for row in cells(background)]

    # Another person's export does not exist for them; a requester who lost the right is refused.
    assert signed_in(county.admin).get(f"/exports/{job.pk}/file/").status_code == 404
    recorded = (SensitiveView.objects.count(), SensitiveExport.objects.count())
    Staff.objects.filter(pk=county.clerk.pk).update(role=Staff.Role.AUDITOR)
    assert signed_in(county.clerk).get(f"/exports/{job.pk}/file/").status_code == 403
    assert (SensitiveView.objects.count(), SensitiveExport.objects.count()) == recorded


def test_a_long_batch_csv_from_the_worker_is_the_inline_csv(county, people, batch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORT_INLINE_MAX_ROWS = 3
    client = signed_in(county.clerk)
    client.get(f"/certification/remote/{batch.pk}/upload.csv")
    job = ExportJob.objects.get()
    export_job_run(job_id=job.pk)
    background = b"".join(client.get(f"/exports/{job.pk}/file/").streaming_content)
    settings.EXPORT_INLINE_MAX_ROWS = 4
    inline = client.get(f"/certification/remote/{batch.pk}/upload.csv")
    assert background == inline.content
    assert background.count(b"\r\n") == 5
    assert ExportJob.objects.get().content_type == inline["Content-Type"] == "text/csv; charset=gb18030"
