"""The annual adjustment's runs through the API: the flow from start to apply, the lines paged and masked,
refusals as {field: [message]} with nothing changed, and the roles."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from pensions.models import AdjustmentRun
from pensions.services.adjustments import adjustment_apply, adjustment_dry_run, adjustment_run_start

from .adjustment_flow import T_APPLY, first_half_paid, make_people, set_published

Status = AdjustmentRun.Status
RUNS = "/api/pensions/adjustments/runs/"


@pytest.fixture
def world(county: Any, banks: Any) -> Any:
    people = make_people(county, banks["psbc"])
    set_published(county.admin)
    first_half_paid(county, people)
    with time_machine.travel(T_APPLY, tick=False):
        yield people


def api(staff: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(staff)
    return client


def test_start_submit_approve_apply_through_the_api(county, world):
    clerk, reviewer = api(county.clerk), api(county.reviewer)

    started = clerk.post(RUNS, {"year": 2026}, format="json")
    assert started.status_code == 201, started.json()
    body = started.json()
    run_id = body["id"]
    assert (body["status"], body["prepared_by"], body["figures"]) == ("queued", county.clerk.display_name, {})

    adjustment_dry_run(run_id=run_id)  # the worker's part
    detail = clerk.get(f"{RUNS}{run_id}/").json()
    assert detail["status"] == "computed" and detail["stale_reason"] == ""
    figures = detail["figures"]
    assert (figures["people"], figures["adjusted"], figures["exceptions"]) == (8, 7, 1)
    assert (figures["rise_total"], figures["arrears_total"], figures["arrears_months"]) == (
        "927.33",
        "5307.98",
        40,
    )
    assert detail["arrears_to_month"] == "2026-06"
    assert [run["id"] for run in clerk.get(RUNS, {"year": 2026}).json()] == [run_id]
    assert clerk.get(RUNS, {"year": 2027}).json() == []

    assert clerk.post(f"{RUNS}{run_id}/submit/").json()["status"] == "submitted"
    approved = reviewer.post(f"{RUNS}{run_id}/approve/", {"comment": "同意"}, format="json").json()
    assert (approved["status"], approved["approved_by"], approved["decision_comment"]) == (
        "approved",
        county.reviewer.display_name,
        "同意",
    )
    assert clerk.post(f"{RUNS}{run_id}/apply/").json()["status"] == "applying"
    adjustment_apply(run_id=run_id)  # the worker's part
    applied = clerk.get(f"{RUNS}{run_id}/").json()
    assert (
        applied["status"],
        applied["rates_written"],
        applied["arrears_written"],
        applied["arrears_total"],
    ) == (
        "applied",
        7,
        40,
        "5307.98",
    )


def test_the_lines_are_paged_filtered_and_masked(county, world):
    run = adjustment_run_start(year=2026, by=county.clerk)
    adjustment_dry_run(run_id=run.pk)
    clerk = api(county.clerk)

    body = clerk.get(f"{RUNS}{run.pk}/lines/").json()
    assert body["count"] == 8
    by_name = {line["retiree"]["name"]: line for line in body["results"]}
    b = by_name[world.b.name]
    assert (b["old_amount"], b["pension_part"], b["rise"], b["new_amount"]) == (
        "2865.50",
        "42.98",
        "127.98",
        "2993.48",
    )
    assert b["id_number_masked"] != world.b.id_number and "*" in b["id_number_masked"]
    assert world.b.id_number not in str(body)
    e = by_name[world.e.name]
    assert (e["problem"], e["rise"], e["new_amount"]) == ("no_contribution", None, None)

    exceptions = clerk.get(f"{RUNS}{run.pk}/lines/", {"problem": "any"}).json()
    assert [line["retiree"]["name"] for line in exceptions["results"]] == [world.e.name]
    township_b = clerk.get(f"{RUNS}{run.pk}/lines/", {"township": county.township_b.pk}).json()
    assert township_b["count"] == 4
    assert clerk.get(f"{RUNS}{run.pk}/lines/", {"q": world.c.id_number[:10]}).json()["count"] == 1
    refused = clerk.get(f"{RUNS}{run.pk}/lines/", {"problem": "everything"})
    assert refused.status_code == 400 and "problem" in refused.json()


def test_refusals_come_back_in_chinese_and_change_nothing(county, world):
    clerk, admin = api(county.clerk), api(county.admin)

    no_parameters = clerk.post(RUNS, {"year": 2027}, format="json")
    assert no_parameters.status_code == 400
    assert no_parameters.json() == {"year": ["2027 年还没有调待参数,请系统管理员先录入。"]}
    assert not AdjustmentRun.objects.exists()

    run_id = admin.post(RUNS, {"year": 2026}, format="json").json()["id"]
    adjustment_dry_run(run_id=run_id)
    early = admin.post(f"{RUNS}{run_id}/apply/")
    assert early.status_code == 400 and early.json() == {"status": ["该试算试算完成,不能进行此操作。"]}
    admin.post(f"{RUNS}{run_id}/submit/")
    own = admin.post(f"{RUNS}{run_id}/approve/", {}, format="json")
    assert own.status_code == 400
    assert own.json() == {"approved_by": ["不能审核自己试算的年度调待,请由其他审核人员审核。"]}
    no_reason = api(county.reviewer).post(f"{RUNS}{run_id}/reject/", {"comment": ""}, format="json")
    assert no_reason.status_code == 400
    assert no_reason.json() == {"comment": ["退回时请填写审核意见,说明退回原因。"]}
    assert AdjustmentRun.objects.get(pk=run_id).status == Status.SUBMITTED

    assert api(county.reviewer).post(f"{RUNS}{run_id}/discard/").status_code == 403
    assert admin.post(f"{RUNS}{run_id}/discard/").json()["status"] == "discarded"
    assert clerk.get(f"{RUNS}999999/").status_code == 404


def test_the_roles(county, world):
    run = adjustment_run_start(year=2026, by=county.clerk)
    adjustment_dry_run(run_id=run.pk)
    officer = api(county.officer_a)
    for url in (f"{RUNS}?year=2026", f"{RUNS}{run.pk}/", f"{RUNS}{run.pk}/lines/"):
        assert officer.get(url).status_code == 403, url
    auditor = api(county.auditor)
    assert auditor.get(f"{RUNS}{run.pk}/").status_code == 200
    assert auditor.post(f"{RUNS}{run.pk}/submit/").status_code == 403
    assert api(county.reviewer).post(RUNS, {"year": 2026}, format="json").status_code == 403
    assert api(county.clerk).post(f"{RUNS}{run.pk}/approve/", {}, format="json").status_code == 403
    assert AdjustmentRun.objects.get(pk=run.pk).status == Status.COMPUTED
    assert APIClient().get(f"{RUNS}{run.pk}/").status_code in (401, 403)
