"""Intake after an applied annual adjustment: someone who retired by its cut-off gets the adjustment's rate at
intake, written before the arrears, and every month before intake is owed at the rate in force that month
(registry.services.intake). The 2026 adjustment of tests/pensions/adjustment_flow.py (cut-off 2025-12-31) is
applied on 3 July 2026; the intake is on 5 August, before the plan day (10), so August is the first month
still to be planned and the arrears run to July.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from registry.models import ArrearsItem, Bank, PensionRate, Retiree
from registry.months import PensionMonth
from registry.services import intake_check, retiree_intake
from tests.conftest import County
from tests.factories import BankFactory
from tests.pensions.adjustment_flow import JAN, SH, first_half_paid, make_people, run_and_apply, set_published
from tests.registry.test_intake_api import api_for, payload
from tests.registry.test_intake_services import fresh_id, intake_data
from tests.registry.test_intake_views import form_data

pytestmark = pytest.mark.django_db

D = Decimal
M = PensionMonth
AA = PensionRate.Reason.ANNUAL_ADJUSTMENT
INTAKE_DAY = datetime.datetime(2026, 8, 5, 9, 0, tzinfo=SH)
BORN = datetime.date(1965, 11, 2)  # 61 in 2026: no age tier
# By hand, on 2500.00 with 300 contribution months (25 years): 50 + 37.50 + 15 × 1.00 + 10 × 1.50 = 117.50.
RAISED = D("2617.50")


@pytest.fixture(autouse=True)
def _settings(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.PAYOUT_PLAN_DAY = 10


@pytest.fixture
def applied(county: County) -> None:
    bank = BankFactory.create(code="PSBC", name="中国邮政储蓄银行", channel=Bank.Channel.SYSTEM_DIRECT)
    people = make_people(county, bank)
    set_published(county.admin)
    first_half_paid(county, people)
    run_and_apply(county)


def take_in(county: County, retired: datetime.date, receipt: str) -> Retiree:
    data = intake_data(
        county,
        id_number=fresh_id(BORN),
        retirement_date=retired,
        contribution_months=300,
        initial_amount=D("2500.00"),
        fee_receipt_number=receipt,
        fee_paid_on=datetime.date(2026, 8, 5),
    )
    with time_machine.travel(INTAKE_DAY, tick=False):
        return retiree_intake(data=data, photo=None, agent_proof=None, by=county.clerk)


def rates(retiree: Retiree) -> list[Any]:
    return list(
        PensionRate.objects.filter(retiree=retiree)
        .order_by("effective_month", "revision")
        .values_list("effective_month", "revision", "amount", "reason")
    )


def arrears(retiree: Retiree) -> list[Any]:
    return list(
        ArrearsItem.objects.filter(retiree=retiree, reason=ArrearsItem.Reason.INTAKE)
        .order_by("month")
        .values_list("month", "amount")
    )


def test_retired_before_the_cut_off_gets_the_rise_at_intake(county: County, applied: None) -> None:
    """Retired 2025-11-20: due from December 2025 at 2500.00, from January 2026 at 2617.50."""
    retiree = take_in(county, datetime.date(2025, 11, 20), "TG-ADJ-1")
    assert rates(retiree) == [
        (M(2025, 12), 0, D("2500.00"), "initial"),
        (JAN, 0, RAISED, AA),
    ]
    assert arrears(retiree) == [(M(2025, 12), D("2500.00"))] + [(M(2026, n), RAISED) for n in range(1, 8)]
    assert sum(amount for _month, amount in arrears(retiree)) == D("20822.50")  # 2500 + 7 × 2617.50
    # Owed once, as intake arrears: no separate adjustment arrears.
    assert not ArrearsItem.objects.filter(
        retiree=retiree, reason=ArrearsItem.Reason.ANNUAL_ADJUSTMENT
    ).exists()


def test_retired_in_december_gets_the_rise_after_the_initial_rate_of_january(
    county: County, applied: None
) -> None:
    retiree = take_in(county, datetime.date(2025, 12, 20), "TG-ADJ-2")
    assert rates(retiree) == [(JAN, 0, D("2500.00"), "initial"), (JAN, 1, RAISED, AA)]
    assert arrears(retiree) == [(M(2026, n), RAISED) for n in range(1, 8)]


def test_retired_after_the_cut_off_gets_nothing_extra(county: County, applied: None) -> None:
    retiree = take_in(county, datetime.date(2026, 2, 15), "TG-ADJ-3")
    assert rates(retiree) == [(M(2026, 3), 0, D("2500.00"), "initial")]
    assert arrears(retiree) == [(M(2026, n), D("2500.00")) for n in range(3, 8)]


def test_without_an_applied_adjustment_the_intake_is_as_before(county: County) -> None:
    retiree = take_in(county, datetime.date(2025, 11, 20), "TG-ADJ-4")
    assert rates(retiree) == [(M(2025, 12), 0, D("2500.00"), "initial")]
    assert {amount for _month, amount in arrears(retiree)} == {D("2500.00")}


def test_the_plan_and_the_page_show_the_rise_per_month(client: Any, county: County, applied: None) -> None:
    data = intake_data(
        county,
        id_number=fresh_id(BORN),
        retirement_date=datetime.date(2025, 11, 20),
        contribution_months=300,
        initial_amount=D("2500.00"),
        fee_receipt_number="TG-ADJ-5",
        fee_paid_on=datetime.date(2026, 8, 5),
    )
    with time_machine.travel(INTAKE_DAY, tick=False):
        plan = intake_check(data=data, photo=None, agent_proof=None, by=county.clerk)
    assert [(item.month, item.amount, item.rise) for item in plan.arrears] == [
        (M(2025, 12), D("2500.00"), D("0.00"))
    ] + [(M(2026, n), RAISED, D("117.50")) for n in range(1, 8)]
    assert plan.arrears_total == D("20822.50")
    assert [(item.year, item.month, item.amount, item.rise) for item in plan.adjustments] == [
        (2026, JAN, RAISED, D("117.50"))
    ]

    client.force_login(county.clerk)
    values = form_data(
        county,
        id_number=fresh_id(BORN),
        retirement_date="2025-11-20",
        contribution_months="300",
        initial_amount="2500.00",
        fee_receipt_number="TG-ADJ-6",
        fee_paid_on="2026-08-05",
    )
    with time_machine.travel(INTAKE_DAY, tick=False):
        page = client.post(reverse("retiree-intake"), values, HTTP_HX_REQUEST="true").content.decode()
    assert "2026-01 起按 2026 年度调待调整为 ¥2,617.50(增加 ¥117.50)" in page
    assert "登记将生成 8 个月的补发,合计 ¥20,822.50" in page
    assert page.count("¥117.50") == 1 + 7  # the line above and each month from January


def test_the_api_gives_each_month_its_amount(county: County, applied: None) -> None:
    values = payload(
        county,
        id_number=fresh_id(BORN),
        retirement_date="2025-11-20",
        contribution_months="300",
        initial_amount="2500.00",
        fee_receipt_number="TG-ADJ-7",
        fee_paid_on="2026-08-05",
    )
    with time_machine.travel(INTAKE_DAY, tick=False):
        response = api_for(county.clerk).post(reverse("api-retiree-intake"), values, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["arrears"] == {
        "months": ["2025-12", *[f"2026-{n:02d}" for n in range(1, 8)]],
        "monthly_amount": "2500.00",
        "amounts": ["2500.00", *["2617.50"] * 7],
        "total": "20822.50",
    }
