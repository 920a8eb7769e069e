"""The demo county's claim parameters (docs/benefit-parameters.md): the funeral allowance and N for the last
year and this one, set by the demo admin through the same service as the page. The county average is not
seeded: the demo's payout history computes it. A second run adds nothing, and a value the admin changed on
the page is never put back.

Then two deaths to walk through (seed_demo_deaths), made through the real death services by the demo's
township officer and clerk, once: nothing is added when any death registration exists."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry.models import OrgUnit, Retiree, Staff
from registry.months import PensionMonth

from .models import BenefitParameter, DeathRegistration
from .services import benefit_parameter_set, death_registration_record, death_report

Kind = BenefitParameter.Kind

DEMO_ADMIN = "admin"
DEMO_NOTE = "示范县演示数据"
# (kind, year, value). N: ten months of the county average, a common figure in provincial rules.
DEMO_PARAMETERS: tuple[tuple[str, int, Decimal], ...] = (
    (Kind.FUNERAL_ALLOWANCE, 2025, Decimal("4800.00")),
    (Kind.FUNERAL_ALLOWANCE, 2026, Decimal("5000.00")),
    (Kind.COMPENSATION_MONTHS, 2025, Decimal(10)),
    (Kind.COMPENSATION_MONTHS, 2026, Decimal(10)),
)


def demo_parameters_seeded() -> bool:
    wanted = {(kind, year) for kind, year, _value in DEMO_PARAMETERS}
    present = set(BenefitParameter.objects.values_list("kind", "year").distinct())
    return wanted <= present


def seed_demo_parameters() -> int:
    """Set each demo parameter never set before; returns how many were set."""
    admin = Staff.objects.get(username=DEMO_ADMIN)
    present = set(BenefitParameter.objects.values_list("kind", "year").distinct())
    created = 0
    for kind, year, value in DEMO_PARAMETERS:
        if (kind, year) in present:
            continue
        benefit_parameter_set(kind=kind, year=year, value=value, note=DEMO_NOTE, by=admin)
        created += 1
    return created


# The deaths a visitor can walk through at once (docs/demo-county.md, "Deaths to walk through"): one reported
# by the 城关镇 officer for the clerk to complete, one recorded by the clerk for the reviewer to confirm.
DEMO_OFFICER, DEMO_CLERK = "chengguan", "clerk"
RECORDED_TOWNSHIP = "梅林镇"


@dataclass(frozen=True)
class DemoDeath:
    registration: DeathRegistration
    township: str


def demo_deaths_seeded() -> bool:
    return DeathRegistration.objects.exists()


def _month_start(day: datetime.date, months_back: int) -> datetime.date:
    return PensionMonth.of(day).plus(-months_back).first_day


def _first_living(township: OrgUnit, died_on: datetime.date) -> Retiree | None:
    """The lowest-id active retiree of the township retired before `died_on` with a rate in force in the
    death month: a fixed choice, paid in the months the payout history covers."""
    return (
        Retiree.objects.filter(
            Q(community__parent=township) | Q(community=township),
            status=Retiree.Status.ACTIVE,
            retirement_date__lt=died_on,
            rates__effective_month__lte=PensionMonth.of(died_on).number,
        )
        .order_by("pk")
        .first()
    )


def _other_township(township: OrgUnit) -> OrgUnit | None:
    others = OrgUnit.objects.filter(kind=OrgUnit.Kind.TOWNSHIP).exclude(pk=township.pk)
    return others.filter(name=RECORDED_TOWNSHIP).first() or others.order_by("code").first()


def seed_demo_deaths(*, log: Callable[[str], None] = print) -> list[DemoDeath]:
    """A reported death (城关镇, died last month) and a pending one (梅林镇, died the month before, so
    confirming it recovers last month's payment), through death_report and death_registration_record.
    Nothing when any registration exists. Returns what was created."""
    if demo_deaths_seeded():
        return []
    staff = {s.username: s for s in Staff.objects.filter(username__in=(DEMO_OFFICER, DEMO_CLERK))}
    for username in (DEMO_OFFICER, DEMO_CLERK):
        if username not in staff:
            log(_("缺少演示账号 %(username)s,未生成死亡登记(请先运行 seed_demo)。") % {"username": username})
            return []
    officer, clerk = staff[DEMO_OFFICER], staff[DEMO_CLERK]
    township = officer.org_unit
    if township is None:
        return []
    today = timezone.localdate()
    created: list[DemoDeath] = []
    with transaction.atomic():
        died_on = _month_start(today, 1).replace(day=12)
        if retiree := _first_living(township, died_on):
            report = death_report(
                retiree=retiree,
                died_on=died_on,
                reporter_name=f"{retiree.name[:1]}志明",
                reporter_relation="儿子",
                reporter_phone="13907971268",
                note=DEMO_NOTE,
                by=officer,
            )
            created.append(DemoDeath(report, township.name))
        other = _other_township(township)
        died_on = _month_start(today, 2).replace(day=18)
        if other is not None and (retiree := _first_living(other, died_on)):
            pending = death_registration_record(
                retiree=retiree,
                died_on=died_on,
                reporter_name=f"{retiree.name[:1]}秀芳",
                reporter_relation="女儿",
                reporter_phone="13879712045",
                note=DEMO_NOTE,
                by=clerk,
            )
            created.append(DemoDeath(pending, other.name))
    return created
