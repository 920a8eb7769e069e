"""The plan page on a common office screen (1366 × 768): the totals are not clipped, townships come in the
unit tree's order, and a refused funding keeps its dialog open with the error and what was typed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from pensions.models import Funding, PayoutPlan
from tests.browser.session import sign_in
from tests.conftest import County
from tests.pensions.conftest import banks, enrol  # noqa: F401  # the payout fixtures, shared
from tests.pensions.payout_flow import BANK_TOTALS, approved_plan, enrol_month, set_profiles

pytestmark = pytest.mark.browser


@pytest.fixture
def small_screen(browser: Browser):
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1366, "height": 768}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def approved(county: County, enrol, banks) -> PayoutPlan:  # noqa: F811
    # 梅林镇 is numbered before 城关镇, against the Unicode order of their names.
    county.township_a.sort_order, county.township_b.sort_order = 2, 1
    county.township_a.save(update_fields=["sort_order"])
    county.township_b.save(update_fields=["sort_order"])
    enrol_month(county, enrol)
    set_profiles(banks)
    return approved_plan(county)


def _overflow(page: Page, table_id: str) -> int:
    """How many pixels of the table its scrolling box hides (0: all of it is visible)."""
    script = "id => { const box = document.getElementById(id).parentElement;"
    script += " return box.scrollWidth - box.clientWidth; }"
    return int(page.evaluate(script, table_id))


def test_totals_fit_at_1366_and_townships_follow_the_unit_order(
    live_server, county: County, approved: PayoutPlan, small_screen: Page, screenshots
):
    page = small_screen
    sign_in(page, live_server.url, "reviewer")
    page.goto(f"{live_server.url}/pensions/plans/{approved.pk}/")
    expect(page.locator("#bank-totals")).to_be_visible()
    page.screenshot(path=str(screenshots / "plan-1366.png"), full_page=True)
    # Seven money columns of a county's totals need about 680 px: at 1366 px each table gets the full width
    # (side by side they had 661 px and 实发 was cut off).
    bank_box = page.locator("#bank-totals").bounding_box()
    assert bank_box is not None and bank_box["width"] > 1200
    assert _overflow(page, "bank-totals") == 0
    assert _overflow(page, "township-totals") == 0
    net_header = page.locator("#bank-totals thead th").last
    expect(net_header).to_have_text("实发")
    expect(net_header).to_be_in_viewport()
    names = page.locator("#township-totals tbody tr td:first-child").all_inner_texts()
    assert names == ["梅林镇", "城关镇"]


def test_a_refused_funding_keeps_the_dialog_open_with_the_error_and_the_typed_values(
    live_server,
    county: County,
    approved: PayoutPlan,
    banks,  # noqa: F811
    small_screen: Page,
):
    page = small_screen
    sign_in(page, live_server.url, "reviewer")
    page.goto(f"{live_server.url}/pensions/plans/{approved.pk}/")
    psbc = banks["psbc"]
    page.locator(f'#funding-table tr[data-bank="{psbc.code}"]').get_by_role("button", name="登记拨付").click()
    dialog = page.locator(f"#funding-modal-{psbc.pk}")
    expect(dialog).to_be_visible()
    wrong = BANK_TOTALS["psbc"] - Decimal("0.01")
    dialog.get_by_label("拨付金额(元)").fill(str(wrong))
    dialog.get_by_label("拨付凭证号").fill("CZ2026-117")
    dialog.get_by_role("button", name="确认已拨付").click()

    # The page comes back (400) with the dialog open again, the refusal inside it and the typed values kept.
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-funding-error]")).to_contain_text("拨付金额 ¥7,660.64 与 中国邮政储蓄银行")
    expect(dialog.get_by_label("拨付金额(元)")).to_have_value(str(wrong))
    expect(dialog.get_by_label("拨付凭证号")).to_have_value("CZ2026-117")
    assert Funding.objects.count() == 0
    approved.refresh_from_db()
    assert approved.status == PayoutPlan.Status.APPROVED
