"""A death from the township to the record: the township A officer reports it, the clerk registers it from the
report, the reviewer confirms it after seeing the money it recovers, and the record page's death tab shows the
death and the recovery."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from benefits.models import DeathRegistration
from registry.models import Recovery, Retiree
from tests.benefits.deaths_flow import NOV, OCT, RATE, SEP, approve_month
from tests.browser.session import sign_in, sign_out
from tests.conftest import County
from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]
pytestmark = pytest.mark.browser


def test_a_reported_death_is_registered_confirmed_and_shown_on_the_record(
    live_server, county: County, enrol, page: Page, screenshots, settings
):
    settings.PAYOUT_FIRST_MONTH = "2026-09"
    retiree = enrol(rates=((SEP.plus(-60), RATE),), name="周德海")
    enrol(rates=((SEP.plus(-60), "2650.00"),), name="吴长青")
    for month in (SEP, OCT, NOV):
        approve_month(county, month)

    # The township A officer reports the death from the record page
    sign_in(page, live_server.url, "officer_a")
    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")
    page.locator("#life-events").click()
    page.locator("#death-report-link").click()
    page.get_by_label("死亡日期").fill("2026-09-20")
    page.get_by_label("报告人", exact=True).fill("王大妈")
    page.get_by_label("与死者关系").fill("邻居")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#death-report-submit").click()
    expect(page).to_have_url(re.compile(r"/deaths/reported/$"))
    expect(page.locator("#my-reports")).to_contain_text("周德海")
    expect(page.locator("#my-reports")).to_contain_text("乡镇已报告")
    sign_out(page)

    # The clerk registers it from the report
    report = DeathRegistration.objects.get()
    sign_in(page, live_server.url, "clerk")
    page.locator("#nav-deaths-menu").click()
    page.locator("#nav-deaths").click()
    page.locator("#death-table").get_by_role("link", name=str(report.pk), exact=True).click()
    page.locator("#record-report").click()
    expect(page.get_by_label("报告人", exact=True)).to_have_value("王大妈")
    page.locator("#death-record-submit").click()
    expect(page.locator("#awaiting-other")).to_be_visible()
    sign_out(page)

    # The reviewer sees the money before confirming, then confirms
    sign_in(page, live_server.url, "reviewer")
    page.goto(f"{live_server.url}/deaths/{report.pk}/")
    expect(page.locator("#money-preview")).to_contain_text("2026-10")
    expect(page.locator("#money-preview")).to_contain_text("¥5,600.00")
    page.locator("#confirm-open").click()
    dialog = page.locator("#confirm-modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-recovered")).to_contain_text("2026-11")
    expect(dialog.locator("#confirm-recovered")).to_contain_text("¥5,600.00")
    page.screenshot(path=screenshots / "death_confirm.png", full_page=True)
    dialog.locator("#confirm-submit").click()
    expect(page.locator("h1 [data-status]")).to_have_text("已确认")
    expect(page.locator("#settlement-recovered")).to_contain_text("¥5,600.00")

    # The record page's death tab shows the death and the recovery
    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")
    page.get_by_role("tab", name="死亡登记").click()
    tab = page.locator("#death-tab")
    expect(tab).to_contain_text("2026-09-20")
    expect(tab).to_contain_text("已确认")
    expect(tab.locator(".death-recovery")).to_contain_text("¥5,600.00")
    page.screenshot(path=screenshots / "death_tab.png", full_page=True)

    assert Retiree.objects.get(pk=retiree.pk).status == "deceased"
    assert Recovery.objects.get().amount == 5600
