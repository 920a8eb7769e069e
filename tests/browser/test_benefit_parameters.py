"""The admin sets the funeral allowance of this year on the claim parameters page in the browser: opens the
page from the user menu, types an amount with three decimals, sees the dialog come back with the error and
what was typed, corrects it, and sees the value in the table and the history."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from benefits.models import BenefitParameter
from benefits.selectors.parameters import parameter_in_force
from tests.browser.session import sign_in
from tests.browser.test_csp import watch_for_violations
from tests.conftest import County

pytestmark = pytest.mark.browser


def test_the_admin_sets_the_funeral_allowance(
    live_server, county: County, page: Page, screenshots: Path
) -> None:
    year = timezone.localdate().year
    # The dialog reopened after a refusal is opened by static/js/modal-reopen.js: nothing inline.
    violations = watch_for_violations(page)
    sign_in(page, live_server.url, "admin")
    page.locator("#user-menu").click()
    page.locator("#nav-benefit-parameters").click()
    expect(page.get_by_role("heading", name="丧葬抚恤参数")).to_be_visible()

    row = page.locator(f'#parameter-table tr[data-year="{year}"]')
    expect(row.locator("[data-col=funeral_allowance]")).to_contain_text("未设置")
    row.locator("[data-col=funeral_allowance] button").click()
    dialog = page.locator(f"#dialog-funeral_allowance-{year}")
    expect(dialog).to_be_visible()
    dialog.get_by_label("新数值").fill("5000.123")
    dialog.get_by_role("button", name="保存").click()

    # Refused: the page comes back with the same dialog open, the error and what was typed.
    dialog = page.locator(f"#dialog-funeral_allowance-{year}")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".invalid-feedback")).to_have_text("金额只能精确到分(小数点后最多两位)。")
    expect(dialog.get_by_label("新数值")).to_have_value("5000.123")
    assert not BenefitParameter.objects.exists()

    dialog.get_by_label("新数值").fill("5000")
    dialog.get_by_label("依据或说明").fill("县人社局通知")
    dialog.get_by_role("button", name="保存").click()

    expect(page.locator(".alert-success")).to_contain_text(f"已将 {year} 年的丧葬补助金标准设为 ¥5,000.00。")
    row = page.locator(f'#parameter-table tr[data-year="{year}"]')
    expect(row.locator("[data-col=funeral_allowance]")).to_contain_text("¥5,000.00")
    history = page.locator(f'#parameter-history tr[data-year="{year}"][data-kind="funeral_allowance"]')
    expect(history).to_have_count(1)
    expect(history).to_contain_text("县人社局通知")
    in_force = parameter_in_force(kind=BenefitParameter.Kind.FUNERAL_ALLOWANCE, year=year)
    assert in_force is not None
    assert (in_force.value, in_force.set_by) == (Decimal("5000.00"), county.admin)
    page.screenshot(path=str(screenshots / "benefit-parameters.png"), full_page=True)
    assert violations == []
