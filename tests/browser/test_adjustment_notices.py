"""The adjustment notices page as the clerk sees it after the apply: one township's file done, the other's
still rendering (its progress bar, the table polling itself), then its worker dies and the page offers
重新生成; the summary links beside it."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from playwright.sync_api import Page, expect

from pensions.models import AdjustmentNoticeBatch
from tests.browser.session import sign_in
from tests.conftest import County
from tests.factories import BankFactory
from tests.pensions.adjustment_flow import first_half_paid, make_people, run_and_apply, set_published

pytestmark = pytest.mark.browser
Batch = AdjustmentNoticeBatch.Status


def test_the_notices_page_shows_each_townships_file_and_progress(
    live_server: Any, county: County, page: Page, screenshots: Path
) -> None:
    people = make_people(county, BankFactory.create(code="PSBC", name="中国邮政储蓄银行"))
    set_published(county.admin)
    first_half_paid(county, people)
    run = run_and_apply(county)
    now = timezone.now()
    done = AdjustmentNoticeBatch(
        run=run,
        township=county.township_a,
        status=Batch.DONE,
        progress=100,
        people=3,
        requested_by=county.clerk,
        requested_at=now,
        finished_at=now,
    )
    done.file.save("adjustment-notices-browser.pdf", ContentFile(b"%PDF-1.7\n%%EOF\n"), save=False)
    done.save()
    rendering = AdjustmentNoticeBatch.objects.create(
        run=run,
        township=county.township_b,
        status=Batch.RENDERING,
        progress=10,
        people=4,
        requested_by=county.clerk,
        requested_at=now,
        job_started_at=now,
        job_heartbeat_at=now,
        job_attempts=1,
    )

    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/adjustments/runs/{run.pk}/notices/")
    row_a = page.locator(f'tr[data-township="{county.township_a.pk}"]')
    row_b = page.locator(f'tr[data-township="{county.township_b.pk}"]')
    expect(row_a.get_by_role("link", name="下载(3 份)")).to_be_visible()
    expect(row_b.get_by_role("progressbar")).to_be_visible()
    expect(page.locator("#notices-pending")).to_contain_text("还有 1 个乡镇")
    expect(page.get_by_role("link", name="打印汇总表")).to_be_visible()
    page.screenshot(path=screenshots / "adjustment_notices_1_rendering.png", full_page=True)

    # The worker dies: the polling table turns to 任务中断 with 重新生成 once the heartbeat is stale.
    long_ago = now - datetime.timedelta(hours=1)
    AdjustmentNoticeBatch.objects.filter(pk=rendering.pk).update(
        job_heartbeat_at=long_ago, requested_at=long_ago
    )
    expect(row_b.get_by_text("任务中断", exact=True)).to_be_visible()
    expect(row_b.get_by_role("button", name="重新生成")).to_be_visible()
    expect(page.locator("#notices-pending")).to_have_count(0)
    page.screenshot(path=screenshots / "adjustment_notices_2_interrupted.png", full_page=True)
