"""The clerk checks a dry run against the province's result file on the page: uploads the file, watches the
comparison finish without reloading, and reads the differences with masked numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from pensions.models import AdjustmentComparison, AdjustmentRun
from pensions.services.adjustment_comparisons import adjustment_compare
from pensions.services.adjustments import adjustment_dry_run, adjustment_run_start
from registry.id_numbers import mask_resident_id
from registry.models import Bank
from tests.browser.session import sign_in
from tests.conftest import County
from tests.factories import BankFactory
from tests.pensions.adjustment_flow import T_APPLY, first_half_paid, make_people, set_published
from tests.pensions.test_adjustment_comparisons import UNKNOWN_ID, province_rows, xlsx_file

pytestmark = pytest.mark.browser


def test_the_clerk_compares_the_province_file_with_the_dry_run(
    live_server: Any, county: County, page: Page, screenshots: Path, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    psbc = BankFactory.create(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT)
    people = make_people(county, psbc)
    set_published(county.admin)
    first_half_paid(county, people)
    with time_machine.travel(T_APPLY, tick=False):
        started = adjustment_run_start(year=2026, by=county.clerk)
        run = adjustment_dry_run(run_id=started.pk)
    assert run is not None and run.status == AdjustmentRun.Status.COMPUTED
    upload = tmp_path / "省厅调待结果.xlsx"
    upload.write_bytes(xlsx_file(province_rows(people, run)))

    sign_in(page, live_server.url, "clerk")
    page.goto(f"{live_server.url}/pensions/adjustments/runs/{run.pk}/comparisons/")
    page.get_by_label("省厅结果文件(.xlsx 或 .csv)").set_input_files(upload)
    page.get_by_role("button", name="上传并比对").click()
    expect(page.locator("#comparison-status .progress")).to_be_visible()
    page.screenshot(path=screenshots / "adjustment-comparison-queued.png", full_page=True)

    # The worker's part, here in the test; the page sees it finish on its next poll.
    comparison = AdjustmentComparison.objects.get()
    adjustment_compare(comparison_id=comparison.pk)
    page.get_by_role("link", name="比对已完成,点此查看结果。").click()
    expect(page.locator("#difference-table tbody tr")).to_have_count(4)
    expect(page.locator("#difference-table")).to_contain_text(mask_resident_id(UNKNOWN_ID))
    expect(page.locator("#difference-table")).not_to_contain_text(people.b.id_number)
    expect(page.locator("#difference-table")).to_contain_text("¥0.01")
    page.screenshot(path=screenshots / "adjustment-comparison-done.png", full_page=True)

    page.locator("#kind-filter [data-kind=only_ours]").click()
    expect(page.locator("#difference-table tbody tr")).to_have_count(1)
    expect(page.locator("#difference-table")).to_contain_text(people.i.name)
