"""The year's adjustment parameters as people read them: the hub's rows, each component in words, what each
version changed, and a worked example computed with the one calculation (docs/annual-adjustment.md). Shared
by the pages, the API and the printed parameter sheet, so the three say the same thing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from registry.formats import yuan
from registry.models import FlagKind
from registry.selectors.changes import as_month

from ..adjustment_rules import PARAMETER_FIELDS, Person, Rise, rise_of, rules_of
from ..models import AdjustmentParameters, AdjustmentRun
from .adjustments import parameter_years, parameters_history, parameters_in_force, runs_of, year_is_applied

# The worked example printed on the sheet: a person the announcement's readers can follow by hand.
EXAMPLE_BASE = Decimal("3000.00")
EXAMPLE_YEARS = 20
EXAMPLE_AGE = 72


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    text: str


@dataclass(frozen=True)
class YearStatus:
    """未试算, the newest run's status, or 已执行 once a run of the year has been applied."""

    code: str
    label: str
    applied: bool
    run: AdjustmentRun | None


@dataclass(frozen=True)
class YearRow:
    year: int
    parameters: AdjustmentParameters
    components: list[Component]
    status: YearStatus
    version_count: int


@dataclass(frozen=True)
class Version:
    """One stored version of a year's parameters, numbered from 1 (the first entered), and what it changed
    from the version before it."""

    number: int
    parameters: AdjustmentParameters
    changes: list[str]


@dataclass(frozen=True)
class Example:
    base: Decimal
    years: int
    age: int
    birth_date: datetime.date
    flag_codes: tuple[str, ...]
    rise: Rise

    @property
    def new_amount(self) -> Decimal:
        return self.base + (self.rise.rise or Decimal(0))


def flag_names() -> dict[str, str]:
    return dict(FlagKind.objects.values_list("code", "name"))


def _percent_text(percent: Decimal) -> str:
    text = format(percent.normalize(), "f")
    return f"{text}%"


def band_rows(parameters: AdjustmentParameters) -> list[dict[str, Any]]:
    """The bands with their lower ends: [{"from": 0, "up_to": 15, "per_year": Decimal}, …]."""
    rows = []
    lower = 0
    for band in parameters.year_bands or []:
        up_to = band.get("up_to")
        rows.append({"from": lower, "up_to": up_to, "per_year": Decimal(str(band.get("per_year", "0")))})
        lower = int(up_to) if up_to not in (None, "") else lower
    return rows


def band_label(row: dict[str, Any]) -> str:
    if row["up_to"] in (None, ""):
        return _("%(low)d 年以上的部分") % {"low": row["from"]}
    if row["from"] == 0:
        return _("%(high)d 年及以下") % {"high": int(row["up_to"])}
    return _("%(low)d 年以上至 %(high)d 年") % {"low": row["from"], "high": int(row["up_to"])}


def tier_rows(parameters: AdjustmentParameters) -> list[dict[str, Any]]:
    return sorted(
        (
            {"age": int(tier["age"]), "amount": Decimal(str(tier["amount"]))}
            for tier in parameters.age_tiers or []
        ),
        key=lambda row: row["age"],
    )


def flag_rows(parameters: AdjustmentParameters, names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    names = flag_names() if names is None else names
    return [
        {
            "flag": extra["flag"],
            "name": names.get(extra["flag"], extra["flag"]),
            "amount": Decimal(extra["amount"]),
        }
        for extra in parameters.flag_extras or []
    ]


def components_of(parameters: AdjustmentParameters, names: dict[str, str] | None = None) -> list[Component]:
    """Each component that pays something, in words (a component at 0 is left out)."""
    found: list[Component] = []
    if parameters.flat_amount > 0:
        found.append(
            Component(
                "flat", _("定额调整"), _("每人每月 %(amount)s") % {"amount": yuan(parameters.flat_amount)}
            )
        )
    if parameters.pension_percent > 0:
        found.append(
            Component(
                "percent",
                _("挂钩调整(养老金)"),
                _("本人基本养老金的 %(percent)s") % {"percent": _percent_text(parameters.pension_percent)},
            )
        )
    bands = band_rows(parameters)
    if any(row["per_year"] > 0 for row in bands) or parameters.years_minimum > 0:
        text = ";".join(
            _("%(band)s每年 %(amount)s") % {"band": band_label(row), "amount": yuan(row["per_year"])}
            for row in bands
        )
        if parameters.years_minimum > 0:
            text += _(",最低 %(amount)s") % {"amount": yuan(parameters.years_minimum)}
        found.append(Component("years", _("挂钩调整(缴费年限)"), text))
    tiers = tier_rows(parameters)
    if any(row["amount"] > 0 for row in tiers):
        text = ";".join(
            _("%(age)d 岁及以上 %(amount)s") % {"age": row["age"], "amount": yuan(row["amount"])}
            for row in tiers
        )
        found.append(Component("age", _("倾斜调整(年龄)"), text))
    flags = flag_rows(parameters, names)
    if flags:
        text = ";".join(f"{row['name']} {yuan(row['amount'])}" for row in flags)
        found.append(Component("flags", _("倾斜调整(人员标记)"), text))
    if parameters.minimum_rise > 0:
        found.append(
            Component(
                "minimum",
                _("最低增加额"),
                _("每人每月不低于 %(amount)s") % {"amount": yuan(parameters.minimum_rise)},
            )
        )
    return found


def components_line(parameters: AdjustmentParameters, names: dict[str, str] | None = None) -> str:
    return ";".join(f"{component.label} {component.text}" for component in components_of(parameters, names))


def year_status(year: int) -> YearStatus:
    if year_is_applied(year):
        return YearStatus("applied", str(AdjustmentRun.Status.APPLIED.label), True, None)
    run = runs_of(year).order_by("-prepared_at", "-id").first()
    if run is None:
        return YearStatus("none", _("未试算"), False, None)
    return YearStatus(run.status, run.get_status_display(), False, run)


def year_rows() -> list[YearRow]:
    """Every year with parameters, newest first, with the parameters in force and the year's status."""
    names = flag_names()
    rows = []
    for year in parameter_years():
        parameters = parameters_in_force(year)
        if parameters is None:  # pragma: no cover - parameter_years() lists years with a row
            continue
        rows.append(
            YearRow(
                year=year,
                parameters=parameters,
                components=components_of(parameters, names),
                status=year_status(year),
                version_count=parameters_history(year).count(),
            )
        )
    return rows


def _shown(parameters: AdjustmentParameters, name: str, names: dict[str, str]) -> str:
    value = getattr(parameters, name)
    if name == "effective_month":
        return str(as_month(value))
    if name == "retired_by":
        return str(value.isoformat())
    if name in ("include_suspended", "include_deceased"):
        return _("是") if value else _("否")
    if name in ("flat_amount", "years_minimum", "minimum_rise"):
        return yuan(value)
    if name == "pension_percent":
        return _percent_text(value)
    if name == "year_counting":
        return str(parameters.get_year_counting_display())
    if name == "year_bands":
        return ";".join(
            _("%(band)s每年 %(amount)s") % {"band": band_label(row), "amount": yuan(row["per_year"])}
            for row in band_rows(parameters)
        ) or _("无")
    if name == "age_tiers":
        return ";".join(
            _("%(age)d 岁 %(amount)s") % {"age": row["age"], "amount": yuan(row["amount"])}
            for row in tier_rows(parameters)
        ) or _("无")
    if name == "flag_extras":
        return ";".join(f"{row['name']} {yuan(row['amount'])}" for row in flag_rows(parameters, names)) or _(
            "无"
        )
    return str(value) or _("无")


def changes_between(
    older: AdjustmentParameters | None, newer: AdjustmentParameters, names: dict[str, str]
) -> list[str]:
    """ "定额调整(元/月):50.00 → 55.00" for each field that differs; the first version changes nothing."""
    if older is None:
        return []
    changes = []
    for name in PARAMETER_FIELDS:
        before, after = _shown(older, name, names), _shown(newer, name, names)
        if before != after:
            label = getattr(AdjustmentParameters._meta.get_field(name), "verbose_name", name)
            changes.append(
                _("%(label)s:%(before)s → %(after)s") % {"label": label, "before": before, "after": after}
            )
    return changes


def versions_of(year: int) -> list[Version]:
    """The year's versions, newest first, each numbered and with what it changed."""
    names = flag_names()
    oldest_first = list(parameters_history(year))[::-1]
    versions = []
    previous = None
    for number, parameters in enumerate(oldest_first, start=1):
        versions.append(Version(number, parameters, changes_between(previous, parameters, names)))
        previous = parameters
    return versions[::-1]


def worked_example(parameters: AdjustmentParameters) -> Example:
    """A person with 3,000.00 a month, 20 contribution years and 72 years old at the end of the year, with
    every flag that has an extra (so each component shows), through the one calculation."""
    birth = datetime.date(parameters.year - EXAMPLE_AGE, 7, 1)
    codes = tuple(extra["flag"] for extra in parameters.flag_extras or [])
    person = Person(birth_date=birth, contribution_months=EXAMPLE_YEARS * 12, flag_codes=frozenset(codes))
    rise = rise_of(rules_of(parameters), person, EXAMPLE_BASE)
    return Example(EXAMPLE_BASE, EXAMPLE_YEARS, EXAMPLE_AGE, birth, codes, rise)
