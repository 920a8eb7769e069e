"""An after-death recovery followed up on its page, as the clerk does it: a family member pays 1,000.00 at the
counter (the receipt opens from the refund's row), the bank is asked for the rest in a dialog (the letter and
the account list are offered on the request's row), the bank's return of 3,000.00 is recorded in a dialog, the
case is referred for legal action; the history shows each step and the aging list shows what is left."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pensions.models import RecoveryClawback, RecoveryReferral
from pensions.selectors import recovery_balance
from registry.models import Bank
from tests.browser.session import sign_in
from tests.conftest import County
from tests.factories import BankAccountFactory, BankFactory, PensionRateFactory, RetireeFactory
from tests.pensions.after_death_flow import paid_after_death
from tests.pensions.conftest import M

pytestmark = pytest.mark.browser


def test_the_clerk_follows_up_an_after_death_recovery(
    live_server, county: County, page: Page, screenshots: Path
):
    psbc = BankFactory.create(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT)
    retiree = RetireeFactory.create(name="周德明", community=county.community_a1)
    PensionRateFactory.create(retiree=retiree, effective_month=M(2025, 10), amount=Decimal("2800.00"))
    BankAccountFactory.create(retiree=retiree, bank=psbc)
    owed = paid_after_death(county, retiree)
    today = timezone.localdate().isoformat()

    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/recoveries/{owed.pk}/")
    expect(page.locator("#recovery-months [data-month]")).to_have_count(2)
    expect(page.locator("#recovery-balance")).to_contain_text("5,600.00")

    # The refund at the counter, with who paid.
    page.get_by_role("button", name="登记退款").first.click()
    dialog = page.locator(f"#refund-modal-{owed.pk}")
    dialog.get_by_label("退款金额(元)").fill("1000.00")
    dialog.get_by_label("收款凭证号").fill("SJ-2026-118")
    dialog.get_by_label("退款日期").fill(today)
    dialog.get_by_label("缴款人(本人退回可不填)").fill("周小梅")
    dialog.get_by_role("button", name="确认登记退款").click()
    expect(page.locator("#recovery-balance")).to_contain_text("4,600.00")
    expect(page.locator("#recovery-refunds [data-action='receipt']")).to_have_count(1)

    # The bank is asked for the rest; the letter and the list are on the request's row.
    page.get_by_role("button", name="请银行退回").click()
    dialog = page.locator(f"#clawback-modal-{owed.pk}")
    expect(dialog).to_contain_text("4,600.00")
    dialog.get_by_role("button", name="生成退回请求").click()
    row = page.locator("#recovery-clawbacks [data-status='requested']")
    expect(row).to_contain_text("4,600.00")
    expect(row.get_by_role("link", name="退回函")).to_be_visible()
    clawback = RecoveryClawback.objects.get(recovery=owed)

    # The bank returns 3,000.00.
    row.get_by_role("button", name="登记结果").click()
    dialog = page.locator(f"#clawback-result-modal-{clawback.pk}")
    dialog.get_by_label("退回金额(元)").fill("3000.00")
    dialog.get_by_label("退回日期").fill(today)
    dialog.get_by_label("退回凭证号").fill("YC-1208-07")
    dialog.get_by_role("button", name="确认登记").click()
    expect(page.locator("#recovery-balance")).to_contain_text("1,600.00")
    expect(page.locator("#recovery-clawbacks [data-status='returned']")).to_contain_text("3,000.00")

    # Referred for legal action.
    page.locator("#recovery-referral").get_by_role("button", name="移送司法").click()
    dialog = page.locator(f"#referral-modal-{owed.pk}")
    dialog.get_by_label("移送机关").fill("某县人民法院")
    dialog.get_by_label("移送日期").fill(today)
    dialog.get_by_role("button", name="确认移送").click()
    expect(page.locator("#referral-status")).to_have_text("已移送")
    page.screenshot(path=screenshots / "recovery_follow_up_1_history.png", full_page=True)

    assert recovery_balance(recovery=owed) == Decimal("1600.00")
    assert RecoveryReferral.objects.get(recovery=owed).agency == "某县人民法院"

    page.goto(f"{live_server.url}/pensions/recoveries/aging/?reason=after_death")
    expect(page.locator("#aging-total")).to_contain_text("1,600.00")
    page.screenshot(path=screenshots / "recovery_follow_up_2_aging.png", full_page=True)
