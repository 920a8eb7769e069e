"""Steps of the deaths tests: months approved through the payouts' services, a death recorded and confirmed
through the benefits' services. Fixtures (banks, enrol) come from tests/pensions/conftest.py."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from benefits.models import DeathRegistration
from benefits.services import death_registration_confirm, death_registration_record
from pensions.models import PayoutLine, PayoutPlan
from pensions.services import plan_approve, plan_draft, plan_submit
from registry.models import Retiree
from registry.months import PensionMonth

M = PensionMonth
AUG, SEP, OCT, NOV, DEC = M(2026, 8), M(2026, 9), M(2026, 10), M(2026, 11), M(2026, 12)
RATE = "2800.00"


def approve_month(county: Any, month: PensionMonth) -> PayoutPlan:
    plan = plan_draft(month=month, by=county.clerk)
    plan_submit(plan=plan, by=county.clerk)
    return plan_approve(plan=plan, by=county.reviewer)


def line_of(retiree: Retiree, month: PensionMonth) -> PayoutLine:
    return PayoutLine.objects.get(retiree=retiree, plan__month=month.number)


def record(county: Any, retiree: Retiree, died_on: datetime.date, **extra: Any) -> DeathRegistration:
    return death_registration_record(
        retiree=retiree,
        died_on=died_on,
        reporter_name="张小明",
        reporter_relation="儿子",
        reporter_phone="13800000000",
        by=county.clerk,
        **extra,
    )


def record_and_confirm(county: Any, retiree: Retiree, died_on: datetime.date) -> DeathRegistration:
    registration = record(county, retiree, died_on)
    return death_registration_confirm(registration=registration, by=county.reviewer)


def amounts(rows: list[dict[str, str]]) -> list[tuple[str, Decimal]]:
    return [(row["month"], Decimal(row["amount"])) for row in rows]
