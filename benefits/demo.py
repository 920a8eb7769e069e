"""The demo county's claim parameters (docs/benefit-parameters.md): the funeral allowance and N for the last
year and this one, set by the demo admin through the same service as the page. The county average is not
seeded: the demo's payout history computes it. A second run adds nothing, and a value the admin changed on
the page is never put back."""

from __future__ import annotations

from decimal import Decimal

from registry.models import Staff

from .models import BenefitParameter
from .services import benefit_parameter_set

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
