"""A write-off as two people do it: the clerk asks on the recovery's page (申请核销, a dialog with the
reason), the reviewer finds it in the approvals inbox, opens the recovery in one click and approves it in the
dialog that shows the balance; the recovery is written off and the inbox is empty again."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pensions.models import RecoveryWriteOff, WriteOffRequest
from registry.models import Recovery
from tests.browser.session import sign_in, sign_out
from tests.conftest import County
from tests.pensions.conftest import recovery

pytestmark = pytest.mark.browser


def test_the_clerk_asks_and_the_reviewer_approves_a_write_off(
    live_server, county: County, page: Page, screenshots: Path
):
    owed = recovery(county.retiree_a1, "300.00", county.clerk)
    detail = f"{live_server.url}/pensions/recoveries/{owed.pk}/"
    title = "张建国 追回项核销 · 申请时余额 ¥300.00"

    # --- The clerk asks, in the dialog, with the reason. ---
    sign_in(page, live_server.url, "clerk")
    page.goto(detail)
    page.get_by_role("button", name="申请核销").click()
    dialog = page.locator(f"#write-off-modal-{owed.pk}")
    expect(dialog).to_be_visible()
    dialog.get_by_label("核销原因").fill("本人已故,无遗产可供追回")
    dialog.get_by_role("button", name="提交核销申请").click()
    expect(page.locator("#write-off-requests [data-status='pending']")).to_contain_text(
        "本人已故,无遗产可供追回"
    )
    expect(page.get_by_role("button", name="申请核销")).to_have_count(0)
    page.screenshot(path=screenshots / "write_off_1_requested.png", full_page=True)
    sign_out(page)

    # --- The reviewer: one item in the inbox, one click to the recovery, approved in the dialog. ---
    sign_in(page, live_server.url, "reviewer")
    expect(page.locator("#nav-approvals-count")).to_have_text("1")
    page.locator("#nav-approvals").click()
    page.get_by_role("link", name=title).click()
    expect(page).to_have_url(re.compile(rf"/pensions/recoveries/{owed.pk}/"))
    page.get_by_role("button", name="批准核销").click()
    dialog = page.locator(f"#write-off-approve-modal-{owed.pk}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("¥300.00")
    page.screenshot(path=screenshots / "write_off_2_approve.png", full_page=True)
    dialog.get_by_role("button", name="确认核销").click()
    expect(page.locator("#recovery-status")).to_have_text("已核销")
    expect(page.locator("#recovery-balance")).to_contain_text("0.00")
    expect(page.locator("#nav-approvals-count")).to_have_count(0)

    owed.refresh_from_db()
    assert owed.status == Recovery.Status.WRITTEN_OFF
    asked = WriteOffRequest.objects.get(recovery=owed)
    assert (asked.status, asked.requested_by, asked.decided_by) == ("approved", county.clerk, county.reviewer)
    write_off = RecoveryWriteOff.objects.get(recovery=owed)
    assert (write_off.amount, write_off.by, write_off.request) == (Decimal("300.00"), county.reviewer, asked)
