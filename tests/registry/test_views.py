"""The registry's browser pages: who sees what, the list's filters, the record page, sign-in."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry.models import Bank, Retiree
from registry.months import PensionMonth
from registry.services import retiree_change_status, retiree_search_keys_rebuild
from tests.conftest import PASSWORD, County
from tests.factories import (
    BankAccountFactory,
    BankFactory,
    PensionRateFactory,
    RetireeFactory,
    StaffFactory,
    make_id_number,
)

ALL = {"retiree_a1", "retiree_a2", "retiree_b1"}
SCOPE = {
    "admin": ALL,
    "clerk": ALL,
    "reviewer": ALL,
    "auditor": ALL,
    "officer_a": {"retiree_a1", "retiree_a2"},
    "officer_b": {"retiree_b1"},
    "station_a1": {"retiree_a1"},
}


def names_on(response) -> set[str]:
    """Which of the three fixture retirees appear on the page."""
    content = response.content.decode()
    return {name for name in ("张建国", "李秀兰", "王德胜") if name in content}


def names_of(county: County, keys: set[str]) -> set[str]:
    return {getattr(county, key).name for key in keys}


def list_page(client, **params):
    return client.get(reverse("retiree-list"), params)


# --- sign-in ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url_name", ["home", "retiree-list"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse(url_name)}"


def test_anonymous_visitors_asking_for_a_record_are_sent_to_the_login_page(client, county):
    url = reverse("retiree-detail", args=[county.retiree_a1.pk])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={url}"


def test_the_login_page_names_the_system_and_the_county(client, county):
    response = client.get(reverse("login"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "企业退休人员社会化管理服务系统" in content
    assert "示范县社保局" in content


def test_a_wrong_password_shows_a_chinese_error_and_signs_nobody_in(client, county):
    response = client.post(reverse("login"), {"username": "clerk", "password": "wrong-password"})

    assert response.status_code == 200
    assert "用户名或密码不正确,请重新输入(密码区分大小写)。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_right_password_signs_in_and_goes_home(client, county):
    response = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(county.clerk.pk)


def test_five_wrong_passwords_lock_the_account_with_a_chinese_message(client, county):
    for _ in range(4):
        response = client.post(reverse("login"), {"username": "clerk", "password": "wrong-password"})
        assert response.status_code == 200

    locked = client.post(reverse("login"), {"username": "clerk", "password": "wrong-password"})
    after = client.post(reverse("login"), {"username": "clerk", "password": PASSWORD})

    assert locked.status_code == 429
    assert "账户已被暂时锁定" in locked.content.decode()
    assert "请 30 分钟后再试" in locked.content.decode()
    assert after.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_ends_the_session(client, county):
    client.force_login(county.clerk)

    refused = client.get(reverse("logout"))
    response = client.post(reverse("logout"))

    assert refused.status_code == 405
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


# --- the list: scope -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(SCOPE))
def test_each_role_lists_exactly_the_retirees_of_its_scope(client, county, persona):
    client.force_login(county.staff_by_role()[persona])

    response = list_page(client)

    assert response.status_code == 200
    assert names_on(response) == names_of(county, SCOPE[persona])
    assert response.context["page"].count == len(SCOPE[persona])


def test_the_list_shows_the_masked_id_number_only(client, county):
    client.force_login(county.clerk)

    content = list_page(client).content.decode()

    assert county.retiree_a1.masked_id_number in content
    assert county.retiree_a1.id_number not in content


def test_a_township_outside_the_scope_in_the_url_widens_nothing(client, county):
    client.force_login(county.officer_a)

    response = list_page(client, township=county.township_b.pk)

    assert names_on(response) == {"张建国", "李秀兰"}


def test_township_staff_see_only_their_own_township_in_the_filter(client, county):
    client.force_login(county.officer_a)

    response = list_page(client)

    assert list(response.context["form"].fields["township"].queryset) == [county.township_a]
    assert response.context["show_township_filter"] is False


# --- the list: filters and search ------------------------------------------------------------------------


def test_the_status_filter_narrows_the_list(client, county):
    retiree_change_status(
        retiree=county.retiree_a2,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2026, 8, 1),
        reason="未认证",
        by=county.clerk,
    )
    client.force_login(county.clerk)

    suspended = list_page(client, status="suspended")
    active = list_page(client, status="active")

    assert names_on(suspended) == {"李秀兰"}
    assert names_on(active) == {"张建国", "王德胜"}


def test_the_township_filter_narrows_the_list(client, county):
    client.force_login(county.clerk)

    assert names_on(list_page(client, township=county.township_a.pk)) == {"张建国", "李秀兰"}
    assert names_on(list_page(client, township=county.township_b.pk)) == {"王德胜"}


def test_the_bank_filter_narrows_the_list_by_the_current_account(client, county):
    psbc = BankFactory()
    ccb = BankFactory(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY)
    BankAccountFactory(retiree=county.retiree_a1, bank=psbc)
    BankAccountFactory(
        retiree=county.retiree_a2, bank=psbc, is_current=False, valid_until=datetime.date(2022, 1, 1)
    )
    BankAccountFactory(retiree=county.retiree_a2, bank=ccb, valid_from=datetime.date(2022, 1, 2))
    client.force_login(county.clerk)

    assert names_on(list_page(client, bank=psbc.pk)) == {"张建国"}
    assert names_on(list_page(client, bank=ccb.pk)) == {"李秀兰"}


def test_searching_by_an_id_prefix_finds_the_retirees_born_that_day(client, county):
    RetireeFactory(
        name="赵国庆", id_number=make_id_number(datetime.date(1949, 10, 1)), community=county.community_b1
    )
    client.force_login(county.clerk)

    response = list_page(client, q="36072119491001")

    assert names_on(response) == set()
    assert "赵国庆" in response.content.decode()
    assert response.context["page"].count == 1


def test_searching_by_a_name_prefix(client, county):
    retiree_search_keys_rebuild()
    client.force_login(county.clerk)

    assert names_on(list_page(client, q="张")) == {"张建国"}
    assert names_on(list_page(client, q="李秀")) == {"李秀兰"}


def test_searching_by_a_certificate_number(client, county):
    Retiree.objects.filter(pk=county.retiree_a2.pk).update(certificate_number="JX2018000123")
    client.force_login(county.clerk)

    assert names_on(list_page(client, q="JX2018000123")) == {"李秀兰"}


def test_searching_by_a_current_account_number(client, county):
    BankAccountFactory(retiree=county.retiree_b1, account_number="6221880012345678")
    client.force_login(county.clerk)

    assert names_on(list_page(client, q="6221880012345678")) == {"王德胜"}


def test_a_search_never_reaches_outside_the_scope(client, county):
    retiree_search_keys_rebuild()
    client.force_login(county.officer_b)

    response = client.get(reverse("retiree-list"), {"q": "张建国"}, headers={"HX-Request": "true"})

    assert names_on(response) == set()
    assert response.context["page"].retirees == []
    assert "没有找到符合条件的退休人员" in response.content.decode()


def test_the_list_is_paginated(client, county, settings):
    settings.RETIREE_LIST_PAGE_SIZE = 2
    client.force_login(county.clerk)

    first = list_page(client)
    second = list_page(client, page=2)

    ordered = sorted([county.retiree_a1, county.retiree_a2, county.retiree_b1], key=lambda r: r.id_number)
    assert names_on(first) == {r.name for r in ordered[:2]}
    assert names_on(second) == {ordered[2].name}
    assert "page=2" in first.content.decode()
    assert "上一页" in second.content.decode()
    assert (first.context["page"].has_next, second.context["page"].has_next) == (True, False)


def test_the_community_filter_narrows_and_follows_the_township(client, county):
    client.force_login(county.clerk)

    assert names_on(list_page(client, community=county.community_a2.pk)) == {"李秀兰"}
    response = client.get(
        reverse("retiree-list"), {"township": county.township_b.pk}, headers={"HX-Request": "true"}
    )
    # The fragment swaps in the community select, now holding township B's communities only.
    content = response.content.decode()
    assert 'id="community-select" hx-swap-oob="true"' in content
    assert list(response.context["form"].fields["community"].queryset) == [county.community_b1]


def test_a_community_of_another_township_is_ignored_for_its_officer(client, county):
    client.force_login(county.officer_a)

    assert names_on(list_page(client, community=county.community_b1.pk)) == {"张建国", "李秀兰"}


def test_the_residence_filter_narrows_the_list(client, county):
    Retiree.objects.filter(pk=county.retiree_b1.pk).update(residence="remote", remote_address="深圳市宝安区")
    client.force_login(county.clerk)

    assert names_on(list_page(client, residence="remote")) == {"王德胜"}
    assert names_on(list_page(client, residence="local")) == {"张建国", "李秀兰"}


def test_a_broad_list_shows_a_capped_count_and_next_previous_only(client, county, settings, monkeypatch):
    from registry.selectors import retirees as retirees_module

    monkeypatch.setattr(retirees_module, "COUNT_CAP", 2)
    settings.RETIREE_LIST_PAGE_SIZE = 1
    client.force_login(county.clerk)

    content = list_page(client, page=2).content.decode()

    assert "超过 2 人" in content
    assert "上一页" in content and "下一页" in content
    assert "最后一页" not in content


def test_the_results_carry_an_export_link_with_the_same_filters(client, county):
    client.force_login(county.clerk)

    content = list_page(client, q="3607", status="active", page=1).content.decode()

    assert f'href="{reverse("retiree-export")}?q=3607&amp;status=active"' in content


def test_an_htmx_request_gets_only_the_results_fragment(client, county):
    retiree_search_keys_rebuild()
    client.force_login(county.officer_a)

    response = client.get(reverse("retiree-list"), {"q": "张"}, headers={"HX-Request": "true"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    assert 'id="retiree-filter"' not in content
    assert names_on(response) == {"张建国"}
    assert "HX-Request" in response["Vary"]


def test_a_plain_request_gets_the_whole_page_with_the_htmx_filter_form(client, county):
    client.force_login(county.officer_a)

    content = list_page(client).content.decode()

    assert "<html" in content
    assert 'hx-get="/retirees/"' in content
    assert 'hx-target="#retiree-results"' in content
    assert 'hx-push-url="true"' in content


def test_an_htmx_history_restore_gets_the_whole_page(client, county):
    client.force_login(county.officer_a)

    response = client.get(
        reverse("retiree-list"), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()


def test_the_list_shows_bank_and_newest_amount_with_exact_decimals(client, county):
    BankAccountFactory(retiree=county.retiree_a1, bank=BankFactory())
    PensionRateFactory(
        retiree=county.retiree_a1, amount=Decimal("2650.00"), effective_month=PensionMonth(2018, 4)
    )
    PensionRateFactory(
        retiree=county.retiree_a1,
        amount=Decimal("1234567.89"),
        effective_month=PensionMonth(2026, 1),
        reason="annual_adjustment",
    )
    client.force_login(county.officer_a)

    content = list_page(client).content.decode()

    assert "¥1,234,567.89" in content
    assert "¥2,650.00" not in content
    assert "中国邮政储蓄银行" in content


def test_the_list_costs_the_same_number_of_queries_for_3_or_30_retirees(
    client, county, django_assert_max_num_queries
):
    def add_paid_retirees(count: int) -> None:
        bank = BankFactory()
        for _ in range(count):
            retiree = RetireeFactory(community=county.community_a1)
            BankAccountFactory(retiree=retiree, bank=bank)
            PensionRateFactory(retiree=retiree)

    client.force_login(county.officer_a)
    with CaptureQueriesContext(connection) as few:
        list_page(client)
    add_paid_retirees(27)

    with django_assert_max_num_queries(len(few)), CaptureQueriesContext(connection) as many:
        response = list_page(client)

    assert response.context["page"].count == 29
    assert len(many) == len(few)


# --- the record ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", sorted(SCOPE))
@pytest.mark.parametrize("retiree", sorted(ALL))
def test_a_record_opens_in_scope_and_is_404_outside(client, county, persona, retiree):
    client.force_login(county.staff_by_role()[persona])
    target = getattr(county, retiree)

    response = client.get(reverse("retiree-detail", args=[target.pk]))

    if retiree in SCOPE[persona]:
        assert response.status_code == 200
        assert target.masked_id_number in response.content.decode()
        assert target.id_number not in response.content.decode()
    else:
        assert response.status_code == 404
        assert target.name not in response.content.decode()
        assert "找不到您要访问的页面或记录" in response.content.decode()


def test_an_unknown_record_is_404(client, county):
    client.force_login(county.clerk)

    response = client.get(reverse("retiree-detail", args=[county.retiree_b1.pk + 1000]))

    assert response.status_code == 404


def test_the_record_shows_identity_bank_history_rates_and_status_changes(client, county):
    retiree = county.retiree_a1
    Retiree.objects.filter(pk=retiree.pk).update(
        certificate_number="JX2018000001", phone="13907970001", address="城关镇东街12号"
    )
    psbc = BankFactory()
    ccb = BankFactory(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY)
    BankAccountFactory(
        retiree=retiree,
        bank=psbc,
        account_number="6221000000000001",
        is_current=False,
        valid_until=datetime.date(2021, 12, 31),
    )
    BankAccountFactory(
        retiree=retiree, bank=ccb, account_number="6217000000000002", valid_from=datetime.date(2022, 1, 1)
    )
    PensionRateFactory(retiree=retiree, amount=Decimal("2650.00"), effective_month=PensionMonth(2018, 4))
    PensionRateFactory(
        retiree=retiree,
        amount=Decimal("2781.35"),
        effective_month=PensionMonth(2026, 1),
        reason="annual_adjustment",
        note="2026年调待",
        created_by=county.clerk,
    )
    retiree_change_status(
        retiree=retiree,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2026, 8, 1),
        reason="未参加2026年度资格认证",
        by=county.clerk,
    )
    client.force_login(county.officer_a)

    response = client.get(reverse("retiree-detail", args=[retiree.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert retiree.masked_id_number in content
    assert "JX2018000001" in content
    assert "13907970001" in content
    assert "城关镇东街12号" in content
    # Account numbers are masked (the record page's own tests cover showing them in full).
    assert "6217********0002" in content  # current account
    assert "6221********0001" in content  # history
    assert "银行代发" in content
    assert response.context["current_rate"].amount == Decimal("2781.35")
    assert '<div class="record-amount" id="current-amount">¥2,781.35</div>' in content
    assert "¥2,650.00" in content
    assert "2026-01" in content
    assert "年度调待" in content
    assert "2026年调待" in content
    assert "未参加2026年度资格认证" in content
    assert "暂停发放" in content


def test_a_remote_resident_shows_where_they_live(client, county):
    Retiree.objects.filter(pk=county.retiree_b1.pk).update(
        residence=Retiree.Residence.REMOTE,
        remote_province="广东省",
        remote_city="深圳市",
        remote_address="南山区某路1号",
    )
    client.force_login(county.officer_b)

    content = client.get(reverse("retiree-detail", args=[county.retiree_b1.pk])).content.decode()

    assert "异地居住" in content
    assert "广东省深圳市 南山区某路1号" in content


# --- the home page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "panel"),
    [
        ("admin", "panel-admin"),
        ("clerk", "panel-clerk"),
        ("reviewer", "panel-reviewer"),
        ("auditor", "panel-auditor"),
        ("officer_a", "panel-township"),
        ("station_a1", "panel-township"),
    ],
)
def test_the_home_page_shows_the_panel_of_the_role_and_only_that(client, county, persona, panel):
    client.force_login(county.staff_by_role()[persona])

    response = client.get(reverse("home"))

    content = response.content.decode()
    assert response.status_code == 200
    panels = {"panel-admin", "panel-clerk", "panel-reviewer", "panel-auditor", "panel-township"}
    assert {p for p in panels if f'id="{p}"' in content} == {panel}


@pytest.mark.parametrize("persona", sorted(SCOPE))
def test_the_home_page_counts_the_scope_of_the_user(client, county, persona):
    client.force_login(county.staff_by_role()[persona])

    response = client.get(reverse("home"))

    assert response.context["total"] == len(SCOPE[persona])
    assert response.context["status_counts"][0] == ("active", "正常发放", len(SCOPE[persona]))


def test_county_staff_see_every_township_in_the_table(client, county):
    client.force_login(county.reviewer)

    content = client.get(reverse("home")).content.decode()

    assert f'href="/retirees/?township={county.township_a.pk}"' in content
    assert f'href="/retirees/?township={county.township_b.pk}"' in content


def test_township_staff_see_their_township_and_its_communities_only(client, county):
    client.force_login(county.officer_a)

    response = client.get(reverse("home"))

    content = response.content.decode()
    assert [row["township"] for row in response.context["township_rows"]] == [county.township_a]
    assert f'href="/retirees/?township={county.township_b.pk}"' not in content
    assert [(unit.name, unit.total) for unit in response.context["community_rows"]] == [
        ("东街社区", 1),
        ("西街社区", 1),
    ]
    assert "梅林村" not in content


def test_the_reviewer_panel_is_the_approvals_inbox(client, county):
    # Nothing waits: the panel says so, and no longer promises a payout module "to come" (it exists).
    client.force_login(county.reviewer)

    content = client.get(reverse("home")).content.decode()

    assert 'id="panel-reviewer"' in content and "待我审批" in content
    assert "目前没有等待您审批的事项。" in content
    assert "上线后" not in content and 'id="home-approvals-count"' not in content


def test_only_the_admin_gets_the_settings_links(client, county):
    client.force_login(county.admin)
    admin_page = client.get(reverse("home")).content.decode()
    client.force_login(county.clerk)
    clerk_page = client.get(reverse("home")).content.decode()

    assert 'href="/admin/"' in admin_page
    assert 'href="/api/docs/"' in admin_page
    assert 'href="/admin/"' not in clerk_page
    assert 'href="/api/docs/"' not in clerk_page
    assert 'href="/retirees/"' in clerk_page


@pytest.mark.parametrize("unit", ["none", "county"])
def test_a_staff_member_without_a_role_or_unit_sees_nothing(client, county, unit):
    nobody = StaffFactory(
        username="nobody",
        role="" if unit == "county" else "bureau_clerk",
        org_unit=getattr(county, unit, None),
    )
    client.force_login(nobody)

    home = client.get(reverse("home"))
    listing = list_page(client)
    record = client.get(reverse("retiree-detail", args=[county.retiree_a1.pk]))

    assert home.status_code == 200
    assert 'id="no-role-notice"' in home.content.decode()
    assert "total" not in home.context
    assert names_on(home) == set()
    assert 'href="/retirees/"' not in home.content.decode()
    assert listing.status_code == 403
    assert "您没有权限访问此页面" in listing.content.decode()
    assert record.status_code == 403
    assert names_on(record) == set()


def test_the_server_error_page_renders_without_a_request():
    # Django renders 500.html with an empty context: the page must not need the user or a context processor.
    content = render_to_string("500.html")

    assert "系统出现错误" in content
    assert "企业退休人员社会化管理服务系统" in content
