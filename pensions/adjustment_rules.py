"""How one person's rise is computed from a year's parameters: the one calculation the dry run, the
recomputation after a back-dated change and the intake all use (docs/annual-adjustment.md).

Exact decimal arithmetic throughout; the rise is the sum of the components, raised to the minimum rise when
below it, rounded half up to the fen once, on the total. A component is never rounded by itself.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from functools import cached_property
from typing import Any

from django.utils.translation import gettext as _

from registry.models import Retiree
from registry.months import PensionMonth
from registry.selectors.changes import as_month

from .errors import AdjustmentError
from .models import AdjustmentLine, AdjustmentParameters

ZERO = Decimal(0)
# The fields of a version of the parameters that the admin sets, in the order the form shows them.
PARAMETER_FIELDS = (
    "effective_month",
    "retired_by",
    "include_suspended",
    "include_deceased",
    "flat_amount",
    "pension_percent",
    "year_counting",
    "year_bands",
    "years_minimum",
    "age_tiers",
    "flag_extras",
    "minimum_rise",
    "announcement",
)
_CENT = Decimal("0.01")
Problem = AdjustmentLine.Problem
YearCounting = AdjustmentParameters.YearCounting


@dataclass(frozen=True)
class YearBand:
    up_to: int | None  # years; None for the last band (no upper end)
    per_year: Decimal


@dataclass(frozen=True)
class AgeTier:
    age: int
    amount: Decimal


@dataclass(frozen=True)
class Rules:
    """A year's parameters, checked and typed."""

    year: int
    effective_month: PensionMonth
    retired_by: datetime.date
    include_suspended: bool
    include_deceased: bool
    flat_amount: Decimal
    pension_percent: Decimal
    year_counting: str
    year_bands: tuple[YearBand, ...]
    years_minimum: Decimal
    age_tiers: tuple[AgeTier, ...]  # ascending by age
    flag_extras: tuple[tuple[str, Decimal], ...]
    minimum_rise: Decimal

    @cached_property
    def uses_contribution_years(self) -> bool:
        # Cached: rise_of asks twice per person, a million times in a dry run.
        return any(band.per_year > 0 for band in self.year_bands) or self.years_minimum > 0

    def eligible(self, *, retirement_date: datetime.date, status: str, died_on: datetime.date | None) -> bool:
        """Whether the person takes part at all (an exception still takes part: it is listed, not adjusted).
        Retired on or before the cut-off; active, or suspended when included; dead in or after the effective
        month when the dead are included (the rise runs to the death month); never terminated."""
        if retirement_date > self.retired_by:
            return False
        if status == Retiree.Status.ACTIVE:
            return True
        if status == Retiree.Status.SUSPENDED:
            return self.include_suspended
        if status == Retiree.Status.DECEASED:
            return (
                self.include_deceased
                and died_on is not None
                and PensionMonth.of(died_on) >= self.effective_month
            )
        return False


@dataclass(frozen=True)
class Person:
    birth_date: datetime.date
    contribution_months: int
    flag_codes: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Rise:
    """One person's result: each component unrounded, the rise to the fen, or the problem that stops it."""

    age: int
    contribution_years: Decimal
    flat_part: Decimal = ZERO
    pension_part: Decimal = ZERO
    years_part: Decimal = ZERO
    age_part: Decimal = ZERO
    flag_part: Decimal = ZERO
    minimum_part: Decimal = ZERO
    rise: Decimal | None = None
    problem: str = ""


def _money(value: Any, *, field: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except (ArithmeticError, ValueError):
        raise AdjustmentError(_("%(label)s应为金额,例如 20.00。") % {"label": label}, field=field) from None
    if not amount.is_finite() or amount < 0:
        raise AdjustmentError(_("%(label)s不能为负数。") % {"label": label}, field=field)
    if amount != amount.quantize(_CENT):
        raise AdjustmentError(_("%(label)s最多两位小数(分)。") % {"label": label}, field=field)
    if amount >= Decimal("100000"):
        raise AdjustmentError(_("%(label)s过大,请核对。") % {"label": label}, field=field)
    return amount.quantize(_CENT)


def _whole(value: Any, *, field: str, label: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise AdjustmentError(_("%(label)s应为整数。") % {"label": label}, field=field) from None
    if not low <= number <= high:
        raise AdjustmentError(
            _("%(label)s应在 %(low)d 到 %(high)d 之间。") % {"label": label, "low": low, "high": high},
            field=field,
        )
    return number


def year_bands_checked(raw: Any) -> tuple[YearBand, ...]:
    """[{"up_to": 15, "per_year": "1.00"}, {"up_to": null, "per_year": "1.50"}]: upper ends rising, only the
    last one open."""
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list):
        raise AdjustmentError(_("缴费年限分段格式不正确。"), field="year_bands")
    bands: list[YearBand] = []
    previous = 0
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise AdjustmentError(_("缴费年限分段格式不正确。"), field="year_bands")
        label = _("第 %(n)d 段") % {"n": index + 1}
        up_to_raw = item.get("up_to")
        last = index == len(raw) - 1
        up_to: int | None
        if up_to_raw in (None, ""):
            if not last:
                raise AdjustmentError(_("只有最后一段可以不填年限上限。"), field="year_bands")
            up_to = None
        else:
            up_to = _whole(up_to_raw, field="year_bands", label=label + _("年限上限"), low=1, high=60)
            if up_to <= previous:
                raise AdjustmentError(_("缴费年限分段的上限应逐段增加。"), field="year_bands")
            previous = up_to
        per_year = _money(item.get("per_year", "0"), field="year_bands", label=label + _("每年金额"))
        bands.append(YearBand(up_to=up_to, per_year=per_year))
    return tuple(bands)


def age_tiers_checked(raw: Any) -> tuple[AgeTier, ...]:
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise AdjustmentError(_("年龄倾斜格式不正确。"), field="age_tiers")
    tiers = [
        AgeTier(
            age=_whole(item.get("age"), field="age_tiers", label=_("倾斜年龄"), low=50, high=120),
            amount=_money(item.get("amount", "0"), field="age_tiers", label=_("年龄倾斜金额")),
        )
        for item in raw
    ]
    ages = [tier.age for tier in tiers]
    if len(set(ages)) != len(ages):
        raise AdjustmentError(_("年龄倾斜的年龄不能重复。"), field="age_tiers")
    return tuple(sorted(tiers, key=lambda tier: tier.age))


def flag_extras_checked(raw: Any, *, known: frozenset[str] | None = None) -> tuple[tuple[str, Decimal], ...]:
    if raw in (None, ""):
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise AdjustmentError(_("标记倾斜格式不正确。"), field="flag_extras")
    extras: list[tuple[str, Decimal]] = []
    for item in raw:
        code = str(item.get("flag") or "").strip()
        if not code:
            raise AdjustmentError(_("请选择倾斜的人员标记。"), field="flag_extras")
        if known is not None and code not in known:
            raise AdjustmentError(_("人员标记“%(code)s”不存在。") % {"code": code}, field="flag_extras")
        extras.append((code, _money(item.get("amount", "0"), field="flag_extras", label=_("标记倾斜金额"))))
    codes = [code for code, _amount in extras]
    if len(set(codes)) != len(codes):
        raise AdjustmentError(_("同一人员标记只能设置一次。"), field="flag_extras")
    return tuple(extras)


def rules_of(parameters: AdjustmentParameters) -> Rules:
    """The stored row as Rules (the row was checked when it was set; checked again here all the same)."""
    return Rules(
        year=parameters.year,
        effective_month=as_month(parameters.effective_month),
        retired_by=parameters.retired_by,
        include_suspended=parameters.include_suspended,
        include_deceased=parameters.include_deceased,
        flat_amount=parameters.flat_amount,
        pension_percent=parameters.pension_percent,
        year_counting=parameters.year_counting,
        year_bands=year_bands_checked(parameters.year_bands),
        years_minimum=parameters.years_minimum,
        age_tiers=age_tiers_checked(parameters.age_tiers),
        flag_extras=flag_extras_checked(parameters.flag_extras),
        minimum_rise=parameters.minimum_rise,
    )


def contribution_years(months: int, counting: str) -> Decimal:
    """Years counted from contribution months: whole years only, a part year as a whole one, or months ÷ 12
    (exact: kept as a fraction to 28 digits, finer than any fen)."""
    if counting == YearCounting.WHOLE:
        return Decimal(months // 12)
    if counting == YearCounting.PART_AS_WHOLE:
        return Decimal((months + 11) // 12)
    with localcontext() as context:
        context.prec = 34
        return Decimal(months) / Decimal(12)


def _years_part(years: Decimal, bands: tuple[YearBand, ...]) -> Decimal:
    """Each band pays for the years inside it: 20 years with ≤ 15 at 1.00 and above at 1.50 is
    15 × 1.00 + 5 × 1.50."""
    total = ZERO
    lower = ZERO
    for band in bands:
        upper = Decimal(band.up_to) if band.up_to is not None else None
        inside = (min(years, upper) if upper is not None else years) - lower
        if inside > 0:
            total += inside * band.per_year
        if upper is None or years <= upper:
            break
        lower = upper
    return total


def age_at_year_end(birth_date: datetime.date, year: int) -> int:
    """The age reached by 31 December of `year`."""
    return year - birth_date.year


def rise_of(rules: Rules, person: Person, base: Decimal | None) -> Rise:
    """The rise of one person whose basic pension in force in the effective month, before the rise, is
    `base` (None: no rate then)."""
    age = age_at_year_end(person.birth_date, rules.year)
    with localcontext() as context:
        context.prec = 34
        years = contribution_years(person.contribution_months, rules.year_counting)
        if base is None:
            return Rise(age=age, contribution_years=years, problem=Problem.NO_RATE)
        if rules.uses_contribution_years and person.contribution_months <= 0:
            return Rise(age=age, contribution_years=years, problem=Problem.NO_CONTRIBUTION_MONTHS)
        flat = rules.flat_amount
        pension = base * rules.pension_percent / 100
        years_part = _years_part(years, rules.year_bands)
        if rules.uses_contribution_years:
            years_part = max(years_part, rules.years_minimum)
        reached = [tier.amount for tier in rules.age_tiers if age >= tier.age]
        age_part = reached[-1] if reached else ZERO
        flag_part = sum((amount for code, amount in rules.flag_extras if code in person.flag_codes), ZERO)
        total = flat + pension + years_part + age_part + flag_part
        minimum = rules.minimum_rise - total if total < rules.minimum_rise else ZERO
        rise = (total + minimum).quantize(_CENT, rounding=ROUND_HALF_UP)
    return Rise(
        age=age,
        contribution_years=years,
        flat_part=flat,
        pension_part=pension,
        years_part=years_part,
        age_part=age_part,
        flag_part=flag_part,
        minimum_part=minimum,
        rise=rise,
    )
