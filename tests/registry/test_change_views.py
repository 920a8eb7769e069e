"""The information-change pages: request form per field, money preview and confirmation, the queue and the
detail page where someone other than the requester approves or rejects."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from registry.models import ArrearsItem, ChangeRequest, PensionRate, Retiree, SensitiveView
from registry.months import PensionMonth
from tests.conftest import County
from tests.registry.test_change_services import NOW, PDF, counts, request_change, scan, with_rates

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PAYOUT_PLAN_DAY = 10
    with time_machine.travel(NOW, tick=False):
        yield


def signed_in(client, staff):
    client.force_login(staff)
    return client


def effect_token(*months: int) -> str:
    """The token of a rise to 2950.00 from 2026-02 over 2800.00 for these months of 2026: every month's old
    and new amount (RateChangeEffect.token)."""
    listed = ",".join(f"2026-{month:02d}:2800.00:2950.00" for month in months)
    return f"arrears|2026-02|2950.00|{listed}|"


def create_url(retiree, field=""):
    url = reverse("change-request-create", args=[retiree.pk])
    return f"{url}?field={field}" if field else url


def test_the_form_shows_the_current_value(client, county: County):
    response = signed_in(client, county.clerk).get(create_url(county.retiree_a1, "name"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "张建国" in page and 'name="name"' in page and 'name="document"' in page
    assert "人社局审批文号" not in page


def test_without_a_field_the_page_offers_every_field(client, county: County):
    page = signed_in(client, county.clerk).get(create_url(county.retiree_a1)).content.decode()
    for value in ChangeRequest.Field.values:
        assert f"?field={value}" in page


def test_clerk_requests_a_name_change_and_sees_it_waiting(client, county: County):
    client = signed_in(client, county.clerk)
    response = client.post(
        create_url(county.retiree_a1, "name"),
        {"field": "name", "name": "张健国", "reason": "同音字更正", "document": scan()},
    )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse("change-request-detail", args=[change.pk])
    assert change.new_value == {"name": "张健国"}
    assert Retiree.objects.get(pk=county.retiree_a1.pk).name == "张建国"
    page = client.get(response.url).content.decode()
    assert "等待他人审核" in page
    assert 'value="approve"' not in page


def test_a_refused_request_shows_the_message_and_writes_nothing(client, county: County):
    before = counts()
    response = signed_in(client, county.clerk).post(
        create_url(county.retiree_a1, "name"),
        {"field": "name", "name": "Zhang", "reason": "更正", "document": scan()},
    )
    assert response.status_code == 200
    assert "只能由汉字组成" in response.content.decode()
    assert counts() == before


def test_missing_document_is_refused_on_the_page(client, county: County):
    response = signed_in(client, county.clerk).post(
        create_url(county.retiree_a1, "name"), {"field": "name", "name": "张健国", "reason": "更正"}
    )
    assert "请上传证明材料扫描件" in response.content.decode()
    assert ChangeRequest.objects.count() == 0


@pytest.mark.parametrize("persona", ["officer_a", "station_a1", "reviewer", "auditor"])
def test_roles_without_edit_cannot_open_the_form(client, county: County, persona):
    response = signed_in(client, getattr(county, persona)).get(create_url(county.retiree_a1, "name"))
    assert response.status_code == 403


def test_money_preview_and_confirmation(client, county: County):
    with_rates(county.retiree_a1)
    client = signed_in(client, county.clerk)
    preview = client.get(
        create_url(county.retiree_a1, "birth_date") + "&preview=1&new_amount=2950.00&effective_month=2026-02",
        headers={"HX-Request": "true"},
    )
    page = preview.content.decode()
    assert "补发 3 个月,合计 ¥450.00" in page
    assert "2026-02" in page and "2026-04" in page
    token = effect_token(2, 3, 4)
    assert f'value="{token}"' in page

    data = {
        "field": "birth_date",
        "birth_date": "1957-11-20",
        "approval_reference": "赣人社字〔2026〕12号",
        "new_amount": "2950.00",
        "effective_month": "2026-02",
        "reason": "档案出生日期更正",
    }
    unconfirmed = client.post(create_url(county.retiree_a1, "birth_date"), {**data, "document": scan()})
    assert unconfirmed.status_code == 200
    assert "勾选确认后再提交" in unconfirmed.content.decode()
    assert "补发 3 个月,合计 ¥450.00" in unconfirmed.content.decode()
    assert ChangeRequest.objects.count() == 0

    stale_token = client.post(
        create_url(county.retiree_a1, "birth_date"),
        {
            **data,
            "new_amount": "3000.00",
            "effect_token": token,
            "effect_confirmed": "on",
            "document": scan(),
        },
    )
    assert "勾选确认后再提交" in stale_token.content.decode()
    assert ChangeRequest.objects.count() == 0

    confirmed = client.post(
        create_url(county.retiree_a1, "birth_date"),
        {**data, "effect_token": token, "effect_confirmed": "on", "document": scan()},
    )
    assert confirmed.status_code == 302
    change = ChangeRequest.objects.get()
    assert (change.new_amount, change.effective_month) == (Decimal("2950.00"), PensionMonth(2026, 2))


def test_queue_pending_first_and_scoped(client, county: County):
    approved = request_change(county, "contact", {"phone": "13907970001", "address": ""})
    from registry.services import change_request_approve

    change_request_approve(change_request=approved, by=county.reviewer)
    pending = request_change(county, "name", {"name": "张健国"})
    other = request_change(county, "name", {"name": "王得胜"}, retiree=county.retiree_b1, by=county.admin)

    page = signed_in(client, county.reviewer).get(reverse("change-request-list")).content.decode()
    positions = [page.index(f"/changes/{pk}/") for pk in (pending.pk, other.pk, approved.pk)]
    assert positions[2] > max(positions[:2])
    assert 'id="nav-approvals-count">2<' in page

    filtered = client.get(reverse("change-request-list") + "?status=approved").content.decode()
    assert f"/changes/{approved.pk}/" in filtered and f"/changes/{pending.pk}/" not in filtered

    clerk_page = signed_in(client, county.clerk).get(reverse("change-request-list")).content.decode()
    assert f"/changes/{pending.pk}/" in clerk_page and f"/changes/{other.pk}/" not in clerk_page


def test_township_staff_have_no_queue(client, county: County):
    assert signed_in(client, county.officer_a).get(reverse("change-request-list")).status_code == 403


def test_checker_approves_on_the_detail_page(client, county: County):
    change = request_change(county, "name", {"name": "张健国"})
    client = signed_in(client, county.reviewer)
    page = client.get(reverse("change-request-detail", args=[change.pk])).content.decode()
    assert "张建国" in page and "张健国" in page and 'value="approve"' in page
    response = client.post(
        reverse("change-request-detail", args=[change.pk]), {"decision": "approve", "comment": "核对无误"}
    )
    assert response.status_code == 302
    assert Retiree.objects.get(pk=county.retiree_a1.pk).name == "张健国"


def test_reject_without_comment_is_refused_on_the_page(client, county: County):
    change = request_change(county, "name", {"name": "张健国"})
    response = signed_in(client, county.reviewer).post(
        reverse("change-request-detail", args=[change.pk]), {"decision": "reject", "comment": ""}
    )
    assert response.status_code == 400
    assert "驳回时请填写审核意见" in response.content.decode()
    change.refresh_from_db()
    assert change.status == "pending"


def test_maker_cannot_approve_their_own_on_the_page(client, county: County):
    change = request_change(county, "name", {"name": "张健国"}, by=county.admin)
    client = signed_in(client, county.admin)
    page = client.get(reverse("change-request-detail", args=[change.pk])).content.decode()
    assert "等待他人审核" in page and 'value="approve"' not in page
    response = client.post(reverse("change-request-detail", args=[change.pk]), {"decision": "approve"})
    assert response.status_code == 400
    assert "不能审核自己提交的申请" in response.content.decode()
    assert Retiree.objects.get(pk=county.retiree_a1.pk).name == "张建国"


def test_checker_approval_of_a_rate_change_checks_the_shown_effect(client, county: County):
    with_rates(county.retiree_a1)
    change = request_change(
        county,
        "birth_date",
        {"birth_date": "1957-11-20"},
        approval_reference="赣人社字〔2026〕12号",
        new_amount="2950.00",
        effective_month=PensionMonth(2026, 2),
    )
    client = signed_in(client, county.reviewer)
    page = client.get(reverse("change-request-detail", args=[change.pk])).content.decode()
    assert "补发 3 个月,合计 ¥450.00" in page
    old_token = effect_token(2, 3, 4)
    # After the plan day May is closed too: the checker must look again.
    with time_machine.travel(datetime.datetime(2026, 5, 11, 9, 0, tzinfo=NOW.tzinfo), tick=False):
        response = client.post(
            reverse("change-request-detail", args=[change.pk]),
            {"decision": "approve", "effect_token": old_token},
        )
        assert "请核对后重新审核" in response.content.decode()
        assert not ArrearsItem.objects.exists()
        response = client.post(
            reverse("change-request-detail", args=[change.pk]),
            {"decision": "approve", "effect_token": effect_token(2, 3, 4, 5)},
        )
    assert response.status_code == 302
    assert ArrearsItem.objects.count() == 4
    assert PensionRate.objects.filter(retiree=county.retiree_a1).count() == 3
    page = client.get(reverse("change-request-detail", args=[change.pk])).content.decode()
    assert 'id="money-recorded"' in page


def test_out_of_scope_request_is_404(client, county: County):
    from tests.factories import StaffFactory

    change = request_change(county, "name", {"name": "王得胜"}, retiree=county.retiree_b1)
    clerk_a = StaffFactory.create(username="clerk_a", role="bureau_clerk", org_unit=county.township_a)
    client = signed_in(client, clerk_a)
    assert client.get(reverse("change-request-detail", args=[change.pk])).status_code == 404
    assert client.get(reverse("change-request-document", args=[change.pk])).status_code == 404
    assert client.get(create_url(county.retiree_b1, "name")).status_code == 404


def test_document_is_served_to_those_who_see_the_request(client, county: County):
    change = request_change(county, "name", {"name": "张健国"})
    response = signed_in(client, county.reviewer).get(reverse("change-request-document", args=[change.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF
    assert (
        signed_in(client, county.officer_a)
        .get(reverse("change-request-document", args=[change.pk]))
        .status_code
        == 403
    )


def test_full_id_on_the_detail_page_is_recorded(client, county: County):
    from tests.factories import make_id_number

    change = request_change(county, "id_number", {"id_number": make_id_number(datetime.date(1958, 3, 14))})
    page = (
        signed_in(client, county.reviewer)
        .get(reverse("change-request-detail", args=[change.pk]))
        .content.decode()
    )
    assert change.new_value["id_number"] in page
    assert (
        SensitiveView.objects.filter(
            staff=county.reviewer, retiree=county.retiree_a1, field="id_number"
        ).count()
        == 1
    )


def test_the_choice_page_marks_every_item_that_needs_a_document(client, county: County):
    page = signed_in(client, county.clerk).get(create_url(county.retiree_a1)).content.decode()
    assert "需上传证明材料" in page
    for value in ChangeRequest.Field.values:
        start = page.index(f'data-field="{value}"')
        item = page[start : page.index("</a>", start)]
        assert ("data-needs-document" in item) is (value != "contact"), value


def test_the_form_says_up_front_whether_a_document_is_needed(client, county: County):
    client = signed_in(client, county.clerk)
    name_page = client.get(create_url(county.retiree_a1, "name")).content.decode()
    assert 'id="document-required"' in name_page and 'name="document"' in name_page
    contact_page = client.get(create_url(county.retiree_a1, "contact")).content.decode()
    assert 'id="document-required"' not in contact_page and 'name="document"' not in contact_page
    assert "联系方式的变更不需要证明材料,仍须由他人审核。" in contact_page


def test_a_phone_number_change_is_submitted_without_a_document(client, county: County):
    client = signed_in(client, county.clerk)
    response = client.post(
        create_url(county.retiree_a1, "contact"),
        {"field": "contact", "phone": "13907970001", "address": "", "reason": "本人来电告知新号码"},
    )
    change = ChangeRequest.objects.get()
    assert response.status_code == 302
    assert (change.field, change.new_value["phone"], change.document.name) == ("contact", "13907970001", "")
    assert Retiree.objects.get(pk=county.retiree_a1.pk).phone == ""
    detail = client.get(response.url).content.decode()
    assert 'id="no-document"' in detail and 'id="document-link"' not in detail
