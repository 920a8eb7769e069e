"""The entry screen's API: GET /api/certification/lookup/ (the card) and
POST /api/certification/certifications/ (certify). Exact bodies, every refusal with nothing written, the scope
of a township officer, 201 for a new record and 200 for the year's first one kept."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from certification.models import Campaign, Certification
from certification.services import certify, suspension_run
from pensions.services import plan_draft
from pensions.services.transitions import plan_approve, plan_submit
from registry.id_numbers import mask_resident_id
from registry.models import ArrearsItem, Retiree, Staff, StatusChange
from registry.months import PensionMonth
from tests.factories import make_id_number

SH = ZoneInfo("Asia/Shanghai")
LOOKUP = "/api/certification/lookup/"
CERTIFY = "/api/certification/certifications/"
# One answer for a foreign and an unknown number (ADR 0002).
NOT_OURS = "本辖区没有身份证号码为该号码的退休人员,请核对号码。"


@pytest.fixture(autouse=True)
def april_15() -> Iterator[None]:
    with time_machine.travel(datetime.datetime(2026, 4, 15, 9, 30, tzinfo=SH), tick=False):
        yield


def api(staff: Staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def written() -> tuple[int, int, int, int]:
    return (
        Certification.objects.count(),
        Campaign.objects.count(),
        StatusChange.objects.count(),
        ArrearsItem.objects.count(),
    )


def test_the_lookup_returns_the_card_with_a_masked_id(county):
    retiree = county.retiree_a1
    response = api(county.officer_a).get(LOOKUP, {"id_number": retiree.id_number.lower()})
    assert response.status_code == 200
    age = 2026 - retiree.birth_date.year - ((retiree.birth_date.month, retiree.birth_date.day) > (4, 15))
    assert response.json() == {
        "retiree_id": retiree.pk,
        "name": "张建国",
        "sex": retiree.sex,
        "sex_label": "男" if retiree.sex == "M" else "女",
        "age": age,
        "id_number_masked": mask_resident_id(retiree.id_number),
        "township": "城关镇",
        "community": "东街社区",
        "status": "active",
        "status_label": "正常发放",
        "suspended_for_certification": False,
        "photo_url": None,
        "year": 2026,
        "last_certification": None,
        "certified_this_year": None,
        "valid_until": None,
        "can_certify": True,
        "refusal": "",
    }
    assert written() == (0, 0, 0, 0)


def test_the_lookup_of_a_certified_retiree_gives_the_year_s_record(county):
    first = certify(
        retiree=county.retiree_a1,
        channel="home_visit",
        visitor_name="刘芳",
        certified_on=datetime.date(2026, 4, 10),
        by=county.officer_a,
    ).certification
    body = api(county.officer_a).get(LOOKUP, {"id_number": county.retiree_a1.id_number}).json()
    expected = {
        "id": first.pk,
        "year": 2026,
        "certified_on": "2026-04-10",
        "channel": "home_visit",
        "channel_label": "上门认证",
        "visitor_name": "刘芳",
        "certifying_office": "",
        "note": "",
        "has_document": False,
        "recorded_by": "o",
        "recorded_at": "2026-04-15T09:30:00+08:00",
    }
    assert body["last_certification"] == expected
    assert body["certified_this_year"] == expected
    assert body["can_certify"] is False


def test_lookup_refusals(county):
    client = api(county.officer_a)
    number = county.retiree_a1.id_number
    wrong = number[:17] + ("0" if number[17] != "0" else "1")

    bad = client.get(LOOKUP, {"id_number": wrong})
    assert bad.status_code == 400
    assert list(bad.json()) == ["id_number"]
    assert "身份证号码校验位错误" in bad.json()["id_number"][0]

    assert client.get(LOOKUP).status_code == 400

    other = client.get(LOOKUP, {"id_number": county.retiree_b1.id_number})
    assert other.status_code == 404
    assert other.json() == {"id_number": [NOT_OURS]}

    nobody = client.get(LOOKUP, {"id_number": make_id_number(datetime.date(1949, 12, 31), area="110105")})
    assert nobody.status_code == 404
    assert nobody.json() == other.json() == {"id_number": [NOT_OURS]}
    assert written() == (0, 0, 0, 0)


@pytest.mark.parametrize("persona", ["reviewer", "auditor"])
def test_roles_without_certify_get_403(county, persona):
    client = api(county.staff_by_role()[persona])
    assert client.get(LOOKUP, {"id_number": county.retiree_a1.id_number}).status_code == 403
    assert (
        client.post(CERTIFY, {"id_number": county.retiree_a1.id_number, "channel": "in_person"}).status_code
        == 403
    )
    assert written() == (0, 0, 0, 0)


def test_signed_out_the_api_refuses(county):
    assert APIClient().get(LOOKUP, {"id_number": county.retiree_a1.id_number}).status_code in (401, 403)


def test_certify_by_id_number_answers_201_and_again_200_with_the_first_record(county):
    client = api(county.officer_a)
    response = client.post(
        CERTIFY, {"id_number": county.retiree_a1.id_number, "channel": "in_person"}, format="json"
    )
    assert response.status_code == 201
    row = Certification.objects.get()
    assert response.json() == {
        "created": True,
        "restored": False,
        "message": "张建国 已认证:乡镇经办窗口认证,2026-04-15,经办人 o。",
        "retiree_id": county.retiree_a1.pk,
        "retiree_status": "active",
        "certification": {
            "id": row.pk,
            "year": 2026,
            "certified_on": "2026-04-15",
            "channel": "in_person",
            "channel_label": "乡镇经办窗口认证",
            "visitor_name": "",
            "certifying_office": "",
            "note": "",
            "has_document": False,
            "recorded_by": "o",
            "recorded_at": "2026-04-15T09:30:00+08:00",
        },
    }

    before = written()
    again = api(county.clerk).post(
        CERTIFY,
        {"retiree_id": county.retiree_a1.pk, "channel": "home_visit", "visitor_name": "刘芳"},
        format="json",
    )
    assert again.status_code == 200
    body = again.json()
    assert (body["created"], body["certification"]["id"], body["certification"]["channel"]) == (
        False,
        row.pk,
        "in_person",
    )
    assert body["message"] == "张建国 本年度已于 2026-04-15 认证(乡镇经办窗口认证,经办人 o),无需重复认证。"
    assert written() == before


def test_certify_with_a_scan_by_multipart(county):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (250, 250, 250)).save(buffer, format="JPEG")
    scan = SimpleUploadedFile("hospital.jpg", buffer.getvalue(), content_type="image/jpeg")
    response = api(county.officer_a).post(
        CERTIFY,
        {
            "retiree_id": county.retiree_a2.pk,
            "channel": "certificate",
            "document": scan,
            "note": "县医院证明",
        },
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["certification"]["has_document"] is True
    row = Certification.objects.get()
    assert (row.channel, row.note) == ("certificate", "县医院证明")
    assert row.document.name.startswith("certifications/2026/hospital")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"channel": "home_visit"}, "visitor_name", "上门认证请填写上门人员姓名。"),
        ({"channel": "certificate"}, "document", "请上传证明材料扫描件。"),
        (
            {"channel": "remote_assisted", "certifying_office": " "},
            "certifying_office",
            "请填写协助认证的社保经办机构。",
        ),
        ({"channel": "online"}, "channel", "“online” 不是合法选项。"),
        ({"channel": "data_comparison"}, "channel", "“data_comparison” 不是合法选项。"),
    ],
)
def test_certify_refusals_per_field_write_nothing(county, data, field, message):
    response = api(county.officer_a).post(
        CERTIFY, {"id_number": county.retiree_a1.id_number, **data}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {field: [message]}
    assert written() == (0, 0, 0, 0)


def test_fields_of_another_channel_are_not_recorded(county):
    response = api(county.officer_a).post(
        CERTIFY,
        {
            "retiree_id": county.retiree_a1.pk,
            "channel": "in_person",
            "visitor_name": "刘芳",
            "certifying_office": "海口市社保局",
            "note": "本人持证办理",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()["certification"]
    assert (body["visitor_name"], body["certifying_office"], body["note"]) == ("", "", "本人持证办理")
    row = Certification.objects.get()
    assert (row.channel, row.visitor_name, row.certifying_office, row.note) == (
        "in_person",
        "",
        "",
        "本人持证办理",
    )


def test_a_scan_that_is_not_an_image_or_pdf_is_refused(county):
    fake = SimpleUploadedFile("letter.png", b"plain text", content_type="image/png")
    response = api(county.officer_a).post(
        CERTIFY,
        {"id_number": county.retiree_a1.id_number, "channel": "certificate", "document": fake},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"document": ["证明材料扫描件应为 PDF、JPG 或 PNG 文件。"]}
    assert written() == (0, 0, 0, 0)


def test_certify_needs_a_retiree(county):
    response = api(county.officer_a).post(CERTIFY, {"channel": "in_person"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"id_number": ["请填写身份证号码或退休人员 id。"]}


def test_certify_refuses_another_township_without_their_data(county):
    client = api(county.officer_a)
    by_id = client.post(CERTIFY, {"retiree_id": county.retiree_b1.pk, "channel": "in_person"}, format="json")
    assert by_id.status_code == 404
    assert by_id.json() == {"retiree_id": [NOT_OURS]}
    by_number = client.post(
        CERTIFY, {"id_number": county.retiree_b1.id_number, "channel": "in_person"}, format="json"
    )
    assert by_number.status_code == 404
    assert by_number.json() == {"id_number": [NOT_OURS]}
    assert written() == (0, 0, 0, 0)


def test_certify_refuses_a_deceased_retiree(county):
    Retiree.objects.filter(pk=county.retiree_a1.pk).update(
        status="deceased", died_on=datetime.date(2026, 3, 2)
    )
    response = api(county.officer_a).post(
        CERTIFY, {"retiree_id": county.retiree_a1.pk, "channel": "in_person"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["该退休人员状态为“死亡”,不能认证。"]}
    assert written() == (0, 0, 0, 0)


def test_certify_restores_a_suspended_retiree_and_releases_the_withheld_month(county, enrol):
    retiree = enrol(rates=((PensionMonth(2018, 4), "3120.55"),), community=county.community_a1)
    with time_machine.travel(datetime.datetime(2026, 8, 1, 3, 0, tzinfo=SH), tick=False):
        suspension_run(year=2026, today=datetime.date(2026, 8, 1))
        august = plan_draft(month=PensionMonth(2026, 8), by=county.clerk)
        plan_submit(plan=august, by=county.clerk)
        plan_approve(plan=august, by=county.reviewer)
    with time_machine.travel(datetime.datetime(2026, 8, 20, 10, 0, tzinfo=SH), tick=False):
        client = api(county.officer_a)
        card = client.get(LOOKUP, {"id_number": retiree.id_number}).json()
        assert (card["status"], card["suspended_for_certification"]) == ("suspended", True)
        response = client.post(CERTIFY, {"retiree_id": retiree.pk, "channel": "in_person"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["restored"], body["retiree_status"]) == (True, True, "active")
    assert body["message"].endswith("已恢复发放,暂停期间的养老金将在下一期发放计划中补发。")
    assert list(ArrearsItem.objects.filter(retiree=retiree).values_list("month", "amount")) == [
        (PensionMonth(2026, 8), Decimal("3120.55"))
    ]


def test_the_endpoints_are_in_the_schema(county):
    client = api(county.admin)
    schema = client.get("/api/schema/", {"format": "json"}).json()
    lookup = schema["paths"]["/api/certification/lookup/"]["get"]
    assert [parameter["name"] for parameter in lookup["parameters"]] == ["id_number"]
    assert set(lookup["responses"]) == {"200", "400", "403", "404", "429"}
    operation = schema["paths"]["/api/certification/certifications/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert set(operation["responses"]) == {"200", "201", "400", "403", "404", "429"}
