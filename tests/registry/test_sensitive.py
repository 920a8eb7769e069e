"""Showing a full ID or account number: only to roles that may, only in scope, each showing recorded once."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

from registry.errors import SensitiveViewError
from registry.models import SensitiveView
from registry.services import sensitive_view_record
from tests.factories import BankAccountFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 6, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
OLD_ACCOUNT = "6217000000000011"
CURRENT_ACCOUNT = "6221000000000022"


@pytest.fixture
def accounts(county):
    BankAccountFactory(
        retiree=county.retiree_a1,
        account_number=OLD_ACCOUNT,
        is_current=False,
        valid_until=datetime.date(2024, 12, 31),
    )
    BankAccountFactory(retiree=county.retiree_a1, account_number=CURRENT_ACCOUNT)
    return county


def views():
    return list(SensitiveView.objects.values_list("staff__username", "retiree_id", "field", "viewed_at"))


# The service ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["clerk", "reviewer", "auditor", "admin"])
def test_a_role_that_may_is_given_the_full_id_number_and_the_showing_is_recorded(county, persona):
    staff = county.staff_by_role()[persona]

    with time_machine.travel(NOW, tick=False):
        value = sensitive_view_record(retiree=county.retiree_a1, field="id_number", by=staff)

    assert value == county.retiree_a1.id_number
    assert views() == [(persona, county.retiree_a1.pk, "id_number", NOW)]


def test_the_account_shown_is_the_current_one(accounts):
    value = sensitive_view_record(retiree=accounts.retiree_a1, field="account_number", by=accounts.clerk)

    assert value == CURRENT_ACCOUNT
    assert [(row[0], row[2]) for row in views()] == [("clerk", "account_number")]


def test_each_showing_is_its_own_record(county):
    for _ in range(2):
        sensitive_view_record(retiree=county.retiree_a1, field="id_number", by=county.clerk)

    assert SensitiveView.objects.filter(retiree=county.retiree_a1, staff=county.clerk).count() == 2


@pytest.mark.parametrize("persona", ["officer_a", "station_a1"])
def test_township_staff_are_refused_and_nothing_is_recorded(county, persona):
    with pytest.raises(PermissionDenied):
        sensitive_view_record(
            retiree=county.retiree_a1, field="id_number", by=county.staff_by_role()[persona]
        )

    assert views() == []


def test_a_retiree_outside_the_scope_is_404_before_the_role_is_asked(county):
    with pytest.raises(Http404):
        sensitive_view_record(retiree=county.retiree_b1, field="id_number", by=county.officer_a)

    assert views() == []


def test_no_current_account_is_a_clear_error_and_nothing_is_recorded(county):
    with pytest.raises(SensitiveViewError) as refused:
        sensitive_view_record(retiree=county.retiree_a2, field="account_number", by=county.clerk)

    assert (refused.value.field, refused.value.message) == ("field", "尚未登记发放账户,没有可显示的账号。")
    assert views() == []


def test_an_unknown_field_is_refused_and_nothing_is_recorded(county):
    with pytest.raises(SensitiveViewError) as refused:
        sensitive_view_record(retiree=county.retiree_a1, field="phone", by=county.clerk)

    assert refused.value.message == "只能查看完整的身份证号码或银行账号,没有“phone”这一项。"
    assert views() == []


# The page's reveal button -----------------------------------------------------------------------------------


def reveal_url(retiree, field):
    return reverse("retiree-reveal", args=[retiree.pk, field])


def test_the_reveal_url_is_the_agreed_one(county):
    assert reveal_url(county.retiree_a1, "id_number") == f"/retirees/{county.retiree_a1.pk}/reveal/id_number/"


def test_the_clerk_reveals_the_id_number_in_place(client, county):
    client.force_login(county.clerk)

    response = client.post(reveal_url(county.retiree_a1, "id_number"), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert county.retiree_a1.id_number in response.content.decode()
    assert "已记录查看" in response.content.decode()
    assert [(row[0], row[2]) for row in views()] == [("clerk", "id_number")]


def test_the_auditor_reveals_the_current_account_number(client, accounts):
    client.force_login(accounts.auditor)

    response = client.post(reveal_url(accounts.retiree_a1, "account_number"), HTTP_HX_REQUEST="true")

    content = response.content.decode()
    assert response.status_code == 200
    assert CURRENT_ACCOUNT in content
    assert OLD_ACCOUNT not in content
    assert [(row[0], row[2]) for row in views()] == [("auditor", "account_number")]


def test_the_reveal_is_refused_to_township_staff_with_403(client, county):
    client.force_login(county.officer_a)

    response = client.post(reveal_url(county.retiree_a1, "id_number"))

    assert response.status_code == 403
    assert county.retiree_a1.id_number not in response.content.decode()
    assert views() == []


def test_another_townships_retiree_is_404_and_nothing_is_recorded(client, county):
    client.force_login(county.officer_a)

    response = client.post(reveal_url(county.retiree_b1, "id_number"))

    assert response.status_code == 404
    assert county.retiree_b1.id_number not in response.content.decode()
    assert views() == []


def test_the_reveal_is_a_post_only(client, county):
    client.force_login(county.clerk)

    response = client.get(reveal_url(county.retiree_a1, "id_number"))

    assert response.status_code == 405
    assert views() == []


def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_is_recorded(client, county):
    response = client.post(reveal_url(county.retiree_a1, "id_number"))

    assert response.status_code == 302
    assert views() == []


def test_a_missing_account_shows_the_message_in_place(client, county):
    client.force_login(county.clerk)

    swapped = client.post(reveal_url(county.retiree_a2, "account_number"), HTTP_HX_REQUEST="true")
    plain = client.post(reveal_url(county.retiree_a2, "account_number"))

    assert (swapped.status_code, plain.status_code) == (200, 400)
    assert "尚未登记发放账户,没有可显示的账号。" in swapped.content.decode()
    assert views() == []


def test_the_reveal_checks_the_csrf_token(county):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(county.clerk)

    response = client.post(reveal_url(county.retiree_a1, "id_number"))

    assert response.status_code == 403
    assert views() == []


# The API ----------------------------------------------------------------------------------------------------


def api_for(staff):
    client = APIClient()
    client.force_login(staff)
    return client


def api_url(retiree):
    return f"/api/retirees/{retiree.pk}/reveal/"


def test_the_api_reveals_the_account_and_records_it(accounts):
    with time_machine.travel(NOW, tick=False):
        response = api_for(accounts.reviewer).post(
            api_url(accounts.retiree_a1), {"field": "account_number"}, format="json"
        )

    assert (response.status_code, response.json()) == (
        200,
        {"field": "account_number", "value": CURRENT_ACCOUNT},
    )
    assert views() == [("reviewer", accounts.retiree_a1.pk, "account_number", NOW)]


def test_the_api_refuses_township_staff_with_403(county):
    response = api_for(county.officer_a).post(
        api_url(county.retiree_a1), {"field": "id_number"}, format="json"
    )

    assert response.status_code == 403
    assert views() == []


def test_the_api_answers_404_outside_the_scope(county):
    response = api_for(county.officer_a).post(
        api_url(county.retiree_b1), {"field": "id_number"}, format="json"
    )

    assert (response.status_code, response.json()) == (404, {"detail": "未找到。"})
    assert views() == []


def test_the_api_names_a_bad_field(county):
    response = api_for(county.clerk).post(api_url(county.retiree_a1), {"field": "phone"}, format="json")

    assert (response.status_code, response.json()) == (
        400,
        {"field": ["只能查看身份证号码或银行账号,没有“phone”这一项。"]},
    )
    assert views() == []


def test_the_api_says_when_there_is_no_account(county):
    response = api_for(county.clerk).post(
        api_url(county.retiree_a2), {"field": "account_number"}, format="json"
    )

    assert (response.status_code, response.json()) == (
        400,
        {"field": ["尚未登记发放账户,没有可显示的账号。"]},
    )
    assert views() == []
