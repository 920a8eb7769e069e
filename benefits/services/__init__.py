"""Every write of deaths and benefits. Keyword-only, typed, atomic; refusals are BenefitError (a
DomainError)."""

from .deaths import (
    DeathFigures,
    death_registration_confirm,
    death_registration_correct,
    death_registration_preview,
    death_registration_record,
    death_registration_reject,
    death_report,
)
from .parameters import benefit_average_clear, benefit_parameter_set

__all__ = [
    "DeathFigures",
    "benefit_average_clear",
    "benefit_parameter_set",
    "death_registration_confirm",
    "death_registration_correct",
    "death_registration_preview",
    "death_registration_record",
    "death_registration_reject",
    "death_report",
]
