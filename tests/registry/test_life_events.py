"""The one door for a retiree's life events (registry.services.life_events, docs/deaths.md)."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone

from pensions.errors import PlanError
from pensions.models import PayoutLine, PayoutPlan
from pensions.services import plan_draft, plan_submit
from pensions.services.transitions import plan_approve
from registry.errors import StatusChangeError
from registry.models import Retiree, StatusChange
from registry.months import PensionMonth
from registry.services import (
    retiree_change_status,
    retiree_death_correct,
    retiree_record_death,
    retiree_terminate,
    retiree_transfer_out,
)
from tests.pensions.conftest import banks, enrol

__all__ = ["banks", "enrol"]
DEC = PensionMonth(2026, 12)


def test_a_death_is_recorded_with_its_date_and_refused_in_the_future_or_before_retirement(county):
    retiree = county.retiree_a1
    with pytest.raises(StatusChangeError, match="死亡日期不能晚于今天"):
        retiree_record_death(
            retiree=retiree,
            died_on=timezone.localdate() + datetime.timedelta(days=1),
            reason="死亡",
            by=county.clerk,
        )
    with pytest.raises(StatusChangeError, match="死亡日期不能早于退休时间"):
        retiree_record_death(
            retiree=retiree, died_on=datetime.date(2018, 3, 30), reason="死亡", by=county.clerk
        )
    assert StatusChange.objects.count() == 0

    change = retiree_record_death(
        retiree=retiree, died_on=datetime.date(2026, 9, 20), reason="死亡", by=county.clerk
    )

    retiree.refresh_from_db()
    assert (retiree.status, retiree.died_on) == ("deceased", datetime.date(2026, 9, 20))
    assert (change.from_status, change.to_status, change.effective_date) == (
        "active",
        "deceased",
        datetime.date(2026, 9, 20),
    )


def test_only_the_correction_brings_a_deceased_person_back(county):
    retiree = county.retiree_a1
    retiree_record_death(retiree=retiree, died_on=datetime.date(2026, 9, 20), reason="死亡", by=county.clerk)
    with pytest.raises(StatusChangeError, match="不能从“死亡”变更为“正常发放”"):
        retiree_change_status(
            retiree=retiree,
            to_status=Retiree.Status.ACTIVE,
            effective_date=datetime.date(2026, 11, 1),
            reason="恢复",
            by=county.clerk,
        )

    change = retiree_death_correct(retiree=retiree, reason="误报死亡", by=county.reviewer)

    retiree.refresh_from_db()
    assert (retiree.status, retiree.died_on) == ("active", None)
    assert (change.from_status, change.to_status) == ("deceased", "active")
    with pytest.raises(StatusChangeError):
        retiree_death_correct(retiree=retiree, reason="再次更正", by=county.reviewer)


def test_a_transfer_out_names_the_receiving_bureau(county):
    retiree = county.retiree_a1
    with pytest.raises(StatusChangeError, match="请填写转入地经办机构") as refused:
        retiree_transfer_out(
            retiree=retiree,
            effective_date=datetime.date(2026, 11, 30),
            counterpart=" ",
            reason="迁居",
            by=county.clerk,
        )
    assert refused.value.field == "counterpart"

    change = retiree_transfer_out(
        retiree=retiree,
        effective_date=datetime.date(2026, 11, 30),
        counterpart="海口市社会保险事业局",
        reason="迁居",
        by=county.clerk,
    )
    assert (change.to_status, change.counterpart) == ("terminated", "海口市社会保险事业局")
    with pytest.raises(StatusChangeError):
        retiree_terminate(
            retiree=retiree, effective_date=datetime.date(2026, 12, 1), reason="再次", by=county.clerk
        )


def test_a_submitted_plan_paying_a_terminated_person_is_refused_until_made_again(county, enrol):
    retiree = enrol(name="冯建军")
    enrol(name="吴长青")
    december = plan_draft(month=DEC, by=county.clerk)
    plan_submit(plan=december, by=county.clerk)

    retiree_terminate(
        retiree=retiree, effective_date=datetime.date(2026, 11, 30), reason="法院判决", by=county.clerk
    )

    with pytest.raises(PlanError, match="冯建军 等人已死亡或终止发放:请退回并重新生成计划"):
        plan_approve(plan=december, by=county.reviewer)
    assert PayoutPlan.objects.get(pk=december.pk).status == "submitted"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_after_a_termination_commits_the_worker_makes_the_draft_plans_again(county, enrol, worker):
    retiree = enrol(name="冯建军")
    enrol(name="吴长青")
    december = plan_draft(month=DEC, by=county.clerk)
    assert PayoutLine.objects.filter(plan=december, retiree=retiree).exists()

    retiree_terminate(
        retiree=retiree, effective_date=datetime.date(2026, 11, 30), reason="法院判决", by=county.clerk
    )

    deadline = time.monotonic() + 60
    while PayoutLine.objects.filter(plan__month=DEC.number, retiree=retiree).exists():
        assert time.monotonic() < deadline, "the draft was not made again"
        time.sleep(0.1)
    december = PayoutPlan.objects.get(month=DEC.number)
    assert december.status == "draft"
    plan_submit(plan=december, by=county.clerk)  # nothing left to refuse
