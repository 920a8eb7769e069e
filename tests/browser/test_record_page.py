"""A clerk on a record page: tabs, showing a masked number in full (recorded), and the audit tab."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from registry.models import SensitiveView
from tests.conftest import PASSWORD, County
from tests.factories import BankAccountFactory, BankFactory

pytestmark = pytest.mark.browser


def test_the_clerk_shows_a_number_in_full_and_finds_the_viewing_in_the_audit_tab(
    live_server, county: County, page: Page, screenshots
):
    retiree = county.retiree_a1
    BankAccountFactory(retiree=retiree, bank=BankFactory(), account_number="6221000000000022")

    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("用户名").fill("clerk")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    # Masked until asked; the button posts with the CSRF token from the page (htmx) and swaps the number in.
    id_number = page.locator("#id-number")
    expect(id_number).to_contain_text(retiree.masked_id_number)
    id_number.get_by_role("button", name="显示").click()
    expect(page.locator("#pane-identity")).to_contain_text(retiree.id_number)
    expect(page.locator("#pane-identity")).to_contain_text("已记录查看")
    assert list(SensitiveView.objects.values_list("staff__username", "field")) == [("clerk", "id_number")]

    page.get_by_role("tab", name="银行账户").click()
    expect(page.locator("#account-number")).to_contain_text("6221********0022")
    page.locator("#account-number").get_by_role("button", name="显示").click()
    expect(page.locator("#pane-bank")).to_contain_text("6221000000000022")
    assert SensitiveView.objects.count() == 2
    page.screenshot(path=screenshots / "record_bank_tab.png", full_page=True)

    # The audit tab loads when it is opened.
    page.get_by_role("tab", name="操作记录").click()
    audit = page.locator("#audit-table")
    expect(audit).to_be_visible()
    expect(audit).to_contain_text("查看完整号码")
    expect(audit).to_contain_text("银行账号")
    expect(audit).to_contain_text("系统")
    expect(audit).not_to_contain_text(retiree.id_number)
    page.screenshot(path=screenshots / "record_audit_tab.png", full_page=True)
