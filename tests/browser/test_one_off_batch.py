"""A month's one-off payments as the people do it: the clerk checks the batch (masked numbers, totals that add
up) and submits it in the dialog showing its count and total; the reviewer finds it in the approvals inbox,
approves it and records the transfer; the clerk makes the bank file, imports the bank's answer with one
payment failed, and pays that one again to the corrected account, into next month's batch."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from pensions import one_off_kinds
from pensions.bankfiles import one_off_reference
from pensions.models import BankFile, OneOffPayment
from pensions.one_off_kinds import OneOffKind, register_one_off_kind
from pensions.services import bank_file_profile_set, one_off_payment_add
from registry.formats import yuan
from registry.id_numbers import mask_resident_id
from registry.models import Bank
from registry.months import PensionMonth
from tests.browser.session import sign_in, sign_out
from tests.conftest import County
from tests.factories import BankFactory, make_id_number
from tests.pensions import payout_flow

pytestmark = pytest.mark.browser
KIND = OneOffPayment.Kind.DEATH_CLAIM
# (payee, account, amount)
PAYEES = (("张小明", "6221880000000001", "12345.60"), ("李大山", "6221880000000002", "9800.00"))
TOTAL = Decimal("22145.60")


@pytest.fixture
def heard() -> Iterator[list[tuple[str, str]]]:
    results: list[tuple[str, str]] = []
    previous = one_off_kinds.one_off_kind(KIND)
    register_one_off_kind(
        OneOffKind(
            key=KIND,
            label="丧葬补助金和抚恤金",
            on_result=lambda payment: results.append((payment.payee_name, payment.payment_status)),
            source_url=lambda payment: f"/claims/{payment.source_id}/",
        )
    )
    yield results
    if previous is not None:
        register_one_off_kind(previous)
    else:
        one_off_kinds._KINDS.pop(KIND, None)


def bank_answer(bank_file: BankFile, failures: dict[str, tuple[str, str]]) -> FilePayload:
    """The bank's return file for the batch's file (tests/pensions/payout_flow.py), as an upload."""
    content = payout_flow.bank_answer(bank_file, failures=failures)
    return {"name": f"return-{bank_file.name}", "mimeType": "application/octet-stream", "buffer": content}


def status_is(page: Page, status: str) -> None:
    expect(page.locator("#batch-status [data-status]")).to_have_attribute("data-status", status)


def test_a_month_of_one_off_payments(live_server, county: County, page: Page, screenshots: Path, heard):
    psbc = BankFactory.create(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT)
    bank_file_profile_set(bank=psbc, by=None, profile_code="psbc")
    payments = [
        one_off_payment_add(
            kind=KIND,
            source_id=index,
            retiree=retiree,
            payee_name=payee,
            payee_id_number=make_id_number(),
            bank=psbc,
            account_number=account,
            holder_name=payee,
            amount=Decimal(amount),
            by=county.reviewer,
        )
        for index, (retiree, (payee, account, amount)) in enumerate(
            zip((county.retiree_a1, county.retiree_b1), PAYEES, strict=True), start=1
        )
    ]
    batch = payments[0].batch
    page.on("dialog", lambda dialog: dialog.accept())

    # --- 1. The clerk checks the batch and submits it. ---
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/plans/")
    page.locator("#one-off-link").click()
    page.locator(f"#batch-table tr[data-batch='{batch.pk}']").get_by_role(
        "link", name=str(batch.month)
    ).click()
    status_is(page, "draft")
    expect(page.locator("[data-total=total]")).to_have_text(yuan(TOTAL))
    expect(page.locator("#totals-check")).to_contain_text("与明细核对一致")
    table = page.locator("#payments-table")
    for payment in payments:
        row = table.locator(f"tr[data-payment='{payment.pk}']")
        expect(row).to_contain_text(mask_resident_id(payment.payee_id_number))
        expect(row).not_to_contain_text(payment.payee_id_number)
        expect(row).not_to_contain_text(payment.account_number)
        expect(row.locator("a.source-link")).to_have_attribute("href", f"/claims/{payment.source_id}/")
    page.screenshot(path=screenshots / "one_off_1_draft.png", full_page=True)
    page.locator("#submit-open").click()
    dialog = page.locator("#submit-modal")
    expect(dialog.locator("[data-confirm-count]")).to_have_text("2")
    expect(dialog.locator("[data-confirm-total]")).to_have_text(yuan(TOTAL))
    dialog.get_by_role("button", name="确认提交").click()
    status_is(page, "submitted")
    expect(page.locator("#approve-open")).to_have_count(0)
    sign_out(page)

    # --- 2. The reviewer approves it from the inbox and records the transfer. ---
    sign_in(page, live_server.url, "reviewer")
    expect(page.locator("#nav-approvals-count")).to_have_text("1")
    page.locator("#nav-approvals").click()
    page.get_by_role("link", name=re.compile("一次性支付批次")).click()
    expect(page).to_have_url(re.compile(rf"/pensions/one-off/{batch.pk}/"))
    page.locator("#approve-open").click()
    dialog = page.locator("#approve-modal")
    expect(dialog.locator("[data-confirm-total]")).to_have_text(yuan(TOTAL))
    dialog.get_by_role("button", name="确认审批").click()
    status_is(page, "approved")
    page.locator("#funding-table tr[data-bank='PSBC']").get_by_role("button", name="登记拨付").click()
    dialog = page.locator(f"#funding-modal-{psbc.pk}")
    expect(dialog).to_contain_text(yuan(TOTAL))
    expect(dialog.locator(f"#funding-{psbc.pk}-amount")).to_have_value(str(TOTAL))
    dialog.locator(f"#funding-{psbc.pk}-reference_number").fill("CZ-ONE-OFF")
    dialog.get_by_role("button", name="确认已拨付").click()
    status_is(page, "funded")
    sign_out(page)

    # --- 3. The clerk makes the bank file, imports the answer and pays the failed one again. ---
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/one-off/{batch.pk}/")
    page.locator("#export-open").click()
    page.locator("#export-modal").get_by_role("button", name="确认生成").click()
    status_is(page, "exported")
    with page.expect_download() as download_info:
        page.locator("#bank-files-table tr[data-bank='PSBC'] a.download-link").click()
    content = Path(download_info.value.path()).read_bytes()
    header = content.split(b"\r\n")[0]
    assert header[9:19] == b"%010d" % 2 and header[19:37] == b"%018d" % int(TOTAL * 100)
    assert one_off_reference(batch_id=batch.pk, payment_id=payments[1].pk).encode() in content

    bank_file = BankFile.objects.select_related("bank").get(one_off_batch=batch)
    failed = payments[1]
    row = page.locator("#bank-files-table tr[data-bank='PSBC']")
    row.locator(f"#return-{bank_file.pk}-file").set_input_files(
        files=[
            bank_answer(
                bank_file,
                {one_off_reference(batch_id=batch.pk, payment_id=failed.pk): ("3001", "账户已销户")},
            )
        ]
    )
    row.get_by_role("button", name="导入回盘").click()
    expect(page.locator(".messages")).to_contain_text("成功 1 笔,失败 1 笔")
    status_is(page, "reconciled")
    assert heard == [("张小明", "paid"), ("李大山", "failed")]

    page.locator(f"tr[data-payment='{failed.pk}']").get_by_role("button", name="更正账户重发").click()
    dialog = page.locator(f"#reissue-modal-{failed.pk}")
    expect(dialog).to_contain_text(yuan(Decimal("9800.00")))
    dialog.get_by_label("更正后的账号").fill("6221880000000777")
    dialog.get_by_role("button", name="确认重发").click()
    next_month = PensionMonth.of(timezone.localdate()).next()
    expect(page.locator(".messages")).to_contain_text(f"已重发,列入 {next_month} 一次性支付批次")
    expect(page.locator(f"tr[data-payment='{failed.pk}']")).to_contain_text(f"已重发,列入 {next_month} 批次")
    expect(
        page.locator(f"tr[data-payment='{failed.pk}']").get_by_role("button", name="更正账户重发")
    ).to_have_count(0)
    page.screenshot(path=screenshots / "one_off_2_reissued.png", full_page=True)

    reissue = OneOffPayment.objects.get(reissue_of=failed)
    assert (reissue.batch.month, reissue.account_number, reissue.amount) == (
        next_month,
        "6221880000000777",
        Decimal("9800.00"),
    )
