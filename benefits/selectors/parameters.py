"""The dated parameters of the family's claim in force for a death year (docs/benefits.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from pensions.selectors.averages import county_average_monthly_pension

from ..errors import BenefitError
from ..models import BenefitParameter

Kind = BenefitParameter.Kind


def parameter_in_force(*, kind: str, year: int) -> BenefitParameter | None:
    """The newest row of (kind, year): what the admin set last. None when never set."""
    return BenefitParameter.objects.filter(kind=kind, year=year).order_by("-set_at", "-id").first()


@dataclass(frozen=True)
class ClaimParameters:
    death_year: int
    funeral_allowance: Decimal
    compensation_months: int
    average_year: int  # the year before the death
    average_computed: Decimal | None  # from the paid plans of average_year
    average_published: Decimal | None  # the admin's override, which wins when set
    average_used: Decimal


def claim_parameters(*, death_year: int) -> ClaimParameters:
    """What a claim for a death in `death_year` is computed with. Refused (BenefitError, saying what the admin
    must set) when the funeral allowance or N of that year is missing, or when there is no average: no
    published figure and no approved plan in the year before."""
    funeral = parameter_in_force(kind=Kind.FUNERAL_ALLOWANCE, year=death_year)
    if funeral is None or funeral.value is None:
        raise BenefitError(
            _("尚未设置 %(year)d 年的丧葬补助金标准,请管理员在“丧葬抚恤参数”中设置。") % {"year": death_year}
        )
    months = parameter_in_force(kind=Kind.COMPENSATION_MONTHS, year=death_year)
    if months is None or months.value is None:
        raise BenefitError(
            _("尚未设置 %(year)d 年的抚恤金月数,请管理员在“丧葬抚恤参数”中设置。") % {"year": death_year}
        )
    average_year = death_year - 1
    published_row = parameter_in_force(kind=Kind.PUBLISHED_AVERAGE, year=average_year)
    published = published_row.value if published_row is not None else None
    computed = county_average_monthly_pension(year=average_year)
    used = published if published is not None else computed
    if used is None:
        raise BenefitError(
            _(
                "%(year)d 年没有已审批的发放计划,无法计算月人均养老金;"
                "请管理员在“丧葬抚恤参数”中填写公布的 %(year)d 年月人均养老金。"
            )
            % {"year": average_year}
        )
    return ClaimParameters(
        death_year=death_year,
        funeral_allowance=funeral.value,
        compensation_months=int(months.value),
        average_year=average_year,
        average_computed=computed,
        average_published=published,
        average_used=used,
    )
