"""The annual adjustment's run pages (调待试算): the year, a run from dry run to apply with its figures, the
moves and their refusals, the lines and their xlsx file, the approvals inbox and the audit log, and one dry
run computed by a real Celery worker. The county and the hand-computed figures are in
tests/pensions/adjustment_flow.py and tests/pensions/test_adjustment.py."""

from __future__ import annotations

import io
import time
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from openpyxl import load_workbook

from pensions.models import AdjustmentRun
from pensions.services.adjustments import (
    adjustment_apply,
    adjustment_dry_run,
    adjustment_run_start,
    adjustment_submit,
)
from registry import approvals
from registry.models import ExportJob, PensionRate, SensitiveExport
from registry.selectors.audit_log import AuditLogFilters, audit_log_page
from registry.services.export_jobs import export_job_run

from .adjustment_flow import T_APPLY, first_half_paid, make_people, set_published

Status = AdjustmentRun.Status
D = Decimal
# The figures of the hand-computed county (tests/pensions/test_adjustment.py): eight people considered (the
# one retired after the cut-off is not), one exception (no contribution months), seven adjusted.
RISE_TOTAL = "¥927.33"  # 117.50 + 127.98 + 168.85 + 138.00 + 117.50 + 128.00 + 129.50
ARREARS_TOTAL = "¥5,307.98"  # six months each, the one who died in April four
ARREARS_ITEMS = 40


@pytest.fixture
def world(county: Any, banks: Any) -> Any:
    people = make_people(county, banks["psbc"])
    set_published(county.admin)
    first_half_paid(county, people)
    return people


@pytest.fixture
def on_apply_day() -> Any:
    with time_machine.travel(T_APPLY, tick=False):
        yield


def signed_in(client: Any, staff: Any) -> Any:
    client.force_login(staff)
    return client


def page(client: Any, name: str, *args: Any, **extra: Any) -> Any:
    return client.get(reverse(name, args=args), **extra)


def post(client: Any, name: str, *args: Any, **data: Any) -> Any:
    return client.post(reverse(name, args=args), data)


def start_and_compute(county: Any, by: Any = None) -> AdjustmentRun:
    run = adjustment_run_start(year=2026, by=by or county.clerk)
    computed = adjustment_dry_run(run_id=run.pk)
    assert computed is not None and computed.status == Status.COMPUTED
    return computed


# The whole flow ---------------------------------------------------------------------------------------------


def test_a_clerk_starts_a_reviewer_approves_and_the_clerk_applies_through_the_pages(
    client, county, world, on_apply_day
):
    clerk = signed_in(client, county.clerk)

    year = page(clerk, "adjustment-year", 2026).content.decode()
    assert "2026-01" in year and "¥50.00" in year and "1.5%" in year and 'id="start-open"' in year
    assert "本年度还没有试算" in year and 'id="supplementary-note"' not in year

    # When the clerk starts the dry run, the run is queued and its page follows the job
    response = post(clerk, "adjustment-run-start", 2026)
    run = AdjustmentRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "adjustment-run-detail", args=[run.pk]
    )
    assert (run.status, run.prepared_by) == (Status.QUEUED, county.clerk)
    queued = page(clerk, "adjustment-run-detail", run.pk).content.decode()
    assert f'hx-get="{reverse("adjustment-run-progress", args=[run.pk])}"' in queued
    assert 'id="run-figures"' not in queued and 'id="submit-open"' not in queued
    polled = page(clerk, "adjustment-run-progress", run.pk, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in polled and "w-pct-0" in polled.content.decode()

    # When the worker has computed it (its body called here), the poll reloads the page with the figures
    adjustment_dry_run(run_id=run.pk)
    assert page(clerk, "adjustment-run-progress", run.pk, HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    computed = page(clerk, "adjustment-run-detail", run.pk).content.decode()
    for figure, shown in (
        ("people", "8"),
        ("adjusted", "7"),
        ("exceptions", "1"),
        ("rise_total", RISE_TOTAL),
    ):
        assert f'data-figure="{figure}">{shown}<' in computed
    assert f'data-figure="arrears_total">{ARREARS_TOTAL}<' in computed
    assert "2026-01 至 2026-06,共 40 人月" in computed
    assert "¥117.50 / ¥128.00 / ¥168.85" in computed
    assert 'data-chart="adjustment-histogram"' in computed and 'id="adjustment-chart-data"' in computed
    assert "js/adjustment-chart.js" in computed and "chartjs-4.6.1/chart.umd.min.js" in computed
    assert "可能相差几分" in computed
    # The exception: its problem, the person masked, a link to the record page
    e = world.e
    assert "没有缴费月数" in computed and e.name in computed
    assert reverse("retiree-detail", args=[e.pk]) in computed
    assert e.id_number not in computed and e.id_number[:6] in computed
    assert 'id="submit-open"' in computed and 'id="approve-open"' not in computed

    # When the clerk submits, the reviewer sees the approval; the clerk is told whom it waits for
    assert post(clerk, "adjustment-run-submit", run.pk).status_code == 302
    run.refresh_from_db()
    assert run.status == Status.SUBMITTED
    assert 'id="awaiting-reviewer"' in page(clerk, "adjustment-run-detail", run.pk).content.decode()
    reviewer = signed_in(type(client)(), county.reviewer)
    waiting = page(reviewer, "adjustment-run-detail", run.pk).content.decode()
    assert (
        'id="approve-open"' in waiting and 'id="reject-open"' in waiting and 'id="apply-open"' not in waiting
    )

    # When the reviewer approves with a comment, the clerk is offered the apply with what it will write
    assert post(reviewer, "adjustment-run-approve", run.pk, comment="已与省厅核对").status_code == 302
    run.refresh_from_db()
    assert (run.status, run.approved_by, run.decision_comment) == (
        Status.APPROVED,
        county.reviewer,
        "已与省厅核对",
    )
    approved = page(clerk, "adjustment-run-detail", run.pk).content.decode()
    assert 'id="apply-open"' in approved
    assert f"将为 7 人写入自 2026-01 起的新养老金标准,每月共增加 {RISE_TOTAL};写入 40 条补发" in approved
    assert f"合计 {ARREARS_TOTAL}" in approved

    # When the clerk applies, the apply is queued; once done (its body called here) the page shows the result
    assert post(clerk, "adjustment-run-apply", run.pk).status_code == 302
    run.refresh_from_db()
    assert (run.status, run.applied_by) == (Status.APPLYING, county.clerk)
    assert 'id="run-progress" hx-get' in page(clerk, "adjustment-run-detail", run.pk).content.decode()
    adjustment_apply(run_id=run.pk)
    applied = page(clerk, "adjustment-run-detail", run.pk).content.decode()
    assert 'data-applied="rates_written">7<' in applied
    assert f'data-applied="arrears_written">{ARREARS_ITEMS}<' in applied
    assert f'data-applied="arrears_total">{ARREARS_TOTAL}<' in applied
    assert county.clerk.display_name in applied and "2026-07-03 10:00" in applied
    for button in ("submit-open", "approve-open", "apply-open", "discard-open", "restart-open"):
        assert f'id="{button}"' not in applied
    assert PensionRate.objects.filter(reason=PensionRate.Reason.ANNUAL_ADJUSTMENT).count() == 7

    # The year's page lists the run; a new run would be a supplementary one
    year = page(clerk, "adjustment-year", 2026).content.decode()
    assert f'data-run="{run.pk}"' in year and "已执行" in year and 'id="supplementary-note"' in year


def test_a_failed_dry_run_is_run_again_from_its_page(client, county, world, on_apply_day):
    run = adjustment_run_start(year=2026, by=county.clerk)
    AdjustmentRun.objects.filter(pk=run.pk).update(status=Status.FAILED, error="worker lost")
    clerk = signed_in(client, county.clerk)
    failed = page(clerk, "adjustment-run-detail", run.pk).content.decode()
    assert 'id="restart-open"' in failed and "worker lost" in failed

    assert post(clerk, "adjustment-run-restart", run.pk).status_code == 302
    run.refresh_from_db()
    assert (run.status, run.error, run.job_attempts) == (Status.QUEUED, "", 2)


# Refusals: a Chinese message, nothing changed ---------------------------------------------------------------


def test_starting_without_parameters_or_with_a_run_in_flight_is_refused(client, county, world, on_apply_day):
    clerk = signed_in(client, county.clerk)

    response = post(clerk, "adjustment-run-start", 2027)
    assert response.status_code == 400
    assert "2027 年还没有调待参数,请系统管理员先录入。" in response.content.decode()
    assert not AdjustmentRun.objects.exists()

    run = start_and_compute(county)
    response = post(clerk, "adjustment-run-start", 2026)
    assert response.status_code == 400
    assert (
        f"2026 年已有一次试算(编号 {run.pk},试算完成),请处理完毕或作废后再试算。" in response.content.decode()
    )
    assert AdjustmentRun.objects.count() == 1
    assert 'id="start-open"' not in page(clerk, "adjustment-year", 2026).content.decode()


def test_the_preparer_cannot_approve_and_is_told_why(client, county, world, on_apply_day):
    run = start_and_compute(county, by=county.admin)
    adjustment_submit(run=run, by=county.admin)
    admin = signed_in(client, county.admin)

    shown = page(admin, "adjustment-run-detail", run.pk).content.decode()
    assert 'id="awaiting-other"' in shown and 'id="approve-open"' not in shown

    response = post(admin, "adjustment-run-approve", run.pk)
    assert response.status_code == 400
    assert "不能审核自己试算的年度调待,请由其他审核人员审核。" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.approved_by) == (Status.SUBMITTED, None)


def test_a_rejection_needs_a_comment_and_then_sends_the_run_back(client, county, world, on_apply_day):
    run = start_and_compute(county)
    adjustment_submit(run=run, by=county.clerk)
    reviewer = signed_in(client, county.reviewer)

    response = post(reviewer, "adjustment-run-reject", run.pk, comment="  ")
    assert response.status_code == 400
    assert "退回时请填写审核意见,说明退回原因。" in response.content.decode()
    run.refresh_from_db()
    assert run.status == Status.SUBMITTED

    assert post(reviewer, "adjustment-run-reject", run.pk, comment="挂钩比例有误").status_code == 302
    run.refresh_from_db()
    assert (run.status, run.decision_comment) == (Status.REJECTED, "挂钩比例有误")
    clerk = signed_in(type(client)(), county.clerk)
    shown = page(clerk, "adjustment-run-detail", run.pk).content.decode()
    assert "退回原因:" in shown and "挂钩比例有误" in shown

    # Rejected is an end: submitting again is refused with the status
    response = post(clerk, "adjustment-run-submit", run.pk)
    assert response.status_code == 400 and "该试算已退回,不能进行此操作。" in response.content.decode()


def test_a_run_made_stale_by_new_parameters_warns_and_refuses_to_move(client, county, world, on_apply_day):
    run = start_and_compute(county)
    set_published(county.admin, flat_amount="55.00")  # a correction of the year's parameters, after the run
    clerk = signed_in(client, county.clerk)

    shown = page(clerk, "adjustment-run-detail", run.pk).content.decode()
    assert 'id="stale-warning"' in shown and "试算后调待参数已修改" in shown
    assert 'id="submit-open"' not in shown and 'id="discard-open"' in shown

    response = post(clerk, "adjustment-run-submit", run.pk)
    assert response.status_code == 400 and "请作废本次试算后重新试算" in response.content.decode()
    run.refresh_from_db()
    assert run.status == Status.COMPUTED

    assert post(clerk, "adjustment-run-discard", run.pk).status_code == 302
    run.refresh_from_db()
    assert run.status == Status.DISCARDED
    assert page(clerk, "adjustment-run-detail", run.pk).status_code == 200  # its lines can still be read


def test_applying_before_approval_is_refused(client, county, world, on_apply_day):
    run = start_and_compute(county)
    response = post(signed_in(client, county.clerk), "adjustment-run-apply", run.pk)
    assert response.status_code == 400 and "该试算试算完成,不能进行此操作。" in response.content.decode()
    run.refresh_from_db()
    assert (run.status, run.applied_by) == (Status.COMPUTED, None)


# Permissions ------------------------------------------------------------------------------------------------


def test_township_staff_see_nothing_of_the_adjustment(client, county, world, on_apply_day):
    run = start_and_compute(county)
    officer = signed_in(client, county.officer_a)
    for name, args in (
        ("adjustment-year", (2026,)),
        ("adjustment-run-detail", (run.pk,)),
        ("adjustment-run-progress", (run.pk,)),
        ("adjustment-run-lines", (run.pk,)),
        ("adjustment-run-export", (run.pk,)),
    ):
        assert page(officer, name, *args).status_code == 403, name
    assert post(officer, "adjustment-run-submit", run.pk).status_code == 403


def test_the_auditor_reads_but_moves_nothing(client, county, world, on_apply_day):
    run = start_and_compute(county)
    auditor = signed_in(client, county.auditor)
    shown = page(auditor, "adjustment-run-detail", run.pk).content.decode()
    assert 'id="run-figures"' in shown
    for button in ("submit-open", "approve-open", "apply-open", "discard-open"):
        assert f'id="{button}"' not in shown
    assert 'id="start-open"' not in page(auditor, "adjustment-year", 2026).content.decode()
    assert page(auditor, "adjustment-run-lines", run.pk).status_code == 200
    for name in ("adjustment-run-submit", "adjustment-run-discard", "adjustment-run-approve"):
        assert post(auditor, name, run.pk).status_code == 403, name
    assert post(auditor, "adjustment-run-start", 2026).status_code == 403
    run.refresh_from_db()
    assert run.status == Status.COMPUTED


def test_a_clerk_cannot_approve_and_a_reviewer_cannot_start_or_apply(client, county, world, on_apply_day):
    run = start_and_compute(county)
    adjustment_submit(run=run, by=county.clerk)
    assert post(signed_in(client, county.clerk), "adjustment-run-approve", run.pk).status_code == 403
    reviewer = signed_in(type(client)(), county.reviewer)
    assert post(reviewer, "adjustment-run-start", 2026).status_code == 403
    assert post(reviewer, "adjustment-run-apply", run.pk).status_code == 403
    assert post(reviewer, "adjustment-run-discard", run.pk).status_code == 403
    run.refresh_from_db()
    assert run.status == Status.SUBMITTED and AdjustmentRun.objects.count() == 1


# The lines and the file -------------------------------------------------------------------------------------


def test_the_lines_page_filters_by_township_problem_and_name_or_id(client, county, world, on_apply_day):
    run = start_and_compute(county)
    clerk = signed_in(client, county.clerk)

    every = page(clerk, "adjustment-run-lines", run.pk).content.decode()
    assert "共 8 人" in every and world.a.id_number not in every and world.a.id_number[:6] in every
    # Each component to two decimals: B's 1.5 % of 2865.50 is 42.9825
    assert "42.98" in every and "¥127.98" in every and "¥2,993.48" in every

    def shown(**query: str) -> str:
        return clerk.get(reverse("adjustment-run-lines", args=[run.pk]), query).content.decode()

    assert "共 1 人" in shown(problem="any") and world.e.name in shown(problem="any")
    assert "共 7 人" in shown(problem="none")
    township_b = shown(township=str(county.township_b.pk))
    assert "共 4 人" in township_b and world.c.name in township_b and world.a.name not in township_b
    assert "共 1 人" in shown(q="丙") and world.c.name in shown(q="丙")
    assert "共 1 人" in shown(q=world.d.id_number[:10])
    fragment = clerk.get(reverse("adjustment-run-lines", args=[run.pk]), {"q": "丙"}, HTTP_HX_REQUEST="true")
    assert fragment.content.decode().lstrip().startswith('<div id="run-lines">')


def xlsx_rows(response: Any) -> list[tuple[Any, ...]]:
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows(values_only=True))


def test_the_file_is_masked_by_default_and_its_totals_row_adds_up(client, county, world, on_apply_day):
    run = start_and_compute(county)
    clerk = signed_in(client, county.clerk)

    rows = xlsx_rows(page(clerk, "adjustment-run-export", run.pk))
    header, lines, totals = rows[0], rows[1:-1], rows[-1]
    assert header[:4] == ("序号", "姓名", "身份证号码", "乡镇(街道)") and header[-1] == "异常"
    assert len(lines) == 8 and not SensitiveExport.objects.exists()
    assert all("*" in line[2] for line in lines)
    assert world.a.id_number not in {line[2] for line in lines}
    assert totals[0] == "合计" and totals[1] == "8 人"
    # Every money column of the totals row is the sum of the cells above it
    for column in range(8, 19):
        assert D(str(totals[column])) == sum((D(str(line[column] or 0)) for line in lines), D(0)), header[
            column
        ]
    assert D(str(totals[header.index("月增加额")])) == D("927.33")
    assert D(str(totals[header.index("补发金额")])) == D("5307.98")
    assert totals[header.index("补发月数")] == ARREARS_ITEMS


def test_full_numbers_only_through_the_purpose_dialog_and_recorded(client, county, world, on_apply_day):
    run = start_and_compute(county)
    url = reverse("adjustment-run-export", args=[run.pk])

    refused = signed_in(client, county.clerk).get(url, {"purpose": "other"})
    assert refused.status_code == 400 and not SensitiveExport.objects.exists()

    rows = xlsx_rows(client.get(url, {"purpose": "data_correction"}))
    assert world.a.id_number in {line[2] for line in rows[1:-1]}
    export = SensitiveExport.objects.get()
    assert (export.staff, export.person_count, export.purpose) == (county.clerk, 8, "data_correction")
    assert export.export == "pensions.adjustment_lines"

    # Township staff never reach the file; a role without VIEW_SENSITIVE is refused full numbers
    assert signed_in(type(client)(), county.officer_a).get(url, {"purpose": "audit"}).status_code == 403
    assert SensitiveExport.objects.count() == 1

    lines_page = page(client, "adjustment-run-lines", run.pk).content.decode()
    assert 'id="run-lines-full-export"' in lines_page


def test_a_long_run_is_exported_by_the_worker_with_the_same_rows(
    client, county, world, on_apply_day, settings, tmp_path
):
    run = start_and_compute(county)
    clerk = signed_in(client, county.clerk)
    inline = xlsx_rows(page(clerk, "adjustment-run-export", run.pk))
    settings.EXPORT_INLINE_MAX_ROWS = 7  # the run has 8 lines
    settings.MEDIA_ROOT = tmp_path

    response = page(clerk, "adjustment-run-export", run.pk)

    job = ExportJob.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/exports/?job={job.pk}")
    assert (job.kind, job.label) == ("pensions.adjustment_lines", f"2026 年度调待试算明细(编号 {run.pk})")
    done = export_job_run(job_id=job.pk)
    assert (done.status, done.row_count) == ("done", 8)
    assert xlsx_rows(clerk.get(reverse("export-job-file", args=[job.pk]))) == inline
    assert not SensitiveExport.objects.exists()


# The approvals inbox and the audit log ----------------------------------------------------------------------


def test_the_inbox_shows_a_submitted_run_to_a_reviewer_not_to_its_preparer(
    client, county, world, on_apply_day
):
    run = start_and_compute(county, by=county.admin)
    assert approvals.waiting_count(county.reviewer) == 0
    adjustment_submit(run=run, by=county.admin)

    items = [item for item in approvals.waiting_items(county.reviewer) if item.kind == "annual_adjustment"]
    assert [(item.kind_label, item.url, item.prepared_by) for item in items] == [
        ("年度调待", reverse("adjustment-run-detail", args=[run.pk]), county.admin.display_name)
    ]
    assert items[0].title == f"2026 年度调待试算 · 调整 7 人 · 月增加 {RISE_TOTAL} · 补发 {ARREARS_TOTAL}"
    assert not [item for item in approvals.waiting_items(county.admin) if item.kind == "annual_adjustment"]
    assert not [item for item in approvals.waiting_items(county.clerk) if item.kind == "annual_adjustment"]
    inbox = signed_in(client, county.reviewer).get(reverse("approval-inbox")).content.decode()
    assert reverse("adjustment-run-detail", args=[run.pk]) in inbox


def test_the_audit_log_shows_the_parameters_and_every_decisive_move(client, county, world, on_apply_day):
    clerk = signed_in(client, county.clerk)
    reviewer = signed_in(type(client)(), county.reviewer)
    # A first run sent back by the reviewer through the page (the run records no rejecter: the history does)
    other = start_and_compute(county)
    post(clerk, "adjustment-run-submit", other.pk)
    post(reviewer, "adjustment-run-reject", other.pk, comment="重新核对")
    # The parameters corrected, a second run approved and applied
    set_published(county.admin, announcement="更正后的通知")
    run = start_and_compute(county)
    post(clerk, "adjustment-run-submit", run.pk)
    post(reviewer, "adjustment-run-approve", run.pk, comment="同意")
    post(clerk, "adjustment-run-apply", run.pk)
    adjustment_apply(run_id=run.pk)
    assert AdjustmentRun.objects.get(pk=run.pk).status == Status.APPLIED

    moves = audit_log_page(filters=AuditLogFilters(kind="adjustment_run")).rows
    seen = sorted((row.subject.split(":")[0], row.action, row.who) for row in moves)
    assert seen == sorted(
        [
            (f"2026 年度调待试算(编号 {run.pk})", "提交审核", county.clerk.display_name),
            (f"2026 年度调待试算(编号 {run.pk})", "审核通过", county.reviewer.display_name),
            (f"2026 年度调待试算(编号 {run.pk})", "执行调整", county.clerk.display_name),
            (f"2026 年度调待试算(编号 {other.pk})", "提交审核", county.clerk.display_name),
            (f"2026 年度调待试算(编号 {other.pk})", "退回", county.reviewer.display_name),
        ]
    )
    assert {row.note for row in moves} >= {"同意", "重新核对"}
    assert all(row.url.startswith("/pensions/adjustments/runs/") for row in moves)
    by_reviewer = audit_log_page(filters=AuditLogFilters(kind="adjustment_run", staff_id=county.reviewer.pk))
    assert sorted(row.action for row in by_reviewer.rows) == ["审核通过", "退回"]

    parameters = audit_log_page(filters=AuditLogFilters(kind="adjustment_parameters")).rows
    assert [(row.action, row.who) for row in parameters] == [("设置调待参数", county.admin.display_name)] * 2
    assert parameters[0].subject == "2026 年度调待参数(自 2026-01 起)"


# A real worker ----------------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_dry_run_the_page_started(county, banks, worker):
    people = make_people(county, banks["psbc"])
    set_published(county.admin)
    first_half_paid(county, people)

    # When the clerk starts the dry run, the task is queued on commit and the worker takes it from Redis
    with transaction.atomic():
        run = adjustment_run_start(year=2026, by=county.clerk)
    deadline = time.monotonic() + 60
    while (run := AdjustmentRun.objects.get(pk=run.pk)).status in (Status.QUEUED, Status.RUNNING):
        assert time.monotonic() < deadline, f"run {run.pk} stuck in {run.status}"
        time.sleep(0.1)

    # Then it is computed with the hand-computed figures
    assert (run.status, run.progress, run.error) == (Status.COMPUTED, 100, "")
    assert (run.figures["people"], run.figures["adjusted"], run.figures["rise_total"]) == (8, 7, "927.33")
    assert run.figures["arrears_total"] == "5307.98"
    assert run.lines.count() == 8
