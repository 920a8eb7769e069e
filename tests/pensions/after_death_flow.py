"""An after-death recovery as the death confirmation leaves it (pensions.services.after_death is written
on another branch): October and November 2026 paid by approved plans to a retiree who died in September.
Shared by tests/pensions/test_recovery_follow_up.py and the browser test of the follow-up."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from pensions.models import PayoutLine, PayoutPlan, RecoveryLine
from pensions.services import plan_approve, plan_draft, plan_submit
from registry.models import Recovery, Retiree

from .conftest import M
from .payout_flow import approved_plan

SH = ZoneInfo("Asia/Shanghai")
OCT = M(2026, 10)
DIED_ON = datetime.date(2026, 9, 14)
T_OPENED = datetime.datetime(2026, 11, 25, 9, 0, tzinfo=SH)


def plan_month(county, month, day: int) -> PayoutPlan:
    with time_machine.travel(datetime.datetime(month.year, month.month, day, 9, 0, tzinfo=SH), tick=False):
        plan = plan_draft(month=month, by=county.clerk)
        plan_submit(plan=plan, by=county.clerk)
    with time_machine.travel(
        datetime.datetime(month.year, month.month, day + 1, 9, 0, tzinfo=SH), tick=False
    ):
        plan_approve(plan=plan, by=county.reviewer)
    return plan


def after_death_recovery(retiree: Retiree, lines: list[Any], by, *, at=T_OPENED) -> Recovery:
    """What the death confirmation writes (pensions.services.after_death, another branch): one recovery of
    the months paid after the death month, one RecoveryLine per month."""
    retiree.status = Retiree.Status.DECEASED
    retiree.died_on = DIED_ON
    retiree.save(update_fields=["status", "died_on"])
    with time_machine.travel(at, tick=False):
        item = Recovery.objects.create(
            retiree=retiree,
            amount=sum((line.net for line in lines), Decimal("0.00")),
            from_month=min(line.plan.month for line in lines).number,
            to_month=max(line.plan.month for line in lines).number,
            reason=Recovery.Reason.AFTER_DEATH,
            note="死亡后多发",
            created_by=by,
        )
    for line in lines:
        RecoveryLine.objects.create(recovery=item, line=line, month=line.plan.month, amount=line.net)
    return item


def paid_after_death(county: Any, retiree: Retiree) -> Recovery:
    """October (drafted on the 5th) and November (payout_flow's times) approved, then the death recorded:
    one after-death recovery of both months."""
    october = plan_month(county, OCT, 5)
    november = approved_plan(county)
    lines = [PayoutLine.objects.get(plan=plan, retiree=retiree) for plan in (october, november)]
    return after_death_recovery(retiree, lines, county.clerk)
