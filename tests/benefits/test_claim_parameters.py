"""benefits.selectors.parameters.claim_parameters: what a claim for a death in a year is computed with. The
published average wins; cleared, the computed one is used again; a missing value is refused, naming what the
admin must set."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from benefits.errors import BenefitError
from benefits.models import BenefitParameter
from benefits.selectors.parameters import claim_parameters
from benefits.services import benefit_average_clear, benefit_parameter_set
from registry.models import Retiree
from tests.pensions.average_flow import plan_at
from tests.pensions.conftest import Enrol, M

pytestmark = pytest.mark.django_db

Kind = BenefitParameter.Kind


@pytest.fixture
def paid_2025(county: Any, enrol: Enrol) -> None:
    """One approved plan in 2025: 2650.00 + 3120.55 + 1890.10 paid, one withheld → 7660.65 ÷ 3 = 2553.55."""
    for amount in ("2650.00", "3120.55", "1890.10"):
        enrol(rates=((M(2018, 4), amount),))
    enrol(status=Retiree.Status.SUSPENDED, rates=((M(2018, 4), "2000.00"),))
    plan_at(county, M(2025, 1))


def _set_2026(county: Any) -> None:
    benefit_parameter_set(kind=Kind.FUNERAL_ALLOWANCE, year=2026, value="5000.00", note="", by=county.admin)
    benefit_parameter_set(kind=Kind.COMPENSATION_MONTHS, year=2026, value="10", note="", by=county.admin)


def test_the_computed_average_of_the_year_before_when_nothing_is_published(
    county: Any, paid_2025: None
) -> None:
    _set_2026(county)

    params = claim_parameters(death_year=2026)

    assert params.death_year == 2026
    assert params.funeral_allowance == Decimal("5000.00")
    assert params.compensation_months == 10
    assert params.average_year == 2025
    assert params.average_computed == Decimal("2553.55")
    assert params.average_published is None
    assert params.average_used == Decimal("2553.55")


def test_the_published_average_wins_and_clearing_it_restores_the_computed_one(
    county: Any, paid_2025: None
) -> None:
    _set_2026(county)
    benefit_parameter_set(
        kind=Kind.PUBLISHED_AVERAGE, year=2025, value="2890.45", note="公报", by=county.admin
    )

    published = claim_parameters(death_year=2026)
    assert (published.average_computed, published.average_published, published.average_used) == (
        Decimal("2553.55"),
        Decimal("2890.45"),
        Decimal("2890.45"),
    )

    benefit_average_clear(year=2025, note="撤回", by=county.admin)

    cleared = claim_parameters(death_year=2026)
    assert (cleared.average_published, cleared.average_used) == (None, Decimal("2553.55"))


def test_the_newest_setting_is_used(county: Any, paid_2025: None) -> None:
    _set_2026(county)
    benefit_parameter_set(
        kind=Kind.FUNERAL_ALLOWANCE, year=2026, value="5300.00", note="调整", by=county.admin
    )
    benefit_parameter_set(kind=Kind.COMPENSATION_MONTHS, year=2026, value="12", note="调整", by=county.admin)

    params = claim_parameters(death_year=2026)

    assert (params.funeral_allowance, params.compensation_months) == (Decimal("5300.00"), 12)


def test_a_missing_funeral_allowance_is_refused_naming_it(county: Any, paid_2025: None) -> None:
    benefit_parameter_set(kind=Kind.COMPENSATION_MONTHS, year=2026, value="10", note="", by=county.admin)
    # Set for another year only.
    benefit_parameter_set(kind=Kind.FUNERAL_ALLOWANCE, year=2025, value="4800", note="", by=county.admin)

    with pytest.raises(BenefitError) as refused:
        claim_parameters(death_year=2026)

    assert "2026 年的丧葬补助金标准" in refused.value.message
    assert "丧葬抚恤参数" in refused.value.message


def test_missing_months_are_refused_naming_them(county: Any, paid_2025: None) -> None:
    benefit_parameter_set(kind=Kind.FUNERAL_ALLOWANCE, year=2026, value="5000", note="", by=county.admin)

    with pytest.raises(BenefitError) as refused:
        claim_parameters(death_year=2026)

    assert "2026 年的抚恤金月数" in refused.value.message


def test_no_average_at_all_is_refused_asking_for_the_published_figure(county: Any) -> None:
    _set_2026(county)

    with pytest.raises(BenefitError) as refused:
        claim_parameters(death_year=2026)
    assert "2025 年没有已审批的发放计划" in refused.value.message
    assert "公布的 2025 年月人均养老金" in refused.value.message

    # The published figure alone is enough.
    benefit_parameter_set(
        kind=Kind.PUBLISHED_AVERAGE, year=2025, value="2890.45", note="公报", by=county.admin
    )
    params = claim_parameters(death_year=2026)
    assert (params.average_computed, params.average_used) == (None, Decimal("2890.45"))
