"""The annual adjustment end to end with published-style parameters, each person's rise computed by hand
(tests/pensions/adjustment_flow.py has the county and the parameters)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError, transaction

from pensions.errors import AdjustmentError, PlanError
from pensions.models import AdjustmentLine, AdjustmentRun, ArrearsRelease, PayoutLine
from pensions.services import plan_draft
from pensions.services.adjustments import (
    adjustment_apply,
    adjustment_apply_start,
    adjustment_approve,
    adjustment_dry_run,
    adjustment_run_start,
    adjustment_submit,
)
from pensions.services.transitions import plan_approve, plan_submit
from registry.models import ArrearsItem, PensionRate

from .adjustment_flow import (
    JAN,
    JUL,
    SH,
    T_APPLY,
    M,
    first_half_paid,
    make_people,
    pay_month,
    rates_of,
    run_and_apply,
    set_published,
)

D = Decimal
AA = PensionRate.Reason.ANNUAL_ADJUSTMENT

# By hand (2026 parameters: 50.00 + 1.5 % + 1.00/year ≤ 15 and 1.50/year above + 20/30/50 at 70/75/80):
# A 3000.00, 20 y, 65: 50 + 45.00 + (15 + 5 × 1.5) = 117.50
# B 2865.50, 15 y, 72: 50 + 42.9825 + 15 + 20 = 127.9825 → 127.98
# C 3123.45, 397 months = 33 whole years, 77: 50 + 46.85175 + (15 + 18 × 1.5) + 30 = 168.85175 → 168.85
# D 1999.99, 100 months = 8 years, 83: 50 + 29.99985 + 8 + 50 = 137.99985 → 138.00 (rounded once, on the
#   total)
# F 2500.00, 25 y, 66, suspended from April: 50 + 37.50 + (15 + 10 × 1.5) = 117.50
# G 2200.00, 15 y, 75, died 12 April: 50 + 33.00 + 15 + 30 = 128.00, owed January–April only
# I 2800.00 from January (retired December 2025), 30 y, 60: 50 + 42.00 + (15 + 15 × 1.5) = 129.50
RISE = {
    "a": D("117.50"),
    "b": D("127.98"),
    "c": D("168.85"),
    "d": D("138.00"),
    "f": D("117.50"),
    "g": D("128.00"),
    "i": D("129.50"),
}
OLD = {
    "a": D("3000.00"),
    "b": D("2865.50"),
    "c": D("3123.45"),
    "d": D("1999.99"),
    "f": D("2500.00"),
    "g": D("2200.00"),
    "i": D("2800.00"),
}
MONTHS_OWED = {"a": 6, "b": 6, "c": 6, "d": 6, "f": 6, "g": 4, "i": 6}


@pytest.fixture
def world(county: Any, banks: Any) -> Any:
    people = make_people(county, banks["psbc"])
    set_published(county.admin)
    first_half_paid(county, people)
    return people


def test_the_dry_run_gives_each_component_and_the_exceptions(county: Any, world: Any) -> None:
    with time_machine.travel(T_APPLY, tick=False):
        run = adjustment_run_start(year=2026, by=county.clerk)
        adjustment_dry_run(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == AdjustmentRun.Status.COMPUTED
    assert run.arrears_to_month == M(2026, 6)
    lines = {line.retiree_id: line for line in AdjustmentLine.objects.filter(run=run)}
    # H retired in February 2026, after the cut-off: not in the run at all.
    assert world.h.pk not in lines
    assert set(lines) == {p.pk for p in world.all()} - {world.h.pk}
    for key, rise in RISE.items():
        line = lines[getattr(world, key).pk]
        assert (line.old_amount, line.rise, line.new_amount) == (OLD[key], rise, OLD[key] + rise), key
        assert line.arrears_months == MONTHS_OWED[key], key
        assert line.arrears_amount == rise * MONTHS_OWED[key], key
        assert line.problem == ""
    c = lines[world.c.pk]
    assert (c.flat_part, c.pension_part, c.years_part, c.age_part, c.contribution_years, c.age) == (
        D("50"),
        D("46.851750"),
        D("42.000000"),
        D("30"),
        D("33"),
        77,
    )
    d = lines[world.d.pk]
    assert d.pension_part == D("29.999850") and d.age == 83 and d.age_part == D("50")
    e = lines[world.e.pk]
    assert e.problem == AdjustmentLine.Problem.NO_CONTRIBUTION_MONTHS
    assert e.rise is None and e.new_amount is None and e.arrears_amount == 0
    figures = run.figures
    assert figures["people"] == 8 and figures["adjusted"] == 7 and figures["exceptions"] == 1
    assert figures["problems"] == {"no_contribution": 1}
    assert figures["rise_total"] == "927.33"
    assert figures["arrears_total"] == "5307.98"
    assert (figures["rise_min"], figures["rise_median"], figures["rise_max"]) == (
        "117.50",
        "128.00",
        "168.85",
    )
    assert sum(D(t["rise_total"]) for t in figures["by_township"]) == D("927.33")
    assert sum(D(t["arrears_total"]) for t in figures["by_township"]) == D("5307.98")
    assert sum(bar["count"] for bar in figures["histogram"]) == 7
    # Nothing is written by a dry run.
    assert not PensionRate.objects.filter(reason=AA).exists()
    assert not ArrearsItem.objects.filter(reason=ArrearsItem.Reason.ANNUAL_ADJUSTMENT).exists()


def test_apply_writes_one_rate_and_one_arrears_item_per_month_then_july_releases_them(
    county: Any, world: Any
) -> None:
    run = run_and_apply(county)
    assert run.status == AdjustmentRun.Status.APPLIED
    assert (run.rates_written, run.arrears_written, run.arrears_total) == (7, 40, D("5307.98"))
    for key, rise in RISE.items():
        retiree = getattr(world, key)
        adjustment = [rate for rate in rates_of(retiree) if rate[3] == AA]
        revision = 1 if key == "i" else 0  # I's first rate is January's revision 0: the rise comes after it
        assert adjustment == [(JAN, revision, OLD[key] + rise, AA)], key
        items = list(
            ArrearsItem.objects.filter(retiree=retiree, reason=ArrearsItem.Reason.ANNUAL_ADJUSTMENT)
            .order_by("month")
            .values_list("month", "amount", "adjustment_year")
        )
        expected_months = [M(2026, n) for n in range(1, MONTHS_OWED[key] + 1)]
        assert items == [(month, rise, 2026) for month in expected_months], key
    # The exception and the person retired after the cut-off keep their rates.
    assert [rate[3] for rate in rates_of(world.e)] == ["initial"]
    assert [rate[3] for rate in rates_of(world.h)] == ["initial"]

    # July: the new amount as the regular, and exactly the arrears released; the suspended person's stay owed.
    with time_machine.travel(datetime.datetime(2026, 7, 5, 9, 0, tzinfo=SH), tick=False):
        july = plan_draft(month=JUL, by=county.clerk)
    lines = {line.retiree_id: line for line in PayoutLine.objects.filter(plan=july)}
    for key in ("a", "b", "c", "d", "i"):
        line = lines[getattr(world, key).pk]
        assert line.regular == OLD[key] + RISE[key], key
        assert line.arrears == RISE[key] * MONTHS_OWED[key], key
    assert lines[world.f.pk].is_withheld and lines[world.f.pk].withheld == D("2617.50")
    assert world.g.pk not in lines
    released = ArrearsRelease.objects.filter(line__plan=july, arrears_item__reason="annual_adjustment")
    assert released.count() == 30
    assert sum(release.arrears_item.amount for release in released) == D("4090.98")  # 5307.98 − F 705 − G 512
    f_items = ArrearsItem.objects.filter(retiree=world.f, release__isnull=True, reason="annual_adjustment")
    assert f_items.count() == 6


def test_applying_twice_changes_nothing(county: Any, world: Any) -> None:
    run = run_and_apply(county)
    before = (PensionRate.objects.count(), ArrearsItem.objects.count())
    assert adjustment_apply(run_id=run.pk) is None  # a redelivered task
    with pytest.raises(AdjustmentError):
        adjustment_apply_start(run=run, by=county.clerk)
    # A supplementary run finds only the exception: everyone else is adjusted already.
    with time_machine.travel(T_APPLY, tick=False):
        again = adjustment_run_start(year=2026, by=county.clerk)
        adjustment_dry_run(run_id=again.pk)
    again.refresh_from_db()
    assert list(AdjustmentLine.objects.filter(run=again).values_list("retiree_id", "problem")) == [
        (world.e.pk, "no_contribution")
    ]
    with pytest.raises(AdjustmentError, match="没有可调整的人员"):
        adjustment_submit(run=again, by=county.clerk)
    assert (PensionRate.objects.count(), ArrearsItem.objects.count()) == before


def test_the_database_refuses_a_second_rise_for_the_same_month(county: Any, world: Any) -> None:
    run_and_apply(county)
    item = ArrearsItem.objects.filter(retiree=world.a, reason="annual_adjustment").first()
    assert item is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        ArrearsItem.objects.create(
            retiree=world.a,
            month=item.month,
            amount=D("1.00"),
            reason="annual_adjustment",
            adjustment_year=2026,
            created_by=county.clerk,
        )


def test_the_preparer_cannot_approve_not_even_in_the_database(county: Any, world: Any) -> None:
    # The admin may both prepare and approve payments, so only the four-eyes rule stands in the way.
    with time_machine.travel(T_APPLY, tick=False):
        run = adjustment_run_start(year=2026, by=county.admin)
        adjustment_dry_run(run_id=run.pk)
        run.refresh_from_db()
        adjustment_submit(run=run, by=county.admin)
        with pytest.raises(AdjustmentError, match="不能审核自己试算"):
            adjustment_approve(run=run, by=county.admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        AdjustmentRun.objects.filter(pk=run.pk).update(approved_by=county.admin)


def test_a_submitted_plan_is_refused_until_made_again(county: Any, world: Any) -> None:
    with time_machine.travel(datetime.datetime(2026, 7, 2, 9, 0, tzinfo=SH), tick=False):
        july = plan_draft(month=JUL, by=county.clerk)
        plan_submit(plan=july, by=county.clerk)
    run_and_apply(county)
    at = datetime.datetime(2026, 7, 4, 9, 0, tzinfo=SH)
    with time_machine.travel(at, tick=False), pytest.raises(PlanError, match="养老金标准已调整"):
        plan_approve(plan=july, by=county.reviewer)


def test_a_run_made_before_a_later_month_was_approved_is_stale(county: Any, world: Any) -> None:
    with time_machine.travel(T_APPLY, tick=False):
        run = adjustment_run_start(year=2026, by=county.clerk)
        adjustment_dry_run(run_id=run.pk)
        run.refresh_from_db()
        adjustment_submit(run=run, by=county.clerk)
    pay_month(county, JUL)
    at = datetime.datetime(2026, 7, 6, 9, 0, tzinfo=SH)
    with time_machine.travel(at, tick=False), pytest.raises(AdjustmentError, match="补发月份已变化"):
        adjustment_approve(run=run, by=county.reviewer)
