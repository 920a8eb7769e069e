"""The reviewer's day starts at the approvals inbox: the home page shows the waiting plan and change request,
the inbox opens each in one click, and each approval takes it off the list and off the menu badge.

Time is not frozen (the live server runs in its own thread): the plan is for the current month.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pensions.models import PayoutPlan
from pensions.services import plan_draft, plan_submit
from registry.models import ChangeRequest
from registry.months import PensionMonth
from tests.browser.session import sign_in
from tests.conftest import County
from tests.factories import BankAccountFactory, BankFactory, PensionRateFactory
from tests.registry.test_change_services import request_change

pytestmark = pytest.mark.browser


def test_the_reviewer_works_through_the_inbox(
    live_server, county: County, page: Page, screenshots: Path, settings, tmp_path: Path
):
    settings.MEDIA_ROOT = tmp_path
    bank = BankFactory.create()
    for retiree in (county.retiree_a1, county.retiree_b1):
        PensionRateFactory.create(retiree=retiree, amount=Decimal("2650.00"))
        BankAccountFactory.create(retiree=retiree, bank=bank)
    month = PensionMonth.of(timezone.localdate())
    plan = plan_draft(month=month, by=county.clerk)
    plan_submit(plan=plan, by=county.clerk)
    change = request_change(county, "name", {"name": "张健国"})
    plan_title = f"{month} 发放计划 · 2 笔 · 实发 ¥5,300.00"
    change_title = "张建国 · 姓名变更"
    badge = page.locator("#nav-approvals-count")

    # --- The home page shows both, with the count on the menu. ---
    sign_in(page, live_server.url, "reviewer")
    card = page.locator("#panel-reviewer")
    expect(card).to_contain_text(plan_title)
    expect(card).to_contain_text(change_title)
    expect(card).not_to_contain_text("目前没有")
    expect(badge).to_have_text("2")
    page.screenshot(path=screenshots / "approvals_1_home.png", full_page=True)

    # --- The plan: one click from the inbox, approved in its dialog, gone from the list. ---
    page.locator("#nav-approvals").click()
    expect(page.get_by_role("heading", name="待我审批")).to_be_visible()
    expect(page.locator(".inbox-item")).to_have_count(2)
    page.screenshot(path=screenshots / "approvals_2_inbox.png", full_page=True)
    page.get_by_role("link", name=plan_title).click()
    expect(page).to_have_url(re.compile(rf"/pensions/plans/{plan.pk}/"))
    page.locator("#approve-open").click()
    page.locator("#approve-modal").get_by_role("button", name="确认审批").click()
    expect(page.locator("#plan-status [data-status]")).to_have_attribute("data-status", "approved")
    expect(badge).to_have_text("1")

    page.locator("#nav-approvals").click()
    expect(page.locator(".inbox-item")).to_have_count(1)
    expect(page.locator("#inbox-payout_plan")).to_contain_text("没有等待您审批的事项")

    # --- The change request: the same. ---
    page.get_by_role("link", name=change_title).click()
    expect(page).to_have_url(re.compile(rf"/changes/{change.pk}/"))
    page.get_by_label("审核意见").fill("与身份证一致,同意")
    page.get_by_role("button", name="批准").click()
    expect(page.locator("body")).to_contain_text("已批准")
    expect(badge).to_have_count(0)

    page.locator("#nav-approvals").click()
    expect(page.locator(".inbox-item")).to_have_count(0)
    expect(page.locator("#inbox-total")).to_have_text("共 0 项")
    page.goto(f"{live_server.url}/")
    expect(page.locator("#panel-reviewer")).to_contain_text("目前没有等待您审批的事项")
    page.screenshot(path=screenshots / "approvals_3_done.png", full_page=True)

    plan.refresh_from_db()
    change.refresh_from_db()
    assert (plan.status, plan.approved_by) == (PayoutPlan.Status.APPROVED, county.reviewer)
    assert (change.status, change.decided_by) == (ChangeRequest.Status.APPROVED, county.reviewer)
