"""The retiree list in the browser: a column header sorts, a filter keeps the sort, the jump box goes to a
page and the count says which page of how many."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from registry.services import retiree_search_keys_rebuild
from tests.browser.session import sign_in
from tests.conftest import County

pytestmark = pytest.mark.browser


def test_sort_filter_and_jump_keep_each_other(live_server, county: County, page: Page, settings):
    settings.RETIREE_LIST_PAGE_SIZE = 1
    retiree_search_keys_rebuild()
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/retirees/")
    expect(page.locator("#page-of-pages")).to_have_text("第 1 页 / 共 3 页")

    # 姓名 in pinyin order: 李秀兰 (li), 王德胜 (wang), 张建国 (zhang).
    page.locator('th[data-sort="name"] a').click()
    expect(page).to_have_url(re.compile(r"sort=name"))
    expect(page.locator(".retiree-table tbody td").first).to_have_text("李秀兰")

    # A filter keeps the sort (the results swapped the hidden sort input into the form).
    page.select_option("#id_status", "active")
    expect(page).to_have_url(re.compile(r"sort=name.*status=active|status=active.*sort=name"))

    page.locator("#page-jump-number").fill("3")
    page.locator("#page-jump").get_by_role("button", name="跳转").click()
    expect(page.locator("#page-of-pages")).to_have_text("第 3 页 / 共 3 页")
    expect(page.locator(".retiree-table tbody td").first).to_have_text("张建国")

    # Again on the header: descending.
    page.locator('th[data-sort="name"] a').click()
    expect(page.locator('th[data-sort="name"]')).to_have_attribute("aria-sort", "descending")
    expect(page.locator(".retiree-table tbody td").first).to_have_text("张建国")
    expect(page.locator("#page-of-pages")).to_have_text("第 1 页 / 共 3 页")
