"""Domain errors of deaths and benefits. Services raise them; views and the API turn them into a message."""

from registry.errors import DomainError


class BenefitError(DomainError):
    """A death registration, a claim or a parameter was refused."""
