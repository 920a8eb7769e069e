"""Remote residents in the browser: a clerk makes the year's remote batch, waits for the combined forms PDF
that a real Celery worker renders, and records a returned form in the dialog."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from certification.models import Certification, RemoteBatch
from tests.browser.session import sign_in
from tests.certification import remote_people

# The remote residents of both townships (shared with tests/certification/test_remote.py).
people = remote_people.people


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_clerk_makes_the_batch_waits_for_the_pdf_and_records_a_return(
    live_server, county, people, worker, page, screenshots, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    sign_in(page, live_server.url, "clerk")

    # The page offers the four people; the dialog repeats the figure before anything is written
    page.goto(f"{live_server.url}/certification/remote/?year=2026")
    expect(page.locator("#candidate-count")).to_have_text("4")
    page.get_by_role("button", name="生成本年度异地认证批次").click()
    expect(page.locator("#create-figures")).to_contain_text("将为 4 名异地居住人员生成批次")
    page.wait_for_timeout(400)  # Bootstrap's fade, for the screenshot
    page.screenshot(path=screenshots / "remote-create-dialog.png")
    assert not RemoteBatch.objects.exists()
    page.locator("#create-confirm").click()

    # The batch page polls until the worker has made the PDF, then offers the files
    expect(page.locator("#batch-counts")).to_contain_text("4")
    expect(page.locator("#forms-download")).to_be_visible(timeout=60_000)
    expect(page.locator("#forms-download")).to_contain_text("4 份")
    page.screenshot(path=screenshots / "remote-batch-ready.png", full_page=True)

    # A returned form, recorded in the dialog
    row = page.locator("tr", has_text="钱玉兰")
    row.get_by_role("link", name="登记返回").click()
    dialog = page.locator("#return-modal")
    expect(dialog.locator("#return-title")).to_have_text("登记返回:钱玉兰")
    dialog.get_by_label("认证日期(认证表上的日期)").fill("2026-04-08")
    dialog.get_by_label("协助认证机构").fill("三亚市社会保险事业局")
    page.wait_for_timeout(400)
    page.screenshot(path=screenshots / "remote-return-dialog.png")
    dialog.get_by_role("button", name="确认登记").click()

    expect(page.get_by_role("alert").filter(has_text="已登记 钱玉兰 的异地协助认证")).to_be_visible()
    expect(page.locator("tr", has_text="钱玉兰").locator("[data-col=certified]")).to_contain_text(
        "2026-04-08 · 三亚市社会保险事业局"
    )
    retiree = people["due"]["suspended_a"]
    assert list(
        Certification.objects.filter(retiree=retiree).values_list("channel", "certifying_office")
    ) == [("remote_assisted", "三亚市社会保险事业局")]
