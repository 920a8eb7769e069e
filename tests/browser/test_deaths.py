"""A death from the township to the family's payment, as the people do it (issue 10's walk): the township A
officer reports it, the clerk registers it from the report, the reviewer confirms it after seeing the money it
recovers; the clerk prepares the family's claim with the recovery set off, the reviewer approves it; the
month's one-off batch is submitted, approved, funded and exported, its bank file downloaded and the bank's
answer imported. The record page then shows the death, the recovery settled and the claim paid."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect

from benefits.models import BenefitParameter, DeathRegistration, SurvivorClaim
from benefits.services import benefit_parameter_set
from pensions.models import BankFile
from pensions.services import bank_file_profile_set
from registry.models import Recovery, Retiree
from tests.benefits.claim_flow import PDF
from tests.benefits.deaths_flow import NOV, OCT, RATE, SEP, approve_month
from tests.browser.session import sign_in, sign_out
from tests.conftest import County
from tests.factories import make_id_number
from tests.pensions.conftest import banks, enrol
from tests.pensions.payout_flow import bank_answer

__all__ = ["banks", "enrol"]
pytestmark = pytest.mark.browser
APPLICANT_ID = make_id_number(datetime.date(1975, 3, 8))


def test_a_reported_death_from_the_report_to_the_familys_payment(
    live_server, county: County, enrol, banks, page: Page, screenshots, settings
):
    settings.PAYOUT_FIRST_MONTH = "2026-09"
    # The admin's dated parameters (the parameters page has its own walk): 4,000.00 and N = 10 for deaths
    # in 2026, over the published 2025 average of 3,200.00.
    for kind, year, value, note in (
        (BenefitParameter.Kind.FUNERAL_ALLOWANCE, 2026, "4000.00", ""),
        (BenefitParameter.Kind.COMPENSATION_MONTHS, 2026, "10", ""),
        (BenefitParameter.Kind.PUBLISHED_AVERAGE, 2025, "3200.00", "某人社发〔2026〕1号"),
    ):
        benefit_parameter_set(kind=kind, year=year, value=Decimal(value), note=note, by=county.admin)
    bank_file_profile_set(bank=banks["psbc"], by=None, profile_code="psbc")
    retiree = enrol(rates=((SEP.plus(-60), RATE),), name="周德海")
    enrol(rates=((SEP.plus(-60), "2650.00"),), name="吴长青")
    for month in (SEP, OCT, NOV):
        approve_month(county, month)

    # The township A officer reports the death from the record page
    sign_in(page, live_server.url, "officer_a")
    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")
    page.locator("#life-events").click()
    page.locator("#death-report-link").click()
    page.get_by_label("死亡日期").fill("2026-09-20")
    page.get_by_label("报告人", exact=True).fill("王大妈")
    page.get_by_label("与死者关系").fill("邻居")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#death-report-submit").click()
    expect(page).to_have_url(re.compile(r"/deaths/reported/$"))
    expect(page.locator("#my-reports")).to_contain_text("周德海")
    expect(page.locator("#my-reports")).to_contain_text("乡镇已报告")
    sign_out(page)

    # The clerk registers it from the report
    report = DeathRegistration.objects.get()
    sign_in(page, live_server.url, "clerk")
    page.locator("#nav-deaths-menu").click()
    page.locator("#nav-deaths").click()
    page.locator("#death-table").get_by_role("link", name=str(report.pk), exact=True).click()
    page.locator("#record-report").click()
    expect(page.get_by_label("报告人", exact=True)).to_have_value("王大妈")
    page.locator("#death-record-submit").click()
    expect(page.locator("#awaiting-other")).to_be_visible()
    sign_out(page)

    # The reviewer sees the money before confirming, then confirms
    sign_in(page, live_server.url, "reviewer")
    page.goto(f"{live_server.url}/deaths/{report.pk}/")
    expect(page.locator("#money-preview")).to_contain_text("2026-10")
    expect(page.locator("#money-preview")).to_contain_text("¥5,600.00")
    page.locator("#confirm-open").click()
    dialog = page.locator("#confirm-modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#confirm-recovered")).to_contain_text("2026-11")
    expect(dialog.locator("#confirm-recovered")).to_contain_text("¥5,600.00")
    page.screenshot(path=screenshots / "death_confirm.png", full_page=True)
    dialog.locator("#confirm-submit").click()
    expect(page.locator("h1 [data-status]")).to_have_text("已确认")
    expect(page.locator("#settlement-recovered")).to_contain_text("¥5,600.00")

    # The record page's death tab shows the death and the recovery
    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")
    page.get_by_role("tab", name="死亡登记").click()
    tab = page.locator("#death-tab")
    expect(tab).to_contain_text("2026-09-20")
    expect(tab).to_contain_text("已确认")
    expect(tab.locator(".death-recovery")).to_contain_text("¥5,600.00")
    page.screenshot(path=screenshots / "death_tab.png", full_page=True)

    assert Retiree.objects.get(pk=retiree.pk).status == "deceased"
    assert Recovery.objects.get().amount == 5600
    sign_out(page)
    page.on("dialog", lambda dialog: dialog.accept())

    # The clerk prepares the family's claim with the applicant's consent to the set-off, and submits it
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/deaths/{report.pk}/")
    page.locator("[data-action=claim-prepare]").click()
    page.get_by_label("申请人姓名").fill("周小海")
    page.get_by_label("与死者关系").fill("儿子")
    page.get_by_label("申请人身份证号码").fill(APPLICANT_ID)
    page.get_by_label("申请人电话").fill("13900000001")
    page.get_by_label("收款银行").select_option(label="中国邮政储蓄银行")
    page.get_by_label("收款账号").fill("6221880000009999")
    page.get_by_label("收款户名").fill("周小海")
    for label, name in (("申请人身份证复印件", "id.pdf"), ("亲属关系证明", "relation.pdf")):
        scan: FilePayload = {"name": name, "mimeType": "application/pdf", "buffer": PDF}
        page.get_by_label(label).set_input_files(files=[scan])
    page.get_by_label("同意抵扣记录").fill("申请人同意以死亡后多领的 10、11 月养老金抵扣,2026-12-05 签字")
    page.get_by_role("button", name="保存并计算").click()
    expect(page.locator("#average-used")).to_contain_text("¥3,200.00")
    expect(page.locator("#offset-amount")).to_contain_text("¥5,600.00")
    expect(page.locator("#claim-total")).to_have_text("¥30,400.00")
    page.locator("[data-action=claim-submit]").click()
    expect(page.locator("#claim-status")).to_have_text("待审批")
    claim = SurvivorClaim.objects.get()
    sign_out(page)

    # The reviewer approves it from the inbox; the payment joins this month's one-off batch
    sign_in(page, live_server.url, "reviewer")
    page.locator("#nav-approvals").click()
    page.locator(f"a[href='/deaths/claims/{claim.pk}/']").first.click()
    page.locator("[data-action=claim-approve]").click()
    page.locator("#claim-approve-modal").get_by_role("button", name="确认审批").click()
    expect(page.locator("#claim-status")).to_have_text("已审批")
    page.screenshot(path=screenshots / "death_claim_approved.png", full_page=True)
    claim.refresh_from_db()
    assert claim.payment is not None and claim.payment.amount == Decimal("30400.00")
    batch = claim.payment.batch
    assert Recovery.objects.get().status == Recovery.Status.SETTLED
    sign_out(page)

    # The batch: the clerk submits it, the reviewer approves it and records the transfer
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/one-off/{batch.pk}/")
    page.locator("#submit-open").click()
    page.locator("#submit-modal").get_by_role("button", name="确认提交").click()
    sign_out(page)
    sign_in(page, live_server.url, "reviewer")
    page.goto(f"{live_server.url}/pensions/one-off/{batch.pk}/")
    page.locator("#approve-open").click()
    page.locator("#approve-modal").get_by_role("button", name="确认审批").click()
    psbc = banks["psbc"]
    page.locator("#funding-table tr[data-bank='PSBC']").get_by_role("button", name="登记拨付").click()
    dialog = page.locator(f"#funding-modal-{psbc.pk}")
    dialog.locator(f"#funding-{psbc.pk}-reference_number").fill("CZ-DEATH-1")
    dialog.get_by_role("button", name="确认已拨付").click()
    expect(page.locator("#batch-status [data-status]")).to_have_attribute("data-status", "funded")
    sign_out(page)

    # The clerk makes and downloads the bank file, then imports the bank's answer: paid
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/one-off/{batch.pk}/")
    page.locator("#export-open").click()
    page.locator("#export-modal").get_by_role("button", name="确认生成").click()
    with page.expect_download() as download_info:
        page.locator("#bank-files-table tr[data-bank='PSBC'] a.download-link").click()
    content = Path(download_info.value.path()).read_bytes()
    assert content.split(b"\r\n")[0][19:37] == b"%018d" % 3040000  # the control total in fen
    bank_file = BankFile.objects.select_related("bank").get(one_off_batch=batch)
    row = page.locator("#bank-files-table tr[data-bank='PSBC']")
    answer: FilePayload = {"name": "return.txt", "mimeType": "text/plain", "buffer": bank_answer(bank_file)}
    row.locator(f"#return-{bank_file.pk}-file").set_input_files(files=[answer])
    row.get_by_role("button", name="导入回盘").click()
    expect(page.locator(".messages")).to_contain_text("成功 1 笔,失败 0 笔")
    claim.refresh_from_db()
    assert claim.status == SurvivorClaim.Status.PAID

    # The record page shows the death, the recovery settled and the claim paid
    page.goto(f"{live_server.url}/retirees/{retiree.pk}/")
    page.get_by_role("tab", name="死亡登记").click()
    tab = page.locator("#death-tab")
    expect(tab).to_contain_text("2026-09-20")
    expect(tab.locator(".death-recovery")).to_contain_text("已追回")
    expect(tab.locator(".death-claim")).to_contain_text("已发放")
    expect(tab.locator(".death-claim")).to_contain_text("¥30,400.00")
    page.screenshot(path=screenshots / "death_tab_paid.png", full_page=True)
