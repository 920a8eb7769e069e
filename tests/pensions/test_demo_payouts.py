"""The demo county's payout history (pensions.demo): every past month planned, approved by someone who did
not prepare it, funded, exported and reconciled, with each person's status of that month; a restored person
gets every withheld month back; a second run writes nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from pghistory.models import Events

from pensions.demo import demo_months, seed_demo_payouts
from pensions.models import BankFile, Funding, PayoutLine, PayoutPlan, PlanTransition, ReturnFile
from pensions.services import withheld_release
from registry.models import ArrearsItem, Retiree, StatusChange
from registry.months import PensionMonth
from tests.factories import StaffFactory

from .conftest import Enrol, M

TODAY = datetime.date(2026, 12, 4)
MONTHS = [str(m) for m in demo_months(as_of=TODAY)]
Status = PayoutPlan.Status


@pytest.fixture
def history(county, enrol: Enrol):
    """Four people: always active; suspended from 2026-08-01; died 2026-09-02; retired in 2025 (paid from
    2025-07). Then the history, as `make run` makes it."""
    clerk2 = StaffFactory.create(username="clerk2", role="bureau_clerk", org_unit=county.county)
    people = {
        "active": enrol(rates=((M(2018, 4), "2650.00"),), bank="psbc", name="张建国"),
        "suspended": enrol(
            status=Retiree.Status.SUSPENDED, rates=((M(2016, 1), "3000.00"),), bank="ccb", name="李秀兰"
        ),
        "deceased": enrol(
            status=Retiree.Status.DECEASED, rates=((M(2012, 3), "2000.00"),), bank="rcc", name="王德胜"
        ),
        "new": enrol(rates=((M(2025, 7), "1800.50"),), bank="psbc", name="曾国华"),
    }
    StatusChange.objects.create(
        retiree=people["suspended"],
        from_status=Retiree.Status.ACTIVE,
        to_status=Retiree.Status.SUSPENDED,
        effective_date=datetime.date(2026, 8, 1),
        reason="未在2026年度认证期内完成领取资格认证",
        actor=county.admin,
    )
    StatusChange.objects.create(
        retiree=people["deceased"],
        from_status=Retiree.Status.ACTIVE,
        to_status=Retiree.Status.DECEASED,
        effective_date=datetime.date(2026, 9, 2),
        reason="家属报告死亡",
        actor=county.admin,
    )
    logged: list[str] = []
    seeded = seed_demo_payouts(as_of=TODAY, log=logged.append)
    return {"people": people, "clerk2": clerk2, "seeded": seeded, "log": logged}


def _lines(retiree: Retiree) -> list[tuple[str, bool, Decimal, Decimal, str]]:
    return [
        (str(line.plan.month), line.is_withheld, line.net, line.withheld, line.payment_status)
        for line in PayoutLine.objects.filter(retiree=retiree).select_related("plan").order_by("plan__month")
    ]


def test_the_months_run_from_2025_01_to_the_month_before_today() -> None:
    assert MONTHS[0] == "2025-01"
    assert MONTHS[-1] == "2026-11"
    assert len(MONTHS) == 23


def test_every_past_month_is_reconciled_and_prepared_and_approved_by_different_people(county, history):
    plans = list(PayoutPlan.objects.order_by("month"))
    assert [str(plan.month) for plan in plans] == MONTHS
    assert {plan.status for plan in plans} == {Status.RECONCILED}
    assert {(p.created_by_id, p.submitted_by_id, p.approved_by_id) for p in plans} == {
        (county.clerk.pk, history["clerk2"].pk, county.reviewer.pk)
    }
    assert all(len(plan.lines_hash) == 64 for plan in plans)
    # Each plan went through every state once, in order.
    moves = list(
        PlanTransition.objects.filter(plan=plans[0])
        .order_by("at", "id")
        .values_list("from_status", "to_status")
    )
    assert moves == [
        ("", "draft"),
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "funded"),
        ("funded", "exported"),
        ("exported", "reconciled"),
    ]
    assert [s.month for s in history["seeded"]] == [PensionMonth.parse(m) for m in MONTHS]


def test_lines_follow_each_persons_status_of_the_month(history):
    people = history["people"]
    paid = PayoutLine.PaymentStatus.PAID
    pending = PayoutLine.PaymentStatus.PENDING
    assert _lines(people["active"]) == [(m, False, Decimal("2650.00"), Decimal("0.00"), paid) for m in MONTHS]
    # Paid up to July 2026; from August (the suspension's month) withheld: net 0, the amount kept aside.
    assert _lines(people["suspended"]) == [
        (m, False, Decimal("3000.00"), Decimal("0.00"), paid) for m in MONTHS if m < "2026-08"
    ] + [(m, True, Decimal("0.00"), Decimal("3000.00"), pending) for m in MONTHS if m >= "2026-08"]
    # Paid up to and including the month of death (September 2026), nothing after.
    assert _lines(people["deceased"]) == [
        (m, False, Decimal("2000.00"), Decimal("0.00"), paid) for m in MONTHS if m <= "2026-09"
    ]
    # Paid from the first month of the rate.
    assert _lines(people["new"]) == [
        (m, False, Decimal("1800.50"), Decimal("0.00"), paid) for m in MONTHS if m >= "2025-07"
    ]


def test_totals_and_funding_are_the_plans_own(history):
    first = PayoutPlan.objects.get(month=M(2025, 1).number)
    assert (first.line_count, first.net_total, first.withheld_total) == (
        3,
        Decimal("7650.00"),
        Decimal("0.00"),
    )
    last = PayoutPlan.objects.get(month=M(2026, 11).number)
    assert (last.line_count, last.net_total, last.withheld_total) == (
        3,
        Decimal("4450.50"),
        Decimal("3000.00"),
    )
    assert sorted(
        Funding.objects.filter(plan=last).values_list("bank__code", "amount", "transferred_on", "recorded_by")
    ) == [
        (
            "PSBC",
            Decimal("4450.50"),
            datetime.date(2026, 11, 15),
            PayoutPlan.objects.get(pk=last.pk).approved_by_id,
        )
    ]
    assert Funding.objects.count() == sum(
        len({line.bank_id for line in plan.lines.filter(net__gt=0)}) for plan in PayoutPlan.objects.all()
    )


def test_only_the_latest_month_carries_bank_and_return_files(history):
    latest = PayoutPlan.objects.get(month=M(2026, 11).number)
    assert list(BankFile.objects.values_list("plan", "bank__code", "line_count", "total")) == [
        (latest.pk, "PSBC", 2, Decimal("4450.50"))
    ]
    assert list(ReturnFile.objects.values_list("paid_count", "paid_total", "failed_count")) == [
        (2, Decimal("4450.50"), 0)
    ]


def test_a_restoration_pays_back_every_withheld_month(county, history):
    items = withheld_release(retiree=history["people"]["suspended"], by=county.clerk)
    assert [(str(i.month), i.amount) for i in items] == [
        ("2026-08", Decimal("3000.00")),
        ("2026-09", Decimal("3000.00")),
        ("2026-10", Decimal("3000.00")),
        ("2026-11", Decimal("3000.00")),
    ]


def test_a_second_run_writes_nothing(history):
    counts = (
        PayoutPlan.objects.count(),
        PayoutLine.objects.count(),
        PlanTransition.objects.count(),
        Funding.objects.count(),
        Events.objects.count(),
    )
    assert seed_demo_payouts(as_of=TODAY) == []
    assert (
        PayoutPlan.objects.count(),
        PayoutLine.objects.count(),
        PlanTransition.objects.count(),
        Funding.objects.count(),
        Events.objects.count(),
    ) == counts


def test_without_the_demo_logins_nothing_is_written(county, enrol: Enrol):
    enrol()
    logged: list[str] = []
    assert seed_demo_payouts(as_of=TODAY, log=logged.append) == []
    assert logged == ["缺少演示账号 clerk2,未生成发放历史(请先运行 seed_demo)。"]
    assert not PayoutPlan.objects.exists()
    assert not ArrearsItem.objects.exists()
