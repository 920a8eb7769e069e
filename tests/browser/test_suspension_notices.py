"""The suspension notices job in the browser: the worker made township A's file and died (as if); the admin
sees 任务中断 on the suspension page, presses 重新生成告知书, and the page polls until the worker has made the
missing township's file, the one already made kept as it was."""

from __future__ import annotations

import datetime
import time

import pytest
from playwright.sync_api import expect

from certification.models import SuspensionNotice, SuspensionRun
from certification.services import suspension_run
from tests.browser.session import sign_in
from tests.certification.campaigns import campaign_of

AUG_1 = datetime.date(2026, 8, 1)


@pytest.mark.browser
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_admin_restarts_an_interrupted_notices_job(
    live_server, county, worker, page, screenshots, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    campaign_of(2026)
    run = suspension_run(year=2026, today=AUG_1)  # township A: 2 people, township B: 1
    deadline = time.monotonic() + 60
    while SuspensionRun.objects.get(pk=run.pk).notices_status != "ready" and time.monotonic() < deadline:
        time.sleep(0.1)
    SuspensionNotice.objects.filter(township=county.township_b).delete()
    kept = SuspensionNotice.objects.get(township=county.township_a)
    SuspensionRun.objects.filter(pk=run.pk).update(notices_status="interrupted")

    sign_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/certification/campaigns/2026/suspension/")
    card = page.locator("#suspension-notices")
    expect(card.locator("#notices-status")).to_have_text("任务中断")
    expect(card.locator("#notices-stopped")).to_contain_text("还有 1 个乡镇的告知书未生成")
    expect(card.locator("tr[data-township]", has_text="梅林镇").locator("[data-col=notice]")).to_have_text(
        "未生成"
    )
    page.screenshot(path=screenshots / "suspension-notices-interrupted.png", full_page=True)

    card.get_by_role("button", name="重新生成告知书").click()

    expect(page.get_by_role("alert").filter(has_text="已开始重新生成缺少的暂停发放告知书。")).to_be_visible()
    expect(page.locator("#notices-status")).to_have_text("告知书已生成", timeout=60_000)
    expect(page.locator("tr[data-township]", has_text="梅林镇").locator("[data-col=notice]")).to_contain_text(
        "下载(1 份)"
    )
    expect(page.get_by_role("button", name="重新生成告知书")).to_have_count(0)
    page.screenshot(path=screenshots / "suspension-notices-restarted.png", full_page=True)

    assert SuspensionRun.objects.get(pk=run.pk).notices_status == "ready"
    assert sorted(SuspensionNotice.objects.values_list("township__name", "notice_count")) == [
        ("城关镇", 2),
        ("梅林镇", 1),
    ]
    assert SuspensionNotice.objects.get(township=county.township_a).pk == kept.pk
