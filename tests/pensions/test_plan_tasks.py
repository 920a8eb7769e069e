"""The beat job that drafts the plan, run by a real Celery worker that takes it from Redis."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from pensions.models import PayoutPlan
from pensions.services import plan_submit
from pensions.tasks import draft_payout_plan
from registry.months import PensionMonth

from .conftest import NOV


def test_the_beat_schedule_drafts_on_the_plan_day():
    entry = settings.CELERY_BEAT_SCHEDULE["pensions-draft-payout-plan"]
    assert entry["task"] == "pensions.tasks.draft_payout_plan"
    assert entry["schedule"].day_of_month == {settings.PAYOUT_PLAN_DAY}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_worker_drafts_the_open_month_once(county, enrol, worker):
    enrol()
    # On day P of October, October is closed: the job drafts November, as the system
    day_p = datetime.datetime(2026, 10, settings.PAYOUT_PLAN_DAY, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(day_p, tick=False):
        result = draft_payout_plan.delay()
        plan_id = result.get(timeout=60)

    plan = PayoutPlan.objects.get()
    assert (plan.pk, plan.month, plan.status, plan.line_count) == (plan_id, NOV, "draft", 1)
    assert plan.created_by is None
    assert list(plan.transitions.values_list("by", "to_status")) == [(None, "draft")]

    # Run again (beat firing twice, a retry) after the clerk submitted: the plan is left as it is
    plan_submit(plan=plan, by=county.clerk)
    again = draft_payout_plan.delay(NOV.number)
    assert again.get(timeout=60) == plan.pk
    plan.refresh_from_db()
    assert plan.status == "submitted"
    assert PayoutPlan.objects.count() == 1
    assert plan.transitions.count() == 2

    # A month given explicitly is drafted too
    december = draft_payout_plan.delay(PensionMonth(2026, 12).number).get(timeout=60)
    assert PayoutPlan.objects.get(pk=december).month == PensionMonth(2026, 12)
