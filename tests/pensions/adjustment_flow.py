"""The annual adjustment's test county: the year's published-style parameters, a handful of people whose
rises are computed by hand in tests/pensions/test_adjustment.py, January–June 2026 paid by approved plans,
and the steps from dry run to apply. Shared by the adjustment tests (services, pages, API, PDFs)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from pensions.demo import published_style_values
from pensions.models import AdjustmentParameters, AdjustmentRun, PayoutPlan
from pensions.services import plan_draft
from pensions.services.adjustments import (
    adjustment_apply,
    adjustment_apply_start,
    adjustment_approve,
    adjustment_dry_run,
    adjustment_parameters_set,
    adjustment_run_start,
    adjustment_submit,
)
from pensions.services.transitions import plan_approve, plan_submit
from registry.models import Bank, OrgUnit, PensionRate, Retiree, Staff
from registry.months import PensionMonth
from tests.factories import BankAccountFactory, PensionRateFactory, RetireeFactory, make_id_number

SH = ZoneInfo("Asia/Shanghai")
M = PensionMonth
JAN, APR, JUN, JUL = M(2026, 1), M(2026, 4), M(2026, 6), M(2026, 7)
APR_2018 = M(2018, 4)
# The adjustment is applied in July, before the July plan is made (day P is the 10th).
T_APPLY = datetime.datetime(2026, 7, 3, 10, 0, tzinfo=SH)


def published_values(**changes: Any) -> dict[str, Any]:
    """2026's published-style parameters (pensions.demo.published_style_values: 定额 50.00; 1.5 %; 1.00 per
    contribution year up to 15 years and 1.50 above; +20 / +30 / +50 at 70 / 75 / 80; effective January,
    retired by 2025-12-31), with `changes`."""
    values = published_style_values(2026)
    values["announcement"] = "省人社厅 省财政厅 关于2026年调整退休人员基本养老金的通知"
    values.update(changes)
    return values


def set_published(admin: Staff, **changes: Any) -> AdjustmentParameters:
    with time_machine.travel(datetime.datetime(2026, 6, 20, 9, 0, tzinfo=SH), tick=False):
        return adjustment_parameters_set(year=2026, values=published_values(**changes), by=admin)


@dataclass
class People:
    a: Retiree  # 65, 20 years: no tier
    b: Retiree  # 72: 70+
    c: Retiree  # 77: 75+
    d: Retiree  # 83: 80+
    e: Retiree  # no contribution months: an exception
    f: Retiree  # suspended since April
    g: Retiree  # died in April
    h: Retiree  # retired in February 2026, after the cut-off
    i: Retiree  # retired in December 2025: first rate in January, the rise after it

    def all(self) -> list[Retiree]:
        return [self.a, self.b, self.c, self.d, self.e, self.f, self.g, self.h, self.i]


def person(
    *,
    born: datetime.date,
    base: str,
    months: int,
    community: OrgUnit,
    bank: Bank,
    retired: datetime.date = datetime.date(2018, 3, 31),
    first_rate: PensionMonth = APR_2018,
    name: str,
) -> Retiree:
    retiree = RetireeFactory.create(
        id_number=make_id_number(born),
        name=name,
        community=community,
        retirement_date=retired,
        contribution_months=months,
    )
    PensionRateFactory.create(retiree=retiree, effective_month=first_rate, amount=Decimal(base))
    BankAccountFactory.create(retiree=retiree, bank=bank)
    return retiree


def make_people(county: Any, bank: Bank) -> People:
    """The nine people; the county fixture's own retirees are transferred out first, so every figure of the
    run is these people's."""
    Retiree.objects.update(status=Retiree.Status.TERMINATED)
    where = {"community": county.community_a1, "bank": bank}
    there = {"community": county.community_b1, "bank": bank}
    return People(
        a=person(born=datetime.date(1961, 3, 10), base="3000.00", months=240, name="甲国庆", **where),
        b=person(born=datetime.date(1954, 5, 20), base="2865.50", months=180, name="乙秀兰", **where),
        c=person(born=datetime.date(1949, 8, 1), base="3123.45", months=397, name="丙德胜", **there),
        d=person(born=datetime.date(1943, 12, 31), base="1999.99", months=100, name="丁桂英", **there),
        e=person(born=datetime.date(1958, 2, 2), base="2100.00", months=0, name="戊无年限", **where),
        f=person(born=datetime.date(1960, 6, 6), base="2500.00", months=300, name="己暂停", **where),
        g=person(born=datetime.date(1951, 9, 9), base="2200.00", months=180, name="庚已故", **there),
        h=person(
            born=datetime.date(1966, 2, 1),
            base="2600.00",
            months=372,
            retired=datetime.date(2026, 2, 15),
            first_rate=M(2026, 3),
            name="辛新退",
            **where,
        ),
        i=person(
            born=datetime.date(1966, 1, 5),
            base="2800.00",
            months=360,
            retired=datetime.date(2025, 12, 20),
            first_rate=JAN,
            name="壬年底退",
            **there,
        ),
    )


def pay_month(county: Any, month: PensionMonth) -> PayoutPlan:
    """The month's plan drafted, submitted and approved on the 5th of the month."""
    with time_machine.travel(datetime.datetime(month.year, month.month, 5, 9, 0, tzinfo=SH), tick=False):
        plan = plan_draft(month=month, by=county.clerk)
        plan_submit(plan=plan, by=county.clerk)
        plan_approve(plan=plan, by=county.reviewer)
    plan.refresh_from_db()
    return plan


def first_half_paid(county: Any, people: People) -> None:
    """January–June paid. The suspended person is suspended from April (withheld lines April–June); the one
    who died on 12 April is reported in July, after June was paid (May and June were paid after the death)."""
    for month in (M(2026, 1), M(2026, 2), M(2026, 3)):
        pay_month(county, month)
    Retiree.objects.filter(pk=people.f.pk).update(status=Retiree.Status.SUSPENDED)
    for month in (APR, M(2026, 5), JUN):
        pay_month(county, month)
    Retiree.objects.filter(pk=people.g.pk).update(
        status=Retiree.Status.DECEASED, died_on=datetime.date(2026, 4, 12)
    )


def run_and_apply(county: Any, *, year: int = 2026) -> AdjustmentRun:
    """Dry run by the clerk, approval by the reviewer, apply by the clerk, all on T_APPLY."""
    with time_machine.travel(T_APPLY, tick=False):
        run = adjustment_run_start(year=year, by=county.clerk)
        computed = adjustment_dry_run(run_id=run.pk)
        assert computed is not None and computed.status == AdjustmentRun.Status.COMPUTED, computed
        adjustment_submit(run=computed, by=county.clerk)
        adjustment_approve(run=computed, by=county.reviewer)
        adjustment_apply_start(run=computed, by=county.clerk)
        applied = adjustment_apply(run_id=run.pk)
    assert applied is not None
    return applied


def rates_of(retiree: Retiree) -> list[tuple[int, int, Decimal, str]]:
    return list(
        PensionRate.objects.filter(retiree=retiree)
        .order_by("effective_month", "revision")
        .values_list("effective_month", "revision", "amount", "reason")
    )
