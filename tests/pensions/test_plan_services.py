"""Making a month's plan: who gets a line, with which amounts, and what it releases and deducts."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from pensions.errors import PlanError
from pensions.models import (
    ArrearsRelease,
    PayoutLine,
    PayoutPlan,
    PlanTotal,
    PlanTransition,
    RecoveryDeduction,
)
from pensions.services import plan_approve, plan_draft, plan_submit
from registry.models import Recovery, Retiree

from .conftest import NOV, M, arrears, recovery

Status = Retiree.Status
NOW = datetime.datetime(2026, 11, 5, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
D = Decimal


def line_of(plan: PayoutPlan, retiree: Retiree) -> PayoutLine:
    return PayoutLine.objects.get(plan=plan, retiree=retiree)


def amounts(line: PayoutLine) -> tuple[Decimal, ...]:
    return (line.regular, line.arrears, line.deduction, line.withheld, line.net)


@pytest.mark.django_db
def test_one_line_per_payable_retiree_with_the_snapshot_and_exact_amounts(county, enrol, banks):
    # Given an active, a suspended, a deceased and a terminated retiree, and the county's three people
    # without any rate
    active = enrol(name="张建华", bank="ccb")
    suspended = enrol(status=Status.SUSPENDED, community=county.community_b1, rates=[(M(2018, 4), "1800.50")])
    enrol(status=Status.DECEASED)
    enrol(status=Status.TERMINATED)

    # When the clerk drafts November
    with time_machine.travel(NOW, tick=False):
        plan = plan_draft(month=NOV, by=county.clerk)

    # Then the active and the suspended retiree have a line each, nobody else
    assert plan.status == PayoutPlan.Status.DRAFT
    assert sorted(plan.lines.values_list("retiree_id", flat=True)) == sorted([active.pk, suspended.pk])
    line = line_of(plan, active)
    account = active.bank_accounts.get()
    assert (line.name, line.id_number, line.bank_id, line.account_number, line.holder_name) == (
        "张建华",
        active.id_number,
        banks["ccb"].pk,
        account.account_number,
        account.holder_name,
    )
    assert (line.township_id, line.community_id) == (county.township_a.pk, county.community_a1.pk)
    assert amounts(line) == (D("2650.00"), D("0.00"), D("0.00"), D("0.00"), D("2650.00"))
    assert line.is_withheld is False
    # the suspended one is withheld: net 0, the regular amount recorded as withheld
    withheld = line_of(plan, suspended)
    assert withheld.is_withheld is True
    assert amounts(withheld) == (D("1800.50"), D("0.00"), D("0.00"), D("1800.50"), D("0.00"))
    assert (withheld.township_id, withheld.payment_status) == (county.township_b.pk, "pending")
    # And the plan's totals, stored
    assert (plan.line_count, plan.regular_total, plan.arrears_total, plan.deduction_total) == (
        2,
        D("4450.50"),
        D("0.00"),
        D("0.00"),
    )
    assert (plan.withheld_total, plan.net_total) == (D("1800.50"), D("2650.00"))
    assert (plan.created_by, plan.generated_at) == (county.clerk, NOW)
    assert list(plan.transitions.values_list("from_status", "to_status", "by", "at")) == [
        ("", "draft", county.clerk.pk, NOW)
    ]

    # And later edits of the registry do not change the line
    active.name = "张建新"
    active.save()
    assert line_of(plan, active).name == "张建华"


@pytest.mark.django_db
def test_the_rate_in_force_is_the_newest_from_on_or_before_the_month(county, enrol):
    # Given rates changing in 2025-01, 2026-11 (the plan's month) and 2026-12 (later)
    rises = [
        (M(2018, 4), "2000.00"),
        (M(2025, 1), "2100.00"),
        (M(2026, 11), "2200.00"),
        (M(2026, 12), "2300.00"),
    ]
    retiree = enrol(rates=rises)
    # and someone whose only rate starts after the month
    later = enrol(rates=[(M(2026, 12), "3000.00")])

    october = plan_draft(month=M(2026, 10), by=county.clerk)
    november = plan_draft(month=NOV, by=county.clerk)
    december = plan_draft(month=M(2026, 12), by=county.clerk)

    assert line_of(october, retiree).regular == D("2100.00")
    assert line_of(november, retiree).regular == D("2200.00")
    assert line_of(december, retiree).regular == D("2300.00")
    assert not PayoutLine.objects.filter(plan__in=[october, november], retiree=later).exists()
    assert line_of(december, later).regular == D("3000.00")


@pytest.mark.django_db
def test_regular_payment_from_is_respected(county, enrol):
    # Given a new retiree paid regularly from December (earlier months are arrears), and one from November
    enrol(regular_payment_from=M(2026, 12))
    from_november = enrol(regular_payment_from=NOV)

    plan = plan_draft(month=NOV, by=county.clerk)

    assert list(plan.lines.values_list("retiree_id", flat=True)) == [from_november.pk]


@pytest.mark.django_db
def test_arrears_are_released_exactly_once_across_regenerations_and_months(county, enrol):
    # Given two arrears items for an active retiree, one for a suspended retiree and one for a later month
    active = enrol()
    suspended = enrol(status=Status.SUSPENDED)
    first = arrears(active, M(2026, 8), "300.00", county.clerk)
    second = arrears(active, M(2026, 9), "120.55", county.clerk)
    on_hold = arrears(suspended, M(2026, 9), "50.00", county.clerk)
    future = arrears(active, M(2026, 12), "999.00", county.clerk)

    # When November is drafted and regenerated twice
    plan = plan_draft(month=NOV, by=county.clerk)
    plan = plan_draft(month=NOV, by=county.clerk)
    plan = plan_draft(month=NOV, by=county.clerk)

    # Then each of the two items is released once, into the active retiree's November line
    line = line_of(plan, active)
    assert amounts(line) == (D("2650.00"), D("420.55"), D("0.00"), D("0.00"), D("3070.55"))
    assert sorted(ArrearsRelease.objects.values_list("arrears_item_id", "line_id")) == [
        (first.pk, line.pk),
        (second.pk, line.pk),
    ]
    # the suspended retiree's item waits; the December item is not paid early
    assert line_of(plan, suspended).arrears == D("0.00")
    assert not ArrearsRelease.objects.filter(arrears_item__in=[on_hold, future]).exists()
    assert plan.arrears_total == D("420.55")
    assert list(plan.transitions.values_list("from_status", "to_status")) == [
        ("", "draft"),
        ("draft", "draft"),
        ("draft", "draft"),
    ]

    # When December is drafted, it does not release November's items again, only December's
    december = plan_draft(month=M(2026, 12), by=county.clerk)
    assert line_of(december, active).arrears == D("999.00")
    assert ArrearsRelease.objects.get(arrears_item=future).line == line_of(december, active)
    assert ArrearsRelease.objects.count() == 3


@pytest.mark.django_db
def test_deductions_are_capped_by_the_share_and_settle_the_recovery(county, enrol, settings):
    settings.RECOVERY_MAX_SHARE = Decimal("0.3")
    # Given 2650.00 a month, recoveries of 500.00 (older) and 400.00 (newer): 900.00 owed
    retiree = enrol()
    older = recovery(retiree, "500.00", county.clerk)
    newer = recovery(retiree, "400.00", county.clerk)
    # and someone whose recovery is smaller than the share
    small = enrol(community=county.community_a2)
    small_recovery = recovery(small, "12.34", county.clerk)

    # When November is drafted
    november = plan_draft(month=NOV, by=county.clerk)

    # Then 30 % of 2650.00 = 795.00 is deducted: 500.00 from the older, 295.00 from the newer
    line = line_of(november, retiree)
    assert amounts(line) == (D("2650.00"), D("0.00"), D("795.00"), D("0.00"), D("1855.00"))
    assert sorted(RecoveryDeduction.objects.filter(line=line).values_list("recovery_id", "amount")) == [
        (older.pk, D("500.00")),
        (newer.pk, D("295.00")),
    ]
    assert line_of(november, small).deduction == D("12.34")
    older.refresh_from_db()
    newer.refresh_from_db()
    small_recovery.refresh_from_db()
    assert (older.status, newer.status, small_recovery.status) == ("settled", "open", "settled")
    assert november.deduction_total == D("807.34")

    # When it is regenerated, the deductions are taken back and made again: same result, no doubling
    november = plan_draft(month=NOV, by=county.clerk)
    assert RecoveryDeduction.objects.count() == 3
    assert line_of(november, retiree).deduction == D("795.00")

    # When December is drafted, the remaining 105.00 is deducted and the newer recovery is settled
    december = plan_draft(month=M(2026, 12), by=county.clerk)
    assert line_of(december, retiree).deduction == D("105.00")
    assert line_of(december, small).deduction == D("0.00")
    newer.refresh_from_db()
    assert newer.status == "settled"


@pytest.mark.django_db
def test_the_share_rounds_half_up_once_and_net_is_never_negative(county, enrol, settings):
    settings.RECOVERY_MAX_SHARE = Decimal("0.5")
    # Given 1000.05 a month (half is 500.025 → 500.03) and a large recovery
    odd = enrol(rates=[(M(2018, 4), "1000.05")])
    recovery(odd, "9000.00", county.clerk)
    # and, with a share of 1, someone whose rate is 0 but who has arrears: net can reach 0, never below
    plan = plan_draft(month=NOV, by=county.clerk)
    assert amounts(line_of(plan, odd)) == (D("1000.05"), D("0.00"), D("500.03"), D("0.00"), D("500.02"))

    settings.RECOVERY_MAX_SHARE = Decimal("1")
    zero_rate = enrol(rates=[(M(2018, 4), "0.00")])
    arrears(zero_rate, M(2026, 10), "80.00", county.clerk)
    recovery(zero_rate, "5000.00", county.clerk)
    plan = plan_draft(month=NOV, by=county.clerk)
    # the share of a zero regular amount is zero: arrears are paid whole
    assert amounts(line_of(plan, zero_rate)) == (D("0.00"), D("80.00"), D("0.00"), D("0.00"), D("80.00"))
    assert amounts(line_of(plan, odd)) == (D("1000.05"), D("0.00"), D("1000.05"), D("0.00"), D("0.00"))


@pytest.mark.django_db
def test_a_suspended_retiree_is_not_deducted(county, enrol):
    suspended = enrol(status=Status.SUSPENDED)
    owed = recovery(suspended, "100.00", county.clerk)

    plan = plan_draft(month=NOV, by=county.clerk)

    assert line_of(plan, suspended).deduction == D("0.00")
    assert not RecoveryDeduction.objects.exists()
    owed.refresh_from_db()
    assert owed.status == Recovery.Status.OPEN


@pytest.mark.django_db
def test_totals_per_bank_and_township_are_stored(county, enrol):
    enrol(bank="psbc", rates=[(M(2018, 4), "1000.10")])
    enrol(bank="psbc", community=county.community_b1, rates=[(M(2018, 4), "2000.20")])
    enrol(bank="ccb", community=county.community_a2, rates=[(M(2018, 4), "3000.30")])
    enrol(bank="ccb", status=Status.SUSPENDED, community=county.community_b1, rates=[(M(2018, 4), "400.00")])
    no_account = enrol(bank=None, rates=[(M(2018, 4), "500.00")])

    plan = plan_draft(month=NOV, by=county.clerk)

    by_bank = {
        (row.bank.code if row.bank else None): (
            row.line_count,
            row.regular_total,
            row.withheld_total,
            row.net_total,
        )
        for row in PlanTotal.objects.filter(plan=plan, kind="bank").select_related("bank")
    }
    assert by_bank == {
        "PSBC": (2, D("3000.30"), D("0.00"), D("3000.30")),
        "CCB": (2, D("3400.30"), D("400.00"), D("3000.30")),
        None: (1, D("500.00"), D("0.00"), D("500.00")),
    }
    by_township = {
        row.township.name: (row.line_count, row.net_total)
        for row in PlanTotal.objects.filter(plan=plan, kind="township").select_related("township")
    }
    assert by_township == {"城关镇": (3, D("4500.40")), "梅林镇": (2, D("2000.20"))}
    assert (plan.line_count, plan.net_total, plan.withheld_total) == (5, D("6500.60"), D("400.00"))
    assert line_of(plan, no_account).account_number == ""


@pytest.mark.django_db
def test_an_empty_month_makes_an_empty_plan(county):
    plan = plan_draft(month=NOV, by=county.clerk)
    assert (plan.line_count, plan.net_total) == (0, D("0.00"))
    assert not PlanTotal.objects.exists()


@pytest.mark.django_db
def test_a_plan_past_draft_is_not_regenerated_and_nothing_changes(county, enrol):
    retiree = enrol()
    plan = plan_draft(month=NOV, by=county.clerk)
    plan_submit(plan=plan, by=county.clerk)
    lines_before = list(PayoutLine.objects.values_list("id", "net"))
    arrears(retiree, M(2026, 10), "10.00", county.clerk)

    with pytest.raises(PlanError, match="已提交"):
        plan_draft(month=NOV, by=county.clerk)
    plan_approve(plan=plan, by=county.reviewer)
    with pytest.raises(PlanError, match="已审批"):
        plan_draft(month=NOV, by=county.clerk)

    assert list(PayoutLine.objects.values_list("id", "net")) == lines_before
    assert not ArrearsRelease.objects.exists()
    assert PlanTransition.objects.filter(plan=plan).count() == 3


@pytest.mark.django_db
def test_only_preparers_draft(county, enrol):
    enrol()
    for who in (county.reviewer, county.officer_a, county.auditor):
        with pytest.raises(PermissionDenied):
            plan_draft(month=NOV, by=who)
    assert not PayoutPlan.objects.exists()
    assert plan_draft(month=NOV, by=county.admin).line_count == 1
