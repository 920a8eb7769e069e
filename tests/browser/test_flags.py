"""A clerk sets and removes a county flag on the record page in a real browser (htmx, the confirmation, CSP),
and imports a file through the preview."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from registry.models import RetireeFlag
from registry.services.flags import flag_kind_create
from tests.browser.session import sign_in
from tests.conftest import County

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_the_clerk_sets_and_removes_a_flag_on_the_record_page(
    live_server, county: County, page: Page, screenshots
):
    flag_kind_create(code="senior_title", name="高级职称", by=county.admin)
    retiree = county.retiree_a1
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")

    page.get_by_role("tab", name="人员标记").click()
    expect(page.locator("#flags-none")).to_be_visible()
    page.locator("#flag-add-form select").select_option(label="高级职称")
    page.locator("#flag-add-form input[name=note]").fill("职称证书编号 A2023-0456")
    page.get_by_role("button", name="设置标记").click()
    expect(page.locator("#flags-done")).to_contain_text("已设置标记“高级职称”。")
    expect(page.locator("#flags-current")).to_contain_text("职称证书编号 A2023-0456")
    page.screenshot(path=screenshots / "record_flags_tab.png", full_page=True)

    page.locator(".flag-remove-form input[name=note]").fill("证书核查不实")
    page.once("dialog", lambda dialog: dialog.dismiss())  # "cancel" keeps the form unsent
    page.get_by_role("button", name="取消标记").click()
    assert RetireeFlag.objects.get().removed_at is None
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="取消标记").click()
    expect(page.locator("#flags-done")).to_contain_text("已取消标记“高级职称”。")
    expect(page.locator("#flags-history")).to_contain_text("证书核查不实")
    assert RetireeFlag.objects.get().removed_by == county.clerk


def test_the_clerk_imports_a_file_through_the_preview(
    live_server, county: County, page: Page, screenshots, tmp_path
):
    flag_kind_create(code="hardship", name="艰苦边远地区", by=county.admin)
    upload = tmp_path / "flags.csv"
    upload.write_bytes(
        f"身份证号码,标记,说明\r\n{county.retiree_a1.id_number},hardship,县人社局认定\r\n"
        f"{county.retiree_a2.id_number},艰苦边远地区,\r\n".encode("gbk")
    )
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/flags/import/")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="上传并校验").click()
    expect(page.locator('[data-count="add"]')).to_have_text("2")
    page.screenshot(path=screenshots / "flag_import_preview.png", full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("body")).to_contain_text("已添加 2 个标记,跳过 0 行。")
    expect(page.locator('.flag-kind[data-code="hardship"] .flag-holders')).to_have_text("2")
    page.screenshot(path=screenshots / "flag_kinds.png", full_page=True)
    assert RetireeFlag.objects.filter(removed_at__isnull=True).count() == 2
