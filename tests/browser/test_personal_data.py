"""A clerk takes the retiree list with full numbers through the purpose dialog; the auditor finds the download
in the county-wide audit log, masked."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from registry.models import SensitiveExport
from tests.browser.session import sign_in, sign_out
from tests.conftest import County

pytestmark = pytest.mark.browser


def test_a_full_export_needs_a_purpose_and_the_auditor_sees_it(
    live_server, county: County, page: Page, screenshots
):
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/retirees/?township={county.township_a.pk}")

    # The plain link stays masked; the dialog asks why before anything full leaves.
    page.locator("#retiree-full-export-open").click()
    dialog = page.locator("#retiree-full-export")
    expect(dialog).to_be_visible()
    dialog.get_by_label("用途", exact=True).select_option("data_correction")
    page.screenshot(path=screenshots / "full_export_dialog.png")
    with page.expect_download() as download_info:
        dialog.get_by_role("button", name="导出", exact=True).click()
    content = download_info.value.path().read_bytes()
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    ids = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert ids == {county.retiree_a1.id_number, county.retiree_a2.id_number}
    [record] = SensitiveExport.objects.all()
    assert (record.staff, record.person_count, record.purpose) == (county.clerk, 2, "data_correction")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    sign_out(page)

    sign_in(page, live_server.url, "auditor")
    page.locator("#nav-audit-log").click()
    page.get_by_label("类别").select_option("sensitive_export")
    page.get_by_role("button", name="筛选").click()
    table = page.locator("#audit-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("导出完整号码")
    expect(table).to_contain_text("退休人员名单")
    expect(table).to_contain_text("用途:核对更正人员信息")
    page.screenshot(path=screenshots / "audit_log.png", full_page=True)
