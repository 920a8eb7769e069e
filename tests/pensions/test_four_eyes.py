"""Four eyes between the plan's preparers and its approver (docs/approvals.md): whoever drafted, made again or
submitted a plan neither approves nor rejects it, whatever their role; the database holds the same rule for
the people it can see (created_by, regenerated_by, submitted_by)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.urls import reverse

from pensions.errors import PlanError
from pensions.models import PayoutPlan, PlanTransition
from pensions.services import PlanFigures, plan_approve, plan_draft, plan_reject, plan_submit
from pensions.tasks import draft_payout_plan

from .conftest import NOV

S = PayoutPlan.Status
T1 = datetime.datetime(2026, 11, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REFUSED = "您参与了该发放计划的编制(生成、重新生成或提交),不能审批,请由其他审核人员办理。"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _november():
    with time_machine.travel(T1, tick=False):
        yield


def unchanged(plan: PayoutPlan, transitions: int) -> None:
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by, plan.approved_at, plan.lines_hash) == (S.SUBMITTED, None, None, "")
    assert PlanTransition.objects.filter(plan=plan).count() == transitions


def test_the_admin_who_drafted_cannot_approve_what_a_clerk_submitted(county, enrol):
    enrol()
    plan = plan_draft(month=NOV, by=county.admin)
    plan_submit(plan=plan, by=county.clerk)

    with pytest.raises(PlanError) as refused:
        plan_approve(plan=plan, by=county.admin, seen=PlanFigures.of(plan))

    assert refused.value.message == REFUSED
    unchanged(plan, transitions=2)
    # Nor send it back: that too is the checker's act.
    with pytest.raises(PlanError, match="不能退回"):
        plan_reject(plan=plan, by=county.admin, reason="再核对一下")
    unchanged(plan, transitions=2)
    # Someone who prepared nothing approves it.
    plan_approve(plan=plan, by=county.reviewer, seen=PlanFigures.of(plan))
    plan.refresh_from_db()
    assert (plan.status, plan.created_by, plan.submitted_by, plan.approved_by) == (
        S.APPROVED,
        county.admin,
        county.clerk,
        county.reviewer,
    )


def test_whoever_made_the_lines_again_cannot_approve(county, enrol):
    enrol()
    plan = plan_draft(month=NOV, by=county.clerk)
    plan_draft(month=NOV, by=county.admin)  # the admin makes the lines again
    plan.refresh_from_db()
    assert plan.regenerated_by == county.admin
    plan_submit(plan=plan, by=county.clerk)

    with pytest.raises(PlanError, match="参与了该发放计划的编制"):
        plan_approve(plan=plan, by=county.admin)
    unchanged(plan, transitions=3)


def test_an_earlier_regeneration_counts_too(county, enrol):
    # admin regenerates, then the clerk again: regenerated_by names the clerk, the history still the admin.
    enrol()
    plan = plan_draft(month=NOV, by=county.clerk)
    plan_draft(month=NOV, by=county.admin)
    plan_draft(month=NOV, by=county.clerk)
    plan_submit(plan=plan, by=county.clerk)
    plan.refresh_from_db()
    assert (plan.created_by, plan.regenerated_by) == (county.clerk, county.clerk)

    with pytest.raises(PlanError, match="参与了该发放计划的编制"):
        plan_approve(plan=plan, by=county.admin)
    unchanged(plan, transitions=4)


def test_a_plan_the_beat_drafted_has_the_submitter_as_its_preparer(county, enrol):
    enrol()
    plan = PayoutPlan.objects.get(pk=draft_payout_plan(NOV.number))
    assert plan.created_by is None
    plan_submit(plan=plan, by=county.admin)

    with pytest.raises(PlanError, match="不能审批自己提交的发放计划"):
        plan_approve(plan=plan, by=county.admin)
    unchanged(plan, transitions=2)
    plan_approve(plan=plan, by=county.reviewer)
    plan.refresh_from_db()
    assert plan.approved_by == county.reviewer


def test_a_reviewer_who_rejected_may_approve_the_resubmitted_plan(county, enrol):
    # Sending back is not preparing: the rejection is a draft → draft move of nobody's lines.
    enrol()
    plan = plan_draft(month=NOV, by=county.clerk)
    plan_submit(plan=plan, by=county.clerk)
    plan_reject(plan=plan, by=county.reviewer, reason="账户待核实")
    plan_submit(plan=plan, by=county.clerk)
    plan_approve(plan=plan, by=county.reviewer)
    plan.refresh_from_db()
    assert (plan.status, plan.approved_by) == (S.APPROVED, county.reviewer)


def test_approval_on_figures_that_changed_is_refused(county, enrol):
    enrol()
    plan = plan_draft(month=NOV, by=county.clerk)
    plan_submit(plan=plan, by=county.clerk)
    seen = PlanFigures.of(plan)

    for stale in (
        PlanFigures(line_count=2, net_total=seen.net_total, generated_at=seen.generated_at),
        PlanFigures(line_count=1, net_total=seen.net_total + 1, generated_at=seen.generated_at),
        PlanFigures(1, seen.net_total, seen.generated_at + datetime.timedelta(microseconds=1)),
    ):
        with pytest.raises(PlanError, match="发放计划在您核对后已有变化:现为 1 笔、实发合计 ¥2,650.00"):
            plan_approve(plan=plan, by=county.reviewer, seen=stale)
    unchanged(plan, transitions=2)


@pytest.mark.parametrize(
    ("preparer", "constraint"),
    [
        ("created_by", "payoutplan_approver_is_not_preparer"),
        ("regenerated_by", "payoutplan_approver_is_not_preparer"),
        ("submitted_by", "payoutplan_approver_is_not_submitter"),
    ],
)
def test_the_database_refuses_a_preparer_as_approver(county, enrol, preparer, constraint):
    enrol()
    plan = plan_draft(month=NOV, by=None)
    plan_submit(plan=plan, by=county.clerk)
    people = {
        "created_by": None,
        "regenerated_by": None,
        "submitted_by": county.clerk,
        preparer: county.admin,
    }

    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        PayoutPlan.objects.filter(pk=plan.pk).update(**people, approved_by=county.admin)

    plan.refresh_from_db()
    assert (plan.created_by, plan.regenerated_by, plan.approved_by) == (None, None, None)


def test_the_plan_page_offers_no_approval_to_a_preparer(client, county, enrol):
    enrol()
    plan = plan_draft(month=NOV, by=county.admin)
    plan_submit(plan=plan, by=county.clerk)
    client.force_login(county.admin)
    url = reverse("payout-plan-detail", args=[plan.pk])

    page = client.get(url).content.decode()
    assert 'id="approve-open"' not in page and 'id="awaiting-other"' in page

    response = client.post(
        reverse("payout-plan-approve", args=[plan.pk]),
        {"line_count": 1, "net_total": "2650.00", "generated_at": plan.generated_at.isoformat()},
    )
    assert response.status_code == 400
    assert REFUSED in response.content.decode()
    unchanged(plan, transitions=2)

    client.force_login(county.reviewer)
    assert 'id="approve-open"' in client.get(url).content.decode()


def test_the_home_calendar_card_says_waiting_for_you_only_to_a_non_preparer(client, county, enrol):
    enrol()
    plan = plan_draft(month=NOV, by=county.admin)
    plan_submit(plan=plan, by=county.clerk)

    client.force_login(county.admin)
    assert 'id="calendar-awaiting-you"' not in client.get(reverse("home")).content.decode()
    client.force_login(county.reviewer)
    assert 'id="calendar-awaiting-you"' in client.get(reverse("home")).content.decode()
