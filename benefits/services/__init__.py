"""Every write of deaths and benefits (docs/benefits.md)."""

# parameters
from .parameters import benefit_average_clear, benefit_parameter_set

__all__ = ["benefit_average_clear", "benefit_parameter_set"]
