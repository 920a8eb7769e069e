"""A long list export in the browser with a real Celery worker: the retiree list's export goes to 我的导出,
which shows it being made and then offers the file, downloaded by the clerk who asked."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from registry.models import ExportJob
from registry.services import retiree_search_keys_rebuild
from tests.browser.session import sign_in
from tests.conftest import County

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_a_long_list_is_made_in_the_background_and_then_downloaded(
    live_server, county: County, worker: object, page: Page, screenshots: Path, settings, tmp_path: Path
):
    settings.EXPORT_INLINE_MAX_ROWS = 2  # the county's three people make a long list
    settings.MEDIA_ROOT = tmp_path
    retiree_search_keys_rebuild()
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/retirees/")

    page.locator("#retiree-export").click()

    # 我的导出: the export's row, busy until the worker has made the file, then the download button.
    expect(page).to_have_url(re.compile(r"/exports/\?job=\d+"))
    expect(page.get_by_role("alert").filter(has_text="名单较长,正在后台生成")).to_be_visible()
    job = ExportJob.objects.get()
    row = page.locator(f"#export-job-{job.pk}")
    expect(row).to_contain_text("退休人员名单")
    download_button = row.locator("a.export-download")
    expect(download_button).to_be_visible(timeout=30_000)
    expect(row).to_contain_text("已完成")
    page.screenshot(path=str(screenshots / "background-export-done.png"), full_page=True)

    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("退休人员名单-") and download.suggested_filename.endswith(
        ".xlsx"
    )
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    names = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == sorted([county.retiree_a1.name, county.retiree_a2.name, county.retiree_b1.name])
