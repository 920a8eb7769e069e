"""The payout plan API: the same services and roles as the pages, errors as {field: [message]}."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from pensions.models import PayoutPlan, PlanJob, PlanTransition
from pensions.services import plan_draft, plan_submit
from pensions.services.plan_jobs import _claim, plan_job_run
from registry.access import ROLE_ACTIONS, Action
from registry.jobs import job_sweep
from registry.models import SensitiveExport, Staff
from tests.conftest import County

from .conftest import NOV

# The frozen time and payout days (_calendar, autouse) and the plan of the page tests.
from .test_views import People, S, _calendar, draft, people  # noqa: F401

pytestmark = pytest.mark.django_db

PLANS = "/api/pensions/plans/"


def client_for(staff: Staff) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def url(plan: PayoutPlan, action: str = "") -> str:
    return f"{PLANS}{plan.pk}/{action}"


def seen(client, plan: PayoutPlan, **changes: str) -> dict[str, object]:
    """The figures the approver checked, as the plan detail returns them."""
    body = client.get(url(plan)).json()
    return {key: body[key] for key in ("line_count", "net_total", "generated_at")} | changes


def states(plan: PayoutPlan) -> list[tuple[str, str]]:
    return list(
        PlanTransition.objects.filter(plan=plan).order_by("id").values_list("from_status", "to_status")
    )


def test_clerk_drafts_submits_and_reviewer_approves(county: County, people: People):  # noqa: F811
    clerk, reviewer = client_for(county.clerk), client_for(county.reviewer)

    response = clerk.post(PLANS, {"month": "2026-11"}, format="json")
    assert response.status_code == 202, response.json()
    job = response.json()
    assert (job["kind"], job["month"], job["status"], job["plan_id"]) == ("draft", "2026-11", "queued", None)
    assert response["Location"] == job["url"] == f"/api/pensions/plan-jobs/{job['id']}/"
    assert not PayoutPlan.objects.exists()
    plan_job_run(job_id=job["id"])
    job = clerk.get(job["url"]).json()
    assert (job["status"], job["progress"], job["error"]) == ("done", 100, "")
    assert job["plan_url"] == f"{PLANS}{job['plan_id']}/"
    body = clerk.get(job["plan_url"]).json()
    assert (body["month"], body["status"], body["line_count"], body["net_total"]) == (
        "2026-11",
        "draft",
        3,
        "5550.00",
    )
    assert body["created_by"] == county.clerk.display_name
    plan = PayoutPlan.objects.get(pk=body["id"])

    response = clerk.post(url(plan, "submit/"))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"

    response = reviewer.post(url(plan, "approve/"), seen(reviewer, plan), format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["approved_by"], body["submitted_by"]) == (
        "approved",
        county.reviewer.display_name,
        county.clerk.display_name,
    )
    assert len(body["lines_hash"]) == 64
    assert [(step["from_status"], step["to_status"]) for step in body["transitions"]] == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
    ]


def test_detail_totals_are_the_stored_totals(county, draft):  # noqa: F811
    body = client_for(county.auditor).get(url(draft)).json()

    assert {key: body[key] for key in ("regular_total", "arrears_total", "deduction_total")} == {
        "regular_total": "8550.00",
        "arrears_total": "300.00",
        "deduction_total": "500.00",
    }
    assert (body["withheld_total"], body["net_total"]) == ("2800.00", "5550.00")
    totals = body["totals"]
    assert totals["matches_lines"] is True
    assert [(row["name"], row["line_count"], row["net_total"]) for row in totals["banks"]] == [
        ("中国建设银行", 1, "2600.00"),
        ("中国邮政储蓄银行", 2, "2950.00"),
    ]
    assert sorted((row["name"], row["net_total"]) for row in totals["townships"]) == [
        ("城关镇", "2950.00"),
        ("梅林镇", "2600.00"),
    ]


def test_list_of_plans(county, draft):  # noqa: F811
    body = client_for(county.reviewer).get(PLANS).json()

    assert body["count"] == 1
    assert [(plan["id"], plan["month"], plan["status_label"]) for plan in body["results"]] == [
        (draft.pk, "2026-11", "草稿")
    ]


def test_lines_are_paginated_filtered_and_masked(county, draft, people, banks):  # noqa: F811
    client = client_for(county.clerk)

    body = client.get(url(draft, "lines/")).json()
    assert body["count"] == 3
    first = body["results"][0]
    assert first["name"] == "赵一明"
    assert first["id_number_masked"] == people.zhao.id_number[:6] + "********" + people.zhao.id_number[-4:]
    assert people.zhao.id_number not in str(body)
    assert (first["regular"], first["arrears"], first["net"], first["bank"]["name"]) == (
        "2650.00",
        "300.00",
        "2950.00",
        "中国邮政储蓄银行",
    )

    def names(**query) -> list[str]:
        return [line["name"] for line in client.get(url(draft, "lines/"), query).json()["results"]]

    assert names(township=county.township_b.pk) == ["钱二"]
    assert names(bank=banks["ccb"].pk) == ["钱二"]
    assert names(withheld="true") == ["孙三"]
    assert names(arrears="true") == ["赵一明"]
    assert names(deduction="true") == ["钱二"]
    assert names(q="赵") == ["赵一明"]


def test_a_bad_month_is_an_error_on_the_field(county, people):  # noqa: F811
    response = client_for(county.clerk).post(PLANS, {"month": "11/2026"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"month": ["请按“年-月”填写月份,例如 2026-04。"]}
    assert PayoutPlan.objects.count() == 0


def test_a_plan_past_draft_is_not_regenerated(county, draft):  # noqa: F811
    plan_submit(plan=draft, by=county.clerk)

    response = client_for(county.clerk).post(PLANS, {"month": "2026-11"}, format="json")

    assert response.status_code == 400
    assert "不能重新生成" in response.json()["non_field_errors"][0]
    assert states(draft) == [("", S.DRAFT), (S.DRAFT, S.SUBMITTED)]


def test_the_submitter_cannot_approve_their_own(county, draft):  # noqa: F811
    plan_submit(plan=draft, by=county.admin)

    admin = client_for(county.admin)
    response = admin.post(url(draft, "approve/"), seen(admin, draft), format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["不能审批自己提交的发放计划。"]}
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == (S.SUBMITTED, None)


def test_approval_must_name_the_net_total_it_approves(county, draft):  # noqa: F811
    plan_submit(plan=draft, by=county.clerk)
    client = client_for(county.reviewer)

    missing = client.post(url(draft, "approve/"), {}, format="json")
    wrong = client.post(url(draft, "approve/"), seen(client, draft, net_total="5549.99"), format="json")
    made_again = client.post(
        url(draft, "approve/"), seen(client, draft, generated_at="2026-11-05T09:00:01+08:00"), format="json"
    )

    assert missing.status_code == wrong.status_code == made_again.status_code == 400
    assert sorted(missing.json()) == ["generated_at", "line_count", "net_total"]
    generated = timezone.localtime(draft.generated_at).strftime("%Y-%m-%d %H:%M:%S")
    message = (
        f"发放计划在您核对后已有变化:现为 3 笔、实发合计 ¥5,550.00({generated} 生成)。"
        "请核对最新的笔数和金额后再操作。"
    )
    assert wrong.json() == made_again.json() == {"net_total": [message]}
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == (S.SUBMITTED, None)


def test_rejection_needs_a_reason(county, draft):  # noqa: F811
    plan_submit(plan=draft, by=county.clerk)
    client = client_for(county.reviewer)

    for body in ({}, {"reason": ""}, {"reason": "   "}):
        response = client.post(url(draft, "reject/"), body, format="json")
        assert response.status_code == 400
        assert response.json() == {"reason": ["请填写退回原因。"]}
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED

    response = client.post(url(draft, "reject/"), {"reason": "账户待核实"}, format="json")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("draft", "账户待核实")


@pytest.mark.parametrize("who", ["officer_a", "station_a1"])
def test_township_staff_get_403(county, draft, who):  # noqa: F811
    client = client_for(county.staff_by_role()[who])

    for path in (PLANS, url(draft), url(draft, "lines/")):
        assert client.get(path).status_code == 403
    assert client.post(PLANS, {"month": "2026-12"}, format="json").status_code == 403
    assert client.post(url(draft, "submit/")).status_code == 403
    assert PayoutPlan.objects.count() == 1


def test_the_auditor_reads_only(county, draft):  # noqa: F811
    client = client_for(county.auditor)

    assert client.get(url(draft)).status_code == 200
    assert client.post(PLANS, {"month": "2026-12"}, format="json").status_code == 403
    assert client.post(url(draft, "submit/")).status_code == 403
    plan_submit(plan=draft, by=county.clerk)
    assert client.post(url(draft, "approve/"), seen(client, draft), format="json").status_code == 403
    assert client.post(url(draft, "reject/"), {"reason": "x"}, format="json").status_code == 403
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED
    assert PayoutPlan.objects.count() == 1


def test_a_clerk_cannot_approve(county, draft):  # noqa: F811
    plan_submit(plan=draft, by=county.clerk)

    clerk = client_for(county.clerk)
    response = clerk.post(url(draft, "approve/"), seen(clerk, draft), format="json")

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED


def test_an_unknown_plan_is_404(county):
    assert client_for(county.clerk).get(f"{PLANS}999999/").status_code == 404


def test_regenerating_a_draft_through_the_api(county, people, enrol):  # noqa: F811
    plan = plan_draft(month=NOV, by=county.clerk)
    enrol(name="李四")

    client = client_for(county.clerk)
    response = client.post(PLANS, {"month": "2026-11"}, format="json")

    assert response.status_code == 202
    # A second call while the first runs is refused: never two drafts of the month.
    again = client.post(PLANS, {"month": "2026-11"}, format="json")
    assert again.status_code == 400
    assert "正在编制该月发放计划" in again.json()["month"][0]
    assert PlanJob.objects.count() == 1
    plan_job_run(job_id=response.json()["id"])
    job = client.get(response.json()["url"]).json()
    assert job["status"] == "done"
    body = client.get(url(plan)).json()
    assert (job["plan_id"], body["line_count"]) == (plan.pk, 4)
    assert states(plan) == [("", S.DRAFT), (S.DRAFT, S.DRAFT)]


def test_lines_full_numbers_with_a_purpose_recorded(county, draft, people, banks):  # noqa: F811
    client = client_for(county.reviewer)

    masked = client.get(url(draft, "lines/"), {"township": county.township_a.pk}).json()
    assert "id_number" not in masked["results"][0]
    assert not SensitiveExport.objects.exists()

    full = client.get(
        url(draft, "lines/"), {"township": county.township_a.pk, "purpose": "bank_reconciliation"}
    )
    assert full.status_code == 200
    results = full.json()["results"]
    assert [(line["name"], line["id_number"]) for line in results] == [
        ("赵一明", people.zhao.id_number),
        ("孙三", people.sun.id_number),
    ]
    [record] = SensitiveExport.objects.all()
    assert (record.staff, record.export, record.person_count, record.purpose, record.detail) == (
        county.reviewer,
        "pensions.plan_lines_api",
        2,
        "bank_reconciliation",
        {"plan": draft.pk, "month": "2026-11", "township": str(county.township_a.pk)},
    )


def test_lines_full_numbers_refused(county, draft, people, monkeypatch):  # noqa: F811
    bad = client_for(county.clerk).get(url(draft, "lines/"), {"purpose": "other"})
    assert bad.status_code == 400
    assert bad.json() == {"purpose_note": ["用途选择“其他”时,请说明导出完整号码做什么用。"]}
    monkeypatch.setitem(
        ROLE_ACTIONS, Staff.Role.AUDITOR, frozenset({Action.VIEW_REGISTRY, Action.VIEW_AUDIT})
    )
    refused = client_for(county.auditor).get(url(draft, "lines/"), {"purpose": "audit"})
    assert refused.status_code == 403
    assert not SensitiveExport.objects.exists()


def test_a_job_whose_worker_died_says_so_and_is_run_again_once(county, people):  # noqa: F811
    clerk = client_for(county.clerk)
    job = clerk.post(PLANS, {"month": "2026-11"}, format="json").json()
    # The worker took the job and died: its heartbeat stopped 11 minutes ago, the sweeper marks it.
    assert _claim(job["id"]) is not None
    PlanJob.objects.filter(pk=job["id"]).update(
        job_heartbeat_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert clerk.get(job["url"]).json()["stalled"] is True
    assert job_sweep()["pensions.PlanJob"] == 1

    body = clerk.get(job["url"]).json()
    assert (body["status"], body["status_label"], body["stalled"], body["plan_id"]) == (
        "interrupted",
        "任务中断",
        False,
        None,
    )
    assert body["error"] == "后台任务中断(处理进程意外停止),未写入任何数据,可以重新运行。"
    assert not PayoutPlan.objects.exists()
    # Only a role that prepares payments runs it again; the reviewer's call changes nothing.
    restart = f"{job['url']}restart/"
    assert client_for(county.reviewer).post(restart).status_code == 403
    assert PlanJob.objects.get(pk=job["id"]).status == PlanJob.Status.INTERRUPTED

    restarted = clerk.post(restart)
    assert restarted.status_code == 202
    assert (restarted.json()["status"], restarted["Location"]) == ("queued", job["url"])
    assert PlanJob.objects.get(pk=job["id"]).job_attempts == 2
    # A second restart while queued is refused.
    assert clerk.post(restart).status_code == 400
    plan_job_run(job_id=job["id"])
    done = clerk.get(job["url"]).json()
    plan = PayoutPlan.objects.get()
    assert (done["status"], done["plan_id"], plan.line_count, str(plan.net_total)) == (
        "done",
        plan.pk,
        3,
        "5550.00",
    )
    assert states(plan) == [("", S.DRAFT)]


def test_an_unknown_plan_job_is_404(county):
    assert client_for(county.clerk).get("/api/pensions/plan-jobs/999999/").status_code == 404
    assert client_for(county.clerk).post("/api/pensions/plan-jobs/999999/restart/").status_code == 404
