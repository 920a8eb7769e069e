"""The adjustment notices (养老金调整通知单, one PDF per township made by a background job) and the summary
table for the HR bureau (调待汇总表), on the hand-computed county of tests/pensions/test_adjustment.py:
township A has A, B (and E, an exception) and F; township B has C, D, G and I."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from pensions.errors import AdjustmentError
from pensions.models import AdjustmentNoticeBatch, AdjustmentRun
from pensions.pdfs import adjustment_notices as notice_pdfs
from pensions.selectors.adjustment_notices import adjustment_summary, notice_people
from pensions.services.adjustment_notices import adjustment_notices_render, adjustment_notices_start
from pensions.services.adjustments import adjustment_dry_run, adjustment_run_start
from pensions.tasks import render_adjustment_notices
from registry.id_numbers import mask_resident_id
from registry.jobs import job_sweep
from registry.models import Staff
from registry.months import PensionMonth
from tests.pdfs import pdf_info, pdf_text

from .adjustment_flow import SH, T_APPLY, first_half_paid, make_people, run_and_apply, set_published

D = Decimal
Batch = AdjustmentNoticeBatch.Status

# By hand (tests/pensions/test_adjustment.py): rise, new amount, arrears months and total per person.
RISE = {
    "a": "117.50",
    "b": "127.98",
    "c": "168.85",
    "d": "138.00",
    "f": "117.50",
    "g": "128.00",
    "i": "129.50",
}
NEW = {
    "a": "3,117.50",
    "b": "2,993.48",
    "c": "3,292.30",
    "d": "2,137.99",
    "f": "2,617.50",
    "g": "2,328.00",
    "i": "2,929.50",
}
ARREARS = {
    "a": "705.00",
    "b": "767.88",
    "c": "1,013.10",
    "d": "828.00",
    "f": "705.00",
    "g": "512.00",
    "i": "777.00",
}
TOWNSHIP_A = ("a", "b", "f")
TOWNSHIP_B = ("c", "d", "g", "i")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    """Each test's files in its own folder, so a count of files counts this test's only."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def world(county: Any, banks: Any) -> Any:
    people = make_people(county, banks["psbc"])
    set_published(county.admin)
    first_half_paid(county, people)
    return people


@pytest.fixture
def applied(county: Any, world: Any) -> AdjustmentRun:
    return run_and_apply(county)


def _render_all(batches: list[AdjustmentNoticeBatch]) -> list[AdjustmentNoticeBatch]:
    return [adjustment_notices_render(batch_id=batch.pk) for batch in batches]


def _notices_text(batch: AdjustmentNoticeBatch) -> str:
    return pdf_text(Path(batch.file.path))


def _files(media: Path) -> list[Path]:
    return sorted(media.rglob("*.pdf"))


# The notices ------------------------------------------------------------------------------------------------


def test_each_townships_notices_hold_its_people_figures_and_arrears_with_masked_ids(
    county: Any, world: Any, applied: AdjustmentRun, media: Path
) -> None:
    batches = adjustment_notices_start(run=applied, by=county.clerk)
    assert [batch.township for batch in batches] == [county.township_a, county.township_b]
    assert all(batch.status == Batch.QUEUED for batch in batches)
    done = {batch.township_id: batch for batch in _render_all(batches)}
    assert {batch.status for batch in done.values()} == {Batch.DONE}

    for township, keys in ((county.township_a, TOWNSHIP_A), (county.township_b, TOWNSHIP_B)):
        batch = done[township.pk]
        assert batch.people == len(keys) and batch.progress == 100 and batch.finished_at is not None
        text = _notices_text(batch)
        assert text.count("养老金调整通知单") == len(keys)
        assert county.county.name in text and "2026" in text and township.name in text
        assert "省人社厅 省财政厅 关于2026年调整退休人员基本养老金的通知" in text
        assert "各项合计四舍五入到分" in text
        # Two notices to an A4 sheet.
        assert pdf_info(Path(batch.file.path))["Pages"] == str((len(keys) + 1) // 2)
        for key in keys:
            retiree = getattr(world, key)
            assert retiree.name in text
            assert f"¥{RISE[key]}" in text and f"¥{NEW[key]}" in text and f"¥{ARREARS[key]}" in text
            assert mask_resident_id(retiree.id_number) in text
            assert retiree.id_number not in text
        others = TOWNSHIP_B if keys == TOWNSHIP_A else TOWNSHIP_A
        assert all(getattr(world, key).name not in text for key in others)
        # The exception (no contribution months) and the one retired after the cut-off get no notice.
        assert world.e.name not in text and world.h.name not in text

    text_a = _notices_text(done[county.township_a.pk])
    # A's components, each to the fen: 50 + 1.5 % of 3000.00 + 15 + 5 × 1.5; the age tier is in use (0.00).
    for figure in ("¥3,000.00", "¥50.00", "¥45.00", "¥22.50", "¥0.00"):
        assert figure in text_a
    assert "挂钩调整(本人基本养老金的 1.5%)" in text_a
    assert "补发 2026 年 1 月至 2026 年 6 月,共 6 个月" in text_a
    assert "自 2026 年 1 月起调整后月养老金" in text_a
    # B's percentage part is 42.9825, printed as 42.98; the rise is the sum rounded once.
    assert "¥42.98" in text_a
    # No flag extras and no minimum rise in the year's parameters: those lines are left off.
    assert "特殊人员" not in text_a and "补足最低增加额" not in text_a
    # G died on 12 April: owed January to April.
    text_b = _notices_text(done[county.township_b.pk])
    assert "补发 2026 年 1 月至 2026 年 4 月,共 4 个月" in text_b
    assert "补发金额随丧葬补助金和抚恤金一并支付给家属" in text_b
    # F is suspended: the arrears wait for the restoration.
    assert "补发金额在恢复发放后一并发放" in text_a


def test_a_notice_reads_the_arrears_actually_written(county: Any, world: Any, applied: AdjustmentRun) -> None:
    people = {person.name: person for person in notice_people(run=applied, township_id=county.township_b.pk)}
    g = people[world.g.name]
    assert (g.arrears_from, g.arrears_to, g.arrears_months, g.arrears_total) == (
        PensionMonth(2026, 1),
        PensionMonth(2026, 4),
        4,
        D("512.00"),
    )
    assert set(people) == {world.c.name, world.d.name, world.g.name, world.i.name}
    assert people[world.c.name].rise == D("168.85") and people[world.c.name].arrears_total == D("1013.10")


def test_notices_are_refused_before_the_apply_and_nothing_is_written(county: Any, world: Any) -> None:
    with time_machine.travel(T_APPLY, tick=False):
        run = adjustment_run_start(year=2026, by=county.clerk)
        computed = adjustment_dry_run(run_id=run.pk)
    assert computed is not None and computed.status == AdjustmentRun.Status.COMPUTED
    with pytest.raises(AdjustmentError) as refused:
        adjustment_notices_start(run=computed, by=county.clerk)
    assert "调整通知单只能在调待执行后生成" in refused.value.message and "试算完成" in refused.value.message
    assert not AdjustmentNoticeBatch.objects.exists()

    client = Client()
    client.force_login(county.clerk)
    response = client.post(reverse("adjustment-notices-start", args=[computed.pk]), follow=True)
    assert "调整通知单只能在调待执行后生成" in response.content.decode()
    assert not AdjustmentNoticeBatch.objects.exists()
    api = APIClient()
    api.force_authenticate(county.clerk)
    answer = api.post(reverse("api-adjustment-notices", args=[computed.pk]), {}, format="json")
    assert answer.status_code == 400 and "调整通知单只能在调待执行后生成" in str(answer.json())
    assert not AdjustmentNoticeBatch.objects.exists()


def test_a_township_without_people_or_still_rendering_is_refused(
    county: Any, world: Any, applied: AdjustmentRun, media: Path
) -> None:
    with pytest.raises(AdjustmentError, match="没有调整人员"):
        adjustment_notices_start(run=applied, by=county.clerk, township_id=county.county.pk)
    (batch,) = adjustment_notices_start(run=applied, by=county.clerk, township_id=county.township_a.pk)
    with pytest.raises(AdjustmentError, match="正在生成"):
        adjustment_notices_start(run=applied, by=county.clerk, township_id=county.township_a.pk)
    # Every township: only B is missing now.
    (other,) = adjustment_notices_start(run=applied, by=county.clerk)
    assert other.township == county.township_b
    with pytest.raises(AdjustmentError, match="都已生成或正在生成"):
        adjustment_notices_start(run=applied, by=county.clerk)
    assert AdjustmentNoticeBatch.objects.count() == 2
    assert batch.status == Batch.QUEUED


def test_the_task_run_twice_writes_one_file(
    county: Any, world: Any, applied: AdjustmentRun, media: Path
) -> None:
    (batch,) = adjustment_notices_start(run=applied, by=county.clerk, township_id=county.township_a.pk)
    assert render_adjustment_notices(batch.pk) == Batch.DONE
    first = AdjustmentNoticeBatch.objects.get(pk=batch.pk)
    assert render_adjustment_notices(batch.pk) == Batch.DONE  # the redelivered message: nothing to do
    again = AdjustmentNoticeBatch.objects.get(pk=batch.pk)
    assert (again.file.name, again.finished_at, again.job_attempts) == (first.file.name, first.finished_at, 1)
    assert len(_files(media)) == 1


def test_an_attempt_that_lost_its_batch_writes_nothing(
    county: Any, world: Any, applied: AdjustmentRun, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweeper marked the batch interrupted while WeasyPrint was still laying it out: the late attempt
    keeps its hands off (no file, the status stays)."""
    (batch,) = adjustment_notices_start(run=applied, by=county.clerk, township_id=county.township_a.pk)
    real = notice_pdfs.adjustment_notices_pdf

    def swept_meanwhile(document: notice_pdfs.NoticeFile) -> bytes:
        AdjustmentNoticeBatch.objects.filter(pk=batch.pk).update(status=Batch.INTERRUPTED)
        return real(document)

    monkeypatch.setattr(notice_pdfs, "adjustment_notices_pdf", swept_meanwhile)
    result = adjustment_notices_render(batch_id=batch.pk)
    assert result.status == Batch.INTERRUPTED and not result.file
    assert _files(media) == []


def test_an_interrupted_batch_is_started_again_as_the_same_row(
    county: Any, world: Any, applied: AdjustmentRun, media: Path
) -> None:
    (batch,) = adjustment_notices_start(run=applied, by=county.clerk, township_id=county.township_b.pk)
    # The worker began the batch and died: no heartbeat for longer than JOB_STALE_MINUTES.
    long_ago = datetime.datetime(2026, 7, 3, 9, 0, tzinfo=SH)
    AdjustmentNoticeBatch.objects.filter(pk=batch.pk).update(
        status=Batch.RENDERING, job_started_at=long_ago, job_heartbeat_at=long_ago, job_attempts=1
    )
    job_sweep()
    batch.refresh_from_db()
    assert batch.status == Batch.INTERRUPTED and "任务中断" in batch.error

    client = Client()
    client.force_login(county.clerk)
    page = client.get(reverse("adjustment-notices", args=[applied.pk])).content.decode()
    assert "任务中断" in page and "重新生成" in page

    response = client.post(
        reverse("adjustment-notices-start", args=[applied.pk]), {"township": county.township_b.pk}
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == Batch.QUEUED and batch.error == ""
    assert AdjustmentNoticeBatch.objects.count() == 1
    done = adjustment_notices_render(batch_id=batch.pk)
    assert (done.status, done.job_attempts, done.people) == (Batch.DONE, 2, 4)
    assert world.c.name in _notices_text(done)


def test_a_done_township_made_again_gets_a_new_batch_and_the_page_shows_the_newest(
    county: Any, world: Any, applied: AdjustmentRun, media: Path
) -> None:
    (first,) = adjustment_notices_start(run=applied, by=county.clerk, township_id=county.township_a.pk)
    adjustment_notices_render(batch_id=first.pk)
    (second,) = adjustment_notices_start(run=applied, by=county.clerk, township_id=county.township_a.pk)
    assert second.pk != first.pk and second.status == Batch.QUEUED
    client = Client()
    client.force_login(county.auditor)
    page = client.get(reverse("adjustment-notices", args=[applied.pk]), headers={"HX-Request": "true"})
    body = page.content.decode()
    # The table alone, polling while the new file is made; no download of the older file.
    assert "<html" not in body and 'hx-trigger="every 2s"' in body
    assert reverse("adjustment-notice-download", args=[first.pk]) not in body
    adjustment_notices_render(batch_id=second.pk)
    body = client.get(reverse("adjustment-notices", args=[applied.pk])).content.decode()
    assert reverse("adjustment-notice-download", args=[second.pk]) in body
    assert "every 2s" not in body


# Pages, downloads and permissions ---------------------------------------------------------------------------


def test_the_page_lists_the_townships_and_downloads_a_file(
    county: Any, world: Any, applied: AdjustmentRun, media: Path
) -> None:
    client = Client()
    client.force_login(county.clerk)
    page = client.get(reverse("adjustment-notices", args=[applied.pk])).content.decode()
    assert page.index(county.township_a.name) < page.index(county.township_b.name)
    assert "生成通知单" in page and "全部乡镇" in page
    client.post(reverse("adjustment-notices-start", args=[applied.pk]))
    batches = list(AdjustmentNoticeBatch.objects.order_by("id"))
    assert len(batches) == 2
    _render_all(batches)
    response = client.get(reverse("adjustment-notice-download", args=[batches[0].pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("role", "view", "start"),
    [
        ("clerk", 200, 302),
        ("admin", 200, 302),
        ("reviewer", 200, 403),
        ("auditor", 200, 403),
        ("officer_a", 403, 403),
    ],
)
def test_who_sees_and_who_starts(
    county: Any, world: Any, applied: AdjustmentRun, media: Path, role: str, view: int, start: int
) -> None:
    staff: Staff = county.staff_by_role()[role]
    client = Client()
    client.force_login(staff)
    assert client.get(reverse("adjustment-notices", args=[applied.pk])).status_code == view
    assert client.get(reverse("adjustment-summary-pdf", args=[applied.pk])).status_code == view
    assert client.get(reverse("adjustment-summary-xlsx", args=[applied.pk])).status_code == view
    assert client.post(reverse("adjustment-notices-start", args=[applied.pk])).status_code == start
    assert AdjustmentNoticeBatch.objects.exists() == (start == 302)
    api = APIClient()
    api.force_authenticate(staff)
    assert api.get(reverse("api-adjustment-summary", args=[applied.pk])).status_code == view
    answer = api.post(reverse("api-adjustment-notices", args=[applied.pk]), {}, format="json")
    # Past the permission check the page has already queued every township: the API is refused with why.
    assert answer.status_code == (400 if start == 302 else 403)


# The summary table ------------------------------------------------------------------------------------------


def test_the_summary_adds_up_to_the_hand_figures(county: Any, world: Any, applied: AdjustmentRun) -> None:
    summary = adjustment_summary(applied)
    assert not summary.trial
    a, b = summary.rows
    assert (a.township_id, a.people, a.exceptions) == (county.township_a.pk, 3, 1)
    assert (a.old_total, a.rise_total, a.arrears_total, a.arrears_months) == (
        D("8365.50"),
        D("362.98"),
        D("2177.88"),
        18,
    )
    assert (b.township_id, b.people, b.exceptions) == (county.township_b.pk, 4, 0)
    assert (b.old_total, b.rise_total, b.arrears_total, b.arrears_months) == (
        D("10123.44"),
        D("564.35"),
        D("3130.10"),
        22,
    )
    total = summary.total
    assert (total.people, total.exceptions, total.rise_total, total.arrears_total) == (
        7,
        1,
        D("927.33"),
        D("5307.98"),
    )
    assert total.old_total == a.old_total + b.old_total == D("18488.94")
    assert total.new_total == total.old_total + total.rise_total == D("19416.27")
    assert total.arrears_total == applied.arrears_total and total.arrears_months == applied.arrears_written


def test_the_summary_pdf_xlsx_and_api_say_the_same(
    county: Any, world: Any, applied: AdjustmentRun, tmp_path: Path
) -> None:
    client = Client()
    client.force_login(county.reviewer)
    response = client.get(reverse("adjustment-summary-pdf", args=[applied.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "summary.pdf"
    path.write_bytes(response.content)
    text = pdf_text(path)
    assert "调待汇总表" in text or "基本养老金调整汇总表" in text
    assert "试算" not in text
    for figure in ("¥362.98", "¥564.35", "¥927.33", "¥2,177.88", "¥3,130.10", "¥5,307.98", "¥18,488.94"):
        assert figure in text
    assert "另有异常人员 1 人未调整" in text
    assert pdf_info(path)["Pages"] == "1"

    response = client.get(reverse("adjustment-summary-xlsx", args=[applied.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == county.township_a.name and rows[2][0] == county.township_b.name
    assert rows[3][0] == "合计"
    assert D(str(rows[3][3])) == D("927.33") and D(str(rows[3][6])) == D("5307.98")
    assert D(str(rows[1][3])) + D(str(rows[2][3])) == D(str(rows[3][3]))
    assert rows[3][7] == 1

    api = APIClient()
    api.force_authenticate(county.auditor)
    data = api.get(reverse("api-adjustment-summary", args=[applied.pk])).json()
    assert data["trial"] is False and data["exceptions"] == 1
    assert data["total"]["rise_total"] == "927.33" and data["total"]["arrears_total"] == "5307.98"
    assert [row["name"] for row in data["rows"]] == [county.township_a.name, county.township_b.name]


def test_the_summary_of_a_dry_run_is_marked_trial(county: Any, world: Any, tmp_path: Path) -> None:
    with time_machine.travel(T_APPLY, tick=False):
        run = adjustment_run_start(year=2026, by=county.clerk)
        computed = adjustment_dry_run(run_id=run.pk)
    assert computed is not None
    summary = adjustment_summary(computed)
    assert summary.trial and summary.total.rise_total == D("927.33")
    # Before the apply the arrears are the dry run's estimate (nothing written yet), the same figure here.
    assert summary.total.arrears_total == D("5307.98")
    client = Client()
    client.force_login(county.clerk)
    response = client.get(reverse("adjustment-summary-pdf", args=[computed.pk]))
    path = tmp_path / "trial.pdf"
    path.write_bytes(response.content)
    assert "试算" in pdf_text(path)
    page = client.get(reverse("adjustment-notices", args=[computed.pk])).content.decode()
    assert "调整通知单在调待执行后生成" in page and "生成通知单" not in page


def test_the_summary_of_a_run_still_queued_is_refused(county: Any, world: Any) -> None:
    with time_machine.travel(T_APPLY, tick=False):
        run = adjustment_run_start(year=2026, by=county.clerk)
    client = Client()
    client.force_login(county.clerk)
    response = client.get(reverse("adjustment-summary-pdf", args=[run.pk]), follow=True)
    assert "还没有试算结果,不能生成汇总表" in response.content.decode()
    response = client.get(reverse("adjustment-summary-xlsx", args=[run.pk]))
    assert response.status_code == 302
    api = APIClient()
    api.force_authenticate(county.clerk)
    answer = api.get(reverse("api-adjustment-summary", args=[run.pk]))
    assert answer.status_code == 400 and "还没有试算结果" in str(answer.json())


def test_the_api_lists_starts_and_downloads(
    county: Any, world: Any, applied: AdjustmentRun, media: Path
) -> None:
    api = APIClient()
    api.force_authenticate(county.clerk)
    url = reverse("api-adjustment-notices", args=[applied.pk])
    answer = api.post(url, {"township": county.township_a.pk}, format="json")
    assert answer.status_code == 202
    (started,) = answer.json()
    assert started["township"]["id"] == county.township_a.pk and started["status"] == "queued"
    download = reverse("api-adjustment-notice-download", args=[started["id"]])
    assert api.get(download).status_code == 404  # not made yet
    adjustment_notices_render(batch_id=started["id"])
    listed = api.get(url).json()
    assert [(row["id"], row["status"], row["people"]) for row in listed] == [(started["id"], "done", 3)]
    response = api.get(download)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = media / "api.pdf.out"
    path.write_bytes(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert world.a.name in pdf_text(path)
