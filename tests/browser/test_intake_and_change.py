"""A clerk registers a newly retired person and prints the benefit certificate; the clerk then asks to
correct the name, a reviewer approves, and the record shows the new name.

Time is not frozen here (the live server runs in its own thread), so dates are taken relative to today.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from registry.models import ArrearsItem, ChangeRequest, ManagementFeeReceipt, Retiree
from tests.browser.session import sign_in, sign_out
from tests.conftest import County
from tests.factories import BankFactory, make_id_number
from tests.pdfs import pdf_text

pytestmark = pytest.mark.browser

# The smallest well-formed PDF a scanner could send: the change request's document.
SCANNED_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def test_intake_certificate_and_an_approved_name_change(
    live_server, county: County, page: Page, screenshots, tmp_path
):
    BankFactory(code="PSBC", name="中国邮政储蓄银行")
    today = timezone.localdate()
    # Retired about four months ago: the months already past come back as arrears on the confirmation.
    retired_on = (today.replace(day=1) - datetime.timedelta(days=100)).replace(day=15)
    id_number = make_id_number(datetime.date(retired_on.year - 60, 5, 8))

    # --- The clerk registers the person. ---
    sign_in(page, live_server.url, "clerk")
    page.get_by_role("navigation").get_by_role("link", name="新增登记").click()
    # The form's fields are found by id: their labels carry a required-field star.
    page.locator("#id_name").fill("王晓明")
    page.locator("#id_id_number").fill(id_number)
    # Choosing the township reloads the community select (htmx): pick the community from the new one.
    with page.expect_response(re.compile(r"/retirees/new/communities/")):
        page.locator("#id_township").select_option(label="城关镇")
    expect(page.locator("#id_community_id option", has_text="梅林村")).to_have_count(0)
    page.locator("#id_community_id").select_option(label="东街社区")
    page.locator("#id_employer_name").fill("示范县第二机械厂")
    page.locator("#id_retirement_date").fill(retired_on.isoformat())
    page.locator("#id_initial_amount").fill("3126.50")
    page.locator("#id_bank_id").select_option(label="中国邮政储蓄银行")
    page.locator("#id_account_number").fill("6221880012345678")
    page.locator("#id_fee_receipt_number").fill("TG2026-0931")
    page.locator("#id_fee_paid_on").fill(today.isoformat())
    page.get_by_role("button", name="核对并预览").click()

    # Nothing is written until the clerk has seen the money it will create and confirmed it.
    confirmation = page.locator("#intake-confirm")
    expect(confirmation).to_be_visible()
    expect(page.locator("#intake-arrears")).to_contain_text("3,126.50")
    assert not Retiree.objects.filter(id_number=id_number).exists()
    page.screenshot(path=screenshots / "intake_confirm.png", full_page=True)
    page.locator("#intake-confirm-button").click()

    expect(page.get_by_role("heading", name=re.compile("王晓明"))).to_be_visible()
    retiree = Retiree.objects.get(id_number=id_number)
    assert retiree.certificate_number
    assert ManagementFeeReceipt.objects.filter(retiree=retiree, receipt_number="TG2026-0931").exists()
    assert ArrearsItem.objects.filter(retiree=retiree, reason="intake").exists()

    # The certificate the clerk hands over: a one-page A5 PDF with the name and certificate number.
    certificate_href = page.get_by_role("link", name=re.compile("打印待遇证")).first.get_attribute("href")
    assert certificate_href is not None
    certificate = page.request.get(live_server.url + certificate_href)
    assert certificate.status == 200
    assert certificate.headers["content-type"] == "application/pdf"
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(certificate.body())
    text = pdf_text(pdf)
    assert "王晓明" in text
    assert retiree.certificate_number in text

    # --- The clerk asks to correct the name (a homophone typed at the counter). ---
    page.locator("#pane-identity").get_by_role("link", name="申请变更姓名").click()
    page.get_by_label("新姓名").fill("王小明")
    page.get_by_label("变更原因").fill("登记时同音字录错,以身份证为准")
    scan: FilePayload = {"name": "身份证扫描件.pdf", "mimeType": "application/pdf", "buffer": SCANNED_PDF}
    page.get_by_label("证明材料扫描件").set_input_files(files=[scan])
    page.get_by_role("button", name="提交审核").click()
    expect(page.locator("body")).to_contain_text("等待他人审核")
    change = ChangeRequest.objects.get(retiree=retiree, field="name")
    assert change.status == ChangeRequest.Status.PENDING
    retiree.refresh_from_db()
    assert retiree.name == "王晓明"  # a request alone changes nothing
    sign_out(page)

    # --- A reviewer approves it. ---
    sign_in(page, live_server.url, "reviewer")
    page.get_by_role("navigation").get_by_role("link", name=re.compile("信息变更审核")).click()
    page.locator("tr", has_text="王晓明").get_by_role("link", name=str(change.pk), exact=True).click()
    page.get_by_label("审核意见").fill("与身份证一致,同意")
    page.get_by_role("button", name="批准").click()
    expect(page.locator("body")).to_contain_text("已批准")

    # --- The new name is what the record and the search show now. ---
    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")
    expect(page.get_by_role("heading", name=re.compile("王小明"))).to_be_visible()
    page.get_by_role("tab", name="变更申请").click()
    expect(page.locator("#pane-changes")).to_contain_text("王晓明")
    expect(page.locator("#pane-changes")).to_contain_text("已批准")
    page.goto(f"{live_server.url}/retirees/?q=wangxiaoming")
    expect(page.locator("#retiree-results")).to_contain_text("王小明")
    page.screenshot(path=screenshots / "after_name_change.png", full_page=True)
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (ChangeRequest.Status.APPROVED, county.reviewer)
