"""A whole payout month in the browser: the clerk drafts and submits the plan, a reviewer
approves it and records the funding of the three banks, the clerk generates and downloads the bank files,
imports the banks' answers (two payments fail), re-issues one failed payment into next month and records the
other as paid by hand; the plan is reconciled and next month's plan carries the re-issued amount.

Time is not frozen here (the live server runs in its own thread): the month is the one the draft form offers.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import FilePayload, Page, expect

from pensions.bankfiles import BankFileProfile, RenderContext, payment_reference, render_return_file
from pensions.models import BankFile, PayoutLine, PayoutPlan
from pensions.services import bank_file_profile_set, payment_lines
from registry.models import ArrearsItem, Bank, Recovery, Retiree
from registry.months import PensionMonth, first_open_month
from tests.browser.session import sign_in, sign_out
from tests.conftest import County
from tests.factories import (
    BankAccountFactory,
    BankFactory,
    PensionRateFactory,
    RetireeFactory,
    make_id_number,
)
from tests.pdfs import pdf_text

pytestmark = pytest.mark.browser

# The month's people: name → (bank, monthly amount, township A or B). 赵停发 is suspended (a withheld line),
# 周文彬 was registered late (two months of intake arrears), 孙桂英 was overpaid (an open recovery).
PEOPLE: dict[str, tuple[str, str, str]] = {
    "周文彬": ("PSBC", "2650.00", "a"),
    "吴淑芬": ("PSBC", "3120.55", "a"),
    "郑志强": ("PSBC", "1890.10", "a"),
    "赵停发": ("PSBC", "2000.00", "a"),
    "孙桂英": ("RCC", "2800.00", "b"),
    "钱卫东": ("CCB", "3333.33", "b"),
    "冯玉兰": ("CCB", "2450.67", "b"),
}
SUSPENDED = "赵停发"
INTAKE_ARREARS = Decimal("5300.00")  # 周文彬: two months of 2,650.00
RECOVERY = Decimal("500.00")  # 孙桂英: under half of her 2,800.00, so all of it this month
# Per bank, what is paid: PSBC 2650 + 5300 + 3120.55 + 1890.10; RCC 2800 − 500; CCB 3333.33 + 2450.67.
BANK_NET = {"PSBC": Decimal("12960.65"), "RCC": Decimal("2300.00"), "CCB": Decimal("5784.00")}
NET_TOTAL = Decimal("21044.65")
# The PSBC branch sends two failures back; one is re-issued next month, the other paid by hand.
REISSUED, BY_HAND = "吴淑芬", "郑志强"
FAILURES = {REISSUED: ("E104", "账户已销户"), BY_HAND: ("E201", "户名不符")}


def yuan(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def enrol_county(county: County, month: PensionMonth) -> tuple[dict[str, Bank], dict[str, Retiree]]:
    banks = {
        "PSBC": BankFactory.create(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT),
        "RCC": BankFactory.create(code="RCC", name="农村信用社", channel=Bank.Channel.EBANK_DIRECT),
        "CCB": BankFactory.create(code="CCB", name="中国建设银行", channel=Bank.Channel.AGENCY),
    }
    # Three banks, three kinds of file: fixed-width GBK, |-delimited GBK, xlsx.
    for code, profile in {"PSBC": "psbc", "RCC": "ebank", "CCB": "ccb"}.items():
        bank_file_profile_set(bank=banks[code], by=None, profile_code=profile)
    people = {}
    for index, (name, (bank, amount, township)) in enumerate(PEOPLE.items()):
        retiree = RetireeFactory.create(
            name=name,
            id_number=make_id_number(datetime.date(1950, 3, 1 + index)),
            community=county.community_a2 if township == "a" else county.community_b1,
            status=Retiree.Status.SUSPENDED if name == SUSPENDED else Retiree.Status.ACTIVE,
        )
        PensionRateFactory.create(
            retiree=retiree, effective_month=PensionMonth(2020, 1), amount=Decimal(amount)
        )
        BankAccountFactory.create(retiree=retiree, bank=banks[bank])
        people[name] = retiree
    for back in (2, 1):
        ArrearsItem.objects.create(
            retiree=people["周文彬"],
            month=month.plus(-back).number,
            amount=INTAKE_ARREARS / 2,
            reason=ArrearsItem.Reason.INTAKE,
            created_by=county.clerk,
        )
    Recovery.objects.create(
        retiree=people["孙桂英"],
        amount=RECOVERY,
        from_month=month.plus(-3).number,
        to_month=month.plus(-3).number,
        reason=Recovery.Reason.RATE_CHANGE,
        created_by=county.clerk,
    )
    return banks, people


def bank_answer(bank_file: BankFile, failures: dict[str, tuple[str, str]]) -> FilePayload:
    """The return file the bank would send for this file, as an upload: `failures` by reference."""
    plan = bank_file.plan
    assert plan is not None
    rendered = render_return_file(
        BankFileProfile.from_dict(bank_file.profile),
        payment_lines(plan=plan, bank_id=bank_file.bank_id)[bank_file.bank_id],
        context=RenderContext(
            county_code="360721",
            month=str(plan.month).replace("-", ""),
            date=timezone.localdate(),
            batch=f"P{plan.pk}",
            bank_code=bank_file.bank.code,
        ),
        failures=failures,
    )
    return {"name": rendered.name, "mimeType": rendered.content_type, "buffer": rendered.content}


def status_is(page: Page, status: str) -> None:
    expect(page.locator("#plan-status [data-status]")).to_have_attribute("data-status", status)


@pytest.mark.worker
def test_a_whole_payout_month(
    live_server, county: County, worker: object, page: Page, screenshots: Path, tmp_path: Path
):
    month = first_open_month(timezone.localdate(), settings.PAYOUT_PLAN_DAY)
    banks, people = enrol_county(county, month)
    # Every confirm() of the month's forms (return files, re-issue) is answered yes.
    page.on("dialog", lambda dialog: dialog.accept())

    # --- 1. The clerk drafts the month's plan, checks the totals and submits it. ---
    sign_in(page, live_server.url, "clerk")
    page.locator("#nav-payout-plans").click()
    expect(page.locator("#id_month")).to_have_value(str(month))  # the month the form offers
    page.get_by_role("button", name="生成发放计划").click()
    # The worker drafts it: the job's page polls until it is done, then goes on to the new plan.
    status_is(page, "draft")
    plan = PayoutPlan.objects.get(month=month.number)
    expect(page).to_have_url(re.compile(rf"/pensions/plans/{plan.pk}/"))
    expect(page.locator("[data-total=net_total]")).to_have_text(yuan(NET_TOTAL))
    expect(page.locator("[data-total=line_count]")).to_have_text(str(len(PEOPLE)))
    expect(page.locator("[data-total=arrears_total]")).to_have_text(yuan(INTAKE_ARREARS))
    expect(page.locator("[data-total=deduction_total]")).to_have_text(yuan(RECOVERY))
    expect(page.locator("[data-total=withheld_total]")).to_have_text(yuan(Decimal(PEOPLE[SUSPENDED][1])))
    expect(page.locator("#totals-check")).to_contain_text("与明细核对一致")
    for code, net in BANK_NET.items():
        row = page.locator("#bank-totals tr", has_text=banks[code].name)
        expect(row.locator("td").last).to_have_text(yuan(net))
    page.screenshot(path=screenshots / "payout_1_draft.png", full_page=True)

    page.locator("#submit-open").click()
    dialog = page.locator("#submit-modal")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-summary")).to_contain_text(yuan(NET_TOTAL))
    dialog.get_by_role("button", name="确认提交").click()
    status_is(page, "submitted")
    # The clerk cannot approve what they submitted: no approve button, only "waiting for someone else".
    expect(page.locator("body")).to_contain_text("等待他人审批")
    expect(page.locator("#approve-open")).to_have_count(0)
    page.screenshot(path=screenshots / "payout_2_submitted.png", full_page=True)
    sign_out(page)

    # --- 2. A reviewer approves the plan and records the funding of each bank. ---
    sign_in(page, live_server.url, "reviewer")
    page.locator("#nav-payout-plans").click()
    page.locator(f"#plan-table tr[data-plan='{plan.pk}']").get_by_role("link", name=str(month)).click()
    page.locator("#approve-open").click()
    dialog = page.locator("#approve-modal")
    expect(dialog.locator(".confirm-summary")).to_contain_text(yuan(NET_TOTAL))
    dialog.get_by_role("button", name="确认审批").click()
    status_is(page, "approved")
    expect(page.locator("#funding-table tfoot")).to_contain_text(yuan(NET_TOTAL))
    page.screenshot(path=screenshots / "payout_3_approved.png", full_page=True)

    for code, net in BANK_NET.items():
        bank = banks[code]
        page.locator(f"#funding-table tr[data-bank='{code}']").get_by_role("button", name="登记拨付").click()
        dialog = page.locator(f"#funding-modal-{bank.pk}")
        expect(dialog).to_be_visible()
        expect(dialog.locator(f"#funding-{bank.pk}-amount")).to_have_value(str(net))  # pre-filled
        dialog.locator(f"#funding-{bank.pk}-reference_number").fill(f"CZ-{code}")
        dialog.get_by_role("button", name="确认已拨付").click()
        expect(page.locator(".messages")).to_contain_text(f"已登记 {bank.name} 拨付 {yuan(net)}")
        expect(page.locator(f"#funding-table tr[data-bank='{code}']")).to_contain_text("已拨付")
    status_is(page, "funded")
    page.screenshot(path=screenshots / "payout_4_funded.png", full_page=True)

    href = page.locator("#funding-request-link").get_attribute("href")
    assert href is not None
    request_pdf = page.request.get(live_server.url + href)
    assert request_pdf.status == 200
    assert request_pdf.headers["content-type"] == "application/pdf"
    (tmp_path / "funding.pdf").write_bytes(request_pdf.body())
    text = pdf_text(tmp_path / "funding.pdf")
    assert yuan(NET_TOTAL) in text
    assert "CZ-PSBC" in text
    sign_out(page)

    # --- 3. The clerk generates and downloads the bank files and imports the banks' answers. ---
    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/plans/{plan.pk}/")
    page.locator("#export-open").click()
    page.locator("#export-modal").get_by_role("button", name="确认生成").click()
    # The worker writes the files; the job's page goes on to the plan when they are made.
    status_is(page, "exported")
    expect(page.locator(".messages")).to_contain_text(f"银行文件已生成:3 个,合计 {yuan(NET_TOTAL)}")

    downloaded: dict[str, bytes] = {}
    for code in BANK_NET:
        with page.expect_download() as download_info:
            page.locator(f"#bank-files-table tr[data-bank='{code}'] a.download-link").click()
        path = download_info.value.path()
        downloaded[code] = Path(path).read_bytes()
    # PSBC: fixed width in GBK, a header with the count and the total in fen, CRLF after every record.
    psbc = downloaded["PSBC"]
    header, *details = psbc.split(b"\r\n")[:-1]
    assert psbc.endswith(b"\r\n")
    assert header[:1] == b"H"
    assert header[9:19] == b"%010d" % 3
    assert header[19:37] == b"%018d" % int(BANK_NET["PSBC"] * 100)
    assert len(details) == 3 and all(len(line) == 103 for line in details)
    assert "吴淑芬".encode("gbk") in psbc
    # RCC (ebank): |-delimited GBK with a trailer; the recovery is taken off 孙桂英's payment.
    trailer = downloaded["RCC"].decode("gbk").split("\r\n")[-2].split("|")
    assert trailer[:3] == ["T", "1", "2300.00"]
    # CCB: a workbook whose control-total row holds the count and the total.
    sheet = openpyxl.load_workbook(io.BytesIO(downloaded["CCB"])).active
    assert sheet is not None
    control = [row for row in sheet.iter_rows(values_only=True) if row[0] == "合计"]
    assert len(control) == 1 and control[0][1] == 2
    assert Decimal(str(control[0][2])) == BANK_NET["CCB"]
    for code in BANK_NET:
        expect(page.locator(f"#bank-files-table tr[data-bank='{code}'] .download-count")).to_have_text("0")
    page.reload()  # the downloads are counted
    for code in BANK_NET:
        expect(page.locator(f"#bank-files-table tr[data-bank='{code}'] .download-count")).to_have_text("1")
    page.screenshot(path=screenshots / "payout_5_exported.png", full_page=True)

    lines = {line.name: line for line in PayoutLine.objects.filter(plan=plan)}
    reference = {name: payment_reference(plan_id=plan.pk, line_id=line.pk) for name, line in lines.items()}
    for code in BANK_NET:
        bank_file = BankFile.objects.select_related("plan", "bank").get(plan=plan, bank=banks[code])
        failures = {reference[name]: answer for name, answer in FAILURES.items()} if code == "PSBC" else {}
        row = page.locator(f"#bank-files-table tr[data-bank='{code}']")
        row.locator(f"#return-{bank_file.pk}-file").set_input_files(files=[bank_answer(bank_file, failures)])
        row.get_by_role("button", name="导入回盘").click()
        paid, failed = bank_file.line_count - len(failures), len(failures)
        expect(page.locator(".messages")).to_contain_text(
            f"{banks[code].name} 回盘已导入:成功 {paid} 笔,失败 {failed} 笔"
        )
        expect(page.locator(f"#bank-files-table tr[data-bank='{code}'] .return-cell")).to_contain_text(
            f"成功 {paid} 笔,失败 {failed} 笔"
        )
    expect(page.locator(".messages")).to_contain_text("全部回盘文件已导入,发放计划已对账完成")
    status_is(page, "reconciled")
    failed_rows = page.locator("#failed-lines-table tbody tr")
    expect(failed_rows).to_have_count(2)
    expect(page.locator(f"#failed-lines-table tr[data-line='{lines[REISSUED].pk}']")).to_contain_text(
        "账户已销户"
    )
    page.screenshot(path=screenshots / "payout_6_returned.png", full_page=True)

    # One failed payment goes into next month's plan, the other was paid at the counter after fixing the name.
    reissued_row = page.locator(f"#failed-lines-table tr[data-line='{lines[REISSUED].pk}']")
    reissued_row.get_by_role("button", name="下月补发").click()
    expect(page.locator(".messages")).to_contain_text(f"{REISSUED} 的 ¥3,120.55 已转入下月补发")
    expect(reissued_row.locator(".resolution")).not_to_contain_text("已手工支付")
    by_hand_id = lines[BY_HAND].pk
    page.locator(f"#failed-lines-table tr[data-line='{by_hand_id}']").get_by_role(
        "button", name="已手工支付"
    ).click()
    dialog = page.locator(f"#hand-modal-{by_hand_id}")
    expect(dialog).to_be_visible()
    dialog.locator(f"#hand-{by_hand_id}-reference").fill("SG-0001")
    dialog.get_by_role("button", name="确认已手工发放").click()
    expect(page.locator(".messages")).to_contain_text(f"已登记 {BY_HAND} 手工发放 ¥1,890.10")
    expect(page.locator(f"#failed-lines-table tr[data-line='{by_hand_id}'] .resolution")).to_contain_text(
        "凭证号 SG-0001"
    )
    status_is(page, "reconciled")
    page.screenshot(path=screenshots / "payout_7_reconciled.png", full_page=True)

    # --- 4. What the month left in the database. ---
    plan.refresh_from_db()
    assert plan.status == PayoutPlan.Status.RECONCILED
    assert plan.net_total == NET_TOTAL
    assert sorted(PayoutLine.objects.filter(plan=plan).values_list("retiree_id", flat=True)) == sorted(
        retiree.pk for retiree in people.values()
    )
    for name, (_code, reason) in FAILURES.items():
        line = PayoutLine.objects.get(pk=lines[name].pk)
        assert line.payment_status == PayoutLine.PaymentStatus.FAILED
        assert reason in line.bank_reason
        assert (line.regular, line.net) == (Decimal(PEOPLE[name][1]),) * 2  # the answer changed no amount
    assert PayoutLine.objects.filter(plan=plan, payment_status=PayoutLine.PaymentStatus.PAID).count() == 4
    reissued = ArrearsItem.objects.get(reason=ArrearsItem.Reason.FAILED_PAYMENT)
    assert (reissued.retiree, reissued.month, reissued.amount) == (
        people[REISSUED],
        month,
        Decimal(PEOPLE[REISSUED][1]),
    )

    # Next month's plan, drafted from the page, pays 吴淑芬 her month and the re-issued one.
    page.locator("#nav-payout-plans").click()
    page.locator("#id_month").fill(str(month.next()))
    page.get_by_role("button", name="生成发放计划").click()
    status_is(page, "draft")
    following = PayoutPlan.objects.get(month=month.next().number)
    line = PayoutLine.objects.get(plan=following, retiree=people[REISSUED])
    assert (line.arrears, line.net) == (Decimal("3120.55"), Decimal("6241.10"))
    assert PayoutLine.objects.filter(plan=following, arrears__gt=0).count() == 1
    expect(page.locator("[data-total=arrears_total]")).to_have_text(yuan(Decimal("3120.55")))
    page.screenshot(path=screenshots / "payout_8_next_month.png", full_page=True)
