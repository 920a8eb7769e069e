"""The annual certification in the browser, end to end: the township A officer certifies
three people on the entry screen by scanning their ID cards (the reader types the number and Enter;
Enter again certifies), fails to certify a township B retiree (a message, none of the person's
data), and the progress page moves by three. Then the August job suspends an uncertified retiree;
the plans approved while they are suspended carry withheld lines; the officer certifies them on the
screen and the next plan drafted pays exactly the withheld months as arrears.

Time is not frozen (the live server runs in its own thread): the year is this year, the plans are
for its August, September and October.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from certification.models import Certification
from certification.services import suspension_run
from pensions.models import PayoutLine
from pensions.services import plan_draft
from pensions.services.transitions import plan_approve, plan_submit
from registry.models import ArrearsItem, Retiree
from registry.months import PensionMonth
from tests.browser.session import sign_in
from tests.conftest import County
from tests.pensions.conftest import banks, enrol  # noqa: F401  (fixtures: the county's banks, enrol a retiree)

pytestmark = pytest.mark.browser

MONTHLY = Decimal("2650.00")


def progress_counts(page: Page, base_url: str) -> tuple[str, str, str]:
    """The officer's township total on the progress page: (due, certified, remaining)."""
    page.goto(f"{base_url}/certification/progress/")
    table = page.locator("#progress-table")
    for heading in ("应认证", "已认证", "未认证"):
        expect(table.locator("thead")).to_contain_text(heading)
    total = table.locator("tfoot [data-unit=total]")
    return (
        total.locator("[data-col=due]").inner_text(),
        total.locator("[data-col=certified]").inner_text(),
        total.locator("[data-col=remaining]").inner_text(),
    )


def scan(page: Page, id_number: str) -> None:
    """What an ID card reader does: type the number, then Enter."""
    page.keyboard.type(id_number)
    page.keyboard.press("Enter")


def test_a_township_certification_campaign(live_server, county: County, enrol, page: Page, screenshots: Path):  # noqa: F811
    today = timezone.localdate()
    year = today.year
    third = enrol(name="赵秀英", community=county.community_a2, rates=((PensionMonth(2018, 4), "3120.55"),))
    suspended = enrol(
        name="孙停发", community=county.community_a1, rates=((PensionMonth(2018, 4), "2650.00"),)
    )
    people = [county.retiree_a1, county.retiree_a2, third]

    # --- 1. The officer of township A opens the progress page, then the entry screen. ---
    sign_in(page, live_server.url, "officer_a")
    assert progress_counts(page, live_server.url) == ("4", "0", "4")

    page.goto(f"{live_server.url}/certification/entry/")
    scan_box = page.locator("#id_id_number")
    expect(scan_box).to_be_focused()
    expect(page.locator("#entry-today-count")).to_have_text("0 人")

    # --- 2. Two people: scan, the card, Enter certifies, the cursor is back in the scan box. ---
    for count, retiree in enumerate(people[:2], start=1):
        scan(page, retiree.id_number)
        expect(page.locator("#entry-name")).to_have_text(retiree.name)
        expect(page.locator("#entry-community")).to_have_text(retiree.community.name)
        certify_button = page.locator("#entry-certify-button")
        expect(certify_button).to_be_focused()
        if count == 1:
            page.screenshot(path=screenshots / "certification_1_card.png", full_page=True)
        page.keyboard.press("Enter")
        expect(page.locator("#entry-result")).to_contain_text(f"{retiree.name} 已认证:乡镇经办窗口认证")
        expect(page.locator("#entry-name")).to_have_count(0)  # the card is cleared
        expect(scan_box).to_be_focused()
        expect(scan_box).to_have_value("")
        expect(page.locator("#entry-today-count")).to_have_text(f"{count} 人")

    # --- 3. The third person's card is shown when the next card is read: the reader's digits go to the scan
    # box and its Enter looks the new number up; the person on the screen is not certified by it. ---
    scan(page, third.id_number)
    expect(page.locator("#entry-name")).to_have_text("赵秀英")
    expect(page.locator("#entry-certify-button")).to_be_focused()
    scan(page, county.retiree_b1.id_number)  # a township B retiree's card
    expect(page.locator("#entry-refusal")).to_have_text("本辖区没有身份证号码为该号码的退休人员,请核对号码。")
    expect(page.locator("#entry-name")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text("王德胜")
    expect(page.locator("body")).not_to_contain_text("梅林")
    expect(scan_box).to_be_focused()
    page.screenshot(path=screenshots / "certification_2_refused.png", full_page=True)
    assert not Certification.objects.filter(retiree__in=[third, county.retiree_b1]).exists()

    # The reader's next card replaces the refused number; this time the officer clicks the button.
    scan(page, third.id_number)
    expect(page.locator("#entry-name")).to_have_text("赵秀英")
    page.locator("#entry-certify-button").click()
    expect(page.locator("#entry-result")).to_contain_text("赵秀英 已认证")
    expect(page.locator("#entry-today-count")).to_have_text("3 人")
    expect(page.locator("#entry-today tbody tr")).to_have_count(3)
    expect(page.locator("#entry-today tbody tr").first).to_contain_text("赵秀英")  # newest first
    page.screenshot(path=screenshots / "certification_3_three_done.png", full_page=True)

    assert sorted(
        Certification.objects.values_list("retiree_id", "year", "certified_on", "channel")
    ) == sorted((retiree.pk, year, today, "in_person") for retiree in people)

    # --- 4. The progress page moved by three. ---
    assert progress_counts(page, live_server.url) == ("4", "3", "1")
    page.screenshot(path=screenshots / "certification_4_progress.png", full_page=True)

    # --- 5. August: the job suspends whoever has not certified; two months are planned and approved while
    # 孙停发 is suspended, each with a withheld line. ---
    suspended_on = min(datetime.date(year, 8, 1), today)
    run = suspension_run(year=year, today=suspended_on)
    assert run.suspended_count == 2  # 孙停发 of township A, 王德胜 of township B
    suspended.refresh_from_db()
    assert suspended.status == Retiree.Status.SUSPENDED
    august, september, october = PensionMonth(year, 8), PensionMonth(year, 9), PensionMonth(year, 10)
    # A plan is drafted at most for next month: before September the two months are made as on 1 September.
    drafted_at = max(timezone.now(), datetime.datetime(year, 9, 1, 9, 0, tzinfo=datetime.UTC))
    with time_machine.travel(drafted_at, tick=False):
        for month in (august, september):
            plan = plan_draft(month=month, by=county.clerk)
            plan_submit(plan=plan, by=county.clerk)
            plan_approve(plan=plan, by=county.reviewer)
    assert list(
        PayoutLine.objects.filter(retiree=suspended)
        .order_by("plan__month")
        .values_list("plan__month", "is_withheld", "withheld", "net")
    ) == [
        (august, True, MONTHLY, Decimal("0.00")),
        (september, True, MONTHLY, Decimal("0.00")),
    ]

    # --- 6. 孙停发 comes to the office: the card says the pension is suspended and will be restored. ---
    page.goto(f"{live_server.url}/certification/entry/")
    expect(scan_box).to_be_focused()
    scan(page, suspended.id_number)
    expect(page.locator("#entry-name")).to_have_text("孙停发")
    expect(page.locator("#entry-suspended")).to_have_text("已暂停发放,认证后将恢复并补发")
    page.screenshot(path=screenshots / "certification_5_suspended_card.png", full_page=True)
    page.keyboard.press("Enter")
    expect(page.locator("#entry-result")).to_contain_text("孙停发 已认证")
    expect(page.locator("#entry-result")).to_contain_text("已恢复发放")
    expect(scan_box).to_be_focused()
    page.screenshot(path=screenshots / "certification_6_restored.png", full_page=True)

    suspended.refresh_from_db()
    assert suspended.status == Retiree.Status.ACTIVE
    assert list(
        ArrearsItem.objects.filter(retiree=suspended)
        .order_by("month")
        .values_list("month", "amount", "reason")
    ) == [(august, MONTHLY, "restoration"), (september, MONTHLY, "restoration")]

    # --- 7. The next plan drafted pays October and exactly the two withheld months as arrears. ---
    plan = plan_draft(month=october, by=county.clerk)
    line = PayoutLine.objects.get(plan=plan, retiree=suspended)
    assert (line.is_withheld, line.regular, line.arrears, line.deduction, line.net) == (
        False,
        MONTHLY,
        Decimal("5300.00"),
        Decimal("0.00"),
        Decimal("7950.00"),
    )
    assert PayoutLine.objects.filter(plan=plan, arrears__gt=0).count() == 1  # nobody else is owed anything
