"""The admin enters a year's adjustment parameters in the browser: opens 年度调待 from the menu, starts a new
year (the form prefilled with January and 31 December before), types a band out of order, sees the refusal
with what was typed, corrects it, sees the components on the hub, and copies them to the next year through
the confirmation dialog."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from pensions.models import AdjustmentParameters
from registry.months import PensionMonth
from tests.browser.session import sign_in
from tests.browser.test_csp import watch_for_violations
from tests.conftest import County

pytestmark = pytest.mark.browser


def test_the_admin_enters_the_years_parameters_and_copies_them(
    live_server, county: County, page: Page, screenshots: Path
) -> None:
    year = timezone.localdate().year
    violations = watch_for_violations(page)
    sign_in(page, live_server.url, "admin")
    page.locator("#nav-adjustments").click()
    expect(page.get_by_role("heading", name="年度调待")).to_be_visible()
    expect(page.locator("#adjustment-years")).to_contain_text("还没有录入任何年度的调待参数。")
    page.locator("#new-year").click()

    form = page.locator("#parameters-form")
    expect(form.get_by_label("调整起始月份", exact=True)).to_have_value(f"{year}-01")
    expect(form.get_by_label("退休时间截止日", exact=True)).to_have_value(f"{year - 1}-12-31")
    expect(form.get_by_label("暂停发放人员参加调整", exact=True)).to_be_checked()
    form.get_by_label("文件依据", exact=True).fill("省人社厅 省财政厅 调整通知")
    form.get_by_label("定额调整(元/月)", exact=True).fill("50.00")
    form.get_by_label("挂钩调整:按本人基本养老金的百分比(%)", exact=True).fill("1.5")
    form.get_by_label("年限上限(年) 1", exact=True).fill("20")
    form.get_by_label("每年金额(元) 1", exact=True).fill("1.00")
    form.get_by_label("年限上限(年) 2", exact=True).fill("15")
    form.get_by_label("每年金额(元) 2", exact=True).fill("1.50")
    form.get_by_label("年龄(周岁) 1", exact=True).fill("70")
    form.get_by_label("金额(元/月) 1", exact=True).first.fill("20.00")
    page.locator("#parameters-save").click()

    expect(page.locator("#parameters-error")).to_have_text("缴费年限分段的上限应逐段增加。")
    form = page.locator("#parameters-form")
    expect(form.get_by_label("定额调整(元/月)", exact=True)).to_have_value("50.00")
    assert not AdjustmentParameters.objects.exists()
    page.screenshot(path=str(screenshots / "adjustment-parameters-refused.png"), full_page=True)

    form.get_by_label("年限上限(年) 1", exact=True).fill("15")
    form.get_by_label("年限上限(年) 2", exact=True).fill("")
    page.locator("#parameters-save").click()

    expect(page.locator(".alert-success")).to_contain_text(f"已保存 {year} 年度调待参数。")
    expect(page.locator('[data-component="years"]')).to_have_text(
        "15 年及以下每年 ¥1.00;15 年以上的部分每年 ¥1.50"
    )
    saved = AdjustmentParameters.objects.get(year=year)
    assert (saved.flat_amount, saved.effective_month) == (Decimal("50.00"), PensionMonth(year, 1))
    page.screenshot(path=str(screenshots / "adjustment-parameters.png"), full_page=True)

    page.locator("#nav-adjustments").click()
    row = page.locator(f'#adjustment-years tr[data-year="{year}"]')
    expect(row.locator("[data-col=status]")).to_have_text("未试算")
    expect(row.locator("[data-col=components]")).to_contain_text("本人基本养老金的 1.5%")
    page.screenshot(path=str(screenshots / "adjustment-list.png"), full_page=True)
    page.locator("#copy-open").click()
    dialog = page.locator("#copy-modal")
    expect(dialog).to_contain_text(f"将 {year} 年的调待参数复制为 {year + 1} 年的第一版")
    dialog.locator("#copy-confirm").click()

    expect(page.get_by_role("heading", name=f"{year + 1} 年度调待参数")).to_be_visible()
    expect(page.locator("#parameters-form").get_by_label("调整起始月份", exact=True)).to_have_value(
        f"{year + 1}-01"
    )
    assert AdjustmentParameters.objects.filter(year=year + 1).count() == 1
    assert violations == []
