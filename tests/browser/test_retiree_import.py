"""A bulk import in the browser with a real Celery worker: the clerk uploads the old system's file, the
worker checks it, the clerk confirms, the worker imports it and then writes the people's search keys, and the
page follows each step without a reload until the imported people are found by name."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from registry.models import ImportBatch
from tests.browser.session import sign_in
from tests.conftest import County
from tests.factories import make_id_number
from tests.registry.import_files import banks_fixture, good_row, xlsx_bytes  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.worker]


def test_upload_check_confirm_import_then_found_by_name(
    live_server,
    county: County,
    banks,
    worker: object,
    page: Page,
    screenshots: Path,
    settings,
    tmp_path: Path,
):
    settings.MEDIA_ROOT = tmp_path
    number = make_id_number(datetime.date(1955, 6, 1))
    rows = [good_row(姓名="邝秀梅", 身份证号码=number, 性别=""), good_row(姓名="钱秀英", 月养老金="abc")]
    upload = tmp_path / "旧系统导出.xlsx"
    upload.write_bytes(xlsx_bytes(rows))
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/imports/")

    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="上传并校验").click()

    # The dry run: the page polls until the worker has checked every row.
    expect(page).to_have_url(re.compile(r"/imports/\d+/"))
    confirm = page.locator("#confirm-import")
    expect(confirm).to_contain_text("确认导入 1 条合格记录", timeout=30_000)
    expect(page.locator("#import-batch")).to_contain_text("月养老金“abc”不是数字")

    # Confirmed (the browser's own dialog asks first), imported, then the names indexed by the same job.
    page.once("dialog", lambda dialog: dialog.accept())
    confirm.click()
    batch_box = page.locator("#import-batch")
    expect(batch_box).to_contain_text("已导入 1 名退休人员", timeout=30_000)
    expect(page.locator("#import-names-pending")).to_have_count(0, timeout=30_000)
    page.screenshot(path=str(screenshots / "retiree-import-done.png"), full_page=True)
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.imported_rows) == (ImportBatch.Status.IMPORTED, 1)
    assert batch.names_indexed_at is not None

    # Found by name and by pinyin in the retiree list, with the ID masked.
    for query in ("邝秀梅", "kuangxiumei"):
        page.goto(f"{live_server.url}/retirees/?q={query}")
        table = page.locator("table")
        expect(table).to_contain_text("邝秀梅")
        expect(table).not_to_contain_text(number)
