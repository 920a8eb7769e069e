"""The change-request API: the same services and scope as the pages, errors as {field: [message]}."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import time_machine
from rest_framework.test import APIClient

from registry.models import ArrearsItem, ChangeRequest, Retiree
from tests.conftest import County
from tests.registry.test_change_services import NOW, counts, request_change, scan, with_rates

pytestmark = pytest.mark.django_db

LIST = "/api/change-requests/"


@pytest.fixture(autouse=True)
def _frozen_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PAYOUT_PLAN_DAY = 10
    with time_machine.travel(NOW, tick=False):
        yield


def client_for(staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def post_request(client: APIClient, retiree: Retiree, field: str, new_value: dict, **extra):
    data = {
        "retiree": retiree.pk,
        "field": field,
        "new_value": json.dumps(new_value, ensure_ascii=False),
        "reason": "档案核对更正",
        "document": scan(),
        **extra,
    }
    return client.post(LIST, data, format="multipart")


def test_clerk_requests_and_reviewer_approves_through_the_api(county: County):
    with_rates(county.retiree_a1)
    response = post_request(
        client_for(county.clerk),
        county.retiree_a1,
        "birth_date",
        {"birth_date": "1957-11-20"},
        approval_reference="赣人社字〔2026〕12号",
        new_amount="2950.00",
        effective_month="2026-02",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["field"], body["status"], body["new_amount"], body["effective_month"]) == (
        "birth_date",
        "pending",
        "2950.00",
        "2026-02",
    )
    assert body["old_value"]["birth_date"] == "1958-03-14"

    approved = client_for(county.reviewer).post(
        f"{LIST}{body['id']}/approve/", {"comment": "同意"}, format="json"
    )
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["decided_by"]) == (
        "approved",
        county.reviewer.display_name,
    )
    assert Retiree.objects.get(pk=county.retiree_a1.pk).birth_date.isoformat() == "1957-11-20"
    assert list(ArrearsItem.objects.values_list("amount", flat=True)) == [Decimal("150.00")] * 3


def test_errors_are_json_per_field_and_write_nothing(county: County):
    before = counts()
    response = post_request(client_for(county.clerk), county.retiree_a1, "name", {"name": "Zhang"})
    assert response.status_code == 400
    assert response.json() == {
        "name": ["姓名只能由汉字组成(少数民族姓名各部分之间用“·”分隔),“Zhang”不符合。"]
    }

    response = post_request(
        client_for(county.clerk), county.retiree_a1, "id_number", {"id_number": county.retiree_b1.id_number}
    )
    assert response.status_code == 400
    assert "王德胜" in response.json()["id_number"][0]

    response = client_for(county.clerk).post(
        LIST, {"retiree": county.retiree_a1.pk, "field": "name"}, format="multipart"
    )
    assert response.status_code == 400
    assert set(response.json()) >= {"new_value", "reason"}

    # The document is optional in the serializer (contact details need none); the service asks for it.
    data = {
        "retiree": county.retiree_a1.pk,
        "field": "name",
        "new_value": '{"name": "张健国"}',
        "reason": "更正",
    }
    response = client_for(county.clerk).post(LIST, data, format="multipart")
    assert (response.status_code, response.json()) == (
        400,
        {"document": ["请上传证明材料扫描件(PDF、JPG 或 PNG)。"]},
    )
    assert counts() == before


def test_a_phone_number_change_needs_no_document(county: County):
    data = {
        "retiree": county.retiree_a1.pk,
        "field": "contact",
        "new_value": '{"phone": "13907970001", "address": ""}',
        "reason": "本人来电告知新号码",
    }
    response = client_for(county.clerk).post(LIST, data, format="multipart")
    assert response.status_code == 201, response.json()
    assert (response.json()["status"], response.json()["document_url"]) == ("pending", None)


def test_second_pending_is_refused(county: County):
    first = request_change(county, "name", {"name": "张健国"})
    response = post_request(client_for(county.admin), county.retiree_a1, "name", {"name": "张建华"})
    assert response.status_code == 400
    assert f"申请编号 {first.pk}" in response.json()["field"][0]


def test_maker_cannot_approve_their_own(county: County):
    change = request_change(county, "name", {"name": "张健国"}, by=county.admin)
    response = client_for(county.admin).post(f"{LIST}{change.pk}/approve/", {}, format="json")
    assert response.status_code == 400
    assert response.json() == {"decided_by": ["不能审核自己提交的申请,请由其他有审核权限的人员审核。"]}
    assert Retiree.objects.get(pk=county.retiree_a1.pk).name == "张建国"


def test_reject_needs_a_comment_and_applies_nothing(county: County):
    change = request_change(county, "name", {"name": "张健国"})
    client = client_for(county.reviewer)
    assert client.post(f"{LIST}{change.pk}/reject/", {}, format="json").json() == {
        "comment": ["驳回时请填写审核意见,说明驳回原因。"]
    }
    response = client.post(f"{LIST}{change.pk}/reject/", {"comment": "材料不清"}, format="json")
    assert response.json()["status"] == "rejected"
    assert Retiree.objects.get(pk=county.retiree_a1.pk).name == "张建国"


@pytest.mark.parametrize("persona", ["officer_a", "station_a1"])
def test_township_staff_cannot_request_or_decide(county: County, persona):
    change = request_change(county, "name", {"name": "张健国"})
    client = client_for(getattr(county, persona))
    assert post_request(client, county.retiree_a1, "contact", {"phone": "13907970001"}).status_code == 403
    # They see no change requests at all, so the request is not found for them.
    assert client.post(f"{LIST}{change.pk}/approve/", {}, format="json").status_code == 404
    assert ChangeRequest.objects.count() == 1
    change.refresh_from_db()
    assert change.status == "pending"


def test_scope_out_of_reach_is_404(county: County):
    from tests.factories import StaffFactory

    clerk_a = StaffFactory.create(username="clerk_a", role="bureau_clerk", org_unit=county.township_a)
    change = request_change(county, "name", {"name": "王得胜"}, retiree=county.retiree_b1)
    client = client_for(clerk_a)
    assert post_request(client, county.retiree_b1, "name", {"name": "王得胜"}).status_code == 404
    assert client.get(f"{LIST}{change.pk}/").status_code == 404
    assert client.get(LIST).json()["count"] == 0


def test_list_is_scoped_and_filtered(county: County):
    mine = request_change(county, "name", {"name": "张健国"})
    theirs = request_change(county, "contact", {"phone": "13907970001"}, by=county.admin)
    reviewer = client_for(county.reviewer)
    assert [row["id"] for row in reviewer.get(LIST).json()["results"]] == [theirs.pk, mine.pk]
    assert [row["id"] for row in reviewer.get(LIST + "?field=name").json()["results"]] == [mine.pk]
    assert [row["id"] for row in client_for(county.clerk).get(LIST).json()["results"]] == [mine.pk]
    detail = reviewer.get(f"{LIST}{mine.pk}/").json()
    assert detail["document_url"] == f"/changes/{mine.pk}/document/"


def test_schema_documents_the_endpoints(county: County):
    schema = client_for(county.admin).get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/change-requests/", "/api/change-requests/{id}/approve/"} <= set(paths)
    assert "multipart/form-data" in paths["/api/change-requests/"]["post"]["requestBody"]["content"]
