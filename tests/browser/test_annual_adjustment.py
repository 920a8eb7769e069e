"""The year's adjustment walked through by the people who do it, with a real Celery worker: the admin enters
2026's parameters; the clerk runs the dry run, sees the chart and the exception and submits it; the reviewer
finds it in the approvals inbox and approves it; the clerk applies it; the July plan pays the new amounts
with January–June's rise as arrears; the clerk makes township A's notices and downloads the PDF."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from pensions.models import AdjustmentRun, PayoutLine, PayoutPlan
from registry.formats import yuan
from tests.browser.session import sign_in, sign_out
from tests.browser.test_csp import watch_for_violations
from tests.conftest import County
from tests.factories import BankFactory
from tests.pensions.adjustment_flow import first_half_paid, make_people

pytestmark = [pytest.mark.browser, pytest.mark.worker]
# A (3000.00 → +117.50) and B (2865.50 → +127.98) of tests/pensions/test_adjustment.py, in township A.
A_NEW, A_ARREARS = Decimal("3117.50"), Decimal("705.00")
B_NEW, B_ARREARS = Decimal("2993.48"), Decimal("767.88")


def status_is(page: Page, status: str) -> None:
    expect(page.locator("#run-status [data-status]")).to_have_attribute("data-status", status, timeout=60_000)


@pytest.mark.django_db(transaction=True)
def test_the_year_from_parameters_to_notices(
    live_server: Any,
    county: County,
    worker: Any,
    page: Page,
    screenshots: Path,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    people = make_people(county, BankFactory.create(code="PSBC", name="中国邮政储蓄银行"))
    first_half_paid(county, people)
    violations = watch_for_violations(page)

    # --- The admin enters the year's parameters. ---
    sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/pensions/adjustments/2026/parameters/")
    form = page.locator("#parameters-form")
    form.get_by_label("文件依据", exact=True).fill("省人社厅 省财政厅 关于2026年调整退休人员基本养老金的通知")
    form.get_by_label("定额调整(元/月)", exact=True).fill("50.00")
    form.get_by_label("挂钩调整:按本人基本养老金的百分比(%)", exact=True).fill("1.5")
    form.get_by_label("年限上限(年) 1", exact=True).fill("15")
    form.get_by_label("每年金额(元) 1", exact=True).fill("1.00")
    form.get_by_label("每年金额(元) 2", exact=True).fill("1.50")
    for row, (age, amount) in enumerate((("70", "20.00"), ("75", "30.00"), ("80", "50.00")), start=1):
        form.get_by_label(f"年龄(周岁) {row}", exact=True).fill(age)
        form.get_by_label(f"金额(元/月) {row}", exact=True).first.fill(amount)
    page.locator("#parameters-save").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存 2026 年度调待参数。")
    sign_out(page)

    # --- The clerk runs the dry run: progress, then the figures, the chart and the exception. ---
    sign_in(page, live_server.url, "clerk")
    page.locator("#nav-adjustments").click()
    page.locator('#adjustment-years tr[data-year="2026"] a').first.click()
    expect(page.locator("#parameters-summary")).to_be_visible()
    page.locator("#start-open").click()
    page.locator("#start-confirm").click()
    expect(page).to_have_url(re.compile(r"/pensions/adjustments/runs/\d+/"))
    status_is(page, "computed")
    run = AdjustmentRun.objects.get(year=2026)
    figures = page.locator("#run-figures")
    expect(figures).to_contain_text(yuan(Decimal("927.33")))
    expect(figures).to_contain_text(yuan(Decimal("5307.98")))
    expect(page.locator('canvas[data-chart="adjustment-histogram"]')).to_be_visible()
    # Chart.js drew on the canvas: it sets the canvas's size from its box.
    expect(page.locator('canvas[data-chart="adjustment-histogram"]')).to_have_attribute(
        "width", re.compile(r"\d+")
    )
    expect(page.locator("#exceptions-table")).to_contain_text("戊无年限")
    expect(page.locator("#exceptions-table")).to_contain_text("没有缴费月数")
    page.screenshot(path=str(screenshots / "adjustment-walk-1-dry-run.png"), full_page=True)
    page.locator("#submit-open").click()
    page.locator("#submit-confirm").click()
    status_is(page, "submitted")
    expect(page.locator("#awaiting-reviewer")).to_be_visible()
    sign_out(page)

    # --- The reviewer finds it waiting in the inbox and approves it. ---
    sign_in(page, live_server.url, "reviewer")
    page.locator("#nav-approvals").click()
    item = page.locator(".inbox-item").filter(has_text="年度调待")
    expect(item).to_have_count(1)
    item.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/pensions/adjustments/(runs/{run.pk}|2026)/"))
    if "/runs/" not in page.url:
        page.locator(f'a[href$="/runs/{run.pk}/"]').first.click()
    page.locator("#approve-open").click()
    page.locator("#approve-confirm").click()
    status_is(page, "approved")
    sign_out(page)

    # --- The clerk applies it: the dialog shows what it writes; the worker writes it in one transaction. ---
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/adjustments/runs/{run.pk}/")
    page.locator("#apply-open").click()
    expect(page.locator("#apply-summary")).to_contain_text(yuan(Decimal("5307.98")))
    page.locator("#apply-confirm").click()
    status_is(page, "applied")
    expect(page.locator("#applied-result")).to_contain_text("40")
    page.screenshot(path=str(screenshots / "adjustment-walk-2-applied.png"), full_page=True)

    # --- The July plan: the new amounts, and January–June's rise released as arrears. ---
    page.locator("#nav-payout-plans").click()
    page.locator("#draft-form input[name=month]").fill("2026-07")
    page.locator("#draft-button").click()
    expect(page).to_have_url(re.compile(r"/pensions/plans/\d+/"), timeout=30_000)
    july = PayoutPlan.objects.get(month=202607)
    lines = {line.retiree_id: line for line in PayoutLine.objects.filter(plan=july)}
    assert (lines[people.a.pk].regular, lines[people.a.pk].arrears) == (A_NEW, A_ARREARS)
    assert (lines[people.b.pk].regular, lines[people.b.pk].arrears) == (B_NEW, B_ARREARS)
    expect(page.locator("body")).to_contain_text(yuan(A_ARREARS))
    page.screenshot(path=str(screenshots / "adjustment-walk-3-july.png"), full_page=True)

    # --- The notices of township A, made by the worker and downloaded. ---
    page.goto(f"{live_server.url}/pensions/adjustments/runs/{run.pk}/")
    page.locator("#notices-link").click()
    page.locator(f"#notices-start-{county.township_a.pk}").click()
    download_link = page.locator(f"#notice-download-{county.township_a.pk}")
    expect(download_link).to_be_visible(timeout=90_000)
    with page.expect_download() as waiting:
        download_link.click()
    download = waiting.value
    saved = screenshots / "adjustment-walk-notices.pdf"  # for a person to look at
    download.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    page.screenshot(path=str(screenshots / "adjustment-walk-4-notices.png"), full_page=True)
    assert violations == []
