"""Plans of 2025 taken to a given status under the clock of their month, for the county average tests
(tests/pensions/test_averages.py) and the claim parameters (tests/benefits)."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from pensions.models import PayoutPlan
from pensions.services import plan_approve, plan_draft, plan_submit
from registry.months import PensionMonth

SH = ZoneInfo("Asia/Shanghai")
Status = PayoutPlan.Status


def plan_at(county: Any, month: PensionMonth, status: str = Status.APPROVED) -> PayoutPlan:
    """The plan of `month` drafted by the clerk on the 5th of the month, submitted by the clerk and approved
    by the reviewer the day after, as far as `status` (draft, submitted or approved)."""
    day = datetime.datetime(month.year, month.month, 5, 9, 0, tzinfo=SH)
    with time_machine.travel(day, tick=False):
        plan = plan_draft(month=month, by=county.clerk)
    if status in (Status.SUBMITTED, Status.APPROVED):
        with time_machine.travel(day + datetime.timedelta(hours=6), tick=False):
            plan = plan_submit(plan=plan, by=county.clerk)
    if status == Status.APPROVED:
        with time_machine.travel(day + datetime.timedelta(days=1), tick=False):
            plan = plan_approve(plan=plan, by=county.reviewer)
    plan.refresh_from_db()
    assert plan.status == status
    return plan
