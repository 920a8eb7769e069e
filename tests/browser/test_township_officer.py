"""A township A officer's day: sign in, find one of their retirees, open the record, and be refused
a township B record."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from registry.months import PensionMonth
from registry.services import retiree_search_keys_rebuild
from tests.conftest import PASSWORD, County
from tests.factories import BankAccountFactory, BankFactory, PensionRateFactory

pytestmark = pytest.mark.browser


def test_the_township_a_officer_finds_their_retiree_but_not_township_b_ones(
    live_server, county: County, page: Page, screenshots
):
    retiree = county.retiree_a1
    BankAccountFactory(retiree=retiree, bank=BankFactory(), account_number="6221000000000001")
    PensionRateFactory(retiree=retiree, amount=Decimal("2650.00"), effective_month=PensionMonth(2018, 4))
    PensionRateFactory(
        retiree=retiree,
        amount=Decimal("2781.35"),
        effective_month=PensionMonth(2026, 1),
        reason="annual_adjustment",
    )
    # Names are found through their search keys (docs/search.md); factories do not build them.
    retiree_search_keys_rebuild()

    # Sign in through the form (anonymous visitors land on the login page).
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    page.get_by_label("用户名").fill("officer_a")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name=re.compile("您好"))).to_be_visible()

    # Search by name: htmx swaps the results and puts the query in the address bar.
    page.get_by_role("navigation").get_by_role("link", name="退休人员", exact=True).click()
    results = page.locator("#retiree-results")
    expect(results).to_contain_text("李秀兰")
    page.get_by_role("searchbox").fill("张建")
    expect(results).not_to_contain_text("李秀兰")
    expect(results).to_contain_text("张建国")
    expect(results).to_contain_text("¥2,781.35")
    expect(page).to_have_url(re.compile(r"/retirees/\?q=%E5%BC%A0%E5%BB%BA"))
    page.screenshot(path=screenshots / "retiree_list.png", full_page=True)

    # The record shows the ID number masked (township staff cannot show it in full) and the current rate.
    results.get_by_role("link", name="张建国").click()
    expect(page.locator("#id-number")).to_have_text(retiree.masked_id_number)
    expect(page.locator("#id-number").get_by_role("button", name="显示")).to_have_count(0)
    expect(page.locator("#current-amount")).to_have_text("¥2,781.35")
    page.get_by_role("tab", name="养老金标准").click()
    expect(page.locator("#pane-rates")).to_contain_text("¥2,650.00")
    page.screenshot(path=screenshots / "retiree_detail.png", full_page=True)

    # A township B record is "not found", not "forbidden": its existence is not given away.
    response = page.goto(f"{live_server.url}/retirees/{county.retiree_b1.pk}/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="找不到您要访问的页面或记录")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(county.retiree_b1.name)
    page.screenshot(path=screenshots / "not_found.png", full_page=True)
