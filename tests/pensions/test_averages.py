"""pensions.selectors.averages.county_average_monthly_pension: the county average monthly pension of a year
from the stored figures of its paid plans (docs/benefit-parameters.md), and the withheld count plan_draft
stores for it."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from pensions.errors import PlanError
from pensions.models import PayoutPlan
from pensions.selectors.averages import county_average_monthly_pension
from pensions.services import plan_totals_check
from registry.models import Retiree

from .average_flow import Status, plan_at
from .conftest import Enrol, M

pytestmark = pytest.mark.django_db

# Paid every month of 2025: 2650.00 + 3120.55 + 1890.10 = 7660.65 (766,065 fen) a month.
PAID_ALL_YEAR = ("2650.00", "3120.55", "1890.10")
# Paid from February: 1000.01 + 1500.01. Over January and February: 3 + 5 = 8 person-months,
# 766,065 × 2 + 250,002 = 1,782,132 fen; ÷ 8 = 222,766.5 fen: exactly half a fen, rounded up to 2227.67
# (half-even would give 2227.66).
FROM_FEBRUARY = ("1000.01", "1500.01")
EXPECTED = Decimal("2227.67")


@pytest.fixture
def people(county: object, enrol: Enrol) -> None:
    for amount in PAID_ALL_YEAR:
        enrol(rates=((M(2018, 4), amount),))
    for amount in FROM_FEBRUARY:
        enrol(rates=((M(2018, 4), amount),), regular_payment_from=M(2025, 2))
    # Suspended all year: a withheld line every month, counted in neither the sum nor the person-months.
    enrol(status=Retiree.Status.SUSPENDED, rates=((M(2018, 4), "2000.00"),))


def test_average_of_the_approved_plans_excludes_withheld_lines_and_unapproved_plans(
    county: object, people: None
) -> None:
    january = plan_at(county, M(2025, 1))
    february = plan_at(county, M(2025, 2))
    # Not paid: a draft and a submitted plan of the same year, with lines that would change the figure.
    plan_at(county, M(2025, 3), Status.DRAFT)
    plan_at(county, M(2025, 4), Status.SUBMITTED)

    assert (january.line_count, january.withheld_count) == (4, 1)
    assert (february.line_count, february.withheld_count) == (6, 1)
    assert january.regular_total - january.withheld_total == Decimal("7660.65")
    assert february.regular_total - february.withheld_total == Decimal("10160.67")

    average = county_average_monthly_pension(year=2025)

    assert average == EXPECTED
    # The exact quotient is half a fen: only half-up rounding gives EXPECTED.
    exact = Decimal(1_782_132) / 8 / 100
    assert exact == Decimal("2227.665")
    assert exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN) != average
    # Counting the withheld lines would give another figure: (17,821.32 + 2 × 2000.00) ÷ 10.
    assert Decimal("21821.32") / 10 != average


def test_plans_of_other_years_do_not_count(county: object, people: None) -> None:
    plan_at(county, M(2025, 1))
    plan_at(county, M(2026, 1))

    assert county_average_monthly_pension(year=2025) == Decimal("2553.55")  # 7660.65 ÷ 3
    # 2026-01: the same three and the two paid from February 2025 (10,160.67 ÷ 5 = 2032.134).
    assert county_average_monthly_pension(year=2026) == Decimal("2032.13")


def test_no_approved_plan_gives_none(county: object, people: None) -> None:
    assert county_average_monthly_pension(year=2025) is None
    plan_at(county, M(2025, 1), Status.SUBMITTED)

    assert county_average_monthly_pension(year=2025) is None


def test_plan_draft_stores_the_withheld_count_and_the_totals_check_compares_it(
    county: object, people: None
) -> None:
    plan = plan_at(county, M(2025, 1), Status.DRAFT)
    assert plan.withheld_count == 1
    plan_totals_check(plan=plan)  # agrees

    PayoutPlan.objects.filter(pk=plan.pk).update(withheld_count=0)

    with pytest.raises(PlanError) as refused:
        plan_totals_check(plan=plan)
    assert "plan" in refused.value.message
    assert "2025-01" in refused.value.message
