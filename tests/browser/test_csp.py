"""The Content-Security-Policy holds in a real browser: the main pages of every app load, draw and work
with no violation reported (an inline script, style or eval the policy blocks shows up as a console error)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import ConsoleMessage, Page, expect

from pensions.services.plans import plan_draft
from registry.months import PensionMonth
from registry.services import retiree_search_keys_rebuild
from tests.browser.session import sign_in
from tests.conftest import County
from tests.factories import PensionRateFactory

pytestmark = pytest.mark.browser


def watch_for_violations(page: Page) -> list[str]:
    """Every console error and page error that names the Content Security Policy, as it happens."""
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: violations.append(f"{page.url}: {error}"))
    return violations


def test_the_main_pages_of_every_app_run_under_the_policy(live_server, county: County, page: Page):
    for retiree in (county.retiree_a1, county.retiree_a2, county.retiree_b1):
        PensionRateFactory(retiree=retiree, amount=Decimal("2650.00"), effective_month=PensionMonth(2020, 1))
    retiree_search_keys_rebuild()
    today = timezone.localdate()
    plan = plan_draft(month=PensionMonth(today.year, today.month), by=county.clerk)
    violations = watch_for_violations(page)
    base = live_server.url

    sign_in(page, base, "clerk")
    # Home: the status chart is drawn by static/js/charts.js from the json_script figures.
    expect(page.locator("#status-chart")).to_have_attribute("data-drawn", "1")
    assert "script-src 'self'" in (page.request.get(f"{base}/").headers["content-security-policy"])

    # Retiree list: choosing a status filters through htmx (the select-change event from static/js/site.js).
    page.goto(f"{base}/retirees/")
    expect(page.locator("#retiree-results")).to_contain_text(county.retiree_b1.name)
    page.locator("#retiree-filter select[name=status]").select_option("suspended")
    expect(page).to_have_url(re.compile(r"status=suspended"))
    expect(page.locator("#retiree-results")).not_to_contain_text(county.retiree_b1.name)

    # Record page, its tabs and a number shown in full (an htmx post).
    page.goto(f"{base}/retirees/{county.retiree_a1.pk}/")
    page.locator("#id-number").get_by_role("button", name="显示").click()
    expect(page.locator("#pane-identity")).to_contain_text(county.retiree_a1.id_number)

    # Payout plans: the list and the plan.
    page.goto(f"{base}/pensions/plans/")
    expect(page.locator(f'main a[href="/pensions/plans/{plan.pk}/"]').first).to_be_visible()
    page.goto(f"{base}/pensions/plans/{plan.pk}/")
    expect(page.locator("main")).to_contain_text("2,650.00")

    # Certification: progress (chart and bars) and the entry screen with a scan looked up through htmx.
    page.goto(f"{base}/certification/progress/")
    expect(page.locator("#progress-chart")).to_have_attribute("data-drawn", "1")
    page.goto(f"{base}/certification/entry/")
    page.locator("#entry-scan input[name=id_number]").fill(county.retiree_a1.id_number)
    page.locator("#entry-scan input[name=id_number]").press("Enter")
    expect(page.locator("#entry-card")).to_contain_text(county.retiree_a1.name)

    assert violations == []


def test_swagger_ui_and_the_admin_site_run_under_the_policy(live_server, county: County, page: Page):
    violations = watch_for_violations(page)
    sign_in(page, live_server.url, "admin")

    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("企业退休人员社会化管理服务 API")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#site-name")).to_be_visible()

    assert violations == []
